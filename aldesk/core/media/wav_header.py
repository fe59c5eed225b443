"""What a WAV file's header says about its length, read from its chunks: libsndfile reports
the frames actually present, so a file cut short (a copy broken off, a recorder that lost
power) read as a shorter clip with no sign of it.

The other way round, a recorder that lost power before it finished the header leaves a
``data`` chunk that claims 0 bytes followed by the whole recording: libsndfile reads what the
header claims, so the clip was "no audio frames". :func:`unfinished_data` finds those samples."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

MAX_CHUNKS = 64  # chunks before "data" (fmt, fact, LIST, bext, ...); a damaged file stops here
_GROWING = 0xFFFFFFFF  # "to the end of the file": libsndfile reads such a header as it should


@dataclass(frozen=True)
class DataChunk:
    """Where a WAV's samples start, what its header claims for them, and the file's size."""

    offset: int  # first byte of the samples
    declared: int  # bytes the data chunk's header claims
    block_align: int  # bytes per frame
    file_size: int
    chunk_after: bool  # a chunk header (LIST, id3, ...) follows the claimed end


def header_frames(path: str | os.PathLike) -> int | None:
    """Frames the ``data`` chunk's header claims, or None for a file that is not a RIFF WAVE,
    an RF64 file (its sizes are elsewhere) or a header that cannot be read."""
    chunk = data_chunk(path)
    if chunk is None or not chunk.block_align:
        return None
    return chunk.declared // chunk.block_align


def unfinished_data(path: str | os.PathLike) -> DataChunk | None:
    """The data chunk of a WAV whose header claims no samples though whole frames follow it and
    end the file (no chunk after them): a recording whose header was never finished. None for
    every other file.

    A header that claims some but not all of what follows (one updated part-way through a
    take) is left as it is: the player (FFmpeg) plays what it claims, and the clip drawn and
    analysed must be the one heard; :func:`unclaimed_frames` says how much is left out."""
    chunk = data_chunk(path)
    if chunk is None or chunk.declared != 0 or unclaimed_frames(chunk) == 0:
        return None
    return chunk


def unclaimed_frames(chunk: DataChunk) -> int:
    """Whole frames after the claimed end of a data chunk that ends the file (0 when a chunk
    follows it, or for a header that claims "to the end of the file")."""
    if not chunk.block_align or chunk.declared == _GROWING or chunk.chunk_after:
        return 0
    return max(0, chunk.file_size - chunk.offset - chunk.declared) // chunk.block_align


def data_chunk(path: str | os.PathLike) -> DataChunk | None:
    """The ``data`` chunk of a RIFF WAVE file, or None if it has none or cannot be read."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            return _find_data(f, os.fstat(f.fileno()).st_size)
    except OSError:
        return None


def _find_data(f, file_size: int) -> DataChunk | None:
    block_align = 0
    for _ in range(MAX_CHUNKS):
        chunk = f.read(8)
        if len(chunk) < 8:
            return None
        name, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        if name == b"data":
            offset = f.tell()
            after = _chunk_at(f, offset + size, file_size)
            return DataChunk(offset, size, block_align, file_size, after)
        body = f.read(size) if name == b"fmt " else None
        if body is not None:
            if len(body) < 14:
                return None
            block_align = struct.unpack("<H", body[12:14])[0]
            f.seek(size % 2, os.SEEK_CUR)  # chunks are padded to an even length
        else:
            f.seek(size + size % 2, os.SEEK_CUR)
    return None


def _chunk_at(f, end: int, file_size: int | None = None) -> bool:
    """Whether chunks (LIST, id3, ...) start at ``end`` (or, for an odd ``end``, after its pad
    byte) and run on to the end of the file: each a four-character printable id and a size
    that lands on the next. Four printable bytes alone are not enough: a take starting loud
    ("AAAA" in 16-bit) or just under the 8-bit midpoint read as a chunk."""
    if file_size is None:
        file_size = os.fstat(f.fileno()).st_size
    return any(_chain_to_end(f, at, file_size) for at in ((end, end + 1) if end % 2 else (end,)))


def _chain_to_end(f, at: int, file_size: int) -> bool:
    if at >= file_size:
        return False
    for _ in range(MAX_CHUNKS):
        f.seek(at)
        head = f.read(8)
        if len(head) < 8 or not all(0x20 <= b <= 0x7E for b in head[:4]):
            return False
        size = struct.unpack("<I", head[4:])[0]
        at += 8 + size + size % 2
        if at >= file_size - 1:  # the last chunk ends the file (its pad byte may be missing)
            return at <= file_size + 1
    return False
