"""The review window's keys: its shortcuts, Escape's two steps, and its F1 sheet (F1 did
nothing there, and its keys were listed nowhere)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut

from aldesk.gui.shortcuts import ShortcutSheet

# (what, keys) for the F1 sheet; the grid's own keys are handled by the window's event filter
REVIEW_KEYS = (
    ("Relabel the selected items as a class", "the class's key"),
    ("Clear the selected items' answers", "Delete, Backspace"),
    ("Accept the model's guesses (Confirm predictions)", "Enter"),
    ("Play / pause the selected clip (audio)", "Space"),
    ("Show an item in the labeling window", "Ctrl+Enter, double-click"),
    ("From the search to the items", "Down, Enter"),
    ("Select every item shown", "Ctrl+A"),
    ("Search file names", "Ctrl+F"),
    ("Undo the last change", "Ctrl+Z"),
    ("Clear the search; close the window", "Escape"),
    ("Keyboard shortcuts", "F1"),
)


def install_keys(window) -> None:
    """The review window's shortcuts (``window``: a ReviewWindow)."""
    QShortcut(QKeySequence.StandardKey.Undo, window, activated=window.undo)
    QShortcut(QKeySequence("Ctrl+F"), window, activated=window.filters.search.setFocus)
    QShortcut(QKeySequence.StandardKey.Close, window, activated=window.close)
    QShortcut(QKeySequence(Qt.Key.Key_Escape), window, activated=lambda: escape(window))
    QShortcut(QKeySequence("F1"), window, activated=lambda: show_keys(window))
    for keys in ("Ctrl+Return", "Ctrl+Enter"):  # the main keyboard's, the keypad's
        QShortcut(QKeySequence(keys), window, activated=lambda: window.label_in_main())
    # a keyboard user got from the search to the grid by 8 Tabs, on no current item
    search = window.filters.search
    search.returnPressed.connect(lambda: to_items(window))
    QShortcut(QKeySequence(Qt.Key.Key_Down), search, context=Qt.ShortcutContext.WidgetShortcut,
              activated=lambda: to_items(window))  # fmt: skip


def to_items(window) -> None:
    """Focus the grid with an item selected (the current one, else the first): class keys
    then have an item to relabel, not "Select items first"."""
    view = window.view
    view.setFocus(Qt.FocusReason.ShortcutFocusReason)
    model, chosen = view.model(), view.selectionModel()
    if chosen.hasSelection() or not model.rowCount():
        return
    current = view.currentIndex()
    chosen.setCurrentIndex(current if current.isValid() else model.index(0, 0),
                           chosen.SelectionFlag.ClearAndSelect)  # fmt: skip


def escape(window) -> None:
    """Escape clears a search being typed (it closed the window), else closes the window."""
    search = window.filters.search
    if search.hasFocus() and search.text():
        search.clear()
    else:
        window.close()  # as a dialog closes, from the keyboard


def show_keys(window) -> ShortcutSheet:
    sheet = ShortcutSheet(list(REVIEW_KEYS), window)
    sheet.setWindowTitle("Review keys — aldesk")
    sheet.open()
    return sheet
