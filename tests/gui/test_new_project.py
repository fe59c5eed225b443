"""New-project dialog: file counts, inline validation messages, the resulting spec."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from aldesk.gui.dialogs.new_project import NewProjectDialog, NewProjectSpec, validate_spec
from aldesk.gui.dialogs.project_spec import MediaCounts

TIMEOUT_MS = 5000


@pytest.fixture
def pool(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(3):
        Image.new("RGB", (8, 8), (i * 40, 0, 0)).save(folder / f"img{i}.png")
    (folder / "notes.txt").write_text("not media")
    return folder


@pytest.fixture
def dialog(qtbot):
    d = NewProjectDialog()
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    yield d
    d.reject()


def _choose_folder(qtbot, dialog, folder):
    with qtbot.waitSignal(dialog.counted, timeout=TIMEOUT_MS) as blocker:
        dialog.set_folder(folder)
    return blocker.args[0]


def _type_classes(qtbot, dialog, text):
    entry = dialog.class_editor().entry()
    qtbot.keyClicks(entry, text)
    qtbot.keyClick(entry, Qt.Key.Key_Return)


def _click_create(qtbot, dialog):
    qtbot.mouseClick(dialog.create_button(), Qt.MouseButton.LeftButton)


def test_counts_media_in_the_chosen_folder(qtbot, dialog, pool):
    counts = _choose_folder(qtbot, dialog, pool)
    assert (counts.images, counts.audio, counts.other) == (3, 0, 1)
    assert "Found 3 images · 0 audio clips · 1 other files" in dialog._counts_label.text()
    assert "folder" not in dialog.messages()
    assert dialog.spec().project_path == pool.parent / "photos.aldesk"  # suggested name


def test_browse_button_uses_the_chosen_folder(qtbot, dialog, pool, monkeypatch):
    monkeypatch.setattr(dialog, "_ask_folder", lambda title, start: str(pool))
    with qtbot.waitSignal(dialog.counted, timeout=TIMEOUT_MS):
        qtbot.mouseClick(dialog._browse_folder, Qt.MouseButton.LeftButton)
    assert dialog.spec().folder == pool


def test_nothing_entered_explains_every_problem_on_create(qtbot, dialog):
    assert dialog.messages() == {}  # no shouting before the user did anything
    _click_create(qtbot, dialog)
    messages = dialog.messages()
    assert messages["folder"].startswith("Choose a folder")
    assert messages["project"] == "Give the project a name."
    assert messages["classes"].startswith("Add at least one class")
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.isVisible()


def test_empty_folder_is_refused(qtbot, dialog, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.md").write_text("hello")
    _choose_folder(qtbot, dialog, empty)
    assert (
        dialog.messages()["folder"] == "The folder holds no images or audio clips (1 other files)."
    )


def test_missing_folder_is_refused(qtbot, dialog, tmp_path):
    _choose_folder(qtbot, dialog, tmp_path / "nowhere")
    assert "nowhere" in dialog.messages()["folder"]
    assert not dialog.can_create()


def test_duplicate_classes_are_refused(qtbot, dialog, pool):
    _choose_folder(qtbot, dialog, pool)
    _type_classes(qtbot, dialog, "cat, dog, Cat")
    assert dialog.messages()["classes"] == "The class “Cat” appears twice."
    dialog.class_editor().remove_row(2)
    assert "classes" not in dialog.messages()


def test_hotkeys_are_assigned_and_checked(qtbot, dialog, pool):
    _choose_folder(qtbot, dialog, pool)
    _type_classes(qtbot, dialog, ",".join(f"c{i}" for i in range(12)))
    keys = dialog.spec().hotkeys
    assert keys[:10] == list("1234567890")
    assert keys[10:] == ["a", "b"]
    dialog.class_editor().set_key(0, "S")
    assert "reserved" in dialog.messages()["classes"]
    dialog.class_editor().set_key(0, "b")
    assert dialog.messages()["classes"] == "“c0” and “c11” have the same key B."
    dialog.class_editor().set_key(0, "q")
    assert "classes" not in dialog.messages()


def test_existing_project_is_refused(qtbot, dialog, pool):
    existing = pool.parent / "birds.aldesk"
    existing.mkdir()
    (existing / "project.sqlite").write_bytes(b"")
    _choose_folder(qtbot, dialog, pool)
    dialog.set_project_name("birds")
    assert dialog.messages()["project"].startswith(f"A project already exists at {existing}")


def test_valid_choices_give_a_spec(qtbot, dialog, pool, tmp_path):
    _choose_folder(qtbot, dialog, pool)
    dialog.set_location(tmp_path)
    dialog.set_project_name("run1")
    _type_classes(qtbot, dialog, "cat, dog")
    dialog._use_budget.setChecked(True)
    dialog._budget.setValue(200)
    dialog._use_target.setChecked(True)
    dialog._target.setValue(90.0)
    dialog._strategy.setCurrentIndex(dialog._strategy.findData("entropy"))
    assert dialog.problems() == {}
    with qtbot.waitSignal(dialog.accepted, timeout=TIMEOUT_MS):
        _click_create(qtbot, dialog)
    spec = dialog.spec()
    assert spec.folder == pool
    assert spec.project_path == tmp_path / "run1.aldesk"
    assert spec.classes == ["cat", "dog"] and spec.hotkeys == ["1", "2"]
    assert spec.settings.strategy == "entropy" and spec.settings.scenario == "pool"
    assert spec.settings.budget == 200 and spec.settings.target_accuracy == pytest.approx(0.9)
    assert spec.settings.stable_predictions is True
    assert spec.settings.batch == 5


def test_strategy_explanation_follows_the_choice(dialog):
    dialog._strategy.setCurrentIndex(dialog._strategy.findData("random"))
    assert "baseline" in dialog._strategy_help.text()


def test_validate_spec_without_qt(tmp_path):
    spec = NewProjectSpec(folder=tmp_path, project_path=tmp_path / "p.aldesk", classes=["a", "a"],
                          hotkeys=["1", "2"])  # fmt: skip
    problems = validate_spec(spec, MediaCounts(images=0, audio=0, other=0), None)
    assert set(problems) == {"folder", "classes"}
    ok = NewProjectSpec(folder=tmp_path, project_path=tmp_path / "p.aldesk", classes=["a", "b"],
                        hotkeys=["1", "2"])  # fmt: skip
    assert validate_spec(ok, MediaCounts(images=1, audio=0, other=0), None) == {}
    assert Path(ok.project_path).suffix == ".aldesk"


def test_features_choice_and_seed_size_that_follows_the_class_count(qtbot, dialog, pool):
    _choose_folder(qtbot, dialog, pool)
    assert dialog._features.currentData() == "auto"
    _type_classes(qtbot, dialog, "a, b, c, d, e, f, g, h")
    assert dialog._seed_size.value() == 16  # 2 per class
    dialog._features.setCurrentIndex(dialog._features.findData("pretrained"))
    assert dialog.spec().settings.representation == "pretrained"
    assert dialog.spec().settings.seed_size == 16
    dialog._seed_size.setValue(7)  # the user's own choice is kept from now on
    _type_classes(qtbot, dialog, "i, j, k")
    assert dialog._seed_size.value() == 7 and dialog.spec().settings.seed_size == 7
