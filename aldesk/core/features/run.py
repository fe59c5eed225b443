"""Feature runs: cached rows first, the rest extracted in worker processes, chunk by chunk.

Pure functions over a cache folder, no Qt: the GUI calls :func:`ensure_features` from its
feature lane with a ``progress`` callback and a ``should_stop`` predicate (Orange's TaskState).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np

from aldesk.core.errors import MediaError
from aldesk.core.features import extractors
from aldesk.core.features.cache import FeatureCache
from aldesk.core.features.types import FeatureResult, FeatureSet, Progress

DEFAULT_WORKERS = 2
MAX_CHUNK = 64  # items per worker task: IPC cost per item stays tiny, cancel stays prompt
MIN_CHUNK = 4
# Inline runs size later chunks to take about this long: big batches for small items (fewer
# cache writes, each with an fsync, and larger array operations), while cancel stays prompt.
CHUNK_SECONDS = 0.25
MAX_INLINE_CHUNK = 1024
FLUSH_SECONDS = CHUNK_SECONDS  # cache appends: about this often
POOL_CHUNK_SECONDS = 0.08
POLL_SECONDS = 0.2
# Below this much inline work the process pool does not pay for itself. Workers forked from a
# warm fork server start in milliseconds (measured: a 2-s job 1.3x, a 5-s job 1.7x faster with
# one worker beside this process on an idle 2-core VM); until the server has had
# SERVER_WARM_SECONDS to import, a worker may arrive late and leave this process waiting for
# its chunks at the end. Spawned workers took 1.5-3.3 s to start here (imports).
FORK_WORTH_SECONDS = 0.5
COLD_FORK_WORTH_SECONDS = 2.0
SERVER_WARM_SECONDS = 1.0
SPAWN_WORTH_SECONDS = 8.0
# Jobs this small never use the pool, so they do not start the fork server either.
SERVER_WORTH_ITEMS = 128
# What the fork server imports once, so every worker forked from it starts warm.
SERVER_PRELOAD = ["__main__", "aldesk.core.features.run", "scipy.fft"]

ProgressFn = Callable[[Progress], None]
StopFn = Callable[[], bool]


def default_extractor_id(kind: str, cache_dir: str | os.PathLike | None = None) -> str:
    """Id of the default extractor of ``kind`` ('image' or 'audio'), with its version.

    Args:
        kind: media kind.
        cache_dir: if given and a pool dictionary has been learned there, the id also carries
            the dictionary's fingerprint (the id :class:`FeatureSet` reports).
    """
    state = extractors.load_state(cache_dir, kind) if cache_dir is not None else None
    return extractors.full_id(kind, state)


def _cache(cache_dir: str | os.PathLike, kind: str, state: extractors.State) -> FeatureCache:
    return FeatureCache(Path(cache_dir) / extractors.full_id(kind, state), extractors.dim(kind))


def _feature_set(cache: FeatureCache, kind: str, state, hashes: list[str]) -> FeatureSet:
    X, found = cache.get(hashes)
    return FeatureSet(extractors.full_id(kind, state), X, found)


def load_cached(cache_dir: str | os.PathLike, kind: str, hashes: Iterable[str]) -> FeatureSet:
    """Rows already cached for ``hashes`` (in their order; hashes without rows are left out).

    Never extracts anything; cheap enough to call when a project opens.
    """
    state = extractors.load_state(cache_dir, kind)
    cache = _cache(cache_dir, kind, state)
    return _feature_set(cache, kind, state, list(dict.fromkeys(hashes)))


def extract_one(
    kind: str, item: str | os.PathLike | np.ndarray, cache_dir: str | os.PathLike
) -> np.ndarray:
    """Features of one item that is not in the pool (e.g. a blend made by the learner).

    Args:
        kind: 'image' or 'audio'.
        item: a file path, or a decoded array: uint8 HxW or HxWxC for images, float32 mono at
            ``ANALYSIS_RATE`` for audio.
        cache_dir: the project's cache (holds the image dictionary the pool's rows used).

    Returns:
        1-D float32 row, comparable with the project's cached rows.

    Raises:
        MediaError: if the item cannot be decoded.
        RuntimeError: if the image dictionary has not been learned yet (run
            :func:`ensure_features` on the pool first).
    """
    state = extractors.load_state(cache_dir, kind)
    if extractors.needs_state(kind) and state is None:
        raise RuntimeError("no feature dictionary in this cache yet: run ensure_features first")
    ok, X, failed = extractors.extract_batch(kind, [item], state)
    if failed:
        raise MediaError(failed[0], None if isinstance(item, np.ndarray) else str(item))
    return X[0]


def ensure_features(
    cache_dir: str | os.PathLike,
    kind: str,
    files: list[tuple[str, Path]],
    *,
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
    workers: int | None = None,
) -> FeatureResult:
    """Make sure every ``(hash, path)`` in files has cached features; extract the missing ones.

    Cached rows are never recomputed. The image dictionary is learned from the pool on the
    first run (deterministically: an even sample in hash order) and reused afterwards.
    Extraction runs in chunks, in ``workers`` processes (default 2; 0 or 1: in this process;
    small jobs also stay in this process, see ``_run``);
    each finished chunk is written to the cache at once, so a cancelled or killed run keeps its
    work. ``should_stop`` is polled between chunks (at most 64 items) and every 0.2 s while
    waiting on workers; on cancel, chunks already running finish and are kept.

    Args:
        cache_dir: the project's feature cache folder.
        kind: 'image' or 'audio'.
        files: ``(content hash, path)`` pairs; duplicate hashes are extracted once.
        progress: called with :class:`Progress` after each chunk.
        should_stop: returns True to cancel.
        workers: worker processes.

    Returns:
        FeatureResult with rows for every hash now cached, in the order of ``files``.
    """
    stop = should_stop or (lambda: False)
    # One path per hash (the last one given), in order of each hash's first appearance.
    unique = list(dict(files).items())
    hashes = [h for h, _ in unique]
    state = extractors.load_state(cache_dir, kind)
    failed: dict[str, str] = {}
    if extractors.needs_state(kind) and state is None:
        _maybe_start_server(len(unique), workers)  # warms up while the dictionary is learned
        if progress is not None:  # learning takes seconds: show the run has started
            progress(Progress(0, len(unique), 0.0, None))
        state = _learn_state(cache_dir, kind, unique, failed, stop)
        if state is None:
            empty = FeatureSet(
                extractors.full_id(kind, None), np.empty((0, extractors.dim(kind))), []
            )
            return FeatureResult(empty, failed, cancelled=stop())
    cache = _cache(cache_dir, kind, state)
    pending = [(h, p) for h, p in unique if h not in cache and h not in failed]
    _maybe_start_server(len(pending), workers)  # warms up while the first chunk runs here
    tracker = _Tracker(len(unique), len(unique) - len(pending), progress)
    tracker.report()
    sink = _Sink(cache, failed, tracker)
    try:
        cancelled = _run(kind, state, pending, sink, stop, workers)
    finally:
        sink.flush()
    cache.compact()
    return FeatureResult(_feature_set(cache, kind, state, hashes), failed, cancelled)


def _maybe_start_server(items: int, workers: int | None) -> None:
    if items >= SERVER_WORTH_ITEMS and _worker_count(workers) > 1:
        start_worker_server()


class _Tracker:
    """Counts finished items and reports Progress with a rate measured over this run."""

    def __init__(self, total: int, done: int, callback: ProgressFn | None) -> None:
        self.total, self.done, self.callback = total, done, callback
        self._start, self._start_done = time.perf_counter(), done

    def add(self, n: int) -> None:
        self.done += n
        self.report()

    def report(self) -> None:
        if self.callback is None:
            return
        elapsed = time.perf_counter() - self._start
        rate = (self.done - self._start_done) / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else None
        self.callback(Progress(self.done, self.total, rate, eta))


def _learn_state(cache_dir, kind, unique, failed, stop) -> extractors.State:
    """Learn and store the pool dictionary from up to LEARN_SAMPLE decodable items."""
    prepared: list[np.ndarray] = []
    for h, path in _even_sample_order(sorted(unique)):
        if stop():
            return None
        try:
            prepared.append(extractors.prepare(kind, path))
        except MediaError as err:
            failed[h] = err.reason
        if len(prepared) >= extractors.LEARN_SAMPLE:
            break
    if not prepared:
        return None
    state = extractors.learn_state(prepared, kind)
    extractors.save_state(cache_dir, kind, state)
    return state


def _even_sample_order(items: list) -> Iterator:
    """Items spread evenly over the list first, then the rest (deterministic)."""
    n = len(items)
    step = max(1, n // extractors.LEARN_SAMPLE)
    first = list(range(0, n, step))
    chosen = set(first)
    for i in first + [i for i in range(n) if i not in chosen]:
        yield items[i]


def _chunks(pending: list, workers: int) -> list[list]:
    size = max(MIN_CHUNK, min(MAX_CHUNK, len(pending) // max(1, 4 * workers)))
    return [pending[i : i + size] for i in range(0, len(pending), size)]


class _Sink:
    """Where finished chunks go: failures noted, progress reported, and rows appended to the
    cache as one chunk about every FLUSH_SECONDS (each append fsyncs twice; per 64-item work
    chunk that was a third of a small job's time). A killed run loses at most that much work.
    """

    def __init__(self, cache: FeatureCache, failed: dict, tracker: _Tracker) -> None:
        self.cache, self.failed, self.tracker = cache, failed, tracker
        self._hashes: list[str] = []
        self._rows: list[np.ndarray] = []
        self._since = time.perf_counter()

    def add(self, chunk: list, result: tuple) -> None:
        ok, X, bad = result
        if ok:
            self._hashes += [chunk[i][0] for i in ok]
            self._rows.append(X)
        self.failed.update({chunk[i][0]: reason for i, reason in bad.items()})
        self.tracker.add(len(chunk))
        if time.perf_counter() - self._since >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self._hashes:
            self.cache.append(self._hashes, np.concatenate(self._rows))
        self._hashes, self._rows = [], []
        self._since = time.perf_counter()


def _run(kind, state, pending, sink: _Sink, stop, workers) -> bool:
    """Extract pending items; returns True if cancelled.

    The first chunk always runs here, which measures the cost per item; processes are started
    only if the rest would take longer than SPAWN_WORTH_SECONDS here (starting spawn workers
    costs 1-3 s of imports, more than small jobs take).
    """
    workers = _worker_count(workers)
    chunks = _chunks(pending, max(1, workers))
    if not chunks:
        return False
    with extractors.extraction_context():
        extractors.warm_up(kind)
        started = time.perf_counter()
        if _run_inline(kind, state, chunks[:1], sink, stop):
            return True
        per_item = (time.perf_counter() - started) / len(chunks[0])
        rest = pending[len(chunks[0]) :]
        if workers <= 1 or per_item * len(rest) < _pool_worth_seconds():
            size = int(CHUNK_SECONDS / max(per_item, 1e-6))
            size = max(len(chunks[0]), min(MAX_INLINE_CHUNK, size))
            inline = [rest[i : i + size] for i in range(0, len(rest), size)]
            return _run_inline(kind, state, inline, sink, stop)
    return _run_pool(kind, state, _pool_chunks(rest, per_item, workers), sink, stop, workers)


def _pool_chunks(rest: list, per_item: float, workers: int) -> list[list]:
    """Chunks of about POOL_CHUNK_SECONDS each (bigger batches compute faster), but at least
    four per process so the end of the run stays balanced."""
    size = min(int(POOL_CHUNK_SECONDS / max(per_item, 1e-6)), len(rest) // (4 * workers))
    size = max(MIN_CHUNK, min(MAX_INLINE_CHUNK, size))
    return [rest[i : i + size] for i in range(0, len(rest), size)]


def _pool_context() -> multiprocessing.context.BaseContext:
    """forkserver where the platform has it (not in a frozen app), else spawn.

    Never plain fork: the GUI process has Qt threads, and forking a threaded process can
    deadlock. The fork server is started by exec like a spawned interpreter, imports
    SERVER_PRELOAD once, and then forks each worker already warm: milliseconds instead of the
    0.3-0.9 s of imports a spawned worker pays, which is what makes the pool worth starting for
    jobs of seconds. spawn is what Windows has (and what a PyInstaller build uses here).
    """
    if "forkserver" in multiprocessing.get_all_start_methods() and not getattr(
        sys, "frozen", False
    ):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(SERVER_PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def _pool_worth_seconds() -> float:
    if _pool_context().get_start_method() != "forkserver":
        return SPAWN_WORTH_SECONDS
    warm = _server_started is not None and time.monotonic() - _server_started >= SERVER_WARM_SECONDS
    return FORK_WORTH_SECONDS if warm else COLD_FORK_WORTH_SECONDS


_server_started: float | None = None


def start_worker_server() -> None:
    """Start the feature workers' fork server now, if the platform uses one; returns at once.

    The server imports numpy, Pillow, scipy.fft and the extractors in its own process, so
    calling this early (when a project opens) makes the first extraction's workers start
    warm. Idempotent and cheap when the server already runs.
    """
    global _server_started
    if _pool_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()
        if _server_started is None:
            _server_started = time.monotonic()


def _worker_count(requested: int | None) -> int:
    """Worker processes for a run: as asked (default DEFAULT_WORKERS), at most one per CPU
    this process may use (more only contend for the same cores)."""
    workers = DEFAULT_WORKERS if requested is None else max(0, requested)
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return min(workers, cpus)


def _run_inline(kind, state, chunks, sink: _Sink, stop) -> bool:
    for chunk in chunks:
        if stop():
            return True
        result = extractors.extract_batch(kind, [p for _, p in chunk], state)
        sink.add(chunk, result)
    return False


# Worker-process side: the dictionary is sent once per worker, not with every chunk.
_WORKER_STATE: tuple[str, extractors.State] | None = None
_WORKER_CONTEXT: list = []


def _init_worker(kind: str, arrays: dict | None) -> None:
    global _WORKER_STATE
    from aldesk.core.features.patches import PatchDictionary

    state = PatchDictionary.from_arrays(arrays) if arrays is not None else None
    _WORKER_STATE = (kind, state)
    # For the worker's whole life: one BLAS thread, freed memory kept for the next chunk (the
    # context is kept referenced: collecting it would leave it).
    _WORKER_CONTEXT.append(extractors.extraction_context())
    _WORKER_CONTEXT[-1].__enter__()


def _work(paths: list[str]) -> tuple[list[int], np.ndarray, dict[int, str]]:
    kind, state = _WORKER_STATE
    return extractors.extract_batch(kind, paths, state)


def _result(fut: Future, n: int) -> tuple[list[int], np.ndarray, dict[int, str]]:
    """A chunk's result; a crashed worker (e.g. a decoder segfault) fails its chunk only."""
    try:
        return fut.result()
    except Exception as exc:  # BrokenProcessPool, or a bug: report, do not lose the run
        what = "worker crashed" if isinstance(exc, BrokenProcessPool) else type(exc).__name__
        reason = f"extraction failed ({what})"
        return [], np.empty((0, 0), dtype=np.float32), dict.fromkeys(range(n), reason)


def _run_pool(kind, state, chunks, sink: _Sink, stop, workers) -> bool:
    """Extract chunks in ``workers - 1`` processes and in this one, from one queue.

    This process works too, so nothing waits for workers to start (the first job of a
    process may find the fork server still importing) and ``workers`` cores stay busy. Each
    worker holds two chunks (one running, one waiting, so it never idles on a round trip);
    a chunk sent to a worker can not be taken back, so deeper queues could leave this process
    waiting at the end. If a worker dies (a decoder crash), the chunks it held are reported
    failed and this process extracts the rest.
    """
    processes = max(1, workers - 1)
    arrays = state.arrays() if state is not None else None
    queue = deque(chunks)
    running: dict[Future, list] = {}
    cancelled = broken = False
    pool = ProcessPoolExecutor(processes, _pool_context(), _init_worker, (kind, arrays))
    with pool, extractors.extraction_context():

        def collect(done: Iterable[Future]) -> None:
            nonlocal broken
            for fut in done:
                chunk = running.pop(fut)
                broken = broken or isinstance(fut.exception(), BrokenProcessPool)
                sink.add(chunk, _result(fut, len(chunk)))

        while queue or running:
            collect([f for f in running if f.done()])
            if not cancelled and stop():
                cancelled = True
                queue.clear()  # running chunks finish and are kept
            while queue and len(running) < 2 * processes and not broken:
                try:
                    fut = pool.submit(_work, [str(p) for _, p in queue[0]])
                except BrokenProcessPool:
                    broken = True  # the chunk stays queued for this process
                else:
                    running[fut] = queue.popleft()
            if queue:  # this process takes from the far end
                chunk = queue.pop()
                result = extractors.extract_batch(kind, [p for _, p in chunk], state)
                sink.add(chunk, result)
            elif running:
                collect(wait(running, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)[0])
    return cancelled
