"""Scroll the review grid over 10,000 thumbnails and report the GUI thread's longest stall.

The grid (ReviewModel + QListView in icon mode + ThumbnailLoader) is built on 10,000 generated
photos-like JPEGs (640 x 480, so each decode is real work); the scroll bar is moved one step
every 16 ms from top to bottom and back while a 5 ms heartbeat timer records the gaps between
its ticks on the GUI thread. Pass: the longest gap is at most 50 ms.

    .venv/bin/python benchmarks/bench_review_grid.py [--n 10000] [--dir /tmp/aldesk-grid]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402


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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/aldesk-grid"))
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--no-thumbnails", action="store_true", help="baseline: the grid as text")
    args = ap.parse_args()
    t0 = time.perf_counter()
    paths = make_images(args.dir, args.n)
    print(f"{len(paths)} images ready in {time.perf_counter() - t0:.1f} s")

    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication, QListView

    from aldesk.core.review_rows import ReviewRow
    from aldesk.gui.review.model import ReviewModel
    from aldesk.gui.review.thumbnails import ThumbnailLoader

    app = QApplication.instance() or QApplication([])
    loader = None if args.no_thumbnails else ThumbnailLoader()
    model = ReviewModel(lambda i: paths[i], loader)
    rows = [ReviewRow(k, p.name, "pool", "unseen") for k, p in enumerate(paths)]
    t1 = time.perf_counter()
    model.set_rows(rows)
    print(f"model filled in {1000 * (time.perf_counter() - t1):.0f} ms")
    view = QListView()
    view.setModel(model)
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setUniformItemSizes(True)
    view.setGridSize(model.cell_size())
    view.setMovement(QListView.Movement.Static)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setLayoutMode(QListView.LayoutMode.Batched)
    view.resize(1000, 700)
    view.show()

    clock = QElapsedTimer()
    gaps: list[float] = []
    cpu_gaps: list[float] = []  # the GUI thread's own CPU time between ticks
    last = [0.0, 0.0]

    def beat() -> None:
        now, cpu = clock.nsecsElapsed() / 1e6, time.thread_time() * 1000
        if last[0]:
            gaps.append(now - last[0])
            cpu_gaps.append(cpu - last[1])
        last[0], last[1] = now, cpu

    heartbeat = QTimer(interval=5)
    heartbeat.timeout.connect(beat)
    bar = view.verticalScrollBar()
    step = [0]
    direction = [1]
    passes = [0]

    def scroll() -> None:
        if bar.maximum() == 0:
            return  # still laying out
        value = bar.value() + direction[0] * max(1, bar.maximum() // 600)
        bar.setValue(max(0, min(bar.maximum(), value)))
        step[0] += 1
        if bar.value() in (0, bar.maximum()) and step[0] > 5:
            direction[0] = -direction[0]
            passes[0] += 1
            step[0] = 0
            if passes[0] >= args.passes:
                app.quit()

    scroller = QTimer(interval=16)
    scroller.timeout.connect(scroll)
    clock.start()
    heartbeat.start()
    scroller.start()
    t2 = time.perf_counter()
    app.exec()
    took = time.perf_counter() - t2
    heartbeat.stop()
    scroller.stop()
    if loader is not None:
        loader.shutdown()
    gaps_arr = np.array(gaps)
    print(f"scrolled {args.passes} passes over {args.n} items in {took:.1f} s; "
          f"thumbnails decoded: {loader.decoded_count if loader else 0}")  # fmt: skip
    worst = np.argsort(gaps_arr)[-5:][::-1]
    print("longest gaps (ms, at heartbeat #):", [(round(float(gaps_arr[i]), 1), int(i)) for i in worst],
          "of", len(gaps_arr))  # fmt: skip
    print(f"GUI-thread heartbeat gaps: median {np.median(gaps_arr):.1f} ms, "
          f"p99 {np.percentile(gaps_arr, 99):.1f} ms, max {gaps_arr.max():.1f} ms "
          f"({'PASS' if gaps_arr.max() <= 50 else 'FAIL'}: limit 50 ms)")  # fmt: skip
    cpu = np.array(cpu_gaps)
    print(f"GUI thread's own CPU time between ticks: p99 {np.percentile(cpu, 99):.1f} ms, "
          f"max {cpu.max():.1f} ms (wall gaps beyond it are waits: other processes, the GIL); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip


if __name__ == "__main__":
    main()
