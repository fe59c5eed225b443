"""The review window driven through its real widgets: filter, bulk relabel, undo as one step,
clear, class keys in the grid, the suspicious-label filter and the test confusion matrix."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from windows import open_window

from aldesk.core.demo import make_demo_pool
from aldesk.core.media.thumbnail import process_id
from aldesk.core.project import ProjectSettings, create_project
from aldesk.gui.controller import LabelingController
from aldesk.gui.main_window import MainWindow
from aldesk.gui.review import thumbnails
from aldesk.gui.review.model import ItemIdRole
from aldesk.gui.review.window import ReviewWindow

PLANT_EVERY = 17  # every 17th imported label (from the 4th) is wrong


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> tuple[Path, list[dict], list[str]]:
    root = tmp_path_factory.mktemp("review")
    classes = make_demo_pool("images", root / "pool", labels_out=root / "truth.csv", per_class=12)
    _near_copy(root / "pool" / "digit_0005.png", root / "pool" / "near_copy.jpg")
    return root / "pool", list(csv.DictReader((root / "truth.csv").open())), classes


def _near_copy(source: Path, target: Path) -> None:
    """The same picture re-encoded as a JPEG: other bytes, nearly the same pixels."""
    from PIL import Image

    Image.open(source).convert("RGB").save(target, quality=90)


def _project(tmp_path, pool):
    """A project whose first 100 items were imported with 6 planted wrong labels."""
    folder, truth, classes = pool
    settings = ProjectSettings(batch=4, seed_size=4, test_size=20)
    store, _ = create_project(tmp_path / "proj", folder, classes, settings)
    by_path = {it.relpath: it for it in store.items()}
    ids = {c.name: c.id for c in store.classes()}
    labels, planted = [], set()
    for k, row in enumerate(truth[:100]):
        name = row["label"]
        if k % PLANT_EVERY == 3:
            name = classes[(classes.index(name) + 3) % len(classes)]
            planted.add(by_path[row["path"]].id)
        item = by_path[row["path"]]
        labels.append((item.id, ids[name], item.split))
    store.record_labels(labels, strategy="import")
    return store, planted


@pytest.fixture
def opened(qtbot, tmp_path, pool):
    store, planted = _project(tmp_path, pool)
    controller = LabelingController(store)
    window = MainWindow(store, controller)
    controller.setParent(window)
    qtbot.addWidget(window)
    with qtbot.waitSignal(controller.features.finished, timeout=120_000):
        window.show()
    window.actions_by_name["review"].trigger()  # View ▸ Review labels… (Ctrl+R)
    review: ReviewWindow = window.review_window
    qtbot.waitUntil(review.isVisible)
    yield window, review, planted
    window.close()
    assert not review.suspicion.busy and not controller.trainer.busy


def _select_all(qtbot, review: ReviewWindow) -> None:
    review.view.setFocus()
    qtbot.keyClick(review.view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)


def _class_id(review: ReviewWindow, name: str) -> int:
    return next(c.id for c in review.store.classes() if c.name == name)


def test_filter_bulk_relabel_and_undo_as_one_action(qtbot, opened) -> None:
    window, review, _ = opened
    store = window.store
    before = store.labels()
    n_events = len(store.events())
    qtbot.keyClicks(review.filters.search, "digit_001")
    shown = [r.relpath for r in review.model.rows()]
    assert shown == [f"digit_{k:04d}.png" for k in range(10, 20)]
    _select_all(qtbot, review)
    assert len(review.selected_ids()) == 10
    review.relabel_as.setCurrentIndex(review.relabel_as.findData(_class_id(review, "7")))
    qtbot.mouseClick(review.relabel_button, Qt.MouseButton.LeftButton)
    ids = review.selected_ids()
    seven = _class_id(review, "7")
    assert all(store.labels()[i] == seven for i in ids)
    batch = store.events()[n_events:]
    changed = [i for i in ids if before.get(i) != seven]
    assert len(batch) == len(changed) and len({e.at for e in batch}) == 1  # one transaction
    assert {e.strategy for e in batch} == {"review"}
    assert "7" in review.model.data(review.model.index(0))  # the grid shows the new label
    qtbot.keyClick(review, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert store.labels() == before  # every label back, in one step
    assert not review.undo_button.isEnabled()
    # the labeling loop follows the log: its counts match the store after the undo
    status = window.controller.session.status()
    assert status.n_labeled + status.n_test_labeled == len(before)


def test_clear_then_undo_gives_the_answers_back_with_their_source(qtbot, opened) -> None:
    window, review, _ = opened
    store = window.store
    qtbot.keyClicks(review.filters.search, "digit_000")
    _select_all(qtbot, review)
    ids = review.selected_ids()
    before = {i: store.answers()[i] for i in ids}
    qtbot.keyClick(review.view, Qt.Key.Key_Delete)  # Delete clears the selection's answers
    assert not set(ids) & set(store.answers())
    assert {r.state for r in review.model.rows()} == {"unseen"}
    qtbot.mouseClick(review.undo_button, Qt.MouseButton.LeftButton)
    after = store.answers()
    for i, ev in before.items():
        assert (after[i].action, after[i].class_id, after[i].strategy) == (
            ev.action, ev.class_id, "import",
        )  # fmt: skip
    assert {r.source for r in review.model.rows()} == {"import"}


def test_a_class_key_in_the_grid_relabels_the_selection(qtbot, opened) -> None:
    window, review, _ = opened
    review.filters.state.setCurrentIndex(review.filters.state.findData("unseen"))
    assert {r.state for r in review.model.rows()} == {"unseen"}
    review.view.setFocus()
    first = review.model.index(0)
    review.view.selectionModel().select(first, review.view.selectionModel().SelectionFlag.Select)
    item_id = first.data(ItemIdRole)
    qtbot.keyClick(review.view, Qt.Key.Key_3)
    assert window.store.labels()[item_id] == _class_id(review, "3")
    assert review.statusBar().currentMessage().startswith("Relabeled 1 item as 3.")
    assert item_id not in {r.item_id for r in review.model.rows()}  # no longer "not yet seen"


def test_suspicious_filter_lists_the_planted_labels_first(qtbot, opened) -> None:
    _, review, planted = opened
    with qtbot.waitSignal(review.suspicion.scored, timeout=120_000):
        review.check_labels()
    qtbot.mouseClick(review.filters.suspicious, Qt.MouseButton.LeftButton)
    rows = review.model.rows()
    assert rows and all(r.suspicion is not None for r in rows)
    assert [r.suspicion for r in rows] == sorted(r.suspicion for r in rows)
    # measured: 5 of the 6 planted labels among 16 suspects, 4 of them in the first 7
    assert len(planted & {r.item_id for r in rows}) >= 4
    assert len(planted & {r.item_id for r in rows[:8]}) >= 3
    assert "Checked 100 labels" in review.summary.text()
    # Enter on a doubted label confirms it (recorded again, strategy confirm): it leaves the list
    first = rows[0]
    review.view.selectionModel().select(
        review.model.index(0), review.view.selectionModel().SelectionFlag.Select
    )
    review.view.setFocus()
    qtbot.keyClick(review.view, Qt.Key.Key_Return)
    ev = review.store.answers()[first.item_id]
    assert (ev.class_id, ev.strategy) == (first.class_id, "confirm")
    assert first.item_id not in {r.item_id for r in review.model.rows()}
    assert len(review.model.rows()) == len(rows) - 1


def test_labels_a_held_out_model_mostly_disagrees_with_are_not_flagged(
    qtbot, tmp_path, pool
) -> None:
    """Labels no model can learn yet (here shuffled across classes): the held-out model agrees
    with a handful, so the window flags none and says why instead of calling most of them
    wrong."""
    folder, truth, classes = pool
    settings = ProjectSettings(batch=4, seed_size=4, test_size=0)
    store, _ = create_project(tmp_path / "weak", folder, classes, settings)
    by_path = {it.relpath: it for it in store.items()}
    ids = [c.id for c in store.classes()]
    rng = np.random.default_rng(0)
    items = [by_path[row["path"]] for row in truth[:40]]
    store.record_labels([(it.id, ids[int(rng.integers(len(ids)))], it.split) for it in items])
    window = open_window(qtbot, store)
    window.actions_by_name["review"].trigger()
    review = window.review_window
    with qtbot.waitSignal(review.suspicion.scored, timeout=120_000):
        review.check_labels()
    text = review.summary.text()
    assert "none is flagged" in text and "agrees with only" in text and "estimates" not in text
    qtbot.mouseClick(review.filters.suspicious, Qt.MouseButton.LeftButton)
    assert review.model.rows() == []
    window.close()


def test_a_confusion_cell_filters_the_grid_to_its_test_items(qtbot, opened) -> None:
    window, review, _ = opened
    with qtbot.waitSignal(window.controller.rounds_changed, timeout=120_000):
        window.controller.retrain_now()
    review.refresh()
    everything = len(review.model.rows())
    table = review.confusion.test
    cell = next((i, j) for i in range(table.rowCount()) for j in range(table.columnCount())
                if table.item(i, j).text())  # fmt: skip
    rect = table.visualRect(table.model().index(*cell))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    rows = review.model.rows()
    classes = [c.id for c in window.store.classes()]
    assert rows and len(rows) == int(table.item(*cell).text())
    assert all(r.split == "test" and r.class_id == classes[cell[0]] for r in rows)
    assert all(r.predicted == classes[cell[1]] for r in rows)
    qtbot.mouseClick(review.clear_cell, Qt.MouseButton.LeftButton)
    # "Show all items again": the split the cell chose goes back (it stayed on "Test")
    assert review.filters.split.currentData() is None
    assert len(review.model.rows()) == everything


def test_the_cross_validated_pool_matrix_sits_beside_and_a_cell_filters(qtbot, opened) -> None:
    window, review, _ = opened
    with qtbot.waitSignal(review.suspicion.scored, timeout=120_000) as scored:
        review.check_labels()
    result, class_ids, _ = scored.args
    review.confusion.setCurrentIndex(1)  # the "Labeled pool, cross-validated" tab
    table = review.confusion.pool
    classes = [c.id for c in window.store.classes()]
    counts = [[int(table.item(i, j).text() or 0) for j in range(len(classes))]
              for i in range(len(classes))]  # fmt: skip
    assert sum(map(sum, counts)) == len(result.item_ids) == 100  # every imported label, once
    expected = result.cv_confusion()
    order = [class_ids.index(c) for c in classes]
    assert counts == [[int(expected[a, b]) for b in order] for a in order]
    off = next((i, j) for i in range(len(classes)) for j in range(len(classes))
               if i != j and counts[i][j])  # fmt: skip  # a cell of contradicted labels
    qtbot.waitUntil(lambda: table.visualRect(table.model().index(*off)).isValid())
    rect = table.visualRect(table.model().index(*off))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    rows = review.model.rows()
    assert len(rows) == counts[off[0]][off[1]]
    assert all(r.split == "pool" and r.class_id == classes[off[0]] for r in rows)
    qtbot.mouseClick(review.clear_cell, Qt.MouseButton.LeftButton)
    assert len(review.model.rows()) > len(rows)
    assert review.filters.split.currentData() is None  # not left on "Pool"


def test_thumbnails_are_decoded_in_another_process(qtbot, opened, monkeypatch) -> None:
    _, review, _ = opened
    here = []
    monkeypatch.setattr(thumbnails, "decode_thumbnail", lambda *args: here.append(args))
    review.loader._cache.clear()
    review.refresh()
    review.view.viewport().repaint()
    first = review.model.rows()[0].item_id
    qtbot.waitUntil(lambda: review.loader.pixmap(first) is not None)
    assert not here and review.loader.in_process  # never decoded in this process
    assert review.loader._process_pool.submit(process_id).result() != os.getpid()
    icon = review.model.data(review.model.index(0), Qt.ItemDataRole.DecorationRole)
    assert icon.cacheKey() == review.loader.pixmap(first).cacheKey()


def _trained(qtbot, window) -> None:
    review = window.review_window
    with qtbot.waitSignal(window.controller.rounds_changed, timeout=120_000):
        window.controller.retrain_now()
    qtbot.waitUntil(lambda: not review._refresh_timer.isActive())  # the grid follows the model


def test_confirm_mode_enter_accepts_the_guess_and_a_class_key_corrects(qtbot, opened) -> None:
    window, review, _ = opened
    _trained(qtbot, window)
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
    _trained(qtbot, window)
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
    assert "picked in the review window" in window.why.strategy.text()
    assert window.viewer._path.name == store.item(picked).relpath.rsplit("/", 1)[-1]
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_5)  # labeled there, with the labeling window's keys
    assert store.labels()[picked] == _class_id(review, "5")
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
    _trained(qtbot, window)
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
