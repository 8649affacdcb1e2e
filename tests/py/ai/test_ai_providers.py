"""Claude and GPT through their official SDKs, pointed by base URL at local servers that speak the
Messages and Chat Completions APIs: answers are stored with provider, model, tokens and latency; 429
is retried after its Retry-After, 500 and timeouts with backoff; malformed or schema-breaking JSON
is asked again once with the validation error, then fails with its reason; an outage, rejected
credentials, a spent budget or a missing key fall back to the heuristic, visibly; a cached answer
serves until a fresh request, a regression or a new release."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from ai_support import (
    answer,
    automatic_analysis,
    capture,
    fast_retries,
    finished,
    group,
    javascript_error,
    job,
    new_tenant,
    request,
    run,
    use_provider,
    worker,
)
from provider_servers import VALID_ANSWER, AnthropicStub, OpenAIStub, ScriptedResponse


@pytest.fixture
def anthropic(monkeypatch):
    with AnthropicStub() as stub:
        for name, value in stub.environment().items():
            monkeypatch.setenv(name, value)
        yield stub


@pytest.fixture
def openai(monkeypatch):
    with OpenAIStub() as stub:
        for name, value in stub.environment().items():
            monkeypatch.setenv(name, value)
        yield stub


@pytest.fixture
def tenant(db):
    automatic_analysis(db, False)  # these tests ask for each analysis themselves
    fast_retries(db)
    return new_tenant(db)


def test_claude_answers_through_the_sdk_and_the_analysis_is_stored_with_model_tokens_and_latency(
        db, database_url, tenant, anthropic):
    use_provider(db, "anthropic", model="claude-sonnet-test")
    similar, error_id = capture(db, tenant, javascript_error("total", "renderCart"),
                                javascript_error("total", "renderCheckout"))
    anthropic.then({**VALID_ANSWER, "relatedErrors": [similar, "00000000-0000-0000-0000-00000000beef"]})
    with worker(database_url):
        asked = request(db, error_id, "anthropic")
        assert (asked["status"], asked["done"]) == ("pending", False)
        done = finished(db, asked["id"])

    (body,) = anthropic.bodies()
    assert body["model"] == "claude-sonnet-test" and body["max_tokens"] == 1500
    assert body["system"] and body["messages"][0]["role"] == "user"
    prompt = body["messages"][0]["content"]
    assert "ERROR DETAILS:" in prompt and "- Type: javascript" in prompt and "Format as JSON." in prompt
    assert similar in prompt, "the similar error is offered as a candidate for relatedErrors"

    analysis = done["analysis"]
    assert {key: analysis[key] for key in ("rootCause", "impact", "suggestedFix", "prevention", "severity")} == \
        {key: VALID_ANSWER[key] for key in ("rootCause", "impact", "suggestedFix", "prevention", "severity")}
    assert analysis["relatedErrors"] == [similar], "an id the prompt did not offer is dropped"
    assert (analysis["provider"], analysis["model"], analysis["promptVersion"]) == ("anthropic", "claude-stub-1", 1)
    assert analysis["usage"] == {"inputTokens": 120, "outputTokens": 80} and isinstance(analysis["latencyMs"], int)
    stored = group(db, error_id)
    assert stored["ai_analysis"] == analysis and stored["ai_suggestion"] == VALID_ANSWER["suggestedFix"]
    assert stored["ai_analyzed_at"] is not None
    assert run(db, asked["id"])["input_tokens"] == 120
    (calls, tokens), = db.execute("SELECT calls, input_tokens + output_tokens FROM app.ai_provider_usage"
                                  " WHERE provider = 'anthropic'").fetchall()
    assert (calls, tokens) == (1, 200)


def test_gpt_answers_through_the_sdk_in_json_mode(db, database_url, tenant, openai):
    use_provider(db, "openai", model="gpt-test")
    (error_id,) = capture(db, tenant, javascript_error())
    with worker(database_url):
        done = finished(db, request(db, error_id, "openai")["id"])

    (body,) = openai.bodies()
    assert body["model"] == "gpt-test" and body["response_format"] == {"type": "json_object"}
    assert [message["role"] for message in body["messages"]] == ["system", "user"]
    assert "ERROR DETAILS:" in body["messages"][1]["content"]
    assert done["status"] == "succeeded"
    assert (done["analysis"]["provider"], done["analysis"]["model"]) == ("openai", "gpt-stub-1")
    assert done["analysis"]["severity"] == VALID_ANSWER["severity"]


def test_a_429_is_retried_after_the_providers_retry_after(db, database_url, tenant, anthropic):
    use_provider(db, "anthropic")
    (error_id,) = capture(db, tenant, javascript_error())
    anthropic.then(anthropic.error(429, "rate_limit_error", "slow down", {"retry-after": "2"}))
    with worker(database_url):
        asked = request(db, error_id, "anthropic")
        done = finished(db, asked["id"])

    assert done["status"] == "succeeded" and anthropic.request_count(anthropic.path) == 2
    (failure,) = job(db, run(db, asked["id"])["job_id"])["failures"]
    assert failure["details"]["status"] == 429
    waited = datetime.fromisoformat(failure["retry_at"]) - datetime.fromisoformat(failure["failed_at"])
    assert waited.total_seconds() == pytest.approx(2, abs=0.01), "Retry-After wins over the backoff"


def test_a_500_and_a_timeout_are_retried_through_the_job_table(db, database_url, tenant, openai):
    use_provider(db, "openai", timeout_seconds=0.5)
    (error_id,) = capture(db, tenant, javascript_error())
    openai.then(openai.error(500, "server_error", "boom"), ScriptedResponse(200, "{}", delay_seconds=3))
    with worker(database_url):
        asked = request(db, error_id, "openai")
        done = finished(db, asked["id"])

    assert done["status"] == "succeeded"
    failures = job(db, run(db, asked["id"])["job_id"])["failures"]
    assert [failure["details"].get("status") or failure["details"].get("error") for failure in failures] == \
        [500, "timeout"]
    assert run(db, asked["id"])["attempts"] == 3


def test_malformed_json_is_asked_again_once_with_what_was_wrong(db, database_url, tenant, anthropic):
    use_provider(db, "anthropic")
    (error_id,) = capture(db, tenant, javascript_error())
    anthropic.then("Sure! Here is the analysis: {rootCause: oops")
    with worker(database_url):
        asked = request(db, error_id, "anthropic")
        done = finished(db, asked["id"])

    first, second = anthropic.bodies()
    assert [message["role"] for message in second["messages"]] == ["user", "assistant", "user"]
    assert second["messages"][1]["content"].startswith("Sure! Here is the analysis")
    assert "not valid: not JSON" in second["messages"][2]["content"]
    assert done["status"] == "succeeded" and done["analysis"]["rootCause"] == VALID_ANSWER["rootCause"]
    assert run(db, asked["id"])["attempts"] == 2, "two calls, one job attempt"
    assert done["analysis"]["usage"] == {"inputTokens": 240, "outputTokens": 160}


def test_an_answer_breaking_the_schema_twice_fails_with_its_reason_and_the_heuristic_stands_in(
        db, database_url, tenant, openai):
    use_provider(db, "openai")
    (error_id,) = capture(db, tenant, javascript_error())
    openai.then(json.dumps({**VALID_ANSWER, "severity": 9}),
                "```json\n" + json.dumps({k: v for k, v in VALID_ANSWER.items() if k != "prevention"}) + "\n```")
    with worker(database_url):
        asked = request(db, error_id, "openai")
        done = finished(db, asked["id"])

    assert "severity: 9 is greater than the maximum of 5" in openai.bodies()[1]["messages"][-1]["content"]
    failed = run(db, asked["id"])
    assert failed["status"] == "failed"
    assert failed["reason"] == "invalid output: the answer: 'prevention' is a required property"
    assert done["status"] == "failed" and done["done"], "done: the heuristic answered in its place"
    assert done["analysis"]["provider"] == "heuristic" and done["analysis"]["fixClass"] == "null_check"
    assert done["analysis"]["fallback"] == {"from": "openai", "model": "gpt-stub-1", "reason": failed["reason"],
                                            "failedAnalysisId": asked["id"]}
    assert group(db, error_id)["ai_analysis"] == done["analysis"]


def test_an_outage_falls_back_to_the_heuristic_once_the_attempts_are_spent(db, database_url, tenant, anthropic):
    use_provider(db, "anthropic", max_attempts=2)
    (error_id,) = capture(db, tenant, javascript_error())
    outage = anthropic.error(529, "overloaded_error", "Overloaded")
    anthropic.then(outage, outage)
    with worker(database_url):
        asked = request(db, error_id, "anthropic")
        done = finished(db, asked["id"])

    assert anthropic.request_count(anthropic.path) == 2
    assert run(db, asked["id"])["reason"].startswith("Retryable: anthropic: HTTP 529")
    assert done["analysis"]["provider"] == "heuristic"
    assert done["analysis"]["fallback"]["from"] == "anthropic"
    assert "HTTP 529" in group(db, error_id)["ai_analysis"]["fallback"]["reason"], "visible in the stored analysis"


def test_rejected_credentials_are_not_retried(db, database_url, tenant, anthropic, monkeypatch):
    use_provider(db, "anthropic")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-revoked")
    (error_id,) = capture(db, tenant, javascript_error())
    with worker(database_url):
        asked = request(db, error_id, "anthropic")
        done = finished(db, asked["id"])

    assert anthropic.request_count(anthropic.path) == 1
    assert run(db, asked["id"])["reason"].startswith("Permanent: anthropic: HTTP 401")
    assert done["analysis"]["fallback"]["from"] == "anthropic"


def test_a_spent_budget_falls_back_at_once_without_calling_the_provider(db, database_url, tenant, anthropic):
    use_provider(db, "anthropic", calls_per_hour=1)
    first_id, second_id = capture(db, tenant, javascript_error("total"), javascript_error("items", "renderList"))
    with worker(database_url):
        first = finished(db, request(db, first_id, "anthropic")["id"])
        second = request(db, second_id, "anthropic")

    assert first["status"] == "succeeded"
    assert (second["status"], second["done"]) == ("failed", True)
    assert second["reason"] == "over budget: 1 of 1 calls to anthropic this hour"
    assert second["analysis"]["fallback"]["reason"] == second["reason"]
    assert anthropic.request_count(anthropic.path) == 1


def test_a_provider_without_a_key_falls_back_at_once(db, tenant):
    (error_id,) = capture(db, tenant, javascript_error())
    asked = request(db, error_id, "openai")  # (configured = false: the stack found no OPENAI_API_KEY)
    assert (asked["status"], asked["done"]) == ("failed", True)
    assert asked["reason"] == "openai is not configured: the workers have no API key for it"
    assert asked["analysis"]["provider"] == "heuristic" and asked["analysis"]["fallback"]["from"] == "openai"


def test_a_cached_answer_serves_until_asked_fresh_a_new_release_or_a_regression(db, database_url, tenant, anthropic):
    use_provider(db, "anthropic")
    (error_id,) = capture(db, tenant, javascript_error(metadata={"release": "shop@1.0.0"}))
    with worker(database_url):
        first = finished(db, request(db, error_id, "anthropic")["id"])
        cached = request(db, error_id, "anthropic")
        fresh = finished(db, request(db, error_id, "anthropic", fresh=True)["id"])
        capture(db, tenant, javascript_error(metadata={"release": "shop@1.1.0"}))
        new_release = finished(db, request(db, error_id, "anthropic")["id"])
        db.execute("SELECT app.error_status_change(%s, 'resolved')", [error_id])
        capture(db, tenant, javascript_error(metadata={"release": "shop@1.1.0"}))
        regressed = finished(db, request(db, error_id, "anthropic")["id"])

    assert (cached["id"], cached["reused"], cached["done"]) == (first["id"], True, True)
    assert len({first["id"], fresh["id"], new_release["id"], regressed["id"]}) == 4
    assert anthropic.request_count(anthropic.path) == 4
    assert answer(db, regressed["id"])["analysis"]["provider"] == "anthropic"
