"""The review grid's view set-up, shared by the review window and its benchmark.

A QListView over :class:`ReviewModel`: a grid of fixed cells for images (uniform item sizes, so
the view never asks 10,000 rows for their size; batched layout), a list for audio. The view
tells the model which rows are on screen after every scroll or resize, so thumbnails requested
for cells scrolled past are dropped before they are decoded.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QTimer
from PySide6.QtWidgets import QListView

from aldesk.gui.review.model import ReviewModel
from aldesk.gui.review.thumbnails import ThumbnailLoader

KEEP_MS = 30  # scroll steps closer than this are one change of the rows on screen


def setup_view(view: QListView, model: ReviewModel, loader: ThumbnailLoader | None) -> None:
    """Configure ``view`` for ``model`` (a grid unless ``loader`` draws a list) and keep the
    model told what is on screen."""
    view.setModel(model)
    view.setUniformItemSizes(True)
    if loader is not None:
        view.setIconSize(loader.icon_size())
    if loader is None or loader.grid:
        view.setViewMode(QListView.ViewMode.IconMode)
        view.setGridSize(model.cell_size())
        view.setResizeMode(QListView.ResizeMode.Adjust)
        view.setMovement(QListView.Movement.Static)
        view.setWordWrap(True)
    view.setLayoutMode(QListView.LayoutMode.Batched)  # 10,000 rows lay out in steps
    timer = QTimer(view, singleShot=True, interval=KEEP_MS)
    timer.timeout.connect(lambda: model.keep_rows(visible_rows(view)))
    view.verticalScrollBar().valueChanged.connect(lambda _value: timer.start())
    view.verticalScrollBar().rangeChanged.connect(lambda _low, _high: timer.start())
    model.modelReset.connect(timer.start)


def visible_rows(view: QListView) -> range:
    """The rows whose cells are (at least partly) on screen, one line of cells either side."""
    n = view.model().rowCount()
    area = view.viewport().rect()
    cell = view.gridSize()
    if cell.isValid() and cell.width() > 0 and cell.height() > 0:  # icon mode: row-major cells
        columns = max(1, area.width() // cell.width())
        top = view.verticalScrollBar().value() // cell.height()
        lines = area.height() // cell.height() + 2
        first, stop = (top - 1) * columns, (top + lines + 1) * columns
    else:
        first_index = view.indexAt(QPoint(1, 1))
        last_index = view.indexAt(QPoint(1, area.height() - 1))
        first = first_index.row() - 1 if first_index.isValid() else 0
        stop = last_index.row() + 2 if last_index.isValid() else n
    return range(max(0, first), min(n, stop))


def grid_place(view: QListView) -> tuple[set[int], int | None, int]:
    """The selected item ids, the keyboard's current item id and its row, to keep over a
    rebuild."""
    from aldesk.gui.review.model import ItemIdRole

    index = view.currentIndex()
    chosen = {int(i.data(ItemIdRole)) for i in view.selectionModel().selectedIndexes()}
    current = int(index.data(ItemIdRole)) if index.isValid() else None
    return chosen, current, index.row()


def restore_place(
    view: QListView,
    place: tuple[set[int], int | None, int],
    follow: bool = False,
    by_row: bool = False,
) -> None:
    """Select ``place``'s items again and put the keyboard's current item back (a rebuilt
    grid had none: the next arrow key went to the first row, the next class key relabeled
    an item never chosen). With ``follow``, when the current item left the view (relabeled
    out of a class filter, confirmed out of "Suspicious only"), the item now at its row is
    current and selected, so the keys go on from there (not after a filter the user changed:
    a key would then act on an item chosen for them).

    ``by_row`` (Confirm predictions, surest first): one item chosen by the keyboard stays at
    its row, not with its item. A retrain re-sorted the list under the selection, and the
    next Enter accepted a 32 % guess far out of view. The current item is kept in view
    whenever its row changed."""
    from aldesk.gui.review.model import ItemIdRole

    chosen, current, row = place
    model, selection = view.model(), view.selectionModel()
    at_row = by_row and len(chosen) <= 1 and current is not None
    if at_row:
        chosen, current = set(), None  # the item now at the row is taken below
    found = False
    for k in range(model.rowCount()):
        index = model.index(k, 0)
        item_id = index.data(ItemIdRole)
        if item_id in chosen:
            selection.select(index, selection.SelectionFlag.Select)
        if item_id == current:
            selection.setCurrentIndex(index, selection.SelectionFlag.NoUpdate)
            found = True
    moved_on = (follow and current is not None and not found) or at_row
    if moved_on and model.rowCount() and row >= 0:
        index = model.index(min(row, model.rowCount() - 1), 0)
        selection.setCurrentIndex(index, selection.SelectionFlag.ClearAndSelect)
    if view.currentIndex().isValid() and view.currentIndex().row() != row:
        view.scrollTo(view.currentIndex())  # what the next key acts on is on screen
