"""The review side of the labeling window: View ▸ Review (Ctrl+R) opens :class:`ReviewWindow`."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow

from aldesk.gui.panels.side_column import view_menu

REVIEW_SHORTCUT = "Ctrl+R"


def install(window: QMainWindow) -> QAction:
    """Add View ▸ Review labels… to the labeling window (and to its F1 sheet)."""
    action = QAction("&Review labels…", window)
    action.setObjectName("action_review")
    action.setShortcut(QKeySequence(REVIEW_SHORTCUT))
    action.triggered.connect(lambda _checked=False: show_review(window))
    window.addAction(action)
    menu = view_menu(window)
    if menu is not None:
        menu.addSeparator()
        menu.addAction(action)
    if isinstance(getattr(window, "actions_by_name", None), dict):
        window.actions_by_name["review"] = action
    return action


def show_review(window: QMainWindow):
    """Show the project's review window, creating it on first use."""
    from aldesk.gui.review.window import ReviewWindow

    review = getattr(window, "review_window", None)
    if review is None:
        review = ReviewWindow(window.controller, window)
        window.review_window = review
    review.show()
    review.raise_()
    review.activateWindow()
    return review
