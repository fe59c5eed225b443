"""The picture of a clip: waveform envelope on top, log-mel spectrogram below, a playhead."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPainterPath, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from aldesk.gui import style

if TYPE_CHECKING:
    from aldesk.gui.viewers.audio_view import AudioClip


def reduce_envelope(mins: np.ndarray, maxs: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Envelope with ``n`` bins from a finer one (min of mins, max of maxs)."""
    if n >= len(mins) or n <= 0:
        return mins, maxs
    starts = np.linspace(0, len(mins), n + 1).astype(np.int64)[:-1]
    return np.minimum.reduceat(mins, starts), np.maximum.reduceat(maxs, starts)


class AudioCanvas(QWidget):
    """Paints waveform (top) and spectrogram (bottom) with a playhead across both.

    Signals:
        seek_requested(float): the user clicked or dragged at this time (seconds).
    """

    seek_requested = Signal(float)
    AXIS_H = 18

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clip: AudioClip | None = None
        self._position = 0.0
        self.setMinimumSize(320, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.IBeamCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def set_clip(self, clip: AudioClip | None) -> None:
        self._clip = clip
        self._position = 0.0
        self.update()

    def set_position(self, seconds: float) -> None:
        self._position = seconds
        self.update()

    def playhead_x(self) -> float:
        """Horizontal pixel of the playhead (for tests and overlays)."""
        return self._time_to_x(self._position)

    def _duration(self) -> float:
        return self._clip.duration if self._clip else 0.0

    def _time_to_x(self, seconds: float) -> float:
        d = self._duration()
        return 0.0 if d <= 0 else seconds / d * (self.width() - 1)

    def _x_to_time(self, x: float) -> float:
        d = self._duration()
        return 0.0 if d <= 0 else min(max(0.0, x / max(1, self.width() - 1) * d), d)

    def _areas(self) -> tuple[QRectF, QRectF, QRectF]:
        w, h = self.width(), self.height() - self.AXIS_H
        wave_h = round(h * 0.38)
        return (
            QRectF(0, 0, w, wave_h),
            QRectF(0, wave_h + 1, w, h - wave_h - 1),
            QRectF(0, h, w, self.AXIS_H),
        )

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.fillRect(self.rect(), style.WAVE_BG)
        wave, spec, axis = self._areas()
        if self._clip is not None:
            self._paint_waveform(painter, wave)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(spec, self._clip.spectrogram)
            self._paint_axis(painter, axis)
            self._paint_captions(painter, wave, spec)
            self._paint_playhead(painter)
        painter.end()

    def _paint_waveform(self, painter: QPainter, rect: QRectF) -> None:
        mins, maxs = reduce_envelope(self._clip.mins, self._clip.maxs, int(rect.width()))
        peak = max(float(np.max(np.abs(maxs))), float(np.max(np.abs(mins))), 1e-4)
        mid, half = rect.center().y(), rect.height() / 2 - 4
        xs = np.linspace(rect.left(), rect.right(), len(mins))
        top = mid - maxs.astype(np.float64) / peak * half
        bottom = mid - mins.astype(np.float64) / peak * half
        outline = np.concatenate([np.stack([xs, top], 1), np.stack([xs, bottom], 1)[::-1]])
        path = QPainterPath()
        path.addPolygon(QPolygonF([QPointF(x, y) for x, y in outline.tolist()]))
        path.closeSubpath()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(style.WAVE_FILL, 1))
        painter.setBrush(style.WAVE_FILL)
        painter.drawPath(path)
        painter.setPen(QPen(QColor(0, 0, 0, 40), 1))
        painter.drawLine(QPointF(rect.left(), mid), QPointF(rect.right(), mid))

    def _paint_axis(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, QColor("#ffffff"))
        painter.setPen(style.MUTED_TEXT)
        d = self._duration()
        step = _tick_step(d, rect.width())
        t = 0.0
        while t <= d + 1e-9:
            x = self._time_to_x(t)
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.top() + 4))
            painter.drawText(
                QRectF(x + 3, rect.top(), 60, rect.height()),
                Qt.AlignmentFlag.AlignVCenter,
                f"{t:g} s",
            )
            t += step

    def _paint_captions(self, painter: QPainter, wave: QRectF, spec: QRectF) -> None:
        # Each caption sits on a translucent plate: a loud clip fills the waveform to its top.
        self._caption(painter, wave, "waveform", style.MUTED_TEXT, QColor(255, 255, 255, 210))
        self._caption(
            painter, spec, "mel spectrogram", QColor(255, 255, 255, 220), QColor(0, 0, 0, 110)
        )

    @staticmethod
    def _caption(painter: QPainter, area: QRectF, text: str, pen: QColor, plate: QColor) -> None:
        box = painter.fontMetrics().boundingRect(text).adjusted(-4, -1, 4, 1)
        box.moveTopLeft(area.topLeft().toPoint() + QPoint(4, 3))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(plate)
        painter.drawRoundedRect(QRectF(box), 3, 3)
        painter.setPen(pen)
        painter.drawText(QRectF(box), Qt.AlignmentFlag.AlignCenter, text)

    def _paint_playhead(self, painter: QPainter) -> None:
        x = self.playhead_x()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(QPen(style.PLAYHEAD, 2))
        painter.drawLine(QPointF(x, 0), QPointF(x, self.height() - self.AXIS_H))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self._clip is not None:
            self.seek_requested.emit(self._x_to_time(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton and self._clip is not None:
            self.seek_requested.emit(self._x_to_time(event.position().x()))


def _tick_step(duration: float, width: float) -> float:
    """A 1-2-5 step giving ticks at least ~70 px apart."""
    if duration <= 0:
        return 1.0
    raw = duration * 70.0 / max(width, 1.0)
    mag = 10 ** np.floor(np.log10(raw))
    for m in (1, 2, 5, 10):
        if m * mag >= raw:
            return float(m * mag)
    return float(10 * mag)
