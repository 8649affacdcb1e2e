"""Tenancy and credentials: organizations, projects, tokens. Wherever an organization is named, its
id, an id prefix (4+ hex digits) or its name will do; a project, its id or name (SQL resolves them:
app.organization_ref, app.project_ref)."""

from __future__ import annotations

import click

from workers import sql, tokens
from workers.cli.context import stack
from workers.cli.output import json_option, line, pairs, print_json, quiet_option, table, when
from workers.db import connect


def _unless_yes(yes: bool, question: str) -> None:
    """Ask before a change that cannot be undone; --yes (scripts) does not ask."""
    if not yes:
        click.confirm(question, abort=True)


def _one(statement: str, params: list) -> object:
    with connect(stack().database_url) as conn:
        return conn.execute(statement, params).fetchone()[0]


@click.group("org")
def org_group() -> None:
    """Organizations (tenants): create, list, show, rename, delete; limit, personal-data.

    \b
    Examples:
      pgwarden org create "Acme"            prints the new id
      pgwarden org list --json
      pgwarden org show acme                a name, an id or an id prefix
      pgwarden org delete acme --with-data --yes
    """


@org_group.command("create")
@click.argument("name")
def org_create(name: str) -> None:
    """Create an organization; prints its id."""
    line(str(_one(sql.CREATE_ORGANIZATION, [name])))


@org_group.command("list")
@json_option
def org_list(as_json: bool) -> None:
    """Every organization, with counts of its projects, users, error groups and monitors."""
    organizations = _one(sql.ORG_LIST, [])
    if as_json:
        print_json(organizations)
        return
    table(("id", "name", "projects", "users", "error groups", "monitors", "created"),
          [(o["id"], o["name"], o["projects"], o["users"], o["error_groups"], o["monitors"], when(o["created_at"]))
           for o in organizations], empty="no organizations (`pgwarden org create NAME` makes one)")


@org_group.command("show")
@click.argument("org")
@json_option
def org_show(org: str, as_json: bool) -> None:
    """One organization: its projects and keys, counts and rate limit."""
    organization = _one(sql.ORG_SHOW, [org])
    if as_json:
        print_json(organization)
        return
    line(f"{organization['name']}  ({organization['id']})", style="bold")
    limit = organization["rate_limit_per_minute"]
    pairs([("created", when(organization["created_at"])), ("users", organization["users"]),
           ("error groups", organization["error_groups"]), ("monitors", organization["monitors"]),
           ("rate limit", "unlimited" if limit == 0 else f"{limit} errors per minute")])
    line("")
    table(("project", "name", "public key", "created"),
          [(p["id"], p["name"], p["public_key"], when(p["created_at"])) for p in organization["projects"]],
          empty="no projects (`pgwarden project create NAME --org ORG` makes one)")


@org_group.command("rename")
@click.argument("org")
@click.argument("name")
def org_rename(org: str, name: str) -> None:
    """Give ORG a new NAME."""
    organization = _one(sql.ORG_RENAME, [org, name])
    line(f"{organization['id']}  renamed to {organization['name']}")


@org_group.command("delete")
@click.argument("org")
@click.option("--with-data", is_flag=True, help="Also delete its error groups, events and reports (else refused).")
@click.option("--yes", is_flag=True, help="Do not ask.")
def org_delete(org: str, with_data: bool, yes: bool) -> None:
    """Delete ORG with its projects, users, monitors and settings."""
    _unless_yes(yes, f"Delete organization {org} and everything of it?")
    deleted = _one(sql.ORG_DELETE, [org, with_data])
    line(f"{deleted['id']}  {deleted['name']} deleted ({deleted['error_groups']} error groups, "
         f"{deleted['reports']} reports)")


@click.group("project")
def project_group() -> None:
    """Ingest projects (one DSN each): create, list, rename, rotate-key, delete; widget-key.

    \b
    Examples:
      pgwarden project create shop --org acme
      pgwarden project list --org acme
      pgwarden project rotate-key shop      the old DSN stops working at once
    """


@project_group.command("create")
@click.argument("name")
@click.option("--org", "org", required=True, help="Organization: id, id prefix or name.")
@quiet_option
def project_create(name: str, org: str, quiet: bool) -> None:
    """Create a project; prints its id, public key and DSN."""
    current = stack()
    with connect(current.database_url) as conn:
        project_id, public_key = conn.execute(sql.CREATE_PROJECT, [org, name]).fetchone()
    if quiet:
        line(str(project_id))
        return
    pairs([("id", project_id), ("public_key", public_key), ("dsn", current.dsn(project_id, public_key))])


@project_group.command("list")
@click.option("--org", "org", help="Only this organization: id, id prefix or name.")
@json_option
def project_list(org: str | None, as_json: bool) -> None:
    """Projects with their keys and DSNs."""
    current = stack()
    projects = _one(sql.PROJECT_LIST, [org])
    for project in projects:
        project["dsn"] = current.dsn(project["id"], project["public_key"])
    if as_json:
        print_json(projects)
        return
    table(("id", "name", "organization", "dsn", "created"),
          [(p["id"], p["name"], p["organization"], p["dsn"], when(p["created_at"])) for p in projects],
          empty="no projects")


@project_group.command("rename")
@click.argument("project")
@click.argument("name")
def project_rename(project: str, name: str) -> None:
    """Give PROJECT (id or name) a new NAME."""
    changed = _one(sql.PROJECT_CHANGE, [project, name, False])
    line(f"{changed['id']}  renamed to {changed['name']}")


@project_group.command("rotate-key")
@click.argument("project")
@click.option("--yes", is_flag=True, help="Do not ask.")
def project_rotate_key(project: str, yes: bool) -> None:
    """Give PROJECT a new public key; SDKs with the old DSN are refused from now on."""
    _unless_yes(yes, f"Replace project {project}'s key? Its current DSN stops working at once.")
    changed = _one(sql.PROJECT_CHANGE, [project, None, True])
    pairs([("id", changed["id"]), ("public_key", changed["public_key"]),
           ("dsn", stack().dsn(changed["id"], changed["public_key"]))])


@project_group.command("delete")
@click.argument("project")
@click.option("--yes", is_flag=True, help="Do not ask.")
def project_delete(project: str, yes: bool) -> None:
    """Delete PROJECT (its key stops working; its organization's error groups stay)."""
    _unless_yes(yes, f"Delete project {project}?")
    deleted = _one(sql.PROJECT_DELETE, [project])
    line(f"{deleted['id']}  {deleted['name']} deleted")


@click.command("token")
@click.option("--role", required=True, type=click.Choice(tokens.ROLES))
@click.option("--org", "org_id", help="Organization id (required for org_owner and staff).")
@click.option("--user", "user_id", help="User id (the sub claim).")
@click.option("--ttl", default="1h", show_default=True, help="Lifetime, e.g. 30m, 1h, 7d, 2w.")
def token(role: str, org_id: str | None, user_id: str | None, ttl: str) -> None:
    """Print a signed JWT for PostgREST. Every token expires.

    \b
    Example:
      curl -H "Authorization: Bearer $(pgwarden token --role system_admin)" http://127.0.0.1:3000/error_groups
    """
    try:
        lifetime = tokens.parse_ttl(ttl)
        line(tokens.mint(stack().secrets.jwt_secret, role, lifetime, org_id=org_id, user_id=user_id))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


COMMANDS = (org_group, project_group, token)
