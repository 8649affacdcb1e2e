"""Runs every pgTAP file under tests/sql with pg_prove, each against its own fresh clone, so one
pytest run reports both suites."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from workers.settings import REPO_ROOT

SQL_TESTS = sorted((REPO_ROOT / "tests" / "sql").rglob("*.test.sql"))


@pytest.mark.parametrize("path", SQL_TESTS, ids=lambda p: str(p.relative_to(REPO_ROOT / "tests" / "sql")))
def test_pgtap_file_passes(path: Path, database_url: str) -> None:
    parts = urlsplit(database_url)
    query = parse_qs(parts.query)
    done = subprocess.run(
        ["pg_prove", "--verbose", "--failures", "-h", query["host"][0], "-p", query["port"][0],
         "-U", "postgres", "-d", parts.path.lstrip("/"), "--set", "ON_ERROR_STOP=1", str(path)],
        capture_output=True, text=True, env={"PGOPTIONS": "-c search_path=tests,public", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
