"""`pgwarden deploy`: record a deploy from a CI pipeline (app.deploy_record decides what is valid).

A group that appears or regresses in that environment within the hour after names the deploy as its
suspect release, and so do the alert notifications.
"""

from __future__ import annotations

import click

from workers import sql
from workers.cli.context import stack
from workers.cli.output import json_option, line, print_json
from workers.db import connect


@click.command("deploy")
@click.argument("release")
@click.option("--env", "environment", required=True, help="The environment deployed to, e.g. production.")
@click.option("--project", required=True, help="The project deployed: its id or name.")
@click.option("--at", "deployed_at", help="When it was deployed: ISO 8601, now or -30m (default now).")
@click.option("--commit", help="The commit deployed, e.g. $(git rev-parse HEAD).")
@click.option("--url", help="A link to the CI run or changelog (http or https).")
@json_option
def deploy(release: str, environment: str, project: str, deployed_at: str | None, commit: str | None,
           url: str | None, as_json: bool) -> None:
    """Record that RELEASE was deployed to an environment of a project.

    \b
    Example (CI, after the deploy step):
      pgwarden deploy shop@1.4.3 --env production --project shop --commit "$(git rev-parse HEAD)"
    """
    with connect(stack().database_url) as conn:
        recorded = conn.execute(sql.DEPLOY_RECORD, [release, environment, project, deployed_at, commit,
                                                    url]).fetchone()[0]
    if as_json:
        print_json(recorded)
        return
    line(f"deploy {recorded['id']}: {recorded['release']} to {recorded['environment']} "
         f"(project {recorded['project_id']}) at {recorded['deployed_at']}")


COMMANDS = (deploy,)
