"""The wrapping row of the review window's controls: its minimum is its widest item, and a
narrow width puts the items on more rows (the height it asks for grows); the review window
fits a small screen with it."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton, QWidget

from aldesk.gui.panels.wrap_layout import WrapLayout, kept_together


def test_items_wrap_into_rows_and_the_minimum_is_the_widest(qtbot) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    row = WrapLayout(host)
    buttons = [QPushButton(text) for text in ("One", "A much longer button", "Three")]
    for b in buttons:
        row.addWidget(b)
    widest = max(b.sizeHint().width() for b in buttons)
    assert row.minimumSize().width() == max(b.minimumSizeHint().width() for b in buttons)
    one_row = row.sizeHint().width()
    assert one_row >= sum(b.sizeHint().width() for b in buttons)
    assert row.heightForWidth(one_row) == max(b.sizeHint().height() for b in buttons)
    assert row.heightForWidth(widest) > 2 * buttons[0].sizeHint().height()  # three rows
    host.resize(widest, row.heightForWidth(widest))
    host.show()
    qtbot.waitExposed(host)
    tops = sorted({b.geometry().top() for b in buttons})
    assert len(tops) == 3 and all(b.geometry().right() < widest for b in buttons)


def test_a_kept_together_group_is_one_item(qtbot) -> None:
    group = kept_together(QPushButton("Relabel selected"), QPushButton("as"))
    qtbot.addWidget(group)
    assert group.layout().count() == 2


def test_the_review_window_fits_a_small_screen(qtbot, opened) -> None:
    """It needed 1,077 px: more than 1024 × 600, or 1366 × 768 at 150 % (911 logical px)."""
    _, review, _ = opened
    need = review.minimumSizeHint().expandedTo(review.minimumSize())
    assert need.width() <= 1366 / 1.5 and need.height() <= 600 - 60
