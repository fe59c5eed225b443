"""Feature extraction in worker processes: parity, crashes, cancellation, the fork server."""

from __future__ import annotations

import multiprocessing
import os
import sys

import numpy as np
import pytest
from feature_files import image_files
from process_waits import wait_gone

from aldesk.core import features
from aldesk.core.features import processes


def _force_pool(monkeypatch) -> None:
    """Every job goes to the process pool, whether or not the fork server is ready yet."""
    monkeypatch.setattr(processes, "pool_worth_seconds", lambda: 0.0)
    monkeypatch.setattr(processes, "pool_ready", lambda: True)


@pytest.mark.parametrize("method", ["default", "spawn"])  # spawn: Windows
def test_worker_processes_match_inline(tmp_path, monkeypatch, method):
    files = image_files(tmp_path, 40)
    inline = features.ensure_features(tmp_path / "c1", "image", files, workers=0).features
    _force_pool(monkeypatch)
    if method != "default":
        monkeypatch.setattr(processes, "pool_context", lambda: multiprocessing.get_context(method))
    progress = []
    pooled = features.ensure_features(
        tmp_path / "c2", "image", files, workers=2, progress=progress.append
    )
    assert not pooled.failed
    np.testing.assert_allclose(pooled.features.X, inline.X, rtol=1e-5, atol=1e-5)
    assert progress[-1].done == progress[-1].total == 40 and progress[-1].eta_seconds == 0


_original_close_reader = processes._close_call_queue_reader


def _die(*args):  # runs in a worker process (pickled by reference): a decoder that segfaults
    os._exit(3)


def test_a_dead_worker_fails_its_chunks_and_this_process_does_the_rest(tmp_path, monkeypatch):
    files = image_files(tmp_path, 60)
    inline = features.ensure_features(tmp_path / "c1", "image", files, workers=0).features
    _force_pool(monkeypatch)
    monkeypatch.setattr(processes, "_work", _die)
    result = features.ensure_features(tmp_path / "c2", "image", files, workers=2)
    assert not result.cancelled
    assert set(result.failed.values()) == {"extraction failed (worker crashed)"}
    # The worker held at most two chunks; everything else was extracted here.
    assert 0 < len(result.failed) <= len(files) // 4
    assert len(result.features) + len(result.failed) == len(files)
    rows = [inline.row(h) for h in result.features.hashes]
    np.testing.assert_allclose(result.features.X, inline.X[rows], rtol=1e-5, atol=1e-5)


def test_a_broken_pool_does_not_hold_up_interpreter_exit(tmp_path, monkeypatch):
    # CPython gh-94777 (Debian 12's 3.11.2): the feeder of a dead pool's call queue blocks on a
    # pipe nobody reads and the executor thread joining it hangs exit; its read end must close.
    files = image_files(tmp_path, 60)
    _force_pool(monkeypatch)
    monkeypatch.setattr(processes, "_work", _die)
    handed: list = []

    def spy(queue) -> None:  # still closes it: a run that skipped it would hang this process
        handed.append(queue)
        _original_close_reader(queue)

    monkeypatch.setattr(processes, "_close_call_queue_reader", spy)
    result = features.ensure_features(tmp_path / "c", "image", files, workers=2)
    assert result.failed and handed and all(q is not None for q in handed)
    import multiprocessing

    for fixed in (False, True):  # an unfixed CPython needs us; a fixed one does it itself
        queue = multiprocessing.get_context("spawn").Queue()
        monkeypatch.setattr(processes, "_cpython_unblocks_broken_pools", lambda f=fixed: f)
        _original_close_reader(queue)
        assert queue._reader.closed is not fixed
        queue._writer.close()


