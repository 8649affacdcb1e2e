"""Runs the Python scenarios with the real sentry-sdk inside a release's project root and prints
one JSON line per event: {"scenario": id, "event": <the event the SDK would send>}.

    python python_events.py ROOT RELEASE

Called by generate.py (one process per release). Events are taken in before_send, after the SDK
has done everything it does before sending (in_app, modules, context lines, chained exceptions).
"""

from __future__ import annotations

import json
import logging
import sys

import sentry_sdk

root, release = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)

captured: list[dict] = []
sentry_sdk.init(dsn="http://0123456789abcdef0123456789abcdef@127.0.0.1:9/1", release=release,
                project_root=root, before_send=lambda event, hint: captured.append(event) and None,
                default_integrations=True)

from shop import billing, imports, reports, sync, validation  # noqa: E402
from shop.errors import PaymentError  # noqa: E402

log = logging.getLogger("shop.worker")


def raising(call):
    def run():
        try:
            call()
        except Exception:
            sentry_sdk.capture_exception()
    return run


# scenario id -> one callable per variant (the data that differs between occurrences)
SCENARIOS = {
    "py-sync-json": [raising(lambda b=b, p=p: sync.sync_orders(b, "json", p))
                     for b, p in ((17, "{bad json"), (18, ""), (231, "[1, 2,"))],
    "py-sync-conn": [raising(lambda b=b, p=p: sync.sync_orders(b, "remote", p))
                     for b, p in ((17, 1), (42, 9), (43, 1))],
    "py-sync-key": [raising(lambda b=b, o=o: sync.sync_orders(b, "list", [o]))
                    for b, o in ((5, {"customer": "c-1"}), (6, {"order_id": 7}), (7, {}))],
    "py-import-value": [raising(lambda p=p: imports.import_catalogue([{"price": p}], imports.parse_price))
                        for p in ("12,50", "n/a", "")],
    "py-import-key": [raising(lambda r=r: imports.import_catalogue([r], imports.parse_row))
                      for r in ({"sku": "A-1"}, {"name": "shirt"}, {})],
    "py-report-zero": [raising(lambda d=d: reports.conversion_report(d, 0)) for d in (3, 17, 0)],
    "py-report-type": [raising(lambda d=d, t=t: reports.conversion_report(d, t))
                       for d, t in ((3, None), (5, "10"), (None, 4))],
    "py-validate-cart": [raising(lambda o=o: validation.checkout(o, validation.validate_cart))
                         for o in ({"items": []}, {"zip": "1010"}, {})],
    "py-validate-address": [raising(lambda o=o: validation.checkout(o, validation.validate_address))
                            for o in ({"items": [1]}, {"zip": ""}, {})],
    "py-validate-coupon": [raising(lambda o=o: validation.checkout(o, validation.validate_coupon))
                           for o in ({"coupon": "EXPIRED"}, {"coupon": "EXPIRED", "items": [2]})],
    "py-validate-payment": [raising(lambda o=o: validation.checkout(o, validation.validate_payment))
                            for o in ({"card": None}, {"items": [3]})],
    "py-perm-export": [raising(lambda u=u: validation.export_orders(u)) for u in ({"admin": False}, {"id": 4})],
    "py-perm-refund": [raising(lambda u=u: validation.refund_order(u)) for u in ({"admin": False}, {"id": 9})],
    "py-charge-zero": [raising(lambda a=a: billing.charge({"amount": a, "quantity": 0})) for a in (10, 250, 3)],
    "py-charge-key": [raising(lambda o=o: billing.charge(o)) for o in ({"quantity": 1}, {"amount": 1}, {})],
    "py-attr-ship": [raising(lambda o=o: billing.ship_order(o)) for o in ({"address": None}, {})],
    "py-attr-invoice": [raising(lambda o=o: billing.invoice_order(o)) for o in ({"billing": None}, {})],
    "py-log-connect": [lambda h=h: log.error("Could not connect to %s", h)
                       for h in ("db-1", "db-2.internal", "10.0.3.7")],
    "py-log-disk": [lambda p=p, h=h: log.error("Disk usage at %d%% on %s", p, h)
                    for p, h in ((91, "web-1"), (97, "web-2"), (93, "worker-7"))],
    "py-msg-timeout": [lambda s=s, o=o: sentry_sdk.capture_message(
        f"Payment provider timed out after {s}s for order {o}", level="error")
        for s, o in ((30, 12345), (5, 99), (12, 70001))],
    "py-msg-webhook": [lambda w=w, c=c: sentry_sdk.capture_message(
        f"Webhook {w} delivery failed with status {c}", level="warning")
        for w, c in (("wh_3f2a9c1d", 502), ("wh_88ab01fe", 503), ("wh_0c1d2e3f", 500))],
    "py-noframe-declined": [lambda o=o: sentry_sdk.capture_exception(PaymentError(f"card declined for order {o}"))
                            for o in (1001, 1002, 31337)],
    "py-noframe-funds": [lambda a=a: sentry_sdk.capture_exception(PaymentError(f"insufficient funds on account {a}"))
                         for a in (77, 78)],
}

for scenario, variants in SCENARIOS.items():
    for variant in variants:
        captured.clear()
        variant()
        for event in captured:
            print(json.dumps({"scenario": scenario, "event": event}, default=str))
