"""One button per class with its hotkey, plus Skip, Can't label, Undo, Back and Forward."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSizePolicy, QWidget

from aldesk.core.store import ClassInfo


def _button(text: str, tip: str, colour: str | None = None) -> QPushButton:
    b = QPushButton(text)
    b.setToolTip(tip)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys go to the window's shortcuts
    b.setMinimumHeight(40)
    b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    if colour:
        b.setStyleSheet(
            f"QPushButton {{ border-left: 6px solid {colour}; padding: 6px 10px;"
            " font-weight: 600; text-align: left; }"
        )
    return b


class LabelBar(QWidget):
    """Buttons that mirror the keyboard; clicking one is the same as pressing its key."""

    label_clicked = Signal(int)  # class id
    skip_clicked = Signal()
    cannot_label_clicked = Signal()
    undo_clicked = Signal()
    back_clicked = Signal()
    forward_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(8, 6, 8, 6)
        self._layout.setSpacing(6)
        self._class_buttons: dict[int, QPushButton] = {}

    def set_classes(self, classes: list[ClassInfo]) -> None:
        while self._layout.count():
            w = self._layout.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self._class_buttons.clear()
        for text, tip, signal in (
            ("◀", "Back to the previous answered item (Alt+Left)", self.back_clicked),
            ("Undo", "Withdraw the last answer (Ctrl+Z)", self.undo_clicked),
        ):
            self._add_small(text, tip, signal)
        self._layout.addSpacing(8)
        for c in classes:
            key = f"[{c.hotkey.upper()}]  " if c.hotkey else ""
            b = _button(f"{key}{c.name}", f"Label as {c.name}", c.colour)
            b.clicked.connect(lambda _=False, cid=c.id: self.label_clicked.emit(cid))
            self._class_buttons[c.id] = b
            self._layout.addWidget(b, 2)
        self._layout.addSpacing(12)
        skip = _button("[S]  Skip", "Skip this item for now")
        skip.clicked.connect(self.skip_clicked)
        cannot = _button(
            "[X]  Can't label", "This item cannot be labeled (recorded, never trained on)"
        )
        cannot.clicked.connect(self.cannot_label_clicked)
        for b in (skip, cannot):
            self._layout.addWidget(b, 1)
        self._add_small("▶", "Forward to the next item (Alt+Right)", self.forward_clicked)

    def _add_small(self, text: str, tip: str, signal) -> None:
        b = _button(text, tip)
        b.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        b.clicked.connect(signal)
        self._layout.addWidget(b)

    def set_answer(self, class_id: int | None) -> None:
        """Highlight the class an item was answered with (when revisiting it)."""
        for cid, b in self._class_buttons.items():
            b.setDown(cid == class_id)

    def set_enabled(self, enabled: bool) -> None:
        for i in range(self._layout.count()):
            w = self._layout.itemAt(i).widget()
            if w is not None:
                w.setEnabled(enabled)

    def button(self, class_id: int) -> QPushButton:
        return self._class_buttons[class_id]
