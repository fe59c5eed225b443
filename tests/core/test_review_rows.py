"""Review rows: filters and sorts, batch edits and their exact inverse, auto-label preview."""

from __future__ import annotations

from aldesk.core.records import Event, Item, current_answers
from aldesk.core.review_auto import (
    auto_label_edits,
    confirm_edits,
    preview_auto_labels,
    wilson,
    withdraw_model_edits,
)
from aldesk.core.review_rows import Filter, ReviewRow, build_rows, inverse, plan_edits, select


def _item(i: int, split: str = "pool", status: str = "ok") -> Item:
    return Item(i, f"h{i}", f"dir/f{i:02d}.png", "image", 1, 0, status, None, split, "file", None)


def _event(eid: int, item: int, action: str, cls=None, strategy=None, undoes=None, split="pool"):
    return Event(eid, float(eid), item, action, cls, strategy, None, None, split, undoes)


def _log(events):
    """A tiny in-memory log with the store's semantics (append, replay)."""
    log = list(events)

    def append(edits):
        for e in edits:
            log.append(_event(len(log) + 1, e.item_id, e.action, e.class_id, e.strategy,
                              e.undoes, e.split))  # fmt: skip
        return log[-len(edits) :]

    return log, append


def test_rows_carry_state_source_and_the_model_view() -> None:
    items = [_item(1), _item(2), _item(3, status="unreadable"), _item(4, split="test")]
    answers = {1: _event(1, 1, "label", 10, "import"), 2: _event(2, 2, "skip"),
               4: _event(3, 4, "label", 11, None, split="test")}  # fmt: skip
    proba = {1: [0.2, 0.8], 4: [0.9, 0.1]}
    rows = build_rows(items, answers, {10: 10, 11: 11}, proba, [10, 11])
    by_id = {r.item_id: r for r in rows}
    assert [by_id[i].state for i in (1, 2, 3, 4)] == ["labeled", "skipped", "unreadable", "labeled"]
    assert by_id[1].source == "import" and by_id[4].source == "user" and by_id[3].source is None
    assert by_id[1].predicted == 11 and abs(by_id[1].disagreement - 0.8) < 1e-9
    assert select(rows, Filter(text="F02")) == [by_id[2]]
    assert select(rows, Filter(split="test")) == [by_id[4]]
    assert [r.item_id for r in select(rows, Filter(), "disagreement")][:2] == [4, 1]


def test_a_labeled_file_gone_since_is_listed_with_why() -> None:
    """Deleted labeled files did not show under Unreadable, and the grid said only
    "unreadable" for files gone and damaged alike."""
    gone = Item(1, "h1", "a.png", "image", 1, 0, "missing",
                "the file is no longer in the pool folder", "pool", "file", None)  # fmt: skip
    items = [gone, _item(2), _item(3, status="unreadable")]
    rows = build_rows(items, {1: _event(1, 1, "label", 10)}, {10: 10})
    by_id = {r.item_id: r for r in rows}
    assert by_id[1].state == "labeled"  # still a label: the project keeps it
    assert by_id[1].trouble == "missing: the file is no longer in the pool folder"
    assert {r.item_id for r in select(rows, Filter(state="unreadable"))} == {1, 3}


def test_a_relabel_and_a_clear_are_undone_exactly() -> None:
    items = {i: _item(i) for i in (1, 2, 3)}
    log, append = _log([_event(1, 1, "label", 10, "import"), _event(2, 2, "skip")])
    before = current_answers(log)
    batch = append(plan_edits("label", [1, 2, 3], items, before, 20))
    assert {i: e.class_id for i, e in current_answers(log).items()} == {1: 20, 2: 20, 3: 20}
    append(inverse(batch, {e.id: e for e in log}))
    assert {i: (e.action, e.class_id) for i, e in current_answers(log).items()} == {
        1: ("label", 10), 2: ("skip", None)}  # fmt: skip
    cleared = append(plan_edits("clear", [1, 2, 3], items, current_answers(log)))
    assert len(cleared) == 2 and current_answers(log) == {}
    append(inverse(cleared, {e.id: e for e in log}))
    back = current_answers(log)
    assert (back[1].class_id, back[1].strategy, back[2].action) == (10, "import", "skip")


