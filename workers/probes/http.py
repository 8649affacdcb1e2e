"""HTTP(S) probe, plus the observation and TLS helpers the other probes share.

The probe reports what happened (status, body, timing, certificate expiry); whether
that is healthy is decided later in SQL from the stored observation.
"""

from __future__ import annotations

import functools
import math
import socket
import ssl
import time
from datetime import UTC, datetime
from typing import Any

import certifi
import httpx

BODY_LIMIT_BYTES = 64 * 1024


def new_observation() -> dict[str, Any]:
    """The observation every probe returns, before anything is known."""
    return {
        "reachable": False,
        "response_time_ms": None,
        "status_code": None,
        "error": None,
        "timed_out": False,
        "body": None,
        "tls_days_left": None,
        "details": {},
    }


def elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


# Loading the CA bundle costs ~20 ms of CPU, nearly all of a local probe's; a context is safe to
# share between connections and threads, so one per (verify_tls, ca_file) is kept.
@functools.lru_cache(maxsize=32)
def client_tls_context(verify_tls: bool, ca_file: str | None) -> ssl.SSLContext:
    if not verify_tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    # Same default trust store as httpx (certifi); ca_file adds a private CA instead.
    return ssl.create_default_context(cafile=ca_file or certifi.where())


def tls_days_left(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> int | None:
    """Whole days until the peer certificate's notAfter (negative once expired)."""
    if ssl_object is None:
        return None
    not_after = _not_after(ssl_object)
    if not_after is None:
        return None
    return math.floor((not_after - datetime.now(UTC)).total_seconds() / 86400)


def _not_after(ssl_object: ssl.SSLObject | ssl.SSLSocket) -> datetime | None:
    decoded = ssl_object.getpeercert()
    if decoded and "notAfter" in decoded:
        return datetime.fromtimestamp(ssl.cert_time_to_seconds(decoded["notAfter"]), UTC)
    # Without verification the ssl module decodes nothing; read notAfter from the DER.
    der = ssl_object.getpeercert(True)  # positional: httpx hands us the C-level _SSLSocket
    return _der_not_after(der) if der else None


def _der_read(data: bytes, offset: int) -> tuple[int, int, int]:
    """One DER TLV at offset: (tag, start of value, end of value)."""
    tag, length = data[offset], data[offset + 1]
    offset += 2
    if length & 0x80:
        size = length & 0x7F
        length = int.from_bytes(data[offset : offset + size], "big")
        offset += size
    return tag, offset, offset + length


def _der_not_after(der: bytes) -> datetime | None:
    """Certificate ::= SEQUENCE { tbs SEQUENCE { [0] version?, serial, sigAlg, issuer, validity, ... } }."""
    try:
        _, certificate, _ = _der_read(der, 0)
        _, field, _ = _der_read(der, certificate)  # first field inside tbsCertificate
        tag, _, after = _der_read(der, field)
        if tag == 0xA0:  # explicit version: skip it
            field = after
        for _ in range(3):  # serial, signature algorithm, issuer
            _, _, field = _der_read(der, field)
        _, validity, _ = _der_read(der, field)
        _, _, not_after_at = _der_read(der, validity)
        tag, start, end = _der_read(der, not_after_at)
        text = der[start:end].decode("ascii")
        layout = "%y%m%d%H%M%SZ" if tag == 0x17 else "%Y%m%d%H%M%SZ"  # UTCTime / GeneralizedTime
        return datetime.strptime(text, layout).replace(tzinfo=UTC)
    except (IndexError, ValueError):
        return None


def describe_connect_error(exc: BaseException) -> str:
    """Short error class + message, from the root cause a connection attempt raised."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"tls verify failed: {cause.verify_message}"
        if isinstance(cause, ssl.SSLError):
            return f"tls error: {cause.reason or cause}"
        if isinstance(cause, ConnectionRefusedError):
            return f"connect refused: {cause}"
        if isinstance(cause, socket.gaierror):
            return f"dns lookup failed: {cause}"
        cause = cause.__cause__ or cause.__context__
    return f"connect error: {exc}"


def probe_http(target: dict[str, Any]) -> dict[str, Any]:
    url: str = target["url"]
    timeout = float(target.get("timeout_seconds", 10))
    verify = client_tls_context(target.get("verify_tls", True), target.get("ca_file"))
    observation = new_observation()
    started = time.perf_counter()
    try:
        with httpx.Client(verify=verify, timeout=timeout, follow_redirects=True) as client:
            with client.stream(
                target.get("method", "GET").upper(),
                url,
                headers=target.get("headers") or {},
                content=target.get("body"),
            ) as response:
                _record_response(observation, response, started + timeout)
    except httpx.TimeoutException as exc:
        observation.update(timed_out=True, error="timeout")
        observation["details"]["timeout_phase"] = type(exc).__name__.removesuffix("Timeout").lower()
    except httpx.ConnectError as exc:
        observation["error"] = describe_connect_error(exc)
    except httpx.TooManyRedirects as exc:
        observation.update(reachable=True, error=f"too many redirects: {exc}")
    except httpx.HTTPError as exc:
        observation["error"] = f"{type(exc).__name__}: {exc}"
    observation["response_time_ms"] = elapsed_ms(started)
    return observation


def _record_response(observation: dict[str, Any], response: httpx.Response, deadline: float) -> None:
    # Status and certificate are recorded first, so a body that stalls still leaves them.
    stream = response.extensions.get("network_stream")
    observation.update(
        reachable=True,
        status_code=response.status_code,
        tls_days_left=tls_days_left(stream.get_extra_info("ssl_object")) if stream else None,
    )
    observation["details"].update(
        final_url=str(response.url),
        redirect_count=len(response.history),
        http_version=response.http_version,
        content_type=response.headers.get("content-type"),
    )
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > BODY_LIMIT_BYTES:
            break
        if time.perf_counter() > deadline:  # httpx times each read, not the whole body
            raise httpx.ReadTimeout("body not read within timeout_seconds")
    observation["details"]["body_truncated"] = len(body) > BODY_LIMIT_BYTES
    observation["body"] = _decode(bytes(body[:BODY_LIMIT_BYTES]), response.encoding)


def _decode(body: bytes, encoding: str | None) -> str:
    try:
        return body.decode(encoding or "utf-8", "replace")
    except LookupError:  # a charset Python does not know
        return body.decode("utf-8", "replace")
