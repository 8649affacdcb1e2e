"""`pgwarden deploy`, `errors list --environment/--release` and `errors resolve --in-next-release`
against a real database: CI records a deploy, the next new group names it as its suspect release,
and a group resolved in the next release ignores an old release's straggler but not a newer one."""

from __future__ import annotations

import json
import uuid

import pytest


@pytest.fixture
def project(db) -> tuple[str, int]:
    organization_id = str(uuid.uuid4())
    db.execute("INSERT INTO app.organizations (id, name) VALUES (%s, 'releases')", [organization_id])
    db.execute("SELECT app.rate_limit_set(%s, 0)", [organization_id])
    project_id = db.execute("INSERT INTO app.projects (organization_id, name) VALUES (%s, 'shop') RETURNING id",
                            [organization_id]).fetchone()[0]
    return organization_id, project_id


def capture(db, project: tuple[str, int], message: str, environment: str, release: str) -> dict:
    organization_id, project_id = project
    return db.execute("SELECT result FROM app.capture_batch(%s, %s, %s)", [organization_id, project_id, json.dumps([
        {"message": message, "error_type": "api", "metadata": {"environment": environment, "release": release}},
    ])]).fetchone()[0]


def test_a_deploy_from_ci_is_the_suspect_release_of_the_next_new_group(pgwarden, db, project):
    recorded = pgwarden("deploy", "shop@1.4.3", "--env", "production", "--project", "shop", "--commit", "9f1c2e7",
                        "--json")
    assert recorded.returncode == 0, recorded.stderr
    assert json.loads(recorded.stdout)["release"] == "shop@1.4.3"
    group = capture(db, project, "Checkout broke", "production", "shop@1.4.3")
    shown = json.loads(pgwarden("errors", "show", group["id"], "--json").stdout)
    assert shown["suspect_release"]["release"] == "shop@1.4.3" and shown["suspect_release"]["commit"] == "9f1c2e7"
    assert "suspect release" in pgwarden("errors", "show", group["id"]).stdout


def test_a_refused_deploy_names_the_field_with_its_code(pgwarden, project):
    slash = pgwarden("deploy", "shop/1.4.3", "--env", "production", "--project", "shop")
    assert slash.returncode == 2 and "QV001" in slash.stderr and "release" in slash.stderr
    unknown = pgwarden("deploy", "shop@1.4.3", "--env", "production", "--project", "nowhere")
    assert unknown.returncode == 4 and "QN001" in unknown.stderr
    missing = pgwarden("deploy", "shop@1.4.3", "--project", "shop")
    assert missing.returncode == 2 and "--env" in missing.stderr


def test_errors_list_filters_by_environment_and_release(pgwarden, db, project):
    production = capture(db, project, "Payments down", "production", "shop@1.4.2")
    staging = capture(db, project, "Search slow", "staging", "shop@1.4.3")
    listed = pgwarden("errors", "list", "--environment", "staging", "--quiet")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == [staging["id"]]
    assert pgwarden("errors", "list", "--release", "shop@1.4.2", "--quiet").stdout.split() == [production["id"]]


def test_resolved_in_the_next_release_ignores_stragglers_and_regresses_on_a_newer_release(pgwarden, db, project):
    group = capture(db, project, "Cart empty", "production", "shop@1.4.2")
    capture(db, project, "Other", "production", "shop@1.4.3")
    resolved = pgwarden("errors", "resolve", group["id"], "--in-next-release")
    assert resolved.returncode == 0, resolved.stderr
    assert "in the release after shop@1.4.3" in resolved.stdout
    assert capture(db, project, "Cart empty", "production", "shop@1.4.2")["status"] == "resolved"
    assert capture(db, project, "Cart empty", "production", "shop@1.4.3")["status"] == "resolved"
    regressed = capture(db, project, "Cart empty", "production", "shop@1.5.0")
    assert regressed["status"] == "recurring" and regressed["is_regression"] is True