def test_auto_label_preview_apply_and_withdraw() -> None:
    rows = [ReviewRow(1, "a", "pool", "unseen", predicted=10, confidence=0.99),
            ReviewRow(2, "b", "pool", "unseen", predicted=11, confidence=0.6),
            ReviewRow(3, "c", "test", "unseen", predicted=10, confidence=0.99),
            ReviewRow(4, "d", "pool", "labeled", 11, predicted=10, confidence=0.99),
            ReviewRow(5, "e", "test", "labeled", 10, predicted=10, confidence=0.97),
            ReviewRow(6, "f", "test", "labeled", 11, predicted=10, confidence=0.95),
            ReviewRow(7, "g", "test", "labeled", 11, predicted=11, confidence=0.5)]  # fmt: skip
    preview = preview_auto_labels(rows, 0.9)
    assert [r.item_id for r in preview.rows] == [1]  # never a test item, never an answered one
    assert preview.per_class == {10: 1}
    assert (preview.test_n, preview.test_correct, preview.accuracy) == (2, 1, 0.5)
    lo, hi = preview.accuracy_ci
    assert lo < 0.5 < hi
    log, append = _log([_event(1, 4, "label", 11)])
    append(auto_label_edits(preview))
    answers = current_answers(log)
    assert answers[1].strategy == "model" and answers[1].class_id == 10
    append(withdraw_model_edits(answers))
    assert set(current_answers(log)) == {4}  # the user's label stays


def test_confirm_records_the_guess_as_the_users_label() -> None:
    rows = [ReviewRow(1, "a", "pool", "unseen", predicted=10, confidence=0.9),
            ReviewRow(2, "b", "pool", "labeled", 10, predicted=10, confidence=0.9),
            # never replaced by a guess: a label given, a skip; never the model's: a test item
            ReviewRow(3, "c", "pool", "labeled", 11, predicted=10, confidence=0.9),
            ReviewRow(4, "d", "pool", "skipped", predicted=10, confidence=0.9),
            ReviewRow(5, "e", "test", "unseen", predicted=10, confidence=0.9)]  # fmt: skip
    edits = confirm_edits(rows)
    assert [(e.item_id, e.class_id, e.strategy) for e in edits] == [(1, 10, "confirm")]


def test_wilson_interval() -> None:
    assert wilson(0, 0) is None
    lo, hi = wilson(9, 10)
    assert 0.55 < lo < 0.6 and 0.98 < hi < 0.99


def test_confirm_calibration_bins_confirmations_and_corrections_by_the_guess_confidence() -> None:
    from aldesk.core.records import Event
    from aldesk.core.review_auto import CONFIDENCE_BINS, confirm_calibration

    def ev(i, strategy, score):
        return Event(i, 0.0, i, "label", 1, strategy, score, None, "pool", None)

    answers = {1: ev(1, "confirm", 0.97), 2: ev(2, "confirm", 0.96),
               3: ev(3, "confirm-corrected", 0.955), 4: ev(4, "confirm", 1.0),
               5: ev(5, "confirm-corrected", 0.3), 6: ev(6, "confirm", None),  # a kept label
               7: ev(7, "review", 0.99)}  # fmt: skip
    bins = {(b.lo, b.hi): b for b in confirm_calibration(answers)}
    assert len(bins) == len(CONFIDENCE_BINS) - 1
    b = bins[(0.95, 0.99)]
    assert (b.confirmed, b.corrected) == (2, 1) and b.right == 2 / 3
    assert (bins[(0.99, 1.0)].confirmed, bins[(0.0, 0.5)].corrected) == (1, 1)
    assert sum(b.confirmed + b.corrected for b in bins.values()) == 5


def test_the_search_folds_case_and_accents_composed_or_not() -> None:
    """A Mac writes "Flügel" with the accent as a separate character: typing "flügel" or
    "FLÜGEL" found nothing."""
    import unicodedata

    from aldesk.core.review_rows import Filter, ReviewRow, select

    mac = unicodedata.normalize("NFD", "Flügel_take1.wav")
    rows = [ReviewRow(1, mac, "pool", "unseen"), ReviewRow(2, "TAKE_096.WAV", "pool", "unseen"),
            ReviewRow(3, "Süd/cafe.wav", "pool", "unseen")]  # fmt: skip
    found = lambda text: [r.item_id for r in select(rows, Filter(text=text))]  # noqa: E731
    assert found("flügel") == found("FLÜGEL") == found("flugel") == [1]
    assert found("take_096") == [2] and found("sud") == [3]
