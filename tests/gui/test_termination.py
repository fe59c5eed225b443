"""SIGTERM (a logout, systemctl stop, kill) closes the app as a click on its close button does."""

from __future__ import annotations

import os
import signal

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
