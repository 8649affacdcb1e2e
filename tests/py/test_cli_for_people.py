"""The command line speaks to people and to scripts: every failure is {code, message, details, hint}
with an exit code of its class and no traceback, every read command has a readable default and
--json, objects are named by id, id prefix or name, and durations and times share one syntax.
Run through click's runner (in process) and as subprocesses (exit codes), against a real database."""

from __future__ import annotations

import json
import uuid

import click
import pytest
from click.testing import CliRunner

from workers.cli import cli
from workers.cli.context import stack

# Commands that act on the machine (start or stop processes, replace databases, write backups):
# their failures are covered where they are built (test_stack*, test_db_backup).
ACTS_ON_THE_MACHINE = {"stack", "db", "worker", "web", "demo", "status"}

# Read commands and their arguments ({error}, {org} filled in): each prints one JSON document.
READ_COMMANDS = [
    ("org", "list"), ("org", "show", "{org}"), ("project", "list"), ("errors", "list"),
    ("errors", "show", "{error}"), ("errors", "why", "{error}"), ("errors", "rules", "list", "1"), ("stats",),
    ("health", "list"), ("health", "summary"), ("uptime", "api"), ("maintenance", "list"), ("jobs", "list"),
    ("jobs", "stats"), ("reports", "list"), ("alerts", "list"), ("alerts", "history"), ("user", "list"),
]


@pytest.fixture
def environment(database_url, tmp_path) -> dict[str, str]:
    stack.cache_clear()
    yield {"PGWARDEN_DATABASE_URL": database_url, "PGWARDEN_DATA_DIR": str(tmp_path), "NO_COLOR": "1"}
    stack.cache_clear()


@pytest.fixture
def invoke(environment):
    runner = CliRunner(env=environment)

    def run(*args: str, stdin: str = "n\n"):
        return runner.invoke(cli, list(args), input=stdin, prog_name="pgwarden")

    return run


@pytest.fixture
def organization(db) -> str:
    organization_id = db.execute("INSERT INTO app.organizations (name) VALUES ('Acme') RETURNING id").fetchone()[0]
    db.execute("SELECT app.rate_limit_set(%s, 0)", [organization_id])
    return str(organization_id)


@pytest.fixture
def error_id(db, organization) -> str:
    [(result,)] = db.execute("SELECT result FROM app.capture_batch(%s, NULL, %s)", [organization, json.dumps([
        {"message": "Cannot read properties of undefined", "error_type": "javascript", "severity": "error",
         "stack_trace": "TypeError: x\n    at checkout (/app/src/cart.js:10:5)\n    at main (/app/src/index.js:2:1)",
         "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
         "url": "https://shop.example.com/checkout"}])]).fetchall()
    return result["id"]


def leaf_commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    leaves = []
    for name, command in sorted(group.commands.items()):
        if path == () and name in ACTS_ON_THE_MACHINE:
            continue
        if isinstance(command, click.Group):
            leaves += leaf_commands(command, (*path, name))
        else:
            leaves.append(((*path, name), command))
    return leaves


def bad_arguments(command: click.Command, with_options: bool) -> list[str]:
    """Every argument a value that names nothing; with_options, every option's value too."""
    args: list[str] = []
    for param in command.params:
        if isinstance(param, click.Argument):
            args.append("zz-no-such-thing")
        elif with_options and isinstance(param, click.Option) and not param.is_flag and param.name != "help":
            args += [param.opts[0], "zz-no-such-thing"]
    return args


@pytest.mark.parametrize("with_options", [False, True], ids=["bad arguments", "bad arguments and options"])
def test_every_command_given_bad_input_says_what_was_wrong_without_a_traceback(invoke, error_id, with_options):
    for path, command in leaf_commands():
        done = invoke(*path, *bad_arguments(command, with_options))
        where = f"{' '.join(path)}: {done.output}"
        assert done.exception is None or isinstance(done.exception, SystemExit), where
        assert "Traceback" not in done.output, where
        assert done.exit_code in (0, 1, 2, 3, 4), where
        if done.exit_code not in (0, 3):
            assert done.stderr.startswith(("error ", "Usage:", "Error:", "Aborted")), where
        for sqlstate in ("22P02", "22007", "23505", "42501", "25006", "PGRST"):
            assert sqlstate not in done.output, where


