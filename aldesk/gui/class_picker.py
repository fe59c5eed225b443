"""Type-to-filter class picker ("/"): for projects with more classes than keys or buttons.

Typing filters the list (names that start with the text first, then names with a word that
starts with it, then names that contain it); Up/Down move the highlight; Enter answers the
highlighted class; Escape closes without answering.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from aldesk.core.records import ClassInfo
from aldesk.core.wording import folded
from aldesk.gui import style
from aldesk.gui.panels.label_bar import class_text

_MOVE_KEYS = {Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown}


def match_rank(name: str, text: str) -> int | None:
    """0 the name starts with ``text``, 1 a word of it does, 2 it contains it; None no match.
    Several words typed must all match, each as a word's start or inside the name ("bronze
    frag"): the rank is the worst of theirs. Case and accents do not count."""
    name, words = folded(name), folded(text).split()
    if not words:
        return 0
    if name.startswith(" ".join(words)):
        return 0
    ranks = [_word_rank(name, w) for w in words]
    return None if None in ranks else max(1, *ranks)


def _word_rank(name: str, word: str) -> int | None:
    separated = re.sub(r"[\W_]+", " ", name).split()  # "(fragment)", "a-b", "a_b": words
    if any(part.startswith(word) for part in separated):
        return 1
    return 2 if word in name else None


def filter_classes(classes: list[ClassInfo], text: str) -> list[ClassInfo]:
    """The classes matching ``text``, best matches first, in class order within a rank."""
    ranked = [(match_rank(c.name, text), i, c) for i, c in enumerate(classes)]
    return [c for rank, _i, c in sorted((r for r in ranked if r[0] is not None),
                                        key=lambda r: (r[0], r[1]))]  # fmt: skip


def _swatch(colour: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


SHOWN_ROWS = 10  # matches in view before the list scrolls


class ClassPicker(QDialog):
    """A filter box over the class list; ``picked`` carries the class id Enter chose."""

    picked = Signal(int)

    def __init__(self, classes: list[ClassInfo], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Find class — aldesk")
        self._classes = classes
        self._colours = style.class_colours(classes)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Type part of a class name, Enter answers")
        self.filter.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.message = QLabel()
        self.message.setProperty("role", "muted")
        layout = QVBoxLayout(self)
        for w in (self.filter, self.list, self.message):
            layout.addWidget(w)
        self.filter.textChanged.connect(self._refilter)
        self.filter.returnPressed.connect(self._answer)
        self.filter.installEventFilter(self)
        self.list.itemActivated.connect(lambda _item: self._answer())
        self.setFixedWidth(340)
        self._refilter("")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        # arrows typed in the filter box move the highlight in the list
        is_key = watched is self.filter and event.type() == QEvent.Type.KeyPress
        if is_key and event.key() in _MOVE_KEYS:
            moved = QKeyEvent(QEvent.Type.KeyPress, event.key(), event.modifiers())
            QApplication.sendEvent(self.list, moved)
            return True
        return super().eventFilter(watched, event)

    def _refilter(self, text: str) -> None:
        self.list.clear()
        for c in filter_classes(self._classes, text):
            item = QListWidgetItem(_swatch(self._colours[c.id]), class_text(c))
            item.setData(Qt.ItemDataRole.UserRole, c.id)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
            self.message.setText(f"{self.list.count()} of {len(self._classes)} classes")
        else:
            self.message.setText(f"No class matches “{text.strip()}”.")
        self._fit_rows()

    def open_beside_item(self, window: QWidget) -> None:
        """Open at the window's top right, over its side column rather than the item."""
        corner = window.mapToGlobal(window.rect().topRight())
        self.move(corner.x() - self.width() - 16, corner.y() + 48)
        self.open()

    def _fit_rows(self) -> None:
        """As tall as the matches (3 to ``SHOWN_ROWS`` rows): at 1024 x 600 a fixed 420 px box
        of two matches covered the picture being labelled."""
        row = self.list.sizeHintForRow(0) if self.list.count() else self.fontMetrics().height()
        rows = min(max(self.list.count(), 3), SHOWN_ROWS)
        self.list.setFixedHeight(rows * max(row, 1) + 2 * self.list.frameWidth() + 4)
        self.adjustSize()

    def highlighted(self) -> int | None:
        """The class id Enter would answer, or None when nothing matches."""
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _answer(self) -> None:
        class_id = self.highlighted()
        if class_id is None:  # nothing matches: stay open, the message says why
            return
        self.accept()
        self.picked.emit(class_id)
