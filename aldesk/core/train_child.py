"""The training process's side of :mod:`aldesk.core.train_process`: fit (or fit and rank) each
job on rows of the app's pool matrix (mapped from its shared memory) and answer, until the app
closes the pipe or exits."""

from __future__ import annotations

import contextlib
import dataclasses
import pickle
from collections.abc import Callable

import numpy as np

from aldesk.core import free_memory, shared_pool
from aldesk.core.ranking import FitRequest, RankRequest, fit_and_rank, fit_model


def serve(conn, watch) -> None:
    """The child's loop: fit each job, answer, until the app closes the pipe."""
    from aldesk.core.features.processes import exit_when_closed

    exit_when_closed(watch, "aldesk-train-watch")  # the app's end closes when it exits or crashes
    _limit_blas()
    from aldesk.core.learner import preload

    preload()  # scikit-learn, imported before the first job arrives
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "pool":
            if not _attach_pool(conn, message):
                return
            continue
        if message[0] not in ("fit", "rank"):
            continue  # the cancel of a job already answered
        try:
            send_reply(conn, _job_reply(message, conn.poll))
        except OSError:
            return
        free_memory.give_back()  # the fit's copies of the labels' rows, between rounds


@dataclasses.dataclass(frozen=True)
class _Following:
    """Stands in a reply for an array sent right after it as raw bytes."""

    shape: tuple[int, ...]
    dtype: str


# Bytes per message of an array sent after a reply: each is read whole into a buffer of
# its own before it is copied into place, so the receiver's extra memory is one piece.
PIECE = 1 << 20


def send_reply(conn, reply: tuple) -> None:
    """Send ``(kind, seq, payload)``; a ranking's probabilities for every pool row (4 MB at
    100k items x 10 classes) follow as raw bytes in pieces of PIECE. Inside the pickle they
    were a second whole copy on each side of the pipe, while the app still holds the last
    round's."""
    kind, seq, payload = reply
    proba = getattr(payload, "proba", None)
    if not isinstance(proba, np.ndarray):
        conn.send(reply)
        return
    proba = np.ascontiguousarray(proba)
    conn.send(
        (kind, seq, dataclasses.replace(payload, proba=_Following(proba.shape, proba.dtype.str)))
    )
    raw = memoryview(proba.reshape(-1)).cast("B")
    for start in range(0, len(raw), PIECE):
        conn.send_bytes(raw[start : start + PIECE])


def receive_reply(conn) -> tuple:
    """A reply sent by :func:`send_reply`, its array read piece by piece into place."""
    kind, seq, payload = conn.recv()
    marker = getattr(payload, "proba", None)
    if isinstance(marker, _Following):
        proba = np.empty(marker.shape, dtype=np.dtype(marker.dtype))
        raw = memoryview(proba.reshape(-1)).cast("B")
        for start in range(0, len(raw), PIECE):
            conn.recv_bytes_into(raw[start : start + PIECE])
        payload = dataclasses.replace(payload, proba=proba)
    return kind, seq, payload


# The app's pool matrix, mapped: (token, read-only array). Only the newest is kept.
_POOL: list = [None, None]


def _attach_pool(conn, message: tuple) -> bool:
    """Map the pool matrix whose descriptor follows ``message``; False if the pipe broke."""
    from multiprocessing.reduction import recv_handle

    _, token, shape, dtype = message
    _POOL[:] = [None, None]  # the old matrix's mapping goes before the new one is made
    try:
        fd = recv_handle(conn)
    except (EOFError, OSError, RuntimeError):
        return False
    _POOL[:] = [token, shared_pool.attach(fd, shape, dtype)]
    return True


def _job_reply(message: tuple, should_stop: Callable[[], bool]) -> tuple:
    """Answer a job: a ``rank`` on rows of the mapped pool matrix, or a ``fit`` on rows in
    shared memory made for the job."""
    kind, seq, light, where = message
    if kind == "fit":
        return _memory_job_reply(seq, light, *where[1:], should_stop)
    if _POOL[0] != where[1]:
        return "error", seq, RuntimeError("the training process has another pool matrix")
    snapshot = dataclasses.replace(light.snapshot, X=light.snapshot.X.on(_POOL[1]))
    request = dataclasses.replace(light, X_pool=_POOL[1], snapshot=snapshot)
    return _rank_reply(request, seq, should_stop)


def _rank_reply(request: RankRequest, seq: int, should_stop: Callable[[], bool]) -> tuple:
    """The whole round here (fit, scoring of the pool, batch selection): the app receives the
    ranking with a model it can use without scikit-learn."""
    try:
        ranking = None if should_stop() else fit_and_rank(request, should_stop=should_stop)
    except Exception as exc:  # as in _fit_reply
        return "error", seq, _picklable(exc.with_traceback(None))
    if ranking is None:
        return "stopped", seq, None
    model = ranking.model.portable() if ranking.model is not None else None
    return "done", seq, dataclasses.replace(ranking, model=model)


def _memory_job_reply(seq: int, light, name: str, shape, dtype, should_stop) -> tuple:
    from multiprocessing import shared_memory

    try:
        memory = shared_memory.SharedMemory(name=name)
    except FileNotFoundError:  # the app cancelled the job and let the memory go
        return "stopped", seq, None
    try:
        X = np.ndarray(shape, np.dtype(dtype), buffer=memory.buf)
        fit = dataclasses.replace(light, snapshot=dataclasses.replace(light.snapshot, X=X))
        reply = _fit_reply(fit, seq, should_stop)
        del X, fit  # views of the memory: it can only be closed without them
    finally:
        with contextlib.suppress(BufferError):  # a view still held: unmapped when collected
            memory.close()
    return reply


def _fit_reply(fit: FitRequest, seq: int, should_stop: Callable[[], bool]) -> tuple:
    try:
        model = None if should_stop() else fit_model(fit, should_stop)
    except Exception as exc:  # its traceback's frames hold views of the shared memory
        return "error", seq, _picklable(exc.with_traceback(None))
    return ("stopped", seq, None) if model is None else ("done", seq, model.portable())


def _picklable(exc: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _limit_blas() -> None:
    """One BLAS thread, as the feature workers: a child forked from their server inherits
    the limit (see worker_server); a spawned one (Windows) sets it."""
    import sys

    from aldesk.core.features.processes import SERVER_LAST

    if SERVER_LAST not in sys.modules:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
