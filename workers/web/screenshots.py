"""What makes an upload a screenshot: its bytes decode as a PNG, JPEG or WebP image of bounded
dimensions. The file name and the declared content type are never looked at, only the content:
Pillow (pinned in pyproject.toml) identifies the format by its magic bytes, reads the dimensions
from the header, then decodes the whole image (a truncated or corrupt file fails there). Its
decompression-bomb guard is an error here, not a warning."""

from __future__ import annotations

import asyncio
import io
import warnings
from dataclasses import dataclass

from PIL import Image

from workers.web.errors import PayloadTooLarge, WireError

MAX_BYTES = 2 * 1024 * 1024
MAX_SIDE = 10_000            # app.report_screenshots' width and height checks
MAX_PIXELS = 25_000_000      # a 5K screen at 1x is 14.7 million; decoded, at most ~100 MB of RGBA
MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
# decoding is CPU and memory: at most this many at once per process
_DECODING = asyncio.Semaphore(2)

Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # (Pillow's own bomb guard: warns past it, refuses past twice it)


class NotAnImage(WireError):
    """The upload is not a PNG, JPEG or WebP image of accepted dimensions (415)."""

    status = 415
    code = "QV803"


@dataclass(frozen=True)
class Screenshot:
    media_type: str
    width: int
    height: int
    content: bytes


def check_screenshot(data: bytes) -> Screenshot:
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(f"a screenshot may hold at most {MAX_BYTES} bytes")
    if not data:
        raise NotAnImage("the upload is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(MEDIA_TYPES)) as image:
                media_type, (width, height) = MEDIA_TYPES[image.format], image.size
                if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
                    raise NotAnImage(f"{width}x{height} pixels: at most {MAX_SIDE} a side and {MAX_PIXELS} in all")
                image.load()
    except NotAnImage:
        raise
    except Exception:  # Pillow's decoders raise many kinds (OSError, SyntaxError, struct.error, ...): all mean "no"
        raise NotAnImage("not a PNG, JPEG or WebP image") from None
    return Screenshot(media_type, width, height, data)


async def check_screenshot_async(data: bytes) -> Screenshot:
    """check_screenshot off the event loop, a bounded number at a time."""
    async with _DECODING:
        return await asyncio.to_thread(check_screenshot, data)
