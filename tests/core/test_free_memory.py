"""Freed heap memory handed back to the system (aldesk.core.free_memory)."""

from __future__ import annotations

import pytest

from aldesk.core import free_memory

pytestmark = pytest.mark.skipif(free_memory._malloc_trim() is None, reason="needs glibc")


def _anonymous_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("RssAnon")) / 1024


def test_memory_freed_inside_the_heap_goes_back_to_the_system():
    # 100 KB blocks come from the heap (below glibc's 128 KB mmap threshold); one kept above
    # them stops the heap from shrinking at its top, as a long-lived object does in the app
    blocks = [bytearray(b"x" * 100_000) for _ in range(800)]
    kept = bytearray(b"y" * 100_000)
    del blocks
    before = _anonymous_mb()
    assert free_memory.give_back()
    assert before - _anonymous_mb() > 40  # of the ~80 MB freed
    assert kept[0] == ord("y")
