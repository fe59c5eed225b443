"""SIGTERM (a logout, systemctl stop, kill) closes the app as a click on its close button does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from PySide6.QtWidgets import QApplication, QWidget

from aldesk.gui import termination


def test_sigterm_closes_every_window_and_ends_the_event_loop(qtbot, monkeypatch) -> None:
    app = QApplication.instance()
    closed, quit_called = [], []

    class Window(QWidget):
        def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
            closed.append(True)
            super().closeEvent(event)

    window = Window()
    qtbot.addWidget(window)
    window.show()
    monkeypatch.setattr(app, "quit", lambda: quit_called.append(True))  # keep the test's loop
    ending = termination.install(app)
    assert ending is not None
    try:
        os.kill(os.getpid(), signal.SIGTERM)  # the handler runs: the process is not ended
        qtbot.waitUntil(lambda: bool(quit_called))
    finally:
        ending.remove()
    assert closed and not window.isVisible()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # put back as it was


def _catches(pid: int, signum: int) -> bool:
    """The process has a handler for ``signum`` (its mask of caught signals in /proc)."""
    with open(f"/proc/{pid}/status") as status:
        caught = next(line for line in status if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) >> (signum - 1) & 1)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc")
def test_sigterm_while_already_open_is_said_ends_the_process(tmp_path) -> None:
    """A second ``aldesk open`` of a project in use says so in a dialog; a kill then closed the
    dialog, but the welcome window and a new event loop came after it: the process lived on
    until SIGKILL."""
    from aldesk.cli import main
    from aldesk.core.demo import make_demo_pool
    from aldesk.core.store import ProjectStore

    make_demo_pool("images", tmp_path / "pool", per_class=2)
    project = tmp_path / "p.aldesk"
    assert main(["new", str(project), "--pool", str(tmp_path / "pool"),
                 "--classes", "0,1,2,3,4,5,6,7,8,9", "--no-features"]) == 0  # fmt: skip
    with ProjectStore.open(project):  # the first window holds it
        child = subprocess.Popen([sys.executable, "-m", "aldesk", "open", str(project)],
                                 env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not _catches(child.pid, signal.SIGTERM) and child.poll() is None:
                assert time.monotonic() < deadline, "the app never installed its handler"
                time.sleep(0.05)  # another process starting: nothing to wait on but /proc
            child.send_signal(signal.SIGTERM)
            assert child.wait(timeout=30) == 0
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
