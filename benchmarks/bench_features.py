"""Extraction throughput vs a plain decode of the same files.

usage: python benchmarks/bench_features.py [--runs 3] [--mnist-items N (0: all)] [--photos 60]
                                          [--recordings 20]

For each set, in the same run and interleaved (so machine load hits both alike):
  decode   plain Pillow ``Image.open(p).convert("RGB")`` + ``np.asarray`` (images), or
           ``soundfile.read(p)`` (audio), one process;
  prepare  aldesk's own decode and preparation of each item (``extractors.prepare``), one
           process: for PCM WAVs that is the standard library's ``wave`` reader, faster than
           ``soundfile.read``, so "extract / prepare" shows what the features themselves cost;
  extract  ``ensure_features`` into a fresh cache holding only the already learned dictionary
           (learning it is a one-off per project: the first, untimed-in-the-median run learns
           it and is reported separately), with workers=0 (this process) and workers=2 (the
           default: the product decides itself whether worker processes pay, and runs small
           jobs in this process). Worker processes fork from a fork server, up and ready (as in
           the app, where it starts with a project's first extraction);
  cold     the workers=2 run with the fork server stopped just before it: what the first
           extraction of a process pays (server start-up, ~0.5 s of imports, included).
Reports medians over --runs runs in items/s and extract/decode ratios, and the load average
before and after (the machine is shared). Prints one JSON object.
Sets: mnist PNGs (28×28), spoken-digit WAVs (~1 s, 16 kHz mono; also the 1,500-clip set made by
``make_audio_set.py OUT --per-class 150`` when present, also as FLAC copies), generated 1600×1200 JPEG "photos" and
30-s 44.1 kHz stereo WAV "recordings" (analysed: the loudest 10 s, at 16 kHz).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image, ImageDraw, ImageFilter

from aldesk.core.features import ensure_features, extractors, processes


def plain_decode(kind: str, paths: list[Path]) -> None:
    for p in paths:
        if kind == "image":
            with Image.open(p) as img:
                np.asarray(img.convert("RGB"))
        else:
            sf.read(p, dtype="float32")


def own_prepare(kind: str, paths: list[Path]) -> None:
    for p in paths:
        extractors.prepare(kind, p)


def make_photos(folder: Path, n: int) -> list[Path]:
    """Smooth, photo-like JPEGs: gradient sky, blurred shapes, sensor-like noise."""
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        y, x = np.mgrid[0:1200, 0:1600].astype(np.float32)
        base = np.stack([x / 1600 * 200, y / 1200 * 180, (x + y) / 2800 * 220], axis=2)
        img = Image.fromarray(base.astype(np.uint8))
        draw = ImageDraw.Draw(img)
        for _ in range(12):
            x0, y0 = rng.integers(0, 1400), rng.integers(0, 1000)
            w, h = rng.integers(50, 400, 2)
            draw.ellipse(
                [x0, y0, x0 + w, y0 + h], fill=tuple(int(v) for v in rng.integers(0, 256, 3))
            )
        img = img.filter(ImageFilter.GaussianBlur(3))
        noisy = np.asarray(img, np.int16) + rng.integers(-6, 7, (1200, 1600, 3))
        path = folder / f"photo_{i:03d}.jpg"
        Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(path, quality=90)
        paths.append(path)
    return paths


def make_recordings(folder: Path, n: int, seconds: float = 30.0, rate: int = 44100) -> list[Path]:
    """Field-recording-like stereo WAVs at 44.1 kHz: pink-ish noise, chirps and clicks."""
    rng = np.random.default_rng(1)
    paths = []
    t = np.arange(int(seconds * rate)) / rate
    for i in range(n):
        noise = np.cumsum(rng.standard_normal(t.size)) * 1e-3
        noise -= np.convolve(noise, np.ones(441) / 441, mode="same")  # drop the drift
        f0 = rng.uniform(300, 3000)
        chirps = (
            0.2
            * np.sin(2 * np.pi * (f0 + 200 * np.sin(t)) * t)
            * (np.sin(t * rng.uniform(1, 4)) > 0.6)
        )
        mono = (noise + chirps).astype(np.float32)
        stereo = np.stack([mono, np.roll(mono, 37)], axis=1)
        path = folder / f"rec_{i:03d}.wav"
        sf.write(path, np.clip(stereo, -1, 1), rate, subtype="PCM_16")
        paths.append(path)
    return paths


def flac_copies(paths: list[Path], folder: Path) -> list[Path]:
    """The same clips as FLAC (decoded by soundfile in aldesk too, unlike plain PCM WAVs)."""
    copies = []
    for p in paths:
        data, rate = sf.read(p, dtype="int16")
        copies.append(folder / f"{p.stem}.flac")
        sf.write(copies[-1], data, rate)
    return copies


def labelled_paths(root: Path, limit: int | None) -> list[Path]:
    with open(root / "labels.csv", newline="") as f:
        paths = [root / r["path"] for r in csv.DictReader(f)]
    return paths[:limit] if limit else paths


def stop_worker_server() -> None:
    """Stop the feature workers' fork server (private API: benchmark only)."""
    from multiprocessing import forkserver

    forkserver._forkserver._stop()
    processes._probe_started = False
    processes._server_ready.clear()


def spin(n: int = 2_000_000) -> float:
    """A fixed amount of pure-Python work; returns its seconds."""
    start, x = time.perf_counter(), 0
    for i in range(n):
        x += i
    return time.perf_counter() - start


