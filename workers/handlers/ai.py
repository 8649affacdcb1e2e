"""ai.analyze: one analysis by an AI provider; SQL chose the provider, built the prompt (scrubbed, no
personal data) and records the result (db/functions/app/465_ai_runs.sql).

Payload (app._ai_call): {analysis_id, error_id, organization_id, error_hash, transition, provider, model,
prompt_version, system, prompt, candidates, response_schema, max_output_tokens, timeout_seconds}. A
payload without a prompt (a capture's run: app._ai_queue) is handed straight back: SQL then computes
the heuristic's analysis, or takes the provider's budget and builds its prompt (the job only moves
that work out of the capture's transaction).
Result: {analysis_id, status: "ok", analysis, model, usage, latency_ms} with the validated answer, or
{analysis_id, status: "invalid", reason, output, …} when the answer broke the schema twice (the second
call is told what was wrong). Provider failures raise Retryable (429 with Retry-After, 5xx, timeouts)
or Permanent, with the tokens already spent in their details; SQL falls back to the heuristic when
the job dies.
"""

from __future__ import annotations

from typing import Any

from workers.ai import Conversation, Message, Provider, Reply, providers
from workers.ai.answer import parse
from workers.errors import Permanent, Retryable
from workers.handlers import handler

CORRECTION = ("That answer is not valid: {problem}. Answer again with only the JSON object, with exactly the keys "
              "and types asked for.")


class Spent:
    """Tokens and time of the calls made for one analysis."""

    def __init__(self) -> None:
        self.calls = self.input_tokens = self.output_tokens = self.latency_ms = 0

    def add(self, reply: Reply) -> Reply:
        self.calls += 1
        self.input_tokens += reply.input_tokens
        self.output_tokens += reply.output_tokens
        self.latency_ms += reply.latency_ms
        return reply

    def usage(self) -> dict[str, int]:
        return {"calls": self.calls, "input_tokens": self.input_tokens, "output_tokens": self.output_tokens}


def call(complete: Provider, conversation: Conversation, spent: Spent) -> Reply:
    try:
        return spent.add(complete(conversation))
    except (Retryable, Permanent) as failure:
        if spent.calls:  # an earlier call of this attempt was answered: its tokens count
            failure.details = {**(failure.details or {}), "usage": spent.usage()}
        raise


@handler("ai.analyze")
def analyze(payload: dict) -> dict:
    if "analysis_id" not in payload:
        return {}  # queued before analyses had runs: SQL starts its analysis when it records this
    provider = payload.get("provider")
    result: dict[str, Any] = {"analysis_id": payload["analysis_id"], "provider": provider}
    if provider == "heuristic" or "prompt" not in payload:
        return result
    complete = providers().get(str(provider))
    if complete is None:
        raise Permanent(f"no AI provider named {provider!r}")
    conversation = Conversation(model=payload["model"], system=payload["system"],
                                messages=(Message("user", payload["prompt"]),),
                                max_output_tokens=int(payload.get("max_output_tokens") or 1500),
                                timeout_seconds=float(payload.get("timeout_seconds") or 30))
    spent = Spent()
    reply = call(complete, conversation, spent)
    answer, problem = parse(reply.text, payload["response_schema"])
    if problem is not None:
        retry = conversation.followed_by(Message("assistant", reply.text.strip() or "(no text)"),
                                         Message("user", CORRECTION.format(problem=problem)))
        reply = call(complete, retry, spent)
        answer, problem = parse(reply.text, payload["response_schema"])
    result.update(model=reply.model or payload["model"], usage=spent.usage(), latency_ms=spent.latency_ms)
    if problem is not None:
        return {**result, "status": "invalid", "reason": problem, "output": reply.text[:2000]}
    return {**result, "status": "ok", "analysis": answer}
