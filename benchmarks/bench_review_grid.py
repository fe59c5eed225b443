"""Scroll the review grid over 10,000 thumbnails and report the GUI thread's longest stall.

The grid is the review window's own (ReviewModel + QListView set up by
``aldesk.gui.review.grid.setup_view`` + ThumbnailLoader decoding in a process) on 10,000
generated photo-like JPEGs (640 x 480, so each decode is real work). The scroll bar moves one
step every 16 ms from top to bottom and back while a 5 ms heartbeat timer records the gaps
between its ticks on the GUI thread. Pass: the longest gap is at most 50 ms.

Each run is a fresh process; the summary gives the median and the worst of the runs' longest
gaps with the load average, and splits the worst gaps (Linux) into the GUI thread's own CPU
time, time waiting for a CPU (other processes: the run queue) and the rest (blocked, e.g. on
the GIL), from /proc/self/task/<tid>/schedstat.

    .venv/bin/python benchmarks/bench_review_grid.py [--runs 5] [--n 10000] [--in-thread]

Measured 2026-12-05 14:55-15:00 UTC, 2 cores shared with other jobs (load average 7.5-11),
five runs each, the code before and after alternating: before (decodes on a thread, one
repaint per thumbnail, Qt's helper thread pool) longest stall 180-415 ms, median 226, p99
median 71 ms; after 62-151 ms, median 100, p99 median 40 ms. The GUI thread's own CPU in the
worst gaps is now 3-10 ms; the rest is waiting for a CPU held by other processes (the run
queue), which no change in the app removes: the 50 ms limit holds only on a machine that is
not overloaded (one run at load 7.9 passed: 47.5 ms).

Measured 2026-12-05 16:07 UTC, load average 1.5-2.1 (one other job on the 2 cores), 5 runs of
2 passes over 10,000 thumbnails: longest GUI-thread stall median 28.2 ms, max 33.4 ms (runs:
19.8, 28.2, 33.4, 20.9, 32.5), p99 median 15.1 ms, GUI CPU in a gap at most 20.9 ms: within
the 50 ms limit.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

LIMIT_MS = 50


def make_images(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    paths = [folder / f"img_{k:05d}.jpg" for k in range(n)]
    base = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
    for k, p in enumerate(paths):
        if p.exists():
            continue
        tile = np.roll(base, k, axis=1)
        Image.fromarray(tile).resize((640, 480), Image.Resampling.BILINEAR).save(p, quality=85)
    return paths


def _schedstat(tid: int) -> tuple[float, float]:
    """(ms on a CPU, ms waiting for one) of thread ``tid`` so far; zeros where unavailable."""
    try:
        with open(f"/proc/self/task/{tid}/schedstat") as f:
            on_cpu, waiting, _ = f.read().split()
    except OSError:
        return 0.0, 0.0
    return int(on_cpu) / 1e6, int(waiting) / 1e6


def run_once(paths: list[Path], passes: int, in_thread: bool) -> dict:
    """One scroll run in this process; the gaps between heartbeats and what made the worst."""
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication, QListView

    from aldesk.core.review_rows import ReviewRow
    from aldesk.gui.review.grid import setup_view
    from aldesk.gui.review.model import ReviewModel
    from aldesk.gui.review.thumbnails import ThumbnailLoader

    app = QApplication.instance() or QApplication([])
    loader = ThumbnailLoader(in_process=not in_thread)
    model = ReviewModel(lambda i: paths[i], loader)
    model.set_rows([ReviewRow(k, p.name, "pool", "unseen") for k, p in enumerate(paths)])
    view = QListView()
    setup_view(view, model, loader)
    view.resize(1000, 700)
    view.show()

    tid = threading.get_native_id()
    ticks: list[tuple[float, float, float]] = []  # (wall ms, on-CPU ms, run-queue ms)
    heartbeat = QTimer(interval=5)
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.timeout.connect(lambda: ticks.append((time.perf_counter() * 1000, *_schedstat(tid))))
    bar = view.verticalScrollBar()
    state = {"step": 0, "direction": 1, "passes": 0}

    def scroll() -> None:
        if bar.maximum() == 0:
            return  # still laying out
        value = bar.value() + state["direction"] * max(1, bar.maximum() // 600)
        bar.setValue(max(0, min(bar.maximum(), value)))
        state["step"] += 1
        if bar.value() in (0, bar.maximum()) and state["step"] > 5:
            state["direction"] = -state["direction"]
            state["passes"] += 1
            state["step"] = 0
            if state["passes"] >= passes:
                app.quit()

    scroller = QTimer(interval=16)
    scroller.timeout.connect(scroll)
    load_before = os.getloadavg()[0]
    heartbeat.start()
    scroller.start()
    t0 = time.perf_counter()
    app.exec()
    took = time.perf_counter() - t0
    heartbeat.stop()
    scroller.stop()
    loader.shutdown()
    t = np.array(ticks)
    wall, cpu, queue = np.diff(t[:, 0]), np.diff(t[:, 1]), np.diff(t[:, 2])
    worst = np.argsort(wall)[::-1][:3]
    return {
        "max": float(wall.max()), "p99": float(np.percentile(wall, 99)),
        "median": float(np.median(wall)), "cpu_max": float(cpu.max()),
        "worst": [(round(float(wall[i]), 1), round(float(cpu[i]), 1), round(float(queue[i]), 1),
                   round(float(wall[i] - cpu[i] - queue[i]), 1)) for i in worst],
        "load": round((load_before + os.getloadavg()[0]) / 2, 1), "seconds": round(took, 1),
        "decoded": loader.decoded_count, "in_process": loader.in_process,
    }  # fmt: skip


def _child(args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--one", "--n", str(args.n), "--dir", str(args.dir),
           "--passes", str(args.passes)] + (["--in-thread"] if args.in_thread else [])  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/aldesk-grid"))
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--in-thread", action="store_true", help="decode on the worker thread")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a run, as JSON
    args = ap.parse_args()
    paths = make_images(args.dir, args.n)
    if args.one:
        print(json.dumps(run_once(paths, args.passes, args.in_thread)))
        return
    where = "the worker thread" if args.in_thread else "a decode process"
    print(f"{len(paths)} images; decoding on {where}; {args.runs} runs of {args.passes} passes")
    runs = []
    for k in range(args.runs):
        r = _child(args)
        runs.append(r)
        print(f"run {k + 1}: max {r['max']:.1f} ms, p99 {r['p99']:.1f}, GUI CPU max "
              f"{r['cpu_max']:.1f}, load {r['load']}, {r['decoded']} decoded in {r['seconds']} s; "
              f"worst gaps (wall, own CPU, waiting for a CPU, blocked): {r['worst']}")  # fmt: skip
    maxes = [r["max"] for r in runs]
    verdict = "PASS" if max(maxes) <= LIMIT_MS else "FAIL"
    print(f"longest GUI-thread stall over {len(runs)} runs: median {statistics.median(maxes):.1f}"
          f" ms, max {max(maxes):.1f} ms; p99 median {statistics.median(r['p99'] for r in runs):.1f}"
          f" ms; GUI CPU max {max(r['cpu_max'] for r in runs):.1f} ms; load average "
          f"{min(r['load'] for r in runs)}-{max(r['load'] for r in runs)} on {os.cpu_count()} "
          f"cores ({verdict}: limit {LIMIT_MS} ms)")  # fmt: skip


if __name__ == "__main__":
    main()
