"""Work-arounds for defects of the Qt binding, applied before any widget is built.

PySide6 6.12 on CPython 3.11 returns ``None`` from every void method (``setText``, ``lineTo``,
``parent()`` returning nothing, ...) without taking a reference. Each call lowers ``None``'s
reference count by one; after a few thousand calls (a few seconds of painting) CPython aborts with
"Fatal Python error: none_dealloc". CPython 3.12+ made ``None`` immortal, which hides the defect,
so there the guard does nothing. On older versions the guard gives ``None`` a reference count no
program can exhaust, which is exactly what 3.12 does by design.
"""

from __future__ import annotations

import sys

_HEADROOM = 1 << 48


def guard_none_refcount() -> None:
    """Make ``None`` effectively immortal on CPython < 3.12 (idempotent)."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    import ctypes

    refcnt = ctypes.c_ssize_t.from_address(id(None))
    if refcnt.value < _HEADROOM:
        refcnt.value += _HEADROOM
