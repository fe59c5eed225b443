"""Opening a project does no per-item work on the GUI thread (issue 13): the rescan, the feature
file list and SQLite's page check run on workers, and the first item is shown before they end."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from aldesk.core import opening, pool_sync
from aldesk.core.db import damaged
from aldesk.core.demo import make_demo_pool
from aldesk.core.project import ProjectSettings, create_project
from aldesk.core.store import ProjectStore
from aldesk.gui.app import WindowManager
from aldesk.gui.controller import LabelingController
from aldesk.gui.main_window import MainWindow


def _project(tmp_path: Path, per_class: int) -> Path:
    pool = tmp_path / "pool"
    classes = make_demo_pool("images", pool, per_class=per_class)
    store, _ = create_project(tmp_path / "proj", pool, classes, ProjectSettings(test_size=4))
    store.close()
    return store.path


def _window(qtbot, store: ProjectStore) -> MainWindow:
    controller = LabelingController(store)
    window = MainWindow(store, controller)
    controller.setParent(window)
    qtbot.addWidget(window)
    return window


def _statements_while_opening(qtbot, tmp_path: Path, per_class: int) -> tuple[list[str], int]:
    """Every SQL statement the GUI thread's connection runs from show() until the rescan is
    applied and the features are in, and how many items the project has."""
    store = ProjectStore.open(_project(tmp_path, per_class))
    window = _window(qtbot, store)
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    with qtbot.waitSignal(window.controller.features.finished, timeout=120_000):
        window.show()
    qtbot.waitUntil(lambda: not window.controller.scanner.busy)
    store._conn.set_trace_callback(None)
    n_items = len(store.items())
    window.close()
    return statements, n_items


def test_opening_an_unchanged_pool_runs_no_query_per_item_on_the_gui_thread(qtbot, tmp_path):
    small, n_small = _statements_while_opening(qtbot, tmp_path / "small", per_class=3)
    big, n_big = _statements_while_opening(qtbot, tmp_path / "big", per_class=15)
    assert n_big >= n_small + 40
    # what the GUI thread asks SQLite does not grow with the pool (it did: an item_paths
    # query and a pool_root read per item, and the whole item list walked three times)
    assert len(big) == len(small) < n_big
    assert not [s for s in big if re.search(r"FROM item_paths WHERE item_id", s)]
    assert not [s for s in big if re.search(r"^(UPDATE|INSERT INTO) items", s)]  # unchanged


def test_the_first_item_is_shown_before_the_rescan_finishes(qtbot, tmp_path, monkeypatch):
    release = threading.Event()
    real_rescan = pool_sync.rescan_plan

    def slow_rescan(*args, **kwargs):
        release.wait(60)  # until the test has seen the first item
        return real_rescan(*args, **kwargs)

    monkeypatch.setattr(pool_sync, "rescan_plan", slow_rescan)
    store = ProjectStore.open(_project(tmp_path, per_class=3))
    window = _window(qtbot, store)
    try:
        with qtbot.waitSignal(window.viewer.loaded, timeout=30_000):
            window.show()
        assert window.controller.scanner.busy  # the item is on screen, the scan still runs
        assert not window.controller.features.busy  # features wait for the rescan
    finally:
        release.set()
    with qtbot.waitSignal(window.controller.features.finished, timeout=120_000):
        pass
    window.close()


@pytest.fixture
def warnings(monkeypatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "warning", staticmethod(lambda parent, title, text, *a: shown.append(text))
    )
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()) or 0)
    return shown


def test_the_page_check_runs_after_open_on_a_worker_and_reports_damage(
    qtbot, tmp_path, monkeypatch, warnings
):
    path = _project(tmp_path, per_class=3)
    checked: list[int] = []

    def damaged_pages(conn, db):
        checked.append(threading.get_ident())
        raise damaged(db, "is damaged (SQLite's check: Page 7: btreeInitPage() returns error)")

    monkeypatch.setattr(opening, "check_pages", damaged_pages)
    manager = WindowManager()
    assert manager.open_project(path) is True  # the check no longer stands before the window
    assert checked == []
    window = manager._windows[0]
    qtbot.waitUntil(lambda: bool(warnings), timeout=30_000)
    assert checked and checked[0] != threading.get_ident()
    assert "is damaged (SQLite's check: Page 7" in warnings[0]
    assert "aldesk recover" in warnings[0]
    window.close()
    manager.shutdown()


def test_the_page_check_of_a_damaged_file_names_the_damage(tmp_path) -> None:
    from aldesk.core.errors import ProjectDamaged

    db = _project(tmp_path, per_class=3) / "project.sqlite"
    opening.check_pages_of(db)  # sound: no error
    data = bytearray(db.read_bytes())
    for page in range(1, len(data) // 4096):  # b-tree page headers past the first page
        data[page * 4096] ^= 0x40
    db.write_bytes(bytes(data))
    with pytest.raises(ProjectDamaged, match="is damaged"):
        opening.check_pages_of(db)


def test_the_store_opens_without_the_page_check_only_when_asked(tmp_path, monkeypatch) -> None:
    path = _project(tmp_path, per_class=2)
    calls: list[Path] = []
    monkeypatch.setattr(opening, "check_pages", lambda conn, db: calls.append(db))
    ProjectStore.open(path, deep_check=False).close()
    assert calls == []
    ProjectStore.open(path).close()  # the command line still checks on open
    assert len(calls) == 1


def test_the_answer_log_for_the_pace_is_read_on_a_worker(qtbot, tmp_path, monkeypatch):
    from aldesk.core import pace

    path = _project(tmp_path, per_class=3)
    with ProjectStore.open(path) as store:
        first = store.classes()[0].id
        store.record_labels([(it.id, first, it.split) for it in store.items()[:9]])
    readers: list[int] = []
    real = pace.read_history

    def recording(*args):
        readers.append(threading.get_ident())
        return real(*args)

    monkeypatch.setattr(pace, "read_history", recording)
    monkeypatch.setattr("aldesk.gui.main_window.read_history", recording)
    store = ProjectStore.open(path)
    window = _window(qtbot, store)
    with qtbot.waitSignal(window._pace_lane.done, timeout=30_000):
        window.show()
    assert readers and readers[0] != threading.get_ident()
    assert len(window.pace.moments) == 1  # nine labels of one batch: one action
    assert window.pace.last_id == 9
    window.close()
