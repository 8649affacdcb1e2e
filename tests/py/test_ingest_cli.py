"""`pgwarden errors …`, `pgwarden stats`, `pgwarden org limit` against a real database."""

from __future__ import annotations

import json
import uuid

import pytest


@pytest.fixture
def captured(db) -> tuple[str, str]:
    organization_id = str(uuid.uuid4())
    db.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'cli')", [organization_id])
    db.execute("SELECT app.rate_limit_set(%s, 0)", [organization_id])
    rows = db.execute("SELECT result FROM app.capture_batch(%s, NULL, %s)", [organization_id, json.dumps([
        {"message": "Stripe webhook signature mismatch", "error_type": "stripe", "severity": "critical"},
        {"message": "Stripe webhook signature mismatch", "error_type": "stripe", "severity": "critical"},
        {"message": "Slow query on bookings", "error_type": "database", "severity": "warning"},
    ])]).fetchall()
    return organization_id, rows[0][0]["id"]


def test_errors_list_filters_by_severity_and_shows_counts(pgwarden, captured):
    _, error_id = captured
    done = pgwarden("errors", "list", "--severity", "critical", "--since", "1h")
    assert done.returncode == 0, done.stderr
    header, line = done.stdout.splitlines()
    assert header.split()[:5] == ["id", "status", "severity", "type", "events"]
    assert line.startswith(error_id[:8]) and " 2 " in line and "Stripe webhook signature mismatch" in line
    [row] = json.loads(pgwarden("errors", "list", "--severity", "critical", "--since", "1h", "--json").stdout)
    assert row["id"] == error_id and row["occurrence_count"] == 2 and row["organization"] == "cli"
    assert pgwarden("errors", "list", "--severity", "critical", "--quiet").stdout.split() == [error_id]


def test_errors_resolve_then_an_illegal_change_is_refused_with_its_code(pgwarden, captured):
    _, error_id = captured
    resolved = pgwarden("errors", "resolve", error_id[:8], "--note", "rotated the secret")
    assert resolved.returncode == 0 and "new -> resolved" in resolved.stdout
    again = pgwarden("errors", "resolve", error_id)
    assert again.returncode == 1 and "already resolved" in again.stderr
    listed = pgwarden("errors", "list", "--status", "resolved", "--quiet")
    assert error_id in listed.stdout
    shown = json.loads(pgwarden("errors", "show", error_id, "--json").stdout)
    assert shown["status"] == "resolved" and shown["status_history"][-1]["note"] == "rotated the secret"
    reopened = pgwarden("errors", "reopen", error_id)
    assert "resolved -> new" in reopened.stdout
    unknown = pgwarden("errors", "list", "--status", "done")
    assert unknown.returncode == 2 and "QV001" in unknown.stderr


def test_stats_and_org_limit(pgwarden, captured, db):
    organization_id, _ = captured
    figures = json.loads(pgwarden("stats", "--range", "1h", "--org", organization_id, "--json").stdout)
    assert figures["total_events"] == 3 and figures["by_type"] == {"stripe": 2, "database": 1}
    limited = pgwarden("org", "limit", organization_id, "--per-minute", "250")
    assert limited.returncode == 0, limited.stderr
    assert db.execute("SELECT app.rate_limit_per_minute(%s)", [organization_id]).fetchone()[0] == 250
    lifted = pgwarden("org", "limit", organization_id, "--per-minute", "0")
    assert "unlimited" in lifted.stdout
    missing = pgwarden("errors", "show", str(uuid.uuid4()))
    assert missing.returncode == 4 and "QN001" in missing.stderr
