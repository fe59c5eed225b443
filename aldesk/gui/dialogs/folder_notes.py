"""Under the new-project dialog's folder field: what was found, which kind to label, what will
be left out, and whether the test set has to shrink to fit the pool."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QRadioButton, QVBoxLayout, QWidget

from aldesk.core.pool import MediaCounts
from aldesk.gui.dialogs.folder_report import (
    FolderReport,
    counts_text,
    held_out_text,
    other_kind_text,
    unreadable_text,
    unreadable_tip,
)
from aldesk.gui.dialogs.form import muted_label

KINDS = ("image", "audio")


class FolderNotes(QWidget):
    """Shows a FolderReport; for a folder of images and audio, asks which kind to label.

    Signals:
        kind_changed(): the user chose the other kind.
    """

    kind_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts_label = muted_label()
        self.kind_row, self.kind_buttons = _kind_choice()
        self.kind_note = muted_label()
        self.unreadable_label = muted_label()
        self.test_note = muted_label()
        self.test_note.setProperty("role", "")  # not muted: it changes what the user asked for
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for w in (self.counts_label, self.kind_row, self.kind_note, self.unreadable_label,
                  self.test_note):  # fmt: skip
            layout.addWidget(w)
        self.kind_row.setVisible(False)
        self.kind_buttons.idToggled.connect(self._on_kind_toggled)
        for label in self._labels():
            label.setVisible(False)

    def _labels(self) -> tuple[QLabel, ...]:
        return (self.counts_label, self.kind_note, self.unreadable_label, self.test_note)

    def kind(self, counts: MediaCounts | None) -> str | None:
        """The kind chosen for a mixed folder; None lets the scan take the majority."""
        if counts is None or not (counts.images and counts.audio):
            return None
        return KINDS[self.kind_buttons.checkedId()]

    def set_kind(self, kind: str) -> None:
        self.kind_buttons.button(KINDS.index(kind)).setChecked(True)

    def texts(self) -> dict[str, str]:
        labels = {"counts": self.counts_label, "kind": self.kind_note,
                  "unreadable": self.unreadable_label, "test": self.test_note}  # fmt: skip
        return {k: w.text() for k, w in labels.items() if w.text()}

    def show_counting(self) -> None:
        self.counts_label.setText("Counting files…")
        self.show_report(None, None, 0)

    def show_report(
        self, counts: MediaCounts | None, report: FolderReport | None, test_size: int
    ) -> None:
        """``counts`` as soon as known; ``report`` once every file's header was opened."""
        if counts is not None:
            self.counts_label.setText(counts_text(counts))
        mixed = bool(counts and counts.images and counts.audio)
        self.kind_row.setVisible(mixed)
        if counts is None or counts.images + counts.audio == 0:
            for label in (self.kind_note, self.unreadable_label, self.test_note):
                label.setText("")
            self._hide_empty()
            return
        kind = self.kind(counts) or ("audio" if counts.audio > counts.images else "image")
        known = report or FolderReport(counts)
        self.kind_note.setText(other_kind_text(known, kind))
        self.unreadable_label.setText(unreadable_text(report, kind))
        self.unreadable_label.setToolTip(unreadable_tip(report, kind))
        self.test_note.setText(held_out_text(test_size, known.readable(kind), kind))
        self._hide_empty()

    def _hide_empty(self) -> None:
        """An empty note takes no room (no gaps between the lines that are there)."""
        for label in self._labels():
            label.setVisible(bool(label.text()))

    def clear(self) -> None:
        self.counts_label.setText("")
        self.show_report(None, None, 0)

    @Slot(int, bool)
    def _on_kind_toggled(self, _id: int, checked: bool) -> None:
        if checked:
            self.kind_changed.emit()


def _kind_choice() -> tuple[QWidget, QButtonGroup]:
    """'This folder holds both. Label: (•) the images ( ) the audio clips'."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(QLabel("This folder holds both. Label:"))
    group = QButtonGroup(row)
    for i, text in enumerate(("the images", "the audio clips")):
        button = QRadioButton(text)
        group.addButton(button, i)
        layout.addWidget(button)
    group.button(0).setChecked(True)
    layout.addStretch(1)
    return row, group
