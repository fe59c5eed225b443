"""The review window driven through its real widgets: filter, bulk relabel, undo as one step,
clear, class keys in the grid, the suspicious-label filter and the test confusion matrix."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6.QtCore import Qt
from review_setup import class_id
from windows import open_window

from aldesk.core.media.thumbnail import process_id
from aldesk.core.project import ProjectSettings, create_project
from aldesk.gui.review import thumbnails
from aldesk.gui.review.model import ItemIdRole
from aldesk.gui.review.window import ReviewWindow


def _select_all(qtbot, review: ReviewWindow) -> None:
    review.view.setFocus()
    qtbot.keyClick(review.view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)


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
    review.relabel_as.setCurrentIndex(review.relabel_as.findData(class_id(review, "7")))
    qtbot.mouseClick(review.relabel_button, Qt.MouseButton.LeftButton)
    ids = review.selected_ids()
    seven = class_id(review, "7")
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
    assert window.store.labels()[item_id] == class_id(review, "3")
    assert review.statusBar().currentMessage().startswith("Relabeled 1 item as 3.")
    assert item_id not in {r.item_id for r in review.model.rows()}  # no longer "not yet seen"


def test_a_correction_in_the_review_window_is_learned_and_why_follows(qtbot, opened) -> None:
    """A relabel waited for the next batch of answers ("up to date but for the last 3
    labels"), and Why this item? went back to the query as first served: an old round, or
    "being rebuilt" for good."""
    window, review, _ = opened
    controller = window.controller
    qtbot.waitUntil(lambda: controller.session.current_view().model_loaded, timeout=120_000)
    before = controller.session.model.round
    review.filters.state.setCurrentIndex(review.filters.state.findData("unseen"))
    review.view.setFocus()
    first = review.model.index(0)
    review.view.selectionModel().select(first, review.view.selectionModel().SelectionFlag.Select)
    qtbot.keyClick(review.view, Qt.Key.Key_3)
    qtbot.waitUntil(lambda: controller.session.model.round > before, timeout=120_000)
    qtbot.waitUntil(lambda: not controller.trainer.busy, timeout=120_000)
    now = str(controller.session.model.round)
    qtbot.waitUntil(lambda: window.why.round.text() == now, timeout=10_000)
    assert "being rebuilt" not in window.why.note_text()


def test_the_keyboards_place_in_the_grid_survives_a_relabel_and_an_undo(qtbot, opened) -> None:
    """Arrowed down 30 rows, a class key relabeled the item; the grid was rebuilt without a current
    item, so the next arrow went to the first row and the next key relabeled an item never
    chosen."""
    window, review, _ = opened
    review.view.setFocus()
    for _ in range(30):
        qtbot.keyClick(review.view, Qt.Key.Key_Down)
    place = review.view.currentIndex().row()
    mine = review.model.rows()[place].item_id
    following = review.model.rows()[place + 1].item_id
    qtbot.keyClick(review.view, Qt.Key.Key_4)
    assert window.store.labels()[mine] == class_id(review, "4")
    assert review.view.currentIndex().data(ItemIdRole) == mine  # still where the keyboard was
    qtbot.keyClick(review.view, Qt.Key.Key_Right)
    assert review.selected_ids() == [following]
    qtbot.keyClick(review.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert review.view.currentIndex().data(ItemIdRole) == following
    assert review.label_in_main()  # "Click an item first" while one was shown selected


def test_a_relabel_that_takes_the_item_out_of_the_view_moves_on_to_the_next(qtbot, opened) -> None:
    """Filtered to class 6, a class key sent the item out of the view and left nothing
    current or selected: the next Right went to the first row, and "Suspicious only" could
    not be gone through by keys alone."""
    window, review, _ = opened
    review.filters.classes.setCurrentIndex(review.filters.classes.findData(class_id(review, "6")))
    review.view.setFocus()
    for _ in range(3):
        qtbot.keyClick(review.view, Qt.Key.Key_Right)
    rows = [r.item_id for r in review.model.rows()]
    place = review.view.currentIndex().row()
    assert place >= 2 and len(rows) > place + 2
    qtbot.keyClick(review.view, Qt.Key.Key_9)
    assert window.store.labels()[rows[place]] == class_id(review, "9")  # it left the view
    assert review.selected_ids() == [rows[place + 1]]  # the one now at its row
    assert review.view.currentIndex().row() == place
    qtbot.keyClick(review.view, Qt.Key.Key_Right)
    assert review.selected_ids() == [rows[place + 2]]


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
    qtbot, tmp_path, review_pool
) -> None:
    """Labels no model can learn yet (here shuffled across classes): the held-out model agrees
    with a handful, so the window flags none and says why instead of calling most of them
    wrong."""
    folder, truth, classes = review_pool
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
    assert "no label is doubted now" in review.count_label.text()  # not a blank grid, unsaid
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
    review.confusion.setCurrentIndex(1)  # the "All labels" (cross-validated) tab
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


def test_an_all_labels_cell_shows_its_test_items_too(qtbot, opened) -> None:
    """The cross-validated matrix counts test labels too; its cell had held the grid on
    "Pool", hiding them: a cell of 3 showed 2 items."""
    window, review, _ = opened
    with qtbot.waitSignal(review.suspicion.scored, timeout=120_000):
        review.check_labels()
    tests = {it.id for it in window.store.items() if it.split == "test"}
    pairs = review.confusion._pairs
    given, predicted = next(pairs[i] for i in sorted(pairs) if i in tests)
    ids = {i for i, pair in pairs.items() if pair == (given, predicted)}
    classes = [c.id for c in window.store.classes()]
    review.confusion.setCurrentIndex(1)
    table = review.confusion.pool
    index = table.model().index(classes.index(given), classes.index(predicted))
    qtbot.waitUntil(lambda: table.visualRect(index).isValid())
    table.scrollTo(index)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=table.visualRect(index).center())  # fmt: skip
    shown = {r.item_id for r in review.model.rows()}
    assert shown == ids and shown & tests  # every item of the cell, the test ones too


def test_mix_ups_list_the_checks_confusions_largest_first_and_a_click_shows_them(
    qtbot, opened
) -> None:
    """With 40 classes the matrix showed 4 columns of mostly empty cells: which classes are
    confused took scrolling through 1,600 of them."""
    window, review, _ = opened
    mixups = review.confusion.mixups
    assert mixups.item(0).text() == "The label check has not run yet"
    with qtbot.waitSignal(review.suspicion.scored, timeout=120_000):
        review.check_labels()
    pairs = review.confusion._pairs
    names = {c.id: c.name for c in window.store.classes()}
    wrong = [p for p in pairs.values() if p[0] != p[1]]
    counts = [int(mixups.item(k).text().split()[0]) for k in range(mixups.count())]
    assert sum(counts) == len(wrong) and counts == sorted(counts, reverse=True)
    given, predicted = mixups.item(0).data(Qt.ItemDataRole.UserRole)
    assert wrong.count((given, predicted)) == max(map(wrong.count, wrong))  # largest first
    assert mixups.item(0).text() == f"{counts[0]} × “{names[given]}” → “{names[predicted]}”"
    review.confusion.setCurrentIndex(2)
    rect = mixups.visualItemRect(mixups.item(0))
    qtbot.mouseClick(mixups.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    shown = {r.item_id for r in review.model.rows()}
    assert shown == {i for i, p in pairs.items() if p == (given, predicted)}
    qtbot.mouseClick(review.clear_cell, Qt.MouseButton.LeftButton)
    assert len(review.model.rows()) > len(shown)


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


DECODER_OF_A_VANISHING_APP = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
from aldesk.core.media.thumbnail import process_id
from aldesk.gui.review.thumbnails import ThumbnailLoader
app = QApplication([])
loader = ThumbnailLoader(in_process=True)
loader._submit(sys.argv[1]).result(timeout=60)  # the decode process is up
print("decoder", loader._process_pool.submit(process_id).result(), flush=True)
os._exit(0)  # killed or crashed: the decode process is never shut down
"""


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="Linux pidfds")
def test_the_thumbnail_decoder_ends_when_the_app_is_gone(tmp_path) -> None:
    """Killed with the review window open, the app left its decode process (and the fork
    server it holds open) running for ever."""
    import contextlib
    import signal
    import subprocess
    import sys

    from PIL import Image
    from process_waits import wait_gone

    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    out = tmp_path / "out.txt"  # not a pipe: a process left behind would hold it open
    with out.open("w") as f:
        done = subprocess.run([sys.executable, "-c", DECODER_OF_A_VANISHING_APP,
                               str(tmp_path / "a.png")], stdout=f, stderr=f, timeout=120)  # fmt: skip
    assert done.returncode == 0, out.read_text()[-500:]
    pid = int(out.read_text().split("decoder ")[1].split()[0])
    try:
        assert wait_gone(pid, 60), "the decode process outlived the app"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
