"""File ▸ Export: the dialog's choices, and predictions with confidence from an up-to-date model."""

from __future__ import annotations

import csv
from pathlib import Path

from windows import demo_project, open_window

from aldesk.gui.dialogs.export import ExportChoice, ExportDialog, Exporter
from aldesk.gui.main_window import MainWindow


def _window(qtbot, tmp_path) -> tuple[MainWindow, dict[str, str]]:
    store, truth = demo_project(tmp_path, "audio", per_class=4, representation="pool")
    return open_window(qtbot, store), truth


def _label(window: MainWindow, truth: dict[str, str], n: int) -> None:
    for _ in range(n):
        name = truth[window.controller.current().item.relpath]
        window.controller.answer(window.store.class_by_name(name).id)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return list(csv.DictReader(f))


def test_the_dialog_offers_format_and_predictions(qtbot, tmp_path) -> None:
    dialog = ExportDialog(None, tmp_path / "p-labels.csv")
    qtbot.addWidget(dialog)
    assert dialog.choice() == ExportChoice(tmp_path / "p-labels.csv", "csv", False)
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("json"))
    dialog.predictions_box.setChecked(True)
    assert dialog.choice() == ExportChoice(tmp_path / "p-labels.json", "json", True)


def test_predictions_wait_for_a_round_on_the_labels_then_carry_confidence(qtbot, tmp_path) -> None:
    window, truth = _window(qtbot, tmp_path)
    _label(window, truth, 6)
    assert window.controller.session.model.labels_since > 0  # the model has not seen them all
    out = tmp_path / "out.csv"
    exporter = Exporter(window.controller, ExportChoice(out, "csv", True), window)
    with qtbot.waitSignal(exporter.finished, timeout=60_000) as done:
        exporter.start()
        assert exporter.waiting and not out.exists()  # trained on the trainer lane, not here
    assert "with predictions" in done.args[0]
    rows = _rows(out)
    unlabeled = [r for r in rows if not r["label"]]
    assert len(rows) == 16 and len(unlabeled) == 10
    assert all(r["prediction"] in truth.values() for r in unlabeled)
    assert all(0.0 < float(r["confidence"]) <= 1.0 for r in unlabeled)
    rounds = len(window.store.rounds())
    again = Exporter(window.controller, ExportChoice(tmp_path / "again.json", "json", True))
    with qtbot.waitSignal(again.finished, timeout=1000):
        again.start()  # the model knows every label: written at once, no extra round
    assert not again.waiting and len(window.store.rounds()) == rounds
    window.close()


def test_predictions_without_a_model_explain_and_write_nothing(qtbot, tmp_path) -> None:
    window, _truth = _window(qtbot, tmp_path)
    out = tmp_path / "out.csv"
    exporter = Exporter(window.controller, ExportChoice(out, "csv", True), window)
    with qtbot.waitSignal(exporter.failed) as failed:
        exporter.start()
    assert "at least two classes" in failed.args[0] and not out.exists()
    plain = Exporter(window.controller, ExportChoice(out, "csv", False), window)
    with qtbot.waitSignal(plain.finished):
        plain.start()
    assert _rows(out) == []
    window.close()


def test_the_dialog_offers_a_folder_per_class_with_links(qtbot, tmp_path) -> None:
    dialog = ExportDialog(None, tmp_path / "p-labels.csv")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("folders"))
    assert dialog.path_label.text() == "Folder:" and dialog.link_box.isVisible()
    assert not dialog.predictions_box.isVisible()
    dialog.predictions_box.setChecked(True)  # hidden: never carried into a folder export
    dialog.link_box.setChecked(True)
    assert dialog.choice() == ExportChoice(tmp_path / "p-labels", "folders", False, True)
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("jsonl"))
    assert dialog.choice() == ExportChoice(tmp_path / "p-labels.jsonl", "jsonl", True, False)


def test_a_folder_export_copies_each_labeled_file_into_its_class_folder(qtbot, tmp_path) -> None:
    window, truth = _window(qtbot, tmp_path)
    _label(window, truth, 6)
    out = tmp_path / "folders"
    exporter = Exporter(window.controller, ExportChoice(out, "folders", False), window)
    with qtbot.waitSignal(exporter.finished, timeout=30_000) as done:
        exporter.start()
        assert exporter.waiting  # the copies are made on a background lane
    assert "Exported 6 files (copied)" in done.args[0]
    names = {c.id: c.name for c in window.store.classes()}
    paths = {it.id: it.relpath for it in window.store.items()}
    expected = sorted(f"{names[c]}/{paths[i].rsplit('/', 1)[-1]}"
                      for i, c in window.store.labels().items())  # fmt: skip
    assert sorted(f.relative_to(out).as_posix() for f in out.rglob("*.*")) == expected
    again = Exporter(window.controller, ExportChoice(out, "folders", False), window)
    with qtbot.waitSignal(again.failed) as failed:
        again.start()  # the folder is no longer empty: refused, nothing overwritten
    assert "not empty" in failed.args[0]
    window.close()


def test_leaving_out_model_labels_omits_the_auto_labeled_rows(qtbot, tmp_path) -> None:
    from PySide6.QtCore import Qt

    from aldesk.core.review_auto import MODEL_STRATEGY
    from aldesk.gui.dialogs.export import start_export

    window, truth = _window(qtbot, tmp_path)
    _label(window, truth, 4)
    store = window.store
    unlabeled = [it for it in store.items() if it.id not in store.labels()][:3]
    first = store.classes()[0].id
    store.record_labels([(it.id, first, it.split) for it in unlabeled], strategy=MODEL_STRATEGY)
    by_model = {it.relpath for it in unlabeled}
    written = {}
    for leave_out, name in ((False, "all.csv"), (True, "users.csv")):
        dialog = ExportDialog(window, tmp_path / name)
        qtbot.addWidget(dialog)
        dialog.show()
        assert dialog.no_model_box.isVisible() and not dialog.no_model_box.isChecked()
        if leave_out:
            qtbot.mouseClick(dialog.no_model_box, Qt.MouseButton.LeftButton)
        exporter = start_export(window, dialog.choice())
        qtbot.waitUntil(lambda out=tmp_path / name: out.exists())
        written[leave_out] = _rows(tmp_path / name)
        assert exporter.choice.model_labels is not leave_out
    assert {r["path"] for r in written[False] if r["source"] == "model"} == by_model
    assert len(written[True]) == 4 and {r["source"] for r in written[True]} == {"user"}
    assert not {r["path"] for r in written[True]} & by_model
    assert "without the model's labels" in window.statusBar().currentMessage()
    window.close()
