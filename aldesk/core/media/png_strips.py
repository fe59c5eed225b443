"""A large PNG decoded a strip of rows at a time, never whole.

Pillow decodes a PNG into one buffer for the whole picture (4 bytes a pixel for RGB and RGBA:
358 MB at its pixel limit). Here the IDAT stream is inflated incrementally and cut into strips
of scanlines; each strip is decoded by Pillow's own PNG decoder (``Image.frombytes`` with the
"zip" decoder: same unfiltering, same unpacking) as a small image. PNG filters refer to the row
above, so every strip after the first is decoded with the previous strip's last row in front of
it, stored unfiltered (filter type 0) and cut off again afterwards. That row is recovered
exactly from the decoded strip (``tobytes`` with the raw mode), which holds for the raw modes in
``STRIP_RAWMODES`` (8 bits a channel, and 16-bit grey). Pillow keeps only the high byte of
16-bit colour, so for those the strip is decoded a second time with the little-endian raw mode,
whose unpacker takes the other byte of each sample, and the row is put back together from both.
Other PNGs (16-bit grey with alpha, fewer than 8 bits, interlaced) are left to Pillow's whole
decode.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

import numpy as np
from PIL import Image

# raw mode -> bits a pixel, for the PNGs whose decoded rows give back their exact bytes
STRIP_RAWMODES = {
    "L": 8, "P": 8, "LA": 16, "RGB": 24, "RGBA": 32, "I;16B": 16, "RGB;16B": 48, "RGBA;16B": 64,
}  # fmt: skip
_LOW_BYTES = {"RGB;16B": "RGB;16L", "RGBA;16B": "RGBA;16L"}  # unpackers of the other byte
_READ = 1 << 16
_OUT = 1 << 20


def can_strip(img: Image.Image) -> bool:
    """True for a PNG whose strips this module can decode (see the module docstring)."""
    if img.format != "PNG" or len(img.tile) != 1 or img.info.get("interlace"):
        return False
    tile = img.tile[0]
    return tile[0] == "zip" and tile[3] in STRIP_RAWMODES and tile[1] == (0, 0, *img.size)


def png_strips(img: Image.Image, rows: int) -> Iterator[Image.Image]:
    """Consecutive strips of ``rows`` rows (the last may be shorter) of an unloaded PNG opened
    by Pillow, in its mode, with its palette and transparency.

    Raises:
        ValueError: for a PNG whose data ends early or does not inflate (a damaged file).
    """
    w, h = img.size
    rawmode = img.tile[0][3]
    line = 1 + (w * STRIP_RAWMODES[rawmode] + 7) // 8
    previous: bytes | None = None  # the unfiltered bytes of the row above the next strip
    pending = bytearray()
    done = 0
    for chunk in _inflate(img):
        pending += chunk
        while done < h and len(pending) >= line * min(rows, h - done):
            n = min(rows, h - done)
            strip, previous = _decode(img, bytes(pending[: n * line]), previous, n, rawmode)
            del pending[: n * line]
            done += n
            yield strip
    if done < h:
        raise ValueError("truncated file: image data ends early")


def _decode(
    img: Image.Image, filtered: bytes, previous: bytes | None, n: int, rawmode: str
) -> tuple[Image.Image, bytes]:
    w = img.size[0]
    head = b"" if previous is None else b"\0" + previous
    rows = n + (previous is not None)
    stream = zlib.compress(head + filtered, 0)  # stored, not compressed: a copy
    whole = Image.frombytes(img.mode, (w, rows), stream, "zip", rawmode)
    last = _last_row(whole, stream, rawmode)
    out = whole.crop((0, 1, w, rows)) if previous is not None else whole
    if img.mode == "P" and img.palette is not None:
        out.putpalette(img.palette)  # (getpalette() would load, i.e. decode, the whole image)
    if "transparency" in img.info:
        out.info["transparency"] = img.info["transparency"]
    return out, last


def _last_row(decoded: Image.Image, stream: bytes, rawmode: str) -> bytes:
    """The unfiltered bytes of the decoded strip's last row, as the PNG stores them."""
    w, h = decoded.size
    row = decoded.crop((0, h - 1, w, h))
    if rawmode not in _LOW_BYTES:
        return row.tobytes("raw", rawmode)
    low = Image.frombytes(decoded.mode, (w, h), stream, "zip", _LOW_BYTES[rawmode])
    high_bytes = np.frombuffer(row.tobytes("raw", decoded.mode), dtype=np.uint8)
    low_bytes = np.frombuffer(low.crop((0, h - 1, w, h)).tobytes("raw", decoded.mode), np.uint8)
    both = np.empty(2 * high_bytes.size, dtype=np.uint8)
    both[0::2], both[1::2] = high_bytes, low_bytes  # big-endian samples: high byte first
    return both.tobytes()


def _inflate(img: Image.Image) -> Iterator[bytes]:
    """The inflated IDAT stream, at most _OUT bytes at a time (a megabyte of zeros inflates from
    a kilobyte), from the file Pillow opened."""
    fp = img.fp
    fp.seek(img.tile[0][2] - 8)  # the first IDAT chunk's header
    inflater = zlib.decompressobj()
    try:
        while True:
            header = fp.read(8)
            if len(header) < 8:
                return
            length, kind = struct.unpack(">I4s", header)
            if kind == b"IEND":
                return
            if kind != b"IDAT":
                fp.seek(length + 4, 1)  # another chunk, and its CRC
                continue
            left = length
            while left:
                data = fp.read(min(_READ, left))
                if not data:
                    return
                left -= len(data)
                while data:
                    yield inflater.decompress(data, _OUT)
                    data = inflater.unconsumed_tail
            fp.seek(4, 1)  # the CRC (the scan's verify() checked them)
    except zlib.error as exc:
        raise ValueError(f"broken data stream: {exc}") from exc
