"""Simulations sharing one ``--cache`` (``make -j``) extract into it one at a time."""

from __future__ import annotations

import fcntl
import threading

from aldesk.core.simulate_pool import _cache_lock


def test_a_second_run_waits_for_the_cache_and_says_so(tmp_path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    waiting, inside = threading.Event(), threading.Event()

    def log(message: str) -> None:
        if message.startswith("waiting for another run"):
            waiting.set()

    def second_run() -> None:
        with _cache_lock(cache, log):
            inside.set()

    with open(cache / ".lock", "a") as held:  # the first run, extracting
        fcntl.flock(held, fcntl.LOCK_EX)
        thread = threading.Thread(target=second_run)
        thread.start()
        assert waiting.wait(30)
        assert not inside.is_set()
        fcntl.flock(held, fcntl.LOCK_UN)
    thread.join(30)
    assert inside.is_set()
