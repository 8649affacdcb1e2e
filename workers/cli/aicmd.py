"""`pgwarden analyze ERROR_ID`: an error group's AI analysis, readably. SQL decides everything
(provider, cache, budget, fallback: app.ai_request); this asks, waits if told to, and prints."""

from __future__ import annotations

import textwrap
import time
from typing import Any

import click
import psycopg

from workers import sql
from workers.cli.context import stack
from workers.cli.output import json_option, print_json
from workers.db import connect
from workers.stack.runtime import say

WIDTH = 100
LABEL = 15


def wait_until_done(conn: psycopg.Connection, answer: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Re-read the run on every ai:analysis notification (and each second) until it is done."""
    conn.execute(sql.AI_LISTEN)
    deadline = time.monotonic() + timeout
    while not answer["done"] and time.monotonic() < deadline:
        for _ in conn.notifies(timeout=min(1.0, max(0.0, deadline - time.monotonic())), stop_after=1):
            pass
        answer = conn.execute(sql.AI_RUN_ANSWER, [answer["id"]]).fetchone()[0]
    return answer


def field(label: str, text: Any) -> str:
    """A label and its text, wrapped under the label's column."""
    body = str(text).strip() if text not in (None, "") else "-"
    lines = [line for paragraph in body.splitlines()
             for line in textwrap.wrap(paragraph, WIDTH - LABEL, break_on_hyphens=False) or [""]]
    return "\n".join(f"{label if number == 0 else '':<{LABEL}}{line}" for number, line in enumerate(lines))


def describe(answer: dict[str, Any]) -> str:
    analysis = answer.get("analysis") or {}
    lines = [f"Analysis {answer['id']} of error {answer['errorId']}: "
             f"{answer['provider']} ({answer['model']}), {answer['status']}"]
    if answer["status"] == "failed":
        lines.append(field("Failed", answer.get("reason")))
    if not answer["done"]:
        lines.append("Not answered yet: run again with --wait, or read it later with the same command.")
        return "\n".join(lines)
    fallback = analysis.get("fallback")
    if fallback:
        lines.append(field("Fallback", f"the heuristic stood in for {fallback.get('from')}: {fallback.get('reason')}"))
    lines += [field("Severity", f"{analysis.get('severity')}/5"),
              field("Root cause", analysis.get("rootCause")),
              field("Impact", analysis.get("impact")),
              field("Suggested fix", analysis.get("suggestedFix")),
              field("Prevention", analysis.get("prevention"))]
    if analysis.get("fixClass"):
        lines.append(field("Fix class", f"{analysis['fixClass']} (auto-fix: {analysis.get('autoFix')}, "
                                        f"language: {analysis.get('language')})"))
    lines.append(field("Related", "\n".join(analysis.get("relatedErrors") or []) or "none"))
    usage = analysis.get("usage")
    if usage:
        lines.append(field("Usage", f"{usage.get('inputTokens')} tokens in, {usage.get('outputTokens')} out, "
                                    f"{analysis.get('latencyMs')} ms"))
    lines.append(field("Analysed", f"{analysis.get('analyzedAt')} by {analysis.get('provider')} "
                                   f"({analysis.get('model')})" + (" (from cache)" if answer.get("reused") else "")))
    return "\n".join(lines)


@click.command("analyze")
@click.argument("error_id")
@click.option("--provider", type=click.Choice(["anthropic", "openai", "heuristic"]),
              help="Who analyses it (default: PGWARDEN_AI_PROVIDER, else a configured provider, else heuristic).")
@click.option("--fresh", is_flag=True, help="Ask again even when a cached analysis would do.")
@click.option("--wait", is_flag=True, help="Wait for a provider's answer (up to --timeout seconds).")
@click.option("--timeout", type=click.FloatRange(0), default=120.0, show_default=True, help="How long --wait waits.")
@json_option
def analyze(error_id: str, provider: str | None, fresh: bool, wait: bool, timeout: float, as_json: bool) -> None:
    """Analyse an error group (root cause, impact, fix, prevention, severity, related errors) and print it."""
    with connect(stack().database_url) as conn:
        answer = conn.execute(sql.AI_REQUEST, [conn.execute(sql.ERROR_REF, [error_id]).fetchone()[0], provider,
                                               fresh]).fetchone()[0]
        if wait and not answer["done"]:
            answer = wait_until_done(conn, answer, timeout)
    if as_json:
        print_json(answer)
    else:
        say(describe(answer))
    if wait and not answer["done"]:
        raise click.ClickException(f"no answer within {timeout:g} s (the analysis goes on: {answer['id']})")


COMMANDS = (analyze,)
