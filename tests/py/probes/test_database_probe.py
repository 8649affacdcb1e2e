"""The database probe connects, runs one query and reports what PostgreSQL said.

`database_url` (a throwaway real database) comes from the top-level tests/conftest.py.
"""

import json

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from workers.probes.database import probe_database

pytest_plugins = ["servers"]


def test_select_1_against_a_real_database_is_observed_with_server_version(database_url: str) -> None:
    observation = probe_database({"dsn": database_url})

    assert (observation["reachable"], observation["error"], observation["timed_out"]) == (True, None, False)
    assert observation["details"]["first_value"] == 1
    assert observation["details"]["server_version_num"] >= 140000
    assert observation["details"]["server_version"].split(".")[0].isdigit()
    assert isinstance(observation["response_time_ms"], int)
    assert json.loads(json.dumps(observation)) == observation


def test_the_configured_query_runs_and_its_first_value_is_recorded(database_url: str) -> None:
    observation = probe_database({"dsn": database_url, "query": "SELECT count(*) FROM pg_database"})

    assert observation["details"]["row_count"] == 1
    assert observation["details"]["first_value"] >= 1


def test_the_timeout_becomes_the_sessions_statement_timeout(database_url: str) -> None:
    observation = probe_database(
        {"dsn": database_url, "query": "SHOW statement_timeout", "timeout_seconds": 3}
    )

    assert observation["details"]["first_value"] == "3s"


def test_options_already_in_the_dsn_are_kept(database_url: str) -> None:
    dsn = make_conninfo(**{**conninfo_to_dict(database_url), "options": "-c search_path=probe_schema"})

    observation = probe_database({"dsn": dsn, "query": "SHOW search_path"})

    assert observation["details"]["first_value"] == "probe_schema"


def test_query_past_timeout_is_cancelled_and_observed_as_timed_out(database_url: str) -> None:
    observation = probe_database({"dsn": database_url, "query": "SELECT pg_sleep(5)", "timeout_seconds": 0.3})

    assert (observation["timed_out"], observation["error"]) == (True, "timeout")
    assert observation["reachable"] is True  # connected; the server cancelled the query
    assert observation["details"]["sqlstate"] == "57014"  # query_canceled


def test_failing_query_is_observed_with_its_sqlstate(database_url: str) -> None:
    observation = probe_database({"dsn": database_url, "query": "SELECT * FROM no_such_table"})

    assert observation["reachable"] is True
    assert observation["error"].startswith("query failed")
    assert observation["details"]["sqlstate"] == "42P01"  # undefined_table


def test_closed_port_is_observed_as_unreachable(closed_port: int) -> None:
    observation = probe_database({"dsn": f"postgresql://probe@127.0.0.1:{closed_port}/postgres"})

    assert (observation["reachable"], observation["timed_out"]) == (False, False)
    assert observation["error"].startswith("connect failed")
    assert observation["details"]["sqlstate"] is None


def test_server_that_never_answers_is_observed_as_a_connect_timeout(silent_port: int) -> None:
    # libpq's minimum connect_timeout is 2 s, so this is the slowest probe test.
    dsn = f"postgresql://probe@127.0.0.1:{silent_port}/postgres"

    observation = probe_database({"dsn": dsn, "timeout_seconds": 0.3})

    assert (observation["timed_out"], observation["reachable"], observation["error"]) == (
        True,
        False,
        "timeout",
    )
