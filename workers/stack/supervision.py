"""The stack's processes run under supervisord (the `supervisor` package). It restarts a crashed
PostgREST, worker or web process (at once the first time, then after 1 s, 2 s, 3 s ... while it keeps
dying during its start) and logs every exit and start in supervisord.log. PostgreSQL runs under it
too, so its exit is logged and shown by `pgwarden status`, but it is never restarted behind the
operator's back (`make up` starts it again). The config is generated into the run dir at every
start; the control socket is in the data dir, so two stacks never reach each other's processes."""

from __future__ import annotations

import configparser
import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path

from supervisor.xmlrpc import Faults, SupervisorTransport

# A process up for STARTED_SECONDS counts as started: when it dies later it is restarted at once.
# One that dies sooner is retried after a growing delay and given up (state FATAL, shown by
# `pgwarden status`; `make up` tries again) after START_RETRIES tries, about 3.5 minutes.
STARTED_SECONDS = 1
START_RETRIES = 20

# supervisord's process states, as its RPC interface names them
ALIVE = ("STARTING", "RUNNING", "BACKOFF", "STOPPING")
GIVEN_UP = ("FATAL", "EXITED", "STOPPED", "UNKNOWN")


@dataclass(frozen=True)
class Program:
    name: str
    argv: list[str]
    log_file: Path
    restart: bool = True     # False: an exit is logged and shown, never acted on
    user: str | None = None
    directory: str | None = None  # started there (supervisord enters it as `user`)
    stop_signal: str = "TERM"
    stop_seconds: int = 15   # then SIGKILL


class SupervisorError(RuntimeError):
    pass


