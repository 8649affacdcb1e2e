"""Any checkout works as root: in a private folder (root's home, a `mktemp -d` folder, both 0700) the
postgres user cannot reach the data dir, so the cluster lives in a home of its own that it can reach,
and everything else stays where the user asked (workers/stack/placement.py)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, scratch_dir
from tests.py.stack_support import alive
from workers.settings import REPO_ROOT
from workers.stack import placement
from workers.stack.supervision import Supervisor

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user")


@pytest.fixture
def clusters_dir(monkeypatch):
    """A stand-in for /var/lib/pgwarden, so these tests leave nothing there."""
    path = scratch_dir("pgwarden-clusters-")
    monkeypatch.setattr(placement, "CLUSTERS_DIR", path)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def private_folder():
    path = Path(tempfile.mkdtemp(prefix="pgwarden-private-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def owner_and_mode(path: Path) -> tuple[str, int]:
    return path.owner(), stat.S_IMODE(path.stat().st_mode)


def test_a_data_dir_in_a_private_folder_gets_a_cluster_home_the_postgres_user_owns(clusters_dir, private_folder):
    data_dir = private_folder / ".data"
    assert stat.S_IMODE(private_folder.stat().st_mode) == 0o700
    assert placement.closed_folder(private_folder) == private_folder

    pgdata = placement.prepare(data_dir)

    assert pgdata.parent.parent == clusters_dir
    assert owner_and_mode(pgdata.parent) == ("postgres", 0o700)
    assert (data_dir / "pg").is_symlink() and (data_dir / "pg").resolve() == pgdata
    assert placement.locate(data_dir) == pgdata == placement.prepare(data_dir), "found again, not placed anew"


def test_two_private_data_dirs_get_two_homes(clusters_dir, private_folder):
    homes = {placement.prepare(private_folder / name).parent for name in ("one", "two")}
    assert len(homes) == 2


def test_a_data_dir_the_postgres_user_reaches_keeps_its_cluster_inside(clusters_dir):
    data_dir = scratch_dir("pgwarden-open-")
    try:
        assert placement.prepare(data_dir) == data_dir / "pg"
        assert list(clusters_dir.iterdir()) == []
    finally:
        shutil.rmtree(data_dir)


def test_a_home_left_by_an_earlier_data_dir_at_the_same_path_is_not_taken_over(clusters_dir, private_folder):
    data_dir = private_folder / ".data"
    home = placement.prepare(data_dir).parent
    shutil.rmtree(data_dir)  # the clone was deleted, its cluster's home was not

    with pytest.raises(placement.PlacementError, match=str(home)):
        placement.prepare(data_dir)
    assert not (data_dir / "pg").exists()


def test_a_cluster_inside_a_folder_made_private_later_is_refused_by_name(clusters_dir, private_folder):
    (private_folder / ".data" / "pg").mkdir(parents=True)  # made while the folder was open

    with pytest.raises(placement.PlacementError, match=f"chmod o\\+x {private_folder}"):
        placement.prepare(private_folder / ".data")


def test_make_up_status_and_down_work_from_a_clone_in_a_private_folder(private_folder):
    """As a reviewer does it: `git clone` into `mktemp -d`, then make. The clone reuses this
    checkout's installed venv and PostgREST by symbolic links (and imports its own code through
    PYTHONPATH), so the install step finds nothing to do."""
    clone = private_folder / "p"
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True, timeout=120)
    for installed in (".venv", ".tools"):
        (clone / installed).symlink_to(REPO_ROOT / installed)
    env = {**os.environ, "PYTHONPATH": str(clone), "PGWARDEN_PG_PORT": str(free_port()),
           "PGWARDEN_API_PORT": str(free_port()), "PGWARDEN_WEB_PORT": str(free_port())}
    for name in ("PGWARDEN_DATA_DIR", "PGWARDEN_DATABASE_URL", "MAKEFLAGS", "MAKELEVEL"):
        env.pop(name, None)
    data_dir = clone / ".data"

    def make(target: str) -> subprocess.CompletedProcess:
        return subprocess.run(["make", "--no-print-directory", target], cwd=clone, env=env, capture_output=True,
                              text=True, timeout=300)

    try:
        up = make("up")
        assert up.returncode == 0, up.stdout + up.stderr
        assert "installing" not in up.stdout, "the clone reuses this checkout's installation"
        assert "Sentry DSN" in up.stdout

        pgdata = (data_dir / "pg").resolve()
        assert pgdata.parent.parent == placement.CLUSTERS_DIR
        assert owner_and_mode(pgdata.parent) == ("postgres", 0o700)
        assert (pgdata / "PG_VERSION").exists()
        assert f"Cluster         {pgdata}" in up.stdout, "make up says where the cluster went"
        assert (data_dir / "secrets.json").exists() and (data_dir / "log" / "postgres.log").exists(), \
            "secrets and logs stay in the data dir"
        assert httpx.get(f"http://127.0.0.1:{env['PGWARDEN_API_PORT']}/").status_code == 200

        status = make("status")
        assert status.returncode == 0, status.stderr
        assert [line.split()[:2] for line in status.stdout.splitlines()[:4]] == [
            ["postgres", "running"], ["postgrest", "running"], ["worker", "running"], ["web", "running"]]

        supervisor = Supervisor(data_dir, data_dir / "run", data_dir / "log")
        pids = [info["pid"] for info in supervisor.processes().values()] + [supervisor.pid()]
        down = make("down")
        assert down.returncode == 0, down.stderr
        assert [pid for pid in pids if alive(pid)] == []
        assert (pgdata / "PG_VERSION").exists(), "make down keeps the data"
    finally:
        make("down")
        placement.discard(data_dir)
