"""Confusion matrices, a click filters the grid: the labelled test items under the current model,
and every label under the cross-validated (out-of-sample) model of the doubtful-label check; and
that check's mix-ups as a list, most frequent first (with many classes the matrix shows a few
columns at a time)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
)

from aldesk.core.review_rows import ReviewRow
from aldesk.core.store import ClassInfo
from aldesk.gui.guard import guarded

FULL_NAMES_UP_TO = 8  # classes; past this the columns are headed by key (the name: tooltip)
ROW_NAMES_WIDTH = 180  # px; a longer name is elided in the middle (its tooltip is whole)
KEYED_ROW_NAMES_WIDTH = 110  # px, with many classes: the key leads, so less of the name does
NAME_PADDING = 14  # px around a header's text (the style's section margins)
MIN_COLUMN = 32  # px: a count of up to three digits and its margins


def short_name(c: ClassInfo, k: int) -> str:
    """A column heading for many classes: the class's key, else its number."""
    return c.hotkey.upper() if c.hotkey else str(k + 1)


def confusion_counts(rows: Sequence[ReviewRow], class_ids: Sequence[int]) -> list[list[int]]:
    """``counts[given][predicted]`` over labelled test rows that have a prediction."""
    index = {cid: k for k, cid in enumerate(class_ids)}
    counts = [[0] * len(class_ids) for _ in class_ids]
    for r in rows:
        if r.split == "test" and r.class_id in index and r.predicted in index:
            counts[index[r.class_id]][index[r.predicted]] += 1
    return counts


class ConfusionTable(QTableWidget):
    """Rows: the given label; columns: the model's prediction. ``cell_chosen(given, predicted)``
    carries class ids of the clicked cell."""

    cell_chosen = Signal(int, int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("review_confusion")
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)  # Tab leaves the matrix (it cycled its cells for ever)
        self.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        # sized once after filling: ResizeToContents re-measured every section at each of the
        # n² cells set (98 classes: the window froze for 8.7 minutes)
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.verticalHeader().setMaximumWidth(ROW_NAMES_WIDTH)
        self.verticalHeader().setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.cellClicked.connect(self._on_clicked)
        self.cellActivated.connect(self._on_clicked)  # Enter on a cell, from the keyboard
        self._class_ids: list[int] = []
        self._classes: list[ClassInfo] = []
        self._keyed = False

    def show_counts(self, rows: Sequence[ReviewRow], classes: Sequence[ClassInfo]) -> None:
        self.show_matrix(confusion_counts(rows, [c.id for c in classes]), classes)

    def show_matrix(self, counts: list[list[int]], classes: Sequence[ClassInfo]) -> None:
        """``counts[given][predicted]`` in ``classes`` order."""
        self._class_ids = [c.id for c in classes]
        self._classes = list(classes)
        self.setUpdatesEnabled(False)
        try:
            self.setRowCount(len(classes))
            self.setColumnCount(len(classes))
            self._set_headers(self._wants_keys())
            self._fill(counts)
        finally:
            self.setUpdatesEnabled(True)
        self.resizeRowsToContents()

    @guarded
    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Names or keys again: at 1280 x 720 six class names needed a horizontal scroll."""
        super().resizeEvent(event)
        if self._classes and self._wants_keys() != self._keyed:
            self._set_headers(not self._keyed)

    def _wants_keys(self) -> bool:
        """Columns headed by key with many classes, or when the names do not fit the width."""
        return len(self._classes) > FULL_NAMES_UP_TO or not self._names_fit()

    def _names_fit(self) -> bool:
        """Whether row names and name-headed columns fit beside each other without a scroll."""
        metrics = self.horizontalHeader().fontMetrics()
        widths = [metrics.horizontalAdvance(c.name) + NAME_PADDING for c in self._classes]
        rows = min(max(widths, default=0), ROW_NAMES_WIDTH)
        room = self.viewport().width() if self.isVisible() else self.width()
        return rows + sum(max(w, MIN_COLUMN) for w in widths) <= room

    def _set_headers(self, keyed: bool) -> None:
        """Rows by name (a long one elided in the middle), columns by name, or by key when
        keyed: each full name is the header's tooltip."""
        self._keyed = keyed
        rows = [c.name for c in self._classes]
        columns = [short_name(c, k) for k, c in enumerate(self._classes)] if keyed else rows
        self.setVerticalHeaderLabels(
            [_keyed(key, name) for key, name in zip(columns, rows, strict=True)] if keyed else rows
        )
        # 15 long names left a narrow column room for one matrix column beside the names
        self.verticalHeader().setMaximumWidth(KEYED_ROW_NAMES_WIDTH if keyed else ROW_NAMES_WIDTH)
        self.setHorizontalHeaderLabels(columns)
        for k, name in enumerate(rows):
            for item in (self.horizontalHeaderItem(k), self.verticalHeaderItem(k)):
                item.setToolTip(name)
        self.resizeColumnsToContents()

    def _fill(self, counts: list[list[int]]) -> None:
        top = max((max(r) for r in counts), default=0) or 1
        for i, line in enumerate(counts):
            for j, n in enumerate(line):
                cell = QTableWidgetItem(str(n) if n else "")
                cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if n:
                    cell.setBackground(_shade(n / top, right=i == j))
                    cell.setForeground(CELL_TEXT)  # the theme's text is light in dark mode
                self.setItem(i, j, cell)

    def _on_clicked(self, row: int, column: int) -> None:
        if row < len(self._class_ids) and column < len(self._class_ids):
            self.cell_chosen.emit(self._class_ids[row], self._class_ids[column])


