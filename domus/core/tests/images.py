"""Test images built by hand: a PNG that is tiny on disk but declares a huge canvas."""

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 13_000, height: int = 13_000) -> bytes:
    """A valid 1-bit greyscale PNG of ``width`` x ``height`` white pixels: every row is a
    filter byte and zeros, so it compresses to a few tens of kilobytes, while decoding it
    would allocate ``width * height`` pixels."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # bit depth 1, greyscale
    rows = (b"\x00" + b"\x00" * ((width + 7) // 8)) * height
    idat = zlib.compress(rows, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
