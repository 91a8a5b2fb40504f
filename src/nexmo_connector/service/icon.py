"""The connector's icon, drawn here: a white speech bubble on the brand colour, as a square
PNG (Power Platform wants 1:1, at most 1 MB; 230 px is what certified connectors use)."""

from __future__ import annotations

import functools
import struct
import zlib

SIZE = 230


def _rgb(color: str) -> bytes:
    return bytes.fromhex(color.removeprefix("#"))


def _in_bubble(x: float, y: float, size: int) -> bool:
    """A rounded rectangle in the upper part, with a tail towards the lower left."""
    left, top, right, bottom, radius = 0.18 * size, 0.2 * size, 0.82 * size, 0.66 * size, 0.1 * size
    cx = min(max(x, left + radius), right - radius)
    cy = min(max(y, top + radius), bottom - radius)
    if (x - cx) ** 2 + (y - cy) ** 2 <= radius**2:
        return True
    # the tail: a triangle from the bubble's bottom edge down to (0.3, 0.82)
    tip_x, tip_y = 0.3 * size, 0.82 * size
    base_left, base_right = 0.3 * size, 0.46 * size
    if not bottom - 1 <= y <= tip_y:
        return False
    share = (y - bottom) / (tip_y - bottom)
    return base_left + (tip_x - base_left) * share <= x <= base_right + (tip_x - base_right) * share


def _in_dot(x: float, y: float, size: int) -> bool:
    """Three dots inside the bubble ("typing")."""
    return any(
        (x - cx * size) ** 2 + (y - 0.43 * size) ** 2 <= (0.045 * size) ** 2
        for cx in (0.35, 0.5, 0.65)
    )


@functools.cache
def icon_png(background: str, size: int = SIZE) -> bytes:
    """The icon, ``size`` pixels square, on ``background`` (``#rrggbb``); drawn once (about
    70 ms of pure Python), then kept."""
    back, white = _rgb(background), b"\xff\xff\xff"
    rows = bytearray()
    for py in range(size):
        rows.append(0)  # no filter
        for px in range(size):
            x, y = px + 0.5, py + 0.5
            inside = _in_bubble(x, y, size) and not _in_dot(x, y, size)
            rows += white if inside else back
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        _chunk(kind, data)
        for kind, data in (
            (b"IHDR", header),
            (b"IDAT", zlib.compress(bytes(rows), 9)),
            (b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
