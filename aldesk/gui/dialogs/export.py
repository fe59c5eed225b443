"""File ▸ Export: where, CSV / JSON / JSON Lines (optionally with the model's predictions and
their confidence), or the labeled files as a folder per class (copies or hard links).

The dialog only gathers the choice. ``Exporter`` carries it out: labels alone are written at once
(``core.labels_export.export_labels``); with predictions, the model is first brought up to date with the
labels through the window's own trainer lane (off the UI thread, the newest request wins), and the
file is written when that round has been applied. A model that already knows every label is used
as it is, so exporting never adds a round without new labels. A folder export is planned from
the store on the UI thread and its files are copied on a background lane.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from aldesk.core.errors import AldeskError
from aldesk.core.export_folders import describe, plan_folder_export, write_folder_export
from aldesk.core.labels_export import copy_rows, export_labels, labels_left_out, left_out_text
from aldesk.gui.workers import Lane

FORMATS = {
    "csv": "CSV (spreadsheets, pandas)",
    "json": "JSON (a list of objects)",
    "jsonl": "JSON Lines (one object per line)",
    "folders": "A folder per class (torchvision ImageFolder, Keras)",
}
FILE_SUFFIXES = (".csv", ".json", ".jsonl")
PREDICTIONS_TEXT = (
    "Adds two columns, the model's predicted class and its confidence (0–1), and a row for "
    "every item you have not labeled. The model is first brought up to date with your labels."
)
FOLDERS_TEXT = (
    "Writes FOLDER/<class>/<file> for every labeled file (test items included), the layout "
    "torchvision's ImageFolder and Keras read. The folder must be new or empty."
)


@dataclass(frozen=True)
class ExportChoice:
    path: Path
    fmt: str  # 'csv', 'json', 'jsonl' or 'folders'
    predictions: bool
    link: bool = False  # folders: hard links instead of copies
    model_labels: bool = True  # False: leave out the model's own labels (auto-label)


class ExportDialog(QDialog):
    """Asks where to export, in which format, and whether to add predictions."""

    def __init__(self, parent: QWidget | None, default_path: Path) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export labels")
        self.path_edit = QLineEdit(str(default_path))
        browse = QPushButton("Browse…")
        browse.setAutoDefault(False)
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        self.format_box = QComboBox()
        for key, text in FORMATS.items():
            self.format_box.addItem(text, key)
        self.format_box.setCurrentIndex(1 if default_path.suffix.lower() == ".json" else 0)
        self.format_box.currentIndexChanged.connect(self._on_format_changed)
        self.predictions_box = QCheckBox("Add the model's predictions with their confidence")
        self.link_box = QCheckBox("Hard links instead of copies (no extra disk space)")
        self.link_box.setToolTip(
            "Needs the export folder on the same disk as the pool; otherwise the files are copied."
        )
        self.no_model_box = QCheckBox("Leave out the model's own labels (auto-label)")
        self.no_model_box.setObjectName("export_no_model_labels")
        self.no_model_box.setToolTip(
            "Only the labels you gave or imported; items the model auto-labeled are exported "
            "as unlabeled (the same as aldesk export --no-model-labels)."
        )
        self.note = QLabel(PREDICTIONS_TEXT)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: palette(placeholder-text);")
        form = QFormLayout()
        form.addRow("Format:", self.format_box)
        form.addRow("File:", path_row)
        self.path_label = form.labelForField(path_row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.predictions_box)
        layout.addWidget(self.link_box)
        layout.addWidget(self.no_model_box)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self._show_format_options()
        self.resize(560, self.sizeHint().height())

    def choice(self) -> ExportChoice:
        folders = self.format_box.currentData() == "folders"
        return ExportChoice(
            Path(self.path_edit.text().strip()).expanduser(),
            self.format_box.currentData(),
            self.predictions_box.isChecked() and not folders,
            self.link_box.isChecked() and folders,
            not self.no_model_box.isChecked(),
        )

    def _browse(self) -> None:
        fmt = self.format_box.currentData()
        if fmt == "folders":
            path = QFileDialog.getExistingDirectory(
                self, "Export into folder", str(Path(self.path_edit.text()).parent)
            )
            if path:  # a new folder inside the chosen one: the export wants an empty folder
                name = Path(self.path_edit.text()).name or "export"
                self.path_edit.setText(str(Path(path) / name))
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export labels", self.path_edit.text(), f"{fmt.upper()} (*.{fmt})"
        )
        if path:
            self.path_edit.setText(path)

    @Slot(int)
    def _on_format_changed(self, _index: int) -> None:
        """The file name's extension follows the format (a .csv holding JSON confuses); a
        folder export takes a folder name without one."""
        path = Path(self.path_edit.text().strip())
        fmt = self.format_box.currentData()
        known = path.suffix.lower() in FILE_SUFFIXES
        if fmt == "folders" and known:
            self.path_edit.setText(str(path.with_suffix("")))
        elif fmt != "folders" and (known or not path.suffix):
            self.path_edit.setText(str(path.with_suffix("." + fmt)))
        self._show_format_options()

    def _show_format_options(self) -> None:
        folders = self.format_box.currentData() == "folders"
        self.path_label.setText("Folder:" if folders else "File:")
        self.predictions_box.setVisible(not folders)
        self.link_box.setVisible(folders)
        self.note.setText(FOLDERS_TEXT if folders else PREDICTIONS_TEXT)


class Exporter(QObject):
    """Writes one export for a window's controller; with predictions, after a fresh round.

    Signals:
        finished(str): the file was written; a one-line message for the status bar.
        failed(str): nothing was written; why, for a person.
        progressed(int, int): files written so far and in all (folder export).
    """

    finished = Signal(str)
    failed = Signal(str)
    progressed = Signal(int, int)

    def __init__(self, controller, choice: ExportChoice, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller, self.choice = controller, choice
        self.waiting = False
        self.report = None

    def start(self) -> None:
        if self.choice.fmt == "folders":
            self._write_folders()
            return
        if not self.choice.predictions or self._model_is_current():
            self._write()
            return
        session = self.controller.session
        if not session.model.pending:
            self.controller.retrain_now()
        if not session.model.pending:  # no round could start: say what is missing
            self.failed.emit(
                "Predictions need a model: label items of at least two classes first "
                "(and let the features finish)."
            )
            return
        self.waiting = True
        self.controller.trainer.ranked.connect(self._on_ranked)  # after the controller's slot
        self.controller.trainer.failed.connect(self._on_train_failed)

    def _model_is_current(self) -> bool:
        model = self.controller.session.model
        return model.ranking is not None and not model.pending and model.labels_since == 0

    @Slot(object)
    def _on_ranked(self, _result) -> None:
        if self._model_is_current():
            self._stop_waiting()
            self._write()
        elif not self.controller.session.model.pending:  # labels came in meanwhile: once more
            self.controller.retrain_now()

    @Slot(str)
    def _on_train_failed(self, text: str) -> None:
        self._stop_waiting()
        self.failed.emit(f"Nothing was exported: the model could not be trained ({text}).")

    def _stop_waiting(self) -> None:
        self.waiting = False
        self.controller.trainer.ranked.disconnect(self._on_ranked)
        self.controller.trainer.failed.disconnect(self._on_train_failed)

    def _write(self) -> None:
        store = self.controller.store
        predictions = None
        if self.choice.predictions:
            names = {c.id: c.name for c in store.classes()}
            predictions = {
                i: (names[c], p) for i, (c, p) in self.controller.session.predictions().items()
            }
        try:
            rows = export_labels(store, self.choice.path, fmt=self.choice.fmt,
                                 predictions=predictions, model_labels=self.choice.model_labels)  # fmt: skip
        except AldeskError as exc:
            self.failed.emit(str(exc))
            return
        what = " with predictions" if predictions is not None else ""
        what += "" if self.choice.model_labels else " (without the model's labels)"
        copies = copy_rows(store, predictions is not None, self.choice.model_labels)
        why = f"; {copies} of them for copies of a file, one item with it" if copies else ""
        why += left_out_text(labels_left_out(store, self.choice.model_labels))
        self.finished.emit(f"Exported {rows} rows{what} to {self.choice.path}{why}")

    def _write_folders(self) -> None:
        """Plan here (the store is read on the UI thread only), copy on a background lane."""
        try:
            plan = plan_folder_export(
                self.controller.store, self.choice.path, model_labels=self.choice.model_labels
            )
        except AldeskError as exc:
            self.failed.emit(str(exc))
            return
        link = self.choice.link
        self.lane = Lane(self, name="aldesk-export")
        self.lane.done.connect(lambda report: self._on_folders_done(report, plan.out_dir))
        self.lane.failed.connect(self.failed)
        self.lane.progressed.connect(self._on_folders_progress)
        self.waiting = True
        self.lane.submit(
            lambda ctx: write_folder_export(
                plan, link=link, progress=lambda d, t: ctx.report((d, t)),
                should_stop=ctx.should_stop,
            )
        )  # fmt: skip

    @Slot(object)
    def _on_folders_progress(self, done_total) -> None:
        self.progressed.emit(*done_total)

    def _on_folders_done(self, report, out_dir: Path) -> None:
        self.waiting = False
        self.report = report  # the files that could not be exported, for the window to show
        self.finished.emit("  ".join(describe(report, out_dir)))


def ask_and_export(window) -> Exporter | None:
    """File ▸ Export for a labeling window: the dialog, then the export; results go to the
    window's status bar, problems to a message box."""
    store = window.store
    dialog = ExportDialog(window, store.path.parent / f"{store.name}-labels.csv")
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return start_export(window, dialog.choice())


def _show_finished(window, exporter: Exporter, text: str) -> None:
    window.statusBar().showMessage(text, 10000)
    report = exporter.report
    if report is not None and (report.missing or report.unreadable):
        QMessageBox.warning(window, "Export", "\n".join(describe(report, exporter.choice.path)))


def start_export(window, choice: ExportChoice) -> Exporter:
    exporter = Exporter(window.controller, choice, window)
    exporter.finished.connect(lambda text: _show_finished(window, exporter, text))
    exporter.failed.connect(lambda text: QMessageBox.warning(window, "Export", text))
    exporter.progressed.connect(
        lambda done, total: window.statusBar().showMessage(f"Export: {done} / {total} files…")
    )
    exporter.start()
    if exporter.waiting and choice.fmt != "folders":
        window.statusBar().showMessage("Export: bringing the model up to date with your labels…")
    return exporter
