"""A big, readable message shown instead of an item that cannot be displayed or played."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from aldesk.gui import style


class Placeholder(QWidget):
    """Big, readable message for an item that cannot be shown."""

    def __init__(self, glyph: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("placeholder")
        self.setAutoFillBackground(True)
        self.glyph = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.glyph.setPixmap(style.svg_pixmap(glyph, 72, style.MUTED_TEXT))
        self.title = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.title.setFont(style.heading_font(6))
        self.reason = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.reason.setFont(style.heading_font(3, bold=False))
        self.reason.setStyleSheet(f"color: {style.ERROR_TEXT.name()};")
        self.hint = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.hint.setTextFormat(Qt.TextFormat.RichText)
        self.hint.setFont(style.heading_font(1, bold=False))
        self.hint.setText("Press <b>S</b> to skip it, or <b>X</b> if it cannot be labeled.")
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        for w in (self.glyph, self.title, self.reason, self.hint):
            layout.addWidget(w)
        layout.setSpacing(14)
        layout.addStretch(3)
        layout.setContentsMargins(40, 20, 40, 20)

    def show_message(self, name: str, reason: str, verb: str = "show") -> None:
        self.title.setText(f"Cannot {verb} “{name}”")
        self.reason.setText(reason)
