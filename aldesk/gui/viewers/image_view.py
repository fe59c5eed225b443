"""Image viewer: fit, zoom, pan, an info line, and a readable placeholder for unreadable items.

Decoding happens off the GUI thread (a newest-wins lane): a large image first arrives as a
downscaled draft and is replaced by the full-resolution decode. Scene coordinates are always
full-resolution pixels (a draft pixmap is scaled up), so the zoom level survives the swap.

The image that probably comes next (``prefetch``) is decoded on a second lane while the user
looks at this one, so after a key press the next picture goes on screen without waiting for a
decode; one is kept, up to ``AHEAD_PIXELS``, and only if its file has not changed since.

What is decoded, and in how much memory, is ``image_decode``'s; a reduced picture says so in
the info line ("shown at 1/3").

Digits are label hotkeys in the main window, so this view binds no digit keys: the window binds
``fit()``, ``actual_size()``, ``zoom_in()``, ``zoom_out()`` to actions. Wheel zoom, drag-pan and
``+`` / ``-`` (when the view has focus) are handled here.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent, QPainter, QPixmap, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from aldesk.gui import style
from aldesk.gui.guard import guarded
from aldesk.gui.viewers.ahead import PreparedAhead
from aldesk.gui.viewers.detail import DetailTile
from aldesk.gui.viewers.image_decode import DecodedImage, decode_ahead, decode_for_view
from aldesk.gui.viewers.placeholder import Placeholder
from aldesk.gui.workers import Lane
from aldesk.gui.wrapping import ZERO_WIDTH_SPACE, breakable

ZOOM_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.02, 32.0


class _Canvas(QGraphicsView):
    """The zoomable, pannable picture."""

    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Image")
        self.setScene(QGraphicsScene(self))
        self._item = QGraphicsPixmapItem()
        self._item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self._item)
        self._fit_mode = True
        self._levels: list[QPixmap] = []
        self._full_width = 1
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(style.QColor("#2b2d31"))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    @property
    def fit_mode(self) -> bool:
        return self._fit_mode

    def zoom(self) -> float:
        return self.transform().m11()

    def set_pixmaps(self, pixmaps: list[QPixmap], full_size: tuple[int, int]) -> None:
        """Show the picture; ``pixmaps`` are the same image at several sizes."""
        self._levels = sorted(pixmaps, key=QPixmap.width)
        self._full_width = full_size[0]
        self.scene().setSceneRect(QRectF(0, 0, *full_size))
        if self._fit_mode:
            self.fit()
        else:
            self._choose_level()

    def fit_next(self) -> None:
        """The next picture set opens fitted to the view."""
        self._fit_mode = True

    def clear(self) -> None:
        self._levels = []
        self._item.setPixmap(QPixmap())
        self.scene().setSceneRect(QRectF())

    def _choose_level(self) -> None:
        """Paint the smallest pixmap that still has a pixel for every screen pixel."""
        if not self._levels:
            return
        needed = self.zoom() * self._full_width * self.devicePixelRatioF()
        chosen = next((p for p in self._levels if p.width() >= needed), self._levels[-1])
        if chosen.cacheKey() != self._item.pixmap().cacheKey():
            self._item.setPixmap(chosen)
            self._item.setScale(self._full_width / max(1, chosen.width()))

    def _update_smoothing(self) -> None:
        # Magnified small images (digits, icons) are easier to judge with crisp pixels.
        smooth = self.zoom() * self._item.scale() < 3.0
        mode = Qt.TransformationMode
        self._item.setTransformationMode(
            mode.SmoothTransformation if smooth else mode.FastTransformation
        )
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)

    def shown_pixmap(self) -> QPixmap:
        return self._item.pixmap()

    def largest_pixmap(self) -> QPixmap:
        return self._levels[-1] if self._levels else QPixmap()

    def fit(self) -> None:
        self._fit_mode = True
        rect = self.scene().sceneRect()
        if rect.isEmpty():
            return
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        self._choose_level()
        self._update_smoothing()
        self.zoom_changed.emit(self.zoom())

    def set_zoom(self, factor: float, *, anchor_mouse: bool = False) -> None:
        factor = min(MAX_ZOOM, max(MIN_ZOOM, factor))
        self._fit_mode = False
        anchor = QGraphicsView.ViewportAnchor
        self.setTransformationAnchor(
            anchor.AnchorUnderMouse if anchor_mouse else anchor.AnchorViewCenter
        )
        self.scale(factor / self.zoom(), factor / self.zoom())
        self.setTransformationAnchor(anchor.AnchorUnderMouse)
        self._choose_level()
        self._update_smoothing()
        self.zoom_changed.emit(self.zoom())

    @guarded
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt override)
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.set_zoom(self.zoom() * ZOOM_STEP**steps, anchor_mouse=True)
        event.accept()

    @guarded
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._fit_mode:
            self.fit()

    @guarded
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.set_zoom(self.zoom() * ZOOM_STEP)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.set_zoom(self.zoom() / ZOOM_STEP)
        else:
            super().keyPressEvent(event)


class ImageView(QWidget):
    """Shows one image with zoom and pan, or a placeholder for an unreadable one.

    Signals:
        loaded(Path): the full-resolution image is on screen.
        load_failed(Path, str): decoding failed; the placeholder shows the reason.
        zoom_changed(float): screen pixels per image pixel.
    """

    loaded = Signal(object)
    load_failed = Signal(object, str)
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._path: Path | None = None
        self._name = ""  # what the info line calls the item (its path in the pool)
        self._canvas = _Canvas(self)
        self._placeholder = Placeholder("broken-image", self)
        self._stack = QStackedWidget(self)
        self._stack.addWidget(self._canvas)
        self._stack.addWidget(self._placeholder)
        self._info = QLabel(self)
        # wraps: unwrapped, its length (a long name, "zoom 1300%, fitted") set the width the
        # viewer's side of the window could shrink to
        self._info.setWordWrap(True)
        self._info.setProperty("role", "muted")
        self._info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._info.setContentsMargins(8, 4, 8, 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._stack, 1)
        layout.addWidget(self._info)
        self._lane = Lane(self, name="aldesk-image-decode")
        self._lane.progressed.connect(self._on_decoded)
        self._lane.done.connect(self._on_decoded)
        self._lane.failed.connect(self._on_decode_failed)
        self._ahead = PreparedAhead(decode_ahead, self, name="aldesk-image-ahead")
        self._ahead.ready.connect(self._on_decoded_ahead)
        self._shown = 0  # bumped by every show: a deferred hand-over checks it
        self._canvas.zoom_changed.connect(self._on_zoom_changed)
        self._detail = DetailTile(self._canvas, self)  # a reduced picture's pixels, zoomed in
        self._detail.changed.connect(lambda _on: self._show_zoom(self._canvas.zoom()))
        self.setFocusProxy(self._canvas)

    # -- public API -------------------------------------------------------------------------
    def show_image(self, path: str | os.PathLike, name: str | None = None) -> None:
        """Start showing ``path``; returns at once, ``loaded`` follows. Another item than the
        one on screen opens fitted: a zoom kept from the last one showed a crop of the next
        photos, and a labeller could answer from a corner of the picture. ``name``: what the
        info line calls it (default the file's name; the window gives its path in the pool,
        as cameras restart at IMG_0001 in every folder)."""
        if Path(path) != self._path:
            self._canvas.fit_next()
        self._path = Path(path)
        self._name = name or self._path.name
        self._shown += 1
        self._detail.reset()
        ahead = self._ahead.take(self._path)
        if ahead is not None:
            self._lane.cancel()
            self._stack.setCurrentWidget(self._canvas)
            # on the next turn of the event loop, like a decode's result: the key press that
            # asked for it returns first
            shown = self._shown
            QTimer.singleShot(0, self, lambda: self._hand_over(ahead, shown))
            return
        self._canvas.clear()
        self._stack.setCurrentWidget(self._canvas)
        self._info.setText(f"{breakable(self._name)} — loading…")
        target = self._path
        self._lane.submit(lambda ctx: decode_for_view(target, ctx))

    def prefetch(self, path: str | os.PathLike) -> None:
        """Decode ``path`` in the background so that it shows at once if it comes next."""
        if Path(path) != self._path:
            self._ahead.prepare(path)

    def prepared_ahead(self) -> Path | None:
        """The path of the image held decoded for the next show, if any."""
        return self._ahead.held()

    def show_error(self, name: str, reason: str) -> None:
        """Show the placeholder for an item that cannot be displayed."""
        self._shown += 1
        self._lane.cancel()
        self._detail.reset()
        self._canvas.clear()
        self._placeholder.show_message(name, reason)
        self._stack.setCurrentWidget(self._placeholder)
        self._info.setText(f"{name} — cannot be shown: {reason}")

    def clear(self) -> None:
        self._shown += 1
        self._lane.cancel()
        self._detail.reset()
        self._path = None
        self._canvas.clear()
        self._stack.setCurrentWidget(self._canvas)
        self._info.clear()

    def fit(self) -> None:
        self._canvas.fit()

    def actual_size(self) -> None:
        """One image pixel to one screen pixel: at 200 % scaling, 1:1 in the window's own
        (logical) pixels had drawn each image pixel 2 × 2, smoothed."""
        self._canvas.set_zoom(1.0 / self._canvas.devicePixelRatioF())

    def zoom_in(self) -> None:
        self._canvas.set_zoom(self._canvas.zoom() * ZOOM_STEP)

    def zoom_out(self) -> None:
        self._canvas.set_zoom(self._canvas.zoom() / ZOOM_STEP)

    def zoom(self) -> float:
        return self._canvas.zoom()

    def is_fit(self) -> bool:
        return self._canvas.fit_mode

    def is_showing_error(self) -> bool:
        return self._stack.currentWidget() is self._placeholder

    def info_text(self) -> str:
        """The info line as read (without the zero-width spaces a long name may break at)."""
        return self._info.text().replace(ZERO_WIDTH_SPACE, "")

    def error_text(self) -> str:
        return f"{self._placeholder.title.text()}\n{self._placeholder.reason.text()}"

    def image_size(self) -> tuple[int, int]:
        """Size in image pixels of what is on screen (full-resolution coordinates)."""
        rect = self._canvas.scene().sceneRect()
        return int(rect.width()), int(rect.height())

    def pixmap_size(self) -> tuple[int, int]:
        """Size of the largest decoded pixmap (the full-resolution one once loaded)."""
        pm = self._canvas.largest_pixmap()
        return pm.width(), pm.height()

    def canvas(self) -> QGraphicsView:
        return self._canvas

    def shutdown(self) -> None:
        self._shown += 1  # a hand-over still queued must not show (and announce) after close
        self._lane.shutdown()
        self._ahead.shutdown()
        self._detail.shutdown()

    # -- slots --------------------------------------------------------------------------------
    @Slot(object)
    def _on_decoded(self, decoded: DecodedImage | None) -> None:
        if decoded is None or decoded.path != self._path:
            return
        self._info.setText(_info_line(decoded, self._name))
        pixmaps = [QPixmap.fromImage(decoded.image)]
        if decoded.reduced is not None:
            pixmaps.append(QPixmap.fromImage(decoded.reduced))
        self._canvas.set_pixmaps(pixmaps, decoded.full_size)
        shown = decoded.shown_size
        if not decoded.is_draft and shown is not None and shown[0] < decoded.full_size[0]:
            self._detail.set_source(decoded.path, decoded.full_size[0], shown[0])
        self._show_zoom(self._canvas.zoom())  # a new line: the zoom goes on it again
        if not decoded.is_draft:
            self.loaded.emit(decoded.path)

    def _hand_over(self, decoded: DecodedImage, shown: int) -> None:
        if shown == self._shown:  # nothing else was shown meanwhile
            self._on_decoded(decoded)

    @Slot(object, object)
    def _on_decoded_ahead(self, path: Path, decoded: DecodedImage) -> None:
        if path == self._path and self._loading():
            # asked for before its decode ahead finished: this one is ready first
            self._ahead.take(path)
            self._lane.cancel()
            self._on_decoded(decoded)

    def _loading(self) -> bool:
        return self._lane.busy and not self.is_showing_error()

    @Slot(str)
    def _on_decode_failed(self, message: str) -> None:
        path = self._path
        self.show_error(path.name if path else "", message)
        self.load_failed.emit(path, message)

    @Slot(float)
    def _on_zoom_changed(self, zoom: float) -> None:
        self._detail.schedule()
        self._show_zoom(zoom)
        self.zoom_changed.emit(zoom)

    def _show_zoom(self, zoom: float) -> None:
        """The info line ends with the zoom ("fitted" when the whole picture is in view)."""
        if self._path is not None and not self.is_showing_error():
            base = self._info.text().split("  ·  zoom")[0]
            fitted = ", fitted" if self._canvas.fit_mode else ""
            fitted += ", full resolution in view" if self._detail.shown() else ""
            percent = zoom * self._canvas.devicePixelRatioF() * 100  # of screen pixels
            self._info.setText(f"{base}  ·  zoom {percent:.0f}%{fitted}")

    @guarded
    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)


def _info_line(decoded: DecodedImage, name: str) -> str:
    w, h = decoded.full_size
    parts = [breakable(name), style.human_size(decoded.file_size), f"{w} × {h} px"]
    if decoded.is_draft:
        parts.append("preview")
    elif decoded.shown_size is not None and decoded.shown_size[0] < w:
        sw, sh = decoded.shown_size
        parts.append(f"shown at 1/{round(w / sw)} ({sw} × {sh} px)")
    if decoded.frames:  # a z-stack or a time series: only the first is shown, and learned
        parts.append(decoded.frames)
    if decoded.stretched is not None:  # the picture's own range, not its type's: say so
        parts.append("values {:g}–{:g} shown black to white".format(*decoded.stretched))
    return "  ·  ".join(parts)
