"""Long-running child processes (PostgREST, worker, web) tracked by PID files in the run dir.
`make down` stops exactly the processes whose PID files it finds, nothing found by name."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


class Process:
    def __init__(self, name: str, argv: list[str], run_dir: Path, log_dir: Path, env: dict | None = None):
        self.name = name
        self.argv = argv
        self.pid_file = run_dir / f"{name}.pid"
        self.log_file = log_dir / f"{name}.log"
        self.env = env

    def pid(self) -> int | None:
        """The recorded PID if that process is still alive and still ours."""
        try:
            pid = int(self.pid_file.read_text().split()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
        except (FileNotFoundError, ValueError, IndexError):
            return None
        # a recycled PID belongs to some other program: not ours to signal
        return pid if os.path.basename(cmdline) == os.path.basename(self.argv[0]) else None

    def start(self) -> subprocess.Popen:
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            child = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=self.env, start_new_session=True)
        self.pid_file.write_text(f"{child.pid}\n")
        return child

    def stop(self, timeout: float = 15.0) -> bool:
        """SIGTERM, then SIGKILL after the timeout. Returns whether something was stopped."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)
        return True


def _alive(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child
    except ChildProcessError:
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"
