"""One button per class with its hotkey, plus Skip, Can't label, Undo, Back and Forward.

The class buttons wrap into rows of equal cells inside a scroll area of at most two rows (three
when the third is the last: nine classes then show every button instead of hiding one), so the
bar never makes the window wider than the screen, whatever the number of classes. Past
``PICKER_THRESHOLD`` classes a "Find class" button opens the type-to-filter picker (also on
the "/" key).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QWidget,
)

from aldesk.core.store import ClassInfo
from aldesk.gui import style
from aldesk.gui.guard import guarded
from aldesk.gui.panels.flow_layout import CellFlowLayout

PICKER_THRESHOLD = 12  # more classes than this: offer the type-to-filter picker in the bar
MAX_ROWS = 2  # class button rows shown at once; the rest scroll...
# ...unless one more row shows every button: a scroll bar that hides one class costs more
# than 44 px of viewer.
LAST_ROW_GRACE = 1
BUTTON_HEIGHT = 38
_CELL_MIN, _CELL_MAX = 96, 190  # a class button's width bounds (px); longer names are elided
_PADDING = 26  # colour stripe, padding and border of a class button


def _button(text: str, tip: str, colour: str | None = None) -> QPushButton:
    return _style_button(QPushButton(text), tip, colour)


def _style_button(b: QPushButton, tip: str, colour: str | None = None) -> QPushButton:
    b.setToolTip(tip)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys go to the window's shortcuts
    b.setMinimumHeight(BUTTON_HEIGHT)
    b.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    if colour:
        b.setStyleSheet(
            f"QPushButton {{ border-left: 6px solid {colour}; padding: 5px 8px;"
            " font-weight: 600; text-align: left; }"
        )
    return b


class _ClassButton(QPushButton):
    """A class button whose name is elided (…) only when its cell is too narrow for it."""

    def __init__(self, text: str, tip: str, colour: str) -> None:
        super().__init__(literal(text))
        _style_button(self, tip, colour)
        self.full_text = text

    @guarded
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        room = event.size().width() - _PADDING
        metrics = self.fontMetrics()
        fits = metrics.horizontalAdvance(self.full_text) <= room
        shown = self.full_text if fits else metrics.elidedText(
            self.full_text, Qt.TextElideMode.ElideRight, room
        )  # fmt: skip
        if literal(shown) != self.text():
            self.setText(literal(shown))


def literal(text: str) -> str:
    """``text`` as a button shows it: "signs & symbols" read "signs _symbols" (a mnemonic)."""
    return text.replace("&", "&&")


def class_text(c: ClassInfo) -> str:
    """What a class button says: its key, then its name."""
    return f"[{c.hotkey.upper()}] {c.name}" if c.hotkey else c.name


class _ClassScroll(QScrollArea):
    """Shows up to MAX_ROWS rows of class buttons (at least one; one more when that is all of
    them) and scrolls the rest."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a Tab stop with no visible focus
        host = QWidget()
        self.flow = CellFlowLayout(host, fit_rows=MAX_ROWS + LAST_ROW_GRACE)
        self.setWidget(host)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        self._rows = 0

    def _rows_for(self, width: int) -> int:
        rows = self.flow.rows(width)
        return rows if rows <= MAX_ROWS + LAST_ROW_GRACE else MAX_ROWS

    def _height(self, rows: int) -> int:
        return rows * (BUTTON_HEIGHT + self.flow.spacing()) - self.flow.spacing()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        width = self.width() if self.isVisible() else self.flow.sizeHint().width()
        return QSize(self.flow.sizeHint().width(), self._height(self._rows_for(width)))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        return QSize(self.flow.minimumSize().width() + bar, self._height(1))

    def row_step(self) -> int:
        return BUTTON_HEIGHT + self.flow.spacing()

    @guarded
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        rows = self._rows_for(event.size().width())
        # scrolled a row at a time, a page at a time: a fixed step left half-cut buttons
        self.verticalScrollBar().setSingleStep(self.row_step())
        self.verticalScrollBar().setPageStep(max(1, rows) * self.row_step())
        if rows != self._rows:  # a wider bar needs fewer rows: ask the window for that height
            self._rows = rows
            self.updateGeometry()

    @guarded
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt override)
        """One row per wheel notch (120 eighths of a degree), landing on a row's top (whole
        buttons in view). A touchpad's small deltas add up to a notch: each one moved a row."""
        delta = event.angleDelta().y()
        if not delta:
            return super().wheelEvent(event)
        self._wheel = getattr(self, "_wheel", 0) + delta
        notches = int(self._wheel / 120)  # towards zero: a part notch waits for the rest
        if notches:
            self._wheel -= notches * 120
            bar, step = self.verticalScrollBar(), self.row_step()
            bar.setValue((round(bar.value() / step) - notches) * step)
        event.accept()


