"""Shared memory made for one training job: its labelled rows, where the pool matrix is not
in shared memory the training process can map (no ``memfd``; see :mod:`shared_pool`).

The memory lives for one job: kept between rounds it added its size (~110 MB at 50,000
labels) to the app's resident memory for good. A child that finds it gone (a job cancelled
before it was read) answers "stopped".
"""

from __future__ import annotations

import contextlib
import os
from multiprocessing import shared_memory

import numpy as np


class NoRoom(Exception):
    """Shared memory for the labels' matrix could not be had."""


def reserve(nbytes: int) -> shared_memory.SharedMemory:
    """New shared memory of ``nbytes``. Its pages are allocated at once, so a full
    ``/dev/shm`` is an error here (:class:`NoRoom`) rather than a crash (SIGBUS) at the copy."""
    memory = shared_memory.SharedMemory(create=True, size=max(1, nbytes))
    fd = getattr(memory, "_fd", -1)
    try:
        if fd >= 0 and hasattr(os, "posix_fallocate"):
            os.posix_fallocate(fd, 0, memory.size)
    except OSError as exc:
        memory.close()
        memory.unlink()
        raise NoRoom(f"{memory.size / 1e6:.0f} MB: {exc.strerror or exc}") from exc
    return memory


def fill(memory: shared_memory.SharedMemory, X: np.ndarray) -> tuple:
    """Copy ``X`` in (``np.copyto`` releases the GIL); the message part that locates it."""
    np.copyto(np.ndarray(X.shape, X.dtype, buffer=memory.buf), X)
    return ("memory", memory.name, X.shape, X.dtype.str)


def release(memory: shared_memory.SharedMemory | None) -> None:
    if memory is not None:
        memory.close()
        with contextlib.suppress(FileNotFoundError):
            memory.unlink()
