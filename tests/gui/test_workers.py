"""Background lanes: newest request wins, stale results are dropped, failures surface."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

from aldesk.gui.workers import FeatureLane, Lane, Trainer

TIMEOUT_MS = 5000


class GatedWork:
    """A fake ``fit_and_rank``: each call blocks until its gate opens; records what ran."""

    def __init__(self) -> None:
        self.started: dict[str, threading.Event] = {}
        self.gates: dict[str, threading.Event] = {}
        self.ran: list[str] = []
        self.saw_stop: dict[str, bool] = {}

    def gate(self, name: str) -> threading.Event:
        self.started.setdefault(name, threading.Event())
        return self.gates.setdefault(name, threading.Event())

    def __call__(self, request: str, should_stop) -> str:
        self.ran.append(request)
        self.started.setdefault(request, threading.Event()).set()
        self.gate(request).wait(TIMEOUT_MS / 1000)
        self.saw_stop[request] = should_stop()
        return f"ranking-{request}"


@pytest.fixture
def trainer(qtbot):
    work = GatedWork()
    t = Trainer(work)
    yield t, work
    for gate in work.gates.values():
        gate.set()
    assert t.shutdown(TIMEOUT_MS)


def test_newest_request_wins_and_stale_results_are_dropped(qtbot, trainer):
    t, work = trainer
    results: list[str] = []
    t.ranked.connect(results.append)
    for name in "abc":
        work.gate(name)
    t.request("a")
    assert work.started["a"].wait(TIMEOUT_MS / 1000)  # "a" is running, blocked on its gate
    t.request("b")  # queued behind "a"...
    t.request("c")  # ...and dropped by this newer request before it ever starts
    work.gates["c"].set()
    with qtbot.waitSignal(t.ranked, timeout=TIMEOUT_MS) as blocker:
        work.gates["a"].set()
    assert blocker.args == ["ranking-c"]
    assert work.ran == ["a", "c"]
    assert work.saw_stop == {"a": True, "c": False}  # "a" was told it is stale
    assert t.shutdown(TIMEOUT_MS)
    qtbot.wait(1)  # deliver anything still queued: nothing stale may arrive
    assert results == ["ranking-c"]


def test_failure_surfaces_and_busy_toggles(qtbot, capfd):
    def broken(request, should_stop):
        raise ValueError(f"cannot rank {request}")

    t = Trainer(broken)
    busy: list[bool] = []
    t.busy_changed.connect(busy.append)
    with qtbot.waitSignal(t.failed, timeout=TIMEOUT_MS) as blocker:
        t.request("x")
    assert blocker.args == ["ValueError: cannot rank x"]
    assert busy == [True, False]
    assert t.shutdown(TIMEOUT_MS)
    assert "Traceback" in capfd.readouterr().err  # a bug is kept for whoever runs it


def test_user_error_message_is_shown_verbatim(qtbot, capfd):
    from aldesk.core.errors import AldeskError

    def refuse(request, should_stop):
        raise AldeskError("Label at least two classes before training.")

    t = Trainer(refuse)
    with qtbot.waitSignal(t.failed, timeout=TIMEOUT_MS) as blocker:
        t.request("x")
    assert blocker.args == ["Label at least two classes before training."]
    assert t.shutdown(TIMEOUT_MS)
    # its sentence is the whole story: no traceback on the terminal (a bad file printed one)
    assert "Traceback" not in capfd.readouterr().err


def test_work_returning_none_emits_nothing(qtbot):
    t = Trainer(lambda request, should_stop: None)  # the core noticed should_stop()
    idle = qtbot.waitSignal(t.busy_changed, timeout=TIMEOUT_MS, check_params_cb=lambda b: not b)
    with qtbot.assertNotEmitted(t.ranked), idle:
        t.request("x")
    assert t.shutdown(TIMEOUT_MS)


def test_lane_cancel_drops_running_result(qtbot):
    gate, started = threading.Event(), threading.Event()

    def work(ctx):
        started.set()
        gate.wait(TIMEOUT_MS / 1000)
        return "late"

    lane = Lane()
    received: list[object] = []
    lane.done.connect(received.append)
    lane.submit(work)
    assert started.wait(TIMEOUT_MS / 1000)
    lane.cancel()
    assert not lane.busy
    gate.set()
    assert lane.wait(TIMEOUT_MS)
    qtbot.wait(1)
    assert received == []


@dataclass
class FakeProgress:
    done: int
    total: int
    rate: float
    eta_seconds: float


@dataclass
class FakeResult:
    cancelled: bool


def test_feature_lane_forwards_progress_and_result(qtbot):
    def extract(cache_dir, kind, files, *, progress, should_stop, workers):
        for i in range(1, len(files) + 1):
            progress(FakeProgress(i, len(files), 10.0, (len(files) - i) / 10.0))
        return FakeResult(cancelled=False)

    lane = FeatureLane(extract)
    progress: list[tuple] = []
    lane.progressed.connect(lambda *args: progress.append(args))
    with qtbot.waitSignal(lane.finished, timeout=TIMEOUT_MS) as blocker:
        lane.start("/cache", "image", [(f"h{i}", f"/p{i}") for i in range(5)])
    assert blocker.args == [FakeResult(cancelled=False)]
    assert progress[-1] == (5, 5, 10.0, 0.0)  # the last report always gets through
    assert lane.shutdown(TIMEOUT_MS)


def test_feature_lane_cancel_still_delivers_partial_result(qtbot):
    started, gate = threading.Event(), threading.Event()

    def extract(cache_dir, kind, files, *, progress, should_stop, workers):
        started.set()
        gate.wait(TIMEOUT_MS / 1000)
        return FakeResult(cancelled=should_stop())

    lane = FeatureLane(extract)
    lane.start("/cache", "audio", [("h", "/p")])
    assert started.wait(TIMEOUT_MS / 1000)
    lane.cancel()
    with qtbot.waitSignal(lane.finished, timeout=TIMEOUT_MS) as blocker:
        gate.set()
    assert blocker.args == [FakeResult(cancelled=True)]
    assert lane.shutdown(TIMEOUT_MS)


def test_feature_lane_shutdown_waits_and_drops(qtbot):
    started = threading.Event()
    released = threading.Event()

    def extract(cache_dir, kind, files, *, progress, should_stop, workers):
        started.set()
        while not should_stop():  # the core polls should_stop between files
            released.wait(0.01)
        return FakeResult(cancelled=True)

    lane = FeatureLane(extract)
    lane.start("/cache", "image", [])
    assert started.wait(TIMEOUT_MS / 1000)
    with qtbot.assertNotEmitted(lane.finished):
        assert lane.shutdown(TIMEOUT_MS)
        qtbot.wait(1)
    assert not lane.busy


_LEAKY_TESTS = """
import threading
from PySide6.QtCore import QThreadPool, QRunnable

RELEASE = threading.Event()

class Job(QRunnable):
    def run(self):
        RELEASE.wait(0.5)

def test_leaves_a_pool_job_running(qtbot):
    pool = QThreadPool()
    pool.start(Job())
    test_leaves_a_pool_job_running.pool = pool  # keep it alive past the test

def test_leaves_a_python_thread(qtbot):
    threading.Thread(target=RELEASE.wait, args=(3,), daemon=True).start()

def test_clean(qtbot):
    pass
"""


def test_conftest_fails_tests_that_leave_threads_running(tmp_path):
    """The dangling-thread guard itself: without it the two leaky tests would pass."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    tests = tmp_path / "tests" / "gui"
    tests.mkdir(parents=True)
    shutil.copy(Path(__file__).parents[1] / "conftest.py", tmp_path / "tests" / "conftest.py")
    (tests / "test_leaky.py").write_text(_LEAKY_TESTS)
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "PYTHONPATH": str(repo)},
    )  # fmt: skip
    out = done.stdout
    assert "test left background work running" in out, out[-3000:]
    assert "test left Python threads running" in out, out[-3000:]
    assert "3 passed, 2 errors" in out, out[-3000:]  # errors at teardown of the leaky two
