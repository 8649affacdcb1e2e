"""A streaming read replica of the embedded cluster, on this machine (`pgwarden db replica`): a hot
standby made by pg_basebackup -R as the postgres OS user, in its own directory beside the primary's
cluster and on its own port (PGWARDEN_REPLICA_PORT, default the primary's + 1). It serves reads (the
reporting schema, pgwarden_reader's dashboards); writes go to the primary, always. It streams through
a replication slot, so it can stop for a while and catch up (the primary keeps at most
max_slot_wal_keep_size of WAL for it). It runs under pg_ctl (its log: server.log in its directory),
not the stack's supervisor; `make down` stops it too."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg

from workers import sql
from workers.db import PgwardenError, with_login
from workers.settings import DATABASE_NAME, PG_BIN
from workers.stack import placement
from workers.stack.cluster import Cluster, give_to_postgres, run_checked

if TYPE_CHECKING:
    from workers.stack.runtime import Stack

SLOT = "pgwarden_replica"  # the replication slot, and the replica's cluster_name (application_name)


@dataclass(frozen=True)
class ReplicaState:
    running: bool
    streaming: str | None          # the primary's view: 'streaming', 'catchup' ..., None: not connected
    replay_lag_seconds: float | None   # the primary's measure of the last reply (NULL while idle)
    bytes_behind: int | None       # WAL the primary wrote that the replica has not replayed
    replayed_age_seconds: float | None  # since the last transaction the replica replayed was committed


def cluster_of(current: Stack) -> Cluster:
    """The replica's cluster (whether or not it exists): beside the primary's, where the postgres
    user can reach it (the data dir, or the cluster's home when the data dir is private)."""
    if current.cluster is None:
        raise PgwardenError("a replica is made of the embedded cluster: with PGWARDEN_DATABASE_URL, use your "
                            "PostgreSQL provider's replicas (any streaming replica serves the reporting schema)")
    primary_dir = placement.locate(current.settings.data_dir)
    # its log inside its own directory: pg_ctl writes it as the postgres user, who may not enter the
    # stack's log dir
    return Cluster(primary_dir.parent / "replica", current.settings.replica_port, standby_name=SLOT)


def create(current: Stack) -> Cluster:
    """Copy the running primary with pg_basebackup -R (a standby that follows it), then start it."""
    replica = cluster_of(current)
    if replica.initialized():
        raise PgwardenError(f"a replica exists in {replica.pgdata}: `pgwarden db replica start`, or "
                            "`pgwarden db replica drop` first to make a new one")
    primary = current.cluster
    if not primary.ready():
        raise PgwardenError("PostgreSQL is not running: start the stack first (make up)")
    with psycopg.connect(current.server_url, autocommit=True) as conn:
        conn.execute(sql.REPLICATION_SLOT_DROP_INACTIVE, [SLOT])  # left by a replica removed by hand
    replica.pgdata.mkdir(mode=0o700, parents=True, exist_ok=True)
    give_to_postgres(replica.pgdata)
    run_checked([str(PG_BIN / "pg_basebackup"), "-D", str(replica.pgdata), "--write-recovery-conf",
                 "--wal-method=stream", "--create-slot", f"--slot={SLOT}", "--checkpoint=fast", "--no-password",
                 "-h", str(primary.socket_dir), "-p", str(primary.port), "-U", "postgres"])
    start(current)
    return replica


def start(current: Stack) -> Cluster:
    replica = cluster_of(current)
    if not replica.initialized():
        raise PgwardenError("there is no replica: `pgwarden db replica create` makes one")
    replica.start()  # writes its own config (port, socket, standby settings) over the primary's copy
    return replica


def stop(current: Stack) -> bool:
    """Stop the replica if it runs; True when it did."""
    replica = cluster_of(current)
    if not (replica.initialized() and replica.running()):
        return False
    replica.stop()
    return True


def drop(current: Stack) -> None:
    """Stop the replica, delete its directory and the primary's slot for it."""
    replica = cluster_of(current)
    stop(current)
    shutil.rmtree(replica.pgdata, ignore_errors=True)
    if current.cluster.ready():
        with psycopg.connect(current.server_url, autocommit=True) as conn:
            conn.execute(sql.REPLICATION_SLOT_DROP_INACTIVE, [SLOT])


def state(current: Stack) -> ReplicaState:
    replica = cluster_of(current)
    running = replica.initialized() and replica.running()
    streaming = lag = behind = age = None
    if current.cluster.ready():
        with psycopg.connect(current.server_url, autocommit=True) as conn:
            row = conn.execute(sql.REPLICATION_STATE, [SLOT]).fetchone()
        if row:
            streaming, lag, behind = row
    if running:
        with psycopg.connect(replica.url("postgres"), autocommit=True) as conn:
            _, _, age = conn.execute(sql.REPLICA_REPLAY).fetchone()
    return ReplicaState(running, streaming, lag, behind, age)


def reader_url(current: Stack, port: int) -> str:
    """pgwarden_reader's login over TCP (what Grafana is given), at the primary's or the replica's port."""
    return with_login(f"postgresql://127.0.0.1:{port}/{DATABASE_NAME}", "pgwarden_reader",
                      current.secrets.reader_password)