class Supervisor:
    def __init__(self, data_dir: Path, run_dir: Path, log_dir: Path):
        self.socket = data_dir / "supervisor.sock"
        self.config_file = run_dir / "supervisord.conf"
        self.pid_file = run_dir / "supervisord.pid"
        self.log_file = log_dir / "supervisord.log"

    # -- configuration

    def write_config(self, programs: list[Program]) -> None:
        """Programs stop in the reverse of the list's order (supervisord's priority). None starts by
        itself: the stack starts each once what it needs is ready (PostgreSQL, then the database)."""
        # the socket is the owner's alone (0700), and takes a password too (the config is 0600)
        password = secrets.token_hex(16)
        lines = ["[unix_http_server]", f"file = {_escaped(self.socket)}", "chmod = 0700", "username = pgwarden",
                 f"password = {password}", "",
                 "[supervisord]", f"logfile = {_escaped(self.log_file)}", "logfile_maxbytes = 10MB",
                 "logfile_backups = 3", f"pidfile = {_escaped(self.pid_file)}",
                 f"childlogdir = {_escaped(self.log_file.parent)}", "identifier = pgwarden",
                 # logs name projects, routes and failures: for the owner only (0600, in a 0700 dir)
                 "umask = 077"]
        if os.geteuid() == 0:
            lines.append("user = root")  # said on purpose: supervisord warns when root is implied
        lines += ["", "[rpcinterface:supervisor]",
                  "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
                  "[supervisorctl]", f"serverurl = unix://{_escaped(self.socket)}", "username = pgwarden",
                  f"password = {password}", ""]
        for priority, program in enumerate(programs, start=1):
            lines += [f"[program:{program.name}]",
                      f"command = {_escaped(shlex.join(program.argv))}",
                      f"priority = {priority * 10}",
                      "autostart = false",
                      f"autorestart = {str(program.restart).lower()}",
                      f"startsecs = {STARTED_SECONDS}",
                      f"startretries = {START_RETRIES if program.restart else 2}",
                      f"stopsignal = {program.stop_signal}",
                      f"stopwaitsecs = {program.stop_seconds}",
                      "redirect_stderr = true",
                      f"stdout_logfile = {_escaped(program.log_file)}",
                      "stdout_logfile_maxbytes = 50MB",
                      "stdout_logfile_backups = 3"]
            if program.user:
                lines.append(f"user = {program.user}")
            if program.directory:
                lines.append(f"directory = {_escaped(program.directory)}")
            lines.append("")
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        _make_private(self.log_file.parent)
        self.log_file.touch(mode=0o600)  # supervisord opens its own log before it applies the umask
        self.config_file.touch(mode=0o600)
        self.config_file.chmod(0o600)
        self.config_file.write_text("\n".join(lines))

    # -- supervisord itself

    def _rpc(self) -> xmlrpc.client.ServerProxy:
        """supervisord's RPC interface, with the credentials of the config it was started with."""
        config = configparser.RawConfigParser()
        config.read(self.config_file)
        password = config.get("supervisorctl", "password", fallback="")
        return xmlrpc.client.ServerProxy(
            "http://127.0.0.1", transport=SupervisorTransport("pgwarden", password, f"unix://{self.socket}"))

    def running(self) -> bool:
        try:
            return self._rpc().supervisor.getState()["statename"] == "RUNNING"
        except (OSError, xmlrpc.client.Error):
            return False

    def launch(self, env: dict[str, str], *, foreground: bool, timeout: float = 30.0) -> subprocess.Popen | None:
        """Start supervisord: as a daemon (returns None), or as this process's child that logs to
        stdout too (returned). The child gets its own session: a Ctrl-C on the terminal reaches
        `pgwarden stack run` alone, which then stops everything in order."""
        argv = [sys.executable, "-m", "workers.stack.supervisord_main", "--configuration", str(self.config_file)]
        child = None
        if foreground:
            child = subprocess.Popen([*argv, "--nodaemon"], env=env, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        else:
            daemonized = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                        timeout=timeout)
            if daemonized.returncode != 0:
                raise SupervisorError(f"supervisord did not start:\n{daemonized.stdout}{daemonized.stderr}")
        deadline = time.monotonic() + timeout
        while not self.running():
            if (child is not None and child.poll() is not None) or time.monotonic() > deadline:
                raise SupervisorError(f"supervisord did not answer on {self.socket}; see {self.log_file}")
            time.sleep(0.05)
        return child

    def pid(self) -> int | None:
        """supervisord's PID while it runs (from its PID file, checked against /proc)."""
        try:
            pid = int(self.pid_file.read_text().split()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (FileNotFoundError, ValueError, IndexError):
            return None
        return pid if b"supervisord" in cmdline else None

    def shutdown(self, timeout: float = 180.0) -> list[str]:
        """Stop every program (in the reverse of their start order), then supervisord. Returns the
        names of the programs that were running and "supervisor"; nothing when no supervisor answers."""
        pid = self.pid()
        try:
            running = [info["name"] for info in self._rpc().supervisor.getAllProcessInfo()
                       if info["statename"] in ALIVE]
            self._rpc().supervisor.shutdown()
        except (OSError, xmlrpc.client.Error):
            return []
        deadline = time.monotonic() + timeout
        while pid is not None and _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        return [*reversed(running), "supervisor"]

    def stop_orphans(self, timeout: float = 15.0) -> list[int]:
        """Stop what a supervisord of this data dir that was killed left running: its programs carry
        its socket in SUPERVISOR_SERVER_URL. PostgreSQL's processes are left to pg_ctl (a fast
        shutdown, not a signal to each backend). Returns the PIDs that were stopped."""
        marker = f"SUPERVISOR_SERVER_URL=unix://{self.socket}".encode()
        orphans = []
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if (marker in (proc / "environ").read_bytes().split(b"\0")
                        and Path(os.readlink(proc / "exe")).name != "postgres"):
                    orphans.append(int(proc.name))
            except OSError:  # gone meanwhile, or a kernel thread
                continue
        for pid in orphans:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while any(_alive(pid) for pid in orphans) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in orphans:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        return orphans

    # -- its programs

    def processes(self) -> dict[str, dict]:
        """Each program's state as supervisord reports it (name, statename, pid, start, stop,
        exitstatus, spawnerr, description); empty when no supervisor answers."""
        try:
            return {info["name"]: info for info in self._rpc().supervisor.getAllProcessInfo()}
        except (OSError, xmlrpc.client.Error):
            return {}

    def state(self, name: str) -> str | None:
        return self.processes().get(name, {}).get("statename")

    def start(self, names: list[str]) -> list[str]:
        """Start the named programs that are not running (or starting); returns those started."""
        processes = self.processes()
        started = []
        for name in names:
            if processes.get(name, {}).get("statename") not in ALIVE:
                try:
                    self._rpc().supervisor.startProcess(name, False)
                except xmlrpc.client.Fault as fault:
                    if fault.faultCode == Faults.ALREADY_STARTED:
                        continue
                    raise SupervisorError(f"supervisord could not start {name}: {fault.faultString}") from fault
                started.append(name)
        return started

    def stop(self, names: list[str]) -> list[str]:
        """Stop the named programs that are running (waiting for them); returns those stopped."""
        processes = self.processes()
        stopped = [name for name in names if processes.get(name, {}).get("statename") in ALIVE]
        for name in stopped:
            self._rpc().supervisor.stopProcess(name, True)
        return stopped

    def restart(self, names: list[str]) -> None:
        """Stop the named programs (waiting for them), then start them again."""
        self.stop(names)
        self.start(names)


def _make_private(log_dir: Path) -> None:
    """The log directory 0700 and its logs 0600, narrowing what an older version left readable."""
    log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    log_dir.chmod(0o700)
    for log in log_dir.glob("*.log*"):
        log.chmod(0o600)


def _escaped(value: object) -> str:
    """supervisord expands %(name)s in its values: a literal % is written %%."""
    return str(value).replace("%", "%%")


def _alive(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child (`make run`)
    except ChildProcessError:
        pass
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False