def test_workers_that_cannot_start_leave_the_work_to_this_process(tmp_path, monkeypatch):
    from concurrent.futures import ProcessPoolExecutor

    def refuse(self, fn, *args):
        raise BrokenPipeError(32, "Broken pipe")  # e.g. the fork server died

    files = image_files(tmp_path, 40)
    inline = features.ensure_features(tmp_path / "c1", "image", files, workers=0).features
    _force_pool(monkeypatch)
    monkeypatch.setattr(ProcessPoolExecutor, "submit", refuse)
    result = features.ensure_features(tmp_path / "c2", "image", files, workers=2)
    assert not result.failed and not result.cancelled
    np.testing.assert_allclose(result.features.X, inline.X, rtol=1e-5, atol=1e-5)


def test_cancelling_a_pool_run_keeps_what_finished(tmp_path, monkeypatch, counted):
    files = image_files(tmp_path, 80)
    cache = tmp_path / "cache"
    _force_pool(monkeypatch)
    seen = []

    def stop_at_half() -> bool:
        return bool(seen) and seen[-1].done >= len(files) // 2

    result = features.ensure_features(
        cache, "image", files, workers=2, progress=seen.append, should_stop=stop_at_half
    )
    assert result.cancelled and not result.failed
    kept = len(result.features)
    assert len(files) // 2 <= kept < len(files)
    counted.clear()
    done = features.ensure_features(cache, "image", files, workers=0)
    assert len(done.features) == len(files) and sum(counted) == len(files) - kept


@pytest.mark.skipif(sys.platform != "linux", reason="the fork server is a POSIX start method")
def test_workers_fork_from_a_preloaded_server_not_the_threaded_parent():
    context = processes.pool_context()
    assert context.get_start_method() == "forkserver"
    processes.start_worker_server()
    processes.start_worker_server()  # idempotent
    from multiprocessing import forkserver

    assert forkserver._forkserver._forkserver_pid is not None
    assert "aldesk.core.features.processes" in forkserver._forkserver._preload_modules


@pytest.mark.skipif(sys.platform != "linux", reason="the fork server is a POSIX start method")
def test_the_pool_waits_for_a_ready_server(monkeypatch):
    import threading

    monkeypatch.setattr(processes, "_server_ready", threading.Event())
    monkeypatch.setattr(processes, "_probe_started", False)
    assert not processes.pool_ready()
    assert processes.wait_for_worker_server()
    assert processes.pool_ready()


def test_a_run_extracts_here_until_the_server_is_ready(tmp_path, monkeypatch):
    # Never blocks on a server that is still importing: without a ready server every chunk
    # runs in this process, however big the job.
    monkeypatch.setattr(processes, "pool_worth_seconds", lambda: 0.0)
    monkeypatch.setattr(processes, "pool_ready", lambda: False)
    monkeypatch.setattr(processes, "run_pool", lambda *a: pytest.fail("pool started"))
    files = image_files(tmp_path, 40)
    result = features.ensure_features(tmp_path / "c", "image", files, workers=2)
    assert len(result.features) == 40 and not result.failed


@pytest.mark.skipif(sys.platform != "linux", reason="the fork server is a POSIX start method")
def test_workers_inherit_single_threaded_blas_from_the_server():
    # The server sets the limit before forking, so workers never restart OpenBLAS's threads
    # by setting it themselves; this process keeps its own threads for training.
    from concurrent.futures import ProcessPoolExecutor

    from aldesk.core.features import extractors

    processes.start_worker_server()
    with ProcessPoolExecutor(1, processes.pool_context()) as pool:
        assert pool.submit(extractors.blas_threads).result() == 1
    assert "aldesk.core.features.worker_server" not in sys.modules


def test_few_but_heavy_items_start_the_server_and_use_the_pool(tmp_path, monkeypatch):
    # The server is started early by item count (>= 128); a short list of long clips is worth
    # a pool too, judged on the first chunk's cost.
    started, pooled = [], []
    real_run_pool = processes.run_pool
    monkeypatch.setattr(processes, "pool_worth_seconds", lambda: 0.0)
    monkeypatch.setattr(processes, "pool_ready", lambda: bool(started))
    monkeypatch.setattr(processes, "start_worker_server", lambda kind=None: started.append(kind))
    monkeypatch.setattr(processes, "run_pool", lambda *a: pooled.append(1) or real_run_pool(*a))
    files = image_files(tmp_path, 40)
    result = features.ensure_features(tmp_path / "c", "image", files, workers=2)
    assert started[:1] == ["image"] and pooled == [1]
    assert len(result.features) == 40 and not result.failed


