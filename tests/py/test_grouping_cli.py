"""`pgwarden errors why|merge|unmerge|rules` against a real database: a user sees why events grouped,
merges two groups, adds a fingerprint rule, and each shows in the next events' grouping."""

from __future__ import annotations

import json
import uuid

import pytest


@pytest.fixture
def project(db) -> tuple[str, int]:
    organization_id = str(uuid.uuid4())
    db.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'grouping cli')", [organization_id])
    db.execute("SELECT app.rate_limit_set(%s, 0)", [organization_id])
    project_id = db.execute("INSERT INTO app.projects (organization_id, name) VALUES (%s, 'shop') RETURNING id",
                            [organization_id]).fetchone()[0]
    return organization_id, project_id


def capture(db, project: tuple[str, int], *events: dict) -> list[dict]:
    organization_id, project_id = project
    return [row[0] for row in db.execute("SELECT result FROM app.capture_batch(%s, %s, %s) ORDER BY ordinal",
                                         [organization_id, project_id, json.dumps(list(events))]).fetchall()]


TIMEOUT = {"error_type": "network", "message": "TimeoutError: payment provider did not answer",
           "frames": [{"filename": "/srv/app/pay.py", "module": "app.pay", "function": "charge", "in_app": True}]}
REFUSED = {"error_type": "network", "message": "ConnectError: payment provider refused",
           "frames": [{"filename": "/srv/app/refund.py", "module": "app.refund", "function": "refund", "in_app": True}]}


def test_why_names_the_frames_and_exception_that_made_the_hash(pgwarden, db, project):
    [group] = capture(db, project, TIMEOUT)
    done = pgwarden("errors", "why", group["id"])
    assert done.returncode == 0, done.stderr
    assert "in-app frames, its own hash" in done.stdout
    assert "exception    TimeoutError" in done.stdout and "frame        app.pay  charge" in done.stdout
    as_json = json.loads(pgwarden("errors", "why", group["id"], "--json").stdout)
    assert as_json["event"]["hash"] == group["error_hash"]


def test_a_merge_moves_the_events_and_the_next_event_follows_until_unmerged(pgwarden, db, project):
    timeout, refused = capture(db, project, TIMEOUT, REFUSED)
    merged = pgwarden("errors", "merge", timeout["id"], refused["id"], "--note", "one outage")
    assert merged.returncode == 0, merged.stderr
    assert "2 occurrences, 1 events moved" in merged.stdout
    [next_refused] = capture(db, project, REFUSED)
    assert next_refused["id"] == timeout["id"]
    why = pgwarden("errors", "why", timeout["id"])
    assert f"also {refused['error_hash']}  merge" in why.stdout and "joined this group by a merge" in why.stdout
    unmerged = pgwarden("errors", "unmerge", timeout["id"], refused["error_hash"])
    assert unmerged.returncode == 0 and "2 events moved" in unmerged.stdout
    again = pgwarden("errors", "unmerge", timeout["id"], refused["error_hash"])
    assert again.returncode == 1 and "QSG02" in again.stderr


def test_a_fingerprint_rule_groups_the_next_events_and_why_names_it(pgwarden, db, project):
    _, project_id = project
    before = capture(db, project, TIMEOUT, REFUSED)
    assert before[0]["id"] != before[1]["id"]
    added = pgwarden("errors", "rules", "add", str(project_id), "stack.module:app.* -> payment-provider")
    assert added.returncode == 0, added.stderr
    assert "stack.module:app.* -> payment-provider" in pgwarden("errors", "rules", "list", str(project_id)).stdout
    after = capture(db, project, TIMEOUT, REFUSED)
    assert after[0]["id"] == after[1]["id"] != before[0]["id"]
    why = pgwarden("errors", "why", after[0]["id"])
    assert "fingerprint from rule" in why.stdout and "fingerprint  payment-provider" in why.stdout
    broken = pgwarden("errors", "rules", "add", str(project_id), "colour:red -> x")
    assert broken.returncode == 2 and "QVG01" in broken.stderr
