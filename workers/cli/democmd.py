"""`pgwarden demo` (`make demo`): fills the running stack with a believable week (workers/demo)."""

from __future__ import annotations

import click

from workers.cli.context import stack


@click.command("demo")
def demo() -> None:
    """Demo organizations, errors through the Sentry SDK and PostgREST, monitors of local demo
    services (one flaps), user reports, alert rules to local stub channels and a backfilled week.
    Against the running stack (`make up` first); a second run adds fresh events only."""
    from workers.demo import run  # sentry-sdk and rich load for this command only

    run.run(stack())


COMMANDS = (demo,)
