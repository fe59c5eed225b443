"""Small form widgets the dialogs share: muted and error labels, option combos, spin boxes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QSpinBox


def muted_label(text: str = "") -> QLabel:
    label = QLabel(text, wordWrap=True)
    label.setProperty("role", "muted")
    return label


def error_label() -> QLabel:
    label = QLabel(wordWrap=True)
    label.setProperty("role", "error")
    return label


def combo(options: dict[str, str], default: str) -> QComboBox:
    combo = QComboBox()
    for key, description in options.items():
        combo.addItem(description.split(":")[0], key)
        combo.setItemData(combo.count() - 1, description, Qt.ItemDataRole.ToolTipRole)
    index = combo.findData(default)
    combo.setCurrentIndex(max(0, index))
    return combo


def spin(low: int, high: int, value: int, suffix: str = "") -> QSpinBox:
    spin = QSpinBox(minimum=low, maximum=high, value=value, suffix=suffix)
    spin.setAccelerated(True)
    return spin
