"""Thumbnails decoded on a worker thread, newest request first, cached on the GUI side.

The grid asks for a thumbnail when it paints a cell (``data(DecorationRole)``); the request is
queued and a placeholder painted at once, so scrolling never waits on a decode. Requests are
served newest first (the cells on screen now), and the queue is capped: cells scrolled past
long ago are forgotten, not decoded.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QSize, QThreadPool, Signal
from PySide6.QtGui import QImage, QPixmap

THUMB_SIDE = 96
MAX_PENDING = 256  # about four screens of cells
CACHE_SIZE = 3000  # pixmaps kept (96 x 96 x 4 bytes: ~110 MB at most)


def decode_thumbnail(path: Path, side: int = THUMB_SIDE) -> QImage:
    """A ``side``-bounded thumbnail of an image file, as a QImage that owns its pixels.

    Runs on the worker: Pillow decodes (JPEG in draft mode) and the QImage is built here, so
    the GUI thread only turns a small QImage into a pixmap.
    """
    from aldesk.gui.viewers.image_view import load_image, pil_to_qimage

    image, buffer = pil_to_qimage(load_image(path, side))
    return image.copy()  # a few KB: owns its pixels, so ``buffer`` may go


class _Relay(QObject):
    decoded = Signal(int, object)
    failed = Signal(int, str)


class _Drain(QRunnable):
    def __init__(self, loader: ThumbnailLoader) -> None:
        super().__init__()
        self._loader = loader

    def run(self) -> None:
        self._loader._drain()


class ThumbnailLoader(QObject):
    """Decodes thumbnails on one worker thread and keeps the newest :data:`CACHE_SIZE`.

    Signals:
        ready(int): the thumbnail of this item id is now in the cache.
        failed(int, str): this item could not be decoded (the reason, for a tooltip).
    """

    ready = Signal(int)
    failed = Signal(int, str)
    grid = True  # cells in a grid of square icons (the waveform list overrides it)

    def __init__(self, parent: QObject | None = None, side: int = THUMB_SIDE) -> None:
        super().__init__(parent)
        self.side = side
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._lock = threading.Lock()
        self._pending: OrderedDict[int, Path] = OrderedDict()  # newest last
        self._running = False
        self._closed = False
        self._cache: OrderedDict[int, QPixmap] = OrderedDict()
        self._errors: dict[int, str] = {}
        self._relay = _Relay(self)
        self._relay.decoded.connect(self._on_decoded)
        self._relay.failed.connect(self._on_failed)
        self.decoded_count = 0

    def icon_size(self) -> QSize:
        return QSize(self.side, self.side)

    def decode(self, path: Path) -> QImage:
        """Worker thread: the picture of one file."""
        return decode_thumbnail(path, self.side)

    def pixmap(self, item_id: int) -> QPixmap | None:
        pm = self._cache.get(item_id)
        if pm is not None:
            self._cache.move_to_end(item_id)
        return pm

    def error(self, item_id: int) -> str | None:
        return self._errors.get(item_id)

    def request(self, item_id: int, path: Path) -> None:
        """Queue a decode (newest first); a no-op for cached, failed or closed."""
        if item_id in self._cache or item_id in self._errors or self._closed:
            return
        with self._lock:
            self._pending[item_id] = path
            self._pending.move_to_end(item_id)
            while len(self._pending) > MAX_PENDING:
                self._pending.popitem(last=False)  # scrolled past long ago
            start = not self._running
            self._running = True
        if start:
            self._pool.start(_Drain(self))

    def _next(self) -> tuple[int, Path] | None:
        with self._lock:
            if not self._pending or self._closed:
                self._running = False
                return None
            return self._pending.popitem(last=True)

    def _drain(self) -> None:
        """Worker thread: decode until the queue is empty."""
        while (job := self._next()) is not None:
            item_id, path = job
            try:
                image = self.decode(path)
            except Exception as exc:  # a bad file is shown as such, never a dead worker
                from aldesk.gui.workers import describe_error

                with contextlib.suppress(RuntimeError):
                    self._relay.failed.emit(item_id, describe_error(exc))
                continue
            with contextlib.suppress(RuntimeError):
                self._relay.decoded.emit(item_id, image)

    def _on_decoded(self, item_id: int, image: QImage) -> None:
        self._cache[item_id] = QPixmap.fromImage(image)
        self.decoded_count += 1
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        self.ready.emit(item_id)

    def _on_failed(self, item_id: int, reason: str) -> None:
        self._errors[item_id] = reason
        self.failed.emit(item_id, reason)

    def clear_pending(self) -> None:
        with self._lock:
            self._pending.clear()

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Forget queued decodes and wait for the one running (window closing)."""
        with self._lock:
            self._closed = True
            self._pending.clear()
        return self._pool.waitForDone(timeout_ms)

    def resume(self) -> None:
        """Decode again after a shutdown (the window was closed and is shown again)."""
        with self._lock:
            self._closed = False

    def wait(self, timeout_ms: int = 10_000) -> bool:
        """Wait until the queue is drained (tests, benchmarks)."""
        return self._pool.waitForDone(timeout_ms)
