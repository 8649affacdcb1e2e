"""Real failures for the demo to send through the Sentry SDK: each function fails the way a
service of the demo organizations would, so the SDK captures a real exception with its frames."""

from __future__ import annotations

import json
from collections.abc import Callable


def charge_card(order: dict) -> None:
    raise TimeoutError(f"Payment provider timed out after 30s (order {order['id']})")


def reserve_stock(cart: dict) -> int:
    return cart["items"]["sku-4411"]  # KeyError: the cart lost an item


def parse_partner_feed(body: str) -> dict:
    return json.loads(body)  # JSONDecodeError on the partner's HTML error page


def average_basket(totals: list[float]) -> float:
    return sum(totals) / len(totals)  # ZeroDivisionError on an empty day


def load_user_profile(user: dict) -> str:
    return user["profile"].upper()  # AttributeError: profile is None for new users


def book_seat(flight: str) -> None:
    raise ConnectionRefusedError(f"seat-inventory service refused the connection for {flight}")


# (name, call, level): what each fault runs and how bad the SDK says it is; fatal ones raise the
# critical_error rules
FAULTS: list[tuple[str, Callable[[], object], str]] = [
    ("charge_card", lambda: charge_card({"id": 1042}), "fatal"),
    ("reserve_stock", lambda: reserve_stock({"items": {}}), "error"),
    ("parse_partner_feed", lambda: parse_partner_feed("<html>502 Bad Gateway</html>"), "error"),
    ("average_basket", lambda: average_basket([]), "warning"),
    ("load_user_profile", lambda: load_user_profile({"profile": None}), "error"),
    ("book_seat", lambda: book_seat("GX-204"), "error"),
]
