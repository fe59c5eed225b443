"""Thumbnails decoded off the GUI thread, newest request first, cached on the GUI side.

The grid asks for a thumbnail when it paints a cell (``data(DecorationRole)``); the request is
queued and a placeholder painted at once, so scrolling never waits on a decode. Requests are
served newest first (the cells on screen now); the view tells the loader which items are on
screen (:meth:`ThumbnailLoader.retain`), and requests for cells scrolled past are dropped, not
decoded.

A worker thread feeds the decodes; for the review grid they run in a lower-priority process
(:mod:`aldesk.core.media.thumbnail`), so they never hold this process's GIL. Finished
thumbnails are collected and applied on the GUI thread every :data:`APPLY_MS`: one pixmap
conversion pass and one ``arrived`` signal per tick (one repaint), not one per thumbnail.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QSize, QThreadPool, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QWidget

from aldesk.core.errors import MediaError
from aldesk.core.media.thumbnail import ThumbnailPixels, init_decoder, thumbnail_pixels

THUMB_SIDE = 96
MAX_PENDING = 256  # about four screens of cells
CACHE_SIZE = 3000  # pixmaps kept (96 x 96 x 4 bytes: ~110 MB at most)
APPLY_MS = 40  # finished thumbnails are shown in batches, at most this often
DECODE_SECONDS = 30.0  # a thumbnail taking longer is given up and its process ended


def to_qimage(pixels: ThumbnailPixels) -> QImage:
    """The QImage of decoded pixels, owning a copy of them (a few KB)."""
    fmt = QImage.Format.Format_ARGB32_Premultiplied if pixels.alpha else QImage.Format.Format_RGB32
    return QImage(pixels.data, pixels.width, pixels.height, pixels.width * 4, fmt).copy()


def decode_thumbnail(path: Path, side: int = THUMB_SIDE) -> QImage:
    """A ``side``-bounded thumbnail of an image file, decoded on the calling thread."""
    return to_qimage(thumbnail_pixels(str(path), side))


class _Relay(QObject):
    arrived = Signal()  # the first result of a batch is waiting
    failed = Signal(int, str)


class _Drain(QRunnable):
    def __init__(self, loader: ThumbnailLoader) -> None:
        super().__init__()
        self._loader = loader

    def run(self) -> None:
        self._loader._drain()


class ThumbnailLoader(QObject):
    """Decodes thumbnails on one worker thread and keeps the newest :data:`CACHE_SIZE`.

    Args:
        side: The thumbnails' longest side.
        in_process: Decode in a separate lower-priority process (the review grid); False: on
            the worker thread (a few pictures, where starting a process does not pay).

    Signals:
        arrived(list): these item ids have their thumbnail in the cache now (one per tick).
        ready(int): the same, one item at a time (for views showing a few pictures).
        failed(int, str): this item could not be decoded (the reason, for a tooltip).
    """

    arrived = Signal(list)
    ready = Signal(int)
    failed = Signal(int, str)
    grid = True  # cells in a grid of square icons (the waveform list overrides it)

    def __init__(
        self,
        parent: QObject | None = None,
        side: int = THUMB_SIDE,
        in_process: bool = False,
        scale: float | None = None,
    ) -> None:
        super().__init__(parent)
        self.side = side  # in the window's pixels
        # decoded for the screen's pixels (by default the parent window's): at 200 % a 96-px
        # picture was drawn doubled, blurred
        if scale is None:
            scale = parent.devicePixelRatioF() if isinstance(parent, QWidget) else 1.0
        self.scale = max(1.0, float(scale))
        self.decode_side = round(side * self.scale)
        self.in_process = in_process
        self.work = thumbnail_pixels  # what the decode process runs: (path, side) -> pixels
        self._process_pool: ProcessPoolExecutor | None = None
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._lock = threading.Lock()
        self._pending: OrderedDict[int, Path] = OrderedDict()  # newest last
        self._finished: list[tuple[int, QImage]] = []  # decoded, not yet applied
        self._running = False
        self._closed = False
        self._cache: OrderedDict[int, QPixmap] = OrderedDict()
        self._errors: dict[int, str] = {}
        self._relay = _Relay(self)
        self._relay.arrived.connect(self._on_arrived)
        self._relay.failed.connect(self._on_failed)
        self._apply_timer = QTimer(self, singleShot=True, interval=APPLY_MS)
        self._apply_timer.timeout.connect(self.apply_finished)
        self.decoded_count = 0

    def icon_size(self) -> QSize:
        return QSize(self.side, self.side)

    def decode(self, path: Path) -> QImage:
        """Worker thread: the picture of one file (in the decode process when there is one).

        Raises:
            MediaError: The file cannot be decoded; also when the decoder crashed on it (the
                process is then started again for the next file).
        """
        future = self._submit(path)
        if future is None:
            return decode_thumbnail(path, self.decode_side)
        try:
            return to_qimage(future.result(timeout=DECODE_SECONDS))
        except BrokenProcessPool as exc:  # a decoder crash took the process down, not the app
            self._stop_process()
            raise MediaError("the image decoder crashed on this file", str(path)) from exc
        except TimeoutError as exc:  # a decoder that never ends would hold the grid and the exit
            self._stop_process(kill=True)
            raise MediaError(f"decoding took over {DECODE_SECONDS:.0f} s", str(path)) from exc

    def _submit(self, path: Path) -> Future | None:
        """Worker thread: hand ``path`` to the decode process, started on first use; None when
        there is none (not wanted, or it cannot be started: then decode here from now on)."""
        if not self.in_process:
            return None
        try:
            if self._process_pool is None:
                from aldesk.core.features import processes

                processes.start_worker_server("image")  # warm workers forked from Pillow's
                self._process_pool = ProcessPoolExecutor(
                    1, processes.pool_context(), init_decoder, (processes.app_alive_reader(),)
                )
            return self._process_pool.submit(self.work, str(path), self.decode_side)
        except (BrokenProcessPool, OSError, RuntimeError):
            self._stop_process()
            self.in_process = False
            return None

    def _stop_process(self, kill: bool = False) -> None:
        """Let the decode process go (the next decode starts another); ``kill``: end it now, in
        the middle of a decode (the executor has no public way: its process table is read)."""
        pool, self._process_pool = self._process_pool, None
        if pool is None:
            return
        if kill:
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)

    def pixmap(self, item_id: int) -> QPixmap | None:
        pm = self._cache.get(item_id)
        if pm is not None:
            self._cache.move_to_end(item_id)
        return pm

    def error(self, item_id: int) -> str | None:
        return self._errors.get(item_id)

    def pending_ids(self) -> list[int]:
        """Items queued for decoding, oldest request first."""
        with self._lock:
            return list(self._pending)

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

    def retain(self, item_ids: Iterable[int]) -> None:
        """Only ``item_ids`` (the cells on screen) are still wanted: drop the other requests."""
        keep = set(item_ids)
        with self._lock:
            for item_id in [i for i in self._pending if i not in keep]:
                del self._pending[item_id]

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
            with self._lock:
                first = not self._finished
                self._finished.append((item_id, image))
            if first:  # the GUI thread is told once per batch, not per thumbnail
                with contextlib.suppress(RuntimeError):
                    self._relay.arrived.emit()

    def _on_arrived(self) -> None:
        if not self._apply_timer.isActive():
            self._apply_timer.start()

    def apply_finished(self) -> list[int]:
        """GUI thread: cache the thumbnails decoded since the last tick, tell the views once.

        Returns:
            The item ids applied.
        """
        with self._lock:
            batch, self._finished = self._finished, []
        for item_id, image in batch:
            self._store(item_id, image)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        ids = [item_id for item_id, _ in batch]
        self.decoded_count += len(ids)
        if ids:
            self.arrived.emit(ids)
            for item_id in ids:
                self.ready.emit(item_id)
        return ids

    def _store(self, item_id: int, image: QImage) -> None:
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(self.scale)
        self._cache[item_id] = pixmap

    def _on_failed(self, item_id: int, reason: str) -> None:
        self._errors[item_id] = reason
        self.failed.emit(item_id, reason)

    def clear_pending(self) -> None:
        with self._lock:
            self._pending.clear()

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Forget queued decodes, wait for the one running and stop the decode process
        (window closing)."""
        with self._lock:
            self._closed = True
            self._pending.clear()
            self._finished.clear()  # else, shown again, the next batch would never be applied
        self._apply_timer.stop()
        done = self._pool.waitForDone(timeout_ms)
        if not done:  # a decode still running: end its process, which frees the worker
            self._stop_process(kill=True)
            done = self._pool.waitForDone(timeout_ms)
        elif self._process_pool is not None:
            self._process_pool.shutdown(wait=True, cancel_futures=True)
            self._process_pool = None
        return done

    def resume(self) -> None:
        """Decode again after a shutdown (the window was closed and is shown again)."""
        with self._lock:
            self._closed = False

    def wait(self, timeout_ms: int = 10_000) -> bool:
        """Wait until the queue is drained and apply what was decoded (tests, benchmarks)."""
        done = self._pool.waitForDone(timeout_ms)
        self.apply_finished()
        return done