def parallel_capacity(runs: int) -> float:
    """How many times more work 2 processes finish than 1 in the same time, right now.

    2.0 on two idle cores; less when the machine's other tenants take a core. The ceiling
    for what worker processes can add to ``ratio_workers0``.
    """
    from concurrent.futures import ProcessPoolExecutor

    speedups = []
    with ProcessPoolExecutor(2, processes.pool_context()) as pool:
        list(pool.map(spin, [1000] * 2))  # start both workers
        for _ in range(runs):
            one = spin()
            two = timed(lambda: list(pool.map(spin, [2_000_000] * 2)))
            speedups.append(2 * one / two)
    return statistics.median(speedups)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_set(name: str, kind: str, paths: list[Path], runs: int, work: Path) -> dict:
    files = [(f"{i:08d}", p) for i, p in enumerate(paths)]
    seed_cache = work / f"seed-{name}"
    # Learns the dictionary (images) from an even sample of this set, as a project would.
    learn_seconds = timed(lambda: ensure_features(seed_cache, kind, files, workers=0))
    plain_decode(kind, paths)  # warm the OS file cache for both contestants

    def fresh_cache() -> Path:
        cache = Path(tempfile.mkdtemp(dir=work))
        if (seed_cache / "dictionaries").exists():
            shutil.copytree(seed_cache / "dictionaries", cache / "dictionaries")
        return cache

    times: dict[str, list[float]] = {
        "decode": [],
        "prepare": [],
        "extract_w0": [],
        "extract_w2": [],
    }
    cold: list[float] = []
    for _ in range(runs):
        # The job with the fork server stopped first: what the first extraction of a process
        # pays when nothing started the server earlier.
        stop_worker_server()
        cache = fresh_cache()
        cold.append(timed(lambda c=cache: ensure_features(c, kind, files, workers=2)))
        processes.wait_for_worker_server(kind)  # the others run with the server up, as in the app
        times["decode"].append(timed(lambda: plain_decode(kind, paths)))
        times["prepare"].append(timed(lambda: own_prepare(kind, paths)))
        for key, workers in (("w0", 0), ("w2", 2)):
            cache = fresh_cache()
            times[f"extract_{key}"].append(
                timed(lambda c=cache, w=workers: ensure_features(c, kind, files, workers=w))
            )
    rate = {k: len(paths) / statistics.median(v) for k, v in times.items()}
    cold_rate = len(paths) / statistics.median(cold)
    return {
        "items": len(paths),
        "decode_items_per_s": round(rate["decode"], 1),
        "prepare_items_per_s": round(rate["prepare"], 1),
        "extract_items_per_s_workers0": round(rate["extract_w0"], 1),
        "extract_items_per_s_workers2": round(rate["extract_w2"], 1),
        "extract_items_per_s_workers2_cold_server": round(cold_rate, 1),
        "ratio_workers0": round(rate["extract_w0"] / rate["decode"], 3),
        "ratio_workers2": round(rate["extract_w2"] / rate["decode"], 3),
        "ratio_workers2_cold_server": round(cold_rate / rate["decode"], 3),
        "ratio_workers2_vs_prepare": round(rate["extract_w2"] / rate["prepare"], 3),
        "first_run_seconds_incl_dictionary": round(learn_seconds, 2),
    }


def spoken1500_sets(root: Path, runs: int, work: Path) -> dict:
    """The 1,500-clip set as WAV and as FLAC, if it was made."""
    if not (root / "labels.csv").exists():
        return {}
    wavs = labelled_paths(root, None)
    (work / "flac").mkdir()
    return {
        "spoken1500_wav": bench_set("spoken1500", "audio", wavs, runs, work),
        "spoken1500_flac": bench_set(
            "spoken1500_flac", "audio", flac_copies(wavs, work / "flac"), runs, work
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mnist", type=Path, default=Path("/work/data/mnist"))
    ap.add_argument("--mnist-items", type=int, default=0, help="0: all")
    ap.add_argument("--spoken", type=Path, default=Path("/work/data/spoken"))
    ap.add_argument("--spoken1500", type=Path, default=Path("/work/data/spoken1500"))
    ap.add_argument("--photos", type=int, default=60)
    ap.add_argument("--recordings", type=int, default=20)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "photos").mkdir()
        photos = make_photos(work / "photos", a.photos)
        (work / "recordings").mkdir()
        recordings = make_recordings(work / "recordings", a.recordings)
        report = {
            "runs": a.runs,
            "loadavg_before": [round(v, 2) for v in os.getloadavg()],
            "cpu_note": "medians; machine shared with other jobs, so absolute rates vary",
            "parallel_capacity_2_processes": round(parallel_capacity(a.runs), 2),
            "photos_1600x1200_jpeg": bench_set("photos", "image", photos, a.runs, work),
            "mnist_png_28x28": bench_set(
                "mnist", "image", labelled_paths(a.mnist, a.mnist_items), a.runs, work
            ),
            "spoken_wav": bench_set(
                "spoken", "audio", labelled_paths(a.spoken, None), a.runs, work
            ),
            **(spoken1500_sets(a.spoken1500, a.runs, work)),
            "recordings_30s_44k_stereo_wav": bench_set(
                "recordings", "audio", recordings, a.runs, work
            ),
        }
        report["loadavg_after"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