def test_a_failure_names_the_field_and_says_what_to_do_and_scripts_read_it_as_json(invoke, error_id):
    done = invoke("errors", "list", "--since", "soon")
    assert done.exit_code == 2
    assert done.stderr.splitlines() == [
        "error QV001: invalid duration 'soon'",
        "  Field: --since.",
        "  hint: Use a number and a unit (30s, 15m, 1h, 24h, 7d, 2w), ISO 8601 (PT1H) or PostgreSQL interval text"
        " (24 hours)."]
    as_json = invoke("errors", "show", "ffff0000", "--json")
    assert as_json.exit_code == 4 and as_json.stdout == ""
    problem = json.loads(as_json.stderr)["error"]
    assert set(problem) == {"code", "message", "details", "hint"}
    assert (problem["code"], problem["details"]) == ("QN001", "Field: ERROR_ID.")
    assert "pgwarden errors list" in problem["hint"]


def test_exit_codes_by_class_of_failure(pgwarden, error_id, db):
    assert pgwarden("errors", "list").returncode == 0
    assert pgwarden("errors", "list", "--limit", "0").returncode == 2, "click's usage error"
    assert pgwarden("errors", "list", "--status", "done").returncode == 2, "the database's QV: a wrong value"
    assert pgwarden("errors", "show", str(uuid.uuid4())).returncode == 4
    pgwarden("errors", "resolve", error_id)
    unchanged = pgwarden("errors", "resolve", error_id)
    assert unchanged.returncode == 1 and "already resolved: nothing changed" in unchanged.stderr
    db.execute("SELECT api.create_health_monitor('{\"service_name\": \"closed\", \"check_type\": \"api\","
               " \"target\": {\"url\": \"http://127.0.0.1:9/health\"}}')")
    down = pgwarden("health", "run", "closed")
    assert down.returncode == 3, down.stderr
    assert "closed" in down.stdout and "refused" in down.stdout, "the reason of the failure"
    unreachable = pgwarden("errors", "list", PGWARDEN_DATABASE_URL="postgresql://nobody@127.0.0.1:9/nothing")
    assert unreachable.returncode == 3 and "error database_unreachable" in unreachable.stderr
    assert "make up" in unreachable.stderr and "Traceback" not in unreachable.stderr
    crashed = pgwarden("--debug", "errors", "list", PGWARDEN_DATABASE_URL="postgresql://nobody@127.0.0.1:9/x")
    assert "Traceback" in crashed.stderr, "--debug shows the traceback"


def test_every_read_command_prints_one_json_document(invoke, error_id, organization):
    for command in READ_COMMANDS:
        args = [arg.format(error=error_id, org=organization) for arg in command]
        done = invoke(*args, "--json")
        assert done.exit_code in (0, 3), (args, done.output)
        document = json.loads(done.stdout)
        assert isinstance(document, (dict, list)), args
        readable = invoke(*args)
        assert readable.exit_code in (0, 3) and readable.stdout.strip(), (args, readable.output)
        assert not readable.stdout.lstrip().startswith(("{", "[")), f"{args}: the default is for people"


def test_errors_show_is_a_sectioned_summary(invoke, error_id):
    done = invoke("errors", "show", error_id[:6])
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert lines[0] == "Cannot read properties of undefined"
    assert "Top frames" in lines and "  at checkout (/app/src/cart.js:10:5)" in lines
    assert any(line.startswith("  browser") and "Firefox" in line for line in lines)
    assert "  url      https://shop.example.com/checkout 1" in lines
    assert any(line.strip().startswith("first seen") for line in lines)
    stats = invoke("stats", "--range", "1h")
    assert "Top errors" in stats.stdout and "Cannot read properties" in stats.stdout


