"""Accept what the model is sure of: confirm mode (Enter accepts its guess, a class key corrects)
and auto-labelling above a confidence, previewed first, withdrawable in one step."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from aldesk.core.review_auto import (
    AutoLabelPreview,
    auto_label_edits,
    confirm_calibration,
    confirm_edits,
    keep_label_edits,
    preview_auto_labels,
    withdraw_model_edits,
)
from aldesk.core.session_status import probability_text
from aldesk.gui.panels.wrap_layout import WrapLayout

DEFAULT_THRESHOLD = 0.95


class AcceptBar(QWidget):
    """Buttons under the grid; ``window`` is the ReviewWindow (selection, append, store)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.review = window
        row = WrapLayout(self)  # wraps on a small screen instead of widening the window
        self.confirm_mode = QPushButton("Confirm predictions")
        self.confirm_mode.setToolTip(
            "Show the model's surest guesses on unanswered items; Enter accepts the guess for "
            "the selection, a class key corrects it"
        )
        self.accept_button = QPushButton("Accept guess (Enter)")
        self.auto_button = QPushButton("Auto-label…")
        self.withdraw_button = QPushButton("Withdraw model labels")
        for b in (self.confirm_mode, self.accept_button, self.auto_button, self.withdraw_button):
            row.addWidget(b)
        self.confirm_mode.clicked.connect(window.filters.set_confirm_mode)
        self.accept_button.clicked.connect(self.accept_guesses)
        self.auto_button.clicked.connect(self.open_auto_label)
        self.withdraw_button.clicked.connect(self.withdraw)

    def accept_guesses(self) -> int:
        """Enter in Confirm predictions: record the model's guess for the selected unanswered
        pool items as the user's label ("confirm"); on the doubtful list, confirm the label
        given instead. Elsewhere Enter records nothing: select-all and Enter on every item
        once replaced labels given and answered the test items with the model's guesses."""
        rows = self.review.selected_rows()
        if not rows:
            self.review.statusBar().showMessage("Select items first.")
            return 0
        if self.review.filters.suspicious.isChecked():
            edits = keep_label_edits(rows)
            return self.review.append(edits, "Kept the label of {items} (off the doubtful list).")
        if not self.review.filters.in_confirm_mode():
            self.review.statusBar().showMessage(
                "Enter accepts the model's guesses in Confirm predictions only; Ctrl+Enter (or a "
                "double-click) shows the item in the labeling window to label it there."
            )
            return 0
        edits = confirm_edits(rows)
        left = len(rows) - len(edits)
        note = f" {left} of the selected left as they are (test items are never the model's)."
        return self.review.append(
            edits, "Accepted the model's guess for {items}." + (note if left else "")
        )

    def open_auto_label(self) -> AutoLabelDialog:
        dialog = AutoLabelDialog(self.review)
        dialog.accepted.connect(lambda: self.apply_auto_labels(dialog.preview))
        self.dialog = dialog
        dialog.open()
        return dialog

    def apply_auto_labels(self, preview: AutoLabelPreview) -> int:
        return self.review.append(
            auto_label_edits(preview),
            f"Auto-labeled {{items}} at confidence ≥ {threshold_text(preview.threshold)} "
            "(source: model).",
        )

    def withdraw(self) -> int:
        edits = withdraw_model_edits(self.review.store.answers())
        return self.review.append(edits, "Withdrew {n} labels the model gave.")


class ConfirmTally(QTableWidget):
    """Confirm mode's record: per confidence of the model's guess, how many guesses the user
    confirmed and how many corrected (from the log), and the share right."""

    def __init__(self, parent=None) -> None:
        super().__init__(0, 3, parent)
        self.setObjectName("review_confirm_tally")
        self.setHorizontalHeaderLabels(["confirmed", "corrected", "right"])
        # the columns share the width: at a fixed 100 px each "right" was cut off
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.setTabKeyNavigation(False)  # Tab went round its cells, never to the buttons

    def show_answers(self, answers) -> None:
        bins = [b for b in confirm_calibration(answers) if b.confirmed + b.corrected]
        self.setRowCount(len(bins))
        self.setVerticalHeaderLabels([f"{b.lo:.0%}–{b.hi:.0%}" for b in bins])
        for k, b in enumerate(bins):
            cells = (str(b.confirmed), str(b.corrected), f"{b.right:.0%}")
            for j, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.setItem(k, j, cell)


class AutoLabelDialog(QDialog):
    """Choose a confidence; see counts per class, the accuracy measured on the test items at
    that confidence and a sample, before anything is written."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.setWindowTitle("Auto-label — aldesk")
        self._rows = window.model.all_rows()
        self._name = window.model.class_name
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.5, 0.999)
        self.threshold.setDecimals(3)
        self.threshold.setSingleStep(0.01)
        self.threshold.setValue(DEFAULT_THRESHOLD)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.sample = QListWidget()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.Cancel
        )
        self.apply_button = buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.clicked.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Label unanswered pool items the model is at least this sure of:",
                    self.threshold)  # fmt: skip
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(QLabel("A sample to look at:"))
        layout.addWidget(self.sample, 1)
        layout.addWidget(buttons)
        self.threshold.valueChanged.connect(self._update)
        self.resize(520, 460)
        self._update()

    def _update(self, *_args) -> None:
        self.preview = preview_auto_labels(self._rows, self.threshold.value())
        p = self.preview
        counts = ", ".join(f"{self._name(c)} × {n}" for c, n in sorted(p.per_class.items(),
                           key=lambda kv: -kv[1]))  # fmt: skip
        if p.accuracy is None:
            measured = "No labeled test item is that sure yet: the accuracy cannot be estimated."
        else:
            lo, hi = p.accuracy_ci
            measured = (f"On the {p.test_n} labeled test items this sure, the model was right "
                        f"{p.accuracy:.0%} of the time (95% interval {lo:.0%}–{hi:.0%}).")  # fmt: skip
        self.summary.setText(
            f"<b>{len(p.rows)} items</b> would be labeled by the model"
            + (f": {counts}." if counts else ".")
            + f"<br>{measured}<br>"
            "They are recorded as the model's labels, apart from yours, and can be withdrawn "
            "in one step."
        )
        self.sample.clear()
        for r in p.sample:
            guess = f"{self._name(r.predicted)} ({probability_text(r.confidence)})"
            self.sample.addItem(f"{r.relpath}  →  {guess}")
        self.apply_button.setEnabled(bool(p.rows))


def threshold_text(threshold: float) -> str:
    """A confidence threshold: 0.999 read "100%", a certainty the model never has."""
    return f"{threshold:.0%}" if threshold < 0.995 else f"{threshold:.1%}"
