"""Feature matrices in anonymous shared memory (aldesk.core.shared_pool)."""

from __future__ import annotations

import gc
import os

import numpy as np
import pytest

from aldesk.core import shared_pool

pytestmark = pytest.mark.skipif(not shared_pool.SHARED, reason="memfd is Linux only")


def _points_at_segment(fd: int) -> bool:
    try:
        return os.readlink(f"/proc/self/fd/{fd}").startswith("/memfd:aldesk-features")
    except FileNotFoundError:
        return False


def test_only_a_view_of_the_whole_matrix_is_the_segment():
    X = shared_pool.empty((50, 4))
    X[:] = np.arange(200).reshape(50, 4)
    read_only = X.view()
    read_only.setflags(write=False)
    segment = shared_pool.segment_of(read_only)
    assert segment is not None and segment == shared_pool.segment_of(X)
    assert segment.shape == (50, 4) and segment.dtype == "<f4"
    for part in (X[1:], X[:, :2], X[::2], X.T, X.copy(), np.array(X)):
        assert shared_pool.segment_of(part) is None
    assert shared_pool.segment_of(np.zeros((50, 4), np.float32)) is None


def test_another_mapping_reads_what_the_app_writes_and_cannot_write():
    X = shared_pool.empty((8, 3))
    X[:] = 1.0
    segment = shared_pool.segment_of(X)
    mapped = shared_pool.attach(os.dup(segment.fd), segment.shape, segment.dtype)
    X[2] = 5.0  # written after the mapping was made: the same memory
    assert mapped[2].tolist() == [5.0, 5.0, 5.0] and mapped.sum() == 7 * 3 + 15
    with pytest.raises(ValueError):
        mapped[0, 0] = 2.0


def test_the_memory_goes_with_the_last_array_over_it():
    X = shared_pool.empty((16, 16))
    view = X[:, :8]
    fd = shared_pool.segment_of(X).fd
    assert _points_at_segment(fd)
    del X
    gc.collect()
    assert _points_at_segment(fd)  # a view still holds it
    del view
    gc.collect()
    assert not _points_at_segment(fd)


def test_no_memfd_or_no_memory_gives_a_plain_array(monkeypatch):
    def refuse(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", refuse)
    X = shared_pool.empty((10, 2))
    assert X.shape == (10, 2) and X.dtype == np.float32 and X.flags.writeable
    assert shared_pool.segment_of(X) is None
    assert shared_pool.empty((0, 5)).shape == (0, 5)
