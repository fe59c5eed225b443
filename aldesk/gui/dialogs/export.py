"""File ▸ Export: where, CSV or JSON, and optionally the model's predictions with confidence.

The dialog only gathers the choice. ``Exporter`` carries it out: labels alone are written at once
(``core.interop.export_labels``); with predictions, the model is first brought up to date with the
labels through the window's own trainer lane (off the UI thread, the newest request wins), and the
file is written when that round has been applied. A model that already knows every label is used
as it is, so exporting never adds a round without new labels.
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
from aldesk.core.interop import export_labels

FORMATS = {"csv": "CSV (spreadsheets, pandas)", "json": "JSON (a list of objects)"}
PREDICTIONS_TEXT = (
    "Adds two columns, the model's predicted class and its confidence (0–1), and a row for "
    "every item you have not labeled. The model is first brought up to date with your labels."
)


@dataclass(frozen=True)
class ExportChoice:
    path: Path
    fmt: str  # 'csv' or 'json'
    predictions: bool


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
        note = QLabel(PREDICTIONS_TEXT)
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(placeholder-text);")
        form = QFormLayout()
        form.addRow("File:", path_row)
        form.addRow("Format:", self.format_box)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.predictions_box)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(520, self.sizeHint().height())

    def choice(self) -> ExportChoice:
        return ExportChoice(
            Path(self.path_edit.text().strip()).expanduser(),
            self.format_box.currentData(),
            self.predictions_box.isChecked(),
        )

    def _browse(self) -> None:
        fmt = self.format_box.currentData()
        path, _ = QFileDialog.getSaveFileName(
            self, "Export labels", self.path_edit.text(), f"{fmt.upper()} (*.{fmt})"
        )
        if path:
            self.path_edit.setText(path)

    @Slot(int)
    def _on_format_changed(self, _index: int) -> None:
        """The file name's extension follows the format (a .csv holding JSON confuses)."""
        path = Path(self.path_edit.text().strip())
        if path.suffix.lower() in (".csv", ".json"):
            self.path_edit.setText(str(path.with_suffix("." + self.format_box.currentData())))


class Exporter(QObject):
    """Writes one export for a window's controller; with predictions, after a fresh round.

    Signals:
        finished(str): the file was written; a one-line message for the status bar.
        failed(str): nothing was written; why, for a person.
    """

    finished = Signal(str)
    failed = Signal(str)

    def __init__(self, controller, choice: ExportChoice, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller, self.choice = controller, choice
        self.waiting = False

    def start(self) -> None:
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
                                 predictions=predictions)  # fmt: skip
        except AldeskError as exc:
            self.failed.emit(str(exc))
            return
        what = " with predictions" if predictions is not None else ""
        self.finished.emit(f"Exported {rows} rows{what} to {self.choice.path}")


def ask_and_export(window) -> Exporter | None:
    """File ▸ Export for a labeling window: the dialog, then the export; results go to the
    window's status bar, problems to a message box."""
    store = window.store
    dialog = ExportDialog(window, store.path.parent / f"{store.name}-labels.csv")
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return start_export(window, dialog.choice())


def start_export(window, choice: ExportChoice) -> Exporter:
    exporter = Exporter(window.controller, choice, window)
    exporter.finished.connect(lambda text: window.statusBar().showMessage(text, 10000))
    exporter.failed.connect(lambda text: QMessageBox.warning(window, "Export", text))
    exporter.start()
    if exporter.waiting:
        window.statusBar().showMessage("Export: bringing the model up to date with your labels…")
    return exporter
