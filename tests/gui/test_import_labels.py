"""File ▸ Import labels…: a preview of the merge (new / same / conflicting) before it is applied."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog
from windows import demo_project, open_window

from aldesk.gui.dialogs.import_labels import ImportPreviewDialog
from aldesk.gui.main_window import MainWindow


def _window(qtbot, tmp_path) -> tuple[MainWindow, dict[str, str]]:
    store, truth = demo_project(tmp_path, "audio", per_class=4, representation="pool")
    return open_window(qtbot, store), truth


def _labels(window: MainWindow) -> dict[str, str]:
    names = {c.id: c.name for c in window.store.classes()}
    paths = {it.id: it.relpath for it in window.store.items()}
    return {paths[i]: names[c] for i, c in window.store.labels().items()}


def _file(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    f = tmp_path / "in.csv"
    f.write_text("path,label\n" + "".join(f"{p},{lab}\n" for p, lab in rows))
    return f


def _run_menu_with(qtbot, window, monkeypatch, path: Path, answer) -> ImportPreviewDialog:
    """Trigger File ▸ Import labels…, pick ``path``, and let ``answer(dialog)`` close the preview."""
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    seen = []

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ImportPreviewDialog):
            QTimer.singleShot(10, drive)  # the dialog is not up yet
            return
        seen.append(dialog)
        answer(dialog)

    QTimer.singleShot(0, drive)
    window.actions_by_name["import"].trigger()  # the plan is read on a worker: wait for it
    qtbot.waitUntil(lambda: bool(seen) and QApplication.activeModalWidget() is None)
    return seen[0]


def test_the_preview_counts_then_import_applies_and_undo_is_possible(
    qtbot, tmp_path, monkeypatch
) -> None:
    window, truth = _window(qtbot, tmp_path)
    first = window.controller.current().item.relpath
    other = next(c for c in window.store.classes() if c.name != truth[first])
    window.controller.answer(other.id)  # a label the file will contradict
    paths = [first] + [p for p in sorted(truth) if p != first][:4]
    rows = [(p, truth[p]) for p in paths] + [("missing.wav", truth[first])]
    before = len(window.store.events())
    dialog = _run_menu_with(qtbot, window, monkeypatch, _file(tmp_path, rows), lambda d: d.reject())
    assert dialog.counts["new"].text() == "4"
    conflict = f"{first}: {other.name} → {truth[first]}"
    assert dialog.counts["conflicting"].text() == f"1  (e.g. {conflict})"
    assert dialog.counts["same"].text() == "0"
    assert dialog.counts["unknown"].text().startswith("1  (e.g. missing.wav")
    assert len(window.store.events()) == before  # cancelled: nothing written
    _run_menu_with(qtbot, window, monkeypatch, _file(tmp_path, rows), lambda d: d.accept())
    assert _labels(window) == {p: truth[p] for p in paths}
    message = window.statusBar().currentMessage()
    assert "Imported 5 labels (1 of them replaces a label given before; 0 unchanged)" in message
    assert "Ctrl+Z undoes the import" in message
    assert "1 path not in the pool (not imported), e.g. missing.wav" in message  # had gone
    assert window.status_panel.labeled.text().startswith("5")  # the Progress panel followed
    window.actions_by_name["undo"].trigger()  # the import as one step, not the older answer
    assert _labels(window) == {first: other.name}
    assert window.statusBar().currentMessage() == "Undid the import of 5 labels."
    assert window.status_panel.labeled.text().startswith("1")
    window.actions_by_name["undo"].trigger()  # then the answer given before it
    assert _labels(window) == {}
    assert not window.actions_by_name["undo"].isEnabled()
    window.close()


def test_conflicts_can_keep_your_labels(qtbot, tmp_path, monkeypatch) -> None:
    """Where the file's label differs from one given in the app, the user may keep theirs."""
    window, truth = _window(qtbot, tmp_path)
    first = window.controller.current().item.relpath
    other = next(c for c in window.store.classes() if c.name != truth[first])
    window.controller.answer(other.id)
    paths = [first] + [p for p in sorted(truth) if p != first][:2]
    rows = [(p, truth[p]) for p in paths] + [(sorted(truth)[-1], "")]  # and an unlabeled row

    def keep_mine(dialog: ImportPreviewDialog) -> None:
        assert dialog.import_button.text() == "Import 3 labels"
        assert dialog.counts["unlabeled"].text() == "1"
        dialog.keep_yours.setChecked(True)
        assert dialog.import_button.text() == "Import 2 labels"
        dialog.import_button.click()

    _run_menu_with(qtbot, window, monkeypatch, _file(tmp_path, rows), keep_mine)
    assert _labels(window) == {first: other.name} | {p: truth[p] for p in paths[1:]}
    assert "1 of the project's kept where the file's label differs" in (
        window.statusBar().currentMessage()
    )
    window.close()


