"""Give memory the process has freed back to the system (glibc's ``malloc_trim``).

Why: glibc keeps what Python and NumPy free inside the process for reuse, unless the free
chunk is at the top of the heap. After a burst of work (a project of 100k items read and its
maps built, a round applied, a fit on 50,000 labels) tens of MB stay resident that nothing
uses: at 100k items and 50,000 answers, 30 MB in the app and 13 MB in the training process
(``benchmarks/bench_memory.py``). ``malloc_trim(0)`` returns them in 4-7 ms, without the GIL
(ctypes releases it), but it holds malloc's lock meanwhile: any allocation in the process
waits. So the app trims after bursts that end its quiet phases (an open), never while the user
labels. Where there is no glibc (musl, macOS, Windows) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import threading


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


def give_back_soon() -> None:
    """:func:`give_back` on a short-lived thread: the caller (the GUI thread) does not wait."""
    threading.Thread(target=give_back, name="aldesk-free-memory", daemon=True).start()
