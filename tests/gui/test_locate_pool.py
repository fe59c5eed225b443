"""Moving the pool folder never damages a project: the locate dialog rebases every path before
an item is loaded, and every item is ``ok`` afterwards (issue 11, section 3)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from aldesk.core.demo import make_demo_pool
from aldesk.core.project import ProjectSettings, create_project
from aldesk.core.store import ProjectStore
from aldesk.gui.controller import LabelingController
from aldesk.gui.main_window import MainWindow


def _window(store: ProjectStore) -> MainWindow:
    controller = LabelingController(store)
    window = MainWindow(store, controller)
    controller.setParent(window)
    return window


def _project(tmp_path: Path) -> Path:
    classes = make_demo_pool("images", tmp_path / "pool", per_class=4)
    settings = ProjectSettings(batch=4, seed_size=4, test_size=3)
    store, _ = create_project(tmp_path / "proj", tmp_path / "pool", classes, settings)
    path = store.path
    store.close()
    return path


def test_located_pool_folder_keeps_every_item_ok(qtbot, tmp_path, monkeypatch) -> None:
    path = _project(tmp_path)
    moved = tmp_path / "elsewhere" / "pool-moved"
    moved.parent.mkdir()
    (tmp_path / "pool").rename(moved)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Open)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(moved))
    store = ProjectStore.open(path)
    window = _window(store)
    qtbot.addWidget(window)
    shown: list[object] = []
    window.viewer.loaded.connect(lambda p: shown.append(("loaded", Path(p))))
    window.viewer.load_failed.connect(lambda p, why: shown.append(("failed", why)))
    with qtbot.waitSignal(window.controller.scanner.done, timeout=60_000):
        window.show()
    qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
    qtbot.waitUntil(lambda: not window.controller.features.busy, timeout=60_000)

    assert shown[0][0] == "loaded" and shown[0][1].parent == moved.resolve()
    assert {it.status for it in store.items()} == {"ok"}
    assert window.status_panel.labeled.text().find("unreadable") < 0
    window.close()

    store = ProjectStore.open(path)  # and it stays so after another reopen
    assert {it.status for it in store.items()} == {"ok"}
    store.close()


def test_pool_folder_away_and_not_located_flags_no_item(qtbot, tmp_path, monkeypatch) -> None:
    path = _project(tmp_path)
    (tmp_path / "pool").rename(tmp_path / "unmounted")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    store = ProjectStore.open(path)
    window = _window(store)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.viewer.load_failed, timeout=30_000):
        window.show()
    qtbot.waitUntil(lambda: not window.controller.features.busy, timeout=60_000)

    assert {it.status for it in store.items()} == {"ok"}  # the folder is away, not the items
    window.close()


def test_a_wrong_folder_is_refused_and_changes_nothing(qtbot, tmp_path, monkeypatch) -> None:
    path = _project(tmp_path)
    pool = tmp_path / "pool"
    pool.rename(tmp_path / "unmounted")
    wrong = tmp_path / "empty"
    wrong.mkdir()
    errors: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Open)
    choices = [str(wrong), ""]  # a wrong folder, then the file dialog is cancelled
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: choices.pop(0))
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: errors.append(text))
    store = ProjectStore.open(path)
    window = _window(store)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: not window.controller.features.busy, timeout=60_000)

    assert len(errors) == 1 and "None of this project's files" in errors[0]
    assert choices == []  # asked again after the refusal
    assert store.pool_root == pool.resolve()
    assert {it.status for it in store.items()} == {"ok"}
    window.close()


def test_a_wrong_folder_then_the_right_one(qtbot, tmp_path, monkeypatch) -> None:
    path = _project(tmp_path)
    moved = tmp_path / "moved"
    (tmp_path / "pool").rename(moved)
    wrong = tmp_path / "empty"
    wrong.mkdir()
    choices = [str(wrong), str(moved)]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Open)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: choices.pop(0))
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: None)
    store = ProjectStore.open(path)
    window = _window(store)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.controller.scanner.done, timeout=60_000):
        window.show()
    qtbot.waitUntil(lambda: not window.controller.features.busy, timeout=60_000)

    assert store.pool_root == moved.resolve()
    assert {it.status for it in store.items()} == {"ok"}
    window.close()


def test_a_class_key_labels_nothing_while_the_pool_folder_is_away(
    qtbot, tmp_path, monkeypatch
) -> None:
    asked: list[str] = []

    def question(*args, **kwargs):
        asked.append(args[2])
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", question)
    store = ProjectStore.open(_project(tmp_path))
    window = _window(store)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.viewer.loaded, timeout=30_000):
        window.show()
    messages: list[str] = []
    window.controller.message.connect(messages.append)
    (tmp_path / "pool").rename(tmp_path / "unmounted")  # moved while the window is open
    with qtbot.waitSignal(window.viewer.load_failed, timeout=30_000):
        window.controller.skip()
    qtbot.waitUntil(lambda: len(asked) == 1)  # the window offers to locate it, once
    before = len(store.events())
    window.controller.answer(store.classes()[0].id)
    assert len(store.events()) == before  # a label on an item nobody saw was recorded
    assert "cannot be shown or labeled" in messages[-1]

    (tmp_path / "unmounted").rename(tmp_path / "pool")  # it is back: the key labels again
    window.controller.answer(store.classes()[0].id)
    assert len(store.events()) == before + 1
    assert len(asked) == 1
    window.close()
