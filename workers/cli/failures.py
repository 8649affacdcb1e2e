"""One handler for every failure of every command: it becomes {code, message, details, hint}, is
printed on stderr (as JSON with --json), and sets the exit code of its class. A Python traceback is
shown only with --debug (or PGWARDEN_DEBUG=1)."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click
import psycopg

from workers.cli.output import EXIT_FAILURE, EXIT_NOT_FOUND, EXIT_UNHEALTHY, EXIT_USAGE, console
from workers.db import PgwardenError, unwrap

# SQLSTATE class of the code -> exit code (see output.EXIT_CODES_HELP)
EXIT_BY_CLASS = {"QV": EXIT_USAGE, "QN": EXIT_NOT_FOUND}

UNREACHABLE_HINT = ("Start the stack with `make up` (or `pgwarden stack up`); `pgwarden status` says what runs. "
                    "With PGWARDEN_DATABASE_URL set, check that URL.")


class Problem(click.ClickException):
    """A failure in the one shape; `exit_code` by its class."""

    def __init__(self, code: str, message: str, details: str | None = None, hint: str | None = None,
                 exit_code: int | None = None):
        super().__init__(message)
        self.code, self.details, self.hint = code, details or None, hint or None
        self.exit_code = exit_code if exit_code is not None else EXIT_BY_CLASS.get(code[:2], EXIT_FAILURE)

    def shape(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details, "hint": self.hint}

    def show(self, file: Any = None) -> None:
        if wants_json():
            click.echo(json.dumps({"error": self.shape()}, ensure_ascii=False), err=True)
            return
        err = console(err=True)
        err.print(f"error {self.code}: {self.message}", style="bold red", markup=False, highlight=False)
        if self.details:
            err.print(f"  {self.details}", markup=False, highlight=False)
        if self.hint:
            err.print(f"  hint: {self.hint}", style="yellow", markup=False, highlight=False)


class Unhealthy(Problem):
    """Not a failure of the command: what it reports is down (exit 3)."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__("unhealthy", message, hint=hint, exit_code=EXIT_UNHEALTHY)


# the arguments of this invocation (click's runner passes them without sys.argv)
_arguments: list[str] = []


def wants_json() -> bool:
    return "--json" in _arguments


def debugging() -> bool:
    return "--debug" in _arguments or os.environ.get("PGWARDEN_DEBUG", "") not in ("", "0")


def problem_of(exc: BaseException) -> Problem:
    """The one shape of any exception a command let through."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, psycopg.OperationalError):
        return Problem("database_unreachable", "the stack's database cannot be reached",
                       str(exc).strip().splitlines()[0] if str(exc).strip() else None, UNREACHABLE_HINT,
                       exit_code=EXIT_UNHEALTHY)
    if isinstance(exc, psycopg.Error):
        exc = unwrap(exc)
    if isinstance(exc, PgwardenError):
        if exc.code.startswith("Q"):
            return Problem(exc.code, exc.message, exc.detail, exc.hint)
        # PostgreSQL's own errors should not reach here (the SQL functions translate them); if one
        # does, it still leaves in the one shape, classed by its SQLSTATE
        code = {"22": "QV001", "23": "QS001", "42": "QA001"}.get(exc.code[:2], exc.code)
        return Problem(code, exc.message, exc.detail,
                       exc.hint or "Check the arguments against the command's --help.")
    if isinstance(exc, TimeoutError):
        return Problem("timeout", str(exc) or "timed out", hint="Try again, or with a longer --timeout.")
    if isinstance(exc, (RuntimeError, OSError, ValueError)):
        return Problem("failed", str(exc) or type(exc).__name__, hint="Run again with --debug for the details.")
    return Problem("internal_error", f"{type(exc).__name__}: {exc}",
                   hint="This is a bug in pgwarden: run again with --debug and report the traceback.")


class PgwardenGroup(click.Group):
    """The root group: every failure below it goes through problem_of."""

    def main(self, args: Any = None, *pos: Any, **kwargs: Any) -> Any:
        _arguments[:] = list(sys.argv[1:] if args is None else args)
        return super().main(args, *pos, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            if debugging():
                raise
            raise problem_of(exc) from exc
