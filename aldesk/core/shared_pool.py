"""Feature matrices in anonymous shared memory, so the training process reads them in place.

Why: a round used to gather the labelled items' rows in the app (90 MB at 50,000 labels x 448)
and copy them into shared memory made for the job (90 MB more), so the app's resident memory
rose by ~200 MB for every fit. With the pool matrix itself in shared memory, the app sends only
the row numbers and the training process gathers the rows from its own mapping.

The memory is a Linux ``memfd``: it has no name, so nothing is left behind in ``/dev/shm`` when
the app is killed, and it is not limited by the size of ``/dev/shm`` (64 MB in a default
container). It is freed when the last array over it and the last process holding it are gone.
Elsewhere, or when the memory cannot be reserved, :func:`empty` returns a plain array and the
training process gets the job's rows as before.
"""

from __future__ import annotations

import itertools
import math
import mmap
import os
import weakref
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Segment:
    """One shared matrix: the descriptor to hand to another process, and how to read it."""

    fd: int
    token: int  # unique in this process: the training process keeps its mapping per token
    shape: tuple[int, ...]
    dtype: str
    address: int


SHARED = hasattr(os, "memfd_create")  # whether this platform has it at all (Linux)
_SEGMENTS: weakref.WeakKeyDictionary[mmap.mmap, Segment] = weakref.WeakKeyDictionary()
_TOKENS = itertools.count(1)


def empty(shape: tuple[int, ...], dtype: np.dtype | type = np.float32) -> np.ndarray:
    """An uninitialised C-ordered array in shared memory, or a plain one where there is none.

    The pages are reserved at once, so a machine out of memory gives a plain array here rather
    than a crash (SIGBUS) when the array is first written.
    """
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes == 0 or not SHARED:
        return np.empty(shape, dtype)
    try:
        fd = os.memfd_create("aldesk-features", os.MFD_CLOEXEC)
    except OSError:
        return np.empty(shape, dtype)
    try:
        os.posix_fallocate(fd, 0, nbytes)
        memory = mmap.mmap(fd, nbytes)
    except OSError:
        os.close(fd)
        return np.empty(shape, dtype)
    array = np.frombuffer(memory, dtype).reshape(shape)
    weakref.finalize(memory, os.close, fd)  # the descriptor goes with the last array over it
    _SEGMENTS[memory] = Segment(fd, next(_TOKENS), tuple(shape), dtype.str, array.ctypes.data)
    return array


def segment_of(X: np.ndarray) -> Segment | None:
    """The shared segment ``X`` is, if it is one whole (a view of all of it, in order)."""
    base = X
    while isinstance(base, np.ndarray):
        base = base.base
    memory = base.obj if isinstance(base, memoryview) else None
    segment = _SEGMENTS.get(memory) if isinstance(memory, mmap.mmap) else None
    if segment is None or X.ctypes.data != segment.address:
        return None
    if X.shape != segment.shape or X.dtype.str != segment.dtype or not X.flags.c_contiguous:
        return None
    return segment


def attach(fd: int, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """A read-only array over a segment received from the app (the descriptor is closed)."""
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    try:
        memory = mmap.mmap(fd, nbytes, prot=mmap.PROT_READ)
    finally:
        os.close(fd)
    return np.frombuffer(memory, np.dtype(dtype)).reshape(shape)
