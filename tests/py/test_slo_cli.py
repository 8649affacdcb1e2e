"""`pgwarden slo create | list | show | delete`: objectives from the command line, their budget and
burn rates as SQL computed them (db/functions/app/765_slos.sql)."""

from __future__ import annotations

import json


def test_an_objective_is_created_listed_shown_with_its_budget_and_deleted(pgwarden, db):
    monitor_id = db.execute("""SELECT app.health_monitor_add('{"service_name": "slo-shop", "check_type": "external",
                                 "target": {"url": "http://shop.test"}}')""").fetchone()[0]
    # up for a day but the last 14.4 minutes: 1 % of the day, the whole budget of a 99 % objective
    db.execute("""INSERT INTO app.system_uptime (service_name, status, started_at, ended_at, monitor_id)
                  VALUES ('slo-shop', 'operational', now() - interval '1 day', now() - interval '864 seconds', %s),
                         ('slo-shop', 'major_outage', now() - interval '864 seconds', NULL, %s)""",
               [monitor_id, monitor_id])
    db.commit()

    created = pgwarden("slo", "create", "slo-shop", "--target", "99", "--window", "30d")
    assert created.returncode == 0, created.stderr
    listed = json.loads(pgwarden("slo", "list", "--json").stdout)
    shop = next(row for row in listed if row["name"] == "slo-shop")
    assert (shop["target"], shop["window_days"], shop["budget_seconds"]) == (0.99, 30, 25920)
    assert abs(shop["budget_remaining"]) < 0.01, "a day observed, 1 % of it down: the budget is spent"
    assert shop["burn_rates"]["5m"] == 100 and abs(shop["burn_rates"]["1h"] - 24) < 1, "14.4 of 60 minutes: 24x"

    shown = pgwarden("slo", "show", "slo-shop")
    assert shown.returncode == 0 and "burn rate" in shown.stdout and "slo-shop" in shown.stdout

    assert pgwarden("slo", "create", "slo-shop", "--target", "99.9").returncode == 2, "the name is taken (QV765)"
    assert pgwarden("slo", "create", "slo-shop", "--target", "100").returncode == 2, "a target below 100 % (QV765)"
    assert pgwarden("slo", "create", "slo-x", "--target", "99", "--window", "36h").returncode == 2, "whole days (QV001)"
    missing = pgwarden("slo", "create", "nope", "--target", "99")
    assert missing.returncode == 4 and "QN765" in missing.stderr

    assert pgwarden("slo", "delete", "slo-shop").returncode == 0
    assert pgwarden("slo", "show", "slo-shop").returncode == 4
    assert db.execute("SELECT count(*) FROM app.service_slos WHERE name = 'slo-shop'").fetchone() == (0,)


def test_an_uptime_correction_is_added_and_listed_with_its_days_from_the_command_line(pgwarden, db):
    monitor_id = db.execute("""SELECT app.health_monitor_add('{"service_name": "fix-shop", "check_type": "external",
                                 "target": {"url": "http://shop.test"}}')""").fetchone()[0]
    db.execute("""INSERT INTO app.system_uptime (service_name, status, started_at, ended_at, monitor_id)
                  VALUES ('fix-shop', 'major_outage', '2026-01-10T10:00Z', '2026-01-10T12:00Z', %s)""", [monitor_id])
    db.commit()

    added = pgwarden("correction", "add", "fix-shop", "--kind", "probe_bug", "--from", "2026-01-10T10:00Z",
                     "--until", "2026-01-10T11:00Z", "--reason", "the probe's DNS cache was stale", "--quiet")
    assert added.returncode == 0, added.stderr
    [row] = json.loads(pgwarden("correction", "list", "fix-shop", "--json").stdout)
    assert (row["day"], row["previous_uptime_percentage"], row["corrected_uptime_percentage"]) == (
        "2026-01-10", "0.0000", "0.0000"), "down all the observed time, before and after (the hour left out)"
    assert row["author"].startswith("cli:") and row["reason"] == "the probe's DNS cache was stale"
    assert pgwarden("correction", "add", "fix-shop", "--kind", "probe_bug", "--from", "-1h", "--until", "-2h",
                    "--reason", "x").returncode == 2, "a range ending before it starts (QV535)"
