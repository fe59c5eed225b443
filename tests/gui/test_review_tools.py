"""The review window's model-side tools through its real widgets: Confirm predictions and
Enter, auto-label, near-duplicates and outliers, labeling an item in the main window, the
keyboard (Enter, Escape)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from review_setup import class_id, trained


def test_confirm_mode_enter_accepts_the_guess_and_a_class_key_corrects(qtbot, opened) -> None:
    window, review, _ = opened
    trained(qtbot, window)
    qtbot.mouseClick(review.accept_bar.confirm_mode, Qt.MouseButton.LeftButton)
    rows = review.model.rows()
    assert rows and {(r.split, r.state) for r in rows} == {("pool", "unseen")}
    assert [r.confidence for r in rows] == sorted((r.confidence for r in rows), reverse=True)
    selection = review.view.selectionModel()
    selection.select(review.model.index(0), selection.SelectionFlag.Select)
    first = rows[0]
    review.view.setFocus()
    qtbot.keyClick(review.view, Qt.Key.Key_Return)
    ev = window.store.answers()[first.item_id]
    assert (ev.action, ev.class_id, ev.strategy) == ("label", first.predicted, "confirm")
    second = review.model.rows()[0]  # the accepted item left the "not yet seen" queue
    assert second.item_id != first.item_id
    selection.select(review.model.index(0), selection.SelectionFlag.ClearAndSelect)
    other = next(c for c in window.store.classes() if c.id != second.predicted)
    qtbot.keyClicks(review.view, other.hotkey)
    assert window.store.labels()[second.item_id] == other.id
    fixed = window.store.answers()[second.item_id]  # a correction, kept with the guess's confidence
    assert (fixed.strategy, fixed.score) == ("confirm-corrected", pytest.approx(second.confidence))
    assert ev.score == pytest.approx(first.confidence)
    # the tally: per confidence bin of the guess, confirmations vs corrections
    tally = review.tally
    cells = {tally.verticalHeaderItem(k).text(): [tally.item(k, j).text() for j in range(3)]
             for k in range(tally.rowCount())}  # fmt: skip
    assert sum(int(c[0]) for c in cells.values()) == 1
    assert sum(int(c[1]) for c in cells.values()) == 1
    bin_of = {b: k for k, b in enumerate(cells)}
    assert len(bin_of) in (1, 2) and all(c[2] in ("0%", "50%", "100%") for c in cells.values())
    qtbot.keyClick(review, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo: off the tally
    assert sum(int(tally.item(k, 1).text()) for k in range(tally.rowCount())) == 0


def test_auto_label_preview_apply_and_withdraw(qtbot, opened) -> None:
    window, review, _ = opened
    trained(qtbot, window)
    users = window.store.labels()
    qtbot.mouseClick(review.accept_bar.auto_button, Qt.MouseButton.LeftButton)
    dialog = review.accept_bar.dialog
    dialog.threshold.setValue(0.6)
    expected = [r for r in review.model.all_rows() if r.split == "pool" and r.state == "unseen"
                and r.confidence is not None and r.confidence >= 0.6]  # fmt: skip
    assert expected and len(dialog.preview.rows) == len(expected)
    assert f"{len(expected)} items" in dialog.summary.text()
    assert dialog.sample.count() == min(12, len(expected))
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    answers = window.store.answers()
    for r in expected:
        assert (answers[r.item_id].class_id, answers[r.item_id].strategy) == (r.predicted, "model")
    assert {r.source for r in review.model.all_rows() if r.item_id in answers
            and answers[r.item_id].strategy == "model"} == {"model"}  # fmt: skip
    qtbot.mouseClick(review.accept_bar.withdraw_button, Qt.MouseButton.LeftButton)
    assert window.store.labels() == users  # the model's labels gone, the user's untouched


def test_near_duplicates_and_outliers_are_one_click_away(qtbot, opened) -> None:
    _, review, _ = opened
    with qtbot.waitSignal(review.suspicion.scored, timeout=120_000):
        review.check_labels()
    show = review.filters.show_only
    show.setCurrentIndex(show.findData("duplicates"))
    names = [r.relpath for r in review.model.rows()]
    assert set(names[:2]) == {"digit_0005.png", "near_copy.jpg"}  # the closest pair first
    show.setCurrentIndex(show.findData("outliers"))
    shown = [r.item_id for r in review.model.rows()]
    assert shown == [o.item_id for o in review._space.outliers][: len(shown)] and shown
    show.setCurrentIndex(show.findData(None))
    assert review.model.rowCount() == len(review.model.all_rows())


def test_the_pool_scan_is_reused_until_the_features_change(qtbot, opened, monkeypatch) -> None:
    window, review, _ = opened
    from aldesk.gui.review import suspicion

    controller = window.controller
    # pretrained too, and swapped into the session (the rows lane runs after the extraction)
    qtbot.waitUntil(
        lambda: not controller.features.busy and not controller.rows.busy, timeout=120_000
    )
    with qtbot.waitSignal(review.suspicion.scored, timeout=120_000):
        review.check_labels()
    first = review._space
    scans = []
    original = suspicion._pool_rows
    monkeypatch.setattr(suspicion, "_pool_rows", lambda s: scans.append(1) or original(s))
    with qtbot.waitSignal(review.suspicion.scored, timeout=120_000) as blocker:
        review.check_labels()
    assert scans == [] and blocker.args[2] is first is review._space  # same features: reused


def test_double_click_shows_the_item_in_the_main_window_to_label_there(qtbot, opened) -> None:
    window, review, _ = opened
    controller, store = window.controller, window.store
    loop_item = controller.current().item.id
    review.filters.state.setCurrentIndex(review.filters.state.findData("unseen"))
    k = next(k for k, r in enumerate(review.model.rows())
             if r.item_id != loop_item and r.split == "pool")  # fmt: skip
    picked = review.model.rows()[k].item_id
    qtbot.waitUntil(lambda: review.view.visualRect(review.model.index(k)).isValid())
    rect = review.view.visualRect(review.model.index(k))
    qtbot.mouseClick(review.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(review.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert controller.current().item.id == picked
    assert window.why.strategy.text().startswith("Picked by you (in the review window)")
    assert window.viewer._path.name == store.item(picked).relpath.rsplit("/", 1)[-1]
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_5)  # labeled there, with the labeling window's keys
    assert store.labels()[picked] == class_id(review, "5")
    assert controller.current().item.id == loop_item  # the loop's own item comes back
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert picked not in store.answers()  # and Ctrl+Z withdraws that answer


def test_label_in_main_window_button_needs_a_chosen_item(qtbot, opened) -> None:
    window, review, _ = opened
    before = window.controller.current().item.id
    review.view.setCurrentIndex(review.model.index(-1))
    qtbot.mouseClick(review.label_here, Qt.MouseButton.LeftButton)
    assert "Click an item first" in review.statusBar().currentMessage()
    assert window.controller.current().item.id == before
    review.view.setCurrentIndex(review.model.index(3))
    qtbot.mouseClick(review.label_here, Qt.MouseButton.LeftButton)
    assert window.controller.current().item.id == review.model.rows()[3].item_id


def test_enter_on_every_item_records_no_guess(qtbot, opened) -> None:
    """Select all and Enter in the Every item view replaced labels given and answered every
    test item with the model's guess; it records nothing outside Confirm predictions."""
    window, review, _ = opened
    trained(qtbot, window)
    before = len(window.store.events())
    review.view.setFocus()
    review.view.selectAll()
    qtbot.keyClick(review.view, Qt.Key.Key_Return)
    assert len(window.store.events()) == before
    assert "Confirm predictions only" in review.statusBar().currentMessage()