def test_objects_are_named_by_id_prefix_or_name_and_an_ambiguous_prefix_is_refused(invoke, db, organization):
    for org_id in ("abcd0000-0000-4000-8000-000000000001", "abcd0000-0000-4000-8000-000000000002"):
        db.execute("INSERT INTO app.organizations (id, name) VALUES (%s, %s)", [org_id, f"twin {org_id[-1]}"])
    assert json.loads(invoke("org", "show", "acme", "--json").stdout)["id"] == organization
    assert json.loads(invoke("org", "show", organization[:8], "--json").stdout)["id"] == organization
    twin = json.loads(invoke("org", "show", "abcd0000-0000-4000-8000-000000000002", "--json").stdout)
    assert twin["name"] == "twin 2"
    ambiguous = invoke("org", "show", "abcd")
    assert ambiguous.exit_code == 2 and "QV001" in ambiguous.stderr and "abcd0000-0000-4000-8000-000000000001" in (
        ambiguous.stderr)


def test_organizations_and_projects_are_listed_renamed_rotated_and_deleted(invoke, db, error_id, organization):
    created = invoke("project", "create", "shop", "--org", "Acme", "--quiet")
    assert created.exit_code == 0, created.output
    project_id = int(created.stdout)
    [project] = [p for p in json.loads(invoke("project", "list", "--org", "acme", "--json").stdout)
                 if p["id"] == project_id]
    assert project["dsn"].startswith(f"http://{project['public_key']}@")
    assert invoke("project", "rename", str(project_id), "storefront").exit_code == 0
    rotated = invoke("project", "rotate-key", "storefront", "--yes")
    assert rotated.exit_code == 0, rotated.output
    new_key = db.execute("SELECT public_key FROM app.projects WHERE id = %s", [project_id]).fetchone()[0]
    assert new_key != project["public_key"] and new_key in rotated.stdout
    assert invoke("project", "delete", "storefront").exit_code == 1, "asks, and a no aborts"
    assert invoke("project", "delete", "storefront", "--yes").exit_code == 0
    assert invoke("project", "delete", "storefront", "--yes").exit_code == 4

    assert [o["name"] for o in json.loads(invoke("org", "list", "--json").stdout)].count("Acme") == 1
    assert invoke("org", "rename", "acme", "Acme Corp").exit_code == 0
    refused = invoke("org", "delete", "acme corp", "--yes")
    assert refused.exit_code == 1 and "QS001" in refused.stderr and "--with-data" in refused.stderr
    assert invoke("org", "delete", "acme corp", "--yes", "--with-data").exit_code == 0
    assert db.execute("SELECT count(*) FROM app.system_errors WHERE organization_id = %s", [organization]
                      ).fetchone() == (0,)
    assert invoke("org", "show", organization).exit_code == 4


def test_one_duration_and_time_syntax_everywhere(invoke, error_id, db):
    for since in ("30s", "15m", "1h", "24h", "7d", "2w", "PT1H", "24 hours"):
        done = invoke("errors", "list", "--since", since, "--quiet")
        assert (done.exit_code, done.stdout.split()) == (0, [error_id]), since
    db.execute("SELECT api.create_health_monitor('{\"service_name\": \"shop\", \"check_type\": \"api\","
               " \"target\": {\"url\": \"https://shop.example.com/health\"}}')")
    planned = invoke("maintenance", "add", "shop", "--until", "+1h", "--quiet")
    assert planned.exit_code == 0, planned.output
    assert db.execute("SELECT round(extract(epoch FROM upper(during) - lower(during))) FROM"
                      " app.health_maintenance_windows WHERE id = %s", [int(planned.stdout)]).fetchone() == (3600,)
    refused = invoke("maintenance", "add", "shop", "--from", "+2h", "--until", "tomorrowish")
    assert refused.exit_code == 2 and "Field: --until." in refused.stderr


