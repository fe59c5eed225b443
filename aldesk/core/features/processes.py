"""Feature extraction in worker processes: the fork server, the pool loop, the worker side.

:func:`aldesk.core.features.run.ensure_features` decides whether a job is worth a pool and
calls :func:`run_pool`; everything about processes lives here.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import sys
import threading
from collections import deque
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from aldesk.core.errors import WORKER_FAILED
from aldesk.core.features import extractors

POLL_SECONDS = 0.2
# Below this much inline work the process pool does not pay for itself. A worker forked from a
# ready fork server costs this process ~7 ms to start, and is ready for work ~18 ms after that
# (measured: a 0.35-s job ran 1.3-1.4x faster with one worker beside this process on a 2-core
# VM; runs no longer wait ~9 ms for the worker to exit). Until the
# server has imported everything it cannot fork, and starting a worker would block this
# process, so runs wait for pool_ready() (extracting here meanwhile). Spawned workers took
# 1.5-3.3 s to start here (imports).
FORK_WORTH_SECONDS = 0.15
SPAWN_WORTH_SECONDS = 8.0
# What the fork server imports once (~0.6 s, in the background), so every worker forked from it
# starts warm. For audio also scipy.signal, for resampling clips that are not at 16 kHz (~0.9 s
# to import, which every worker of every run would otherwise pay on its first such clip). The
# last module makes the server's BLAS single-threaded before any worker is forked (see its
# docstring).
SERVER_PRELOAD = [
    "__main__",
    "aldesk.core.features.processes",
    "scipy.fft",
    # What every worker needs to unpickle its process object and queues (~3 ms each time).
    "multiprocessing.popen_forkserver",
    "multiprocessing.synchronize",
]
KIND_PRELOAD = {"audio": ["scipy.signal"]}
SERVER_LAST = "aldesk.core.features.worker_server"


def server_preload(kind: str | None) -> list[str]:
    """The fork server's preload list for a server first started for ``kind``."""
    return [*SERVER_PRELOAD, *KIND_PRELOAD.get(kind or "", []), SERVER_LAST]


