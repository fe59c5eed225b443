"""Application plumbing: the exception hook, opening and creating projects from the GUI."""

from __future__ import annotations

import sys
import threading

import pytest
from PIL import Image
from PySide6.QtWidgets import QMessageBox

from aldesk.core.errors import AldeskError, ProjectNotFound
from aldesk.gui import app as app_module
from aldesk.gui import recent
from aldesk.gui.app import ExceptionHook, WindowManager, error_dialog
from aldesk.gui.dialogs.project_spec import NewProjectSpec
from aldesk.gui.workers import JobContext


class _FakeDialog:
    shown: list[BaseException] = []

    def __init__(self, parent, error, tb=None):
        self.error = error

    def exec(self):
        _FakeDialog.shown.append(self.error)
        return 0


@pytest.fixture
def fake_dialog(monkeypatch):
    _FakeDialog.shown = []
    monkeypatch.setattr(app_module, "error_dialog", _FakeDialog)
    return _FakeDialog.shown


def _raise(exc: BaseException):
    try:
        raise exc
    except BaseException:
        return sys.exc_info()


def test_user_errors_show_only_their_message(qtbot):
    box = error_dialog(None, AldeskError("The project is open in another window."))
    assert box.icon() == QMessageBox.Icon.Warning
    assert box.text() == "The project is open in another window."
    assert box.detailedText() == ""


def test_bugs_show_a_traceback_under_details(qtbot):
    etype, value, tb = _raise(KeyError("boom"))
    box = error_dialog(None, value, tb)
    assert box.icon() == QMessageBox.Icon.Critical
    assert "KeyError" in box.informativeText()
    assert "Traceback" in box.detailedText() and "_raise" in box.detailedText()


def test_hook_shows_a_dialog_and_writes_a_crash_log(qtbot, fake_dialog, capsys):
    hook = ExceptionHook()
    hook(*_raise(ValueError("bad value")))
    assert [type(e) for e in fake_dialog] == [ValueError]
    assert "bad value" in (recent.config_dir() / "last-error.txt").read_text()
    assert "ValueError: bad value" in capsys.readouterr().err


def test_hook_moves_errors_from_other_threads_to_the_gui_thread(qtbot, fake_dialog):
    hook = ExceptionHook()
    worker = threading.Thread(target=lambda: hook(*_raise(RuntimeError("in a thread"))))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(fake_dialog) == 1, timeout=2000)
    assert str(fake_dialog[0]) == "in a thread"


def test_install_and_remove_restore_previous_hooks(qtbot):
    before = sys.excepthook, threading.excepthook
    hook = ExceptionHook()
    hook.install()
    assert sys.excepthook == hook.__call__
    hook.remove()
    assert (sys.excepthook, threading.excepthook) == before


def test_opening_a_missing_project_explains_and_returns_false(qtbot, fake_dialog, tmp_path):
    manager = WindowManager()
    assert manager.open_project(tmp_path / "nothing.aldesk") is False
    assert isinstance(fake_dialog[0], ProjectNotFound | AldeskError)
    assert recent.load_recent() == []
    manager.shutdown()


def test_create_project_worker_writes_the_project(tmp_path):
    from aldesk.core.project import ProjectSettings
    from aldesk.core.store import ProjectStore

    pool = tmp_path / "pool"
    for i in range(6):
        folder = pool / ("A" if i < 2 else "")  # two files already sorted into class "a"
        folder.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8), (i * 30, 0, 0)).save(folder / f"{i}.png")
    spec = NewProjectSpec(folder=pool, project_path=tmp_path / "p.aldesk", classes=["a", "b"],
                          hotkeys=["1", "2"],
                          settings=ProjectSettings(strategy="entropy", batch=3, test_size=1))  # fmt: skip
    path, in_class_folders, copies = app_module._create_project(
        spec, JobContext(lambda: False, lambda _p: None)
    )
    assert in_class_folders == 2 and copies == 0
    with ProjectStore.open(path) as store:
        assert [c.name for c in store.classes()] == ["a", "b"]
        assert store.get("strategy") == "entropy" and store.get("batch") == 3
        assert len(store.items()) == 6


def test_a_new_project_with_files_in_class_folders_points_at_their_import(
    qtbot, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QStatusBar

    from aldesk.core.project import ProjectSettings

    shown: list[str] = []  # every status message, so a later one cannot hide this one
    original = QStatusBar.showMessage
    monkeypatch.setattr(QStatusBar, "showMessage",
                        lambda bar, text, *a: (shown.append(text), original(bar, text, *a)))  # fmt: skip

    pool = tmp_path / "pool"
    for i in range(6):
        folder = pool / ("b" if i < 3 else "")
        folder.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8), (i * 30, 0, 0)).save(folder / f"{i}.png")
    for k in range(2):  # copies: the dialog counts files without reading them, never these
        (pool / f"copy{k}.png").write_bytes((pool / "5.png").read_bytes())
    spec = NewProjectSpec(folder=pool, project_path=tmp_path / "p.aldesk", classes=["a", "b"],
                          hotkeys=["1", "2"], settings=ProjectSettings(test_size=0))  # fmt: skip
    manager = WindowManager()
    manager.create_project(spec)
    qtbot.waitUntil(lambda: bool(manager._windows), timeout=20000)
    window = manager._windows[0]
    hint = "3 files are in folders named like classes: File → Labels from folder names…"
    assert any(text.startswith("2 copies of other files: each is one item, labeled once.")
               and hint in text for text in shown)  # fmt: skip
    c = window.controller  # let the window's own start-up work end before it closes
    qtbot.waitUntil(lambda: not (c.features.busy or c.rows.busy or c.training_pending()),
                    timeout=120_000)  # fmt: skip
    window.close()
    manager.shutdown()


def _project(tmp_path):
    from aldesk.core.store import ProjectStore

    ProjectStore.create(tmp_path / "p", pool_root=tmp_path, kind="image", classes=["a"]).close()
    return tmp_path / "p.aldesk"


def test_a_project_open_elsewhere_is_refused_naming_the_holder(qtbot, fake_dialog, tmp_path):
    import os

    from aldesk.core.errors import ProjectLocked
    from aldesk.core.store import ProjectStore

    path = _project(tmp_path)
    manager = WindowManager()
    with ProjectStore.open(path):  # another aldesk holds it
        assert manager.open_project(path) is False
    assert isinstance(fake_dialog[0], ProjectLocked)
    assert f"pid {os.getpid()}" in str(fake_dialog[0])
    manager.shutdown()


def test_a_project_from_a_newer_aldesk_is_refused_with_a_message(qtbot, fake_dialog, tmp_path):
    import sqlite3

    from aldesk.core.errors import ProjectTooNew
    from aldesk.core.migrations import SCHEMA_VERSION

    path = _project(tmp_path)
    conn = sqlite3.connect(path / "project.sqlite")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    manager = WindowManager()
    assert manager.open_project(path) is False
    assert isinstance(fake_dialog[0], ProjectTooNew)
    assert "newer aldesk" in str(fake_dialog[0])
    manager.shutdown()


def test_the_app_hands_the_gil_to_the_gui_thread_within_a_millisecond(qapp):
    # The GUI thread waits to get the GIL back after each PySide call; the app shortens the
    # wait from Python's default 5 ms.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    try:
        app_module.create_app()
        assert sys.getswitchinterval() == pytest.approx(app_module.GIL_SWITCH_SECONDS)
        assert app_module.GIL_SWITCH_SECONDS <= 0.001
    finally:
        sys.setswitchinterval(previous)
