"""Test setup shared by every test folder.

Qt must never try to reach a display during tests: ``QT_QPA_PLATFORM=offscreen`` is set here,
before anything imports Qt. GUI tests also fail when they leave a QThread, a QThreadPool worker
or a Python thread running (napari's ``_dangling_qthreads``): a lane that outlives its window is
a crash at exit waiting to happen.

pytest-qt's capture of Qt messages is off (``--no-qt-log`` in pyproject.toml): it installs a
Python message handler, and a warning logged by QtMultimedia's FFmpeg audio thread then needs
the GIL while the main thread holds it in a blocking ``QMediaPlayer.stop()``: the suite hung in
``test_playback_start`` (2 runs in 50 under load). The app installs no such handler; messages
go to stderr, which pytest captures.
"""

from __future__ import annotations

import os
import threading
import traceback
import weakref

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")

import pytest  # noqa: E402


def _is_gui_test(request) -> bool:
    path = str(request.node.path)
    return "qtbot" in request.fixturenames or "/tests/gui/" in path or "/tests/e2e/" in path


def _calling_place(depth: int = 3) -> str:
    stack = traceback.extract_stack()[:-depth]
    for frame in reversed(stack):
        if "site-packages" not in frame.filename and "conftest" not in frame.filename:
            return f"{frame.filename}:{frame.lineno}"
    return "<unknown>"


@pytest.fixture(autouse=True)
def _config_dir(tmp_path_factory, monkeypatch):
    """Recent projects and other preferences go to a throw-away folder, never to ~/.config."""
    monkeypatch.setenv("ALDESK_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))


@pytest.fixture(autouse=True)
def _unfrozen_heap():
    """A window freezes the objects alive when it starts (aldesk.gui.heap); a test's window
    is not always deleted, so each test ends with everything collectable again."""
    yield
    import gc

    gc.unfreeze()


@pytest.fixture(autouse=True)
def _dangling_threads(request, monkeypatch):
    """Fail a test that leaves a QThread, QThreadPool worker or Python thread running."""
    if not _is_gui_test(request):
        yield
        return

    from PySide6.QtCore import QThread, QThreadPool

    threads: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    pools: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    base_start = QThread.start
    base_pool_init = QThreadPool.__init__

    def start(self, *args, **kwargs):
        threads[self] = _calling_place()
        return base_start(self, *args, **kwargs)

    def pool_init(self, *args, **kwargs):
        base_pool_init(self, *args, **kwargs)
        pools[self] = _calling_place()

    monkeypatch.setattr(QThread, "start", start)
    monkeypatch.setattr(QThreadPool, "__init__", pool_init)
    before = set(threading.enumerate())
    yield
    problems = _running_qthreads(threads) + _busy_pools(pools)
    global_pool = QThreadPool.globalInstance()
    if global_pool.activeThreadCount():
        problems.append("the global QThreadPool still has active threads")
        global_pool.waitForDone(5000)
    if problems:
        pytest.fail("test left background work running:\n  " + "\n  ".join(problems))
    _check_python_threads(before)


def _running_qthreads(threads) -> list[str]:
    found = []
    for thread, place in list(threads.items()):
        try:
            if thread.isRunning():
                found.append(f"QThread started at {place}")
                thread.quit()
                thread.wait(5000)
        except RuntimeError:  # C++ object already deleted: it is not running
            pass
    return found


def _busy_pools(pools) -> list[str]:
    found = []
    for pool, place in list(pools.items()):
        try:
            if pool.activeThreadCount():
                found.append(f"QThreadPool created at {place} has running jobs")
                pool.clear()
                pool.waitForDone(5000)
        except RuntimeError:
            pass
    return found


def _check_python_threads(before: set) -> None:
    leftover = [
        t
        for t in threading.enumerate()
        if t not in before and t.is_alive() and not isinstance(t, threading._DummyThread)
    ]
    for t in leftover:
        t.join(timeout=2)
    still = [t.name for t in leftover if t.is_alive()]
    if still:
        pytest.fail(f"test left Python threads running: {still}")
