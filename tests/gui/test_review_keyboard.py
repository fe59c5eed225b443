"""The review window by keyboard alone: Escape's two steps, the F1 sheet of its keys, and the
way from the search box to an item and on to the labeling window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget


def test_escape_in_the_search_clears_it_before_it_closes_the_window(qtbot, opened) -> None:
    """Escape in the search box closed the whole review window."""
    window, review, _ = opened
    review.activateWindow()
    qtbot.waitUntil(review.isActiveWindow)
    search = review.filters.search
    search.setFocus()
    qtbot.waitUntil(search.hasFocus)
    qtbot.keyClicks(search, "digit_001")
    qtbot.keyClick(search, Qt.Key.Key_Escape)
    assert review.isVisible() and search.text() == ""
    qtbot.keyClick(search, Qt.Key.Key_Escape)
    assert not review.isVisible()


def test_f1_lists_the_review_windows_own_keys(qtbot, opened) -> None:
    """F1 did nothing in the review window, and its keys (a class key relabels, Delete
    clears, Enter confirms) were listed nowhere."""
    from aldesk.gui.shortcuts import ShortcutSheet

    window, review, _ = opened
    review.activateWindow()
    qtbot.waitUntil(review.isActiveWindow)
    qtbot.keyClick(review, Qt.Key.Key_F1)
    sheet = review.findChild(ShortcutSheet)
    qtbot.waitUntil(lambda: sheet is not None and sheet.isVisible())
    table = sheet.findChild(QTableWidget)
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["Clear the selected items' answers"] == "Delete, Backspace"
    assert rows["Relabel the selected items as a class"] == "the class's key"
    sheet.close()


def test_keyboard_only_from_the_search_to_an_item_in_the_labeling_window(qtbot, opened) -> None:
    """Down and Enter did nothing in the search box, and no key opened an item in the
    labeling window (Enter accepts guesses): a keyboard user had 8 Tabs and no way on."""
    window, review, _ = opened
    review.filters.search.setFocus()
    qtbot.keyClicks(review.filters.search, "digit_002")
    qtbot.keyClick(review.filters.search, Qt.Key.Key_Down)
    first = review.model.rows()[0]
    assert first.relpath.startswith("digit_002") and review.selected_ids() == [first.item_id]
    qtbot.keyClick(review.view, Qt.Key.Key_Right)
    chosen = review.selected_ids()[0]
    qtbot.keyClick(review.view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.controller.current() is not None
                    and window.controller.current().item.id == chosen)  # fmt: skip
    review.filters.search.clear()
    qtbot.keyClicks(review.filters.search, "digit_003")
    qtbot.keyClick(review.filters.search, Qt.Key.Key_Return)  # Enter goes to the items too
    current = review.view.currentIndex()
    assert current.isValid() and review.model.rows()[current.row()].relpath.startswith("digit_003")
