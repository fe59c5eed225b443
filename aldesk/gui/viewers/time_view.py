"""The part of a clip the audio canvas shows: all of it, or a zoomed span (+ / − / Ctrl+0,
Ctrl+wheel). On a 10-minute recording a 0.1-s call is a pixel column: zoomed in, it is a shape.

Zooming is instant: the span is drawn from the whole clip's picture at once, and a span
narrower than that picture resolves is then decoded from the file at full resolution
(:mod:`aldesk.gui.viewers.audio_detail`). It stops at a few hundred samples.
"""

from __future__ import annotations

import numpy as np

STEP = 2.0  # one + or − halves or doubles the span


class TimeView:
    """A span ``[start, end]`` of a clip ``duration`` seconds long (the whole clip when not
    zoomed)."""

    def __init__(self) -> None:
        self.duration = 0.0
        self._narrowest = 0.0
        self.start, self.end = 0.0, 0.0

    def reset(self, duration: float, narrowest: float | None = None) -> None:
        """A new clip, shown whole, that zooms in down to ``narrowest`` seconds (None: not at
        all, a clip still being drawn)."""
        self.duration = max(0.0, duration)
        self._narrowest = self.duration if narrowest is None else min(narrowest, self.duration)
        self.start, self.end = 0.0, self.duration

    @property
    def width(self) -> float:
        return self.end - self.start

    @property
    def zoomed(self) -> bool:
        return self.duration > 0 and self.width < self.duration - 1e-9

    @property
    def factor(self) -> float:
        return self.duration / self.width if self.width > 0 else 1.0

    def zoom(self, factor: float, centre: float) -> bool:
        """Narrow (factor > 1) or widen the span about ``centre`` seconds; False if it cannot
        change (the whole clip, or as deep as it goes)."""
        width = min(self.duration, max(self._narrowest, self.width / factor))
        if abs(width - self.width) < 1e-9 or self.duration <= 0:
            return False
        frac = (centre - self.start) / self.width if self.width > 0 else 0.5
        self._place(centre - frac * width, width)
        return True

    def fit(self) -> bool:
        changed = self.zoomed
        self.start, self.end = 0.0, self.duration
        return changed

    def pan(self, seconds: float) -> bool:
        """Move a zoomed span by ``seconds`` (kept inside the clip)."""
        if not self.zoomed:
            return False
        before = self.start
        self._place(self.start + seconds, self.width)
        return self.start != before

    def follow(self, position: float) -> bool:
        """Page a zoomed span so ``position`` (the playhead) is in it; True if it moved."""
        if not self.zoomed or self.start <= position <= self.end:
            return False
        self._place(position - 0.1 * self.width, self.width)
        return True

    def _place(self, start: float, width: float) -> None:
        start = min(max(0.0, start), self.duration - width)
        self.start, self.end = start, start + width


_CLOCK_STEPS = (60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0)


def tick_step(duration: float, width: float) -> float:
    """A step giving ticks at least ~70 px apart: 1-2-5 seconds under a minute, then whole
    minutes (1, 2, 5, 10, 15, 30 min, 1 h, 2 h, ...)."""
    if duration <= 0:
        return 1.0
    raw = duration * 70.0 / max(width, 1.0)
    if raw > 30.0:
        for step in _CLOCK_STEPS:
            if step >= raw:
                return step
        return float(np.ceil(raw / 3600.0) * 3600.0)
    mag = 10 ** np.floor(np.log10(raw))
    for m in (1, 2, 5, 10):
        if m * mag >= raw:
            return float(m * mag)
    return float(10 * mag)


def time_label(t: float, duration: float, step: float = 1.0) -> str:
    """``120 ms`` on the axis of a clip under a second (``5e-06 s`` said nothing), ``2.5 s``
    under a minute, ``1:30`` (m:ss) or ``1:05:00`` on a longer one, with as many decimals as
    ticks ``step`` seconds apart need (``6:40.25``: a zoomed span of a long recording read
    "6:40" at every tick; at 0.5 ms apart, "6:40.196" three times)."""
    if duration < 1.0:
        return f"{_trimmed(t * 1000, _decimals(step * 1000))} ms"
    if duration < 60.0:
        return f"{_trimmed(t, _decimals(step))} s"
    decimals = _decimals(step)
    scaled = int(round(t * 10**decimals))
    whole, fraction = divmod(scaled, 10**decimals)
    seconds = f"{whole % 60:02d}" + (f".{fraction:0{decimals}d}" if decimals else "")
    if duration >= 3600.0:
        return f"{whole // 3600}:{whole // 60 % 60:02d}:{seconds}"
    return f"{whole // 60}:{seconds}"


def _decimals(step: float) -> int:
    """Decimals that tell ticks ``step`` apart (1-2-5 steps: one more than a power of ten's)."""
    return 0 if step >= 1.0 else min(9, int(np.ceil(-np.log10(step) - 1e-9)))


def _trimmed(value: float, decimals: int) -> str:
    """``value`` to ``decimals`` places, trailing zeros dropped (``0.01``, ``2``)."""
    text = f"{value:.{max(decimals, 3)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