def pool_context() -> multiprocessing.context.BaseContext:
    """forkserver where the platform has it (Linux, macOS), else spawn (Windows).

    Never plain fork: the GUI process has Qt threads, and forking a threaded process can
    deadlock. The fork server is started by exec like a spawned interpreter, imports its
    preload modules once (see start_worker_server), and then forks each worker already warm:
    milliseconds instead of the 0.3-0.9 s of imports a spawned worker pays, which is what makes
    the pool worth starting for jobs of a fraction of a second. In a PyInstaller build the
    server is the app's own executable: ``freeze_support()`` at the top of ``aldesk.__main__``
    (PyInstaller's runtime hook) runs the server's ``-c`` command instead of the app.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


def pool_worth_seconds() -> float:
    """Seconds of in-process work below which a job should not start the pool."""
    if pool_context().get_start_method() != "forkserver":
        return SPAWN_WORTH_SECONDS
    return FORK_WORTH_SECONDS


def pool_ready() -> bool:
    """Whether a pool would start now without this process waiting: spawned workers always
    (they import on their own time, while this process extracts), forked ones once the fork
    server has finished importing (see start_worker_server)."""
    return pool_context().get_start_method() != "forkserver" or _server_ready.is_set()


_server_lock = threading.Lock()
_probe_started = False  # the readiness probe of this process's fork server
_server_ready = threading.Event()


def start_worker_server(kind: str | None = None) -> None:
    """Start the feature workers' fork server now, if the platform uses one; returns at once.

    The server imports numpy, Pillow, scipy.fft and the extractors (and what ``kind`` needs,
    see KIND_PRELOAD) in its own process, so calling this early (when a project opens) makes
    the first extraction's workers start warm. A background thread forks one idle worker from
    it, which the server can only do once its imports are done: from then on, pools count it
    as ready. Idempotent and cheap when the server already runs (its preload list is the one
    of the kind it was first started for). A server that died is started again, and counts as
    not ready until it is.
    """
    global _probe_started
    context = pool_context()
    if context.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    with _server_lock:
        context.set_forkserver_preload(server_preload(kind))  # read only when it starts
        before = _server_pid()
        forkserver.ensure_running()  # restarts a server that died
        if before is not None and _server_pid() != before:  # a new server: not ready yet
            _server_ready.clear()
            _probe_started = False
        if not _probe_started:
            _probe_started = True
            threading.Thread(target=_mark_ready, name="aldesk-worker-probe", daemon=True).start()


def _server_pid() -> int | None:
    """The fork server's process id, None if it has not started (multiprocessing keeps it in a
    private attribute; None too if that ever changes, which only loses the restart check)."""
    from multiprocessing import forkserver

    return getattr(forkserver._forkserver, "_forkserver_pid", None)


def wait_for_worker_server(kind: str | None = None, timeout: float | None = 30.0) -> bool:
    """Start the fork server if needed and wait until it is ready; True if it is (always True
    where there is no fork server: spawned workers need none)."""
    start_worker_server(kind)
    if pool_context().get_start_method() != "forkserver":
        return True
    return _server_ready.wait(timeout)


def _mark_ready() -> None:
    try:
        probe = pool_context().Process(target=_idle)
        probe.start()
        probe.join()
    except Exception:  # e.g. the server went away: it stays "not ready", runs stay in-process
        return
    _server_ready.set()


def _idle() -> None:
    pass


# Worker-process side. The dictionary travels with every chunk (about 90 kB, pickled by the
# executor's feeder thread) rather than as initializer arguments: those are written to the new
# process's pipe when it starts, and over 64 kB the write blocked this process until the worker
# was up and reading (measured: 22 ms added to the first submit). A worker keeps the state it
# last built, keyed by the dictionary's fingerprint, so its folded matrices are made once.
_WORKER_STATE: tuple[str, extractors.State] | None = None
_WORKER_CONTEXT: list = []


def _init_worker(app_alive=None) -> None:
    # For the worker's whole life: one BLAS thread, freed memory kept for the next chunk (the
    # context is kept referenced: collecting it would leave it). Workers forked from the
    # server inherit single-threaded BLAS already; setting the limit again would restart
    # OpenBLAS's threads (see worker_server).
    # (Asking threadpoolctl costs ~3 ms, a seventh of a worker's start: only spawned workers,
    # which have no server module, need to.)
    limit = SERVER_LAST not in sys.modules and extractors.blas_threads() > 1
    _WORKER_CONTEXT.append(extractors.extraction_context(limit_threads=limit))
    _WORKER_CONTEXT[-1].__enter__()
    if app_alive is not None:
        exit_when_closed(app_alive)


def exit_when_closed(watch, name: str = "aldesk-app-watch") -> None:
    """End this process once ``watch``, the read end of a pipe nobody writes to, reads as
    end-of-file: once every write end has closed, i.e. once the app has ended (or, for a
    pipe of its own, let the process go), however it ended.

    A feature worker needs it: it waits for its next chunk on a queue whose write end it holds
    itself, and it holds the fork server's liveness pipe too, so neither it nor the server ever
    sees the app go. When the app exits without stopping the pool (killed, crashed, or an exit
    cut short), the worker, the server and the resource tracker whose pipe they hold would live
    on idle for ever.
    """

    def wait() -> None:
        with contextlib.suppress(OSError, EOFError):
            watch.poll(None)
        os._exit(0)

    threading.Thread(target=wait, name=name, daemon=True).start()


_APP_ALIVE: list = []  # this process's liveness pipe: (read end for workers, write end)


def app_alive_reader():
    """The read end of this process's liveness pipe (made on first use; its write end stays
    here, unwritten, until the process ends), for a worker to pass to :func:`exit_when_closed`."""
    if not _APP_ALIVE:
        _APP_ALIVE.extend(pool_context().Pipe(duplex=False))
    return _APP_ALIVE[0]


def _state_message(state: extractors.State) -> tuple[str, dict] | None:
    """What a chunk carries so a worker can rebuild ``state``."""
    return None if state is None else (state.fingerprint(), state.arrays())


def _worker_state(message: tuple[str, dict] | None) -> extractors.State:
    global _WORKER_STATE
    if message is None:
        return None
    key, arrays = message
    if _WORKER_STATE is None or _WORKER_STATE[0] != key:
        from aldesk.core.features.patches import PatchDictionary

        _WORKER_STATE = (key, PatchDictionary.from_arrays(arrays))
    return _WORKER_STATE[1]


def _work(
    kind: str, state: tuple[str, dict] | None, paths: list[str]
) -> tuple[list[int], np.ndarray, dict[int, str]]:
    return extractors.extract_batch(kind, paths, _worker_state(state))


def _result(fut: Future, n: int) -> tuple[list[int], np.ndarray, dict[int, str]]:
    """A chunk's result; a crashed worker (e.g. a decoder segfault) fails its chunk only."""
    try:
        return fut.result()
    except Exception as exc:  # BrokenProcessPool, or a bug: report, do not lose the run
        what = "worker crashed" if isinstance(exc, BrokenProcessPool) else type(exc).__name__
        reason = f"{WORKER_FAILED} ({what})"
        return [], np.empty((0, 0), dtype=np.float32), dict.fromkeys(range(n), reason)


def run_pool(kind, state, chunks, sink, stop, workers) -> bool:
    """Extract chunks in ``workers - 1`` processes and in this one; True if cancelled (see
    :class:`PoolRun`)."""
    return PoolRun(kind, state, workers).run(chunks, sink, stop)


