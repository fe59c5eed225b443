"""Project ▸ Settings…: change settings of an open project; the loop, keys and curve follow."""

from __future__ import annotations

import csv

from PySide6.QtCore import Qt
from windows import open_window

from aldesk.core.demo import make_demo_pool
from aldesk.core.project import ProjectSettings, create_project
from aldesk.core.settings_changes import settings_history
from aldesk.gui.dialogs.project_settings import ProjectSettingsDialog, apply_to_window
from aldesk.gui.main_window import MainWindow


def _open(qtbot, store) -> MainWindow:
    return open_window(qtbot, store, activate=True)


def _project(tmp_path):
    pool, truth_file = tmp_path / "pool", tmp_path / "truth.csv"
    classes = make_demo_pool("audio", pool, labels_out=truth_file, per_class=5)
    with truth_file.open() as f:
        truth = {r["path"]: r["label"] for r in csv.DictReader(f)}
    settings = ProjectSettings(batch=50, seed_size=4, test_size=0, representation="pool")
    store, _ = create_project(tmp_path / "p.aldesk", pool, classes, settings)
    return store, truth


def test_settings_change_applies_at_once_and_is_marked_on_the_curve(qtbot, tmp_path) -> None:
    store, truth = _project(tmp_path)
    window = _open(qtbot, store)
    assert window.settings_action.text() == "&Settings…"
    assert window.settings_action in window.menuBar().actions()[1].menu().actions()  # Project
    for _ in range(6):
        name = truth[window.controller.current().item.relpath]
        window.controller.answer(store.class_by_name(name).id)
    dialog = ProjectSettingsDialog(window, store, n_labels=6)
    qtbot.addWidget(dialog)
    assert not dialog.options.preset_box.isVisibleTo(dialog)
    dialog.options.batch.setValue(3)
    dialog.options.use_budget.setChecked(True)
    dialog.options.budget.setValue(40)
    dialog.options.use_target.setChecked(True)
    dialog.options.target.setValue(90.0)
    dialog.keys.item(0, 1).setText("Q")  # "whistle" moves from 1 to Q
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    apply_to_window(window, dialog.change)
    session = window.controller.session
    assert (session.settings.batch, session.settings.budget) == (3, 40)
    assert window.curve.marker_positions() == [6.0]
    assert window.curve.target_level() == 0.9  # the target, drawn on the curve
    assert "batch 50 → 3" in window.statusBar().currentMessage()
    item = window.controller.current().item.id
    qtbot.keyClick(window, Qt.Key.Key_Q)  # the new key labels at once
    assert store.labels()[item] == store.class_by_name("whistle").id
    window.close()
    reopened = _open(qtbot, type(store).open(tmp_path / "p.aldesk"))
    assert reopened.curve.marker_positions() == [6.0]  # the marker stays with the project
    assert reopened.curve.target_level() == 0.9
    assert settings_history(reopened.store)[0].changes["key of whistle"] == ["1", "q"]
    reopened.close()


def test_a_bad_key_keeps_the_dialog_open_with_the_reason(qtbot, tmp_path) -> None:
    store, _truth = _project(tmp_path)
    dialog = ProjectSettingsDialog(None, store, n_labels=0)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.keys.item(0, 1).setText("2")
    dialog.accept()
    assert dialog.isVisible() and dialog.change is None
    assert dialog.error.text() == "“whistle” and “beeps” have the same key 2."
    assert settings_history(store) == []
    dialog.reject()
    store.close()
