"""What a Sentry envelope costs before it reaches the database: the floor under
bench/sentry_clients.py's figures, which no change to the database can go below. Prints figures,
asserts nothing.

Two servers, each run as `pgwarden web` runs (one uvicorn process with httptools and uvloop, no
access log), each for K = 1, 8 and 64 of bench/sentry_clients.py's closed-loop senders posting its
single-event gzip envelopes:

- "http only": a Starlette route that reads the body and answers {"id": …}: uvicorn, Starlette and
  the loopback round trip, nothing of ours;
- "web, no db": the web's own app (its middleware and routes: decoding, envelope parsing, the
  key, JSON bounds, the batcher's queue) whose batcher encodes each batch for app.web_ingest as it
  does, then answers every request {"id": …} itself instead of calling the database.

For each it prints p50/p95 per envelope, envelopes/s, and the CPU per envelope of the server and of
this client (both on the same two cores).

    .venv/bin/python bench/sentry_web_floor.py [--events N] [--senders 1,8,64]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
from benchlib import cpu_seconds, free_port
from sentry_clients import closed_loop
from sentry_ingest import envelope

REPO_ROOT = Path(__file__).resolve().parent.parent
PROJECT_ID = 1
KEY = "0123456789abcdef0123456789abcdef"


def http_only_app():
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def answer(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"id": "0" * 32})

    return Starlette(routes=[Route("/api/{project_id:int}/envelope/", answer, methods=["POST"]),
                             Route("/ready", answer, methods=["GET"])])


def web_without_database_app():
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from workers.web import jsonwire
    from workers.web.app import RefuseSafely, mounted_routes, wire_error
    from workers.web.batcher import Batcher
    from workers.web.errors import WireError

    class AnsweringBatcher(Batcher):
        """The web's batcher, all of it but the database call: each batch is encoded for
        app.web_ingest, and each request answered with its event id."""

        async def _call(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
            jsonwire.dumps_counting(requests)
            return [{"id": request["event_id"]} for request in requests]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.batcher = AnsweringBatcher(None, window=0.002, max_concurrent_calls=3)  # create_app's
        await app.state.batcher.start()
        try:
            yield
        finally:
            await app.state.batcher.stop()

    async def ready(request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/ready", ready), *mounted_routes()], lifespan=lifespan,
                     middleware=[Middleware(RefuseSafely)], exception_handlers={WireError: wire_error})


@contextlib.contextmanager
def server(factory: str) -> Iterator[tuple[int, int]]:
    """uvicorn serving this module's factory as `pgwarden web` serves its app: (port, pid)."""
    port = free_port()
    code = (f"import uvicorn; uvicorn.run('sentry_web_floor:{factory}', factory=True, host='127.0.0.1', port={port},"
            " log_level='warning', access_log=False, lifespan='on', server_header=False)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "bench"), str(REPO_ROOT)])}
    process = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=REPO_ROOT / "bench")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{factory} did not start") from None
                time.sleep(0.1)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(10)


def measure(label: str, port: int, pid: int, senders: int, events: int) -> None:
    bodies = [envelope(KEY, n % 100) for n in range(events)]
    closed_loop(port, PROJECT_ID, KEY, bodies[:200], min(senders, 8))  # warm
    server_before, client_before = cpu_seconds(pid) or 0.0, os.times()
    started = time.monotonic()
    statuses, latencies = closed_loop(port, PROJECT_ID, KEY, bodies, senders)
    seconds = time.monotonic() - started
    server_cpu = (cpu_seconds(pid) or 0.0) - server_before
    client_after = os.times()
    client_cpu = (client_after.user + client_after.system) - (client_before.user + client_before.system)
    answered = statuses.count(200)
    quantiles = statistics.quantiles(latencies, n=20)
    print(f"K={senders:<3} {label:<11} {events} envelopes: p50 {statistics.median(latencies) * 1000:5.2f} ms, "
          f"p95 {quantiles[18] * 1000:5.2f} ms; {answered / seconds:6.0f} envelopes/s (non-200: "
          f"{len(statuses) - answered}); CPU per envelope µs: server {server_cpu * 1e6 / events:.0f} / "
          f"client {client_cpu * 1e6 / events:.0f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=4000, help="envelopes per K (default 4000)")
    parser.add_argument("--senders", default="1,8,64", help="the K to measure, comma-separated (default 1,8,64)")
    args = parser.parse_args()
    for label, factory in (("http only", "http_only_app"), ("web, no db", "web_without_database_app")):
        with server(factory) as (port, pid):
            for senders in (int(k) for k in args.senders.split(",")):
                measure(label, port, pid, senders, args.events)


if __name__ == "__main__":
    main()
