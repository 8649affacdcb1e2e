"""pg_cron keeps event partitions ahead, runs retention nightly, links late feedback and folds the statistics
rollups each minute (in the database that has pg_cron)."""

from __future__ import annotations

import psycopg


def test_partition_upkeep_nightly_retention_late_feedback_links_and_rollups_are_scheduled(cron_database_url):
    with psycopg.connect(cron_database_url, autocommit=True) as conn:
        jobs = dict(conn.execute("SELECT jobname, schedule || ' ' || command FROM cron.job").fetchall())
    assert jobs["ingest-partitions"] == "7 * * * * SELECT app.error_events_ensure_partitions()"
    assert jobs["ingest-retention"] == "17 3 * * * SELECT app.retention_run()"
    assert jobs["ingest-feedback-late-links"] == "* * * * * SELECT app.report_link_late()"
    assert jobs["stats-rollup"] == "* * * * * SELECT app.error_rollup_fold()"


def test_a_fresh_database_can_ingest_before_cron_first_runs(db):
    # the code layer creates the partitions itself: today and the days ahead already exist
    today = db.execute("SELECT 'app.error_events_p' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD')").fetchone()[0]
    partitions = [name for (name,) in db.execute(
        "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'app.error_events'::regclass")]
    assert today in partitions
    assert len([name for name in partitions if name >= today and name != "app.error_events_default"]) >= 7


def test_nightly_retention_trims_pg_crons_own_run_log(cron_database_url):
    # pg_cron logs every run (about 8 a minute here) and never forgets one by itself
    # one transaction, rolled back: the shared database stays as it was
    with psycopg.connect(cron_database_url) as conn:
        conn.execute("""INSERT INTO cron.job_run_details (jobid, database, username, command, status, start_time,
                                                          end_time)
                        VALUES (0, 'pgwarden', 'postgres', 'SELECT 1', 'succeeded', now() - interval '8 days',
                                now() - interval '8 days'),
                               (0, 'pgwarden', 'postgres', 'SELECT 2', 'succeeded', now() - interval '6 days',
                                now() - interval '6 days')""")
        deleted = conn.execute("SELECT app.retention_run() -> 'deleted' -> 'cron_run_details'").fetchone()[0]
        left = [command for (command,) in conn.execute("SELECT command FROM cron.job_run_details WHERE jobid = 0")]
        conn.rollback()
    assert (deleted, left) == (1, ["SELECT 2"]), "runs older than a week (retention_setting.cron_run_details) go"
