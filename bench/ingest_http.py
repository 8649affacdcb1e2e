"""Benchmark: capturing errors through PostgREST (/rpc/capture_error and /rpc/capture_errors).

Starts its own throwaway cluster and PostgREST on free ports, lifts the rate limit, then runs
single captures and batches of 100 with N concurrent clients (keep-alive HTTP connections), for
1,000 fingerprints and for one hot fingerprint, with PGWARDEN_INGEST_SYNC off and then on. Prints
requests/s, events/s, non-2xx answers, the CPU each request cost the database backends, PostgREST
and the load generator, and checks count(events) = sum(occurrence_count). No assertions on speed.

The load generator is wrk (Debian package, installed by scripts/install-bench-tools.sh when
missing): a Python client on the same two cores spends ~200 µs of CPU per request, as much as
PostgREST. Without wrk (--python-client, or when it cannot be installed) a threaded Python client
runs instead.

    .venv/bin/python bench/ingest_http.py [--seconds 10] [--clients 16] [--batch 100] [--python-client]
                                          [--ingest-sync both]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from benchlib import (  # noqa: E402
    add_ingest_sync_option,
    cpu_seconds,
    free_port,
    ingest_sync_modes,
    set_ingest_sync,
    throwaway_database,
)
from ingest_sql import (  # noqa: E402
    counts,
    create_unlimited_organization,
    event,
)

from workers.stack import postgrest  # noqa: E402


def start_postgrest(database_url: str, run_dir: Path, jwt_secret: str | None = None) -> tuple[subprocess.Popen, int]:
    port = free_port()
    config = postgrest.write_config(run_dir / "postgrest.conf",
                                    db_uri=postgrest.authenticator_uri(database_url, "unused-on-socket"),
                                    jwt_secret=jwt_secret or uuid.uuid4().hex * 2, port=port)
    log = open(run_dir / "postgrest.log", "wb")
    process = subprocess.Popen([str(postgrest.POSTGREST_BIN), str(config), *postgrest.rts_options()], stdout=log,
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                return process, port
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError((run_dir / "postgrest.log").read_text())
        time.sleep(0.1)


def client_process(port: int, key: str, path: str, bodies: list[bytes], seconds: float, threads: int, results) -> None:
    """One process with several threads, each on its own keep-alive connection, until time is up."""
    import threading

    stop_at = time.monotonic() + seconds
    tally = {"requests": 0, "failed": 0}
    lock = threading.Lock()

    def run(offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port)
        headers = {"Content-Type": "application/json", "X-Pgwarden-Key": key}
        done = failed = 0
        while time.monotonic() < stop_at:
            connection.request("POST", path, body=bodies[(offset + done) % len(bodies)], headers=headers)
            response = connection.getresponse()
            response.read()
            done += 1
            failed += response.status >= 300
        with lock:
            tally["requests"] += done
            tally["failed"] += failed

    workers = [threading.Thread(target=run, args=(n * 7919,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put(tally)


def load(port: int, key: str, path: str, bodies: list[bytes], seconds: float, clients: int) -> tuple[int, int, float]:
    processes = 2 if clients >= 2 else 1  # the client needs more than one core's worth of Python
    results = multiprocessing.Queue()
    threads = [clients // processes + (n < clients % processes) for n in range(processes)]
    spawned = [multiprocessing.Process(target=client_process, args=(port, key, path, bodies, seconds, count, results))
               for count in threads]
    started = time.perf_counter()
    for process in spawned:
        process.start()
    tallies = [results.get() for _ in spawned]
    for process in spawned:
        process.join()
    elapsed = time.perf_counter() - started
    return sum(t["requests"] for t in tallies), sum(t["failed"] for t in tallies), elapsed


BENCH_DIR = Path(__file__).resolve().parent


def wrk_available() -> bool:
    """wrk on the PATH, installing it with scripts/install-bench-tools.sh if need be."""
    if shutil.which("wrk") is None:
        installed = subprocess.run([str(BENCH_DIR.parent / "scripts" / "install-bench-tools.sh")])
        if installed.returncode != 0:
            return False
    return shutil.which("wrk") is not None


def load_with_wrk(port: int, key: str, path: str, bodies: list[bytes], seconds: float,
                  clients: int) -> tuple[int, int, float, float]:
    """wrk with clients connections on two threads: requests, non-2xx, seconds, wrk's CPU seconds."""
    with tempfile.NamedTemporaryFile("wb", suffix=".jsonl") as file:
        file.write(b"\n".join(bodies) + b"\n")
        file.flush()
        before = os.times()
        done = subprocess.run(["wrk", "-t", "2", "-c", str(clients), "-d", f"{max(round(seconds), 1)}s", "-s",
                               str(BENCH_DIR / "ingest_http.lua"), f"http://127.0.0.1:{port}{path}", "--",
                               file.name, key], capture_output=True, text=True)
        after = os.times()
    match = re.search(r"WRK_RESULT (\d+) (\d+) (\d+) (\d+)", done.stdout)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"wrk said:\n{done.stdout}{done.stderr}")
    requests, non_2xx, socket_errors, microseconds = (int(group) for group in match.groups())
    cpu = (after.children_user + after.children_system) - (before.children_user + before.children_system)
    return requests, non_2xx + socket_errors, microseconds / 1e6, cpu


