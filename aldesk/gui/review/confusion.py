"""Confusion matrix of the labelled test items under the current model; a click filters."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem

from aldesk.core.review_rows import ReviewRow
from aldesk.core.store import ClassInfo


def confusion_counts(rows: Sequence[ReviewRow], class_ids: Sequence[int]) -> list[list[int]]:
    """``counts[given][predicted]`` over labelled test rows that have a prediction."""
    index = {cid: k for k, cid in enumerate(class_ids)}
    counts = [[0] * len(class_ids) for _ in class_ids]
    for r in rows:
        if r.split == "test" and r.class_id in index and r.predicted in index:
            counts[index[r.class_id]][index[r.predicted]] += 1
    return counts


class ConfusionTable(QTableWidget):
    """Rows: the given label; columns: the model's prediction. ``cell_chosen(given, predicted)``
    carries class ids of the clicked cell."""

    cell_chosen = Signal(int, int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("review_confusion")
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.cellClicked.connect(self._on_clicked)
        self._class_ids: list[int] = []

    def show_counts(self, rows: Sequence[ReviewRow], classes: Sequence[ClassInfo]) -> None:
        self._class_ids = [c.id for c in classes]
        counts = confusion_counts(rows, self._class_ids)
        names = [c.name for c in classes]
        self.setRowCount(len(names))
        self.setColumnCount(len(names))
        self.setVerticalHeaderLabels(names)
        self.setHorizontalHeaderLabels(names)
        top = max((max(r) for r in counts), default=0) or 1
        for i, line in enumerate(counts):
            for j, n in enumerate(line):
                cell = QTableWidgetItem(str(n) if n else "")
                cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if n:
                    shade = 235 - int(120 * n / top)
                    colour = QColor(shade, 235, shade) if i == j else QColor(245, shade, shade)
                    cell.setBackground(colour)
                self.setItem(i, j, cell)

    def _on_clicked(self, row: int, column: int) -> None:
        if row < len(self._class_ids) and column < len(self._class_ids):
            self.cell_chosen.emit(self._class_ids[row], self._class_ids[column])
