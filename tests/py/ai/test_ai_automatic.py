"""With no key configured, every new critical error gets an offline (heuristic) analysis from a worker
by itself, readable with `pgwarden analyze`; with a key, `pgwarden analyze --provider … --wait` waits
for the provider's answer through the official SDK; refusals exit non-zero with their code."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from ai_support import capture, group, javascript_error, new_tenant, use_provider, worker
from provider_servers import VALID_ANSWER, AnthropicStub

from tests.py.jobs_support import wait_until
from workers import sql
from workers.settings import REPO_ROOT, ai_configuration

PROVIDER_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY",
                      "OPENAI_BASE_URL", "PGWARDEN_AI_PROVIDER")


@pytest.fixture
def no_keys(monkeypatch) -> None:
    for name in PROVIDER_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def pgwarden(database_url, tmp_path):
    env = {**{k: v for k, v in os.environ.items() if k not in PROVIDER_VARIABLES},
           "PGWARDEN_DATABASE_URL": database_url, "PGWARDEN_DATA_DIR": str(tmp_path)}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "workers", *args], env=env, cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=60)

    return run


def test_a_new_critical_error_is_analysed_offline_without_any_key(db, database_url, no_keys, pgwarden):
    configured = db.execute(sql.AI_CONFIGURE, [json.dumps(ai_configuration(os.environ))]).fetchone()[0]
    assert configured["default_provider"] == "heuristic", "as the stack configures it from an environment without keys"
    (error_id,) = capture(db, new_tenant(db), javascript_error("total", "renderCart", severity="critical"))
    assert group(db, error_id)["ai_analysis"] is None, "the capture itself pays for no analysis"

    with worker(database_url):
        analysis = wait_until(lambda: group(db, error_id)["ai_analysis"], what="the automatic analysis")
    assert (analysis["provider"], analysis["fixClass"], analysis["language"]) == \
        ("heuristic", "null_check", "javascript")
    assert group(db, error_id)["ai_suggestion"] == analysis["suggestedFix"]

    shown = pgwarden("analyze", error_id)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("Analysis ") and f"of error {error_id}: heuristic (rules-v1), succeeded" in lines[0]
    labels = [line[:15].strip() for line in lines[1:] if line[:15].strip()]
    assert labels == ["Severity", "Root cause", "Impact", "Suggested fix", "Prevention", "Fix class", "Related",
                      "Analysed"]
    assert "total" in shown.stdout and "optional chaining" in shown.stdout.replace("\n", " ")
    assert all(len(line) <= 100 for line in lines[1:]), "wrapped for a terminal"


def test_pgwarden_analyze_waits_for_a_providers_answer(db, database_url, monkeypatch, pgwarden):
    tenant = new_tenant(db)
    db.execute("UPDATE app.capture_job_policy SET enabled = false WHERE job_kind = 'ai.analyze'")
    (error_id,) = capture(db, tenant, javascript_error())
    with AnthropicStub() as anthropic:
        for name, value in anthropic.environment().items():
            monkeypatch.setenv(name, value)  # the worker's environment (the command's has no key)
        use_provider(db, "anthropic")
        pending = pgwarden("analyze", error_id, "--provider", "anthropic")
        with worker(database_url):
            waited = pgwarden("analyze", error_id, "--provider", "anthropic", "--wait", "--timeout", "30")

    assert pending.returncode == 0 and "anthropic (claude-sonnet-5-5), pending" in pending.stdout
    assert "Not answered yet" in pending.stdout
    assert waited.returncode == 0, waited.stderr
    assert "anthropic (claude-stub-1), succeeded" in waited.stdout.splitlines()[0]
    assert VALID_ANSWER["rootCause"] in waited.stdout and "120 tokens in, 80 out" in waited.stdout
    assert len(anthropic.bodies()) == 1, "the pending run was waited for, not queued again"


def test_pgwarden_analyze_refusals_exit_non_zero_with_their_code(db, pgwarden):
    (error_id,) = capture(db, new_tenant(db), javascript_error())
    unknown = pgwarden("analyze", "00000000-0000-0000-0000-00000000dead")
    assert unknown.returncode == 4 and "QN001" in unknown.stderr
    assert pgwarden("analyze", error_id, "--provider", "llama").returncode == 2, "a usage error"
    assert pgwarden("analyze", "not-an-id").returncode == 4, "an id (or id prefix) naming no error group"
