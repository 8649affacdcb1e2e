"""Benchmark: capturing errors through PostgREST (/rpc/capture_error and /rpc/capture_errors).

Starts its own throwaway cluster and PostgREST on free ports, lifts the rate limit, then runs
single captures and batches of 100 with N concurrent clients (keep-alive HTTP connections), for
1,000 fingerprints and for one hot fingerprint. Prints requests/s, events/s, non-2xx answers and
checks count(events) = sum(occurrence_count). No assertions on speed.

    .venv/bin/python bench/ingest_http.py [--seconds 10] [--clients 16] [--batch 100]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from ingest_sql import counts, create_unlimited_organization, event, free_port, throwaway_database  # noqa: E402

from workers.stack import postgrest  # noqa: E402


def start_postgrest(database_url: str, run_dir: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    config = postgrest.write_config(run_dir / "postgrest.conf",
                                    db_uri=postgrest.authenticator_uri(database_url, "unused-on-socket"),
                                    jwt_secret=uuid.uuid4().hex * 2, port=port)
    log = open(run_dir / "postgrest.log", "wb")
    process = subprocess.Popen([str(postgrest.POSTGREST_BIN), str(config)], stdout=log, stderr=subprocess.STDOUT)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each run")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--batch", type=int, default=100, help="events per /rpc/capture_errors request")
    args = parser.parse_args()

    with throwaway_database() as (cluster, url):
        run_dir = cluster.pgdata.parent / "postgrest"
        run_dir.mkdir()
        process, port = start_postgrest(url, run_dir)
        try:
            print(f"ingest_http: {args.clients} clients, {args.seconds:.0f} s per run, batches of {args.batch}")
            for label, kinds in (("1,000 fingerprints", 1000), ("one hot fingerprint", 1)):
                for mode in ("single", "batch"):
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
                    requests, failed, elapsed = load(port, key, path, bodies, args.seconds, args.clients)
                    events, occurrences, groups = counts(url, organization_id)
                    consistent = events == occurrences == (requests - failed) * per_request
                    print(f"  {label:<20} {mode:<6} {requests / elapsed:>8,.0f} requests/s "
                          f"{events / elapsed:>9,.0f} events/s  (non-2xx {failed}; {groups} groups; "
                          f"count(events) = sum(occurrence_count): {consistent})")
        finally:
            process.terminate()
            process.wait(10)


if __name__ == "__main__":
    main()
