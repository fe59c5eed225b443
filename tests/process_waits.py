"""Waiting for a process that is not our child to end (Linux pidfds)."""

from __future__ import annotations

import os
import select


def wait_gone(pid: int, timeout: float = 30.0) -> bool:
    """Whether process ``pid`` has ended (zombie or not) within ``timeout`` seconds: a pidfd
    becomes readable when its process exits."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)
