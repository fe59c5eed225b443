"""The audio review list's mini waveforms (drawn on the thumbnail worker) and its playback.

Each clip's envelope is read block by block on the loader's worker
(:func:`aldesk.core.media.overview.audio_envelope`) and drawn there into a small QImage; the GUI
thread only caches the pixmap, so scrolling a long list never waits on a decode. The clip's
duration rides along in the image's text, for the player.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QSize
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from aldesk.core.media.overview import audio_envelope
from aldesk.gui.review.thumbnails import ThumbnailLoader
from aldesk.gui.viewers.audio_clip import QUIET_PEAK
from aldesk.gui.viewers.playback import ClipPlayer

WAVE_SIZE = QSize(160, 36)
WAVE_COLOUR = "#3b6ea8"


def draw_waveform(mins: np.ndarray, maxs: np.ndarray, size: QSize = WAVE_SIZE) -> QImage:
    """The envelope as a ``size`` picture: one vertical line per column, scaled to the peak
    (a quiet clip still shows its shape) but by MAX_GAIN_DB at most."""
    w, h = size.width(), size.height()
    image = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor(0, 0, 0, 0))  # the list's own background shows, light or dark theme
    n = len(mins)
    if n == 0:
        return image
    cols = np.minimum((np.arange(w) * n) // w, n - 1)  # the bin under each pixel column
    # at most MAX_GAIN_DB louder than it is, as in the viewer: a -61 dBFS clip (or a
    # cancelled one's rounding residue) was drawn as tall as a loud one
    peak = max(float(np.max(np.abs(maxs))), float(np.max(np.abs(mins))), QUIET_PEAK)
    mid = (h - 1) / 2
    top = np.round(mid - maxs[cols] / peak * mid).astype(int)
    bottom = np.round(mid - mins[cols] / peak * mid).astype(int)
    painter = QPainter(image)
    painter.setPen(QPen(QColor(WAVE_COLOUR), 1))
    for x in range(w):
        painter.drawLine(x, int(top[x]), x, max(int(bottom[x]), int(top[x])))
    painter.end()
    return image


class WaveformLoader(ThumbnailLoader):
    """:class:`ThumbnailLoader` that draws each clip's mini waveform instead of a thumbnail."""

    grid = False

    def __init__(self, parent: QObject | None = None) -> None:
        # drawn at WAVE_SIZE in the window's pixels: scaled as a decoded thumbnail is, a
        # 200 % screen would show it at half size
        super().__init__(parent, side=WAVE_SIZE.height(), scale=1.0)
        self.durations: dict[int, float] = {}

    def icon_size(self) -> QSize:
        return QSize(WAVE_SIZE)

    def decode(self, path: Path) -> QImage:
        mins, maxs, seconds = audio_envelope(path, WAVE_SIZE.width())
        image = draw_waveform(mins, maxs)
        image.setText("duration", repr(seconds))
        return image

    def _store(self, item_id: int, image: QImage) -> None:
        with contextlib.suppress(ValueError):
            self.durations[item_id] = float(image.text("duration"))
        super()._store(item_id, image)


class ListPlayer(QObject):
    """Plays the clip chosen in the review list: the same item again pauses / resumes it."""

    def __init__(self, loader: WaveformLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._loader = loader
        self.player = ClipPlayer(self)
        self.item_id: int | None = None

    def toggle(self, item_id: int, path: Path) -> str:
        """Play ``item_id`` (or pause it if it is the one playing); returns a status line."""
        if item_id == self.item_id and self.player.path is not None:
            self.player.toggle()
        else:
            seconds = self._loader.durations.get(item_id)
            if seconds is None:
                seconds = _header_duration(path)
            if seconds is None:
                return f"{path.name} cannot be played: it could not be read."
            self.player.load(path, seconds)
            self.item_id = item_id
            self.player.play()
        if self.player.available is False:
            return f"{path.name}: no audio output device, playback unavailable."
        verb = "Playing" if self.player.is_playing else "Paused"
        return f"{verb} {path.name} — Space or a click plays / pauses."

    def stop(self) -> None:
        self.player.pause()


def _header_duration(path: Path) -> float | None:
    """The clip's length from its header (only when its waveform is not drawn yet)."""
    from aldesk.core.errors import MediaError
    from aldesk.core.media.audio import audio_info

    try:
        return audio_info(path).duration
    except MediaError:
        return None
