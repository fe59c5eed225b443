"""Hostile pools for the fuzz campaign (issue 12): good media mixed with broken, lying, odd and
non-file entries, all generated from one seed.

Every entry is recorded with what must happen to it:

* ``good``: it is an item of the project, readable, with features, and the viewer decodes it;
* ``bad``: it is listed as unreadable with a reason, and the viewer refuses it in words;
* ``maybe``: either of the two (a bit-flipped JPEG or PCM WAV may still decode to something);
* ``special``: a pipe, socket, link loop, ...: listed as unreadable, never opened by a viewer.
"""

from __future__ import annotations

import io
import os
import socket
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image

EXPECTATIONS = ("good", "bad", "maybe", "special")


@dataclass
class Pool:
    root: Path
    kind: str
    expected: dict[str, str] = field(default_factory=dict)  # relpath -> expectation
    sockets: list[socket.socket] = field(default_factory=list)

    def add(self, relpath: str, data: bytes, expect: str) -> Path:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.expected[relpath] = expect
        return path

    def close(self) -> None:
        for s in self.sockets:
            s.close()

    def of(self, expect: str) -> list[str]:
        return sorted(r for r, e in self.expected.items() if e == expect)


# ------------------------------------------------------------------ byte-level damage


def truncated(data: bytes, rng: np.random.Generator, lo: float = 0.3, hi: float = 0.7) -> bytes:
    return data[: int(len(data) * rng.uniform(lo, hi))]


def bit_flipped(data: bytes, rng: np.random.Generator, start: int, flips: int = 8) -> bytes:
    out = bytearray(data)
    for pos in rng.integers(start, len(out), flips):
        out[pos] ^= 1 << int(rng.integers(0, 8))
    return bytes(out)


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(tag + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels and holds one tiny IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )  # fmt: skip


# ------------------------------------------------------------------ images


