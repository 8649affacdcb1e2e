"""Tenancy and credentials: organizations, projects, tokens."""

from __future__ import annotations

import click

from workers import sql, tokens
from workers.cli.context import stack
from workers.db import connect
from workers.stack.runtime import say


@click.group("org")
def org_group() -> None:
    """Organizations (tenants)."""


@org_group.command("create")
@click.argument("name")
def org_create(name: str) -> None:
    """Create an organization; prints its id."""
    with connect(stack().database_url) as conn:
        say(str(conn.execute(sql.CREATE_ORGANIZATION, [name]).fetchone()[0]))


@click.group("project")
def project_group() -> None:
    """Ingest projects (one DSN each)."""


@project_group.command("create")
@click.argument("name")
@click.option("--org", "org_id", required=True, help="Organization id.")
def project_create(name: str, org_id: str) -> None:
    """Create a project; prints its id, public key and DSN."""
    current = stack()
    with connect(current.database_url) as conn:
        project_id, public_key = conn.execute(sql.CREATE_PROJECT, [org_id, name]).fetchone()
    say(f"id          {project_id}")
    say(f"public_key  {public_key}")
    say(f"dsn         {current.dsn(project_id, public_key)}")


@click.command("token")
@click.option("--role", required=True, type=click.Choice(tokens.ROLES))
@click.option("--org", "org_id", help="Organization id (required for org_owner and staff).")
@click.option("--user", "user_id", help="User id (the sub claim).")
@click.option("--ttl", default="1h", show_default=True, help="Lifetime, e.g. 30m, 1h, 7d.")
def token(role: str, org_id: str | None, user_id: str | None, ttl: str) -> None:
    """Print a signed JWT for PostgREST. Every token expires."""
    try:
        lifetime = tokens.parse_ttl(ttl)
        say(tokens.mint(stack().secrets.jwt_secret, role, lifetime, org_id=org_id, user_id=user_id))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


COMMANDS = (org_group, project_group, token)
