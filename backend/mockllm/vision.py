"""What the mock "sees" in an `image_url` content part: the size and type its bytes say.

It reads the image's header itself (the mock stands alone: no product code, no imaging library) so a
test can tell the very bytes arrived; it never fetches a URL, as OpenAI's servers would.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct

DATA_URL = re.compile(r"data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<base64>;base64)?,(?P<data>.*)", re.DOTALL)
JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    position = 2
    while position + 9 < len(data):
        if data[position] != 0xFF:
            return None
        marker, length = data[position + 1], struct.unpack(">H", data[position + 2 : position + 4])[0]
        if marker in JPEG_FRAMES:
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return width, height
        position += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


def image_kind(data: bytes) -> tuple[str, int, int] | None:
    """(type, width, height) from an image's first bytes, or None when they are no image we know."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "PNG", width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return "GIF", width, height
    if data.startswith(b"\xff\xd8"):
        size = _jpeg_size(data)
        return ("JPEG", *size) if size else None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        size = _webp_size(data)
        return ("WEBP", *size) if size else None
    return None


def describe_image(url: str) -> str:
    """One sentence about the image at `url`: what its bytes are, or why it cannot be seen."""
    match = DATA_URL.fullmatch(url or "")
    if match is None:
        scheme = (url or "").split(":", 1)[0] or "this"
        return f"I cannot fetch {scheme} URLs; send the image itself as a data: URL."
    try:
        data = base64.b64decode(match["data"], validate=True) if match["base64"] else match["data"].encode()
    except (binascii.Error, ValueError):
        return "I cannot decode this image's base64."
    kind = image_kind(data)
    if kind is None:
        return "I cannot read this image."
    name, width, height = kind
    return f"I see a {width}x{height} {name} image."


def seen_images(content) -> list[str]:
    """A sentence per `image_url` part of a message's content parts."""
    if not isinstance(content, list):
        return []
    parts = [part for part in content if isinstance(part, dict) and part.get("type") == "image_url"]
    return [describe_image(str((part.get("image_url") or {}).get("url", ""))) for part in parts]
