"""SIGTERM and SIGHUP close the app as its windows' close buttons do.

A logout, ``systemctl stop`` or ``kill`` ended the process where it stood: the answers were
safe (each is committed when given), but the windows' bookmarks were not saved, the project's
read-only scratch folder and multiprocessing's socket folder stayed in /tmp. The signal is
received through a wake-up socket (Python runs its handler only once Qt's loop hands control
back to Python), and the windows are closed from the event loop.
"""

from __future__ import annotations

import contextlib
import signal
import socket

from PySide6.QtCore import QObject, QSocketNotifier, QTimer
from PySide6.QtWidgets import QApplication

SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None))
                if s is not None)  # fmt: skip


class Termination(QObject):
    """Installed for the app's lifetime by ``install``; ``remove`` puts the old handlers back."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._app = app
        self.requested = False  # a signal came: nothing more is to be shown
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno())
        self._previous = {s: signal.signal(s, self._on_signal) for s in SIGNALS}

    def remove(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()

    def _drain(self) -> None:
        """Python gets control here, so the handler below runs; the bytes only woke us."""
        with contextlib.suppress(OSError):
            self._reader.recv(64)

    def _on_signal(self, _signum, _frame) -> None:
        self.requested = True
        QTimer.singleShot(0, self._close_all)

    def _close_all(self) -> None:
        self._app.closeAllWindows()  # each window saves its place and closes its project
        self._app.quit()


def install(app: QApplication) -> Termination | None:
    """Close the app cleanly on SIGTERM / SIGHUP; None where signals cannot be routed (a
    thread other than the main one, or a platform without them)."""
    try:
        return Termination(app)
    except (ValueError, OSError):
        return None
