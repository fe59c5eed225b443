"""Opening and closing hostile projects in the app: a message, never a crash or a held lock."""

from __future__ import annotations

import errno
import os
import sqlite3
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from aldesk.core import lock as lock_module
from aldesk.core.demo import make_demo_pool
from aldesk.core.errors import ProjectDamaged, StoreWriteError
from aldesk.core.project import ProjectSettings, create_project
from aldesk.core.store import DB_NAME, ProjectStore
from aldesk.gui import app as app_module
from aldesk.gui.app import WindowManager
from aldesk.gui.controller import LabelingController
from aldesk.gui.main_window import MainWindow


@pytest.fixture
def project(tmp_path: Path) -> Path:
    pool = tmp_path / "pool"
    classes = make_demo_pool("images", pool, per_class=3)
    settings = ProjectSettings(batch=4, seed_size=4, test_size=2)
    store, _ = create_project(tmp_path / "proj", pool, classes, settings)
    store.close()
    return store.path


@pytest.fixture
def dialogs(monkeypatch) -> list[str]:
    """The text of every message box the app shows (error dialogs and warnings)."""
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()) or 0)
    monkeypatch.setattr(
        QMessageBox, "warning", staticmethod(lambda parent, title, text, *a: shown.append(text))
    )
    return shown


def _sql(project: Path, statement: str) -> None:
    conn = sqlite3.connect(project / DB_NAME, isolation_level=None)
    conn.execute(statement)
    conn.close()


def _zero_bytes(project: Path) -> None:
    (project / DB_NAME).write_bytes(b"")


def _foreign(project: Path) -> None:
    (project / DB_NAME).unlink()
    _sql(project, "CREATE TABLE photos(id INTEGER PRIMARY KEY)")


DAMAGE = {
    "batch is huge": (
        lambda p: _sql(p, """UPDATE settings SET value = '"huge"' WHERE key = 'batch'"""),
        "The project setting 'batch' is \"huge\", but it must be a whole number",
    ),
    "kind deleted": (lambda p: _sql(p, "DELETE FROM settings WHERE key = 'kind'"),
                     "The project setting 'kind' is missing"),
    "pool_root deleted": (lambda p: _sql(p, "DELETE FROM settings WHERE key = 'pool_root'"),
                          "The project setting 'pool_root' is missing"),
    "zero-byte database": (_zero_bytes, "is empty: it holds no project"),
    "foreign database": (_foreign, "is not an aldesk project database"),
    "non-JSON setting": (lambda p: _sql(p, "UPDATE settings SET value = '{' WHERE key = 'model'"),
                         "The project setting 'model' is not valid JSON"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(DAMAGE))
def test_a_damaged_project_shows_a_message_instead_of_a_window(qtbot, project, dialogs, case):
    """These used to end the app with SIGSEGV (exit 139) once the window was shown."""
    damage, message = DAMAGE[case]
    damage(project)
    manager = WindowManager()
    assert manager.open_project(project) is False
    assert len(dialogs) == 1 and message in dialogs[0]
    assert manager._windows == []
    manager.show_welcome()  # what run_gui shows next
    assert manager._welcome.isVisible()
    assert not (project / "lock").read_bytes()  # the lock was released
    manager._welcome.close()
    manager.shutdown()


def test_an_exception_in_show_event_reaches_the_hook_instead_of_crashing(
    qtbot, project, monkeypatch
):
    """PySide6 6.11 segfaults when an exception the interpreter raised (here the TypeError of
    comparing text with a number) leaves a Qt event override; the window hands it to the
    exception hook itself."""
    seen: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda t, value, tb: seen.append(value))
    monkeypatch.setattr(LabelingController, "start", lambda self: "huge" > 1)
    store = ProjectStore.open(project)
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    assert [type(e) for e in seen] == [TypeError]
    window.close()


def _opened(qtbot, manager: WindowManager, project: Path) -> MainWindow:
    assert manager.open_project(project) is True
    window = manager._windows[0]  # deleted on close: not handed to qtbot
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow() and window.controller.current() is not None)
    return window


def test_closing_on_a_full_disk_closes_the_store_and_releases_the_lock(
    qtbot, project, dialogs, monkeypatch
):
    manager = WindowManager()
    window = _opened(qtbot, manager, project)
    store = window.store

    def full_disk() -> None:
        raise StoreWriteError("Could not save: the disk is full. Free some space.")

    monkeypatch.setattr(window.controller.session, "save_position", full_disk)
    window.close()  # nothing escapes closeEvent
    assert dialogs == ["Could not save: the disk is full. Free some space."]
    assert store._conn is None
    ProjectStore.open(project).close()  # the lock was released
    manager.shutdown()


def test_a_failed_save_while_choosing_the_next_item_is_shown(qtbot, project, dialogs):
    manager = WindowManager()
    window = _opened(qtbot, manager, project)
    session = window.controller.session

    def full_disk():
        raise StoreWriteError("Could not save: the disk is full.")

    shown = window.controller.current()
    session.current = full_disk  # choosing an item writes the seed queue; the disk is full
    qtbot.keyClick(window, Qt.Key.Key_S)  # skip: asks for the current item first
    assert dialogs and dialogs[-1] == "Could not save: the disk is full."
    window.controller.classes_changed()  # re-announces the item on screen
    assert dialogs[-1] == "Could not save: the disk is full."
    assert window.stack.currentWidget() is window.viewer  # not "Nothing left to ask"
    del session.current
    assert window.controller.current().item.id == shown.item.id
    window.close()
    manager.shutdown()


