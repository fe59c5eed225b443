"""The labeling window's size and splitter positions, remembered per project.

A 30-class project wants a different window than a 3-class one, so the state is kept under a
key made from the project's path (in ``window.ini`` next to the recent-projects list, never in
the project folder, which may be shared). A project seen for the first time gets a default size
that fits the screen.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import QSettings, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QSplitter

DEFAULT_SIZE = QSize(1200, 800)


def settings() -> QSettings:
    """Window state, in an ini file next to the recent-projects list (never pickled)."""
    from aldesk.gui.recent import config_dir

    return QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)


def project_key(project_path: str | Path) -> str:
    """The settings group of a project (a hash: paths hold characters QSettings keys cannot)."""
    resolved = str(Path(project_path).expanduser().resolve())
    return "projects/" + hashlib.sha1(resolved.encode("utf-8")).hexdigest()[:16]


def save(window: QMainWindow, splitter: QSplitter, project_path: str | Path) -> None:
    s = settings()
    s.beginGroup(project_key(project_path))
    s.setValue("path", str(project_path))
    s.setValue("geometry", window.saveGeometry())
    s.setValue("splitter", splitter.saveState())
    s.endGroup()
    s.sync()


def restore(window: QMainWindow, splitter: QSplitter, project_path: str | Path) -> bool:
    """Restore the project's last window state; False (and a screen-sized default) if none."""
    s = settings()
    s.beginGroup(project_key(project_path))
    geometry, state = s.value("geometry"), s.value("splitter")
    s.endGroup()
    if state is not None:
        splitter.restoreState(state)
    if geometry is not None and window.restoreGeometry(geometry):
        return True
    window.resize(default_size())
    return False


def default_size(wanted: QSize = DEFAULT_SIZE) -> QSize:
    """``wanted``, shrunk to 95 % of the primary screen's free area (a 1366 × 768 laptop, or
    one at 150 %: 911 × 512 logical pixels)."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return wanted
    free = screen.availableGeometry()
    return wanted.boundedTo(QSize(int(free.width() * 0.95), int(free.height() * 0.95)))
