"""The picture of a clip: waveform envelope on top, log-mel spectrogram below with a frequency
axis in the left gutter, a time axis underneath, a playhead across both.

Everything but the playhead is drawn once per clip, size and screen into a pixmap: the playhead
moves many times a second, and a 10-minute clip's antialiased envelope cost 1-1.5 s a repaint
at a scale factor of 2. The envelope is drawn as one vertical line per device pixel column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QLineF, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QRegion,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from aldesk.core.media.overview import format_hz, frequency_ticks
from aldesk.gui import style
from aldesk.gui.guard import guarded
from aldesk.gui.viewers.audio_clip import QUIET_PEAK
from aldesk.gui.viewers.audio_detail import ClipDetail
from aldesk.gui.viewers.time_view import STEP, TimeView, tick_step, time_label

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

    from aldesk.gui.viewers.audio_clip import AudioClip

# The narrowest span a zoom shows: a few hundred samples, each a bar (16 ms at 16 kHz).
MIN_SPAN_FRAMES = 256


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

    @property
    def gutter(self) -> int:
        """The left margin holding the frequency labels: "12.5 kHz" fits in the axis font
        (a fixed 52 px cut "500 Hz" to "00 Hz" at a 15 pt font)."""
        return max(52, QFontMetrics(self._axis_font()).horizontalAdvance("12.5 kHz") + 12)

    @property
    def axis_height(self) -> int:
        """The time axis's height: a line of the axis font."""
        return max(18, QFontMetrics(self._axis_font()).height() + 4)

    def _axis_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        return font

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clip: AudioClip | None = None
        self._pending = 0.0  # the duration of a clip still being drawn: it can be seeked
        self._position = 0.0
        self._layer: tuple[tuple, QPixmap] | None = None  # (key, everything but the playhead)
        self._plates: list[QRectF] = []  # the layer's caption plates: the playhead passes under
        self.view = TimeView()  # the span shown: the whole clip unless zoomed
        self._detail = ClipDetail(self)  # a zoomed span drawn from the file at full resolution
        self._detail.ready.connect(self._on_detail)
        self.setMinimumSize(320, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.IBeamCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def set_clip(self, clip: AudioClip | None, pending_duration: float = 0.0) -> None:
        """Show ``clip``; with None, an empty canvas that seeks within ``pending_duration``
        (the header's, while the clip is being drawn)."""
        drawn = clip is not None and self._clip is None and self._pending > 0  # same clip
        self._clip, self._pending = clip, pending_duration
        self._position = min(self._position, self._duration()) if drawn else 0.0  # a seek kept
        self._layer = None
        self._detail.reset(clip)
        self.view.reset(self._duration(), MIN_SPAN_FRAMES / clip.samplerate if clip else None)
        self.update()

    def shutdown(self) -> None:
        self._detail.shutdown()

    def _view_changed(self) -> None:
        self.update()
        self._detail.schedule(self.view, self._device_columns())

    def _device_columns(self) -> int:
        return round(self._plot_width() * self.devicePixelRatioF())

    def _on_detail(self) -> None:
        self.update()

    def _picture(self) -> tuple[float, float, np.ndarray, np.ndarray, QImage]:
        """What the view is drawn from: ``(start, end, mins, maxs, spectrogram)``, the span
        decoded for it when one covers it, else the whole clip's picture."""
        span, clip = self._detail.shown(self.view), self._clip
        if span is not None:
            return span.start, span.end, span.mins, span.maxs, span.spectrogram
        return 0.0, self._duration(), clip.mins, clip.maxs, clip.spectrogram

    def zoom_in(self) -> None:
        self._zoom(STEP, self._position)

    def zoom_out(self) -> None:
        self._zoom(1 / STEP, self._position)

    def fit(self) -> None:
        """The whole clip again (Ctrl+0)."""
        if self.view.fit():
            self._view_changed()

    def _zoom(self, factor: float, centre: float) -> None:
        if not self.view.start <= centre <= self.view.end:
            centre = (self.view.start + self.view.end) / 2
        if self.view.zoom(factor, centre):
            self._view_changed()

    def set_position(self, seconds: float) -> None:
        self._position = seconds
        if self.view.follow(seconds):  # a zoomed span pages along with playback
            self._view_changed()
        elif self.view.zoomed:
            self._detail.schedule(self.view, self._device_columns())  # decoding ahead, if playing
        self.update()

    def set_playing(self, playing: bool, rate: float = 1.0) -> None:
        """Playback started or stopped: a zoomed span is decoded ahead of the playhead."""
        self._detail.set_playing(playing, rate)

    def playhead_x(self) -> float:
        """Horizontal pixel of the playhead (for tests and overlays)."""
        return self._time_to_x(self._position)

    def _duration(self) -> float:
        return self._clip.duration if self._clip else self._pending

    def plot_left(self) -> int:
        """First pixel column of the plots (time 0); the frequency labels sit left of it."""
        return self.gutter

    def _plot_width(self) -> float:
        return max(1.0, self.width() - 1 - self.gutter)

    def _time_to_x(self, seconds: float) -> float:
        start, width = self.view.start, self.view.width
        return self.gutter + (0.0 if width <= 0 else (seconds - start) / width * self._plot_width())

    def _x_to_time(self, x: float) -> float:
        frac = min(max(0.0, (x - self.gutter) / self._plot_width()), 1.0)
        return self.view.start + frac * self.view.width

    def _areas(self) -> tuple[QRectF, QRectF, QRectF]:
        w, h = self.width() - self.gutter, self.height() - self.axis_height
        wave_h = round(h * 0.38)
        return (
            QRectF(self.gutter, 0, w, wave_h),
            QRectF(self.gutter, wave_h + 1, w, h - wave_h - 1),
            QRectF(self.gutter, h, w, self.axis_height),
        )

    def spectrogram_rect(self) -> QRectF:
        """Where the spectrogram is drawn, in widget pixels."""
        return self._areas()[1]

    def frequency_labels(self) -> list[tuple[str, float]]:
        """The frequency axis as drawn: (label, y pixel) pairs, highest frequency first."""
        if self._clip is None:
            return []
        _, spec, _ = self._areas()
        ticks = frequency_ticks(self._clip.samplerate, self._clip.n_mels, spec.height())
        return [(format_hz(hz), spec.bottom() - frac * spec.height()) for hz, frac in ticks]

    @guarded
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._static_layer())
        if self._duration() > 0:
            painter.setClipRegion(self._under_plates())
            self._paint_playhead(painter)
        painter.end()

    def _under_plates(self) -> QRegion:
        """The widget but its captions' plates (a playhead over "me|spectrogram" cut it, QA)."""
        region = QRegion(self.rect())
        for plate in self._plates:
            region -= QRegion(plate.toAlignedRect())
        return region

    def _static_layer(self) -> QPixmap:
        """Everything but the playhead, drawn again only when the clip, size, screen scale,
        palette or font change."""
        dpr = self.devicePixelRatioF()
        key = (id(self._clip), self.size().toTuple(), dpr, self.palette().cacheKey(),
               self.font().key(), self.view.start, self.view.end,
               id(self._detail.shown(self.view)))  # fmt: skip
        if self._layer is None or self._layer[0] != key:
            pixmap = QPixmap(max(1, round(self.width() * dpr)), max(1, round(self.height() * dpr)))
            pixmap.setDevicePixelRatio(dpr)
            painter = QPainter(pixmap)
            painter.setFont(self.font())
            self._paint_static(painter)
            painter.end()
            self._layer = (key, pixmap)
        return self._layer[1]

    def _paint_static(self, painter: QPainter) -> None:
        self._plates = []
        painter.fillRect(QRectF(0, 0, self.width(), self.height()), style.WAVE_BG)
        wave, spec, axis = self._areas()
        if self._clip is None:
            return
        self._paint_waveform(painter, wave)
        self._paint_analysed(painter, wave)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        t0, t1, _, _, image = self._picture()
        cols = image.width() / (t1 - t0) if t1 > t0 else 0.0  # columns a second
        source = QRectF((self.view.start - t0) * cols, 0, self.view.width * cols, image.height())
        painter.drawImage(spec, image, source)
        self._paint_axis(painter, axis)
        self._paint_frequency_axis(painter, spec)
        self._paint_captions(painter, wave, spec)

    def _paint_waveform(self, painter: QPainter, rect: QRectF) -> None:
        """One vertical line per device pixel column, from its minimum to its maximum (one bar
        per envelope bin when zoomed past a bin a column)."""
        dpr, clip = painter.device().devicePixelRatioF(), self._clip
        peak = max(float(np.abs(clip.maxs).max()), float(np.abs(clip.mins).max()), QUIET_PEAK)
        t0, t1, all_mins, all_maxs, _ = self._picture()
        n, d = len(all_mins), t1 - t0
        first = int((self.view.start - t0) / d * n) if d > 0 else 0
        last = max(first + 1, int(np.ceil((self.view.end - t0) / d * n))) if d > 0 else n
        columns = int(rect.width() * dpr)
        mins, maxs = reduce_envelope(all_mins[first:last], all_maxs[first:last], columns)
        mid, half = rect.center().y(), rect.height() / 2 - 4
        top = mid - maxs.astype(np.float64) / peak * half
        bottom = np.maximum(mid - mins.astype(np.float64) / peak * half, top + 1 / dpr)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(QPen(style.WAVE_FILL, 0))  # cosmetic: one device pixel wide
        if len(mins) < columns:  # zoomed in: each bin a bar as wide as its time
            x0 = [self._time_to_x(t0 + (first + i) * d / n) for i in range(len(mins) + 1)]
            painter.setBrush(style.WAVE_FILL)
            painter.drawRects([QRectF(x0[i], t, max(x0[i + 1] - x0[i], 1 / dpr), b - t)
                               for i, (t, b) in enumerate(zip(top, bottom, strict=True))])  # fmt: skip
        else:
            xs = np.linspace(rect.left(), rect.right(), len(mins))
            painter.drawLines([QLineF(x, t, x, b) for x, t, b in zip(xs, top, bottom, strict=True)])
        painter.setPen(QPen(QColor(0, 0, 0, 40), 0))
        painter.drawLine(QPointF(rect.left(), mid), QPointF(rect.right(), mid))

    def analysed_rect(self) -> QRectF | None:
        """Where the part the features analyse is shaded (None: they analyse all of it)."""
        span = self._clip.analysed if self._clip is not None else None
        if span is None:
            return None
        wave = self._areas()[0]
        left = max(wave.left(), self._time_to_x(span[0]))
        right = min(wave.right(), self._time_to_x(span[1]))
        if right < left:  # zoomed elsewhere
            return None
        return QRectF(left, wave.top(), max(2.0, right - left), wave.height())

    def _paint_analysed(self, painter: QPainter, wave: QRectF) -> None:
        """Shade the loudest 10 s the model hears of a longer clip, and say so."""
        rect = self.analysed_rect()
        if rect is None:
            return
        shade = QColor(style.PLAYHEAD)
        shade.setAlpha(40)
        painter.fillRect(rect, shade)
        text = "what the model hears"
        box = painter.fontMetrics().boundingRect(text).adjusted(-4, -1, 4, 1)
        x = min(rect.left(), wave.right() - box.width() - 4)
        box.moveTopLeft(QPoint(round(x), round(wave.bottom()) - box.height() - 3))
        plate = QColor(style.WAVE_BG)
        plate.setAlpha(210)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(plate)
        painter.drawRoundedRect(QRectF(box), 3, 3)
        self._plates.append(QRectF(box))
        painter.setPen(style.MUTED_TEXT)
        painter.drawText(QRectF(box), Qt.AlignmentFlag.AlignCenter, text)

    def _paint_axis(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, self._axis_background())
        painter.setPen(style.MUTED_TEXT)
        for x, label in self.axis_ticks(rect.width(), rect.right(), painter.fontMetrics()):
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.top() + 4))
            if label:
                box = QRectF(x + 3, rect.top(), 70, rect.height())
                painter.drawText(box, Qt.AlignmentFlag.AlignVCenter, label)

    def axis_ticks(
        self, width: float, right: float, metrics: QFontMetrics | None = None
    ) -> list[tuple[float, str]]:
        """The time axis's ticks: ``(x, label)``, the label empty where it would be cut off at
        the right edge (it read "900 r")."""
        d, metrics = self._duration(), metrics or self.fontMetrics()
        step = tick_step(self.view.width, width)
        ticks = []
        first = int(np.ceil(self.view.start / step - 1e-9))
        for i in range(first, int(self.view.end / step + 1e-9) + 1):
            x, label = self._time_to_x(i * step), time_label(i * step, d, step)
            fits = x + 3 + metrics.horizontalAdvance(label) <= right
            ticks.append((x, label if fits else ""))
        return ticks

    def _axis_background(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.Base)  # light or dark, as the theme

    def _paint_frequency_axis(self, painter: QPainter, spec: QRectF) -> None:
        gutter = QRectF(0, spec.top(), self.gutter, spec.height())
        painter.fillRect(QRectF(0, 0, self.gutter, self.height()), self._axis_background())
        painter.setPen(style.MUTED_TEXT)
        painter.setFont(self._axis_font())
        line = QFontMetrics(self._axis_font()).height()
        for text, y in self.frequency_labels():
            painter.drawLine(QPointF(gutter.right() - 4, y), QPointF(gutter.right(), y))
            painter.drawText(
                QRectF(0, y - line / 2, gutter.width() - 6, line),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                text,
            )

    def _paint_captions(self, painter: QPainter, wave: QRectF, spec: QRectF) -> None:
        # Each caption sits on a translucent plate: a loud clip fills the waveform to its top.
        plate = QColor(style.WAVE_BG)  # the theme's background, light or dark
        plate.setAlpha(210)
        f = self.view.factor
        factor = f"{f:.0f}" if f >= 10 else f"{f:.2g}"  # "×1.02e+03" at a deep zoom
        zoom = f" (×{factor}; Ctrl+0: whole clip)" if self.view.zoomed else ""
        self._caption(painter, wave, f"waveform{zoom}", style.MUTED_TEXT, plate)
        span = self._detail.shown(self.view)
        exact = span.exact if span is not None else self._clip.exact
        caption = "mel spectrogram" if exact else "mel spectrogram (overview)"
        self._caption(painter, spec, caption, QColor(255, 255, 255, 220), QColor(0, 0, 0, 110))

    def _caption(
        self, painter: QPainter, area: QRectF, text: str, pen: QColor, plate: QColor
    ) -> None:
        box = painter.fontMetrics().boundingRect(text).adjusted(-4, -1, 4, 1)
        box.moveTopLeft(area.topLeft().toPoint() + QPoint(4, 3))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(plate)
        painter.drawRoundedRect(QRectF(box), 3, 3)
        self._plates.append(QRectF(box))
        painter.setPen(pen)
        painter.drawText(QRectF(box), Qt.AlignmentFlag.AlignCenter, text)

    def _paint_playhead(self, painter: QPainter) -> None:
        x = self.playhead_x()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(QPen(style.PLAYHEAD, 2))
        painter.drawLine(QPointF(x, 0), QPointF(x, self.height() - self.axis_height))

    @guarded
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self._duration() > 0:
            self.seek_requested.emit(self._x_to_time(event.position().x()))

    @guarded
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        """Ctrl+wheel zooms about the pointer; the wheel alone moves a zoomed span."""
        steps = event.angleDelta().y() / 120.0
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._zoom(STEP**steps, self._x_to_time(event.position().x()))
        elif self.view.pan(-steps * 0.25 * self.view.width):
            self._view_changed()
        else:
            event.ignore()

    @guarded
    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton and self._duration() > 0:
            self.seek_requested.emit(self._x_to_time(event.position().x()))
