"""Passwords (argon2id, checked here: a library call), and what the browser holds: the signed
session cookie and CSRF tokens. Whether a session is valid, and who may sign in, SQL decides."""

from __future__ import annotations

import secrets

import argon2
import itsdangerous

SESSION_COOKIE = "pgwarden_session"
# Before sign-in there is no session to bind a CSRF token to: this random cookie stands in.
LOGIN_COOKIE = "pgwarden_login"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"

# argon2-cffi's defaults: argon2id with RFC 9106's low-memory profile (t=3, 64 MiB, p=4)
_PASSWORDS = argon2.PasswordHasher()
# checked instead of a real hash when there is none, so an unknown e-mail costs as much as a wrong password
_DUMMY_HASH = _PASSWORDS.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _PASSWORDS.hash(password)


def generate_password() -> str:
    """A password to hand out once: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether the password fits the hash; a missing hash takes as long and never fits."""
    try:
        return _PASSWORDS.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


class CookieSigner:
    """HMAC signatures (itsdangerous) over the session token and CSRF bindings, keyed by the
    stack's secret with a purpose-specific salt each."""

    def __init__(self, secret: str):
        self._session = itsdangerous.Signer(secret, salt="pgwarden-web-session")
        self._csrf = itsdangerous.Signer(secret, salt="pgwarden-web-csrf")

    def session_cookie(self, token: str) -> str:
        return self._session.sign(token).decode()

    def session_token(self, cookie: str | None) -> str | None:
        """The token inside a session cookie, or None when absent or not signed by us."""
        if not cookie:
            return None
        try:
            return self._session.unsign(cookie).decode()
        except itsdangerous.BadSignature:
            return None

    def csrf_token(self, binding: str) -> str:
        """The CSRF token of a session (or of a sign-in form's cookie): derived, never stored."""
        return self._csrf.get_signature(binding).decode()

    def csrf_matches(self, binding: str | None, token: str | None) -> bool:
        if not binding or not token:
            return False
        return self._csrf.verify_signature(binding.encode(), token.encode())


def new_login_binding() -> str:
    return secrets.token_urlsafe(24)
