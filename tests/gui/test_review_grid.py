"""The review grid's scrolling work: thumbnails arriving together make one repaint, and
thumbnails of cells scrolled past are never decoded."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtWidgets import QListView

from aldesk.core.review_rows import ReviewRow
from aldesk.gui.review.grid import setup_view, visible_rows
from aldesk.gui.review.model import ReviewModel
from aldesk.gui.review.thumbnails import ThumbnailLoader

N = 400


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("grid")
    paths = [folder / f"p{k:03d}.png" for k in range(N)]
    for k, path in enumerate(paths):
        Image.new("RGB", (40, 30), (k % 256, 90, 160)).save(path)
    return paths


@pytest.fixture
def grid(qtbot, pictures):
    loader = ThumbnailLoader()
    model = ReviewModel(lambda i: pictures[i], loader)
    model.set_rows([ReviewRow(k, p.name, "pool", "unseen") for k, p in enumerate(pictures)])
    view = QListView()
    qtbot.addWidget(view)
    setup_view(view, model, loader)
    view.resize(600, 400)
    yield view, model, loader
    loader.shutdown()


def test_thumbnails_arriving_together_make_one_data_change(qtbot, grid, pictures) -> None:
    _view, model, loader = grid
    changes, batches = [], []
    model.dataChanged.connect(lambda a, b, _roles: changes.append((a.row(), b.row())))
    loader.arrived.connect(batches.append)
    rows = [3, 5, 9, 12, 20]
    for k in rows:
        loader.request(k, pictures[k])
    assert loader._pool.waitForDone(10_000)  # all decoded before the GUI thread looks
    qtbot.waitUntil(lambda: all(loader.pixmap(k) is not None for k in rows))
    assert len(batches) == 1 and sorted(batches[0]) == rows  # one batch
    assert changes == [(3, 20)]  # one repaint for the five


def test_cells_scrolled_past_are_not_decoded(qtbot, grid, pictures, monkeypatch) -> None:
    view, model, loader = grid
    gate, decoded = threading.Event(), []
    original = loader.decode

    def held(path: Path):
        gate.wait(10)  # the first decode waits until the grid has been scrolled away
        decoded.append(pictures.index(path))
        return original(path)

    monkeypatch.setattr(loader, "decode", held)
    view.show()
    qtbot.waitUntil(lambda: len(loader.pending_ids()) > 5)  # the top cells painted and asked
    top = set(visible_rows(view))
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
    bottom = set(visible_rows(view))
    assert not top & bottom
    qtbot.waitUntil(lambda: loader.pending_ids() and set(loader.pending_ids()) <= bottom)
    gate.set()
    qtbot.waitUntil(lambda: not loader.pending_ids() and loader._pool.activeThreadCount() == 0)
    assert len(decoded[1:]) > 5 and set(decoded[1:]) <= bottom  # only the one held was from top


def test_visible_rows_cover_every_cell_on_screen(qtbot, grid) -> None:
    view, model, _ = grid
    view.show()
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    for value in (0, bar.maximum() // 3, bar.maximum()):
        bar.setValue(value)
        shown = {k for k in range(model.rowCount())
                 if view.visualRect(model.index(k)).intersects(view.viewport().rect())}  # fmt: skip
        rows = visible_rows(view)
        assert shown and shown <= set(rows) and len(rows) <= 3 * len(shown)


PAINT_BIG_FILL = """
import os
import aldesk.gui
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
app = QGuiApplication([])
image = QImage(800, 800, QImage.Format.Format_ARGB32_Premultiplied)
painter = QPainter(image)
painter.fillRect(0, 0, 800, 800, QColor(10, 20, 30, 128))
painter.end()
print([open(f"/proc/self/task/{t}/comm").read().strip() for t in os.listdir("/proc/self/task")])
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="thread names from /proc")
def test_qt_paints_on_the_gui_thread_without_its_helper_pool() -> None:
    """Qt hands big fills to a thread pool and waits for it: a busy machine then stalls the GUI
    thread until those threads get a CPU. The app turns the pool off (aldesk.gui)."""
    env = {k: v for k, v in os.environ.items() if k != "QT_NO_GUI_THREADPOOL"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    out = subprocess.run([sys.executable, "-c", PAINT_BIG_FILL], env=env, capture_output=True,
                         text=True, check=True, timeout=60).stdout  # fmt: skip
    assert "Thread (pooled)" not in out and "python" in out


def test_every_grid_item_gets_the_same_full_width_whatever_its_caption(qtbot, pictures) -> None:
    """With uniform item sizes Qt measures one row; a short caption there used to cut the
    longer ones ("model: 7 …")."""
    loader = ThumbnailLoader()
    model = ReviewModel(lambda i: pictures[i], loader)
    rows = [ReviewRow(0, "a_rather_long_file_name.png", "pool", "unseen", predicted=None),
            ReviewRow(1, "b.png", "pool", "labeled", class_id=None)]  # fmt: skip
    model.set_rows(rows)
    view = QListView()
    qtbot.addWidget(view)
    setup_view(view, model, loader)
    view.resize(600, 400)
    view.show()
    qtbot.waitUntil(lambda: view.visualRect(model.index(1)).isValid())
    widths = {view.visualRect(model.index(k)).width() for k in range(2)}
    assert widths == {model.item_size().width()}
    assert model.item_size().width() > view.fontMetrics().horizontalAdvance("model: 7 100%")
    loader.shutdown()


def never_ends(path: str, side: int):
    """A decode that hangs (run in the decode process)."""
    import time

    while True:
        time.sleep(1)


def test_a_decode_that_never_ends_is_given_up_and_its_process_ended(
    qtbot, pictures, monkeypatch
) -> None:
    from aldesk.gui.review import thumbnails

    monkeypatch.setattr(thumbnails, "DECODE_SECONDS", 3.0)
    loader = ThumbnailLoader(in_process=True)
    loader.work = never_ends
    failed = []
    loader.failed.connect(lambda item_id, reason: failed.append((item_id, reason)))
    loader.request(0, pictures[0])
    qtbot.waitUntil(lambda: bool(loader._process_pool and loader._process_pool._processes))
    process = next(iter(loader._process_pool._processes.values()))
    qtbot.waitUntil(lambda: bool(failed), timeout=30_000)
    assert failed[0][0] == 0 and "took over 3 s" in failed[0][1]
    qtbot.waitUntil(lambda: not process.is_alive(), timeout=10_000)
    loader.work = thumbnails.thumbnail_pixels  # the next file gets a new process
    loader.request(1, pictures[1])
    qtbot.waitUntil(lambda: loader.pixmap(1) is not None, timeout=30_000)
    assert loader.shutdown()


def test_thumbnails_still_arrive_after_the_window_was_closed_and_shown_again(
    qtbot, grid, pictures
) -> None:
    _view, _model, loader = grid
    tick = loader._apply_timer.interval()
    loader._apply_timer.setInterval(600_000)  # the tick cannot come while we wait for it below
    loader.request(0, pictures[0])
    assert loader._pool.waitForDone(10_000)
    qtbot.waitUntil(loader._apply_timer.isActive)  # decoded, waiting for the next tick
    loader._apply_timer.setInterval(tick)
    loader.shutdown()  # the review window closes before that tick
    loader.resume()  # ... and is shown again
    loader.request(1, pictures[1])
    qtbot.waitUntil(lambda: loader.pixmap(1) is not None)


def test_only_labels_confident_learning_marks_get_the_warning(qapp) -> None:
    """The panel said "0 of them confidently" while every doubted label had a red ⚠."""
    from PySide6.QtCore import Qt

    from aldesk.core.records import ClassInfo
    from aldesk.core.review_rows import ReviewRow
    from aldesk.gui import style

    model = ReviewModel(lambda i: Path(f"{i}.png"), None)
    model.set_classes(
        [ClassInfo(1, "beetle", "1", "#000", 0), ClassInfo(2, "fern", "2", "#000", 1)]
    )
    doubted = dict(split="pool", state="labeled", class_id=1, suspicion=-0.2, doubted_as=(2, 0.6))
    model.set_rows([ReviewRow(1, "a.png", **doubted),
                    ReviewRow(2, "b.png", **doubted, doubt_confident=True)])  # fmt: skip
    mild, sure = (model.index(k) for k in (0, 1))
    assert model.data(mild, Qt.ItemDataRole.DisplayRole).splitlines()[1] == "? beetle → fern?"
    assert model.data(mild, Qt.ItemDataRole.ForegroundRole) is None
    assert model.data(sure, Qt.ItemDataRole.DisplayRole).splitlines()[1].startswith("⚠ beetle")
    assert model.data(sure, Qt.ItemDataRole.ForegroundRole) == style.ERROR_TEXT


def test_suspicious_only_after_confirm_predictions_shows_the_doubted_labels(qtbot) -> None:
    """Confirm predictions left "not yet seen" on: Suspicious only then showed 0 items."""
    from aldesk.gui.review.filters import FilterBar

    filters = FilterBar()
    qtbot.addWidget(filters)
    filters.set_confirm_mode()
    filters.suspicious.setChecked(True)
    chosen = filters.current()
    assert chosen.suspicious and chosen.state is None and chosen.split == "pool"
    assert filters.sort.currentData() == "suspicion"


def test_a_many_class_confusion_matrix_is_headed_by_keys_and_sized_once(qtbot) -> None:
    """At 98 classes every cell set re-measured every column (8.7 minutes frozen), and each
    column was as wide as a long class name."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QHeaderView

    from aldesk.core.records import ClassInfo
    from aldesk.gui.review.confusion import ConfusionTable

    classes = [ClassInfo(k, f"Ceramic vessel — type {k}", "123456789"[k] if k < 9 else None,
                         "#000", k) for k in range(12)]  # fmt: skip
    table = ConfusionTable()
    qtbot.addWidget(table)
    table.show_matrix([[int(i == j) for j in range(12)] for i in range(12)], classes)
    header = table.horizontalHeader()
    assert header.sectionResizeMode(0) != QHeaderView.ResizeMode.ResizeToContents
    heads = [table.horizontalHeaderItem(k).text() for k in range(12)]
    assert heads[:3] == ["1", "2", "3"] and heads[9:] == ["10", "11", "12"]
    assert table.horizontalHeaderItem(0).data(Qt.ItemDataRole.ToolTipRole) == classes[0].name
    assert table.verticalHeaderItem(0).text() == "1  Ceramic vessel — type 0"
    assert max(header.sectionSize(k) for k in range(12)) < 60  # a key, not a long name
    table.show()
    qtbot.waitExposed(table)
    assert table.verticalHeader().width() <= 110  # the names left room for one column
    digits = [ClassInfo(k, str(k), str(k), "#000", k) for k in range(10)]
    table.show_matrix([[0] * 10 for _ in range(10)], digits)
    assert [table.verticalHeaderItem(k).text() for k in range(3)] == ["0", "1", "2"]  # not "0  0"


def test_a_doubt_names_the_models_class_in_the_grid_however_long_the_names(qtbot, pictures):
    """ "⚠ lymphocytes → colorectal adenocarcinoma epithelium?" ran past the caption's two
    lines and the model's class, the point of the warning, was elided to "…"."""
    from PySide6.QtCore import Qt

    from aldesk.core.records import ClassInfo

    loader = ThumbnailLoader()
    model = ReviewModel(lambda i: pictures[i], loader)
    long_name = "colorectal adenocarcinoma epithelium"
    model.set_classes([ClassInfo(1, "lymphocytes", "1", "#000", 0),
                       ClassInfo(2, long_name, "2", "#000", 1)])  # fmt: skip
    row = ReviewRow(0, "slide_42822.png", "pool", "labeled", class_id=1, suspicion=-0.3,
                    doubted_as=(2, 0.8), doubt_confident=True)  # fmt: skip
    model.set_rows([row])
    caption = model.data(model.index(0), Qt.ItemDataRole.DisplayRole).splitlines()[1]
    assert caption == "⚠ lymphocytes → colore…thelium?"
    assert long_name in model.data(model.index(0), Qt.ItemDataRole.ToolTipRole)
    model.set_classes([ClassInfo(1, "Coleoptera: Carabidae", "1", "#000", 0),
                       ClassInfo(2, "Coleoptera: Cerambycidae", "2", "#000", 1)])  # fmt: skip
    caption = model.data(model.index(0), Qt.ItemDataRole.DisplayRole).splitlines()[1]
    assert caption == "⚠ Coleop…rabidae → Coleop…bycidae?"  # "Coleoptera: C…" twice (QA)
    view = QListView()
    qtbot.addWidget(view)
    setup_view(view, model, loader)
    line = view.fontMetrics().lineSpacing()
    assert model.item_size().height() >= model.icon_side() + 3 * line  # name + 2 caption lines
    loader.shutdown()


def test_the_side_column_scrolls_instead_of_cutting_its_text(qtbot) -> None:
    """At 972 x 547 the check's summary ended mid-sentence ("Near-duplicates (2") with no scroll
    bar, and the confusion matrix had a 38-px view."""
    from aldesk.gui.review.side import SidePanel

    side = SidePanel()
    qtbot.addWidget(side)
    side.summary.setText("Checked 148 labels (5-fold cross-validation): the model contradicts "
                         "15, 8 of them confidently; confident learning estimates about 8 are "
                         "wrong. Tick “Suspicious only” to go through them, most doubtful "
                         "first. Near-duplicates (2 pairs) and outliers: in the “Every item” "
                         "menu.")  # fmt: skip
    side.resize(280, 330)
    side.show()
    qtbot.waitExposed(side)
    summary = side.summary
    qtbot.waitUntil(lambda: summary.height() >= summary.heightForWidth(summary.width()))
    assert side.verticalScrollBar().maximum() > 0  # the rest is a scroll away
    assert side.confusion.height() >= 8 * side.confusion.test.verticalHeader().defaultSectionSize()


def test_thumbnails_are_decoded_for_the_screens_pixels(qtbot, tmp_path) -> None:
    """At 200 % scaling a 96-px thumbnail was drawn doubled and blurred."""
    big = tmp_path / "big.png"
    Image.new("RGB", (800, 600), (10, 90, 160)).save(big)
    loader = ThumbnailLoader(scale=2.0)
    loader.request(1, big)
    qtbot.waitUntil(lambda: loader.pixmap(1) is not None, timeout=10_000)
    pixmap = loader.pixmap(1)
    assert pixmap.width() == 2 * loader.side and pixmap.devicePixelRatio() == 2.0
    assert loader.icon_size().width() == loader.side  # the same cell in the window's pixels
    loader.shutdown()


def test_class_names_head_the_columns_while_they_fit_and_keys_when_they_do_not(qtbot) -> None:
    """At 1280 x 720 six drum names needed a horizontal scroll to see the last column."""
    from aldesk.core.records import ClassInfo
    from aldesk.gui.review.confusion import ConfusionTable

    names = ["clap", "cymbal", "hihat", "kick", "snare", "tom"]
    classes = [ClassInfo(k, n, str(k + 1), "#000", k) for k, n in enumerate(names)]
    table = ConfusionTable()
    qtbot.addWidget(table)
    table.resize(600, 300)
    table.show()
    qtbot.waitExposed(table)
    table.show_matrix([[int(i == j) for j in range(6)] for i in range(6)], classes)
    heads = lambda: [table.horizontalHeaderItem(k).text() for k in range(6)]  # noqa: E731
    assert heads() == names
    table.resize(300, 300)  # the names need about 340 px, the keys about 220
    qtbot.waitUntil(lambda: heads() == ["1", "2", "3", "4", "5", "6"])
    assert table.horizontalScrollBar().maximum() == 0  # every column in view
    assert table.verticalHeaderItem(0).text() == "1  clap"
    table.resize(600, 300)
    qtbot.waitUntil(lambda: heads() == names)
