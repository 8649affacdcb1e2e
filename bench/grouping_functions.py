"""Calls per second of the per-event ingest functions (grouping, scrubbing, user agents) on
realistic inputs. Prints figures, asserts nothing. Inputs of one function are interleaved (a, b, c,
a, b, c, …). "whole event" runs every function for each event of 8 realistic kinds, interleaved
(the worst case for PostgreSQL's per-backend cache of 32 compiled regexes) and grouped.

    .venv/bin/python bench/grouping_functions.py [--calls 20000]

Uses PGWARDEN_BENCH_DATABASE_URL when set (a database built by the migrations), else a
throwaway cluster. "cpu" is the backend's own CPU time (from /proc, when the server runs on
this machine): calls per CPU-second, unaffected by other load; "wall" includes waiting for CPU.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib import bench_database, cpu_seconds  # noqa: E402

V8_TRACE = """TypeError: Cannot read properties of undefined (reading 'coupon')
    at onPay (https://shop.example.com/assets/app.3f9a1c.js:24:68)
    at HTMLButtonElement.handle (https://shop.example.com/assets/app.3f9a1c.js:25:7)
    at dispatch (https://shop.example.com/assets/vendor.js:120:33)
    at async Promise.all (index 0)
    at Object.<anonymous> (/srv/app/node_modules/express/lib/router.js:10:5)
    at Layer.handle [as handle_request] (/srv/app/node_modules/express/lib/router/layer.js:95:5)
    at next (/srv/app/node_modules/express/lib/router/route.js:149:13)
    at checkout (/srv/app/src/routes/checkout.js:42:11)
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)"""

PYTHON_TRACE = """Traceback (most recent call last):
  File "/srv/app/main.py", line 16, in <module>
    billing.charge({"amount": 10, "quantity": 0})
  File "/srv/app/billing.py", line 2, in charge
    total = order["amount"] / order["quantity"]
  File "/usr/local/lib/python3.11/site-packages/sqlalchemy/orm/session.py", line 2245, in execute
    return self._execute_internal(statement)
ZeroDivisionError: division by zero"""

FIREFOX_TRACE = """onPay@https://shop.example.com/assets/app.js:24:68
handle@https://shop.example.com/assets/app.js:25:7
dispatch@https://shop.example.com/assets/vendor.js:120:33
forEach@[native code]"""

MESSAGES = [
    "Payment provider timed out after 30s for order 12345",
    "User 3f2504e0-4f89-11d3-9a0c-0305e82c3301 from 10.0.0.1 failed",
    "Cannot read properties of undefined (reading 'coupon')",
    "GET https://api.example.com/v1/orders/98765?expand=items failed with status 503",
    "Could not connect to db-1:5432 after 3 attempts (last error at 2026-11-28T13:57:14Z)",
    "Invalid input",
]

BROWSER_MESSAGES = [
    "TypeError: Load failed",
    "TypeError: undefined is not an object (evaluating 't.coupon')",
    "TypeError: can't access property \"coupon\", t is undefined",
]

# A Sentry chain as capture holds it (app.capture_item_of): the cause with its frames, the raised one by type
PYTHON_CHAIN = {
    "frames": [{"filename": "shop/sync.py", "module": "shop.sync", "function": f, "lineno": n, "in_app": True}
               for f, n in (("run", 12), ("sync_orders", 27))],
    "exceptions": [
        {"type": "JSONDecodeError", "value": "Expecting value: line 1 column 1 (char 0)", "module": "json.decoder",
         "frames": [{"filename": "shop/sync.py", "module": "shop.sync", "function": "sync_orders", "lineno": 25,
                     "in_app": True},
                    {"filename": "shop/sync.py", "module": "shop.sync", "function": "fetch_orders", "lineno": 9,
                     "in_app": True},
                    {"filename": "json/decoder.py", "abs_path": "/usr/lib/python3.11/json/decoder.py",
                     "module": "json.decoder", "function": "raw_decode", "lineno": 355}]},
        {"type": "SyncError", "module": "shop.errors"}],
}

CLEAN_METADATA = {
    "component": "CheckoutForm", "route": "/checkout/payment", "release": "shop-frontend@2.3.0",
    "environment": "production", "locale": "en-US", "timezone": "Europe/Berlin",
    "viewport": {"width": 1440, "height": 900, "devicePixelRatio": 2},
    "cart": {"items": [{"sku": f"SKU-{i:04d}", "quantity": i % 3 + 1, "price_cents": 1299 + i * 100,
                        "title": f"Organic cotton shirt size {i}"} for i in range(8)],
             "currency": "EUR", "coupon": None},
    "feature_flags": ["new-checkout", "apple-pay", "address-autocomplete"],
    "breadcrumbs": [{"category": "ui.click", "message": f"button#step-{i}", "timestamp": 1795874289.9 + i}
                    for i in range(6)],
    "request": {"method": "POST", "path": "/api/orders", "status": 502, "duration_ms": 30012},
}
SECRET_METADATA = {
    **CLEAN_METADATA,
    "headers": {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
                "Content-Type": "application/json"},
    "payment": {"card": "4111 1111 1111 1111", "holder": "Jane Doe"},
    "db": {"password": "hunter2", "host": "db-1"},
}

USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
    "Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.135 "
    "Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "python-requests/2.31.0",
]

# (label, SQL expression over the input column `x`, inputs)
CASES: list[tuple[str, str, list[str]]] = [
    ("normalize_message (6 real messages)", "app.normalize_message(x)", MESSAGES),
    ("parse_stack_trace V8, 9 frames", "app.parse_stack_trace(x)", [V8_TRACE]),
    ("parse_stack_trace Python, 3 frames", "app.parse_stack_trace(x)", [PYTHON_TRACE]),
    ("parse_stack_trace Firefox, 4 frames", "app.parse_stack_trace(x)", [FIREFOX_TRACE]),
    ("error_fingerprint, message only", "app.error_fingerprint('api', x)", MESSAGES),
    ("error_fingerprint, 9 parsed frames", "app.error_fingerprint('javascript', 'TypeError: x', x::jsonb)",
     [None]),  # filled with the parsed V8 frames below
    ("error_fingerprint + parse_stack_trace (V8)",
     "app.error_fingerprint('javascript', 'TypeError: x', app.parse_stack_trace(x))", [V8_TRACE]),
    ("grouping_message (6 messages + 3 browser wordings)", "app.grouping_message(x)", MESSAGES + BROWSER_MESSAGES),
    ("error_fingerprint, a chain of 2 (Python raise from)",
     "app.error_fingerprint('runtime', 'SyncError: order sync failed', x::jsonb -> 'frames', NULL, NULL,"
     " x::jsonb -> 'exceptions')", [json.dumps(PYTHON_CHAIN)]),
    ("scrub_jsonb, clean metadata", "app.scrub_jsonb(x::jsonb)", [json.dumps(CLEAN_METADATA)]),
    ("scrub_jsonb, metadata with 4 secrets", "app.scrub_jsonb(x::jsonb)", [json.dumps(SECRET_METADATA)]),
    ("scrub_text, message", "app.scrub_text(x)", MESSAGES),
    ("scrub_text, V8 stack trace", "app.scrub_text(x)", [V8_TRACE]),
    ("scrub_url", "app.scrub_url(x)",
     ["https://shop.example.com/checkout?step=2&utm_source=mail", "https://x.example.com/cb?code=1&access_token=abc"]),
    ("parse_user_agent (8 real agents)", "app.parse_user_agent(x)", USER_AGENTS),
]

# One event through every function, inputs rotating (so the regex cache sees a realistic mix):
# (message, stack trace or '', metadata, url, user agent)
EVENT_EXPRESSION = """concat_ws('|',
    app.error_fingerprint('javascript', app.scrub_text(e ->> 0), app.parse_stack_trace(app.scrub_text(e ->> 1))),
    app.scrub_jsonb(e -> 2)::text, app.scrub_url(e ->> 3), app.parse_user_agent(e ->> 4)::text)"""
EVENTS = [json.dumps([message, trace, metadata, url, agent]) for message, trace, metadata, url, agent in zip(
    MESSAGES + MESSAGES[:2],
    [V8_TRACE, "", PYTHON_TRACE, "", FIREFOX_TRACE, "", "", V8_TRACE],
    [CLEAN_METADATA, {"order": 12345}, CLEAN_METADATA, {}, {"user": {"id": "u-17"}}, CLEAN_METADATA,
     {"step": 2}, SECRET_METADATA],
    ["https://shop.example.com/checkout?step=2"] * 7 + ["https://x.example.com/cb?access_token=abc"],
    USER_AGENTS, strict=True)]




def measure(conn: psycopg.Connection, pid: int, expression: str, inputs: list[str],
            calls: int, interleaved: bool = True) -> tuple[float, float | None]:
    """Calls/s of expression over the inputs, repeated; interleaved: a, b, c, a, b, c, … (the
    worst case for PostgreSQL's per-backend cache of 32 compiled regexes), else a, a, …, b, b, …"""
    conn.execute("DROP TABLE IF EXISTS bench_input")
    conn.execute("CREATE TEMP TABLE bench_input (x text)")
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO bench_input VALUES (%s)", [(value,) for value in inputs])
    repeats = max(1, calls // len(inputs))
    order = "g.g, bench_input.ctid" if interleaved else "bench_input.ctid, g.g"
    query = (f"SELECT count({expression}) FROM (SELECT x FROM generate_series(1, %s) AS g, bench_input"
             f" ORDER BY {order}) AS ordered")
    conn.execute(query, (min(repeats, 50),))  # warm the plan and regex caches
    cpu_before, wall_before = cpu_seconds(pid), time.perf_counter()
    conn.execute(query, (repeats,))
    wall = time.perf_counter() - wall_before
    cpu_after = cpu_seconds(pid)
    total = repeats * len(inputs)
    if cpu_before is None or cpu_after is None or cpu_after <= cpu_before:
        return total / wall, None
    return total / wall, total / (cpu_after - cpu_before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000, help="calls per function (default 20000)")
    args = parser.parse_args()
    with bench_database() as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET jit = off")  # a one-off JIT compile would dominate these short queries
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        parsed = conn.execute("SELECT app.parse_stack_trace(%s)::text", (V8_TRACE,)).fetchone()[0]
        print(f"{'function and input':<48} {'calls':>7} {'wall calls/s':>13} {'cpu calls/s':>12}")
        for label, expression, inputs in CASES:
            inputs = [parsed if value is None else value for value in inputs]
            wall, cpu = measure(conn, pid, expression, inputs, args.calls)
            cpu_text = f"{cpu:12,.0f}" if cpu else f"{'n/a':>12}"
            print(f"{label:<48} {args.calls:>7} {wall:13,.0f} {cpu_text}")
        for label, interleaved in (("whole event, 8 kinds one after another", True),
                                   ("whole event, 8 kinds, alike ones together", False)):
            wall, cpu = measure(conn, pid, EVENT_EXPRESSION.replace("e ->", "x::jsonb ->"), EVENTS, args.calls,
                                interleaved)
            cpu_text = f"{cpu:12,.0f}" if cpu else f"{'n/a':>12}"
            print(f"{label:<48} {args.calls:>7} {wall:13,.0f} {cpu_text}")


if __name__ == "__main__":
    main()