def _picture(rng: np.random.Generator, side: int) -> np.ndarray:
    a = np.full((side, side, 3), rng.integers(100, 256, 3), np.uint8)
    for _ in range(3):
        r, c = rng.integers(0, side - 4, 2)
        h, w = rng.integers(3, max(4, side // 2), 2)
        a[r : r + h, c : c + w] = rng.integers(0, 256, 3)
    return a


def _encode(a: np.ndarray, fmt: str, mode: str = "RGB") -> bytes:
    img = Image.fromarray(a).convert(mode)
    buf = io.BytesIO()
    img.save(buf, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buf.getvalue()


GOOD_IMAGE_FORMATS = [("png", "PNG", "RGB"), ("png", "PNG", "L"), ("png", "PNG", "RGBA"),
                      ("png", "PNG", "P"), ("jpg", "JPEG", "RGB"), ("bmp", "BMP", "RGB"),
                      ("gif", "GIF", "P"), ("webp", "WEBP", "RGB"), ("tif", "TIFF", "RGB")]  # fmt: skip

ODD_NAMES = [os.fsdecode(b"bad\xff\xfe"), "back\\slash", "cr\rname", "new\nline", " lead",
             "caf\u00e9", "emoji\U0001f600", "rtl\u05d0\u05d1", "-dash", "per%cent", "x" * 200]  # fmt: skip


def image_pool(root: Path, seed: int, scale: int = 1) -> Pool:
    """About 60 good images and 75 bad, odd or special entries per unit of ``scale``."""
    rng = np.random.default_rng(seed)
    pool = Pool(root, "image")
    goods: list[bytes] = []
    for i in range(40 * scale):
        ext, fmt, mode = GOOD_IMAGE_FORMATS[i % len(GOOD_IMAGE_FORMATS)]
        data = _encode(_picture(rng, int(rng.integers(24, 80))), fmt, mode)
        goods.append(data)
        pool.add(f"good/{i:03d}.{ext}", data, "good")
    for name in ODD_NAMES:
        pool.add(f"odd/{name}.png", _encode(_picture(rng, 40), "PNG"), "good")
    pool.add("lying/png-named.jpg", _encode(_picture(rng, 40), "PNG"), "good")
    pool.add("lying/jpeg-named.png", _encode(_picture(rng, 40), "JPEG"), "good")
    pngs = [g for g in goods if g.startswith(b"\x89PNG")]
    jpegs = [g for g in goods if g.startswith(b"\xff\xd8")]
    for i in range(10 * scale):
        pool.add(f"bad/trunc{i:03d}.png", truncated(pngs[i % len(pngs)], rng), "bad")
        pool.add(f"bad/trunc{i:03d}.jpg", truncated(jpegs[i % len(jpegs)], rng), "bad")
        pool.add(f"bad/flip{i:03d}.png", bit_flipped(pngs[i % len(pngs)], rng, 16), "bad")
        pool.add(f"maybe/flip{i:03d}.jpg", bit_flipped(jpegs[i % len(jpegs)], rng, 2), "maybe")
        pool.add(f"bad/noise{i:03d}.png", rng.bytes(int(rng.integers(1, 4000))), "bad")
    pool.add("bad/empty.png", b"", "bad")
    pool.add("bad/text.jpg", b"this is not a picture\n" * 20, "bad")
    pool.add("bad/header-only.png", b"\x89PNG\r\n\x1a\n", "bad")
    pool.add("bad/bomb.png", png_claiming(100_000, 100_000), "bad")
    pool.add("bad/huge.png", png_claiming(10_000, 10_000), "bad")
    pool.add("bad/wide.png", png_claiming(2**31 - 1, 1), "bad")
    pool.add("bad/zero.png", png_claiming(0, 0), "bad")
    pool.add("bad/wav-named.png", _wav(_tone(rng, 0.2)), "bad")
    _add_specials(pool, "png", _encode(_picture(rng, 30), "PNG"))
    return pool


# ------------------------------------------------------------------ audio

RATE = 16000


def _tone(rng: np.random.Generator, seconds: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    f = rng.uniform(150, 3000)
    return (rng.uniform(0.1, 0.5) * np.sin(2 * np.pi * f * t) * np.hanning(t.size)).astype(
        np.float32
    )


def _wav(x: np.ndarray, rate: int = RATE, subtype: str = "PCM_16", fmt: str = "WAV") -> bytes:
    buf = io.BytesIO()
    sf.write(buf, x, rate, subtype=subtype, format=fmt)
    return buf.getvalue()


GOOD_AUDIO = [("wav", "WAV", "PCM_16", RATE), ("wav", "WAV", "FLOAT", RATE),
              ("flac", "FLAC", "PCM_16", 44100), ("ogg", "OGG", "VORBIS", 22050),
              ("wav", "WAV", "GSM610", 8000), ("aiff", "AIFF", "PCM_24", RATE),
              ("wav", "WAV", "PCM_U8", 11025), ("wav", "WAV", "PCM_32", 48000)]  # fmt: skip


def audio_pool(root: Path, seed: int, scale: int = 1) -> Pool:
    """About 30 good clips and 50 bad, odd or special entries per unit of ``scale``."""
    rng = np.random.default_rng(seed)
    pool = Pool(root, "audio")
    wavs, flacs = [], []
    for i in range(24 * scale):
        ext, fmt, subtype, rate = GOOD_AUDIO[i % len(GOOD_AUDIO)]
        x = _tone(rng, float(rng.uniform(0.2, 1.5)), rate)
        if i % 5 == 0 and subtype != "GSM610":  # GSM 6.10 is mono only
            x = np.stack([x, x[::-1]], axis=1)  # stereo
        data = _wav(x, rate, subtype, fmt)
        (wavs if subtype == "PCM_16" and fmt == "WAV" else flacs if fmt == "FLAC" else []).append(
            data
        )
        pool.add(f"good/{i:03d}.{ext}", data, "good")
    for name in ODD_NAMES[:6]:
        pool.add(f"odd/{name}.wav", _wav(_tone(rng, 0.3)), "good")
    pool.add("good/short.wav", _wav(_tone(rng, 0.02)), "good")
    for i, value in enumerate([np.nan, np.inf, -np.inf, 1e38, -3e30]):
        x = _tone(rng, 0.5)
        x[int(rng.integers(0, x.size - 50)) :][:50] = value
        pool.add(f"bad/invalid{i}.wav", _wav(x, subtype="FLOAT"), "bad")
    for i in range(6 * scale):
        pool.add(f"maybe/trunc{i:03d}.wav", truncated(wavs[i % len(wavs)], rng), "maybe")
        pool.add(f"maybe/trunc{i:03d}.flac", truncated(flacs[i % len(flacs)], rng), "maybe")
        pool.add(f"maybe/flip{i:03d}.wav", bit_flipped(wavs[i % len(wavs)], rng, 44), "maybe")
        pool.add(f"maybe/flip{i:03d}.flac", bit_flipped(flacs[i % len(flacs)], rng, 42), "maybe")
        pool.add(f"bad/noise{i:03d}.wav", rng.bytes(int(rng.integers(1, 4000))), "bad")
    pool.add("bad/empty.wav", b"", "bad")
    pool.add("bad/text.flac", b"not audio at all\n" * 30, "bad")
    pool.add("bad/header-only.wav", wavs[0][:44], "bad")
    pool.add("bad/png-named.wav", _encode(_picture(rng, 20), "PNG"), "bad")
    pool.add("bad/no-frames.wav", _wav(np.zeros(0, np.float32)), "bad")
    lying = bytearray(wavs[1 % len(wavs)])
    lying[22:24] = struct.pack("<H", 0)  # zero channels
    pool.add("bad/zero-channels.wav", bytes(lying), "bad")
    lying = bytearray(wavs[2 % len(wavs)])
    lying[24:28] = struct.pack("<I", 0)  # zero sample rate
    pool.add("bad/zero-rate.wav", bytes(lying), "bad")
    lying = bytearray(wavs[3 % len(wavs)])
    lying[40:44] = struct.pack("<I", 0x7FFFFFF0)  # a data chunk far longer than the file
    pool.add("maybe/long-claim.wav", bytes(lying), "maybe")
    _add_specials(pool, "wav", _wav(_tone(rng, 0.3)))
    return pool


# ------------------------------------------------------------------ links and non-files


def _add_specials(pool: Pool, ext: str, good: bytes) -> None:
    root = pool.root / "links"
    root.mkdir(parents=True, exist_ok=True)
    pool.add(f"links/target.{ext}", good, "good")
    os.symlink(f"target.{ext}", root / f"alias.{ext}")  # a link to a file is followed
    pool.expected[f"links/alias.{ext}"] = "good"
    pool.add(f"folder.{ext}/inside.{ext}", good[:-1] + bytes([good[-1]]), "good")
    for name, target in ((f"loop1.{ext}", f"loop2.{ext}"), (f"loop2.{ext}", f"loop1.{ext}"),
                         (f"dangling.{ext}", f"nowhere.{ext}"), (f"device.{ext}", "/dev/zero"),
                         (f"dirlink.{ext}", "..")):  # fmt: skip
        os.symlink(target, root / name)
        pool.expected[f"links/{name}"] = "special"
    os.mkfifo(root / f"fifo.{ext}")
    pool.expected[f"links/fifo.{ext}"] = "special"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / f"sock.{ext}"))
    pool.sockets.append(sock)
    pool.expected[f"links/sock.{ext}"] = "special"