def test_a_renamed_file_is_found_by_content_and_a_reused_name_left_out(
    qtbot, tmp_path, monkeypatch
) -> None:
    """A colleague's export names files as they were on their copy of the folder."""
    window, truth = _window(qtbot, tmp_path)
    renamed, reused = sorted(window.store.items(), key=lambda it: it.relpath)[:2]
    f = tmp_path / "theirs.csv"
    f.write_text("path,label,answer,sha256\n"
                 f"their_name.wav,{truth[renamed.relpath]},label,{renamed.hash}\n"
                 f"{reused.relpath},{truth[reused.relpath]},label,{'f' * 64}\n"
                 f"gone.wav,,skip,{'e' * 64}\n")  # fmt: skip

    def check(dialog: ImportPreviewDialog) -> None:
        assert dialog.counts["moved"].text() == f"1  (e.g. their_name.wav → {renamed.relpath})"
        assert dialog.counts["changed"].text() == f"1  (e.g. {reused.relpath})"
        assert dialog.import_button.text() == "Import 1 label"
        dialog.accept()

    _run_menu_with(qtbot, window, monkeypatch, f, check)
    assert _labels(window) == {renamed.relpath: truth[renamed.relpath]}
    assert "holds other content than the labelled file" in window.statusBar().currentMessage()
    window.close()


def test_every_conflict_is_listed_in_the_preview(qtbot, tmp_path, monkeypatch) -> None:
    """The preview named one conflict of four ("e.g. …"); the file's labels replaced all four."""
    window, truth = _window(qtbot, tmp_path)
    answered = []
    for _ in range(3):
        item = window.controller.current().item
        other = next(c for c in window.store.classes() if c.name != truth[item.relpath])
        window.controller.answer(other.id)
        answered.append((item.relpath, other.name))
    rows = [(p, truth[p]) for p, _ in answered]

    def check(dialog: ImportPreviewDialog) -> None:
        shown = [dialog.conflicts.item(k).text() for k in range(dialog.conflicts.count())]
        assert dialog.conflicts.isVisibleTo(dialog)
        assert sorted(shown) == sorted(f"{p}: {mine} → {truth[p]}" for p, mine in answered)
        dialog.reject()

    _run_menu_with(qtbot, window, monkeypatch, _file(tmp_path, rows), check)
    window.close()


def test_unknown_classes_must_be_added_before_import(qtbot, tmp_path, monkeypatch) -> None:
    window, truth = _window(qtbot, tmp_path)
    path = sorted(truth)[0]

    def check_then_add(dialog: ImportPreviewDialog) -> None:
        assert dialog.add_classes.isVisible() and not dialog.import_button.isEnabled()
        dialog.add_classes.setChecked(True)
        assert dialog.import_button.isEnabled()
        dialog.import_button.click()

    _run_menu_with(qtbot, window, monkeypatch, _file(tmp_path, [(path, "owl")]), check_then_add)
    assert _labels(window) == {path: "owl"}
    assert "owl" in [c.name for c in window.store.classes()]
    window.close()


def test_the_rows_of_an_unknown_class_can_be_left_out(qtbot, tmp_path, monkeypatch) -> None:
    """One "banana" row (a typo in a hand-edited file) kept the whole file out: the import
    stayed greyed out until the class was added."""
    window, truth = _window(qtbot, tmp_path)
    first, second, third = sorted(truth)[:3]
    rows = [(first, truth[first]), (second, "banana"), (f"/media/usb/pool/{third}", truth[third])]

    def leave_out(dialog: ImportPreviewDialog) -> None:
        assert dialog.leave_out.isVisible() and not dialog.import_button.isEnabled()
        assert dialog.counts["by_tail"].text().startswith("1  (e.g. /media/usb/pool/")
        dialog.leave_out.setChecked(True)
        assert dialog.import_button.isEnabled() and dialog.import_button.text() == "Import 2 labels"
        dialog.add_classes.setChecked(True)  # one or the other
        assert not dialog.leave_out.isChecked()
        dialog.leave_out.setChecked(True)
        dialog.import_button.click()

    _run_menu_with(qtbot, window, monkeypatch, _file(tmp_path, rows), leave_out)
    assert _labels(window) == {first: truth[first], third: truth[third]}
    assert "banana" not in [c.name for c in window.store.classes()]
    message = window.statusBar().currentMessage()  # said after the import too, not only before
    assert "1 path matched by its end" in message
    assert "1 label of classes the project lacks left out" in message
    window.close()


