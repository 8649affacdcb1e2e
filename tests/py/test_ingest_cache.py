"""The derivation cache under concurrency (committed transactions, real connections) and its prune job."""

from __future__ import annotations

import json
import random
import threading
import uuid

import psycopg

CAPTURE = "SELECT count(*) FILTER (WHERE error IS NULL) FROM app.capture_batch(%s, NULL, %s)"


def test_the_cache_prune_job_is_scheduled(cron_database_url):
    with psycopg.connect(cron_database_url, autocommit=True) as conn:
        jobs = dict(conn.execute("SELECT jobname, schedule || ' ' || command FROM cron.job").fetchall())
    assert jobs["ingest-derivation-cache-prune"] == "*/10 * * * * SELECT app.derivation_cache_prune()"


def test_concurrent_batches_storing_the_same_new_inputs_in_different_orders_neither_deadlock_nor_lose_a_count(
        database_url):
    organization_id = str(uuid.uuid4())
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'cache')", [organization_id])
        conn.execute("SELECT app.rate_limit_set(%s, 0)", [organization_id])

    def batch(seed: int, round_: int) -> list[dict]:
        # every round brings 40 stack traces and agents no batch has seen, in another order per thread
        events = [{"message": f"TypeError: kind {kind}", "error_type": "javascript",
                   "stack_trace": f"TypeError: kind {kind}\n    at render{round_}x{kind} (https://shop.test/app.js:1:1)",
                   "user_agent": f"pgwarden-test/{round_}.{kind % 10}"}
                  for kind in range(40)]
        random.Random(seed).shuffle(events)
        return events

    accepted: list[int] = []
    failures: list[BaseException] = []

    def worker(thread: int) -> None:
        try:
            with psycopg.connect(database_url, autocommit=True) as conn:
                for round_ in range(6):
                    events = json.dumps(batch(thread * 10 + round_, round_))
                    accepted.append(conn.execute(CAPTURE, [organization_id, events]).fetchone()[0])
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures
    assert sum(accepted) == 4 * 6 * 40
    with psycopg.connect(database_url, autocommit=True) as conn:
        events, occurrences, groups, stacks, agents = conn.execute(
            """SELECT (SELECT count(*) FROM app.error_events WHERE organization_id = %(org)s),
                      (SELECT sum(occurrence_count) FROM app.system_errors WHERE organization_id = %(org)s),
                      (SELECT count(*) FROM app.system_errors WHERE organization_id = %(org)s),
                      (SELECT count(*) FROM app.derivation_cache WHERE kind = 'stack_trace'),
                      (SELECT count(*) FROM app.derivation_cache WHERE kind = 'user_agent')""",
            {"org": organization_id}).fetchone()
    assert events == occurrences == 4 * 6 * 40
    assert groups == 6 * 40  # each round's stacks are other groups; the threads' copies of them are one
    assert (stacks, agents) == (6 * 40, 6 * 10)  # each input stored once, whichever batch derived it first


def stored_message(conn: psycopg.Connection, organization_id: str, message: str) -> str:
    result = conn.execute("SELECT result FROM app.capture_batch(%s, NULL, %s)",
                          [organization_id, json.dumps([{"message": message}])]).fetchone()[0]
    return conn.execute("SELECT message FROM app.error_events WHERE event_id = %s",
                        [str(uuid.UUID(result["event_id"]))]).fetchone()[0]


def test_a_scrub_rule_committed_elsewhere_applies_to_the_next_capture_of_a_session_that_built_its_patterns(
        database_url):
    organization_id = str(uuid.uuid4())
    with psycopg.connect(database_url, autocommit=True) as capturer, \
            psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'rules')", [organization_id])
        admin.execute("SELECT app.rate_limit_set(%s, 0)", [organization_id])
        # the capturing session builds and keeps its combined patterns
        assert stored_message(capturer, organization_id, "order ORD-123456 failed") == "order ORD-123456 failed"
        admin.execute("INSERT INTO app.scrub_rule (kind, pattern, replacement, description)"
                      " VALUES ('value', 'ORD-[0-9]{6}', '[order]', 'order numbers')")
        assert stored_message(capturer, organization_id, "order ORD-123456 failed") == "order [order] failed"


def test_a_rolled_back_rule_change_leaves_nothing_in_the_session_that_made_it(database_url):
    organization_id = str(uuid.uuid4())
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'rules')", [organization_id])
        conn.execute("SELECT app.rate_limit_set(%s, 0)", [organization_id])
        with conn.transaction(force_rollback=True):
            conn.execute("INSERT INTO app.scrub_rule (kind, pattern, replacement, description)"
                         " VALUES ('value', 'ORD-[0-9]{6}', '[order]', 'order numbers')")
            assert stored_message(conn, organization_id, "order ORD-654321 failed") == "order [order] failed"
        assert stored_message(conn, organization_id, "order ORD-654321 failed") == "order ORD-654321 failed"
