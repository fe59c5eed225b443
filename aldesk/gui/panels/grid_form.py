"""QFormLayout's ``addRow`` on a QGridLayout, for panels of word-wrapped values.

QFormLayout sizes a word-wrapped label from a stale width after its panel's width changes
(the side column's scroll bar appearing is enough): the text was then cut at its top and
bottom ("Chosen by: Seed set (cold start…"). QGridLayout asks each label its height for the
width it really gets.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget


class GridForm(QGridLayout):
    """Rows of "Caption:  value" (or one widget across both columns), values stretching."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnStretch(1, 1)
        self.setHorizontalSpacing(10)
        self.setVerticalSpacing(6)
        self._rows = 0

    def addRow(self, first: str | QWidget, field: QWidget | None = None) -> None:  # noqa: N802
        """``addRow("Caption:", widget)`` or ``addRow(widget)`` across both columns."""
        if field is None:
            self.addWidget(first, self._rows, 0, 1, 2)
        else:
            caption = QLabel(first) if isinstance(first, str) else first
            top_left = Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft
            self.addWidget(caption, self._rows, 0, top_left)
            self.addWidget(field, self._rows, 1)
        self._rows += 1
