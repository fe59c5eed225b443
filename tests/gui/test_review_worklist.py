"""The doubtful labels as a worklist: a check run after a correction no longer drops the
doubts not reached yet (a user went down a list that jumped from 34 to 68 to 0 rows)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from review_setup import opened  # noqa: F401 (fixture)


def _doubted(review) -> list:
    return [r for r in review.model.rows() if r.suspicion is not None]


def test_a_later_check_keeps_the_doubts_not_acted_on(qtbot, opened) -> None:  # noqa: F811
    window, review, _ = opened
    with qtbot.waitSignal(review.suspicion.scored, timeout=120_000) as scored:
        review.check_labels()
    result, class_ids, space = scored.args
    qtbot.mouseClick(review.filters.suspicious, Qt.MouseButton.LeftButton)
    listed = [r.item_id for r in _doubted(review)]
    assert len(listed) >= 3
    qtbot.keyClicks(review.filters.search, "no_such_name")  # hidden by a search, not undoubted
    assert f"the other filters hide the {len(listed)} doubted labels" in review.count_label.text()
    review.filters.search.clear()
    # the first is confirmed (Enter): it leaves the list
    review.view.selectionModel().select(review.model.index(0),
                                        review.view.selectionModel().SelectionFlag.Select)  # fmt: skip
    review.view.setFocus()
    qtbot.keyClick(review.view, Qt.Key.Key_Return)
    # a later check flags none of the rest (its model agrees with fewer labels, say)
    review.suspicion.scored.emit(replace(result, suspects=[]), class_ids, space)
    assert [r.item_id for r in _doubted(review)] == listed[1:]
    assert "stay in “Suspicious only” until you relabel or confirm them" in review.summary.text()
    # the window opened again starts a fresh list: the check it runs, and no earlier doubt
    review.close()
    with qtbot.waitSignal(review.suspicion.scored, timeout=120_000) as again:
        window.actions_by_name["review"].trigger()
        assert _doubted(review) == []  # not the last opening's list while the check runs
    fresh = {s.item_id for s in again.args[0].suspects} - {listed[0]}  # confirmed: not doubted
    assert {r.item_id for r in _doubted(review)} == fresh
