"""The side column beside the item (Why this item?, Progress, the learning curve), and View ▸
Show … to hide or show each of its panels.

The column scrolls when the window is short, so no text is ever cut. On a 1366 × 768 screen
the three panels are taller than the column and the learning curve sits below its fold; hiding
the panel you do not read brings the others into view. The choice belongs to the person at this
screen, not to a project, so it is kept once for all projects (``window.ini``, beside the window
sizes).
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFrame, QMainWindow, QMenu, QScrollArea, QStyle, QVBoxLayout, QWidget

from aldesk.gui import window_state
from aldesk.gui.guard import reported_errors

# (window attribute, menu text)
PANELS: tuple[tuple[str, str], ...] = (
    ("why", "Show “W&hy this item?”"),
    ("status_panel", "Show Pro&gress"),
    ("curve", "Show the learning &curve"),
)


class SideScroll(QScrollArea):
    """The side column: 280 px at least, and never narrower than its panels (at a 15 pt font
    they needed 294 px and were cut at the right edge, with no horizontal scroll bar)."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        panels = self.widget()
        inner = max(panels.minimumSizeHint().width(), panels.minimumWidth()) if panels else 0
        return QSize(max(280, inner + bar), super().minimumSizeHint().height())


def build(panels: Iterable[QWidget]) -> SideScroll:
    """The panels one above the other, scrolling when the window is short (nothing clipped)."""
    side = QWidget()
    side_layout = QVBoxLayout(side)
    side_layout.setContentsMargins(0, 0, 0, 0)
    for w in panels:
        # no Tab stops that show no focus ring (class keys work wherever the focus is)
        w.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        side_layout.addWidget(_holder(w))
    scroll = SideScroll()
    scroll.setWidget(side)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return scroll


def _holder(panel: QWidget) -> QWidget:
    """A frame of its own for ``panel``: View ▸ Show … hides the frame, so the panel's own
    showing and hiding (Why this item? hides itself when no item is shown) stays its own."""
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(panel)
    return holder


def view_menu(window: QMainWindow) -> QMenu | None:
    """The window's View menu (the review and the side panels add their actions to it)."""
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == "View" and action.menu() is not None:
            return action.menu()
    return None


class ColumnFit(QObject):
    """Hides the side column while nothing in it is shown, so the item gets its width, and
    shows it again as soon as a panel is (a synthesized item's panel shows itself)."""

    def __init__(self, column: QScrollArea) -> None:
        super().__init__(column)
        self.column = column
        for w in self._panels():
            w.installEventFilter(self)
        self.fit()

    def _panels(self) -> list[QWidget]:
        layout = self.column.widget().layout()
        items = (layout.itemAt(i) for i in range(layout.count()))
        return [item.widget() for item in items if item.widget() is not None]

    def fit(self) -> None:
        self.column.setVisible(any(not w.isHidden() for w in self._panels()))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        # ...ToParent: sent when a panel is shown or hidden, even inside a hidden column
        if event.type() in (QEvent.Type.ShowToParent, QEvent.Type.HideToParent):
            with reported_errors():
                self.fit()
        return False


def install_toggles(window: QMainWindow) -> dict[str, QAction]:
    """Add one checkable action per side panel to the View menu, each as last chosen; call
    once every panel is in the column."""
    menu = view_menu(window)
    if menu is not None:
        menu.addSeparator()
    settings = window_state.settings()
    actions: dict[str, QAction] = {}
    for attr, text in PANELS:
        widget: QWidget = getattr(window, attr).parentWidget()  # its holder
        action = QAction(text, window)
        action.setObjectName(f"action_show_{attr}")
        action.setCheckable(True)
        shown = settings.value(_key(attr), True, type=bool)
        action.setChecked(shown)
        widget.setVisible(shown)
        action.toggled.connect(lambda on, w=widget, a=attr: _show(w, a, on))
        if menu is not None:
            menu.addAction(action)
        actions[attr] = action
    window.column_fit = ColumnFit(window.side_scroll)
    return actions


def _key(attr: str) -> str:
    return f"panels/{attr}"


def _show(widget: QWidget, attr: str, on: bool) -> None:
    widget.setVisible(on)
    settings = window_state.settings()
    settings.setValue(_key(attr), on)
    settings.sync()
