"""Alert evaluation under concurrent captures: firings of one rule in concurrent transactions wait
for each other at most, never deadlock (a deadlock's victim would lose its alert: evaluation never
fails a capture, so its error is swallowed)."""

from __future__ import annotations

import psycopg

ORG = "00000000-0000-0000-0000-0000000c0c0c"
COUNT_FIRING = "SELECT app._alert_rules_triggered(ARRAY[%s::uuid])"
CAPTURE = ("SELECT count(*) FROM app.capture_batch(%s, %s, jsonb_build_array(jsonb_build_object("
           "'message', %s::text, 'error_type', 'api', 'severity', 'critical')))")


def test_a_rule_fires_while_a_concurrent_firing_of_it_is_in_progress(db, database_url):
    db.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'Concurrent')", [ORG])
    db.execute("SELECT app.rate_limit_set(%s, 0)", [ORG])  # (else its captures take turns on the minute's count)
    project = db.execute("INSERT INTO app.projects (organization_id, name) VALUES (%s, 'shop') RETURNING id",
                         [ORG]).fetchone()[0]
    rule_id = db.execute("SELECT id FROM app.alert_rule_create(jsonb_build_object('alert_type', 'critical_error',"
                         " 'channel', 'in_app', 'organization_id', %s::uuid))", [ORG]).fetchone()[0]
    with psycopg.connect(database_url) as other, psycopg.connect(database_url) as capture:
        # a concurrent firing of the rule, midway: its incident and signal rows reference the rule,
        # which holds the rule row in FOR KEY SHARE until it commits; next it counts its firing
        other.execute("SELECT FROM app.error_alerts WHERE id = %s FOR KEY SHARE", [rule_id])
        capture.execute("SET lock_timeout = '2s'")  # (a wait for `other` ends here, losing the alert)
        capture.execute(CAPTURE, [ORG, project, "Payment declined"])
        fired = capture.execute("SELECT count(*) FROM app.alert_signals WHERE rule_id = %s", [rule_id]).fetchone()
        assert fired == (1,), "counting a firing does not wait for firings in progress (nor deadlock with them)"
        capture.commit()
        other.execute(COUNT_FIRING, [rule_id])  # what the other firing does next
        other.commit()
    assert db.execute("SELECT trigger_count FROM app.error_alerts WHERE id = %s", [rule_id]).fetchone() == (2,)
