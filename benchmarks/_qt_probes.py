"""Qt probes for bench_ui.py: paint timing on the image canvas, a GUI-thread heartbeat, and
event-loop helpers. Imported after bench_ui has set QT_QPA_PLATFORM; PySide6 is imported lazily.
"""

from __future__ import annotations

import time
from pathlib import Path

HEARTBEAT_MS = 5


def qt_core():
    from PySide6 import QtCore

    return QtCore


def instrument_canvas() -> list:
    """Wrap ``_Canvas.paintEvent`` (this process only) to call hooks when a paint has finished."""
    from PySide6.QtWidgets import QGraphicsView

    from aldesk.gui.viewers import image_view

    hooks: list = []
    if getattr(image_view._Canvas, "_bench_wrapped", False):
        return image_view._Canvas._bench_hooks

    def paint_event(self, event):
        QGraphicsView.paintEvent(self, event)
        now = time.perf_counter()
        for hook in list(hooks):
            hook(self, now)

    image_view._Canvas.paintEvent = paint_event
    image_view._Canvas._bench_wrapped = True
    image_view._Canvas._bench_hooks = hooks
    return hooks


class PaintProbe:
    """Times the first finished paint of the canvas after the viewer loaded an expected path."""

    def __init__(self, viewer) -> None:
        QtCore = qt_core()
        self._QTimer = QtCore.QTimer
        self.canvas = viewer.canvas()
        self.expected: Path | None = None
        self.loaded_at = self.paint_end = self.idle_at = None
        viewer.loaded.connect(self._on_loaded)
        instrument_canvas().append(self._on_paint)

    def expect(self, path) -> None:
        self.expected = Path(path)
        self.loaded_at = self.paint_end = self.idle_at = None

    def _on_loaded(self, path) -> None:
        if self.expected is not None and Path(path) == self.expected and self.loaded_at is None:
            self.loaded_at = time.perf_counter()

    def _on_paint(self, canvas, now: float) -> None:
        if canvas is self.canvas and self.loaded_at is not None and self.paint_end is None:
            self.paint_end = now
            self._QTimer.singleShot(0, self._on_idle)

    def _on_idle(self) -> None:
        self.idle_at = time.perf_counter()

    @property
    def done(self) -> bool:
        return self.idle_at is not None


class Heartbeat:
    """A 5 ms timer on the GUI thread recording when it actually fired."""

    def __init__(self) -> None:
        QtCore = qt_core()
        self.ticks: list[float] = []
        self.timer = QtCore.QTimer()
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def max_gap(self, start: float, end: float, clip: bool = False) -> float:
        """Largest interval between consecutive ticks overlapping [start, end] (seconds).

        With ``clip`` the window's ends count as ticks: a stall that began before ``start``
        (e.g. the key press just handled) is only counted from ``start``.
        """
        ts = [t for t in self.ticks if start <= t <= end]
        if clip:
            ts = [start, *ts, end]
        else:
            before = [t for t in self.ticks if t < start]
            after = [t for t in self.ticks if t > end]
            ts = ([before[-1]] if before else []) + ts + ([after[0]] if after else [])
        if len(ts) < 2:
            return end - start
        return max(b - a for a, b in zip(ts, ts[1:], strict=False))


def wait_until(app, predicate, timeout_s: float) -> bool:
    """Run a real event loop (blocking in the dispatcher, as ``app.exec()`` does) until
    ``predicate()`` holds, checked every 1 ms by a timer; False on timeout."""
    from PySide6.QtCore import QEventLoop, QTimer

    if predicate():
        return True
    loop = QEventLoop()
    deadline = time.perf_counter() + timeout_s
    check = QTimer()
    check.setInterval(1)

    def poll() -> None:
        if predicate() or time.perf_counter() > deadline:
            loop.quit()

    check.timeout.connect(poll)
    check.start()
    loop.exec()
    check.stop()
    return predicate()


def run_for(app, seconds: float) -> None:
    end = time.perf_counter() + seconds
    wait_until(app, lambda: time.perf_counter() >= end, seconds + 1)
