"""Which project key a request authenticates with, following Relay's request_meta rules,
and the X-Sentry-Rate-Limits header that tells SDKs to back off."""

import base64
import binascii
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from workers.web.errors import BadPayload, Unauthorized

# Relay: "we only handle <= v8"; SDKs send 7.
MAX_PROTOCOL_VERSION = 8

_PUBLIC_KEY = re.compile(r"[0-9a-f]{32}")
_VERSION = re.compile(r"(\d+)(?:\.\d+)?")
# Separators of the X-Sentry-Rate-Limits grammar; a value containing one would corrupt it.
_RATE_LIMIT_SEPARATORS = re.compile(r"[:;,\s]")


def extract_public_key(
    headers: Mapping[str, str],
    query: Mapping[str, str],
    envelope_headers: dict[str, Any] | None,
) -> str:
    """The lowercased 32-hex public key the request is authenticated with.

    Request-level sources: X-Sentry-Auth, Authorization (Sentry or Basic), ?sentry_key=.
    Unlike Relay we accept several of them when they name the same key. The envelope
    header `dsn` may stand alone (tunnels) or must agree with the request-level key.
    """
    request_keys = set(_request_level_keys(headers, query))
    if len(request_keys) > 1:
        raise Unauthorized("multiple authorization payloads with different keys")
    dsn_key = _envelope_dsn_key(envelope_headers)
    if dsn_key is not None and request_keys and dsn_key not in request_keys:
        raise Unauthorized("envelope dsn does not match the request's key")
    key = dsn_key or next(iter(request_keys), None)
    if key is None:
        raise Unauthorized("missing authorization information")
    return key


def format_rate_limits(
    retry_after_seconds: float,
    categories: list[str],
    scope: str = "organization",
    reason: str = "rate_limited",
) -> str:
    """One X-Sentry-Rate-Limits entry, e.g. `60:error;default:organization:rate_limited`.

    An empty `categories` list means every category.
    """
    if retry_after_seconds < 0:
        raise ValueError("retry_after_seconds must not be negative")
    for part in [*categories, scope, reason]:
        if not part or _RATE_LIMIT_SEPARATORS.search(part):
            raise ValueError(f"invalid rate-limit token {part!r}")
    # Round up: SDKs read the value with int(), and a limit must never shrink to 0 seconds.
    return f"{math.ceil(retry_after_seconds)}:{';'.join(categories)}:{scope}:{reason}"


def _request_level_keys(headers: Mapping[str, str], query: Mapping[str, str]) -> Iterable[str]:
    for name, value in _all_pairs(headers):
        lowered_name = name.lower()
        if lowered_name not in ("x-sentry-auth", "authorization"):
            continue
        sentry_params = _after_scheme(value, "sentry")
        if sentry_params is not None:
            yield _key_from_sentry_params(_parse_sentry_auth(sentry_params))
            continue
        basic_credentials = _after_scheme(value, "basic") if lowered_name == "authorization" else None
        if basic_credentials is not None:
            basic_key = _key_from_basic(basic_credentials)
            if basic_key is not None:
                yield basic_key
    query_params = [(name, value) for name, value in _all_pairs(query) if name.startswith("sentry_")]
    if any(name == "sentry_key" for name, _ in query_params):
        yield _key_from_sentry_params(query_params)


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of `Authorization: Bearer <token>` (scheme matched case-insensitively); None when
    there is no such header, another scheme, or no token."""
    token = _after_scheme(headers.get("authorization", ""), "bearer")
    return (token.strip() or None) if token is not None else None


def _after_scheme(value: str, scheme: str) -> str | None:
    """What follows `<scheme> ` (scheme matched case-insensitively), or None for another scheme."""
    head, separator, rest = value.strip().partition(" ")
    if separator and head.lower() == scheme:
        return rest
    return None


def _all_pairs(mapping: Mapping[str, str]) -> Iterable[tuple[str, str]]:
    # Starlette's QueryParams keeps repeated names in multi_items(); its Headers.items()
    # already lists every header line. A repeated credential must not hide a conflict.
    multi_items = getattr(mapping, "multi_items", None)
    return multi_items() if callable(multi_items) else mapping.items()


def _parse_sentry_auth(params: str) -> list[tuple[str, str]]:
    """`sentry_key=abc, sentry_version=7, ...` as (name, value) pairs."""
    pairs = []
    for part in params.split(","):
        name, _, value = part.partition("=")
        if name.strip():
            pairs.append((name.strip(), value.strip()))
    return pairs


def _key_from_sentry_params(params: Iterable[tuple[str, str]]) -> str:
    keys = set()
    for name, value in params:
        if name == "sentry_key":
            keys.add(_normalise_key(value))
        elif name == "sentry_version":
            _check_protocol_version(value)
    if not keys:
        raise Unauthorized("authorization has no sentry_key")
    if len(keys) > 1:
        raise Unauthorized("multiple authorization payloads with different keys")
    return keys.pop()


def _key_from_basic(credentials: str) -> str | None:
    """The key from `Basic base64(key:)`, or None if these credentials are not a project key
    (Basic auth may belong to a reverse proxy in front of us)."""
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    username, separator, _ = decoded.partition(":")
    if not separator:
        return None
    try:
        return _normalise_key(username)
    except BadPayload:
        return None


def _envelope_dsn_key(envelope_headers: dict[str, Any] | None) -> str | None:
    dsn = (envelope_headers or {}).get("dsn")
    if dsn is None:
        return None
    if not isinstance(dsn, str):
        raise BadPayload("envelope dsn must be a string")
    try:
        username = urlsplit(dsn.strip()).username
    except ValueError:
        raise BadPayload("envelope dsn is not a URL") from None
    if not username:
        raise BadPayload("envelope dsn has no public key")
    return _normalise_key(username)


def _normalise_key(raw: str) -> str:
    # Relay splits flags off the key: `<key>.no-cache`.
    key = raw.strip().split(".", 1)[0].lower()
    if not _PUBLIC_KEY.fullmatch(key):
        raise BadPayload("malformed key: expected 32 hex characters")
    return key


def _check_protocol_version(value: str) -> None:
    match = _VERSION.fullmatch(value.strip())
    if match is None:
        raise Unauthorized(f"invalid sentry_version {value!r}")
    if int(match.group(1)) > MAX_PROTOCOL_VERSION:
        raise BadPayload(f"unsupported sentry_version {value}: at most {MAX_PROTOCOL_VERSION}")
