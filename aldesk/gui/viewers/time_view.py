"""The part of a clip the audio canvas shows: all of it, or a zoomed span (+ / − / Ctrl+0,
Ctrl+wheel). On a 10-minute recording a 0.1-s call is a pixel column: zoomed in, it is a shape.

The span is drawn from what the view already holds (an envelope of ``bins`` bins and a
spectrogram over the whole clip), so zooming is instant and stops where a screen holds
``MIN_BINS`` bins: deeper, the picture would only grow blockier.
"""

from __future__ import annotations

MIN_BINS = 128  # envelope bins across the narrowest span
STEP = 2.0  # one + or − halves or doubles the span


class TimeView:
    """A span ``[start, end]`` of a clip ``duration`` seconds long (the whole clip when not
    zoomed)."""

    def __init__(self) -> None:
        self.duration = 0.0
        self._bins = 1
        self.start, self.end = 0.0, 0.0

    def reset(self, duration: float, bins: int = 1) -> None:
        """A new clip (or one still being drawn, ``bins`` 1): shown whole."""
        self.duration, self._bins = max(0.0, duration), max(1, bins)
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
        change (the whole clip, or as deep as the picture allows)."""
        narrowest = self.duration * min(1.0, MIN_BINS / self._bins)
        width = min(self.duration, max(narrowest, self.width / factor))
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