class PoolRun:
    """Chunks extracted in ``workers - 1`` processes and in this one, from one queue.

    This process works too, so nothing waits for workers to start (the first job of a
    process may find the fork server still importing) and ``workers`` cores stay busy. Each
    worker holds two chunks (one running, one waiting, so it never idles on a round trip);
    a chunk sent to a worker can not be taken back, so deeper queues could leave this process
    waiting at the end. If a worker dies (a decoder crash), the chunks it held are reported
    failed and this process extracts the rest; if no worker can be started, this process
    extracts everything.

    A run can hand its workers their first chunks (:meth:`feed`) before it has the rest of
    the queue: a worker takes ~25 ms to start, which then overlaps this process's first chunk.
    """

    def __init__(self, kind: str, state: extractors.State, workers: int) -> None:
        self.kind, self.state = kind, state
        self.processes = max(1, workers - 1)
        self.message = _state_message(state)
        self.running: dict[Future, list] = {}
        self.broken = False
        start_worker_server(kind)  # with kind's preload list, if nothing started it yet
        self.pool = ProcessPoolExecutor(
            self.processes, pool_context(), _init_worker, (app_alive_reader(),)
        )

    def feed(self, queue: deque) -> None:
        """Hand chunks from the front of ``queue`` to the workers: two per worker, or up to
        four while they hold fewer items than two of the next chunk (the chunks fed before
        the cost per item was known are smaller than the rest; with two of those the worker
        idled 36 ms while this process ran its first full-size chunk)."""
        while queue and not self.broken and self._hungry(len(queue[0])):
            try:
                fut = self.pool.submit(
                    _work, self.kind, self.message, [str(p) for _, p in queue[0]]
                )
            except (BrokenProcessPool, OSError):  # OSError: no worker could be started
                self.broken = True  # the chunk stays queued for this process
            else:
                self.running[fut] = queue.popleft()

    def _hungry(self, next_chunk: int) -> bool:
        if len(self.running) < 2 * self.processes:
            return True
        held = sum(map(len, self.running.values()))
        return len(self.running) < 4 * self.processes and held < 2 * self.processes * next_chunk

    def _collect(self, done: Iterable[Future], sink) -> None:
        for fut in done:
            chunk = self.running.pop(fut)
            self.broken = self.broken or isinstance(fut.exception(), BrokenProcessPool)
            sink.add(chunk, _result(fut, len(chunk)))

    def run(self, chunks: Iterable[list], sink, stop) -> bool:
        """Extract ``chunks`` (and what the workers already hold), then stop the workers;
        True if cancelled. On cancel, chunks already running finish and are kept."""
        queue = deque(chunks)
        cancelled = False
        try:
            with extractors.extraction_context():
                while queue or self.running:
                    self._collect([f for f in self.running if f.done()], sink)
                    if not cancelled and stop():
                        cancelled = True
                        queue.clear()
                    self.feed(queue)
                    if queue:  # this process takes the next chunk too
                        chunk = queue.popleft()
                        paths = [p for _, p in chunk]
                        sink.add(chunk, extractors.extract_batch(self.kind, paths, self.state))
                    elif self.running:
                        done = wait(self.running, POLL_SECONDS, return_when=FIRST_COMPLETED)[0]
                        self._collect(done, sink)
        finally:
            self.close()
        return cancelled

    def close(self) -> None:
        """Let the workers go: queued chunks are dropped, and the workers exit on their own
        time (waiting for them cost ~9 ms a run); the executor's thread reaps them, at the
        latest when this process exits."""
        queue = getattr(self.pool, "_call_queue", None)  # shutdown() forgets it
        self.pool.shutdown(wait=False, cancel_futures=True)
        _close_call_queue_reader(queue)


@functools.cache
def _cpython_unblocks_broken_pools() -> bool:
    """Whether this CPython's executor closes a broken pool's call queue itself (the fix of
    gh-94777, present in 3.11.7 and 3.12 but not in Debian 12's 3.11.2).

    Read from the compiled method, not its source: a frozen app has no source, and guessing
    from the version got 3.11.7 wrong, so both sides closed the same pipe end from two
    threads, and the second close could hit a descriptor already reused by another pipe."""
    from concurrent.futures.process import _ExecutorManagerThread

    return "_reader" in _ExecutorManagerThread.terminate_broken.__code__.co_names


def _close_call_queue_reader(queue) -> None:
    """Close this process's read end of the pool's call queue (only workers read from it).

    When the workers die (a crash now, or later: the fork server killed under them) with
    something still to send, the queue's feeder thread can block for ever writing to a pipe
    nobody reads, and the executor's thread, which joins it, then hangs interpreter exit
    (CPython gh-94777; fixed in 3.12 and late 3.11 releases, but Debian 12 ships 3.11.2).
    With this end closed that write fails once no worker holds the pipe, as the fixed CPython
    arranges itself; while workers live they keep their own ends and nothing changes.
    """
    if _cpython_unblocks_broken_pools():
        return  # it closes the same end itself: closing it here too would race with it
    reader = getattr(queue, "_reader", None)
    if reader is not None:
        with contextlib.suppress(OSError):
            reader.close()
