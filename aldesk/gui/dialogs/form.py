"""Small form widgets the dialogs share: muted and error labels, option combos, spin boxes,
editable tables a keyboard can leave, and a column that scrolls."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QLabel,
    QScrollArea,
    QSpinBox,
    QStyle,
    QWidget,
)


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


def keep_keyboard_moving(table: QAbstractItemView) -> None:
    """An editable table a keyboard user can leave and cannot overwrite by accident: Tab goes
    on to the next control (it cycled the cells for ever), and a cell is edited on a
    double-click or F2 only (Space then Enter had replaced a class name with a space)."""
    table.setTabKeyNavigation(False)
    triggers = QAbstractItemView.EditTrigger
    table.setEditTriggers(triggers.DoubleClicked | triggers.EditKeyPressed)


def scrolling_column(widget: QWidget) -> QScrollArea:
    """``widget`` in a column that scrolls when the screen is short, never narrower than it."""
    area = _ColumnScroll()
    area.setWidget(widget)
    widget.installEventFilter(area)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to its fields (typing went nowhere)
    area.viewport().setAutoFillBackground(False)  # the group box's colour shows through
    widget.setAutoFillBackground(False)
    return area


class _ColumnScroll(QScrollArea):
    """Never narrower than its content (Advanced opened included): with no horizontal scroll
    bar, the rest was cut off at the column's edge."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        inner = self.widget().minimumSizeHint().width() if self.widget() else 0
        return QSize(inner + bar, super().minimumSizeHint().height())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.LayoutRequest:  # Advanced opened: its width counts now
            self.updateGeometry()
        return False
