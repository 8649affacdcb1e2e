"""Bounded, streaming decoding of request bodies according to their Content-Encoding.

Every decoder pulls output in CHUNK-sized slices and stops as soon as the total passes
`limit`, so a zip bomb costs at most limit + CHUNK bytes of memory (Relay does the same).
"""

import zlib
from collections.abc import Callable
from typing import Any

import brotli

from workers.web.errors import BadPayload, PayloadTooLarge

CHUNK = 64 * 1024

# "utf-8" is not an encoding, but sentry-ruby 5.x and old sentry-java send it; Relay ignores it.
_IDENTITY = frozenset({"", "identity", "utf-8"})

_GZIP_WBITS = 16 + zlib.MAX_WBITS
_ZLIB_WBITS = zlib.MAX_WBITS
_RAW_DEFLATE_WBITS = -zlib.MAX_WBITS
_GZIP_MAGIC = b"\x1f\x8b"


def decode_body(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """Undo every Content-Encoding of `body`; raise PayloadTooLarge once the result passes `limit`."""
    data = body
    # "gzip, br" means gzip was applied first, so br must be undone first.
    for encoding in reversed(_split_encodings(content_encoding)):
        data = _DECODERS[encoding](data, limit)
    _check_size(len(data), limit)
    return data


def inflate_zlib_or_gzip(data: bytes, limit: int) -> bytes:
    """Decompress zlib- or gzip-wrapped data (header auto-detected), bounded by `limit`."""
    return _inflate(data, 32 + zlib.MAX_WBITS, limit)


def _split_encodings(content_encoding: str | None) -> list[str]:
    if content_encoding is None:
        return []
    encodings = []
    for token in content_encoding.split(","):
        encoding = token.strip().lower()
        if encoding in _IDENTITY:
            continue
        if encoding not in _DECODERS:
            raise BadPayload(f"unsupported Content-Encoding {encoding!r}")
        encodings.append(encoding)
    return encodings


def _check_size(size: int, limit: int) -> None:
    if size > limit:
        raise PayloadTooLarge(f"body exceeds {limit} bytes after decompression")


def _gunzip(data: bytes, limit: int) -> bytes:
    out = bytearray()
    remaining = data
    # A gzip file may hold several members back to back (RFC 1952 §2.2); bytes after
    # the last member that do not start another one are ignored, like Relay's decoder.
    while True:
        remaining = _inflate_into(out, remaining, _GZIP_WBITS, limit)
        if not remaining.startswith(_GZIP_MAGIC):
            return bytes(out)


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    out = bytearray()
    _inflate_into(out, data, wbits, limit)
    return bytes(out)


def _deflate(data: bytes, limit: int) -> bytes:
    # HTTP "deflate" is meant to be zlib-wrapped (RFC 9110 §8.4.1.2), but some clients send
    # raw deflate. A raw stream cannot pass the zlib header check: its first byte would have
    # to open a stored block with a nonzero padding bit, which encoders never write.
    wbits = _ZLIB_WBITS if _looks_like_zlib(data) else _RAW_DEFLATE_WBITS
    return _inflate(data, wbits, limit)


def _looks_like_zlib(data: bytes) -> bool:
    if len(data) < 2:
        return False
    cmf, flg = data[0], data[1]
    return cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf * 256 + flg) % 31 == 0


def _inflate_into(out: bytearray, data: bytes, wbits: int, limit: int) -> bytes:
    """Append one decompressed stream to `out`; return the bytes that follow the stream."""
    decompressor = zlib.decompressobj(wbits)
    view = memoryview(data)
    try:
        # Feed the input in slices too: re-passing a large unconsumed tail would copy it per chunk.
        for start in range(0, len(data), CHUNK):
            pending: bytes | memoryview = view[start : start + CHUNK]
            while pending:
                out += decompressor.decompress(pending, CHUNK)
                _check_size(len(out), limit)
                if decompressor.eof:
                    return decompressor.unused_data + data[start + CHUNK :]
                pending = decompressor.unconsumed_tail
        # All input is in; collect what the decompressor still buffers.
        while not decompressor.eof:
            chunk = decompressor.decompress(b"", CHUNK)
            if not chunk:
                raise BadPayload("compressed body is truncated")
            out += chunk
            _check_size(len(out), limit)
    except zlib.error as exc:
        raise BadPayload(f"compressed body is corrupt: {exc}") from None
    return decompressor.unused_data


def _unbrotli(data: bytes, limit: int) -> bytes:
    decompressor = brotli.Decompressor()
    out = bytearray()
    view = memoryview(data)
    try:
        for start in range(0, len(data), CHUNK):
            out += decompressor.process(view[start : start + CHUNK], output_buffer_limit=CHUNK)
            _check_size(len(out), limit)
            # Output held back by the buffer limit must be drained before more input is accepted.
            _drain_brotli(decompressor, out, limit, until=decompressor.can_accept_more_data)
        # All input is in; collect what the decompressor still buffers.
        _drain_brotli(decompressor, out, limit, until=decompressor.is_finished)
    except brotli.error as exc:
        raise BadPayload(f"compressed body is corrupt: {exc}") from None
    if not decompressor.is_finished():
        raise BadPayload("compressed body is truncated")
    return bytes(out)


def _drain_brotli(decompressor: Any, out: bytearray, limit: int, until: Callable[[], bool]) -> None:
    while not until():
        chunk = decompressor.process(b"", output_buffer_limit=CHUNK)
        if not chunk:
            return
        out += chunk
        _check_size(len(out), limit)


_DECODERS: dict[str, Callable[[bytes, int], bytes]] = {
    "gzip": _gunzip,
    "x-gzip": _gunzip,  # RFC 9110 §8.4.1.3: treat as gzip
    "deflate": _deflate,
    "br": _unbrotli,
}
