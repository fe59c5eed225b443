"""A training round in a worker process, so it never holds the GUI process's GIL.

Why: fitting a logistic regression on 50,000 labels runs Python between its BLAS calls for
a second or more. In a thread of the GUI process every PySide call of the GUI thread then
waited up to the 5 ms switch interval to get the GIL back: a key press of ~20 such calls took
40-110 ms (about 1 in 100 presses at 100k items and 50,000 answers).

What runs where: the training lane's thread builds the request (the labelled items' row
numbers, labels, settings, the previous round's representation choice) and sends it pickled. The pool
matrix lives in anonymous shared memory (:mod:`aldesk.core.shared_pool`) that the child maps
once per matrix, so the child runs the whole round: it gathers the labelled rows, chooses the
representation, fits, scores the pool and picks the batch, and sends back the ranking with a
model that needs no scikit-learn (:meth:`FittedModel.portable`). The app then never holds a
copy of the labelled rows (90 MB at 50,000 x 448), never scores the pool, and never imports
scikit-learn for a round (~160 MB resident). Where the pool matrix is not shared (no
``memfd``), only the fit runs in the child: the rows are gathered here and copied into shared
memory made for the job (:mod:`aldesk.core.job_memory`), and the thread ranks.

One persistent child per app, started like the feature workers (forked from their fork
server, so the frozen app starts it the same way; one BLAS thread; a lower priority than the
app's). It dies with the app: it
watches a pipe the app never writes to, which the kernel closes when the app exits or crashes.
If it dies (killed, out of memory), the round is trained in the thread instead, with a
one-line notice, and the next round starts a new child.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import signal
import threading
from collections.abc import Callable

import numpy as np

from aldesk.core import job_memory, shared_pool
from aldesk.core.learner import FittedModel
from aldesk.core.ranking import FitRequest, Ranking, RankRequest, fit_and_rank, fit_model
from aldesk.core.rounds import RoundResult, TrainingJob
from aldesk.core.rounds import run_round as run_round_here
from aldesk.core.train_child import receive_reply, serve
from aldesk.core.training_rows import PoolRows

# How often the waiting thread asks ``should_stop`` (a superseded round is let go this soon).
POLL_SECONDS = 0.05
# How much lower the child's priority is than the app's (Unix ``nice``; 10 gives it about a
# tenth of a core the GUI thread also wants).
CHILD_NICENESS = 10
# No job is too small for the child: its round trip (copy, pickles, two pipe hops) measured
# 1-2 ms above the fit in a thread at 50 and 300 labels (fits of ~15 ms), all of it on the
# lane's thread, none on the GUI thread; see benchmarks/README.md, "The fit in its own process".


class _ChildLost(Exception):
    """The child process died or its pipe broke; the text says how it ended."""


class TrainProcess:
    """The app's training child and the protocol to it; used from one thread at a time.

    Messages to the child: ``("pool", token, shape, dtype)`` followed by the pool matrix's
    descriptor (``send_handle``); ``("rank", seq, request, ("pool", token))`` (the request's
    rows are rows of that matrix); ``("fit", seq, request, ("memory", name, shape, dtype))``
    (the rows are in that shared memory); and ``("cancel", seq)``.
    Replies: ``(kind, seq, payload)`` with kind ``done`` (the ranking or the model),
    ``stopped`` or ``error`` (the exception). A job is only sent once the previous job's reply
    has been read, so anything the child finds waiting while it works is a cancel.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process = None
        self._conn = None
        self._alive = None  # the app's end of the child's watch pipe; never written to
        self._seq = 0
        self._pending: int | None = None  # a cancelled job whose reply is still to be read
        self._notice: str | None = None  # said with the next result
        self.last_notice: str | None = None  # the last one said (selfcheck)
        self._cannot_start: str | None = None
        self._memory = None  # shared memory holding the job's labels' matrix
        self._pool_token: int | None = None  # the pool matrix the child has mapped
        self._exit_hook = False
        self._shut_down = False  # shutdown() ran and no child was started since
        self.fits = 0  # rounds fitted in the child (tests, selfcheck)
        self.ranks = 0  # of which also scored and ranked there

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    @property
    def pool_mapped(self) -> bool:
        """Whether the running child has the pool matrix mapped (it gathers rows itself)."""
        return self._pool_token is not None

    def take_notice(self) -> str | None:
        notice, self._notice = self._notice, None
        self.last_notice = notice or self.last_notice
        return notice

    def start(self) -> None:
        """Start the child now (it imports scikit-learn), so the first round need not wait."""
        with contextlib.suppress(_ChildLost):
            self._child()

    def fit(self, fit: FitRequest, should_stop: Callable[[], bool]) -> FittedModel | None:
        """A :data:`aldesk.core.ranking.Fitter`: ``fit_model`` run in the child."""
        return self._in_child(
            lambda: self._fit_in_child(fit, should_stop), lambda: fit_model(fit, should_stop)
        )

    def rank(self, request: RankRequest, should_stop: Callable[[], bool]) -> Ranking | None:
        """``fit_and_rank``: the whole round in the child where it reads the pool matrix in
        place (the app then never scores the pool nor imports scikit-learn for it); the fit
        alone where the pool matrix is not shared."""
        segment = _shared_segment(request)
        if segment is None:
            return fit_and_rank(request, should_stop=should_stop, fitter=self.fit)
        return self._in_child(
            lambda: self._rank_in_child(request, segment, should_stop),
            lambda: fit_and_rank(request, should_stop=should_stop),
        )

    def _in_child(self, job: Callable, here: Callable):
        """``job()`` (which talks to the child); ``here()`` when the child is lost or cannot
        start, with a notice for the status bar."""
        if self._cannot_start is None:
            try:
                return job()
            except _ChildLost as lost:
                if self._shut_down:  # the app is closing (its exit hook): no round is wanted
                    return None
                self._drop_child()
                self._notice = (
                    f"The training process stopped ({lost}); this round was trained in the "
                    "app, and the next one starts a new process."
                )
            except job_memory.NoRoom as full:
                self._notice = (
                    f"No room in shared memory for the training process ({full}); this "
                    "round was trained in the app."
                )
        return here()

    def _fit_in_child(self, fit: FitRequest, should_stop: Callable[[], bool]) -> FittedModel:
        conn = self._ready(should_stop)
        if conn is None:
            return None
        try:  # the pool matrix is not shared (``rank`` sends the whole round otherwise)
            reply = self._send_in_memory(conn, fit, should_stop)
        finally:
            self._free_memory()
        return self._payload(reply)

    def _rank_in_child(
        self, request: RankRequest, segment: shared_pool.Segment, should_stop: Callable[[], bool]
    ) -> Ranking | None:
        conn = self._ready(should_stop)
        if conn is None:
            return None
        self._share_pool(conn, segment)
        light = dataclasses.replace(
            request,
            X_pool=None,
            snapshot=dataclasses.replace(request.snapshot, X=request.snapshot.X.on(None)),
        )
        reply = self._send_job(conn, "rank", light, ("pool", segment.token), should_stop)
        ranking = self._payload(reply)
        self.ranks += ranking is not None
        return ranking

    def _ready(self, should_stop: Callable[[], bool]):
        """The connection, once a cancelled job's reply has been read; None if stopped."""
        conn = self._child()
        if self._pending is not None:  # read the cancelled job's reply before sending more
            if self._reply(conn, self._pending, should_stop, cancel=False) is None:
                return None
            self._pending = None
        self._seq += 1
        return conn

    def _payload(self, reply):
        if reply is None:
            return None
        kind, payload = reply
        if kind == "error":
            raise payload
        self.fits += kind == "done"
        return payload if kind == "done" else None

    def _send_in_memory(self, conn, fit: FitRequest, should_stop: Callable[[], bool]):
        """The job with its rows copied into shared memory made for it."""
        X = np.asarray(fit.snapshot.X)
        where = job_memory.fill(self._room(X.nbytes), X)
        empty = np.empty((0, 0), X.dtype)  # X travels in the memory, not through the pipe
        light = dataclasses.replace(fit, snapshot=dataclasses.replace(fit.snapshot, X=empty))
        return self._send_job(conn, "fit", light, where, should_stop)

    def _send_job(self, conn, kind: str, light, where: tuple, should_stop: Callable[[], bool]):
        try:
            conn.send((kind, self._seq, light, where))
        except (OSError, TypeError) as exc:  # TypeError: shutdown closed it mid-call
            raise _ChildLost(self._how_it_ended()) from exc
        return self._reply(conn, self._seq, should_stop, cancel=True)

    def _share_pool(self, conn, segment: shared_pool.Segment) -> None:
        """Hand the child the pool matrix's memory, once per matrix (it keeps the newest)."""
        if self._pool_token == segment.token:
            return
        from multiprocessing.reduction import send_handle

        try:
            conn.send(("pool", segment.token, segment.shape, segment.dtype))
            send_handle(conn, segment.fd, self._process.pid)
        except (OSError, TypeError, AttributeError) as exc:  # AttributeError: no process
            raise _ChildLost(self._how_it_ended()) from exc
        self._pool_token = segment.token

    def _reply(self, conn, seq: int, should_stop: Callable[[], bool], cancel: bool):
        """The child's ``(kind, payload)`` for job ``seq``; None once ``should_stop()`` (then
        the job is cancelled and its reply read before the next job is sent)."""
        try:
            while True:
                if should_stop():
                    if cancel:
                        conn.send(("cancel", seq))
                        self._pending = seq
                    return None
                if not conn.poll(POLL_SECONDS):
                    continue
                kind, got, payload = receive_reply(conn)
                if got == seq:
                    return kind, payload
                # an older, cancelled job's reply: dropped
        except (OSError, EOFError, TypeError) as exc:  # TypeError: as in _fit_in_child
            raise _ChildLost(self._how_it_ended()) from exc

    def _room(self, nbytes: int):
        """Shared memory for this job's rows (:mod:`aldesk.core.job_memory`)."""
        self._free_memory()
        self._memory = job_memory.reserve(nbytes)
        return self._memory

    def _free_memory(self) -> None:
        memory, self._memory = self._memory, None
        job_memory.release(memory)

    def _child(self):
        """The connection to a running child, starting one if needed."""
        with self._lock:
            if self._process is not None and not self._process.is_alive():
                ended = self._how_it_ended()
                self._close()
                self._notice = f"The training process had stopped ({ended}); started a new one."
            if self._process is None:
                try:
                    self._launch()
                except Exception as exc:  # no process can be started here: train in the app
                    self._cannot_start = f"{type(exc).__name__}: {exc}"
                    self._notice = (
                        f"Could not start the training process ({self._cannot_start}); "
                        "training runs in the app."
                    )
                    raise _ChildLost(self._cannot_start) from exc
            return self._conn

    def _launch(self) -> None:
        from aldesk.core.features.processes import pool_context, start_worker_server

        start_worker_server()  # its preload limits BLAS to one thread; a no-op if running
        context = pool_context()
        conn, child_conn = context.Pipe()
        watch, alive = context.Pipe(duplex=False)
        process = context.Process(
            target=serve, args=(child_conn, watch), name="aldesk-train", daemon=True
        )
        process.start()
        _lower_priority(process.pid)
        child_conn.close()  # only the child holds these ends: its death reads as EOF here
        watch.close()
        self._process, self._conn, self._alive = process, conn, alive
        self._shut_down = False
        self._seq, self._pending, self._pool_token = 0, None, None
        if not self._exit_hook:  # the child and the shared memory go with the app
            self._exit_hook = True
            atexit.register(self.shutdown)

    def _how_it_ended(self) -> str:
        process = self._process
        if process is None:
            return "not running"
        process.join(timeout=5.0)  # the fork server reports the exit code
        code = process.exitcode
        if code is None:
            return "it stopped answering"
        if code < 0:
            with contextlib.suppress(ValueError):
                name = signal.Signals(-code).name
                return f"killed by {name}, perhaps out of memory" if name == "SIGKILL" else (
                    f"killed by {name}"
                )  # fmt: skip
        return f"exit code {code}"

    def _drop_child(self) -> None:
        with self._lock:
            process = self._process
            self._close()
        if process is not None and process.is_alive():
            process.kill()
            process.join(timeout=5.0)

    def _close(self) -> None:
        for end in (self._conn, self._alive):
            if end is not None:
                end.close()
        self._process = self._conn = self._alive = None
        self._pending = None

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop the child: it reads the closed pipe and exits; killed if it does not."""
        with self._lock:
            self._shut_down = True
            process = self._process
            self._close()
        if process is not None:
            process.join(timeout)
            if process.is_alive():
                process.kill()
                process.join(timeout)
        self._free_memory()


def _shared_segment(request: RankRequest) -> shared_pool.Segment | None:
    """The pool matrix's shared segment, if the request's labels are rows of that matrix."""
    rows = request.snapshot.X
    if not isinstance(rows, PoolRows) or rows.X_pool is None:
        return None
    segment = shared_pool.segment_of(request.X_pool)
    if segment is None or shared_pool.segment_of(rows.X_pool) != segment:
        return None
    return segment


def _lower_priority(pid: int) -> None:
    """Run the child at a lower priority than the app, so a fit takes a core only when the
    GUI thread does not want it. In a thread of the app this could not work (a descheduled
    thread holding the GIL stalled the GUI thread longer); a process holds no lock the app
    waits for. Set from here, so it holds before the child's first job."""
    if hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            ours = os.getpriority(os.PRIO_PROCESS, 0)
            os.setpriority(os.PRIO_PROCESS, pid, min(19, ours + CHILD_NICENESS))


_CLIENT = TrainProcess()


def client() -> TrainProcess:
    return _CLIENT


def run_round(job: TrainingJob, should_stop: Callable[[], bool] | None = None) -> RoundResult:
    """:func:`aldesk.core.rounds.run_round` with the fit in the app's training process.

    A notice (the process had to be restarted, or could not start) rides on the result's
    ``failure``, which the GUI shows in its status bar.
    """
    result = run_round_here(job, should_stop, ranker=_CLIENT.rank)
    if result is None:
        return None  # a notice waits for the next result
    notice = _CLIENT.take_notice()
    if notice is None:
        return result
    failure = notice if result.failure is None else f"{notice} {result.failure}"
    return dataclasses.replace(result, failure=failure)


def start() -> None:
    """Start the training process in the background of a worker (see TrainProcess.start)."""
    _CLIENT.start()


def shutdown() -> None:
    _CLIENT.shutdown()
