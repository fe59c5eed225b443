"""Give memory the process has freed back to the system (glibc's ``malloc_trim``).

Why: glibc keeps what Python and NumPy free inside the process for reuse, unless the free
chunk is at the top of the heap. After a fit on 50,000 labels the training process kept 13 MB
resident that nothing used (``benchmarks/bench_memory.py``); ``malloc_trim(0)`` returns it in
4-7 ms, without the GIL (ctypes releases it). The training process trims after each job.

The app itself does not: the trim holds malloc's lock while it runs, and every allocation in
the process waits. Trimmed after each round, the app's key-press p95 rose by ~2.5 ms; trimmed
once per open (30 MB back at 100k items / 50,000 answers), its longest stall while opening
rose from 24-34 to 42-57 ms. Where there is no glibc (musl, macOS, Windows) it does nothing.

Also measured and not kept (eleventh session, 100k items / 50,000 answers): fixing glibc's
mmap threshold in the app with ``mallopt`` (by default it rises to the size of any large block
freed, so later blocks come from the heap and what they leave stays there). At 256 KiB the app
held ~40 MB less once open (PSS 508-512 against 544-553 MB), but key press -> paint p95 went
from 8.5-10.0 to 14.2-15.2 ms: the blocks a key press allocates were mapped and faulted in
afresh each time. 1 / 4 / 16 MiB gave 13.1 / 10.3-11.4 / 11.1-11.9 ms for less memory back.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return getattr(libc, "malloc_trim", None)


def give_back() -> bool:
    """Return the free memory at the top and inside the heap; False where there is no glibc."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