def test_a_round_that_cannot_be_saved_is_a_line_not_a_traceback(
    qtbot, project, dialogs, monkeypatch
):
    manager = WindowManager()
    window = _opened(qtbot, manager, project)
    qtbot.waitUntil(lambda: not window.controller.features.busy, timeout=60_000)
    messages: list[str] = []
    window.controller.message.connect(messages.append)

    def full_disk(result):
        raise StoreWriteError("Could not save: the disk is full.")

    monkeypatch.setattr(window.controller.session, "apply_result", full_disk)
    classes = window.store.classes()
    for k in range(4):  # two classes labeled: the first model trains
        window.controller.answer(classes[k % 2].id)
    window.controller.retrain_now()  # the round's record is written when its model arrives
    qtbot.waitUntil(lambda: any("round was not saved" in m for m in messages), timeout=60_000)
    assert "the disk is full" in messages[-1]
    window.close()
    manager.shutdown()


def test_a_read_only_project_opens_read_only_and_says_so(qtbot, project, dialogs, monkeypatch):
    real_open = os.open

    def read_only_folder(path, flags, *args, **kwargs):
        if str(path).endswith("lock") and flags & os.O_RDWR:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(lock_module.os, "open", read_only_folder)
    with ProjectStore.open(project, readonly="test") as before:
        events_before = len(before.events())
    manager = WindowManager()
    window = _opened(qtbot, manager, project)
    assert window.windowTitle().endswith("(read-only) — aldesk")
    notice = window.findChild(QLabel, "readOnlyNotice")
    assert notice.text() == "Read-only: its folder is read-only"
    window.grab().save(str(project.parent / "read-only.png"))
    key = window.store.classes()[0].hotkey
    messages: list[str] = []
    window.controller.message.connect(messages.append)
    shown = len(dialogs)
    assert not window.label_bar.button(window.store.classes()[0].id).isEnabled()
    for _ in range(3):  # a line in the status bar, not a dialog per key press (930 in a trial)
        qtbot.keyClick(window, getattr(Qt.Key, f"Key_{key.upper()}"))
    assert len(dialogs) == shown
    assert "is open read-only (its folder is read-only)" in messages[-1]
    window.close()
    manager.shutdown()
    with ProjectStore.open(project, readonly="test") as again:
        assert len(again.events()) == events_before  # nothing was written


def test_damage_found_while_the_window_is_built_is_a_message(qtbot, project, dialogs, monkeypatch):
    from aldesk.core import session as session_module

    def malformed(self, store, features=None):
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(session_module.Session, "__init__", malformed)
    manager = WindowManager()
    assert manager.open_project(project) is False
    assert "restore project.sqlite from a backup" in dialogs[0]
    ProjectStore.open(project).close()  # the store was closed, the lock released
    manager.shutdown()


def test_status_and_export_work_while_the_app_has_the_project_open(
    qtbot, project, dialogs, tmp_path, capsys
):
    from aldesk.cli import main

    manager = WindowManager()
    window = _opened(qtbot, manager, project)
    shown = window.controller.current().item
    key = window.store.classes()[0].hotkey
    qtbot.keyClick(window, getattr(Qt.Key, f"Key_{key.upper()}"))  # the readers must see it
    assert main(["status", str(project), "--json"]) == 0
    assert '"test_items": 2' in capsys.readouterr().out
    assert main(["export", str(project), "--out", str(tmp_path / "o.csv")]) == 0
    assert (tmp_path / "o.csv").read_text().splitlines()[1].startswith(f"{shown.relpath},")
    assert main(["import-labels", str(project), str(tmp_path / "o.csv")]) == 2
    assert "already open" in capsys.readouterr().err
    window.close()
    manager.shutdown()


def test_a_database_error_after_open_is_said_for_a_person(qtbot):
    box = app_module.error_dialog(None, sqlite3.DatabaseError("database disk image is malformed"))
    assert box.icon() == QMessageBox.Icon.Warning
    assert "restore project.sqlite from a backup" in box.text()
    assert "malformed" in box.text()


def test_damage_is_a_project_error(project) -> None:
    _zero_bytes(project)
    with pytest.raises(ProjectDamaged):
        app_module.open_store(project)


def test_opening_a_project_this_process_has_open_brings_its_window_forward(qtbot, project, dialogs):
    manager = WindowManager()
    window = _opened(qtbot, manager, project)
    assert manager.open_project(project) is True  # it said "already open in aldesk (pid <me>)"
    assert manager.open_project(str(project).removesuffix(".aldesk")) is True
    assert manager._windows == [window] and dialogs == []
    window.close()
    manager.shutdown()


def test_a_full_disk_is_one_dialog_then_lines_in_the_status_bar(qtbot, project, dialogs):
    """Every key press on a full disk opened a dialog; the first says it, the rest are lines."""
    manager = WindowManager()
    window = _opened(qtbot, manager, project)
    messages: list[str] = []
    window.controller.message.connect(messages.append)

    def full_disk(class_id):
        raise StoreWriteError("Could not save: the disk is full.")

    window.controller.session.answer = full_disk
    for _ in range(3):
        window.controller.answer(window.store.classes()[0].id)
    assert dialogs == ["Could not save: the disk is full."]
    assert messages[-2:] == ["Could not save: the disk is full."] * 2
    del window.controller.session.answer
    window.close()
    manager.shutdown()
