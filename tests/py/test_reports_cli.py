"""`pgwarden reports list | show | assign | status | duplicate` and `pgwarden project widget-key`, run as a
user would (the `pgwarden` fixture: tests/conftest.py)."""

from __future__ import annotations

import json

import pytest

ORG = "00000000-0000-0000-0000-0000000000aa"


@pytest.fixture
def reports(db) -> tuple[str, str]:
    db.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'Acme')", [ORG])
    db.execute("INSERT INTO app.users (organization_id, email, role) VALUES (%s, 'dev@acme.test', 'staff')", [ORG])
    ids = [db.execute("SELECT app.report_submit(%s, NULL, 'org_owner', NULL, %s, 'unknown') -> 'result' ->> 'id'",
                      [ORG, json.dumps({"title": title, "description": "it broke"})]).fetchone()[0]
           for title in ("Invoice PDF is blank", "Invoice PDF empty")]
    return ids[0], ids[1]


def test_a_report_is_worked_from_the_command_line(db, pgwarden, reports):
    first, second = reports
    listed = pgwarden("reports", "list", "--status", "open", "--org", ORG)
    assert listed.returncode == 0, listed.stderr
    assert first in listed.stdout and second in listed.stdout

    assert pgwarden("reports", "assign", first, "dev@acme.test").returncode == 0
    moved = pgwarden("reports", "status", first, "resolved", "--notes", "Fonts are embedded again")
    assert moved.returncode == 0 and "open -> resolved" in moved.stdout
    assert pgwarden("reports", "duplicate", second, first).returncode == 0
    refused = pgwarden("reports", "status", first, "in_progress")
    assert refused.returncode == 1 and "QS801" in refused.stderr

    shown = json.loads(pgwarden("reports", "show", first, "--json").stdout)
    assert shown["status"] == "resolved" and shown["resolution_notes"] == "Fonts are embedded again"
    assert shown["duplicates"] == [second]
    assert [(h["change"], h["to"]) for h in shown["history"]] == [("assigned_to", shown["assigned_to"]),
                                                                  ("status", "resolved")]
    assert "status_token_hash" not in shown
    assert pgwarden("reports", "list", "--status", "open", "--org", ORG).stdout.strip() == "no reports"


def test_the_command_line_refuses_what_the_queue_refuses_and_names_the_code(db, pgwarden, reports):
    first, second = reports
    unknown = "00000000-0000-0000-0000-000000000001"
    cases = {
        "QN801": ("reports", "show", unknown),
        "QN803": ("reports", "assign", first, "nobody@acme.test"),
        "QV001": ("reports", "list", "--status", "forgotten"),
        "QS802": ("reports", "duplicate", first, first),
    }
    exit_codes = {"QN": 4, "QV": 2, "QS": 1}  # not found, usage, failure
    for code, args in cases.items():
        refused = pgwarden(*args)
        assert (refused.returncode, code in refused.stderr) == (exit_codes[code[:2]], True), (
            args, refused.stdout, refused.stderr)
    not_an_id = pgwarden("reports", "status", "not-a-report", "resolved")
    assert not_an_id.returncode == 2 and "not a valid UUID" in not_an_id.stderr, "a usage error, before the database"
    assert db.execute("SELECT count(*) FROM app.user_error_report_history").fetchone() == (0,)


def test_a_report_is_unassigned_with_a_dash(db, pgwarden, reports):
    first, _ = reports
    assert pgwarden("reports", "assign", first, "dev@acme.test").returncode == 0
    unassigned = pgwarden("reports", "assign", first, "-")
    assert unassigned.returncode == 0 and "assigned to nobody" in unassigned.stdout
    assert db.execute("SELECT assigned_to FROM app.user_error_reports WHERE id = %s", [first]).fetchone() == (None,)
    assert [h["to"] for h in json.loads(pgwarden("reports", "show", first, "--json").stdout)["history"]][-1] is None


def test_a_projects_widget_key_is_printed_with_its_allowed_origins(db, pgwarden):
    db.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'Acme')", [ORG])
    (project_id,) = db.execute("INSERT INTO app.projects (organization_id, name) VALUES (%s, 'shop') RETURNING id",
                               [ORG]).fetchone()
    created = pgwarden("project", "widget-key", str(project_id), "--origin", "https://Shop.Acme.test/",
                       "--origin", "http://localhost:8080")
    assert created.returncode == 0, created.stderr
    assert "http://localhost:8080 https://shop.acme.test" in created.stdout and "widget/report.js" in created.stdout
    again = pgwarden("project", "widget-key", str(project_id))
    assert again.stdout.splitlines()[0] == created.stdout.splitlines()[0], "the key stays until rotated"
    bad = pgwarden("project", "widget-key", str(project_id), "--origin", "shop.acme.test")
    assert bad.returncode == 2 and "QV804" in bad.stderr
