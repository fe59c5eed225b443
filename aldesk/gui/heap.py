"""Keep the garbage collector's full passes short: each one holds the GIL from start to end.

CPython's cycle collector walks every object it tracks in a full (generation 2) pass. With a
100k-item project open and scikit-learn imported, that is ~150,000 objects and ~95 ms, during
which no other thread runs — the GUI thread included, however idle its own work. Such passes
come every time the heap has grown by a quarter, so several land while a project opens.

The objects in question live as long as the process: modules, their functions and classes, a
session's tables. ``settle`` moves everything alive into the collector's permanent generation
(``gc.freeze``), so later full passes only walk what was made since; ``building`` holds full
passes off while a large import runs (its own growth would set them off, each walking the
import so far) and settles after it. Cycles among frozen objects are not collected: a closed
window's are found by ``release`` (one full pass, once the window is deleted).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_building = 0  # how many ``building`` blocks are running (any thread)
_saved_threshold: tuple[int, int, int] | None = None
_NO_FULL_PASS = 1_000_000  # young (gen 1) passes before a full one: never, while building


def settle() -> None:
    """Keep what is alive now out of later full passes. Collects the young generations first
    (a few ms), so recent cyclic garbage is freed, not frozen."""
    gc.collect(1)
    gc.freeze()


@contextlib.contextmanager
def building() -> Iterator[None]:
    """No full pass while the block runs (young ones still do); ``settle`` after it."""
    global _building, _saved_threshold
    with _lock:
        _building += 1
        if _building == 1:
            _saved_threshold = gc.get_threshold()
            young, middle, _full = _saved_threshold
            gc.set_threshold(young, middle, _NO_FULL_PASS)
    try:
        yield
    finally:
        with _lock:
            _building -= 1
            if _building == 0 and _saved_threshold is not None:
                gc.set_threshold(*_saved_threshold)
                _saved_threshold = None
        settle()


def release() -> None:
    """A window closed: walk everything once (its cycles can be freed), then settle again."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def release_soon() -> None:
    """``release`` once the event loop runs again: connected to a window part's ``destroyed``,
    which fires while the window's Python objects are still referenced."""
    from PySide6.QtCore import QCoreApplication, QTimer

    if QCoreApplication.instance() is not None:  # not while the application itself goes
        QTimer.singleShot(0, release)
