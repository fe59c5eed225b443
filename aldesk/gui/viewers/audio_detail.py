"""A sharper picture of the span a zoomed audio canvas shows, decoded for that span alone.

A clip's picture is bounded whatever its length (``ENVELOPE_BINS`` envelope bins,
``MAX_COLUMNS`` spectrogram columns): on a 10-minute recording a bin is 0.15 s and a column
0.3 s, so zooming to a 0.1-s call showed one block. Once the view holds fewer bins than it has
pixel columns, the span in view (and a margin each side, for panning and playback paging) is
decoded from the file on a worker at full resolution and drawn instead; zooming on decodes the
next span. The whole clip's picture is drawn meanwhile, so nothing waits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from aldesk.gui.viewers.audio_clip import (
    ENVELOPE_BINS,
    MAX_COLUMNS,
    N_MELS,
    AudioClip,
    spectrogram_image,
)
from aldesk.gui.workers import JobContext, Lane

if TYPE_CHECKING:
    from aldesk.gui.viewers.time_view import TimeView

SETTLE_MS = 120  # a wheel turn sends many zoom steps: decode once they settle
MARGIN = 1.0  # of the view's width decoded beyond each side


@dataclass(frozen=True)
class SpanPicture:
    """Envelope and spectrogram of ``[start, end]`` seconds of one clip."""

    path: Path
    start: float
    end: float
    mins: np.ndarray
    maxs: np.ndarray
    spectrogram: QImage
    exact: bool  # one spectrogram column per STFT hop

    def covers(self, start: float, end: float) -> bool:
        slack = 1e-9 + 1e-6 * (self.end - self.start)
        return self.start <= start + slack and end - slack <= self.end


def span_picture(
    clip: AudioClip, start: float, end: float, ctx: JobContext | None = None,
    bins: int = ENVELOPE_BINS,
):  # fmt: skip
    """Decode ``[start, end]`` seconds of ``clip``'s file into a :class:`SpanPicture` of
    ``bins`` envelope bins, coloured on the whole clip's scale (None if stopped)."""
    from aldesk.core.media.overview import audio_overview

    rate = clip.samplerate
    first, frames = int(start * rate), max(1, int(np.ceil((end - start) * rate)))
    ov = audio_overview(clip.path, n_bins=bins, n_mels=N_MELS, max_columns=MAX_COLUMNS,
                        should_stop=ctx.should_stop if ctx is not None else None,
                        span=(first, frames))  # fmt: skip
    if ov is None:
        return None
    image = spectrogram_image(ov.mel_db, clip.colour_top)
    return SpanPicture(clip.path, first / rate, (first + ov.frames) / rate, ov.mins, ov.maxs,
                       image, ov.exact)  # fmt: skip


def coarse(bins: int, span: float, view: TimeView, columns: int, rate: int) -> bool:
    """Whether ``bins`` envelope bins over ``span`` seconds are fewer, in ``view``, than half of
    what the screen could show there: its pixel columns, or the samples when they are fewer."""
    shown = bins * view.width / span if span > 0 else 0.0
    return shown < 0.5 * min(columns, view.width * rate)


class ClipDetail(QObject):
    """Keeps a :class:`SpanPicture` for a zoomed canvas: ``reset`` on every clip, ``schedule``
    on every change of the view; ``ready`` when a new picture arrives.

    Signals:
        ready(): ``picture`` changed; repaint.
    """

    ready = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.picture: SpanPicture | None = None
        self._clip: AudioClip | None = None
        self._view: TimeView | None = None
        self._columns = 1
        self._lane = Lane(self, name="aldesk-audio-detail")
        self._lane.done.connect(self._on_picture)
        self._lane.failed.connect(lambda _message: None)  # the whole clip's picture stays
        self._timer = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._timer.timeout.connect(self._request)

    def reset(self, clip: AudioClip | None) -> None:
        self._clip, self.picture = clip, None
        self._timer.stop()
        self._lane.cancel()

    def schedule(self, view: TimeView, columns: int) -> None:
        """The view changed; ``columns``: the plot's width in device pixels."""
        self._view, self._columns = view, max(1, columns)
        if self._clip is not None:
            self._timer.start()

    def shown(self, view: TimeView) -> SpanPicture | None:
        """The picture to draw for ``view``: one that covers it, else None (the clip's own)."""
        picture = self.picture
        return picture if picture is not None and picture.covers(view.start, view.end) else None

    def shutdown(self) -> None:
        self._timer.stop()
        self._lane.shutdown()

    def wanted(self) -> tuple[float, float] | None:
        """The span to decode for the current view, or None when what is held is enough."""
        clip, view = self._clip, self._view
        if clip is None or view is None or not view.zoomed:
            return None
        rate, columns = clip.samplerate, self._columns
        if not coarse(len(clip.mins), clip.duration, view, columns, rate):
            return None
        held = self.shown(view)
        if held is not None and not coarse(len(held.mins), held.end - held.start, view,
                                           columns, rate):  # fmt: skip
            return None
        margin = MARGIN * view.width
        return max(0.0, view.start - margin), min(clip.duration, view.end + margin)

    @Slot()
    def _request(self) -> None:
        span, clip, view = self.wanted(), self._clip, self._view
        if span is None or clip is None or view is None:
            return
        # a bin a device pixel column in view, whatever the screen (a 4K one has 3,800)
        bins = max(ENVELOPE_BINS, math.ceil(self._columns * (span[1] - span[0]) / view.width))
        self._lane.submit(lambda ctx: span_picture(clip, span[0], span[1], ctx, bins))

    @Slot(object)
    def _on_picture(self, picture: SpanPicture | None) -> None:
        if picture is None or self._clip is None or picture.path != self._clip.path:
            return
        self.picture = picture
        self.ready.emit()
