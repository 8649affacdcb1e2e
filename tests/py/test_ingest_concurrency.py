"""Concurrent capture batches (committed transactions, real connections) and the live feed."""

from __future__ import annotations

import json
import random
import threading

import psycopg

CAPTURE = "SELECT count(*) FILTER (WHERE error IS NULL) FROM app.capture_batch(%s, NULL, %s)"



def run_concurrently(database_url: str, organization_id: str, batches_per_thread: list[list[list[dict]]]) -> int:
    """Each thread sends its batches, one transaction each; returns the events accepted."""
    accepted: list[int] = []
    failures: list[BaseException] = []

    def worker(batches: list[list[dict]]) -> None:
        try:
            with psycopg.connect(database_url, autocommit=True) as conn:
                for batch in batches:
                    accepted.append(conn.execute(CAPTURE, [organization_id, json.dumps(batch)]).fetchone()[0])
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(batches,)) for batches in batches_per_thread]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures
    return sum(accepted)


def totals(database_url: str, organization_id: str) -> tuple[int, int, int]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        return conn.execute(
            """SELECT (SELECT count(*) FROM app.error_events WHERE organization_id = %(org)s),
                      (SELECT sum(occurrence_count) FROM app.system_errors WHERE organization_id = %(org)s),
                      (SELECT sum(event_count) FROM app.error_metrics WHERE organization_id = %(org)s)""",
            {"org": organization_id}).fetchone()


def test_concurrent_batches_of_one_hot_error_neither_deadlock_nor_lose_a_count(database_url, organization):
    hot = [{"message": f"Connection reset by peer on socket {n}", "error_type": "network"} for n in range(50)]
    accepted = run_concurrently(database_url, organization, [[hot] * 10 for _ in range(4)])
    assert accepted == 4 * 10 * 50
    events, occurrences, metered = totals(database_url, organization)
    assert events == occurrences == metered == accepted
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM app.system_errors WHERE organization_id = %s",
                            [organization]).fetchone()[0] == 1


def test_concurrent_batches_touching_many_groups_in_different_orders_do_not_deadlock(database_url, organization):
    def batch(seed: int) -> list[dict]:
        events = [{"message": f"error kind {kind}", "error_type": "runtime", "fingerprint": [f"kind-{kind}"]}
                  for kind in range(30) for _ in range(2)]
        random.Random(seed).shuffle(events)  # each thread meets the groups in another order
        return events

    accepted = run_concurrently(database_url, organization,
                                [[batch(thread * 100 + n) for n in range(8)] for thread in range(4)])
    events, occurrences, metered = totals(database_url, organization)
    assert events == occurrences == metered == accepted == 4 * 8 * 60


def test_new_groups_are_announced_on_the_live_feed_and_ignored_ones_never(database_url, organization):
    with psycopg.connect(database_url, autocommit=True) as listener, \
            psycopg.connect(database_url, autocommit=True) as capturer:
        listener.execute('LISTEN "errors:live"')
        row = capturer.execute("SELECT result FROM app.capture_batch(%s, NULL, %s)",
                               [organization, json.dumps([{"message": "brand new failure"}])]).fetchone()
        group_id = row[0]["id"]
        announced = [json.loads(n.payload) for n in listener.notifies(timeout=5, stop_after=1)]
        assert announced == [{"ids": [group_id]}]

        capturer.execute("UPDATE app.system_errors SET status = 'ignored' WHERE id = %s", [group_id])
        capturer.execute("DELETE FROM app.error_metrics")  # as if a new minute had begun
        capturer.execute("SELECT * FROM app.capture_batch(%s, NULL, %s)",
                         [organization, json.dumps([{"message": "brand new failure"}])])
        assert list(listener.notifies(timeout=1, stop_after=1)) == []


def test_a_known_group_active_in_a_new_minute_is_announced_once_whether_one_event_or_many(database_url, organization):
    with psycopg.connect(database_url, autocommit=True) as listener, \
            psycopg.connect(database_url, autocommit=True) as capturer:
        def capture(events: list[dict]) -> str:
            rows = capturer.execute("SELECT result FROM app.capture_batch(%s, NULL, %s)",
                                    [organization, json.dumps(events)]).fetchall()
            return rows[0][0]["id"]

        def minutes_seen() -> int:
            return capturer.execute("SELECT count(*) FROM app.error_metrics m JOIN app.system_errors s"
                                    " ON s.organization_id = m.organization_id AND s.error_hash = m.error_hash"
                                    " WHERE s.id = %s", [group_id]).fetchone()[0]

        group_id = capture([{"message": "flaky upstream"}])
        listener.execute('LISTEN "errors:live"')
        minutes_before = minutes_seen()
        capture([{"message": "flaky upstream"}])
        opened_a_minute = minutes_seen() > minutes_before  # (only if the clock just passed a minute)
        announced = [json.loads(n.payload) for n in listener.notifies(timeout=1, stop_after=1)]
        assert announced == ([{"ids": [group_id]}] if opened_a_minute else []), "within a minute: announced once"
        for events in ([{"message": "flaky upstream"}], [{"message": "flaky upstream"}] * 3):
            capturer.execute("DELETE FROM app.error_metrics")  # as if a new minute had begun
            assert capture(events) == group_id
            announced = [json.loads(n.payload) for n in listener.notifies(timeout=5, stop_after=1)]
            assert announced == [{"ids": [group_id]}]
