"""The demo's local services, on 127.0.0.1 (`python -m workers.demo.services --port N`; the stack's
supervisor runs it as the `demo` program): health endpoints for the demo's monitors, one of which
flaps, and a webhook receiver standing in for a team's alert endpoint.

    GET  /checkout/health    200 at once
    GET  /search/health      200, slowly (50-400 ms, now and then 1.5 s: degraded by the monitor's budget)
    GET  /inventory/health   200, then 503 for the last FLAP_DOWN seconds of every FLAP_PERIOD
    POST /hooks/<name>       200: a delivery received (counted per webhook-id; a repeat is a duplicate)
    GET  /hooks              {"received": n, "duplicates": n, "by_hook": {name: n}, "last": [...]}
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FLAP_PERIOD = 360  # seconds
FLAP_DOWN = 120


class Deliveries:
    """What the webhook receiver got: counts per hook and per delivery id (the Standard Webhooks
    webhook-id header, else the body's own id), the last few bodies."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_hook: dict[str, int] = {}
        self.seen: dict[str, int] = {}
        self.last: list[dict] = []

    def add(self, hook: str, delivery_id: str | None, body: bytes) -> None:
        with self.lock:
            self.by_hook[hook] = self.by_hook.get(hook, 0) + 1
            if delivery_id:
                self.seen[delivery_id] = self.seen.get(delivery_id, 0) + 1
            try:
                document = json.loads(body)
            except ValueError:
                document = {"raw": body[:200].decode(errors="replace")}
            self.last = [*self.last[-19:], {"hook": hook, "id": delivery_id, "body": document}]

    def summary(self) -> dict:
        with self.lock:
            return {"received": sum(self.by_hook.values()),
                    "duplicates": sum(count - 1 for count in self.seen.values() if count > 1),
                    "by_hook": dict(self.by_hook), "last": list(self.last)}


def inventory_up(now: float | None = None) -> bool:
    return (now if now is not None else time.time()) % FLAP_PERIOD < FLAP_PERIOD - FLAP_DOWN


def make_handler(deliveries: Deliveries) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
            pass  # the supervisor's log would fill with probes

        def _answer(self, status: int, document: dict) -> None:
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path == "/checkout/health":
                self._answer(200, {"status": "ok", "service": "checkout"})
            elif self.path == "/search/health":
                time.sleep(1.5 if random.random() < 0.05 else random.uniform(0.05, 0.4))
                self._answer(200, {"status": "ok", "service": "search"})
            elif self.path == "/inventory/health":
                up = inventory_up()
                self._answer(200 if up else 503, {"status": "ok" if up else "unavailable", "service": "inventory"})
            elif self.path == "/hooks":
                self._answer(200, deliveries.summary())
            else:
                self._answer(404, {"error": "not found"})

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not self.path.startswith("/hooks/"):
                self._answer(404, {"error": "not found"})
                return
            deliveries.add(self.path.removeprefix("/hooks/"), self.headers.get("webhook-id"), body)
            self._answer(200, {"ok": True})

    return Handler


def serve(port: int, deliveries: Deliveries | None = None) -> ThreadingHTTPServer:
    """A server on 127.0.0.1:port (0: any free port), not yet serving: call serve_forever()."""
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(deliveries or Deliveries()))
    server.daemon_threads = True
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    server = serve(parser.parse_args().port)
    print(f"demo services on http://127.0.0.1:{server.server_address[1]}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
