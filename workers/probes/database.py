"""PostgreSQL probe: connect, run one query (default SELECT 1), report what the server said."""

from __future__ import annotations

import math
import time
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from workers.errors import first_line
from workers.probes.http import elapsed_ms, new_observation

# libpq and psycopg treat any connect_timeout below 2 s as 2 s.
MIN_CONNECT_TIMEOUT_SECONDS = 2


def probe_database(target: dict[str, Any]) -> dict[str, Any]:
    query: str = target.get("query") or "SELECT 1"
    timeout = float(target.get("timeout_seconds", 5))
    conninfo = _probe_conninfo(target["dsn"], timeout)
    observation = new_observation()
    details = observation["details"]
    started = time.perf_counter()
    try:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            # Connected: the server answers from here on, even if the query then fails.
            observation["reachable"] = True
            details["server_version"] = connection.info.parameter_status("server_version")
            details["server_version_num"] = connection.info.server_version
            with connection.cursor() as cursor:
                cursor.execute(query)  # type: ignore[arg-type]  # configured per monitor, not a literal
                details["row_count"] = cursor.rowcount
                row = cursor.fetchone() if cursor.description else None
                details["first_value"] = _json_value(row[0]) if row else None
    except (psycopg.errors.ConnectionTimeout, psycopg.errors.QueryCanceled) as exc:
        # QueryCanceled here is our statement_timeout firing.
        observation.update(timed_out=True, error="timeout")
        details["sqlstate"] = exc.sqlstate
    except psycopg.Error as exc:
        details["sqlstate"] = exc.sqlstate
        stage = "query failed" if observation["reachable"] else "connect failed"
        observation["error"] = f"{stage}: {first_line(exc)}"
    observation["response_time_ms"] = elapsed_ms(started)
    return observation


def _probe_conninfo(dsn: str, timeout: float) -> str:
    """The target's DSN plus our timeouts; options the DSN already sets are kept."""
    params = conninfo_to_dict(dsn)
    statement_timeout = f"-c statement_timeout={max(1, round(timeout * 1000))}"
    params["options"] = f"{params.get('options', '')} {statement_timeout}".strip()
    params["connect_timeout"] = max(MIN_CONNECT_TIMEOUT_SECONDS, math.ceil(timeout))
    params.setdefault("application_name", "pgwarden-probe")
    return make_conninfo(**params)


def _json_value(value: Any) -> Any:
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


