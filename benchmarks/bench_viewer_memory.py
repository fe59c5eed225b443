"""Peak memory and time to display the worst items in the real viewers (issue 12, point 5).

Each item is shown in a fresh child process (offscreen Qt): the viewer is built, the item is
shown, the script waits for ``loaded`` and paints the widget once. The child reports its peak
RSS (``VmHWM``) before showing anything (baseline: Python, numpy, Pillow, Qt, the widget)
and after, and the wall time from ``show_*`` to ``loaded``. Before the fix, a 490 KB one-hour
silent FLAC took 46 s and 16 GB, an 81-megapixel 16-bit PNG 10 s and 2.4 GB. Target: every
item under 500 MB peak.

Items (generated once under ``$ALDESK_BENCH_DIR/viewer-memory``, default /tmp/aldesk-bench):
hour-44k.flac (silent, mono, 44.1 kHz: the reported file), hour-8k.flac, hour-noise-44k.flac
(stereo noise: nothing compresses, the decode is real work), 81mp-gray16.png,
81mp-rgb16.png (48-bit colour), 89mp-rgba.png (Pillow's pixel limit, RGBA), 24mp.jpg and
24mp-rgba.png (the largest shown pixel for pixel).

Usage: ``python benchmarks/bench_viewer_memory.py [--items NAME ...] [--out FILE.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("ALDESK_BENCH_DIR", "/tmp/aldesk-bench")) / "viewer-memory"
LIMIT_MB = 500.0

_CHILD = r"""
import json, os, sys, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])

def peak_mb():
    # VmHWM belongs to this process's own address space; ru_maxrss would carry over the
    # parent's peak from before exec (the parent held the generated images).
    with open("/proc/self/status") as f:
        line = next(l for l in f if l.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024

kind, path = sys.argv[1], sys.argv[2]
if kind == "audio":
    from aldesk.gui.viewers.audio_view import AudioView
    view = AudioView()
else:
    from aldesk.gui.viewers.image_view import ImageView
    view = ImageView()
view.resize(1200, 700)
view.show()
app.processEvents()
base = peak_mb()
loop = QEventLoop()
out = {"error": None}
view.loaded.connect(lambda _p: loop.quit())
view.load_failed.connect(lambda _p, reason: (out.update(error=reason), loop.quit()))
QTimer.singleShot(600_000, loop.quit)
t0 = time.perf_counter()
(view.show_audio if kind == "audio" else view.show_image)(path)
loop.exec()
out["seconds"] = time.perf_counter() - t0
view.grab()  # one paint of what is shown
out["baseline_mb"] = base
out["peak_mb"] = peak_mb()
out["info"] = view.info_text()
view.shutdown()
print(json.dumps(out))
"""


def _silent_flac(path: Path, rate: int) -> None:
    import soundfile as sf

    with sf.SoundFile(path, "w", rate, 1, subtype="PCM_16") as f:
        minute = np.zeros(rate * 60, dtype=np.int16)
        for _ in range(60):
            f.write(minute)


def _noise_flac(path: Path) -> None:
    import soundfile as sf

    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", 44100, 2, subtype="PCM_16") as f:
        for _ in range(60):
            f.write((rng.standard_normal((44100 * 60, 2)) * 3000).astype(np.int16))


def _png(path: Path, width: int, height: int, colour_type: int, depth: int) -> None:
    """Write a PNG row by row (Pillow cannot write 16-bit colour): a diagonal gradient with a
    little noise, so the file is realistic but still compresses."""
    channels = {0: 1, 2: 3, 6: 4}[colour_type]
    dtype = ">u2" if depth == 16 else np.uint8
    top = 65535 if depth == 16 else 255
    rng = np.random.default_rng(0)
    base = np.linspace(0, top * 0.8, width)[:, None].repeat(channels, 1)
    comp = zlib.compressobj(1)
    idat = []
    for y in range(height):
        row = base + top * 0.2 * y / height + rng.integers(0, top // 64, (width, channels))
        if channels == 4:
            row[:, 3] = top
        idat.append(comp.compress(b"\0" + row.astype(dtype).tobytes()))
    idat.append(comp.flush())

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    with path.open("wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr))
        f.write(chunk(b"IDAT", b"".join(idat)))
        f.write(chunk(b"IEND", b""))


def _jpeg(path: Path, width: int, height: int) -> None:
    from PIL import Image

    x = np.linspace(0, 255, width, dtype=np.float32)
    rows = [(x[None, :] + y * 0.01) % 256 for y in range(0, height, 1000)]
    band = np.concatenate([np.repeat(r, 1000, axis=0) for r in rows])[:height]
    rgb = np.stack([band, band[:, ::-1], np.full_like(band, 128)], axis=2).astype(np.uint8)
    Image.fromarray(rgb).save(path, quality=90)


ITEMS = {
    "hour-44k.flac": ("audio", lambda p: _silent_flac(p, 44100)),
    "hour-8k.flac": ("audio", lambda p: _silent_flac(p, 8000)),
    "hour-noise-44k.flac": ("audio", _noise_flac),
    "81mp-gray16.png": ("image", lambda p: _png(p, 9000, 9000, 0, 16)),
    "81mp-rgb16.png": ("image", lambda p: _png(p, 9000, 9000, 2, 16)),
    "89mp-rgba.png": ("image", lambda p: _png(p, 9450, 9450, 6, 8)),
    "24mp.jpg": ("image", lambda p: _jpeg(p, 6000, 4000)),
    "24mp-rgba.png": ("image", lambda p: _png(p, 6000, 4000, 6, 8)),
}


def measure(name: str) -> dict:
    kind, make = ITEMS[name]
    path = DATA / name
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        partial = path.with_name("partial-" + name)
        make(partial)
        partial.replace(path)
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, kind, str(path)],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=900,
    )  # fmt: skip
    if done.returncode != 0:
        return {"item": name, "error": done.stderr.strip().splitlines()[-1:]}
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out.update(item=name, file_mb=round(path.stat().st_size / 2**20, 1))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", nargs="*", default=list(ITEMS), choices=list(ITEMS))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results = []
    for name in args.items:
        r = measure(name)
        results.append(r)
        if "peak_mb" in r:
            flag = "ok" if r["peak_mb"] < LIMIT_MB else "OVER"
            print(
                f"{name:22s} {r['file_mb']:8.1f} MB file  peak {r['peak_mb']:6.0f} MB "
                f"(baseline {r['baseline_mb']:4.0f})  {r['seconds']:6.2f} s  {flag}"
                + (f"  error: {r['error']}" if r["error"] else ""),
                flush=True,
            )
        else:
            print(f"{name:22s} failed: {r['error']}", flush=True)
    summary = {"loadavg": os.getloadavg(), "limit_mb": LIMIT_MB, "results": results}
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary))
    worst = max((r.get("peak_mb", float("inf")) for r in results), default=0.0)
    return 0 if worst < LIMIT_MB else 1


if __name__ == "__main__":
    sys.exit(main())
