"""Shared helpers for the benchmarks: pools on disk, feature matrices, statistics, environment.

Pools are cached under ``/tmp/aldesk-bench`` (override with ``ALDESK_BENCH_DIR``) so reruns skip
the slow parts (writing 10k PNGs, extracting their features).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import statistics
from pathlib import Path

import numpy as np

DATA = Path(os.environ.get("ALDESK_DATA", "/work/data"))
BENCH_DIR = Path(os.environ.get("ALDESK_BENCH_DIR", "/tmp/aldesk-bench"))
MNIST = DATA / "mnist"
SPOKEN = DATA / "spoken"
IMAGE_POOL_VERSION = "v1"  # bump when the perturbation changes: the cache is rebuilt


def image_pool_10k(root: Path | None = None) -> Path:
    """A 10,000-image pool: the 5,000 mnist PNGs plus 5,000 perturbed copies.

    Each copy gets +/-1 grey level on ~2% of its pixels (a deterministic per-file RNG), so its
    content hash differs from its original and the pool holds 10k distinct items, while it stays
    a realistic digit (the copy is in effect an augmented sample, as in a real pool).
    """
    root = root or BENCH_DIR / f"mnist10k-{IMAGE_POOL_VERSION}"
    done = root / ".complete"
    if done.exists():
        return root
    from PIL import Image

    root.mkdir(parents=True, exist_ok=True)
    files = sorted(MNIST.glob("*.png"))
    for i, src in enumerate(files):
        (root / src.name).write_bytes(src.read_bytes())
        a = np.array(Image.open(src))
        rng = np.random.default_rng(i)
        mask = rng.random(a.shape) < 0.02
        delta = rng.choice(np.array([-1, 1], dtype=np.int16), size=a.shape)
        b = np.clip(a.astype(np.int16) + mask * delta, 0, 255).astype(np.uint8)
        if np.array_equal(a, b):  # a blank-ish image where the mask hit nothing: force one pixel
            b.flat[0] = (int(b.flat[0]) + 1) % 256
        Image.fromarray(b).save(root / f"aug_{src.stem}.png")
    done.write_text(f"{len(files) * 2}\n")
    return root


def image_pool_100k(root: Path | None = None) -> Path:
    """A 100,000-image pool in 20 sub-folders: each mnist PNG and 19 perturbed copies.

    Copy ``k`` of a digit gets +/-1 grey level on ~2% of its pixels from the RNG seeded by
    (file, k), so every file is distinct content (a realistic augmented digit). The truth of
    ``vK/aug_NAME`` is the label of ``NAME``.
    """
    root = root or BENCH_DIR / f"mnist100k-{IMAGE_POOL_VERSION}"
    done = root / ".complete"
    if done.exists():
        return root
    from PIL import Image

    files = sorted(MNIST.glob("*.png"))
    for k in range(20):
        folder = root / f"v{k:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        for i, src in enumerate(files):
            if k == 0:
                (folder / f"aug_{src.name}").write_bytes(src.read_bytes())
                continue
            a = np.array(Image.open(src))
            rng = np.random.default_rng((i, k))
            mask = rng.random(a.shape) < 0.02
            mask.flat[rng.integers(a.size)] = True  # never a copy equal to its original
            delta = rng.choice(np.array([-1, 1], dtype=np.int16), size=a.shape)
            b = np.clip(a.astype(np.int16) + mask * delta, 0, 255).astype(np.uint8)
            if np.array_equal(a, b):
                b.flat[0] = (int(b.flat[0]) + 1) % 256
            Image.fromarray(b).save(folder / f"aug_{src.name}")
    done.write_text(f"{len(files) * 20}\n")
    return root


def digit_classes() -> list[str]:
    return [str(d) for d in range(10)]


def feature_matrix(n: int = 10_000, d: int = 512, n_classes: int = 10, seed: int = 0):
    """Gaussian class clusters in ``d`` float32 dims (like image embeddings) and their labels."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(n_classes, d)).astype(np.float32)
    y = rng.integers(0, n_classes, n)
    X = rng.standard_normal((n, d), dtype=np.float32)
    X += 0.4 * centers[y]
    X.setflags(write=False)
    return X, y


def summary_ms(values_s: list[float]) -> dict:
    """p50 / p95 / max / mean (milliseconds) of durations given in seconds."""
    ms = np.asarray(values_s, dtype=float) * 1000.0
    if ms.size == 0:
        return {"n": 0}
    return {
        "n": int(ms.size),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "max_ms": round(float(ms.max()), 2),
        "mean_ms": round(float(ms.mean()), 2),
    }


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def environment() -> dict:
    """What a reader needs to judge the numbers: when, where, and how busy the machine was."""
    import aldesk

    env = {
        "date_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "aldesk_path": str(Path(aldesk.__file__).parent),
    }
    try:
        import PySide6

        env["pyside6"] = PySide6.__version__
    except ImportError:
        pass
    return env


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` to a temp name, then rename (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)