class LabelBar(QWidget):
    """Buttons that mirror the keyboard; clicking one is the same as pressing its key."""

    label_clicked = Signal(int)  # class id
    skip_clicked = Signal()
    cannot_label_clicked = Signal()
    undo_clicked = Signal()
    back_clicked = Signal()
    forward_clicked = Signal()
    picker_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # always as tall as its rows want (see _ClassScroll): the viewer gives way, not the bar
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(6)
        self._class_buttons: dict[int, QPushButton] = {}
        self._nav: dict[str, QPushButton] = {}  # back, undo, forward
        self._nav["back"] = self._small(
            "◀", "Back to the previous answered item (Alt+Left)", self.back_clicked
        )
        self._nav["undo"] = self._small(
            "Undo", "Withdraw the last answer (Ctrl+Z)", self.undo_clicked
        )
        self._nav["back"].setAccessibleName("Back")  # a screen reader read the glyphs
        self.classes_area = _ClassScroll()
        self.find_button = self._small(
            "[/] Find class…", "Type part of a class name, Enter answers (/)", self.picker_requested
        )
        self.skip_button = self._small("[S] Skip", "Skip this item for now", self.skip_clicked)
        self.cannot_button = self._small(
            "[X] Can't label",
            "This item cannot be labeled (recorded, never trained on)",
            self.cannot_label_clicked,
        )
        self._nav["forward"] = self._small(
            "▶", "Forward to the next item (Alt+Right)", self.forward_clicked
        )
        self._nav["forward"].setAccessibleName("Forward")
        # aligned, the fixed-height buttons do not cap the bar's height at one row
        centre = Qt.AlignmentFlag.AlignVCenter
        self._groups = [  # each a grid: one row, or two when stacked (see _stack_actions)
            [self._nav["back"], self._nav["undo"]],
            [self.find_button, self.skip_button, self.cannot_button, self._nav["forward"]],
        ]
        self._boxes = [QWidget(), QWidget()]
        self._stacked = True
        self._stack_actions(False)
        layout.addWidget(self._boxes[0], 0, centre)
        layout.addSpacing(6)
        layout.addWidget(self.classes_area, 1)
        layout.addSpacing(6)
        layout.addWidget(self._boxes[1], 0, centre)

    def _stack_actions(self, stacked: bool) -> None:
        """The buttons beside the classes in one row, or in two when the class buttons need
        more than one row anyway: on a 1024-px-wide window with 15 classes the row left the
        class buttons room for two columns (4 of 15 in view)."""
        if stacked == self._stacked:
            return
        self._stacked = stacked
        for box, buttons in zip(self._boxes, self._groups, strict=True):
            old = box.layout()  # a fresh grid: one whose widgets moved kept its old columns
            if old is not None:  # and squeezed them ("Undo" drawn as "nc")
                for b in buttons:
                    old.removeWidget(b)
                QWidget().setLayout(old)  # the old layout goes with a throwaway widget
            grid = QGridLayout(box)
            grid.setContentsMargins(0, 0, 0, 0)
            grid.setSpacing(6)
            half = (len(buttons) + 1) // 2
            for i, b in enumerate(buttons):
                row, col = (i // half, i % half) if stacked else (0, i)
                grid.addWidget(b, row, col)

    def _actions_width(self, stacked: bool) -> int:
        """The width the buttons beside the classes take in a row (or stacked in two)."""
        total = 0
        for buttons in self._groups:
            shown = [b.sizeHint().width() for b in buttons if not b.isHidden()]
            if stacked:  # column widths
                half = (len(shown) + 1) // 2
                shown = [max(shown[i::half]) for i in range(half)]
            total += sum(shown) + 6 * max(0, len(shown) - 1)
        return total

    def _arrange_actions(self) -> None:
        """Stack the action buttons when, with them in a row, the classes need two rows."""
        area = self.classes_area.width()
        if self._stacked:  # the width the class buttons would have with the actions in a row
            area -= self._actions_width(False) - self._actions_width(True)
        self._stack_actions(self.classes_area.flow.rows(max(1, area)) > 1)

    @guarded
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._arrange_actions()

    def _small(self, text: str, tip: str, signal) -> QPushButton:
        b = _button(text, tip)
        b.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        b.clicked.connect(signal)
        return b

    def set_classes(self, classes: list[ClassInfo]) -> None:
        flow = self.classes_area.flow
        while flow.count():
            w = flow.takeAt(0).widget()
            if w is not None:  # hidden now: until the deferred delete it showed where it was
                w.hide()
                w.deleteLater()
        self._class_buttons.clear()
        font = QFont(self.font())
        font.setWeight(QFont.Weight.DemiBold)
        metrics = QFontMetrics(font)
        texts = {c.id: class_text(c) for c in classes}
        widths = sorted(metrics.horizontalAdvance(t) + _PADDING for t in texts.values()) or [0]
        cell = min(max(widths[-1], _CELL_MIN), _CELL_MAX)
        # when the full cells overflow the rows in view: wide enough for three names in four
        compact = min(max(widths[(3 * len(widths) - 1) // 4], _CELL_MIN), cell)
        colours = style.class_colours(classes)
        for c in classes:
            b = _ClassButton(texts[c.id], f"Label as {c.name}", colours[c.id])
            b.clicked.connect(lambda _=False, cid=c.id: self.label_clicked.emit(cid))
            self._class_buttons[c.id] = b
            flow.addWidget(b)
        flow.set_cell_width(cell, compact)
        self.find_button.setVisible(len(classes) > PICKER_THRESHOLD)
        self.classes_area.updateGeometry()
        self.layout().invalidate()  # the row count may have changed before the bar is shown
        self._arrange_actions()  # before it is shown, too: a window's first minimum stays

    def set_answer(self, class_id: int | None) -> None:
        """Highlight the class an item was answered with (when revisiting it)."""
        for cid, b in self._class_buttons.items():
            b.setDown(cid == class_id)

    def set_enabled(self, enabled: bool) -> None:
        buttons = [*self._class_buttons.values(), *self._nav.values()]
        for b in (*buttons, self.find_button, self.skip_button, self.cannot_button):
            b.setEnabled(enabled)

    def set_navigation(self, back: bool, undo: bool, forward: bool) -> None:
        """Enable ◀, Undo and ▶ exactly when they would do something (even with no item)."""
        for name, enabled in (("back", back), ("undo", undo), ("forward", forward)):
            self._nav[name].setEnabled(enabled)

    def nav_button(self, name: str) -> QPushButton:
        """``back``, ``undo`` or ``forward``."""
        return self._nav[name]

    def button(self, class_id: int) -> QPushButton:
        return self._class_buttons[class_id]

    def in_view(self, class_id: int) -> bool:
        """The class's button is wholly in view (not scrolled away in the class area)."""
        button, area = self._class_buttons.get(class_id), self.classes_area
        if button is None:
            return False
        top_left = button.mapTo(area.viewport(), button.rect().topLeft())
        return area.viewport().rect().contains(button.rect().translated(top_left))
