"""Instructions per call of the per-event ingest functions, on bench/grouping_functions.py's cases,
and per event of app.capture_batch and app.web_ingest, counted by valgrind's callgrind in a
single-user postgres. Prints figures, asserts nothing.

The timed benchmark varies by 10-30 % from run to run on a shared two-core machine, which hides a
change of a few per cent; an instruction count is the same on every run, however busy the machine
is: within 0.1 % between databases built anew for a function, 1–2 % for a write (its events' ids are
random). It is not a time (cache misses and branch mispredictions cost nothing here), so it answers
"did this change add work, and how much" rather than "how fast".

    .venv/bin/python bench/ingest_instructions.py [--repeats 100] [--against REV] [--only TEXT]

--against REV counts the same cases on REV's schema beside this checkout's, and prints the change:
REV's database is built by REV's own migrations, in a git worktree removed afterwards. Each count is
that of a session whose query calls the function (1 + repeats) × inputs times, less that of the
same session whose query calls it once per input (start-up, parsing and planning cancel out; the
plan and regex caches are warmed by 50 calls first), divided by the calls. A write row (capture_batch
on bench/ingest_sql.py's two mixes, web_ingest on bench/ingest_profile.py's envelopes) is that of a
session writing more units less one writing the first of them (which create the groups), each on a
fresh copy of the database, per event.
Needs valgrind (scripts/install-bench-tools.sh installs it); about 6 minutes per checkout here.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from psycopg.sql import Literal

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import REPO_ROOT  # noqa: E402
from grouping_functions import CASES, EVENT_EXPRESSION, EVENTS, V8_TRACE  # noqa: E402
from ingest_profile import bodies as ingest_bodies  # noqa: E402
from ingest_sql import make_payloads  # noqa: E402

from workers import sql  # noqa: E402
from workers.cli.webcmd import WEB_ROLE  # noqa: E402
from workers.settings import PG_BIN  # noqa: E402
from workers.stack.cluster import as_postgres, give_to_postgres  # noqa: E402

WARM_CALLS = 50
CAPTURE_BATCH = 500
ORGANIZATION = "00000000-0000-4000-8000-00000000bec4"  # (the writes': no rate limit)
PROJECT_KEY = "0123456789abcdef0123456789abcdef"

# Run with a checkout's own code (argv: checkout, destination): build the migrated "bench" database
# in a throwaway cluster, stop it and copy its data directory, so that a single-user postgres can
# run on the copy after the throwaway cluster is gone.
COPY_SCHEMA = """
import shutil, sys
sys.path[:0] = [sys.argv[1] + "/bench", sys.argv[1]]
from benchlib import throwaway_database
with throwaway_database(fast=True) as (cluster, url):
    cluster.stop()
    shutil.copytree(cluster.pgdata, sys.argv[2], symlinks=True)
    cluster.start()
