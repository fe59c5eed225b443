"""Feature runs: cached rows first, the rest extracted in worker processes, chunk by chunk.

Pure functions over a cache folder, no Qt: the GUI calls :func:`ensure_features` from its
feature lane with a ``progress`` callback and a ``should_stop`` predicate (Orange's TaskState).
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from aldesk.core.errors import MediaError
from aldesk.core.features import extractors, processes
from aldesk.core.features.cache import FeatureCache, replace_with_folder
from aldesk.core.features.item_files import ItemFiles
from aldesk.core.features.types import FeatureResult, FeatureSet, Progress

DEFAULT_WORKERS = 2
MAX_CHUNK = 64  # items in the first chunk, which runs here and measures the cost per item
MIN_CHUNK = 4  # items in a pool chunk, unless each item alone is a tail chunk's work
# Inline runs size later chunks to take about this long: big batches for small items (fewer
# cache writes, each with an fsync, and larger array operations), while cancel stays prompt.
CHUNK_SECONDS = 0.25
MAX_INLINE_CHUNK = 1024
FLUSH_SECONDS = CHUNK_SECONDS  # cache appends: about this often
POOL_CHUNK_SECONDS = 0.08
POOL_TAIL_SECONDS = 0.01
# Jobs this small never use the pool, so they do not start the fork server either.
SERVER_WORTH_ITEMS = 128
# Jobs this long start their worker (forked in ~20 ms) before the first chunk has measured what
# an item costs. With the cheapest items (28×28 PNGs, ~0.3 ms each with their encoding) that
# made 512 and 256 items 1.2x faster, and 128 items 1.25x slower.
EAGER_POOL_ITEMS = 256

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


def _cache(
    cache_dir: str | os.PathLike, kind: str, state: extractors.State, notes: list[str]
) -> FeatureCache:
    cache = FeatureCache(Path(cache_dir) / extractors.full_id(kind, state), extractors.dim(kind))
    notes += cache.notes
    return cache


def _check_folder(cache_dir: str | os.PathLike, notes: list[str]) -> None:
    """The cache folder itself: a file or a broken link in its place is replaced."""
    path = Path(cache_dir)
    if not path.is_dir() and (path.exists() or path.is_symlink()):
        notes.append(replace_with_folder(path))


def _feature_set(cache: FeatureCache, kind: str, state, hashes: list[str]) -> FeatureSet:
    X, found = cache.get(hashes)
    return FeatureSet(extractors.full_id(kind, state), X, found)


def load_cached(cache_dir: str | os.PathLike, kind: str, hashes: Iterable[str]) -> FeatureSet:
    """Rows already cached for ``hashes`` (in their order; hashes without rows are left out).

    Never extracts anything; cheap enough to call when a project opens.
    """
    state = extractors.load_state(cache_dir, kind)
    cache = _cache(cache_dir, kind, state, [])
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
    files: ItemFiles | list[tuple[str, Path]],
    *,
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
    workers: int | None = None,
) -> FeatureResult:
    """Make sure every ``(hash, path)`` in files has cached features; extract the missing ones.

    Cached rows are never recomputed. The image dictionary is learned from the pool on the
    first run (deterministically: an even sample in hash order) and reused afterwards.
    Extraction runs in chunks, in this process and, for jobs worth it, ``workers - 1`` worker
    processes beside it (default 2 in all; 0 or 1: this process only; see ``_run``).
    Finished rows reach the cache about every 0.25 s, so a cancelled or killed run keeps
    nearly all its work. ``should_stop`` is polled between chunks (about 0.25 s of work here,
    0.08 s with workers) and every 0.2 s while waiting on them; on cancel, chunks already
    running finish and are kept.

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
    hashes, path_of = _unique(files)
    notes: list[str] = []
    _check_folder(cache_dir, notes)
    state = extractors.load_state(cache_dir, kind, notes)
    failed: dict[str, str] = {}
    if extractors.needs_state(kind) and state is None:
        _maybe_start_server(kind, len(hashes), workers)  # warms up while the dictionary is learned
        if progress is not None:  # learning takes seconds: show the run has started
            progress(Progress(0, len(hashes), 0.0, None, kind))
        unique = [(h, path_of(j)) for j, h in enumerate(hashes)]
        state = _learn_state(cache_dir, kind, unique, failed, stop)
        del unique
        if state is None:
            empty = FeatureSet(
                extractors.full_id(kind, None), np.empty((0, extractors.dim(kind))), []
            )
            return FeatureResult(empty, failed, cancelled=stop(), notes=tuple(notes))
    cache = _cache(cache_dir, kind, state, notes)
    missing = np.flatnonzero(~cache.contains_many(hashes)).tolist()
    pending = [(hashes[j], path_of(j)) for j in missing if hashes[j] not in failed]
    _maybe_start_server(kind, len(pending), workers)  # warms up while the first chunk runs here
    tracker = _Tracker(len(hashes), len(hashes) - len(pending), progress, kind)
    tracker.report()
    sink = _Sink(cache, failed, tracker)
    try:
        cancelled = _run(kind, state, pending, sink, stop, workers)
    finally:
        sink.flush()
    cache.compact()
    features = _feature_set(cache, kind, state, hashes)
    return FeatureResult(features, failed, cancelled, tuple(notes))


def _unique(files: ItemFiles | Iterable[tuple[str, object]]) -> tuple[list[str], Callable]:
    """Each hash once, in order of first appearance, and ``path_of(j)``: the path of the
    ``j``-th (the last one given for it). In a loop, as ``dict(files)`` held the GIL 30-40 ms
    at 100k files; paths are looked up only for the items that need them."""
    if isinstance(files, ItemFiles):
        every, path_at = files.hashes, files.path
    else:
        pairs = list(files)
        every, path_at = [h for h, _ in pairs], (lambda i: pairs[i][1])
    last: dict[str, int] = {}
    for i, content_hash in enumerate(every):
        last[content_hash] = i
    where = np.fromiter(last.values(), dtype=np.int64, count=len(last))
    return list(last), lambda j: path_at(int(where[j]))


