"""health.probe: run one monitor's probe and hand back what it observed; SQL judges it.

Payload (built by app.health_probe_payload, so the handler needs no database):
    {"monitor_id", "probe", "target", "scheduled_for", "expires_at", "run_id", "body_limit"}
(body_limit: how much of a response body SQL's conditions read; the rest is not sent back.)
Result (read by app.health_on_probe_result when the runner completes the job):
    {"monitor_id", "observation", "started_at", "scheduled_for", "run_id"}
or, for a job that only got to run after its expires_at (a newer slot has been scheduled since),
    {"monitor_id", "skipped": "expired", "scheduled_for", "run_id"}.

Secrets stay out of the database: a target key ending in `_env` names an environment variable of
the worker, e.g. {"api_key_env": "PGWARDEN_STRIPE_API_KEY"} becomes {"api_key": <its value>}.
A probe that cannot run (variable unset, unknown probe kind, malformed target, a crash inside it)
is reported as an observation with `probe_error`, which SQL records as unknown.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from workers.handlers import handler
from workers.probes import PROBES
from workers.probes.http import new_observation

ENV_SUFFIX = "_env"


class ProbeCannotRun(Exception):
    """The target cannot be turned into a probe call (e.g. a secret's variable is unset)."""


def resolve_secrets(target: dict[str, Any]) -> dict[str, Any]:
    """Replace every `<name>_env` key by `<name>` with the value of that environment variable."""
    resolved = {key: value for key, value in target.items() if not key.endswith(ENV_SUFFIX)}
    for key, variable in target.items():
        if not key.endswith(ENV_SUFFIX):
            continue
        value = os.environ.get(str(variable))
        if not value:
            raise ProbeCannotRun(f"environment variable {variable} (for {key.removesuffix(ENV_SUFFIX)}) is not set")
        resolved[key.removesuffix(ENV_SUFFIX)] = value
    return resolved


def observe(probe_kind: str, target: dict[str, Any]) -> dict[str, Any]:
    """Run the probe; anything that keeps it from running becomes a probe_error observation."""
    try:
        probe = PROBES[probe_kind]
    except KeyError:
        return {**new_observation(), "probe_error": f"no probe named {probe_kind!r}"}
    try:
        return probe(resolve_secrets(target))
    except Exception as exc:  # a broken probe is an unknown verdict, not a failed job
        return {**new_observation(), "probe_error": f"{type(exc).__name__}: {exc}"}


@handler("health.probe")
def probe_monitor(payload: dict) -> dict:
    result = {key: payload.get(key) for key in ("monitor_id", "scheduled_for", "run_id")}
    now = datetime.now(UTC)
    expires_at = payload.get("expires_at")
    if expires_at and now > datetime.fromisoformat(expires_at):
        return {**result, "skipped": "expired"}
    observation = observe(str(payload.get("probe")), payload.get("target") or {})
    if isinstance(observation.get("body"), str) and isinstance(payload.get("body_limit"), int):
        observation["body"] = observation["body"][: payload["body_limit"]]  # SQL says how much it reads
    return {**result, "started_at": now.isoformat(), "observation": observation}
