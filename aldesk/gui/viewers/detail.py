"""Full-resolution detail of a picture shown reduced, decoded for the part in view.

A picture over ``image_decode``'s memory bounds (an 8000 x 6000 PNG is shown at 1/3) had
"actual size" magnify the reduced pixels: a microscopist zoomed to 100 % saw a 1-pixel
checkerboard as flat grey, and at 400 % a coarse checker the file does not hold. Once the view
magnifies the reduced picture, the part in view (and a margin for panning) is decoded from the
file at full resolution on a worker and laid over it; panning past it decodes the next part.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsView

from aldesk.gui.viewers.pixels import pil_to_qimage
from aldesk.gui.workers import JobContext, Lane

SETTLE_MS = 120  # a wheel turn or a drag sends many changes: decode once they settle
MARGIN = 0.5  # of the view's width and height decoded beyond each side, for panning
MAX_PIXELS = 16_000_000  # a part bigger than this (a huge window barely zoomed) is not decoded


class DetailTile(QObject):
    """Owns one pixmap item over the canvas's reduced picture. ``set_source`` after a reduced
    picture is shown, ``reset`` when another item is; it follows the view by itself.

    Signals:
        changed(bool): full-resolution pixels are (or are no longer) shown.
    """

    changed = Signal(bool)

    def __init__(self, canvas: QGraphicsView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._canvas = canvas
        self._item = QGraphicsPixmapItem()
        self._item.setZValue(1)  # over the reduced picture
        self._item.hide()
        canvas.scene().addItem(self._item)
        self._lane = Lane(self, name="aldesk-image-detail")
        self._lane.done.connect(self._on_region)
        self._lane.failed.connect(lambda _message: None)  # the reduced picture stays: enough
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self._request)
        for bar in (canvas.horizontalScrollBar(), canvas.verticalScrollBar()):
            bar.valueChanged.connect(self.schedule)
        self._source: tuple[Path, int, int] | None = None  # path, full width, shown width
        self._covered = QRectF()
        self._complete = False

    def set_source(self, path: Path, full_width: int, shown_width: int) -> None:
        self.reset()
        self._source = (path, full_width, shown_width)
        self.schedule()

    def reset(self) -> None:
        self._source = None
        self._timer.stop()
        self._lane.cancel()
        self._covered = QRectF()
        self._item.setPixmap(QPixmap())
        self._show(False)

    def shown(self) -> bool:
        """Every pixel in view is the file's own (the label "full resolution in view")."""
        return self._complete

    @Slot()
    def schedule(self) -> None:
        if self._source is not None:
            if self._complete and not self._covered.contains(self._view()):
                self._say(False)  # panned or zoomed past the decoded part: said at once
            self._timer.start()

    def _view(self) -> QRectF:
        """The part of the picture in view, in its full-resolution pixels."""
        view = self._canvas.mapToScene(self._canvas.viewport().rect()).boundingRect()
        return view.intersected(self._canvas.scene().sceneRect())

    def shutdown(self) -> None:
        self._timer.stop()
        self._lane.shutdown()

    def _magnified(self) -> bool:
        """More than one screen pixel per pixel of the reduced picture."""
        _, full_width, shown_width = self._source
        screen_per_pixel = self._canvas.zoom() * self._canvas.devicePixelRatioF()
        return screen_per_pixel * full_width / max(1, shown_width) > 1.0

    def _request(self) -> None:
        if self._source is None:
            return
        if not self._magnified():
            self._show(False)
            return
        view = self._view()
        if self._covered.contains(view):
            self._show(True)
            return
        self._say(False)  # part of the view is still the reduced picture until this decodes
        part = view.adjusted(-MARGIN * view.width(), -MARGIN * view.height(),
                             MARGIN * view.width(), MARGIN * view.height())  # fmt: skip
        part = part.intersected(self._canvas.scene().sceneRect())
        if part.width() * part.height() > MAX_PIXELS:
            part = view
        if part.width() * part.height() > MAX_PIXELS or part.isEmpty():
            return
        box = (int(part.left()), int(part.top()), int(part.right()) + 1, int(part.bottom()) + 1)
        path = self._source[0]
        self._lane.submit(lambda ctx: decode_region(path, box, ctx))

    @Slot(object)
    def _on_region(self, result) -> None:
        if result is None or self._source is None or result[0] != self._source[0]:
            return
        _, box, image = result
        self._item.setPixmap(QPixmap.fromImage(image))
        self._item.setPos(box[0], box[1])
        self._covered = QRectF(box[0], box[1], box[2] - box[0], box[3] - box[1])
        crisp = self._canvas.zoom() * self._canvas.devicePixelRatioF() >= 3.0
        self._item.setTransformationMode(
            Qt.TransformationMode.FastTransformation
            if crisp
            else Qt.TransformationMode.SmoothTransformation
        )
        self._request()  # shown if it still covers the view, else the next part

    def _show(self, on: bool) -> None:
        self._item.setVisible(on)
        self._say(on)

    def _say(self, complete: bool) -> None:
        """``changed`` when the view turns wholly full-resolution, or stops being so."""
        if self._complete != complete:
            self._complete = complete
            self.changed.emit(complete)


def decode_region(path: Path, box: tuple[int, int, int, int], ctx: JobContext):
    """``(path, box, QImage)`` of the part at full resolution, or None (see ``load_region``)."""
    from aldesk.core.media.region import load_region

    region = load_region(path, box)
    if region is None or ctx.should_stop():
        return None
    image, buffer = pil_to_qimage(region)
    image = image.copy()  # its own pixels: ``buffer`` does not outlive this job
    del buffer
    return path, box, image