def prepare_extraction(kind: str, items: int, workers: int | None = None) -> None:
    """Get ready to extract ``items`` items of ``kind`` soon; returns at once.

    Starts the worker processes' fork server now if such a job would use it, so that its
    imports (0.4 s; 1.2 s for audio, with ``scipy.signal``) overlap what the caller does first (a new project's pool scan) instead
    of the extraction, which runs in this process alone until the server is ready.
    """
    _maybe_start_server(kind, items, workers)


def _maybe_start_server(kind: str, items: int, workers: int | None) -> None:
    if items >= SERVER_WORTH_ITEMS and _worker_count(workers) > 1:
        processes.start_worker_server(kind)


class _Tracker:
    """Counts finished items and reports Progress with a rate measured over this run."""

    def __init__(self, total: int, done: int, callback: ProgressFn | None, kind: str = "") -> None:
        self.total, self.done, self.callback, self.kind = total, done, callback, kind
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
        self.callback(Progress(self.done, self.total, rate, eta, self.kind))


def _learn_state(cache_dir, kind, unique, failed, stop) -> extractors.State:
    """Learn and store the pool dictionary from up to LEARN_SAMPLE decodable items."""
    prepared: list[np.ndarray] = []
    for h, path in _even_sample_order(sorted(unique)):
        if stop():
            return None
        array, reason = extractors.prepare_or_reason(kind, path)
        if array is None:
            failed[h] = reason
        else:
            prepared.append(array)
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
    """Fixed-size chunks. The first runs in this process and measures the cost per item, so
    a short job's is short (20 recordings: 2 of them, not 4 at 24 ms each)."""
    size = max(1, min(MAX_CHUNK, len(pending) // max(1, 4 * workers)))
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

    The first chunk always runs here, which measures the cost per item. The rest goes to the
    pool once the pool is ready to start without waiting (a fork server still importing would
    block the first worker's start) and only while the work left would take longer than
    ``processes.pool_worth_seconds()`` here; until then chunks run here. A job of
    EAGER_POOL_ITEMS or more, with the fork server ready, starts its worker before the first
    chunk instead, so the worker's start-up overlaps that chunk.
    """
    workers = _worker_count(workers)
    chunks = _chunks(pending, max(1, workers))
    if not chunks:
        return False
    with extractors.extraction_context():
        extractors.warm_up(kind)
        ahead = deque(chunks[1:])
        early = _early_pool(kind, state, len(pending), ahead, workers)
        started = time.perf_counter()
        try:
            cancelled = _run_inline(kind, state, chunks[:1], sink, stop)
        except BaseException:
            if early is not None:  # e.g. out of memory: do not leave its worker running
                early.close()
            raise
        per_item = (time.perf_counter() - started) / len(chunks[0])
        rest = [item for chunk in ahead for item in chunk]
        if early is not None:
            return early.run([] if cancelled else _pool_chunks(rest, per_item, workers), sink, stop)
        if cancelled:
            return True
        size = int(CHUNK_SECONDS / max(per_item, 1e-6))
        size = max(len(chunks[0]), min(MAX_INLINE_CHUNK, size))
        worth = processes.pool_worth_seconds() if workers > 1 else float("inf")
        if per_item * len(rest) >= worth:  # few but heavy items: not started by count
            processes.start_worker_server(kind)
        while rest and (per_item * len(rest) < worth or not processes.pool_ready()):
            if _run_inline(kind, state, [rest[:size]], sink, stop):
                return True
            rest = rest[size:]
        if not rest:
            return False
    return processes.run_pool(
        kind, state, _pool_chunks(rest, per_item, workers), sink, stop, workers
    )


def _early_pool(kind, state, items: int, ahead: deque, workers: int) -> processes.PoolRun | None:
    """A pool already working on the first chunks of ``ahead``, for a job of at least
    EAGER_POOL_ITEMS items whose fork server is ready; else None."""
    if workers < 2 or items < EAGER_POOL_ITEMS or not processes.pool_ready():
        return None
    if processes.pool_worth_seconds() > processes.FORK_WORTH_SECONDS:
        return None  # spawned workers (Windows) take seconds to start: measure first
    early = processes.PoolRun(kind, state, workers)
    early.feed(ahead)
    return early


def _pool_chunks(rest: list, per_item: float, workers: int) -> list[list]:
    """Guided chunks: about POOL_CHUNK_SECONDS each (bigger batches compute faster), at least
    four per process, and shrinking with the work that remains (a quarter of it per process,
    down to POOL_TAIL_SECONDS), so that all processes run out of work at about the same time."""
    per_item = max(per_item, 1e-6)
    # Items heavier than a tail chunk's share go fewer at a time, down to one: batching them
    # gains nothing, and a last chunk of four 24-ms recordings left one process 0.1 s alone.
    floor = max(1, min(MIN_CHUNK, int(POOL_TAIL_SECONDS / per_item)))
    largest = min(int(POOL_CHUNK_SECONDS / per_item), len(rest) // (4 * workers))
    largest = max(floor, min(MAX_INLINE_CHUNK, largest))
    smallest = max(floor, min(largest, int(POOL_TAIL_SECONDS / per_item)))
    chunks, start = [], 0
    while start < len(rest):
        size = min(largest, max(smallest, (len(rest) - start) // (4 * workers)))
        chunks.append(rest[start : start + size])
        start += size
    return chunks


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