def load_with_python(port: int, key: str, path: str, bodies: list[bytes], seconds: float,
                     clients: int) -> tuple[int, int, float, float]:
    before = os.times()
    requests, failed, elapsed = load(port, key, path, bodies, seconds, clients)
    after = os.times()
    return requests, failed, elapsed, (after.children_user + after.children_system) - (
        before.children_user + before.children_system)


def backend_pids(url: str) -> list[int]:
    """PostgREST's pooled connections (role authenticator)."""
    with psycopg.connect(url, autocommit=True) as conn:
        return [pid for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE usename = 'authenticator' AND backend_type = 'client backend'")]


def cpu_of(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) or 0.0 for pid in pids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each run")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--batch", type=int, default=100, help="events per /rpc/capture_errors request")
    parser.add_argument("--python-client", action="store_true", help="load with Python threads instead of wrk")
    add_ingest_sync_option(parser)
    args = parser.parse_args()
    use_wrk = not args.python_client and wrk_available()
    generate = load_with_wrk if use_wrk else load_with_python

    with throwaway_database("pgwarden", cron=True) as (cluster, url):
        print(f"ingest_http: {args.clients} clients ({'wrk' if use_wrk else 'Python threads'}), "
              f"{args.seconds:.0f} s per run, batches of {args.batch}; CPU per request of the database "
              "backends / PostgREST / the load generator")
        for sync in ingest_sync_modes(args.ingest_sync):
            set_ingest_sync(url, sync)  # PostgREST's sessions are opened afterwards
            run_dir = cluster.pgdata.parent / f"postgrest-sync-{sync}"
            run_dir.mkdir()
            process, port = start_postgrest(url, run_dir)
            try:
                for label, kinds in (("1,000 fingerprints", 1000), ("one hot fingerprint", 1)):
                    for mode in ("single", "batch"):
                        run(url, process, port, f"sync {sync:<3} {label}", kinds, mode, args, generate)
            finally:
                process.terminate()
                process.wait(10)


def run(url: str, process: subprocess.Popen, port: int, label: str, kinds: int, mode: str,
        args: argparse.Namespace, generate) -> None:
    organization_id = create_unlimited_organization(url)
    key = uuid.uuid4().hex
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO app.projects (organization_id, name, public_key)"
                     " VALUES (%s, 'bench', %s)", [organization_id, key])
    if mode == "single":
        path, per_request = "/rpc/capture_error", 1
        bodies = [json.dumps(event(n % kinds, n)).encode() for n in range(5000)]
    else:
        path, per_request = "/rpc/capture_errors", args.batch
        bodies = [json.dumps({"events": [event((n * args.batch + i) % kinds, n * args.batch + i)
                                         for i in range(args.batch)]}).encode() for n in range(200)]
    generate(port, key, path, bodies, 1.0, args.clients)  # warm every pooled connection
    time.sleep(0.5)  # requests in flight when the load generator stopped still commit
    with psycopg.connect(url, autocommit=True) as conn:
        warmed = conn.execute("SELECT count(*) FROM app.error_events WHERE organization_id = %s",
                              [organization_id]).fetchone()[0]
    pids = backend_pids(url)
    backends, postgrest_cpu = cpu_of(pids), cpu_seconds(process.pid) or 0.0
    requests, failed, elapsed, client_cpu = generate(port, key, path, bodies, args.seconds, args.clients)
    backends = cpu_of(pids) - backends
    postgrest_cpu = (cpu_seconds(process.pid) or 0.0) - postgrest_cpu
    time.sleep(0.5)
    events, occurrences, groups = counts(url, organization_id)
    # wrk stops with up to one request per connection unanswered (stored all the same)
    unanswered = events - warmed - (requests - failed) * per_request
    cpu = " / ".join(f"{seconds * 1e6 / max(requests, 1):,.0f}" for seconds in (backends, postgrest_cpu, client_cpu))
    print(f"  {label:<28} {mode:<6} {requests / elapsed:>8,.0f} requests/s "
          f"{(requests - failed) * per_request / elapsed:>9,.0f} events/s  (CPU {cpu} µs; "
          f"non-2xx {failed}; {groups} groups; stored but unanswered {unanswered}; "
          f"count(events) = sum(occurrence_count): {events == occurrences})")


if __name__ == "__main__":
    main()
