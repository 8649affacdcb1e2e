"""`pgwarden`: the command line. Exit codes: 0 ok, 1 failure, 2 usage, 3 database unreachable.

Every module in this package that defines COMMANDS contributes its commands to the group.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click
import psycopg

from workers.db import PgwardenError, unwrap


@click.group()
def cli() -> None:
    """pgwarden: self-hosted error monitoring and system health, logic in PostgreSQL."""


for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
    module = importlib.import_module(f"{__name__}.{module_info.name}")
    for command in getattr(module, "COMMANDS", ()):
        cli.add_command(command)


def main() -> None:
    try:
        cli(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except psycopg.OperationalError as exc:
        click.echo(f"database unreachable: {exc}", err=True)
        sys.exit(3)
    except psycopg.Error as exc:
        click.echo(str(unwrap(exc)), err=True)
        sys.exit(1)
    except (PgwardenError, RuntimeError, TimeoutError) as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
