"""Where the embedded cluster lives.

When pgwarden runs as root, PostgreSQL runs as the postgres OS user (it refuses root), and that user
must pass through every folder above its data directory. A clone in root's home or in a `mktemp -d`
folder (both 0700) lets nobody through. Then the cluster lives in a directory of its own,
/var/lib/pgwarden/<key>/pg, owned by postgres and private to it (the key derives from the data dir's
path), and <data dir>/pg is a symbolic link to it. The data dir still names exactly one cluster, so
`make down` and two stacks side by side find their own; logs, secrets and run files stay in the data
dir, where the user asked for them."""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
from pathlib import Path

CLUSTERS_DIR = Path(os.environ.get("PGWARDEN_CLUSTERS_DIR", "/var/lib/pgwarden"))
SERVER_USER = "postgres"
LINK_NAME = "pg"
OWNER_FILE = "data-dir"  # in a cluster's home: the data dir it belongs to


class PlacementError(RuntimeError):
    """The cluster cannot be placed where the postgres user reaches it; the message says what to do."""


def locate(data_dir: Path) -> Path:
    """The cluster directory of data_dir, whether or not it exists yet: the target of <data dir>/pg
    when that is a link, <data dir>/pg when it is a directory or the postgres user can reach it,
    else its own home under CLUSTERS_DIR (made by prepare)."""
    link = data_dir / LINK_NAME
    if link.is_symlink():
        return data_dir / os.readlink(link)
    if link.exists() or not _server_is_another_user() or closed_folder(data_dir) is None:
        return link
    return home_of(data_dir) / LINK_NAME


def prepare(data_dir: Path) -> Path:
    """Make sure the postgres user can create and run the cluster of data_dir; returns its directory.
    Relocates a new cluster (a home under CLUSTERS_DIR and the link) when the data dir is private.
    Raises PlacementError, before anything is created, when it cannot be."""
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = locate(data_dir)
    link = data_dir / LINK_NAME
    if link.is_symlink():
        if pgdata.parent.parent == CLUSTERS_DIR and not pgdata.parent.exists():
            _claim_home(pgdata.parent, data_dir)  # removed by hand: a new, empty cluster takes its place
        return pgdata
    if pgdata == link:
        blocked = closed_folder(data_dir) if _server_is_another_user() else None
        if blocked is not None:  # an existing cluster in a folder made private since
            raise PlacementError(
                f"PostgreSQL runs as the {SERVER_USER} user, who cannot enter {blocked} to reach the cluster in "
                f"{pgdata}: let it through with `chmod o+x {blocked}`, or move the data dir (PGWARDEN_DATA_DIR).")
        return pgdata
    _claim_home(pgdata.parent, data_dir)
    link.symlink_to(pgdata)
    return pgdata


def discard(data_dir: Path) -> None:
    """Remove a relocated cluster's home (the cluster must be stopped) and the link to it."""
    link = data_dir / LINK_NAME
    if link.is_symlink():
        home = locate(data_dir).parent
        if home.parent == CLUSTERS_DIR and (home / OWNER_FILE).exists():
            shutil.rmtree(home, ignore_errors=True)
        link.unlink()


def home_of(data_dir: Path) -> Path:
    """CLUSTERS_DIR/<key>: the key is the start of the SHA-256 of the data dir's absolute path."""
    return CLUSTERS_DIR / hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]


def closed_folder(path: Path) -> Path | None:
    """The first folder on the way to path (path included) that the postgres user may not enter, by
    its permission bits; None when it passes through them all."""
    user = pwd.getpwnam(SERVER_USER)
    groups = set(os.getgrouplist(SERVER_USER, user.pw_gid))
    resolved = path.resolve()
    for folder in [*reversed(resolved.parents), resolved]:
        if not folder.exists():
            break  # made by us later, passable unless a umask says otherwise (prepare looks again)
        status = folder.stat()
        if status.st_uid == user.pw_uid:
            allowed = status.st_mode & 0o100
        elif status.st_gid in groups:
            allowed = status.st_mode & 0o010
        else:
            allowed = status.st_mode & 0o001
        if not allowed:
            return folder
    return None


def _server_is_another_user() -> bool:
    """As root, the server runs as the postgres user; otherwise as ourselves (who reach our own files)."""
    return os.geteuid() == 0


def _claim_home(home: Path, data_dir: Path) -> None:
    """Create home (postgres's own, 0700) for data_dir; refuse one left by an earlier data dir at the
    same path, whose link is gone (its secrets are too: the cluster would not match them)."""
    if (home / OWNER_FILE).exists():
        raise PlacementError(
            f"{home} holds the cluster of an earlier data dir at {data_dir}, which no longer links to it: "
            f"remove it with `rm -rf {home}` (its data is lost), or use another data dir (PGWARDEN_DATA_DIR).")
    try:
        CLUSTERS_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
        home.mkdir(mode=0o700, exist_ok=True)
        (home / OWNER_FILE).write_text(f"{data_dir.resolve()}\n")
        for path in (home, home / OWNER_FILE):
            shutil.chown(path, SERVER_USER, SERVER_USER)
    except OSError as exc:
        blocked = closed_folder(data_dir)
        raise PlacementError(
            f"PostgreSQL runs as the {SERVER_USER} user, who cannot enter {blocked}, and its cluster cannot go to "
            f"{home} instead ({exc.strerror}): let it through with `chmod o+x {blocked}`, or choose a data dir it "
            f"can reach (PGWARDEN_DATA_DIR).") from exc
