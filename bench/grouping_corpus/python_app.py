"""The Python shop app the corpus's Python events come from: module sources, written into a fresh
project root per release with a release-specific number of leading lines, so line numbers move
between releases while modules and functions stay (as they do between real deploys)."""

from __future__ import annotations

from pathlib import Path

MODULES = {
    "shop/__init__.py": "",
    "shop/errors.py": '''
class SyncError(Exception):
    """An order synchronisation run failed."""


class ImportFailed(Exception):
    """A catalogue import failed."""


class ReportError(Exception):
    """A report could not be computed."""


class ValidationError(Exception):
    """Django-style: str() of a list of messages is "['invalid order']"."""


class PermissionDenied(Exception):
    pass


class PaymentError(Exception):
    pass
''',
    "shop/sync.py": '''
import json

import httpx

from shop.errors import SyncError


def fetch_orders(payload):
    return json.loads(payload)


def fetch_remote_orders(port):
    return httpx.get(f"http://127.0.0.1:{port}/orders", timeout=2).json()


def normalize_order(order):
    return {"id": order["order_id"], "customer": order["customer"]}


def load_batch(source, payload):
    if source == "json":
        return fetch_orders(payload)
    if source == "remote":
        return fetch_remote_orders(payload)
    return [normalize_order(order) for order in payload]


def sync_orders(batch, source, payload):
    try:
        return load_batch(source, payload)
    except Exception as exc:
        raise SyncError(f"order sync failed for batch {batch}") from exc
''',
    "shop/imports.py": '''
from shop.errors import ImportFailed


def parse_price(row):
    return float(row["price"])


def parse_row(row):
    return {"sku": row["sku"], "name": row["name"]}


def import_catalogue(rows, step):
    try:
        return [step(row) for row in rows]
    except (KeyError, ValueError):
        raise ImportFailed("catalogue import failed")
''',
    "shop/reports.py": '''
from shop.errors import ReportError


def ratio(done, total):
    return done / total


def conversion_report(done, total):
    try:
        return ratio(done, total)
    except ArithmeticError as exc:
        raise ReportError(f"conversion report for {done} of {total} failed") from exc
    except TypeError as exc:
        raise ReportError(f"conversion report for {done} of {total} failed") from exc
''',
    "shop/validation.py": '''
from shop.errors import PermissionDenied, ValidationError


def validate_cart(order):
    if not order.get("items"):
        raise ValidationError(["invalid order"])


def validate_address(order):
    if not order.get("zip"):
        raise ValidationError(["invalid order"])


def validate_coupon(order):
    if order.get("coupon") == "EXPIRED":
        raise ValidationError(["invalid order"])


def validate_payment(order):
    if order.get("card") is None:
        raise ValidationError(["invalid order"])


def export_orders(user):
    if not user.get("admin"):
        raise PermissionDenied("not allowed")


def refund_order(user):
    if not user.get("admin"):
        raise PermissionDenied("not allowed")


def checkout(order, check):
    check(order)
    return order
''',
    "shop/billing.py": '''
def charge(order):
    return order["amount"] / order["quantity"]


def ship_order(order):
    return order.get("address").zip


def invoice_order(order):
    return order.get("billing").zip
''',
}


def write_app(root: Path, offset: int) -> None:
    """The app's modules under root, each preceded by `offset` comment lines."""
    for name, source in MODULES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        header = "".join(f"# release padding {n}\n" for n in range(offset)) if source else ""
        path.write_text(header + source.lstrip("\n"))
