"""The shared thread-pool controller: limits apply and lift, and new libraries are not missed."""

from __future__ import annotations

import sys
import types

import numpy as np  # noqa: F401  (loads OpenBLAS, the library limited below)
from threadpoolctl import threadpool_info, threadpool_limits

from aldesk.core import threads


def _blas_threads() -> int:
    return max(lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas")


def test_single_threaded_limits_blas_and_restores_it():
    with threadpool_limits(2, user_api="blas"):
        before = _blas_threads()
        with threads.single_threaded("blas"):
            assert _blas_threads() == 1
        assert _blas_threads() == before == 2


def test_the_controller_is_kept_until_more_modules_are_imported(monkeypatch):
    first = threads.controller()
    assert threads.controller() is first  # no rescan of the libraries
    monkeypatch.setitem(sys.modules, "aldesk_test_new_module", types.ModuleType("x"))
    assert threads.controller() is not first  # a new import may have loaded a library