"""


def literal(text: str) -> str:
    """text as an SQL string literal (psycopg's quoting, no connection needed)."""
    return Literal(text).as_string(None)


def session(expression: str, inputs: list[str | None], repeats: int) -> str:
    """A single-user session (-j: statements end with a semicolon and an empty line) that loads the
    inputs, warms the caches, then calls expression repeats × inputs times in one query."""
    rows = ", ".join(f"(app.parse_stack_trace({literal(V8_TRACE)})::text)" if value is None
                     else f"({literal(value)})" for value in inputs)

    def calls(times: int) -> str:
        return (f"SELECT count({expression}) FROM (SELECT x FROM generate_series(1, {times}) AS g, bench_input"
                f" ORDER BY g.g, bench_input.ctid) AS ordered;\n\n")

    statements = ("SET jit = off;\n\nCREATE TEMP TABLE bench_input (x text);\n\n"
                  f"INSERT INTO bench_input VALUES {rows};\n\n" + calls(WARM_CALLS))
    return statements + calls(repeats)


def capture_session(fingerprints: int, batches: int) -> str:
    """A single-user session capturing batches of bench/ingest_sql.py's events for an organization
    without a rate limit, one transaction per batch."""
    statements = (f"INSERT INTO app.organizations (id, name) VALUES ('{ORGANIZATION}', 'bench');\n\n"
                  f"SELECT app.rate_limit_set('{ORGANIZATION}'::uuid, 0);\n\n")
    for payload in make_payloads(fingerprints, CAPTURE_BATCH * batches, CAPTURE_BATCH):
        statements += (f"SELECT count(*) FROM app.capture_batch('{ORGANIZATION}'::uuid, NULL,"
                       f" {literal(payload)}::jsonb);\n\n")
    return statements


def web_ingest_session(per_call: int, calls: int) -> str:
    """A single-user session calling app.web_ingest as pgwarden web does (bench/ingest_profile.py's
    envelopes, as the web's role), one transaction per call of per_call envelopes."""
    statements = (f"INSERT INTO app.organizations (id, name) VALUES ('{ORGANIZATION}', 'bench');\n\n"
                  f"SELECT app.rate_limit_set('{ORGANIZATION}'::uuid, 0);\n\n"
                  f"INSERT INTO app.projects (id, organization_id, name, public_key) OVERRIDING SYSTEM VALUE"
                  f" VALUES (1, '{ORGANIZATION}', 'bench', '{PROJECT_KEY}');\n\nSET ROLE {WEB_ROLE};\n\n"
                  # (psycopg prepares a statement a connection has run 5 times: the web's calls are planned once)
                  f"PREPARE ingest (text) AS {sql.WEB_INGEST.replace('%s', '$1')};\n\n")
    for body in ingest_bodies(1, PROJECT_KEY, per_call, calls):
        statements += f"EXECUTE ingest ({literal(body)});\n\n"
    return statements


# (label, session of n units, n of the smaller and of the larger session, events a unit): a row is
# the larger session's instructions less the smaller's (whose first units create the groups), per event
WRITES: list[tuple[str, Callable[[int], str], int, int, int]] = [
    ("capture_batch, 1,000 fingerprints (per event)", lambda n: capture_session(1000, n), 2, 4, CAPTURE_BATCH),
    ("capture_batch, one hot fingerprint (per event)", lambda n: capture_session(1, n), 2, 4, CAPTURE_BATCH),
    ("web_ingest, one envelope a call (per call)", lambda n: web_ingest_session(1, n), 100, 200, 1),
    ("web_ingest, 32 envelopes a call (per event)", lambda n: web_ingest_session(32, n), 5, 10, 32),
]


def per_event(data: Path, session: Callable[[int], str], smaller: int, larger: int, events: int) -> float | None:
    without = instructions(data, session(smaller), fresh=True)
    with_events = instructions(data, session(larger), fresh=True)
    if without is None or with_events is None:
        return None
    return (with_events - without) / ((larger - smaller) * events)


def instructions(data: Path, statements: str, fresh: bool = False) -> int | None:
    """Instructions a single-user postgres on data executes for statements; None when one fails
    (the function or its signature does not exist in that schema). fresh: on a copy of data, which
    the statements change."""
    if fresh:
        copy = data.with_name(data.name + "-copy")
        shutil.rmtree(copy, ignore_errors=True)
        subprocess.run(["cp", "-a", str(data), str(copy)], check=True)  # (keeps the owner, postgres)
        data = copy
    done = subprocess.run(
        as_postgres(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                     str(PG_BIN / "postgres"), "--single", "-j", "-D", str(data), "bench"]),
        input=statements, capture_output=True, text=True, cwd="/")
    if "ERROR:" in done.stdout + done.stderr:
        return None
    counted = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or counted is None:
        raise RuntimeError(f"postgres under callgrind failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return int(counted.group(1))


def per_call(data: Path, expression: str, inputs: list[str | None], repeats: int) -> float | None:
    # the same query once with one repeat: its parsing, planning and start-up cancel out
    without = instructions(data, session(expression, inputs, 1))
    with_calls = instructions(data, session(expression, inputs, 1 + repeats))
    if without is None or with_calls is None:
        return None
    return (with_calls - without) / (repeats * len(inputs))


def count(data: Path, expression: str | None, inputs: Any, repeats: int) -> float | None:
    """A function case's instructions per call, or a write's (no expression; inputs: its WRITES
    entry) per event."""
    return per_event(data, *inputs) if expression is None else per_call(data, expression, inputs, repeats)


@contextmanager
def schema_copy(checkout: Path, scratch: Path, name: str) -> Iterator[Path]:
    """The data directory of a database built by checkout's migrations, owned by postgres."""
    data = scratch / name
    built = subprocess.run([sys.executable, "-c", COPY_SCHEMA, str(checkout), str(data)], capture_output=True,
                           text=True, cwd=checkout)
    if built.returncode != 0:
        raise RuntimeError(f"building {name}'s database failed:\n{built.stderr[-3000:]}")
    for path in [data, *data.rglob("*")]:
        give_to_postgres(path)
    yield data


@contextmanager
def worktree(revision: str, scratch: Path) -> Iterator[Path]:
    path = scratch / "checkout"
    subprocess.run(["git", "-C", str(REPO_ROOT), "worktree", "add", "-q", "--detach", str(path), revision],
                   check=True)
    try:
        yield path
    finally:
        subprocess.run(["git", "-C", str(REPO_ROOT), "worktree", "remove", "--force", str(path)], check=True)


def figure(value: float | None) -> str:
    return f"{value:15,.0f}" if value is not None else f"{'n/a':>15}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=100, help="times each input is used (default 100)")
    parser.add_argument("--against", metavar="REV", help="also count on this revision's schema")
    parser.add_argument("--only", default="", help="the cases whose label holds this text")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        subprocess.run([str(REPO_ROOT / "scripts" / "install-bench-tools.sh")], check=True)
    cases: list[tuple[str, Any, Any]] = [
        *CASES, ("whole event, 8 kinds one after another", EVENT_EXPRESSION.replace("e ->", "x::jsonb ->"), EVENTS),
        *((label, None, write) for label, *write in WRITES)]
    scratch = Path(tempfile.mkdtemp(prefix="pgwarden-instructions-"))
    scratch.chmod(0o755)
    try:
        with schema_copy(REPO_ROOT, scratch, "this") as this:
            against = None
            if args.against:
                with worktree(args.against, scratch) as checkout, schema_copy(checkout, scratch, "against") as built:
                    against = built
            header = f"{'function and input':<52} {'instructions/call':>17}"
            print(header + (f" {args.against[:12] + ' ins/call':>22} {'change':>8}" if against else ""))
            for label, expression, inputs in cases:
                if args.only not in label:
                    continue
                now = count(this, expression, inputs, args.repeats)
                line = f"{label:<52} {figure(now):>17}"
                if against:
                    before = count(against, expression, inputs, args.repeats)
                    change = f"{(now / before - 1) * 100:+7.1f}%" if now and before else ""
                    line += f" {figure(before):>22} {change:>8}"
                print(line, flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
