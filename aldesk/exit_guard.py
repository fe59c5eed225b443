"""A bound on how long the process may take to exit once its work is done.

Interpreter exit joins the threads that process pools and multiprocessing leave behind. A
known CPython hang there (a pool's feeder thread waiting on a queue nobody will close, seen
once in seven runs of the frozen app's selfcheck, after it had passed) would leave the
process running with nothing to do. Everything the app writes is committed before its work
returns, so ending the process after a grace period loses nothing.
"""

from __future__ import annotations

import os
import sys
import threading
import time

GRACE_SECONDS = 20.0


def arm(code: int, grace: float = GRACE_SECONDS) -> None:
    """End the process with ``code`` if it is still exiting ``grace`` seconds from now.

    Call it only where the process is about to exit (the entry point), never from code a
    test or another program calls and carries on after.
    """

    def end() -> None:
        time.sleep(grace)  # a normal exit ends the process (and this thread) first
        sys.stderr.write(f"aldesk: exiting took over {grace:g} s; ended it (nothing lost)\n")
        sys.stderr.flush()
        os._exit(code)

    threading.Thread(target=end, name="aldesk-exit-guard", daemon=True).start()