def test_labels_from_folder_names_are_previewed_then_applied(qtbot, tmp_path, monkeypatch) -> None:
    """A pool partly sorted by hand: File ▸ Labels from folder names… labels the files of the
    class-named folders, after a preview that names the folders left out."""
    import csv
    import shutil

    from aldesk.core.demo import make_demo_pool
    from aldesk.core.project import ProjectSettings, create_project

    pool = tmp_path / "pool"
    classes = make_demo_pool("audio", pool, labels_out=tmp_path / "truth.csv", per_class=4)
    with (tmp_path / "truth.csv").open() as f:
        truth = {r["path"]: r["label"] for r in csv.DictReader(f)}
    sorted_by_hand = {}
    for name in classes:
        for relpath in [p for p, lab in sorted(truth.items()) if lab == name][:2]:
            target = pool / name / Path(relpath).name
            target.parent.mkdir(exist_ok=True)
            shutil.move(pool / relpath, target)
            sorted_by_hand[f"{name}/{target.name}"] = name
    leftover = next(p for p in sorted(truth) if (pool / p).exists())
    (pool / "unsorted").mkdir()
    shutil.move(pool / leftover, pool / "unsorted" / Path(leftover).name)
    settings = ProjectSettings(batch=50, seed_size=4, test_size=0, representation="pool")
    store, _ = create_project(tmp_path / "p.aldesk", pool, classes, settings)
    window = open_window(qtbot, store)
    seen = []

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ImportPreviewDialog):
            QTimer.singleShot(10, drive)
            return
        seen.append(dialog.counts["new"].text())
        seen.append(dialog.counts["folders"].text())
        dialog.accept()

    QTimer.singleShot(0, drive)
    window.actions_by_name["import_folders"].trigger()
    qtbot.waitUntil(lambda: bool(seen) and QApplication.activeModalWidget() is None)
    assert seen[0] == str(len(sorted_by_hand))
    assert seen[1].startswith("unsorted (1).")
    assert _labels(window) == sorted_by_hand
    window.close()


def test_the_plan_is_read_off_the_gui_thread_and_cancel_drops_it(
    qtbot, tmp_path, monkeypatch
) -> None:
    """At 100k items reading the items and their paths takes over a second: the plan runs on a
    worker behind a modal progress dialog, whose Cancel leaves the project as it was."""
    import threading

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QProgressDialog, QPushButton

    import aldesk.core.folder_labels as folder_labels

    window, _truth = _window(qtbot, tmp_path)
    threads, release = [], threading.Event()
    real = folder_labels.plan_folder_import

    def slow_plan(store):
        threads.append(threading.current_thread())
        release.wait(10)  # held until the test has cancelled
        return real(store)

    monkeypatch.setattr(folder_labels, "plan_folder_import", slow_plan)
    before = len(window.store.events())
    window.actions_by_name["import_folders"].trigger()
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), QProgressDialog))
    progress = QApplication.activeModalWidget()
    assert "folders" in progress.labelText()
    qtbot.waitUntil(lambda: bool(threads))
    assert threads[0] is not threading.main_thread()
    cancel = next(b for b in progress.findChildren(QPushButton) if b.text() == "Cancel")
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    release.set()
    previews = []

    def close_any_preview() -> None:  # a dialog after a cancel would fail, not hang, the test
        dialog = QApplication.activeModalWidget()
        if dialog is not None:
            previews.append(dialog)
            dialog.reject()

    guard = QTimer(interval=10, timeout=close_any_preview)
    guard.start()
    window._import_lane.wait()
    QApplication.processEvents()  # deliver the (dropped) result, if any
    guard.stop()
    assert previews == [] and QApplication.activeModalWidget() is None
    assert len(window.store.events()) == before
    window.close()


def test_a_read_only_project_refuses_an_import_before_reading(qtbot, tmp_path, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    window, _truth = _window(qtbot, tmp_path)
    monkeypatch.setattr(window.store, "readonly", "the disk is read-only")
    said = []
    monkeypatch.setattr(QMessageBox, "information", lambda _w, _t, text: said.append(text))
    window.actions_by_name["import_folders"].trigger()
    assert said and "read-only (the disk is read-only)" in said[0]
    assert getattr(window, "_import_lane", None) is None  # nothing was read
    window.close()


def test_a_file_that_is_not_labels_is_refused_with_its_reason(qtbot, tmp_path, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    window, _truth = _window(qtbot, tmp_path)
    bad = tmp_path / "photo.csv"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00 not a labels file")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    said = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _w, title, text: said.append((title, text)))
    before = len(window.store.events())
    window.actions_by_name["import"].trigger()
    qtbot.waitUntil(lambda: bool(said))  # read on the worker, refused on the GUI thread
    title, text = said[0]
    assert title == "Import labels" and "photo.csv" in text and "Error" not in text
    assert len(window.store.events()) == before
    assert QApplication.activeModalWidget() is None  # the progress dialog is gone
    window.close()
