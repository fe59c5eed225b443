"""Small media files for the pool tests (written with Pillow and soundfile)."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from aldesk.core import pool


def write_png(path: Path, value: int, size: int = 8) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (size, size), color=value).save(path)
    return path


def write_wav(path: Path, freq: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(1600, dtype=np.float32) / 16000
    sf.write(path, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 16000)
    return path


def png_chunk(tag: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, tag, data and CRC."""
    crc = zlib.crc32(tag + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims width x height pixels (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IEND", b""))
    return path


def set_mtime(path: Path, seconds: int) -> None:
    os.utime(path, ns=(seconds * 10**9, seconds * 10**9))


def hash_counter(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = pool._hash_file

    def counting(path: Path) -> str:
        calls.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(pool, "_hash_file", counting)
    return calls
