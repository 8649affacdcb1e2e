"""SLO burn-rate evaluation at scale: --slos availability objectives (default 1,000), each on its own
monitor with 30 days of status intervals (ten minutes down every day, and every tenth one down for
the last 20 minutes), and a platform uptime_incident rule paging on all three burn-rate alerts.
Times app.slo_evaluate (what pg_cron runs each minute) and prints the CPU the database backend
spent per evaluation, read from /proc, and what that is as a share of one core at one evaluation
a minute. Asserts nothing. Goal (issue 21): < 10 % of one core.

    .venv/bin/python bench/slo.py                  # 1,000 objectives, 5 evaluations
    .venv/bin/python bench/slo.py --slos 100 --runs 2

Runs on a throwaway cluster (durability off: what is measured is the evaluation's CPU).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import psycopg

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchlib import cpu_seconds, throwaway_database  # noqa: E402

SEED = """
INSERT INTO app.health_monitors (service_name, display_name, check_type, probe, target, interval_seconds, enabled)
SELECT 'svc-' || i, 'Service ' || i, 'external', 'http', '{"url": "http://svc.test"}', 60, false
  FROM generate_series(1, %(slos)s) i;

INSERT INTO app.system_uptime (service_name, status, started_at, ended_at, duration_seconds, monitor_id)
SELECT m.service_name, p.status::app.uptime_status_enum, p.started_at, p.ended_at,
       extract(epoch FROM p.ended_at - p.started_at), m.id
  FROM app.health_monitors m
 CROSS JOIN LATERAL (
   SELECT 'operational' AS status, d AS started_at, d + interval '23 hours 50 minutes' AS ended_at
     FROM generate_series(date_trunc('minute', now()) - interval '30 days', now() - interval '2 days',
                          interval '1 day') d
   UNION ALL
   SELECT 'major_outage', d + interval '23 hours 50 minutes', d + interval '1 day'
     FROM generate_series(date_trunc('minute', now()) - interval '30 days', now() - interval '2 days',
                          interval '1 day') d) p
 WHERE m.service_name LIKE 'svc-%%';

-- the last stretch: up until now, or down for the last 20 minutes (every tenth)
INSERT INTO app.system_uptime (service_name, status, started_at, ended_at, duration_seconds, monitor_id)
SELECT m.service_name, 'operational', date_trunc('minute', now()) - interval '1 day',
       CASE WHEN m.id %% 10 = 0 THEN now() - interval '20 minutes' END, NULL, m.id
  FROM app.health_monitors m WHERE m.service_name LIKE 'svc-%%';
INSERT INTO app.system_uptime (service_name, status, started_at, monitor_id)
SELECT m.service_name, 'major_outage', now() - interval '20 minutes', m.id
  FROM app.health_monitors m WHERE m.service_name LIKE 'svc-%%' AND m.id %% 10 = 0;

INSERT INTO app.service_slos (monitor_id, name, target)
SELECT m.id, m.service_name, 0.999 FROM app.health_monitors m WHERE m.service_name LIKE 'svc-%%';
"""
RULE = """SELECT id FROM app.alert_rule_create('{"alert_type": "uptime_incident", "channel": "in_app",
            "trigger_conditions": {"slo_burn": ["page_fast", "page_slow", "ticket"]}}')"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slos", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with throwaway_database(fast=True) as (_, url), psycopg.connect(url, autocommit=True) as conn:
        for statement in filter(str.strip, SEED.split(";\n")):
            conn.execute(statement, {"slos": args.slos})
        conn.execute(RULE)
        conn.execute("VACUUM ANALYZE")
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        conn.execute("SELECT app.slo_evaluate()")  # the first one opens the signals
        firing = conn.execute("SELECT count(*) FILTER (WHERE cardinality(firing) > 0),"
                              " count(*) FILTER (WHERE 'page_fast' = ANY (firing)) FROM app.service_slos").fetchone()
        signals = conn.execute("SELECT count(*) FROM app.alert_signals WHERE resolved_at IS NULL").fetchone()[0]
        print(f"{args.slos} objectives, {firing[0]} with an alert holding ({firing[1]} page_fast), "
              f"{signals} open signals; load average {os.getloadavg()[0]:.2f}")
        per_run = []
        for run in range(1, args.runs + 1):
            cpu_before, wall_before = cpu_seconds(backend), time.perf_counter()
            evaluated = conn.execute("SELECT app.slo_evaluate()").fetchone()[0]
            cpu = cpu_seconds(backend) - cpu_before
            wall = time.perf_counter() - wall_before
            per_run.append(cpu)
            print(f"evaluation {run}: {evaluated} objectives in {wall * 1000:.0f} ms wall, {cpu:.2f} s CPU "
                  f"({cpu / evaluated * 1000:.2f} ms each) = {cpu / 60 * 100:.1f} % of one core at one a minute")
        best, median = min(per_run), sorted(per_run)[len(per_run) // 2]
        print(f"CPU per evaluation: median {median:.2f} s, best {best:.2f} s -> {median / 60 * 100:.1f} % of one core "
              f"(goal < 10 %) ; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