def test_a_long_job_starts_its_workers_before_the_first_chunk(tmp_path, monkeypatch):
    # Long enough to be worth a pool whatever its items cost: the worker's start-up overlaps
    # this process's first chunk instead of following it.
    from aldesk.core.features import extractors, run

    events = []
    real_feed, real_extract = processes.PoolRun.feed, extractors.extract_batch

    def feed(self, queue):
        events.append("feed")
        real_feed(self, queue)

    def extract_here(kind, items, state):
        events.append("here")
        return real_extract(kind, items, state)

    files = image_files(tmp_path, 48)
    inline = features.ensure_features(tmp_path / "c1", "image", files, workers=0).features
    monkeypatch.setattr(run, "EAGER_POOL_ITEMS", 40)
    monkeypatch.setattr(processes, "pool_ready", lambda: True)
    monkeypatch.setattr(processes.PoolRun, "feed", feed)
    monkeypatch.setattr(extractors, "extract_batch", extract_here)
    result = features.ensure_features(tmp_path / "c2", "image", files, workers=2)
    assert events[:2] == ["feed", "here"]
    assert not result.failed and not result.cancelled
    np.testing.assert_allclose(result.features.X, inline.X, rtol=1e-5, atol=1e-5)


def test_cancelling_during_the_first_chunk_keeps_the_workers_chunks(tmp_path, monkeypatch):
    from aldesk.core.features import run

    files = image_files(tmp_path, 48)
    monkeypatch.setattr(run, "EAGER_POOL_ITEMS", 40)
    monkeypatch.setattr(processes, "pool_ready", lambda: True)
    seen = []
    result = features.ensure_features(
        tmp_path / "c",
        "image",
        files,
        workers=2,
        progress=seen.append,
        should_stop=lambda: len(seen) > 1,  # after the first chunk's report
    )
    assert result.cancelled and not result.failed
    first = min(run.MAX_CHUNK, len(files) // 8)
    # This process's first chunk, and the worker's chunks that were already running.
    assert first < len(result.features) < len(files)
    assert seen[-1].done == len(result.features)


def test_a_new_project_starts_the_feature_server_before_hashing_its_files(tmp_path, monkeypatch):
    # Its ~0.6-1.3 s of imports then overlap the scan instead of the first extraction.
    from pool_files import write_wav

    from aldesk.core import pool
    from aldesk.core.features import run
    from aldesk.core.project import create_project

    for i in range(6):
        write_wav(tmp_path / "clips" / f"c{i}.wav", 300 + 50 * i)
    events = []
    real_hash = pool._hash_file
    monkeypatch.setattr(run, "SERVER_WORTH_ITEMS", 5)
    monkeypatch.setattr(run, "_worker_count", lambda requested: 2)  # whatever the CPUs here
    monkeypatch.setattr(processes, "start_worker_server", lambda kind=None: events.append(kind))
    monkeypatch.setattr(pool, "_hash_file", lambda p: events.append("hash") or real_hash(p))
    store, _ = create_project(tmp_path / "p.aldesk", tmp_path / "clips", ["a", "b"])
    store.close()
    assert events[0] == "audio" and events[1:] == ["hash"] * 6


def test_spawned_workers_are_never_started_before_the_first_chunk(monkeypatch):
    # Spawned workers take seconds to import everything: a run measures its items first.
    from collections import deque

    from aldesk.core.features import run

    monkeypatch.setattr(processes, "pool_context", lambda: multiprocessing.get_context("spawn"))
    monkeypatch.setattr(processes, "PoolRun", lambda *a: pytest.fail("pool started"))
    assert run._early_pool("image", None, 10_000, deque([[("h", "p")]]), 2) is None


def test_an_error_in_the_first_chunk_lets_the_early_worker_go(tmp_path, monkeypatch):
    from aldesk.core.features import extractors, run

    closed = []
    real_close = processes.PoolRun.close

    def boom(kind, items, state):
        raise MemoryError

    monkeypatch.setattr(run, "EAGER_POOL_ITEMS", 40)
    monkeypatch.setattr(processes, "pool_ready", lambda: True)
    monkeypatch.setattr(processes.PoolRun, "close", lambda self: closed.append(real_close(self)))
    monkeypatch.setattr(extractors, "extract_batch", boom)
    with pytest.raises(MemoryError):
        features.ensure_features(tmp_path / "c", "image", image_files(tmp_path, 48), workers=2)
    assert len(closed) == 1


@pytest.mark.skipif(sys.platform != "linux", reason="the fork server is a POSIX start method")
def test_a_dead_server_is_restarted_and_not_ready_until_it_is(monkeypatch):
    import signal
    import threading
    import time

    monkeypatch.setattr(processes, "_server_ready", threading.Event())
    monkeypatch.setattr(processes, "_probe_started", False)
    assert processes.wait_for_worker_server("image")
    dead = processes._server_pid()
    os.kill(dead, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _alive(dead) and time.monotonic() < deadline:  # a zombie until reaped: still a pid
        os.sched_yield()
    processes.start_worker_server("image")
    assert processes._server_pid() not in (None, dead)
    assert not processes.pool_ready()  # the new server is still importing
    assert processes.wait_for_worker_server("image")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_cpython_fix_is_detected_without_source():
    # A frozen app has no source to read; the compiled method must say what the source says.
    import inspect
    from concurrent.futures.process import _ExecutorManagerThread

    processes._cpython_unblocks_broken_pools.cache_clear()
    source = inspect.getsource(_ExecutorManagerThread.terminate_broken)
    assert processes._cpython_unblocks_broken_pools() == ("_reader.close()" in source)


APP_THAT_VANISHES = """
import os
from concurrent.futures import ProcessPoolExecutor
from aldesk.core.features import processes
pool = ProcessPoolExecutor(2, processes.pool_context(), processes._init_worker,
                          (processes.app_alive_reader(),))
pids = {pool.submit(os.getpid).result() for _ in range(4)}
print(*pids, flush=True)
os._exit(0)  # killed or crashed: the pool is never shut down
"""


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="Linux pidfds")
def test_workers_end_when_the_app_is_gone():
    import subprocess

    done = subprocess.run([sys.executable, "-c", APP_THAT_VANISHES], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    pids = [int(p) for p in done.stdout.split()]
    assert pids and done.returncode == 0
    # Without the watch they would wait for their next chunk for ever.
    assert all(wait_gone(pid, 60) for pid in pids), "a worker outlived the app"


def test_items_lost_with_a_crashed_worker_are_not_flagged_and_are_read_again(tmp_path, monkeypatch):
    """Workers that crashed for a reason of the machine's (an `aldesk` folder shadowing the
    package) had 34 good photos marked unreadable, for good."""
    from aldesk.core.project import ProjectSettings, compute_features, create_project, flag_failures

    pool = tmp_path / "pool"
    pool.mkdir()
    for k, (_, path) in enumerate(image_files(tmp_path, 12)):
        path.rename(pool / f"{k}.png")
    store, _ = create_project(tmp_path / "p", pool, ["a", "b"], ProjectSettings(test_size=0))
    items = store.items()
    crashed = {items[0].hash: "extraction failed (worker crashed)"}
    broken = {items[1].hash: "cannot identify image file"}
    assert flag_failures(store, {**crashed, **broken}) == 1
    status = {it.hash: it.status for it in store.items()}
    assert status[items[0].hash] == "ok" and status[items[1].hash] == "unreadable"
    result = compute_features(store)  # the next extraction reads the lost one again
    assert result.features.row(items[0].hash) is not None
    store.close()
