"""`pgwarden user`: people who sign in to the web app. Passwords are hashed here (argon2id); what
makes a valid user, and who may sign in, is SQL's (db/functions/app/800_web_sign_in.sql)."""

from __future__ import annotations

import sys

import click

from workers import sql
from workers.cli.context import stack
from workers.cli.output import json_option, line, pairs, print_json, table, when
from workers.db import connect
from workers.stack.runtime import say
from workers.web.ui.security import generate_password, hash_password

ROLES = ("system_admin", "org_owner", "staff")
MIN_PASSWORD_LENGTH = 10


def _password(from_stdin: bool) -> tuple[str, bool]:
    """(the password, whether it was generated here and so must be shown)."""
    if not from_stdin:
        return generate_password(), True
    password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.UsageError(f"the password on stdin has fewer than {MIN_PASSWORD_LENGTH} characters")
    return password, False


@click.group("user")
def user_group() -> None:
    """People who sign in to the web app: create, list, show, passwd, delete.

    A user is named by e-mail address, id or id prefix.
    """


@user_group.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--org", "org_id", help="Organization (org_owner and staff): id, id prefix or name.")
@click.option("--name", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def user_create(email: str, role: str, org_id: str | None, name: str | None, password_stdin: bool) -> None:
    """Create a user; prints a generated password (shown once) unless --password-stdin."""
    password, generated = _password(password_stdin)
    with connect(stack().database_url) as conn:
        organization_id = conn.execute(sql.ORG_REF, [org_id]).fetchone()[0]
        user_id = conn.execute(sql.USER_CREATE, [email, role, organization_id, hash_password(password), name]
                               ).fetchone()[0]
    say(f"user      {user_id}")
    if generated:
        say(f"password  {password}")


@user_group.command("passwd")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def user_passwd(email: str, password_stdin: bool) -> None:
    """Set a new password (ends the user's sessions); prints a generated one unless --password-stdin."""
    password, generated = _password(password_stdin)
    with connect(stack().database_url) as conn:
        conn.execute(sql.USER_SET_PASSWORD, [email, hash_password(password)])
    say(f"password  {password}" if generated else "password set")


@user_group.command("list")
@json_option
def user_list(as_json: bool) -> None:
    """Every user, oldest first."""
    with connect(stack().database_url) as conn:
        users = conn.execute(sql.USER_LIST).fetchone()[0]
    if as_json:
        print_json(users)
        return
    table(("id", "email", "name", "role", "organization", "sign-in", "created"),
          [(u["id"], u["email"], u["name"], u["role"], u["organization"] or "platform",
            "yes" if u["can_sign_in"] else "no", when(u["created_at"])) for u in users],
          empty="no users (`pgwarden user create EMAIL --role ROLE` makes one)")


@user_group.command("show")
@click.argument("user")
@json_option
def user_show(user: str, as_json: bool) -> None:
    """One USER (e-mail address, id or id prefix)."""
    with connect(stack().database_url) as conn:
        found = conn.execute(sql.USER_SHOW, [user]).fetchone()[0]
    if as_json:
        print_json(found)
        return
    line(f"{found['email']}  ({found['id']})", style="bold")
    pairs([("name", found["name"]), ("role", found["role"]), ("organization", found["organization"] or "platform"),
           ("may sign in", "yes" if found["can_sign_in"] else "no"), ("created", when(found["created_at"])),
           ("last sign-in", when(found["last_signed_in_at"]) if found["last_signed_in_at"] else "never")])


@user_group.command("delete")
@click.argument("user")
@click.confirmation_option("--yes", prompt="Delete the user (their sessions end; what they did stays)?",
                           help="Do not ask.")
def user_delete(user: str) -> None:
    """Delete USER (e-mail address, id or id prefix); the last system admin who can sign in stays."""
    with connect(stack().database_url) as conn:
        email = conn.execute(sql.USER_DELETE, [user]).fetchone()[0]
    say(f"user {email} deleted")


COMMANDS = (user_group,)
