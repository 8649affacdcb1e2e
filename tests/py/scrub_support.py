"""Canaries for the scrubbing tests: synthetic secrets in the shapes that leak (valid check digits
where the shape has them) and harmless controls. Every secret registers markers that must be
absent from the database afterwards; every control, the columns it must be found in, so a test
that sends them proves both that the field is stored and that its secrets are not.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import functools
import random
import string
import subprocess
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from workers.settings import PG_BIN

ALPHANUMERIC = string.ascii_letters + string.digits
HEX = "0123456789abcdef"


@dataclass
class Control:
    marker: str
    columns: tuple[str, ...]  # "table.column" it must be found in
    where: str                # what carried it, for failure messages


@dataclass
class Canaries:
    seed: int
    secrets: dict[str, str] = field(default_factory=dict)  # marker -> what carried it
    controls: list[Control] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)

    def at(self, where: str) -> Carrier:
        """These canaries with `where` filled in: what carries them, for failure messages."""
        return Carrier(self, where)

    # == controls: harmless text no rule touches (letters only) ==

    def control(self, where: str, *columns: str) -> str:
        marker = "ctl" + "".join(self.random.choice(string.ascii_lowercase) for _ in range(12))
        self.controls.append(Control(marker, columns, where))
        return marker

    # == secrets ==

    def _remember(self, where: str, *markers: str) -> None:
        for marker in markers:
            self.secrets[marker] = where

    def token(self, length: int = 16, alphabet: str = ALPHANUMERIC) -> str:
        """Random characters with a digit in them (a secret-looking value); not yet remembered."""
        return "".join(self.random.choice(alphabet) for _ in range(length - 1)) + self.random.choice(string.digits)

    def secret(self, where: str, length: int = 16) -> str:
        """A secret-looking value, for a place only its key or context makes secret."""
        secret = self.token(length)
        self._remember(where, secret)
        return secret

    def pair(self, where: str, key: str = "password", separator: str = "=") -> str:
        secret = self.token()
        self._remember(where, secret)
        return f"{key}{separator}{secret}"

    def bearer(self, where: str) -> str:
        secret = self.token(24, ALPHANUMERIC + "._-")
        self._remember(where, secret)
        return f"Bearer {secret}"

    def card_digits(self, where: str) -> str:
        body = "4" + "".join(self.random.choice(string.digits) for _ in range(14))
        total = 0
        for position, digit in enumerate(reversed(body)):  # the check digit will sit right of these
            value = int(digit) * (2 if position % 2 == 0 else 1)
            total += value - 9 if value > 9 else value
        digits = body + str((10 - total % 10) % 10)
        self._remember(where, digits, digits[4:12])
        return digits

    def card(self, where: str, separator: str = " ") -> str:
        digits = self.card_digits(where)
        formatted = separator.join(digits[i:i + 4] for i in range(0, 16, 4))
        self._remember(where, formatted)
        return formatted

    def iban(self, where: str, spaced: bool = False) -> str:
        bban = "".join(self.random.choice(string.digits) for _ in range(18))
        check = 98 - int(bban + "131400") % 97  # DE = 13 14, then 00
        compact = f"DE{check:02d}{bban}"
        shown = " ".join(compact[i:i + 4] for i in range(0, len(compact), 4)) if spaced else compact
        self._remember(where, compact, shown, bban[2:14])
        return shown

    def ssn(self, where: str, separator: str = "-") -> str:
        area = self.random.choice([n for n in range(1, 900) if n != 666])
        number = f"{area:03d}{separator}{self.random.randint(1, 99):02d}{separator}{self.random.randint(1, 9999):04d}"
        self._remember(where, number)
        return number

    def vendor_key(self, where: str, kind: str) -> str:
        body = {
            "google": lambda: "AIza" + self.token(35, ALPHANUMERIC + "_-"),
            "openai": lambda: "sk-proj-" + self.token(64, ALPHANUMERIC + "_-"),
            "anthropic": lambda: "sk-ant-api03-" + self.token(90, ALPHANUMERIC + "_-"),
            "gitlab": lambda: "glpat-" + self.token(20),
            "npm": lambda: "npm_" + self.token(36),
            "twilio": lambda: "SK" + self.token(32, HEX),
            "whsec": lambda: "whsec_" + self.token(32),
            "sendgrid": lambda: "SG." + self.token(22) + "." + self.token(43),
            "slack": lambda: (f"https://hooks.slack.com/services/T0{self.token(8).upper()}/B0{self.token(8).upper()}/"
                              + self.token(24)),
            "aws": lambda: "AKIA" + self.token(16, string.ascii_uppercase + string.digits),
            "jwt": lambda: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIx" + self.token(8) + "." + self.token(43),
        }[kind]()
        marker = body.rsplit("/", 1)[-1] if kind == "slack" else body
        self._remember(where, marker)
        return body

    def pem(self, where: str) -> str:
        body = self.token(64, ALPHANUMERIC + "+/")
        self._remember(where, body)
        return f"-----BEGIN RSA PRIVATE KEY-----\nMIIE{body}\n-----END RSA PRIVATE KEY-----"

    def spaced_secret(self, where: str, key: str = "passwd") -> str:
        """key word, whitespace, value: passwd hunter2"""
        secret = self.token(12)
        self._remember(where, secret)
        return f"{key} {secret}"

    # == checks ==

    def leaked(self, text: str) -> list[str]:
        return sorted({f"{where}: {marker}" for marker, where in self.secrets.items() if marker in text})


@dataclass
class Carrier:
    canaries: Canaries
    where: str

    def __getattr__(self, name: str) -> Any:
        return functools.partial(getattr(self.canaries, name), self.where)


def data_dump(database_url: str) -> str:
    """pg_dump --data-only of a test database: every stored value, as text."""
    parts = urlsplit(database_url)
    query = parse_qs(parts.query)
    return subprocess.run([str(PG_BIN / "pg_dump"), "--data-only", "-h", query["host"][0], "-p", query["port"][0],
                           "-U", "postgres", parts.path.lstrip("/")],
                          capture_output=True, text=True, check=True).stdout
