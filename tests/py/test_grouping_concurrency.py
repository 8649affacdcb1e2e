"""A capture racing with a merge or an unmerge of its group (two real sessions, interleaved)."""

from __future__ import annotations

import json
import threading
import time

import psycopg

CAPTURE = "SELECT result FROM app.capture_batch(%s, NULL, %s)"



def capture(conn: psycopg.Connection, organization_id: str, message: str) -> dict:
    events = json.dumps([{"message": message, "error_type": "api"}])
    return conn.execute(CAPTURE, [organization_id, events]).fetchone()[0]


def capture_in_another_session(database_url: str, organization_id: str, message: str) -> tuple[threading.Thread, dict]:
    """Starts a capture in a session of its own; returns its thread and where its answer (or failure) lands."""
    outcome: dict = {}

    def run() -> None:
        try:
            with psycopg.connect(database_url, autocommit=True) as conn:
                outcome["pid"] = conn.info.backend_pid
                outcome["result"] = capture(conn, organization_id, message)
        except BaseException as exc:  # noqa: BLE001 - asserted by the test
            outcome["failure"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def wait_until_blocked(conn: psycopg.Connection, outcome: dict) -> None:
    """Until the other session waits for a lock (the merging session holds it)."""
    for _ in range(200):
        if "pid" in outcome and conn.execute(
                "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", [outcome["pid"]]).fetchone()[0]:
            return
        assert "result" not in outcome and "failure" not in outcome, f"the capture did not wait: {outcome}"
        time.sleep(0.05)
    raise AssertionError("the capture never waited for the merge")


def capture_until_committed(database_url: str, observer: psycopg.Connection, holder: psycopg.Connection,
                            organization_id: str, message: str) -> dict:
    """A capture in another session that waits for the holder's uncommitted change, which then commits."""
    thread, outcome = capture_in_another_session(database_url, organization_id, message)
    wait_until_blocked(observer, outcome)
    holder.commit()
    thread.join(30)
    assert "failure" not in outcome, outcome
    return outcome["result"]


def two_groups(conn: psycopg.Connection, organization_id: str) -> tuple[dict, dict]:
    return (capture(conn, organization_id, "Payment provider timed out"),
            capture(conn, organization_id, "Payment provider answered 502"))


def groups(conn: psycopg.Connection, organization_id: str) -> dict[str, int]:
    return dict(conn.execute("SELECT error_hash, occurrence_count FROM app.system_errors WHERE organization_id = %s",
                             [organization_id]).fetchall())


def test_a_capture_during_a_merge_joins_the_target_and_never_recreates_the_merged_group(database_url, organization):
    with psycopg.connect(database_url, autocommit=True) as observer, psycopg.connect(database_url) as merging:
        target, source = two_groups(observer, organization)

        merging.execute("SELECT app.error_groups_merge(%s, ARRAY[%s]::uuid[])", [target["id"], source["id"]])
        result = capture_until_committed(database_url, observer, merging, organization, "Payment provider answered 502")

        assert result["error_hash"] == target["error_hash"]
        assert groups(observer, organization) == {target["error_hash"]: 3}
        assert observer.execute(
            "SELECT array_agg(DISTINCT error_hash) FROM app.error_events WHERE organization_id = %s",
            [organization]).fetchone()[0] == [target["error_hash"]]
        assert observer.execute(
            "SELECT error_hash, sum(event_count)::int FROM app.error_metrics WHERE organization_id = %s GROUP BY 1",
            [organization]).fetchall() == [(target["error_hash"], 3)]


def test_a_capture_during_an_unmerge_joins_the_group_its_hash_forms_again(database_url, organization):
    with psycopg.connect(database_url, autocommit=True) as observer, psycopg.connect(database_url) as unmerging:
        target, source = two_groups(observer, organization)
        observer.execute("SELECT app.error_groups_merge(%s, ARRAY[%s]::uuid[])", [target["id"], source["id"]])

        unmerging.execute("SELECT app.error_group_unmerge(%s, %s)", [target["id"], source["error_hash"]])
        result = capture_until_committed(database_url, observer, unmerging, organization,
                                         "Payment provider answered 502")

        assert result["error_hash"] == source["error_hash"]
        assert groups(observer, organization) == {target["error_hash"]: 1, source["error_hash"]: 2}
