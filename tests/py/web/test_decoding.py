"""decode_body: every Content-Encoding an SDK sends, undone within a hard output limit.

Ends with the real thing: what sentry-sdk's own transport would POST, decoded, parsed, authenticated.
"""

import gzip
import time
import tracemalloc
import zlib

import brotli
import pytest
import sentry_sdk
from sentry_sdk.transport import HttpTransport
from sentry_sdk.utils import event_from_exception

from workers.web.auth import extract_public_key
from workers.web.decoding import decode_body
from workers.web.envelope import parse_envelope
from workers.web.errors import BadPayload, PayloadTooLarge, WireError

MIB = 1024 * 1024
KEY = "0123456789abcdef0123456789abcdef"
ENVELOPE = b'{"event_id":"c5ab3de37bb74e56bc5cdc176bb290ce"}\n{"type":"event"}\n{"message":"hi"}\n'


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def zlib_zeros(total: int, wbits: int) -> bytes:
    """`total` zero bytes compressed, without ever holding them all in memory."""
    compressor = zlib.compressobj(9, wbits=wbits)
    return b"".join(compressor.compress(bytes(MIB)) for _ in range(total // MIB)) + compressor.flush()


def brotli_zeros(total: int) -> bytes:
    compressor = brotli.Compressor(quality=4)
    return b"".join(compressor.process(bytes(MIB)) for _ in range(total // MIB)) + compressor.finish()


@pytest.mark.parametrize("content_encoding", [None, "", "identity", "utf-8", " UTF-8 "])
def test_identity_encodings_return_the_body_unchanged(content_encoding):
    assert decode_body(ENVELOPE, content_encoding, MIB) == ENVELOPE


@pytest.mark.parametrize(
    ("content_encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("GZIP", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", raw_deflate),
        ("br", brotli.compress),
    ],
)
def test_compressed_body_round_trips(content_encoding, compress):
    assert decode_body(compress(ENVELOPE), content_encoding, MIB) == ENVELOPE


@pytest.mark.parametrize(
    ("content_encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("deflate", raw_deflate), ("br", brotli.compress)],
)
def test_body_much_larger_than_one_chunk_round_trips(content_encoding, compress):
    # Highly compressible, so most output is still buffered when the last input arrives.
    body = bytes(3 * MIB) + b"".join(b"%08d" % n for n in range(100_000))
    assert decode_body(compress(body), content_encoding, 4 * MIB) == body


def test_stacked_encodings_are_undone_last_applied_first():
    body = brotli.compress(gzip.compress(ENVELOPE))
    assert decode_body(body, "gzip, br", MIB) == ENVELOPE


def test_concatenated_gzip_members_decode_to_their_concatenation():
    body = gzip.compress(b"first half ") + gzip.compress(b"second half")
    assert decode_body(body, "gzip", MIB) == b"first half second half"


def test_output_of_exactly_the_limit_is_accepted():
    data = b"x" * 1000
    assert decode_body(gzip.compress(data), "gzip", 1000) == data
    assert decode_body(data, None, 1000) == data


def test_uncompressed_body_over_the_limit_is_too_large():
    with pytest.raises(PayloadTooLarge):
        decode_body(b"x" * 1001, None, 1000)


@pytest.mark.parametrize(
    ("content_encoding", "make_bomb"),
    [
        ("gzip", lambda size: zlib_zeros(size, 16 + zlib.MAX_WBITS)),
        ("deflate", lambda size: zlib_zeros(size, zlib.MAX_WBITS)),
        ("deflate", lambda size: zlib_zeros(size, -zlib.MAX_WBITS)),
        ("br", brotli_zeros),
    ],
)
def test_compression_bomb_stops_at_the_limit_quickly_and_in_little_memory(content_encoding, make_bomb):
    bomb = make_bomb(50 * MIB)
    assert len(bomb) < MIB
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(PayloadTooLarge) as raised:
            decode_body(bomb, content_encoding, MIB)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert raised.value.status == 413
    assert peak < 4 * MIB
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("content_encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress)],
)
def test_truncated_compressed_body_is_bad_payload(content_encoding, compress):
    body = compress(ENVELOPE * 20)
    with pytest.raises(BadPayload) as raised:
        decode_body(body[: len(body) // 2], content_encoding, MIB)
    assert raised.value.status == 400


@pytest.mark.parametrize("content_encoding", ["gzip", "deflate", "br"])
def test_garbage_declared_as_compressed_is_bad_payload(content_encoding):
    with pytest.raises(BadPayload):
        decode_body(b"this is not compressed at all" * 10, content_encoding, MIB)


@pytest.mark.parametrize("content_encoding", ["gzip", "deflate", "br"])
def test_empty_body_declared_as_compressed_is_bad_payload(content_encoding):
    with pytest.raises(BadPayload):
        decode_body(b"", content_encoding, MIB)


def test_unsupported_encoding_is_bad_payload():
    with pytest.raises(BadPayload, match="unsupported Content-Encoding"):
        decode_body(ENVELOPE, "compress", MIB)


def test_errors_carry_status_and_detail():
    with pytest.raises(WireError) as raised:
        decode_body(b"x" * 11, None, 10)
    assert (raised.value.status, raised.value.detail) == (413, str(raised.value))


class _Accepted:
    status = 200
    headers: dict[str, str] = {}

    def close(self) -> None:
        pass


class CapturingTransport(HttpTransport):
    """sentry-sdk's own HTTP transport with only the network call replaced by a recorder."""

    def __init__(self, options):
        super().__init__(options)
        self.requests: list[tuple[str, dict[str, str], bytes]] = []

    def _request(self, method, endpoint_type, body, headers):
        self.requests.append((self._auth.get_api_url(endpoint_type), dict(headers), body))
        return _Accepted()


@pytest.mark.parametrize(
    ("experiments", "expected_encoding"),
    [
        ({"transport_compression_algo": "br"}, "br"),
        ({"transport_compression_algo": "gzip"}, "gzip"),
        ({"transport_compression_level": 0}, None),
    ],
)
def test_request_sent_by_sentry_sdk_transport_decodes_parses_and_authenticates(
    experiments, expected_encoding
):
    client = sentry_sdk.Client(
        dsn=f"https://{KEY}@errors.example.com/sentry/42",
        transport=CapturingTransport,
        default_integrations=False,
        _experiments=experiments,
    )
    try:
        1 / 0  # noqa: B018 - a real exception for a real event
    except ZeroDivisionError as exc:
        event, hint = event_from_exception(exc)
        event_id = client.capture_event(event, hint=hint)
    transport = client.transport
    client.close(timeout=5)  # flushes the transport's worker thread, then stops it
    [(url, headers, body)] = transport.requests

    assert url == "https://errors.example.com/sentry/api/42/envelope/"
    assert headers.get("Content-Encoding") == expected_encoding
    envelope = parse_envelope(decode_body(body, headers.get("Content-Encoding"), 20 * MIB))
    assert envelope.headers["event_id"] == event_id
    assert [item.type for item in envelope.items] == ["event"]
    assert envelope.items[0].json()["exception"]["values"][0]["type"] == "ZeroDivisionError"
    assert extract_public_key(headers, {}, envelope.headers) == KEY