def test_escape_closes_the_review_window(qtbot, opened) -> None:
    _window, review, _ = opened
    review.activateWindow()
    qtbot.waitUntil(review.isActiveWindow)
    qtbot.keyClick(review, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not review.isVisible())


def test_confirm_mode_keeps_the_surest_row_chosen_when_a_retrain_re_sorts(
    qtbot, opened, monkeypatch
) -> None:
    """After an Enter the next surest item was chosen; a retrain then re-sorted the list and
    the choice went with its item to row 612 (a 32 % guess, out of view): the next Enter
    accepted it."""
    import numpy as np

    window, review, _ = opened
    trained(qtbot, window)
    qtbot.mouseClick(review.accept_bar.confirm_mode, Qt.MouseButton.LeftButton)
    review.filters.search.setFocus()
    qtbot.keyClick(review.filters.search, Qt.Key.Key_Down)  # the keyboard's way in: row 0
    first = review.model.rows()[0].item_id
    assert review.selected_ids() == [first]
    real = review._proba

    def resorted() -> dict:  # the new model is unsure of it: it goes to the bottom
        proba = dict(real())
        proba[first] = np.full_like(proba[first], 1.0 / len(proba[first]))
        return proba

    monkeypatch.setattr(review, "_proba", resorted)
    review.refresh()
    surest = review.model.rows()[0].item_id
    assert surest != first and review.selected_ids() == [surest]
    assert review.view.currentIndex().row() == 0
    review.view.setFocus()
    qtbot.keyClick(review.view, Qt.Key.Key_Return)
    assert (
        window.store.answers()[surest].strategy == "confirm" and first not in window.store.answers()
    )


def test_auto_label_never_reads_100_percent_and_tab_leaves_the_tally(qtbot, opened) -> None:
    """ "Auto-labeled 6 items at confidence ≥ 100%" (the threshold was 0.999), a sample line
    "(100%)"; and Tab went round the tally's cells, never on to the review buttons."""
    from aldesk.gui.review.accept import threshold_text

    assert (threshold_text(0.999), threshold_text(0.95)) == ("99.9%", "95%")
    _, review, _ = opened
    assert not review.tally.tabKeyNavigation()
