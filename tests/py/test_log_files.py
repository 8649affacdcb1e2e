"""The stack's log files are readable by their owner only: supervisord creates them (umask 077)
in a directory of mode 0700, and narrows what an older version left world-readable."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from tests.py.jobs_support import wait_until
from workers.stack.supervision import Program, Supervisor


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def supervised_print(tmp_path: Path, text: str) -> Path:
    """Run one program under a supervisord of its own that prints `text`; return its log file."""
    log_dir = tmp_path / "log"
    supervisor = Supervisor(tmp_path, tmp_path / "run", log_dir)
    log_file = log_dir / "web.log"
    supervisor.write_config([Program("web", [sys.executable, "-c", f"print({text!r})"], log_file, restart=False)])
    supervisor.launch(dict(os.environ), foreground=False)
    try:
        supervisor.start(["web"])
        wait_until(lambda: log_file.exists() and text in log_file.read_text(), timeout=30, what="the program's output")
    finally:
        supervisor.shutdown()
    return log_file


def test_a_process_log_is_created_readable_by_its_owner_only(tmp_path):
    log_file = supervised_print(tmp_path, "started")
    assert (mode(log_file), mode(log_file.parent), mode(tmp_path / "log" / "supervisord.log")) == (0o600, 0o700, 0o600)


def test_a_world_readable_log_from_an_older_version_is_narrowed_and_kept(tmp_path):
    log_dir = tmp_path / "log"
    log_dir.mkdir(mode=0o755)
    (log_dir / "web.log").write_text("before\n")
    (log_dir / "web.log").chmod(0o644)
    log_file = supervised_print(tmp_path, "after")
    assert log_file.read_text() == "before\nafter\n"
    assert (mode(log_file), mode(log_dir)) == (0o600, 0o700)
