"""Editable list of class names with their label hotkeys."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from aldesk.core.classes import hotkeys_for, parse_class_list
from aldesk.gui.dialogs.form import keep_keyboard_moving
from aldesk.gui.guard import guarded


class _EntryLine(QLineEdit):
    """Return adds the class here; it must not also press the dialog's default button."""

    @guarded
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()


class ClassEditor(QWidget):
    """Editable list of classes with their hotkeys.

    Signals:
        classes_changed(): a class or key was added, removed or edited.
    """

    classes_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entry = _EntryLine(placeholderText="New class (commas add several)")
        self._add = QPushButton("Add")
        self._remove = QPushButton("Remove")
        for button in (self._add, self._remove):
            button.setAutoDefault(False)
        # Tab follows the order widgets join this one: the table had joined first (made with
        # this parent), before the field drawn above it
        self._table = QTableWidget(0, 2)  # parented by the layout, after the row
        self._table.setHorizontalHeaderLabels(["Class", "Key"])
        header = self._table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self._table.verticalHeader().setVisible(False)
        self._table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        keep_keyboard_moving(self._table)
        self._entry.setAccessibleName("New class")  # a screen reader had no name for either
        self._table.setAccessibleName("Classes and their keys")
        row = QHBoxLayout()
        row.addWidget(self._entry, 1)
        row.addWidget(self._add)
        row.addWidget(self._remove)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self._table, 1)
        self._entry.returnPressed.connect(self._on_add_clicked)
        self._add.clicked.connect(self._on_add_clicked)
        self._remove.clicked.connect(self._on_remove_clicked)
        self._table.itemChanged.connect(self._on_item_changed)

    def add_classes(self, names: list[str]) -> None:
        names = [n.strip() for n in names if n.strip()]
        self._table.blockSignals(True)
        for name, key in zip(names, hotkeys_for(names, taken=self.hotkeys()), strict=True):
            self._append_row(name, key)
        self._table.blockSignals(False)
        self.classes_changed.emit()

    def remove_row(self, row: int) -> None:
        self._table.removeRow(row)
        self.classes_changed.emit()

    def set_key(self, row: int, key: str) -> None:
        self._table.item(row, 1).setText(key)

    def set_name(self, row: int, name: str) -> None:
        self._table.item(row, 0).setText(name)

    def classes(self) -> list[str]:
        return [self._table.item(r, 0).text().strip() for r in range(self._table.rowCount())]

    def hotkeys(self) -> list[str | None]:
        keys = [self._table.item(r, 1).text().strip() for r in range(self._table.rowCount())]
        return [k.lower() or None for k in keys]

    def entry(self) -> QLineEdit:
        return self._entry

    def _append_row(self, name: str, key: str | None) -> None:
        row = self._table.rowCount()
        self._table.insertRow(row)
        self._table.setItem(row, 0, QTableWidgetItem(name))
        key_item = QTableWidgetItem((key or "").upper())
        key_item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        self._table.setItem(row, 1, key_item)

    @Slot()
    def _on_add_clicked(self) -> None:
        self.add_classes(parse_class_list(self._entry.text()))
        self._entry.clear()

    @Slot()
    def _on_remove_clicked(self) -> None:
        rows = sorted({i.row() for i in self._table.selectedIndexes()}, reverse=True)
        for row in rows or [self._table.rowCount() - 1]:
            if row >= 0:
                self._table.removeRow(row)
        self.classes_changed.emit()

    @Slot(QTableWidgetItem)
    def _on_item_changed(self, _item: QTableWidgetItem) -> None:
        self.classes_changed.emit()
