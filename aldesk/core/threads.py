"""The process's BLAS and OpenMP thread pools, limited without rescanning them every time.

``threadpool_limits()`` finds the libraries anew on every call (reading ``/proc/self/maps``,
~5 ms: a tenth of a small extraction job, more than the k-means it wrapped). One
``ThreadpoolController`` is kept instead, and made again only when more modules have been
imported since: a library loaded by a later import (e.g. scikit-learn's OpenMP runtime) would
otherwise be missed.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from threadpoolctl import ThreadpoolController

_lock = threading.Lock()
_controller: ThreadpoolController | None = None
_modules_seen = -1


def controller() -> ThreadpoolController:
    """The process's thread-pool controller, up to date with the libraries loaded so far."""
    global _controller, _modules_seen
    with _lock:
        if _controller is None or len(sys.modules) != _modules_seen:
            _controller = ThreadpoolController()
            _modules_seen = len(sys.modules)
        return _controller


def single_threaded(user_api: str | None = None) -> Any:
    """Context manager: one thread for BLAS and OpenMP (only BLAS with ``user_api='blas'``),
    the previous limits restored on exit."""
    return controller().limit(limits=1, user_api=user_api)
