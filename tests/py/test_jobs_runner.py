"""The runner with real handlers and a real database: how failures, Retry-After and unhandled kinds
play out over several attempts (the policy itself is SQL's; these prove the runner follows it)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.py.jobs_support import InProcessWorker, idle_claimers, wait_until

FAST = {"poll_seconds": 0.05, "concurrency": 2}


def finished(db, job_id: int):
    return db.execute("SELECT state, attempts, failures FROM app.job_history WHERE id = %s", [job_id]).fetchone()


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_handler_that_raises_is_retried_with_growing_delays_then_dead(db, database_url):
    db.execute("UPDATE app.job_setting SET backoff_base_seconds = 0.05, backoff_cap_seconds = 10")
    job_id = db.execute("""SELECT app.job_enqueue('builtin.fail', '{"message": "upstream broke"}', NULL, NULL, 0, 5)
                        """).fetchone()[0]
    with InProcessWorker(database_url, ("builtin.fail",), **FAST):
        state, attempts, failures = wait_until(lambda: finished(db, job_id), what="the job to die")

    assert (state, attempts) == ("dead", 5)
    assert [failure["attempt"] for failure in failures] == [1, 2, 3, 4, 5]
    assert all(failure["error"] == "RuntimeError: upstream broke" for failure in failures)
    for earlier, later in zip(failures, failures[1:], strict=False):
        delay = moment(earlier["retry_at"]) - moment(earlier["failed_at"])
        bound = timedelta(seconds=0.05 * 2 ** earlier["attempt"])  # full jitter under base * 2^attempt
        assert timedelta(0) <= delay <= bound
        assert moment(later["claimed_at"]) >= moment(earlier["retry_at"]), "no retry before its time"
    assert "retry_at" not in failures[-1], "a dead job is not scheduled again"


def test_retry_after_from_the_handler_wins_over_the_backoff(db, database_url):
    db.execute("UPDATE app.job_setting SET backoff_base_seconds = 1000, backoff_cap_seconds = 1000")
    job_id = db.execute("""SELECT app.job_enqueue('builtin.fail', '{"mode": "retryable", "retry_after": 0.4}',
                                                  NULL, NULL, 0, 2)""").fetchone()[0]
    with InProcessWorker(database_url, ("builtin.fail",), **FAST):
        state, attempts, failures = wait_until(lambda: finished(db, job_id), what="the job to die")

    assert (state, attempts) == ("dead", 2)
    first, second = failures
    assert moment(first["retry_at"]) - moment(first["failed_at"]) == timedelta(seconds=0.4)
    assert moment(second["claimed_at"]) >= moment(first["retry_at"])


def test_a_permanent_failure_is_dead_after_one_attempt(db, database_url):
    job_id = db.execute("""SELECT app.job_enqueue('builtin.fail', '{"mode": "permanent"}')""").fetchone()[0]
    with InProcessWorker(database_url, ("builtin.fail",), **FAST):
        state, attempts, failures = wait_until(lambda: finished(db, job_id), what="the job to die")
    assert (state, attempts, len(failures)) == ("dead", 1, 1)


def test_a_job_scheduled_a_moment_ahead_runs_when_due_not_at_the_next_poll(db, database_url):
    with InProcessWorker(database_url, ("builtin.echo",), poll_seconds=600, concurrency=1) as runner:
        wait_until(lambda: runner.listener.listening.is_set() and idle_claimers(db) == 1, what="an idle worker")
        job_id = db.execute("SELECT app.job_enqueue('builtin.echo', '{}', NULL, now() + interval '0.3 seconds')"
                            ).fetchone()[0]
        # the enqueue's NOTIFY wakes the idle worker before the job is due; it must then sleep until
        # run_at, not for the 600 s poll interval (the deadline is generous, far below the poll)
        state, _, _ = wait_until(lambda: finished(db, job_id), timeout=30, what="the job to run when due")
    assert state == "succeeded"


def test_failure_details_from_the_handler_are_kept_with_the_attempt(db, database_url):
    payload = '{"mode": "permanent", "details": {"status_code": 410}}'
    job_id = db.execute("SELECT app.job_enqueue('builtin.fail', %s::jsonb)", [payload]).fetchone()[0]
    with InProcessWorker(database_url, ("builtin.fail",), **FAST):
        _, _, failures = wait_until(lambda: finished(db, job_id), what="the job to die")
    assert failures[0]["details"] == {"status_code": 410}


def test_a_job_of_a_kind_no_running_worker_handles_just_waits(db, database_url):
    orphan = db.execute("SELECT app.job_enqueue('nobody.handles_this')").fetchone()[0]
    handled = db.execute("SELECT app.job_enqueue('builtin.echo', '{\"x\": 1}')").fetchone()[0]
    with InProcessWorker(database_url, ("builtin.echo",), **FAST):
        wait_until(lambda: finished(db, handled), what="the handled job")
    assert db.execute("SELECT state, attempts FROM app.job WHERE id = %s", [orphan]).fetchone() == ("queued", 0)


def test_a_completed_side_effect_is_not_repeated_when_enqueued_again_with_its_key(db, database_url):
    enqueue = "SELECT app.job_enqueue('builtin.echo', '{\"alert\": 7}', 'alert-7-email')"
    job_id = db.execute(enqueue).fetchone()[0]
    with InProcessWorker(database_url, ("builtin.echo",), **FAST) as runner:
        wait_until(lambda: finished(db, job_id), what="the first delivery")
        assert db.execute(enqueue).fetchone()[0] == job_id
        runner.wake()
    assert db.execute("SELECT count(*) FROM app.job").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM app.job_history").fetchone()[0] == 1


def test_a_handler_result_that_is_not_json_kills_the_job_instead_of_the_worker(db, database_url):
    from workers.handlers import REGISTRY, handler

    handler("test.not_json")(lambda payload: {"when": datetime.now()})
    try:
        job_id = db.execute("SELECT app.job_enqueue('test.not_json')").fetchone()[0]
        with InProcessWorker(database_url, ("test.not_json",), **FAST) as runner:
            state, attempts, failures = wait_until(lambda: finished(db, job_id), what="the job to die")
            assert not runner.crashed
    finally:
        REGISTRY.pop("test.not_json")
    assert (state, attempts) == ("dead", 1)
    assert "not JSON" in failures[0]["error"]


def test_a_job_running_longer_than_its_lease_keeps_it_through_heartbeats(db, database_url):
    job_id = db.execute("""SELECT app.job_enqueue('builtin.sleep', '{"seconds": 2.5}')""").fetchone()[0]
    with InProcessWorker(database_url, ("builtin.sleep",), lease_seconds=1, reap_seconds=0.2, poll_seconds=0.05):
        state, attempts, failures = wait_until(lambda: finished(db, job_id), what="the long job")
    assert (state, attempts, failures) == ("succeeded", 1, []), "never reaped although the job outlived its lease"
