"""New-project dialog: file counts, inline validation messages, the resulting spec."""

from __future__ import annotations

from pathlib import Path

import pytest
from new_project_setup import TIMEOUT_MS, _choose, _choose_folder, _click_create, _type_classes
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog

from aldesk.gui.dialogs.folder_report import counts_text, held_out_text
from aldesk.gui.dialogs.new_project import NewProjectSpec, validate_spec
from aldesk.gui.dialogs.project_spec import MediaCounts


def test_the_folder_field_has_the_focus_at_first(qtbot, dialog):
    """It was on a scroll area: a path typed at once went nowhere."""
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    assert QApplication.focusWidget() is dialog._folder


def test_counts_media_in_the_chosen_folder(qtbot, dialog, pool):
    counts = _choose_folder(qtbot, dialog, pool)
    assert (counts.images, counts.audio, counts.other) == (3, 0, 1)
    assert dialog.notes()["counts"] == (
        "Found 3 images · 0 audio clips · 1 other file\n"
        "1 file neither image nor audio left out: notes.txt."  # named, not just counted
    )
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
    assert messages["classes"].startswith("Add at least two classes")
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.isVisible()


def test_empty_folder_is_refused(qtbot, dialog, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.md").write_text("hello")
    _choose_folder(qtbot, dialog, empty)
    assert (
        dialog.messages()["folder"] == "The folder holds no images or audio clips (1 other file)."
    )


def test_missing_folder_is_refused(qtbot, dialog, tmp_path):
    _choose_folder(qtbot, dialog, tmp_path / "nowhere")
    assert "nowhere" in dialog.messages()["folder"]
    assert not dialog.can_create()


def test_duplicate_classes_are_refused(qtbot, dialog, pool):
    _choose_folder(qtbot, dialog, pool)
    _type_classes(qtbot, dialog, "cat, dog, Cat")
    assert dialog.messages()["classes"].startswith(
        "The classes “cat” and “Cat” differ only in case"
    )
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
    dialog.options.use_budget.setChecked(True)
    dialog.options.budget.setValue(200)
    dialog.options.use_target.setChecked(True)
    dialog.options.target.setValue(90.0)
    _choose(dialog, "strategy", "entropy")
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
    _choose(dialog, "strategy", "random")
    assert "baseline" in dialog.options.help["strategy"].text()


def test_a_stream_s_seed_set_is_its_first_arrivals_not_a_random_draw(dialog):
    """The dialog offered "Seed set: 10 items, Random" for a stream, which asks its first
    arrivals in the order they come."""
    assert dialog.options.seed_method.isEnabled()
    _choose(dialog, "scenario", "stream")
    assert not dialog.options.seed_method.isEnabled()
    assert "first arrivals" in dialog.options._seed_help.text()
    _choose(dialog, "scenario", "pool")
    assert dialog.options.seed_method.isEnabled()
    assert dialog.options._seed_help.text().startswith("Items labeled in random order")


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
    assert dialog.options.combos["representation"].currentData() == "auto"
    _type_classes(qtbot, dialog, "a, b, c, d, e, f, g, h")
    assert dialog.options.seed_size.value() == 16  # 2 per class
    _choose(dialog, "representation", "pretrained")
    assert dialog.spec().settings.representation == "pretrained"
    assert dialog.spec().settings.seed_size == 16
    dialog.options.seed_size.setValue(7)  # the user's own choice is kept from now on
    _type_classes(qtbot, dialog, "i, j, k")
    assert dialog.options.seed_size.value() == 7 and dialog.spec().settings.seed_size == 7


def _examine(qtbot, dialog, folder):
    with qtbot.waitSignal(dialog.examined, timeout=TIMEOUT_MS) as blocker:
        dialog.set_folder(folder)
    return blocker.args[0]


def test_suggested_name_follows_the_folder_until_the_user_types_one(qtbot, dialog, tmp_path):
    for name in ("birds", "frogs"):
        (tmp_path / name).mkdir()
        Image.new("RGB", (8, 8)).save(tmp_path / name / "a.png")
    _choose_folder(qtbot, dialog, tmp_path / "birds")
    _choose_folder(qtbot, dialog, tmp_path / "frogs")
    assert dialog.spec().project_path.name == "frogs.aldesk"  # not stuck on the first folder
    dialog._name.clear()
    qtbot.keyClicks(dialog._name, "survey")
    _choose_folder(qtbot, dialog, tmp_path / "birds")
    assert dialog.spec().project_path.name == "survey.aldesk"  # the user's own name stays


def test_unreadable_files_are_counted_before_the_project_exists(qtbot, dialog, pool):
    (pool / "broken.png").write_bytes(b"this is not a PNG")
    report = _examine(qtbot, dialog, pool)
    assert [path for path, _reason in report.unreadable["image"]] == ["broken.png"]
    assert dialog.notes()["unreadable"].startswith(
        "1 image cannot be read: listed as unreadable with the reason"
    )
    assert "broken.png" in dialog.notes()["unreadable"]


def test_every_unreadable_file_is_named_not_one_example(qtbot, dialog, pool):
    """ "7 images cannot be read … (e.g. broken link.png: …)": the other six were found only
    after the project was made."""
    for k in range(5):
        (pool / f"broken{k}.png").write_bytes(b"not a PNG" * (k + 1))
    _examine(qtbot, dialog, pool)
    lines = dialog.notes()["unreadable"].splitlines()
    assert [line.split(":")[0] for line in lines[1:4]] == [f"  broken{k}.png" for k in range(3)]
    assert all(line.split(": ", 1)[1] for line in lines[1:4])  # each with its reason
    assert lines[4:] == ["… and 2 more (all in this line's tooltip)"]
    tip = dialog._notes.unreadable_label.toolTip().splitlines()
    assert [line.split(":")[0].strip() for line in tip] == [f"broken{k}.png" for k in range(5)]


def test_a_mixed_folder_asks_which_kind_to_label(qtbot, dialog, pool, tmp_path):
    import numpy as np
    import soundfile as sf

    from aldesk.gui import app as app_module
    from aldesk.gui.workers import JobContext

    for i in range(2):
        sf.write(pool / f"clip{i}.wav", np.full(800, 0.1 * (i + 1), dtype=np.float32), 8000)
    _examine(qtbot, dialog, pool)
    assert dialog._notes.kind_row.isVisibleTo(dialog)
    assert dialog.spec().kind == "image"  # the majority until the user chooses
    assert dialog.notes()["kind"] == "The 2 audio clips will be left out: a project holds one kind."
    dialog.set_kind("audio")
    assert dialog.notes()["kind"].startswith("The 3 images will be left out")
    dialog.set_location(tmp_path)
    _type_classes(qtbot, dialog, "speech, noise")
    spec = dialog.spec()
    assert spec.kind == "audio"
    path, _, _ = app_module._create_project(spec, JobContext(lambda: False, lambda _p: None))
    from aldesk.core.store import ProjectStore

    with ProjectStore.open(path) as store:
        assert store.kind == "audio" and len(store.items()) == 2


def test_a_one_class_project_is_refused_with_a_reason(qtbot, dialog, pool):
    _choose_folder(qtbot, dialog, pool)
    _type_classes(qtbot, dialog, "cat")
    assert dialog.messages()["classes"].startswith("Add a second class: with only “cat”")
    assert not dialog.can_create()
    _type_classes(qtbot, dialog, "dog")
    assert "classes" not in dialog.messages()


def test_a_test_set_cut_down_to_fit_a_small_pool_is_announced(qtbot, dialog, tmp_path):
    folder = tmp_path / "small"
    folder.mkdir()
    for i in range(12):
        Image.new("RGB", (8, 8), (i * 20, 0, 0)).save(folder / f"img{i}.png")
    _examine(qtbot, dialog, folder)
    assert dialog.notes()["test"] == (
        "The test set will be 2 images rather than the 50 set under Advanced: with 12 images at "
        "most a fifth is kept aside, "
        "so the rest stays to learn from."
    )
    dialog.options.test_size.setValue(2)
    assert "test" not in dialog.notes()


def test_folder_notes_count_one_as_one():
    assert held_out_text(50, 6, "audio").startswith(
        "The test set will be 1 audio clip rather than the 50 set under Advanced: with 6 audio clips"
    )
    assert counts_text(MediaCounts(images=1, audio=0, other=1)) == (
        "Found 1 image · 0 audio clips · 1 other file"
    )


def test_just_label_is_the_default_and_the_rest_is_under_advanced(qtbot, dialog):
    options = dialog.options
    assert options.preset.currentData() == "just_label"
    assert "teach the model most" in options.preset_help.text()
    assert not options.advanced.isVisible()
    qtbot.mouseClick(options.advanced_button, Qt.MouseButton.LeftButton)
    assert options.advanced.isVisible()
    for key in ("strategy", "representation", "model", "scenario"):
        assert options.combos[key].isVisible() and options.help[key].text()  # one-line help
    options.preset.setCurrentIndex(options.preset.findData("measure"))
    assert options.test_size.value() == 100
    _choose(dialog, "model", "forest")
    assert options.preset.currentData() == "custom"
    assert dialog.spec().settings.model == "forest" and dialog.spec().settings.test_size == 100
    _choose(dialog, "model", "logreg")
    assert options.preset.currentData() == "measure"  # back to exactly the preset's settings


def test_the_dialog_fits_the_screen_and_cuts_nothing_off(dialog, qtbot) -> None:
    """At 150 % a 1366 × 768 laptop has 911 × 512 px: the dialog opened at 940 × 700 with a
    minimum of 860 × 546, and its right column was wider than shown (no horizontal scroll)."""
    from PySide6.QtWidgets import QScrollArea

    free = dialog.screen().availableGeometry()
    assert dialog.width() <= free.width() and dialog.height() <= free.height()
    assert dialog.minimumSizeHint().height() < 512
    dialog.options.show_advanced(True)
    dialog.options.set_values({"scenario": "stream"})
    columns = [a for a in dialog.findChildren(QScrollArea) if a.widget() in
               (dialog.options, dialog._classes.parentWidget().parentWidget())]  # fmt: skip
    assert len(columns) == 2
    for area in columns:
        qtbot.waitUntil(lambda a=area: a.widget().width() <= a.viewport().width())
