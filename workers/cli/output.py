"""How every command speaks: rich tables and short summaries for people (colour only on a terminal),
one JSON document with `--json` for scripts, and one shape for every failure: {code, message,
details, hint}. The exit codes are defined here and nowhere else."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import click
from rich.console import Console
from rich.table import Table

EXIT_OK = 0
EXIT_FAILURE = 1  # the command could not do what was asked (bad state, forbidden, rate limited, a bug)
EXIT_USAGE = 2  # an argument or option was wrong (click's usage errors and the database's QV codes)
EXIT_UNHEALTHY = 3  # a service is down or unhealthy, or the stack's database cannot be reached
EXIT_NOT_FOUND = 4  # the object named does not exist (QN codes)

EXIT_CODES_HELP = ("Exit codes: 0 ok, 1 failure, 2 usage error (a wrong argument or option), "
                   "3 unhealthy or down (status, health run, health summary; an unreachable database), "
                   "4 not found.")

SPARK = "▁▂▃▄▅▆▇█"


def console(err: bool = False) -> Console:
    """Colour and terminal width only on a terminal (and never with NO_COLOR); a pipe gets plain text
    wide enough that rows are not folded."""
    stream = sys.stderr if err else sys.stdout
    terminal = stream.isatty()
    return Console(file=stream, highlight=False, soft_wrap=not terminal, emoji=False,
                   width=None if terminal else int(os.environ.get("COLUMNS", "200")),
                   no_color=not terminal or "NO_COLOR" in os.environ)


def json_option(command: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True,
                        help="Print one JSON document (stable keys) instead of the readable form.")(command)


def quiet_option(command: Callable) -> Callable:
    return click.option("--quiet", "-q", is_flag=True, help="Print only the id (for scripts).")(command)


def _json_value(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    return str(value)  # uuids


def print_json(value: Any) -> None:
    """One JSON document, keys sorted: times in ISO 8601, durations in seconds."""
    click.echo(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=_json_value))


def line(text: str = "", style: str | None = None) -> None:
    console().print(text, style=style, markup=False, highlight=False)


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, empty: str, title: str | None = None) -> None:
    """A table with a header, or the sentence `empty` when there are no rows."""
    rows = list(rows)
    if not rows:
        line(empty)
        return
    grid = Table(*columns, title=title, box=None, header_style="bold", pad_edge=False, show_edge=False)
    for row in rows:
        grid.add_row(*("-" if value is None else str(value) for value in row))
    console().print(grid)


def section(title: str) -> None:
    line("")
    line(title, style="bold underline")


def pairs(items: Iterable[tuple[str, Any]]) -> None:
    """Label/value lines, labels aligned."""
    items = [(label, value) for label, value in items if value not in (None, "", [], {})]
    width = max((len(label) for label, _ in items), default=0)
    for label, value in items:
        line(f"  {label:<{width}}  {value}")


def when(value: datetime | str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def duration_words(seconds: float | None) -> str:
    """1 day 4 hours, 3 minutes 20 seconds: the two largest units."""
    if seconds is None:
        return "-"
    remaining = int(round(float(seconds)))
    if remaining == 0:
        return "0 seconds"
    parts = []
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return " ".join(parts[:2])


def sparkline(values: Sequence[float]) -> str:
    top = max(values, default=0)
    if not top:
        return SPARK[0] * len(values)
    return "".join(SPARK[min(len(SPARK) - 1, int(value / top * (len(SPARK) - 1) + 0.5))] for value in values)


def first_line(text: str | None, width: int = 80) -> str:
    lines = (text or "").strip().splitlines()
    return (lines[0][:width - 1] + "…") if lines and len(lines[0]) > width else (lines[0] if lines else "")


def print_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Rows of a query as one JSON array of objects, keyed by `columns`."""
    print_json([dict(zip(columns, row, strict=True)) for row in rows])
