"""`pgwarden`: the command line.

Every module in this package that defines COMMANDS contributes its commands to the group. Failures
leave through one handler (workers/cli/failures.py) in the shape {code, message, details, hint},
with the exit codes of workers/cli/output.py.
"""

from __future__ import annotations

import importlib
import pkgutil

import click

from workers.cli.failures import PgwardenGroup
from workers.cli.output import EXIT_CODES_HELP

HELP = f"""pgwarden: self-hosted error monitoring and system health, logic in PostgreSQL.

\b
Examples:
  pgwarden stack up                      start everything in the background
  pgwarden errors list --since 24h       error groups seen in the last day
  pgwarden errors show 3f2a              one group (a name or an id prefix will do)
  pgwarden stats --range 7d --json       the week's figures for a script
  pgwarden org list                      organizations, with their projects
  pgwarden health run api || echo down   probe now; exit 3 when unhealthy

Every read command takes --json. Durations: 30s, 15m, 1h, 24h, 7d, 2w, ISO 8601 (PT1H) or
PostgreSQL interval text; times: ISO 8601, now, +1h, -30m.

{EXIT_CODES_HELP}
"""


@click.group(cls=PgwardenGroup, help=HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, expose_value=False, help="Show the Python traceback of a failure.")
def cli() -> None:
    pass


for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
    module = importlib.import_module(f"{__name__}.{module_info.name}")
    for command in getattr(module, "COMMANDS", ()):
        cli.add_command(command)


def main() -> None:
    cli(prog_name="pgwarden")
