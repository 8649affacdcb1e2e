"""Starting and stopping the stack: `make run` (foreground), `make up`, `make down`, status."""

from __future__ import annotations

import signal
import time

import click

from workers import tokens
from workers.cli.context import stack
from workers.cli.failures import Unhealthy
from workers.stack import placement
from workers.stack.first_admin import ensure_first_admin
from workers.stack.runtime import Stack, say
from workers.stack.supervision import Program


def _bring_up(*, foreground: bool = False) -> Stack:
    current = stack()
    applied = current.ensure_database(foreground=foreground)
    if applied:
        say(f"applied migrations: {', '.join(applied)}")
    current.start_processes(foreground=foreground)
    first_admin = ensure_first_admin(current.database_url)
    project_id, public_key = current.default_project()
    urls = current.urls(current.dsn(project_id, public_key))
    admin_token = tokens.mint(current.secrets.jwt_secret, "system_admin", tokens.parse_ttl("12h"))
    say(f"pgwarden is running (data in {current.settings.data_dir})")
    if current.cluster is not None and current.cluster.pgdata.parent.parent == placement.CLUSTERS_DIR:
        say(f"  Cluster         {current.cluster.pgdata}   (the postgres user cannot enter the data dir's folder)")
    say(f"  PostgREST API   {urls.api}   (OpenAPI document at /)")
    say(f"  Web app         {urls.web}   (status page: {urls.web}status)")
    say(f"  Sentry DSN      {urls.dsn}   (project {project_id})")
    say(f"  Database        {urls.database}")
    say(f"  Admin token     {admin_token}")
    say("                  (system_admin, valid 12h; `pgwarden token --role system_admin` makes another)")
    say(f"  Supervisor log  {current.supervisor.log_file}   (a crashed process is restarted; `pgwarden status`)")
    if first_admin:
        say(f"  Web sign-in     {first_admin[0]}  password {first_admin[1]}")
        say("                  (shown only now; `pgwarden user passwd EMAIL` sets a new one)")
    return current


@click.group("stack")
def stack_group() -> None:
    """Start and stop the embedded stack."""


@stack_group.command("up")
def up() -> None:
    """Start everything in the background under a supervisor; returns once PostgREST answers."""
    _bring_up()


@stack_group.command("run")
def run() -> None:
    """Start everything in the foreground under a supervisor; Ctrl-C stops it all."""
    # Ctrl-C and SIGTERM both stop everything in order (explicit: a shell may start us with
    # SIGINT ignored, and then Python installs no handler of its own)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    current = stack()
    try:
        _bring_up(foreground=True)
        say("press Ctrl-C to stop")
        postgres_reported = False
        while True:
            child = current.supervisor_child
            if (child.poll() is not None) if child is not None else not current.supervisor.running():
                raise click.ClickException(f"the supervisor stopped; see {current.supervisor.log_file}")
            postgres_down = current.cluster is not None and current.supervisor.state("postgres") != "RUNNING"
            if postgres_down and not postgres_reported:
                say(POSTGRES_DOWN.format(log=current.cluster.log_file) + ", or Ctrl-C stops everything")
            postgres_reported = postgres_down
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("\nstopping")
    finally:
        stopped = current.stop()
        if current.supervisor_child is not None:
            current.supervisor_child.wait()
        say(f"stopped: {', '.join(stopped) or 'nothing was running'}")


OPTIONAL_PROGRAMS = ("demo",)  # started by `make demo` only: stopped is its normal state
POSTGRES_DOWN = "PostgreSQL is down and is not restarted automatically (see {log}); `make up` starts it again"


@stack_group.command("down")
def down() -> None:
    """Stop everything the supervisor of this data dir runs, then the supervisor."""
    stopped = stack().stop()
    say(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@click.command("status")
def status() -> None:
    """What is running, and where; a process the supervisor gave up on, or a PostgreSQL that is down.

    Exits with 3 when something is not running (a stopped stack included).
    """
    current = stack()
    processes = current.supervisor.processes()
    if not processes:
        say("supervisor not running (`make up` starts the stack)")
    if current.cluster is None:
        say("postgres   external (PGWARDEN_DATABASE_URL)")
    not_running = []
    for program in current.programs():
        state = _state_of(program, processes.get(program.name), current)
        if not state.startswith("running") and not (program.name in OPTIONAL_PROGRAMS and state == "stopped"):
            not_running.append(program.name)
        say(f"{program.name:<10} {state}")
    urls = current.urls(dsn="")
    say(f"api        {urls.api}")
    say(f"web        {urls.web}")
    say(f"logs       {current.settings.log_dir}")
    if not_running or not processes:
        raise Unhealthy(f"not running: {', '.join(not_running) or 'the supervisor'}",
                        hint="`make up` (or `pgwarden stack up`) starts what is missing.")


def _state_of(program: Program, info: dict | None, current: Stack) -> str:
    if info is None:
        if program.name == "postgres" and current.cluster.initialized() and current.cluster.running():
            return "running without the supervisor (`make up` takes it over)"
        return "stopped"
    state = info["statename"]
    if state == "RUNNING":
        return f"running {info['description']}"
    if program.name == "postgres" and state != "STARTING":
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info["stop"])) if info["stop"] else "start"
        return f"DOWN since {since} ({_exit_of(info)}); " + POSTGRES_DOWN.format(log=program.log_file)
    if state == "FATAL":
        return (f"FATAL: kept dying while starting ({info['spawnerr'] or _exit_of(info)}), given up; "
                f"see {program.log_file}; `make up` tries again")
    if state == "BACKOFF":
        return f"restarting after a crash (waiting before the next try; see {program.log_file})"
    return state.lower()


def _exit_of(info: dict) -> str:
    # supervisord reports -1 for a process ended by a signal (its log names the signal)
    return "killed by a signal" if info["exitstatus"] == -1 else f"exit status {info['exitstatus']}"


COMMANDS = (stack_group, status)
