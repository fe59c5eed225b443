"""The review window: every item in a lazy thumbnail grid (or a list for audio), filters, batch
relabel / skip / clear appended to the log (undone as one action), the labels a cross-validated
model doubts, and the test confusion matrix.

It is a second window beside the labeling one (View ▸ Review, Ctrl+R), so its keys (class
hotkeys relabel the selection) never collide with the labeling window's.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLabel,
    QListView,
    QMainWindow,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from aldesk.core.representation import blank_rows
from aldesk.core.review_auto import answer_guess_edits
from aldesk.core.review_rows import ReviewRow, build_rows, plan_edits
from aldesk.gui.controller import LabelingController
from aldesk.gui.guard import guarded
from aldesk.gui.panels.wrap_layout import WrapLayout, kept_together
from aldesk.gui.review.accept import AcceptBar
from aldesk.gui.review.doubts import DoubtList, kept_text
from aldesk.gui.review.filters import FilterBar
from aldesk.gui.review.grid import grid_place, restore_place, setup_view
from aldesk.gui.review.keys import install_keys
from aldesk.gui.review.model import ItemIdRole, ReviewModel
from aldesk.gui.review.side import SidePanel, describe_check
from aldesk.gui.review.suspicion import SuspicionLane
from aldesk.gui.review.thumbnails import ThumbnailLoader
from aldesk.gui.review.waveforms import ListPlayer, WaveformLoader
from aldesk.gui.window_state import default_size

VERBS = {"label": "Relabeled", "skip": "Skipped", "clear": "Cleared the answers of"}


def _items(n: int) -> str:
    return "1 item" if n == 1 else f"{n} items"


class ReviewWindow(QMainWindow):
    """Review and correct the project's answers; changes go through the controller."""

    def __init__(self, controller: LabelingController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.controller = controller
        self.store = controller.store
        self.setWindowTitle(f"Review — {self.store.name} — aldesk")
        self._items = {it.id: it for it in self.store.items()}
        image = self.store.kind == "image"
        self.loader = ThumbnailLoader(self, in_process=True) if image else WaveformLoader(self)
        self.player = None if image else ListPlayer(self.loader, self)
        self.model = ReviewModel(lambda i: self.store.abspath(self._items[i]), self.loader, self)
        self.suspicion = SuspicionLane(self)
        self.doubts = DoubtList()
        self._space = None  # near-duplicates and outliers of the newest check (SpaceReport)
        self._build()
        self._wire()
        self._refresh_timer = QTimer(self, singleShot=True, interval=200)
        self._refresh_timer.timeout.connect(self.refresh)
        if parent is not None:
            parent.installEventFilter(self)  # close (and stop the workers) with the main window
        # as big as the labeling window if that is bigger: 52 classes' matrix showed 11 x 10
        # cells in 1100 x 720 on a 1920 x 1080 screen
        self.resize(default_size(QSize(1100, 720).expandedTo(parent.size() if parent else QSize())))
        self.refresh()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.filters = FilterBar()
        self.view = QListView()
        self.view.setAccessibleName("Items")
        self.view.setObjectName("review_grid")
        setup_view(self.view, self.model, self.loader)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.installEventFilter(self)
        side = SidePanel()
        self.summary, self.confusion = side.summary, side.confusion
        self.clear_cell, self.tally = side.clear_cell, side.tally
        self._cv_ids: tuple[int, ...] | None = None  # a cross-validated cell's items
        split = QSplitter()
        split.addWidget(self.view)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)  # 3:1 left six class names a horizontal scroll at 1280 x 720
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.filters)
        layout.addWidget(split, 1)
        layout.addWidget(self._action_bar())
        self.accept_bar = AcceptBar(self)
        layout.addWidget(self.accept_bar)
        self.setCentralWidget(central)

    def _action_bar(self) -> QWidget:
        bar = QWidget()
        row = WrapLayout(bar)  # wraps on a small screen instead of widening the window
        self.count_label = QLabel()
        self.relabel_as = QComboBox()
        self.relabel_as.setObjectName("review_relabel_as")
        self.relabel_button = QPushButton("Relabel selected")
        self.skip_button = QPushButton("Skip selected")
        self.clear_button = QPushButton("Clear answers")
        self.undo_button = QPushButton("Undo last change")  # a review edit or an import
        self.undo_button.setEnabled(self.controller.session.can_undo_step())
        self.label_here = QPushButton("Label in the main window")
        self.label_here.setObjectName("review_label_here")
        self.label_here.setToolTip(
            "Show the chosen item in the labeling window (Ctrl+Enter, or double-click)"
        )
        relabel = kept_together(self.relabel_button, QLabel("as"), self.relabel_as)
        for w in (self.count_label, self.label_here, relabel, self.skip_button,
                  self.clear_button, self.undo_button):  # fmt: skip
            row.addWidget(w)
        return bar

    def _wire(self) -> None:
        c = self.controller
        c.query_changed.connect(self._schedule_refresh)
        c.rounds_changed.connect(self._on_round)
        self.filters.changed.connect(self._on_filter)
        self.confusion.cell_chosen.connect(self._show_test_cell)
        self.confusion.cv_cell_chosen.connect(self._show_cv_cell)
        self.clear_cell.clicked.connect(self._clear_cells)
        self.view.selectionModel().selectionChanged.connect(self._update_count)
        self.model.modelReset.connect(self._update_count)
        self.relabel_button.clicked.connect(
            lambda: self.apply("label", self.relabel_as.currentData())
        )
        self.skip_button.clicked.connect(lambda: self.apply("skip"))
        self.clear_button.clicked.connect(lambda: self.apply("clear"))
        self.undo_button.clicked.connect(self.undo)
        self.label_here.clicked.connect(lambda: self.label_in_main())
        self.view.clicked.connect(self._on_clicked)
        self.view.doubleClicked.connect(lambda index: self.label_in_main(index.data(ItemIdRole)))
        install_keys(self)
        self.suspicion.scored.connect(self._on_scored)
        self.suspicion.failed.connect(self.summary.setText)
        self.suspicion.busy_changed.connect(self._on_checking)

    # ------------------------------------------------------------------ contents
    def refresh(self) -> None:
        """Rebuild the rows from the store and the model in memory (keeps the selection)."""
        self._refresh_timer.stop()
        place = grid_place(self.view)  # before set_classes, which resets the model
        classes = self.store.classes()
        self._items = {it.id: it for it in self.store.items()}
        self.model.set_classes(classes)
        self.filters.set_classes(classes)
        self._fill_relabel(classes)
        rows = build_rows(self._items.values(), self.store.answers(),
                          self.store.class_resolver(), self._proba(), [c.id for c in classes])  # fmt: skip
        rows = [self.doubts.row(r) for r in rows]
        self.model.set_rows(rows)
        restore_place(self.view, place, follow=True, by_row=self.filters.in_confirm_mode())
        self.confusion.show_counts(rows, classes)
        self.tally.show_answers(self.store.answers())
        self._update_count()

    def _proba(self) -> dict:
        model = self.controller.session.model
        if model.ranking is None:
            return {}
        proba = model.ranking.proba
        blank = blank_rows(model.features, model.layout, self.store.kind, len(proba))  # silence
        return {i: proba[r] for i, r in model.row_of.items() if r < len(proba) and not blank[r]}

    def _fill_relabel(self, classes) -> None:
        chosen = self.relabel_as.currentData()
        self.relabel_as.clear()
        for c in classes:
            key = f"  (key {c.hotkey.upper()})" if c.hotkey and c.hotkey != c.name else ""
            self.relabel_as.addItem(f"{c.name}{key}", c.id)
        k = self.relabel_as.findData(chosen)
        self.relabel_as.setCurrentIndex(max(k, 0))

    def _schedule_refresh(self, *_args) -> None:
        if self.isVisible():
            self._refresh_timer.start()

    def _on_filter(self, f, sort: str) -> None:
        place = grid_place(self.view)
        self.model.set_filter(replace(f, ids=self._ids_to_show()), sort)
        restore_place(self.view, place)

    def _show_test_cell(self, given: int, predicted: int) -> None:
        self._cv_ids = None
        self.filters.set_cell(given, predicted)

    def _show_cv_cell(self, ids: tuple[int, ...]) -> None:
        self._cv_ids = ids
        self.filters.hold_split(None)  # the cell counts test labels too: show its every item
        self.filters.set_cell(None, None)  # refilters: the grid shows ``ids``

    def _clear_cells(self) -> None:
        self._cv_ids = None
        self.filters.release_split()  # "all items": not the split the cell chose
        self.filters.set_cell(None, None)

    def _ids_to_show(self) -> tuple[int, ...] | None:
        """A cross-validated cell's items, the near-duplicate pairs (closest first, each pair
        side by side) or the outliers."""
        if self._cv_ids is not None:
            return self._cv_ids
        show = self.filters.show_only.currentData()
        if show is None:
            return None
        if self._space is None:
            return ()
        if show == "outliers":
            return tuple(o.item_id for o in self._space.outliers)
        return tuple(dict.fromkeys(i for d in self._space.duplicates for i in (d.a, d.b)))

    def _update_count(self, *_args) -> None:
        n, total = self.model.rowCount(), len(self.model.all_rows())
        picked = len(self.view.selectionModel().selectedIndexes())
        self.count_label.setText(f"{n} of {total} items shown, {picked} selected"
                                 + (self._empty_doubts() if not n else ""))  # fmt: skip

    def _empty_doubts(self) -> str:
        """Why "Suspicious only" shows nothing: a blank grid said nothing."""
        if not self.filters.suspicious.isChecked() or self.suspicion.busy:
            return ""
        doubted = sum(r.suspicion is not None for r in self.model.all_rows())
        if doubted:  # a search or another filter hides them
            return f" — the other filters hide the {doubted} doubted labels"
        return " — no label is doubted now: the check's note is on the right"

    # ------------------------------------------------------------------ selection
    def selected_rows(self) -> list[ReviewRow]:
        indexes = sorted(self.view.selectionModel().selectedIndexes(), key=lambda i: i.row())
        return [self.model.row_at(i) for i in indexes]

    def selected_ids(self) -> list[int]:
        indexes = sorted(self.view.selectionModel().selectedIndexes(), key=lambda i: i.row())
        return [int(i.data(ItemIdRole)) for i in indexes]

    def label_in_main(self, item_id: int | None = None) -> bool:
        """Show ``item_id`` (default: the current grid item) in the labeling window, raised,
        to be labeled there; its next answer returns the loop to where it was."""
        if item_id is None:
            index = self.view.currentIndex()
            item_id = index.data(ItemIdRole) if index.isValid() else None
        main = self.parent()
        if item_id is None or main is None:
            self.statusBar().showMessage("Click an item first, then “Label in the main window”.")
            return False
        self.controller.show_item(int(item_id))
        main.raise_()
        main.activateWindow()
        return True

    def play(self, item_id: int | None = None) -> bool:
        """Audio: play (or pause) ``item_id``, default the current list item."""
        if item_id is None:
            index = self.view.currentIndex()
            item_id = index.data(ItemIdRole) if index.isValid() else None
        if self.player is None or item_id is None:
            return False
        item = self._items[int(item_id)]
        self.statusBar().showMessage(self.player.toggle(item.id, self.store.abspath(item)))
        return True

    def _on_clicked(self, index) -> None:
        plain = QApplication.keyboardModifiers() == Qt.KeyboardModifier.NoModifier
        if self.player is not None and plain:  # Shift/Ctrl-click only select
            self.play(index.data(ItemIdRole))

    # ------------------------------------------------------------------ edits
    def apply(self, action: str, class_id: int | None = None) -> int:
        """Relabel (``label``), skip or clear the selected items in one logged step.

        Returns:
            How many items changed.
        """
        ids = self.selected_ids()
        if not ids:
            self.statusBar().showMessage("Select items first (click, Shift/Ctrl-click, Ctrl+A).")
            return 0
        if action == "label" and self.filters.in_confirm_mode():  # answers the model's guess
            edits = answer_guess_edits(self.selected_rows(), class_id)
        else:
            edits = plan_edits(action, ids, self._items, self.store.answers(), class_id)
        what = f" as {self.model.class_name(class_id)}" if action == "label" else ""
        return self.append(edits, f"{VERBS[action]} {{items}}{what}.")

    def append(self, edits: list, message: str) -> int:
        """Append ``edits`` as one undoable step; ``message`` (with ``{n}``, or ``{items}``:
        "1 item", "5 items") goes to the status bar. Returns how many items changed."""
        if not edits:
            self.statusBar().showMessage("Nothing to change: the items already have that answer.")
            return 0
        rows = [e.as_row() for e in edits]
        if self.controller.append_edits(rows, f"the change of {_items(len(edits))}") is None:
            return 0
        self.undo_button.setEnabled(True)
        self.statusBar().showMessage(
            message.format(n=len(edits), items=_items(len(edits)))
            + " Ctrl+Z undoes it in one step."
        )
        self.refresh()
        return len(edits)

    def undo(self) -> str | None:
        """Withdraw the newest change made here or by an import, as one step appended to the
        log; what it was (None: nothing to undo)."""
        name = self.controller.undo_step()
        self.undo_button.setEnabled(self.controller.session.can_undo_step())
        if name is not None:
            self.statusBar().showMessage(f"Undid {name}.")
            self.refresh()
        return name

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if obj is self.view and event.type() == QEvent.Type.KeyPress:
            return self._on_grid_key(event)
        if obj is self.parent() and event.type() == QEvent.Type.Close:
            self.close()
        return False

    def _on_grid_key(self, event) -> bool:
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.accept_bar.accept_guesses()
            return True
        if event.key() == Qt.Key.Key_Space and self.player is not None:
            self.play()
            return True
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.apply("clear")
            return True
        text = event.text().lower()
        for c in self.store.classes():
            if text and c.hotkey and c.hotkey.lower() == text:
                self.apply("label", c.id)
                return True
        return False

    # ------------------------------------------------------------------ suspicion
    def check_labels(self) -> bool:
        """Start the doubtful-label check on a worker (also run after each retrain)."""
        return self.suspicion.request(self.controller.session)

    def _on_round(self, *_args) -> None:
        if self.isVisible():
            self.check_labels()
        self._schedule_refresh()

    def _on_checking(self, busy: bool) -> None:
        if busy:
            self.summary.setText("Checking the labels with a cross-validated model…")

    def _on_scored(self, result, class_ids: list[int], space) -> None:
        self._space = space
        given, predicted = result.y, result.predicted()
        self.confusion.set_cv_pairs({int(i): (class_ids[g], class_ids[p]) for i, g, p
                                     in zip(result.item_ids, given, predicted, strict=True)})  # fmt: skip
        kept = self.doubts.update(result, class_ids, self.controller.session.state.current)
        name_of = {c.id: c.name for c in self.store.classes()}
        names = [name_of.get(cid, "?") for cid in class_ids]
        self.summary.setText(describe_check(result, space, names) + kept_text(kept))
        self._on_filter(self.filters.current(), self.filters.sort.currentData())
        self.refresh()

    # ------------------------------------------------------------------ lifecycle
    @guarded
    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.loader.resume()
        self.doubts.restart()
        self.refresh()
        self.check_labels()

    @guarded
    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        self._refresh_timer.stop()
        self.loader.shutdown()
        if self.player is not None:
            self.player.stop()
        self.suspicion.shutdown()
