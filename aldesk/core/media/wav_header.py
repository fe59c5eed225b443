"""What a WAV file's header says about its length, read from its chunks: libsndfile reports
the frames actually present, so a file cut short (a copy broken off, a recorder that lost
power) read as a shorter clip with no sign of it."""

from __future__ import annotations

import os
import struct

MAX_CHUNKS = 64  # chunks before "data" (fmt, fact, LIST, bext, ...); a damaged file stops here


def header_frames(path: str | os.PathLike) -> int | None:
    """Frames the ``data`` chunk's header claims, or None for a file that is not a RIFF WAVE,
    an RF64 file (its sizes are elsewhere) or a header that cannot be read."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            return _data_frames(f)
    except OSError:
        return None


def _data_frames(f) -> int | None:
    block_align = None
    for _ in range(MAX_CHUNKS):
        chunk = f.read(8)
        if len(chunk) < 8:
            return None
        name, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        if name == b"data":
            return size // block_align if block_align else None
        body = f.read(size) if name == b"fmt " else None
        if body is not None:
            if len(body) < 14:
                return None
            block_align = struct.unpack("<H", body[12:14])[0]
            f.seek(size % 2, os.SEEK_CUR)  # chunks are padded to an even length
        else:
            f.seek(size + size % 2, os.SEEK_CUR)
    return None
