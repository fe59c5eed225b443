"""No exception may leave a Qt event override (``showEvent``, ``closeEvent``, ...).

PySide6 6.11's shiboken crashes the whole process (SIGSEGV in ``PepException_GetArgs``, called
from ``storePythonOverrideErrorOrPrint``) when an exception raised by the interpreter itself,
such as the ``TypeError`` of ``"huge" > 1``, propagates out of a Python override of a C++
virtual method. Slots connected to signals are not affected. An override therefore hands its
exception to ``sys.excepthook`` (the app's error dialog) itself.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def reported_errors() -> Iterator[None]:
    """Run a block inside an event override: an exception goes to ``sys.excepthook``."""
    try:
        yield
    except Exception:
        sys.excepthook(*sys.exc_info())


def guarded(method: Callable[..., None]) -> Callable[..., None]:
    """Decorate a Qt event override so that no exception can leave it (see the module doc)."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs) -> None:
        with reported_errors():
            method(*args, **kwargs)

    return wrapper
