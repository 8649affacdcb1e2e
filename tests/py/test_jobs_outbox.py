"""Enqueueing as an outbox: jobs and their wake-up exist only once the enqueuing transaction
commits; one NOTIFY per statement carries the count; idempotency keys hold under concurrency."""

from __future__ import annotations

import json
import threading

import psycopg
import pytest


@pytest.fixture
def listener(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute('LISTEN "jobs:insert"')
        yield conn


def received(listener, timeout: float = 0.5) -> list[dict]:
    return [json.loads(note.payload) for note in listener.notifies(timeout=timeout)]


def test_one_insert_statement_sends_one_notification_with_the_count_of_due_jobs(db, listener):
    db.execute("""INSERT INTO app.job (kind, run_at)
                  SELECT 'test.bulk', CASE WHEN n <= 3 THEN now() ELSE now() + interval '1 hour' END
                    FROM generate_series(1, 5) n""")
    assert received(listener) == [{"count": 3}]


def test_a_job_due_within_the_minute_wakes_idle_workers_so_they_sleep_until_it_is_due(db, listener):
    db.execute("SELECT app.job_enqueue('test.soon', '{}', NULL, now() + interval '5 seconds')")
    assert received(listener) == [{"count": 0}]


def test_jobs_scheduled_for_later_wake_nobody(db, listener):
    db.execute("SELECT app.job_enqueue('test.later', '{}', NULL, now() + interval '1 hour')")
    assert received(listener) == []


def test_a_job_enqueued_in_a_rolled_back_transaction_never_existed(db, database_url, listener):
    with psycopg.connect(database_url) as conn:
        conn.execute("SELECT app.job_enqueue('test.outbox')")
        conn.rollback()
    assert received(listener) == []
    assert db.execute("SELECT count(*) FROM app.job").fetchone()[0] == 0


def test_workers_are_woken_only_when_the_enqueuing_transaction_commits(database_url, listener):
    with psycopg.connect(database_url) as conn:
        conn.execute("SELECT app.job_enqueue('test.outbox')")
        assert received(listener, timeout=0.3) == [], "nothing before commit"
        conn.commit()
    assert received(listener) == [{"count": 1}]


def test_concurrent_enqueues_with_one_key_make_one_job(db, database_url):
    enqueue = "SELECT app.job_enqueue('test.keyed', '{}', 'deliver-42')"
    results: list[int] = []
    with psycopg.connect(database_url) as first:
        first_id = first.execute(enqueue).fetchone()[0]  # not committed yet

        def second() -> None:
            with psycopg.connect(database_url, autocommit=True) as conn:
                results.append(conn.execute(enqueue).fetchone()[0])  # waits for the first to finish

        racer = threading.Thread(target=second)
        racer.start()
        racer.join(0.5)
        assert racer.is_alive(), "the second enqueue waits on the first one's key"
        first.commit()
        racer.join(10)
    assert results == [first_id]
    assert db.execute("SELECT count(*) FROM app.job WHERE kind = 'test.keyed'").fetchone()[0] == 1


def test_a_key_whose_first_enqueue_rolled_back_is_free_again(db, database_url):
    enqueue = "SELECT app.job_enqueue('test.keyed', '{}', 'deliver-43')"
    with psycopg.connect(database_url) as conn:
        abandoned = conn.execute(enqueue).fetchone()[0]
        conn.rollback()
    kept = db.execute(enqueue).fetchone()[0]
    assert kept != abandoned
    assert db.execute("SELECT id FROM app.job WHERE kind = 'test.keyed'").fetchall() == [(kept,)]


def test_pg_cron_reaps_every_minute_and_purges_every_ten(cron_database_url):
    with psycopg.connect(cron_database_url) as conn:
        jobs = dict(conn.execute("SELECT jobname, schedule || ' ' || command FROM cron.job "
                                 "WHERE jobname IN ('jobs-reap', 'jobs-purge')").fetchall())
    assert jobs == {"jobs-reap": "* * * * * SELECT app.job_reap()", "jobs-purge": "*/10 * * * * SELECT app.job_purge()"}
