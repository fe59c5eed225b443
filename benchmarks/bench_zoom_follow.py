"""How often a deep-zoomed audio view is drawn sharp while it pages along with playback.

A 10-minute 44.1 kHz recording (noise: every sample is real work) is shown in the real
``AudioView`` (offscreen Qt), zoomed in ×1024 (0.59 s a page) and to the deepest zoom (256
samples, 5.8 ms), and "played" for a few seconds: a 25-ms timer moves the playhead by the
real time elapsed, as QMediaPlayer's position updates do. At every tick the script records
whether the view is drawn from a decoded span at full resolution ("sharp") or from the whole
clip's picture (one block). Two modes in the same run, alternating:

- ``playing``: the canvas is told playback started (what the app does): spans are decoded
  ahead of the playhead at once;
- ``as-panning``: it is not told, so spans are decoded as for panning (a margin of one view
  each side, after a 120-ms settle delay): the behaviour before decoding ahead.

Prints the median sharp fraction over ``--runs`` runs per mode and zoom. No device is needed.

Usage: ``python benchmarks/bench_zoom_follow.py [--runs 3] [--seconds 5]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

RATE, MINUTES, TICK_MS = 44100, 10, 25


def make_recording(folder: Path) -> Path:
    path = folder / "night.wav"
    rng = np.random.default_rng(0)
    sf.write(path, rng.uniform(-0.3, 0.3, RATE * 60 * MINUTES).astype(np.float32), RATE,
             subtype="PCM_16")  # fmt: skip
    return path


def play(app, view, zoom_steps: int, announce: bool, seconds: float) -> float:
    """The sharp fraction of ``seconds`` of simulated playback from 60 s."""
    from PySide6.QtCore import QEventLoop, QTimer

    from aldesk.gui.viewers.audio_detail import coarse

    canvas = view.canvas()
    canvas.fit()
    canvas.set_position(60.0)
    for _ in range(zoom_steps):
        canvas.zoom_in()
    settle = time.perf_counter() + 1.0  # the paused view's own span, as after zooming
    while time.perf_counter() < settle:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
    samples: list[bool] = []
    start = time.perf_counter()
    columns = round(canvas._plot_width())

    def tick() -> None:
        canvas.set_position(60.0 + time.perf_counter() - start)
        span = canvas._detail.shown(canvas.view)
        samples.append(span is not None and not coarse(
            len(span.mins), span.end - span.start, canvas.view, columns, RATE))  # fmt: skip

    timer = QTimer(interval=TICK_MS)
    timer.timeout.connect(tick)
    if announce:
        canvas.set_playing(True)
    timer.start()
    while time.perf_counter() - start < seconds:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
    timer.stop()
    canvas.set_playing(False)
    return sum(samples) / max(1, len(samples))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seconds", type=float, default=5.0)
    args = p.parse_args(argv)
    from PySide6.QtCore import QEventLoop

    from aldesk.gui.app import create_app
    from aldesk.gui.viewers.audio_view import AudioView

    app = create_app([])
    with tempfile.TemporaryDirectory() as tmp:
        path = make_recording(Path(tmp))
        view = AudioView()
        view.resize(1366, 400)
        view.show()
        view.show_audio(path)
        end = time.perf_counter() + 120
        while view._clip is None and time.perf_counter() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 10)
        results: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.runs):
            for zoom, steps in (("x1024", 10), ("deepest", 20)):
                for mode, announce in (("playing", True), ("as-panning", False)):
                    frac = play(app, view, steps, announce, args.seconds)
                    results.setdefault((zoom, mode), []).append(frac)
        view.shutdown()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"sharp fraction while playing ({args.runs} runs of {args.seconds:g} s, median; "
          f"load average {load})")  # fmt: skip
    for (zoom, mode), fractions in results.items():
        runs = ", ".join(f"{f:.2f}" for f in fractions)
        print(f"  {zoom:8s} {mode:11s} {statistics.median(fractions):.2f}  ({runs})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
