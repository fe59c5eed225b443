"""Opening a sound file with libsndfile, including a WAV whose header was never finished.

A recorder that loses power mid-take leaves the samples on disk but a ``data`` chunk that claims
0 bytes. libsndfile trusts the header, so such a take read as "no audio frames" (FFmpeg, which
plays it, reads it to the end). :func:`open_sound` opens it through a view of the file whose header is
patched in memory to claim every whole frame that follows it; the file itself is never written.
"""

from __future__ import annotations

import io
import os
import struct
import sys

import soundfile as sf

from aldesk.core.media.wav_header import DataChunk, unfinished_data

_WAV_FORMATS = ("WAV", "WAVEX")
_MAX_SIZE = 0xFFFFFFFF  # a RIFF size field; this value means "to the end of the file"


class RepairedSoundFile(sf.SoundFile):
    """A SoundFile read through a patched header; closing it closes the file under it."""

    def __init__(self, raw: _SplicedFile) -> None:
        self._raw = raw
        super().__init__(raw)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def open_sound(path: str | os.PathLike) -> sf.SoundFile:
    """``sf.SoundFile(path)``, or for a WAV with an unfinished header a
    :class:`RepairedSoundFile` that reads every sample the file holds.

    Raises:
        sf.LibsndfileError, OSError, ...: as ``sf.SoundFile`` does.
    """
    f = sf.SoundFile(native_path(path))
    if f.format not in _WAV_FORMATS:
        return f
    chunk = unfinished_data(path)
    if chunk is None:
        return f
    f.close()
    raw = _SplicedFile(path, chunk)
    try:
        return RepairedSoundFile(raw)
    except BaseException:
        raw.close()
        raise


def native_path(path: str | os.PathLike) -> str | bytes:
    """The path as soundfile can open it: a name that is not valid in the file-system
    encoding (Python holds its bytes as surrogate escapes) is passed as those bytes, since
    soundfile encodes str paths strictly."""
    text = os.fspath(path)
    if isinstance(text, str):
        try:
            text.encode(sys.getfilesystemencoding())
        except UnicodeEncodeError:
            return os.fsencode(text)
    return text


class _SplicedFile(io.RawIOBase):
    """The file as it would be with a finished header: the first ``offset`` bytes from a patched
    copy, the rest from disk, ending at the last whole frame."""

    def __init__(self, path: str | os.PathLike, chunk: DataChunk) -> None:
        super().__init__()
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by close()
        samples = chunk.file_size - chunk.offset
        self._end = chunk.offset + samples - samples % chunk.block_align
        self._head = _patched_head(self._file.read(chunk.offset), self._end)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._end}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        done = 0
        if self._pos < len(self._head):
            part = self._head[self._pos : self._pos + len(view)]
            view[: len(part)] = part
            done = len(part)
        want = min(len(view), self._end - self._pos) - done
        if want > 0:
            self._file.seek(self._pos + done)
            done += self._file.readinto(view[done : done + want]) or 0
        self._pos += done
        return done

    def close(self) -> None:
        self._file.close()
        super().close()


def _patched_head(head: bytes, end: int) -> bytes:
    """``head`` (everything up to the samples) with the RIFF and data sizes set for a file of
    ``end`` bytes; past 4 GiB both say "to the end of the file"."""
    patched = bytearray(head)
    patched[4:8] = struct.pack("<I", min(end - 8, _MAX_SIZE))
    patched[-4:] = struct.pack("<I", min(end - len(head), _MAX_SIZE))
    return bytes(patched)
