"""`pgwarden jobs list | retry | stats` and `pgwarden worker` argument checks, run as a user would."""

from __future__ import annotations

from workers.settings import REPO_ROOT

PGWARDEN = str(REPO_ROOT / ".venv" / "bin" / "pgwarden")


def test_a_dead_job_is_listed_and_retried_from_the_command_line(db, pgwarden):
    job_id = db.execute("SELECT app.job_enqueue('builtin.fail')").fetchone()[0]
    db.execute("SELECT app.job_claim('cli-test', ARRAY['builtin.fail'], 1)")
    db.execute("SELECT app.job_fail(%s, 'cli-test', 'RuntimeError: broke', false)", [job_id])

    listed = pgwarden("jobs", "list", "--state", "dead")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[:3] for line in listed.stdout.splitlines()[1:]] == [[str(job_id), "builtin.fail", "dead"]]
    assert "RuntimeError: broke" in listed.stdout

    stats = pgwarden("jobs", "stats")
    assert stats.stdout.splitlines()[1].split()[:6] == ["builtin.fail", "0", "0", "0", "0", "1"]

    retried = pgwarden("jobs", "retry", str(job_id))
    assert retried.returncode == 0, retried.stderr
    assert db.execute("SELECT state, attempts FROM app.job WHERE id = %s", [job_id]).fetchone() == ("queued", 0)


def test_retrying_a_job_that_is_not_dead_or_unknown_fails_with_its_code(db, pgwarden):
    job_id = db.execute("SELECT app.job_enqueue('builtin.echo')").fetchone()[0]
    not_dead = pgwarden("jobs", "retry", str(job_id))
    assert not_dead.returncode == 1 and not_dead.stderr.startswith("error QS001")
    unknown = pgwarden("jobs", "retry", "987654321")
    assert unknown.returncode == 4 and unknown.stderr.startswith("error QN001")


def test_a_worker_for_a_kind_without_handler_refuses_to_start(pgwarden):
    refused = pgwarden("worker", "--kinds", "no.such_kind")
    assert refused.returncode == 2
    assert "no.such_kind" in refused.stderr
