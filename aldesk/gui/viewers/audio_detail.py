"""A sharper picture of the span a zoomed audio canvas shows, decoded for that span alone.

A clip's picture is bounded whatever its length (``ENVELOPE_BINS`` envelope bins,
``MAX_COLUMNS`` spectrogram columns): on a 10-minute recording a bin is 0.15 s and a column
0.3 s, so zooming to a 0.1-s call showed one block. Once the view holds fewer bins than it has
pixel columns, the span in view (and a margin each side, for panning) is decoded from the file
on a worker at full resolution and drawn instead; zooming on decodes the next span. The whole
clip's picture is drawn meanwhile, so nothing waits.

While the clip plays, the view pages along with the playhead: a span reaching several pages
(and at least a second of playback) ahead is decoded at once, and the next one once half of
that lead is played, so the sharp picture is there when the page turns (with the margins and
the settle delay made for panning, a page at ×1024 was drawn sharp 72-75 % of the time).
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
AHEAD_PAGES = 4  # while playing: views decoded past the one on screen...
AHEAD_SECONDS = 1.0  # ...and at least this much playback (a deep zoom pages many times a second)
MAX_SPAN_BINS = 1 << 18  # envelope bins of a span, at most
MAX_SPAN_COLUMNS = 1 << 14  # spectrogram columns of a span (as many as bins, up to this)...
PLAYING_COLUMNS = 1 << 12  # ...or this while playing: 16,384 over a second took 0.33 s, 4,096
# 0.09 s; at a deep zoom a column's 46-ms window spans many pages, so they barely differ


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
    bins: int = ENVELOPE_BINS, most_columns: int = MAX_SPAN_COLUMNS,
):  # fmt: skip
    """Decode ``[start, end]`` seconds of ``clip``'s file into a :class:`SpanPicture` of
    ``bins`` envelope bins (as many spectrogram columns, up to ``most_columns``), coloured on
    the whole clip's scale (None if stopped)."""
    from aldesk.core.media.overview import audio_overview

    rate = clip.samplerate
    first, frames = int(start * rate), max(1, int(np.ceil((end - start) * rate)))
    columns = min(most_columns, max(MAX_COLUMNS, bins))
    ov = audio_overview(clip.path, n_bins=bins, n_mels=N_MELS, max_columns=columns,
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
        self._playing, self._rate = False, 1.0
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
        """The view changed, or (playing) the playhead moved; ``columns``: the plot's width in
        device pixels. While playing a decode starts at once, unless one is under way: the lane
        keeps the newest job, and a decode superseded at every position update never ends."""
        self._view, self._columns = view, max(1, columns)
        if self._clip is None:
            return
        if not self._playing:
            self._timer.start()
        elif not self._lane.busy:
            self._timer.stop()
            self._request()

    def set_playing(self, playing: bool, rate: float = 1.0) -> None:
        """Playback started or stopped (``rate``: its speed): while playing, decode ahead."""
        self._playing, self._rate = playing, rate
        if playing and self._view is not None:
            self.schedule(self._view, self._columns)

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
        # playing: the next span is decoded while half of this one's lead is still to play
        ahead = max(AHEAD_PAGES * view.width, AHEAD_SECONDS * self._rate)
        needed = min(clip.duration, view.end + ahead / 2) if self._playing else view.end
        if (
            held is not None
            and held.covers(view.start, needed)
            and not coarse(len(held.mins), held.end - held.start, view, columns, rate)
        ):
            return None
        if self._playing:  # the view pages forward: from its start, well ahead
            return view.start, min(clip.duration, view.end + ahead)
        margin = MARGIN * view.width
        return max(0.0, view.start - margin), min(clip.duration, view.end + margin)

    @Slot()
    def _request(self) -> None:
        span, clip, view = self.wanted(), self._clip, self._view
        if span is None or clip is None or view is None:
            return
        # a bin a device pixel column in view, whatever the screen (a 4K one has 3,800), and no
        # more than a bin a sample
        wide = self._columns * (span[1] - span[0]) / view.width
        samples = (span[1] - span[0]) * clip.samplerate
        bins = max(ENVELOPE_BINS, min(math.ceil(wide), math.ceil(samples), MAX_SPAN_BINS))
        most = PLAYING_COLUMNS if self._playing else MAX_SPAN_COLUMNS
        self._lane.submit(lambda ctx: span_picture(clip, span[0], span[1], ctx, bins, most))

    @Slot(object)
    def _on_picture(self, picture: SpanPicture | None) -> None:
        if picture is None or self._clip is None or picture.path != self._clip.path:
            return
        self.picture = picture
        self.ready.emit()
        if self._playing and self._view is not None:  # the playhead may be past it already
            self.schedule(self._view, self._columns)
