"""The Teams app's two icons, drawn in code and written as PNG with zlib and struct only.

Teams wants a 192x192 full-colour icon and a 32x32 outline icon that is white on a
transparent background. Both show one mark, a hand-off: a dot (the person handing over) and
an arrow to a ring (the owner who takes it). Drawing it here keeps binary files out of the
repository and lets the package carry the accent colour the manifest names.
"""

from __future__ import annotations

import functools
import math
import struct
import zlib

ACCENT = "#3B5BDB"  # the colour icon's background; also the manifest's accentColor
COLOR_SIZE = 192
OUTLINE_SIZE = 32
SAMPLES = 4  # per axis: 16 samples a pixel give the mark smooth (anti-aliased) edges

Point = tuple[float, float]


def _segment_distance(p: Point, a: Point, b: Point) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _in_mark(x: float, y: float) -> bool:
    """Whether the point (in units of the icon's side, 0..1) is on the mark."""
    if math.hypot(x - 0.22, y - 0.5) <= 0.09:  # the dot: who hands over
        return True
    if 0.085 <= math.hypot(x - 0.78, y - 0.5) <= 0.14:  # the ring: who takes it
        return True
    shaft = _segment_distance((x, y), (0.36, 0.5), (0.56, 0.5)) <= 0.035
    # The head: a solid triangle pointing right, its tip short of the ring.
    head = 0.50 <= x <= 0.62 and abs(y - 0.5) <= (0.62 - x) * 1.0
    return shaft or head


@functools.cache  # the same two sizes every time; drawing one takes a good part of a second
def coverage(size: int) -> tuple[tuple[float, ...], ...]:
    """How much of each pixel (0..1) the mark covers, row by row, at `size` x `size`."""
    step = 1.0 / (size * SAMPLES)
    rows: list[tuple[float, ...]] = []
    for row in range(size):
        line: list[float] = []
        for col in range(size):
            hits = sum(
                _in_mark((col * SAMPLES + i + 0.5) * step, (row * SAMPLES + j + 0.5) * step)
                for i in range(SAMPLES)
                for j in range(SAMPLES)
            )
            line.append(hits / (SAMPLES * SAMPLES))
        rows.append(tuple(line))
    return tuple(rows)


def _rgb(colour: str) -> tuple[int, int, int]:
    value = int(colour.removeprefix("#"), 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


def color_png(accent: str = ACCENT) -> bytes:
    """The 192x192 opaque icon: the mark in white on the accent colour."""
    base = _rgb(accent)
    rows = [
        bytes(
            round(channel + (255 - channel) * cover)
            for cover in line
            for channel in base  # white over the accent, by coverage
        )
        for line in coverage(COLOR_SIZE)
    ]
    return png(COLOR_SIZE, COLOR_SIZE, rows, alpha=False)


def outline_png() -> bytes:
    """The 32x32 outline icon: white, its opacity the mark's coverage, transparent elsewhere."""
    rows = [
        bytes(value for cover in line for value in (255, 255, 255, round(255 * cover)))
        for line in coverage(OUTLINE_SIZE)
    ]
    return png(OUTLINE_SIZE, OUTLINE_SIZE, rows, alpha=True)


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(width: int, height: int, rows: list[bytes], *, alpha: bool) -> bytes:
    """An 8-bit RGB (or RGBA) PNG of `rows`, each the pixels' bytes of one scanline."""
    colour_type = 6 if alpha else 2
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 (None) on every line
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )
