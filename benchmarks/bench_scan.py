"""Pool scan throughput: first scan (hash + probe every file) and rescan (stat only), by workers.

usage: python benchmarks/bench_scan.py [FOLDER] [--workers 1,2,4] [--repeat 3]

FOLDER defaults to /work/data/mnist (5000 PNGs made by make_image_set.py); the script waits for
/work/data/done.txt when the data is still being generated. Prints one JSON object: files/s of
the median run for each worker count, plus a first ``sync_pool`` into a fresh project. The page
cache is warm after the first run (dropping it would disturb other users of the machine), so
the numbers measure hashing and decoding, not the disk.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from aldesk.core import pool, pool_sync
from aldesk.core.store import ProjectStore

DEFAULT_FOLDER = Path("/work/data/mnist")
DONE_MARKER = Path("/work/data/done.txt")


def wait_for_data(folder: Path, timeout: float = 1800.0) -> None:
    deadline = time.monotonic() + timeout
    while folder == DEFAULT_FOLDER and not DONE_MARKER.exists():
        if time.monotonic() > deadline:
            sys.exit(f"{DONE_MARKER} did not appear within {timeout:.0f} s")
        time.sleep(10)


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """Median wall time of ``repeat`` calls, median CPU seconds per wall second, last result.

    CPU/wall above 1 means threads ran in parallel (hashing and decoding released the GIL).
    """
    walls, ratios, result = [], [], None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall = time.perf_counter() - start
        walls.append(wall)
        ratios.append((time.process_time() - cpu) / wall)
    return statistics.median(walls), statistics.median(ratios), result


def bench_workers(folder: Path, workers: int, repeat: int) -> dict[str, float]:
    first_s, cpu_ratio, result = timed(lambda: pool.scan(folder, workers=workers), repeat)
    n = len(result.entries)
    rescan_s, _, _ = timed(
        lambda: pool.scan(folder, previous=result.entries, workers=workers), repeat
    )
    return {
        "workers": workers,
        "files": n,
        "first_scan_s": round(first_s, 3),
        "first_scan_files_per_s": round(n / first_s),
        "first_scan_cpu_per_wall": round(cpu_ratio, 2),
        "rescan_s": round(rescan_s, 3),
        "rescan_files_per_s": round(n / rescan_s),
    }


def bench_sync(folder: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = ProjectStore.create(
            Path(tmp) / "bench", pool_root=folder, kind="image", classes=["a"]
        )
        with store:
            first_s, _, result = timed(lambda: pool_sync.sync_pool(store), 1)
            again_s, _, _ = timed(lambda: pool_sync.sync_pool(store), 1)
    n = len(result.entries)
    return {"first_sync_files_per_s": round(n / first_s), "resync_files_per_s": round(n / again_s)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    wait_for_data(args.folder)
    pool.scan(args.folder, workers=1)  # warm the page cache so every run starts equal
    runs = [bench_workers(args.folder, int(w), args.repeat) for w in args.workers.split(",")]
    report = {
        "folder": str(args.folder),
        "cpus": os.cpu_count(),
        "default_workers": pool.DEFAULT_WORKERS,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "runs": runs,
        "sync_pool": bench_sync(args.folder),
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