def _keyed(key: str, name: str) -> str:
    """A row heading with many classes: key and name ("7  Coal tit"), the name alone when it
    is the key (digit classes read "0 0", "1 1")."""
    return name if key.casefold() == name.casefold() else f"{key}  {name}"


class ConfusionTabs(QTabWidget):
    """The test matrix and, on a second tab, the labelled pool's cross-validated one.

    Signals:
        cell_chosen(int, int): a test cell (given, predicted class ids).
        cv_cell_chosen(object): a pool cell: the ids of its items (empty tuple: none).
    """

    cell_chosen = Signal(int, int)
    cv_cell_chosen = Signal(object)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.test = ConfusionTable()
        self.pool = ConfusionTable()
        self.pool.setObjectName("review_cv_confusion")
        self.mixups = MixUps()
        self.addTab(self.test, "Test items")
        self.addTab(self.pool, "All labels")  # a longer title was cut off in a narrow column
        self.addTab(self.mixups, "Mix-ups")
        self.setTabToolTip(0, "Held-out test items: your label against the current model")
        self.setTabToolTip(1, "Every label, pool and test items, cross-validated: each against a "
                           "model that never saw it (the doubtful-label check, after each "
                           "retrain)")  # fmt: skip
        self.setTabToolTip(2, "The classes the cross-validated check confuses most, "
                           "largest first; click one to see its items")  # fmt: skip
        self._pairs: dict[int, tuple[int, int]] = {}  # item -> (given, out-of-sample class)
        self.test.cell_chosen.connect(self.cell_chosen)
        self.pool.cell_chosen.connect(self._on_pool_cell)
        self.mixups.chosen.connect(self.cv_cell_chosen)

    def set_cv_pairs(self, pairs: dict[int, tuple[int, int]]) -> None:
        """The newest check's (given, predicted) class ids per labelled pool item."""
        self._pairs = dict(pairs)

    def show_counts(self, rows: Sequence[ReviewRow], classes: Sequence[ClassInfo]) -> None:
        self.test.show_counts(rows, classes)
        index = {c.id: k for k, c in enumerate(classes)}
        counts = [[0] * len(classes) for _ in classes]
        for given, predicted in self._pairs.values():
            if given in index and predicted in index:
                counts[index[given]][index[predicted]] += 1
        self.pool.show_matrix(counts, classes)
        self.mixups.show_pairs(self._pairs, classes)

    def _on_pool_cell(self, given: int, predicted: int) -> None:
        ids = tuple(i for i, pair in self._pairs.items() if pair == (given, predicted))
        self.cv_cell_chosen.emit(ids)


class MixUps(QListWidget):
    """One line per (given, predicted) pair of different classes in the cross-validated
    check, most labels first; ``chosen(ids)`` carries a clicked line's items."""

    chosen = Signal(object)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("review_mixups")
        self._pairs: dict[int, tuple[int, int]] = {}
        self.setWordWrap(True)  # two long names wrap in the narrow column, not cut off
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.itemClicked.connect(self._on_item)
        self.itemActivated.connect(self._on_item)  # Enter, from the keyboard

    def show_pairs(self, pairs: dict[int, tuple[int, int]], classes: Sequence[ClassInfo]) -> None:
        """``pairs``: item id -> (given, out-of-sample class id)."""
        names = {c.id: c.name for c in classes}
        wrong = Counter(p for p in pairs.values() if p[0] != p[1] and set(p) <= names.keys())
        self.clear()
        if not wrong:
            note = "No label is contradicted" if pairs else "The label check has not run yet"
            self.addItem(QListWidgetItem(note))
            self.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
            return
        for (given, predicted), n in wrong.most_common():
            # quoted: "2  0 → 6" read as a count among digit-named classes
            line = QListWidgetItem(f"{n} × “{names[given]}” → “{names[predicted]}”")
            line.setData(Qt.ItemDataRole.UserRole, (given, predicted))
            line.setToolTip(f"{n} labeled “{names[given]}” that a model which never saw them "
                            f"calls “{names[predicted]}”")  # fmt: skip
            self.addItem(line)
        self._pairs = pairs

    def _on_item(self, line: QListWidgetItem) -> None:
        pair = line.data(Qt.ItemDataRole.UserRole)
        if pair is not None:
            self.chosen.emit(tuple(i for i, p in self._pairs.items() if p == tuple(pair)))


# Right blue, wrong orange (not green and pink: one shade to deuteranopes), pale to strong
# with the count; the text on them is dark in either theme.
_RIGHT = ((228, 236, 251), (118, 158, 228))
_WRONG = ((253, 236, 220), (240, 150, 80))
CELL_TEXT = QColor("#111827")


def _shade(t: float, right: bool) -> QColor:
    pale, strong = _RIGHT if right else _WRONG
    return QColor(*(round(p + (s - p) * t) for p, s in zip(pale, strong, strict=True)))