def test_a_monitor_url_that_is_not_http_is_refused_naming_the_option(invoke):
    done = invoke("health", "add", "shop", "--type", "api", "--url", "not-a-url")
    assert done.exit_code == 2 and "QV501" in done.stderr and "--url" in done.stderr
    twice = [invoke("health", "add", "shop", "--type", "api", "--url", "https://shop.example.com/health")
             for _ in range(2)]
    assert [done.exit_code for done in twice] == [0, 2]
    assert "a monitor named 'shop' exists" in twice[1].stderr


def test_help_shows_examples_and_the_exit_codes(invoke):
    top = invoke("--help").stdout
    assert "Examples:" in top and "Exit codes: 0 ok, 1 failure, 2 usage error" in top and "4 not found" in top
    for group in ("org", "project", "errors", "health"):
        assert "Examples:" in invoke(group, "--help").stdout, group


def test_maintenance_windows_are_edited_and_deleted(invoke, db):
    db.execute("SELECT api.create_health_monitor('{\"service_name\": \"shop\", \"check_type\": \"api\","
               " \"target\": {\"url\": \"https://shop.example.com/health\"}}')")
    window_id = invoke("maintenance", "add", "shop", "--until", "+1h", "--reason", "upgrade", "--quiet").stdout.strip()
    edited = invoke("maintenance", "edit", window_id, "--until", "+3h")
    assert edited.exit_code == 0, edited.output
    [listed] = [w for w in json.loads(invoke("maintenance", "list", "--json").stdout) if str(w["id"]) == window_id]
    assert listed["reason"] == "upgrade"
    assert db.execute("SELECT round(extract(epoch FROM upper(during) - now()) / 3600) FROM"
                      " app.health_maintenance_windows WHERE id = %s", [int(window_id)]).fetchone() == (3,)
    backwards = invoke("maintenance", "edit", window_id, "--until", "-1d")
    assert (backwards.exit_code, "QV501" in backwards.stderr) == (2, True)
    assert invoke("maintenance", "edit", window_id).exit_code == 2, "nothing to change is a usage error"
    assert invoke("maintenance", "delete", window_id).exit_code == 1, "asks, and a no aborts"
    assert invoke("maintenance", "delete", window_id, "--yes").exit_code == 0
    gone = invoke("maintenance", "delete", window_id, "--yes")
    assert gone.exit_code == 4 and gone.stderr.startswith("error QN503:")


def test_users_are_listed_shown_and_deleted_but_the_last_admin_stays(invoke, db, organization):
    db.execute("DELETE FROM app.users")
    for email, role, org in (("root@example.com", "system_admin", None), ("ana@acme.test", "org_owner", "acme")):
        assert invoke("user", "create", email, "--role", role, *(["--org", org] if org else [])).exit_code == 0
    users = json.loads(invoke("user", "list", "--json").stdout)
    assert [(u["email"], u["role"], u["organization"], u["can_sign_in"]) for u in users] == [
        ("root@example.com", "system_admin", None, True), ("ana@acme.test", "org_owner", "Acme", True)]
    ana = json.loads(invoke("user", "show", "ANA@acme.test", "--json").stdout)
    assert ana["id"] == users[1]["id"]
    assert json.loads(invoke("user", "show", ana["id"][:8], "--json").stdout)["email"] == "ana@acme.test"
    assert "ana@acme.test" in invoke("user", "show", "ana@acme.test").stdout
    assert invoke("user", "delete", "ana@acme.test").exit_code == 1, "asks, and a no aborts"
    assert invoke("user", "delete", "ana@acme.test", "--yes").exit_code == 0
    missing = invoke("user", "show", "ana@acme.test", "--json")
    assert missing.exit_code == 4 and json.loads(missing.stderr)["error"]["code"] == "QN001"
    last = invoke("user", "delete", "root@example.com", "--yes")
    assert last.exit_code == 1 and last.stderr.startswith("error QSW01:")
