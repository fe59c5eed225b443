"""Background lanes: one worker thread per kind of work, the newest request wins.

The work functions live in the core and know nothing of Qt (``fit_and_rank``,
``ensure_features``); a lane runs them on a one-thread ``QThreadPool`` and hands results back to
the GUI thread through queued signals. Every submission gets a generation number; a result whose
generation is no longer the newest is dropped, never applied (STYLE.md section 3).
"""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from aldesk.core.errors import AldeskError

Work = Callable[["JobContext"], Any]


@dataclass(frozen=True)
class JobContext:
    """What a job may ask of its lane from the worker thread."""

    should_stop: Callable[[], bool]
    report: Callable[[object], None]


def describe_error(exc: BaseException) -> str:
    """One line a person can read: the message of user errors, the type for programming errors."""
    from aldesk.core.errors import AldeskError
    from aldesk.core.media.reasons import for_person, raised_by_decoder

    if raised_by_decoder(exc):  # e.g. "OSError: image file is truncated", said for a person
        return for_person(exc)
    if isinstance(exc, AldeskError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class _Relay(QObject):
    """Carries results from the worker thread; lives in the GUI thread, so delivery is queued."""

    done = Signal(int, object)
    errored = Signal(int, str)
    reported = Signal(int, object)


class _Job(QRunnable):
    def __init__(self, generation: int, work: Work, context: JobContext, relay: _Relay) -> None:
        super().__init__()
        self._generation = generation
        self._work = work
        self._context = context
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._work(self._context)
        except BaseException as exc:  # a worker must never die silently
            if not isinstance(exc, AldeskError):  # ours carry their sentence to the window
                traceback.print_exc()  # (a bad file printed a traceback on the terminal)
            self._emit(self._relay.errored, describe_error(exc))
            return
        self._emit(self._relay.done, result)

    def _emit(self, signal: Signal, payload: object) -> None:
        # RuntimeError: the lane was deleted while we ran; nobody is listening any more
        with contextlib.suppress(RuntimeError):
            signal.emit(self._generation, payload)


class Lane(QObject):
    """A one-thread background lane where the newest submission wins.

    ``submit(work)`` runs ``work(context)`` off the GUI thread. Queued (not yet started) jobs are
    dropped by each new submission; a running one is asked to stop via ``context.should_stop()``
    and its result is discarded.

    Signals:
        done(object): result of the newest submission.
        failed(str): the newest submission raised; the text is shown to the user.
        progressed(object): whatever the newest job passed to ``context.report``.
        busy_changed(bool): the lane started or stopped working on the newest submission.
    """

    done = Signal(object)
    failed = Signal(str)
    progressed = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, *, name: str = "aldesk-lane") -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pool.setObjectName(name)
        self._generation = 0
        self._busy = False
        self._relay = _Relay(self)
        self._relay.done.connect(self._on_done)
        self._relay.errored.connect(self._on_errored)
        self._relay.reported.connect(self._on_reported)

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def busy(self) -> bool:
        return self._busy

    def submit(self, work: Work) -> int:
        """Run ``work`` in the background, superseding every earlier submission."""
        self._generation += 1
        gen = self._generation
        self._pool.clear()
        context = JobContext(
            should_stop=lambda: gen != self._generation,
            report=lambda payload: self._report(gen, payload),
        )
        job = _Job(gen, work, context, self._relay)
        job.setAutoDelete(True)
        self._pool.start(job)
        self._set_busy(True)
        return gen

    def cancel(self) -> None:
        """Drop queued work and discard whatever the running job returns."""
        self._generation += 1
        self._pool.clear()
        self._set_busy(False)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel and wait for the worker; True if it finished within the timeout."""
        self.cancel()
        return self._pool.waitForDone(timeout_ms)

    def wait(self, timeout_ms: int = 10_000) -> bool:
        """Wait for the running job without cancelling it (tests, benchmarks)."""
        return self._pool.waitForDone(timeout_ms)

    def _report(self, gen: int, payload: object) -> None:
        if gen == self._generation:
            with contextlib.suppress(RuntimeError):
                self._relay.reported.emit(gen, payload)

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    @Slot(int, object)
    def _on_done(self, gen: int, result: object) -> None:
        if gen != self._generation:
            return
        self._set_busy(False)
        self.done.emit(result)

    @Slot(int, str)
    def _on_errored(self, gen: int, message: str) -> None:
        if gen != self._generation:
            return
        self._set_busy(False)
        self.failed.emit(message)

    @Slot(int, object)
    def _on_reported(self, gen: int, payload: object) -> None:
        if gen == self._generation:
            self.progressed.emit(payload)


def _core_fit_and_rank(request: object, should_stop: Callable[[], bool]) -> object:
    from aldesk.core.ranking import fit_and_rank

    return fit_and_rank(request, should_stop=should_stop)


class Trainer(QObject):
    """Retrains and re-ranks in the background; the newest request wins.

    Args:
        work: ``work(request, should_stop) -> Ranking | None``; defaults to the core's
            ``aldesk.core.ranking.fit_and_rank``. Tests inject a fake.

    Signals:
        ranked(object): the Ranking of the newest finished request.
        failed(str): the newest request raised.
        busy_changed(bool): training started / stopped.
    """

    ranked = Signal(object)
    failed = Signal(str)
    busy_changed = Signal(bool)

    def __init__(
        self,
        work: Callable[[Any, Callable[[], bool]], Any] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._work = work or _core_fit_and_rank
        self._lane = Lane(self, name="aldesk-trainer")
        self._lane.done.connect(self._on_lane_done)
        self._lane.failed.connect(self.failed)
        self._lane.busy_changed.connect(self.busy_changed)

    @property
    def busy(self) -> bool:
        return self._lane.busy

    @property
    def generation(self) -> int:
        return self._lane.generation

    def request(self, request_obj: object) -> int:
        """Train on ``request_obj`` (a RankRequest) superseding earlier requests."""
        work = self._work
        return self._lane.submit(lambda ctx: work(request_obj, ctx.should_stop))

    def cancel(self) -> None:
        self._lane.cancel()

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        return self._lane.shutdown(timeout_ms)

    @Slot(object)
    def _on_lane_done(self, ranking: object) -> None:
        if ranking is not None:  # None: the work function noticed it should stop
            self.ranked.emit(ranking)


@dataclass(frozen=True)
class FeatureProgress:
    done: int
    total: int
    rate: float
    eta_seconds: float


def _core_ensure_features(cache_dir, kind, files, *, progress, should_stop, workers):
    from aldesk.core.features import ensure_features

    return ensure_features(
        cache_dir, kind, files, progress=progress, should_stop=should_stop, workers=workers
    )


def _as_progress(obj: object) -> FeatureProgress:
    return FeatureProgress(
        done=int(getattr(obj, "done", 0)),
        total=int(getattr(obj, "total", 0)),
        rate=float(getattr(obj, "rate", 0.0) or 0.0),
        eta_seconds=float(getattr(obj, "eta_seconds", 0.0) or 0.0),
    )


class FeatureLane(QObject):
    """Runs feature extraction (which spawns its own processes) from one background thread.

    ``cancel()`` asks the extraction to stop and still delivers what was extracted (the core
    returns a FeatureResult with ``cancelled=True``); ``shutdown()`` drops it and waits.

    Signals:
        progressed(int, int, float, float): done, total, files per second, seconds left.
        finished(object): the FeatureResult of the newest run.
        failed(str): the newest run raised.
        busy_changed(bool)
    """

    progressed = Signal(int, int, float, float)
    finished = Signal(object)
    failed = Signal(str)
    busy_changed = Signal(bool)

    #: at most this many progress signals per second reach the GUI thread
    MAX_PROGRESS_RATE = 20.0

    def __init__(self, work: Callable[..., Any] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._work = work or _core_ensure_features
        self._stop_requested = False
        self._lane = Lane(self, name="aldesk-features")
        self._lane.done.connect(self.finished)
        self._lane.failed.connect(self.failed)
        self._lane.progressed.connect(self._on_lane_progressed)
        self._lane.busy_changed.connect(self.busy_changed)

    @property
    def busy(self) -> bool:
        return self._lane.busy

    def start(
        self, cache_dir, kind: str, files: list | Callable[[], list], *, workers: int | None = None
    ) -> int:
        """Extract (or load from cache) features for ``files`` = [(hash, path), ...], or for
        what ``files()`` returns on the worker (a list of 100k items is not built here)."""
        work = self._work
        files = files if callable(files) else list(files)
        interval = 1.0 / self.MAX_PROGRESS_RATE
        self._stop_requested = False

        def run(ctx: JobContext) -> object:
            last = [0.0]
            pairs = files() if callable(files) else files

            def progress(p: object) -> None:
                now = time.monotonic()
                p = _as_progress(p)
                if now - last[0] >= interval or p.done >= p.total:
                    last[0] = now
                    ctx.report(p)

            return work(
                cache_dir, kind, pairs, progress=progress,
                should_stop=lambda: self._stop_requested or ctx.should_stop(), workers=workers,
            )  # fmt: skip

        return self._lane.submit(run)

    def cancel(self) -> None:
        """Ask the running extraction to stop; its partial result still arrives via finished."""
        self._stop_requested = True

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop, drop the result and wait for the thread (window closing)."""
        self._stop_requested = True
        return self._lane.shutdown(timeout_ms)

    @Slot(object)
    def _on_lane_progressed(self, p: FeatureProgress) -> None:
        self.progressed.emit(p.done, p.total, p.rate, p.eta_seconds)
