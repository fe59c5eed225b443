"""The review view's filter bar: search, class, split, answer, source, sort, suspicious only."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QWidget

from aldesk.core.review_rows import Filter
from aldesk.core.store import ClassInfo
from aldesk.gui.panels.wrap_layout import WrapLayout

SPLITS = (("Pool and test", None), ("Pool", "pool"), ("Test", "test"))
STATES = (("Any answer", None), ("Labeled", "labeled"), ("Skipped", "skipped"),
          ("Can't label", "cannot_label"), ("Missing or unreadable", "unreadable"),
          ("Not yet seen", "unseen"))  # fmt: skip
SOURCES = (("Any source", None), ("Labeled by you", "user"), ("Imported", "import"),
           ("Labeled by the model", "model"))  # fmt: skip
SHOW = (("Every item", None), ("Near-duplicates", "duplicates"), ("Outliers", "outliers"))
SORTS = (("Sort by name", "name"), ("Least confident first", "confidence"),
         ("Most confident first", "sure"),
         ("Most disagreement first", "disagreement"), ("Most doubtful first", "suspicion"))  # fmt: skip


def _combo(name: str, choices: Sequence[tuple[str, object]]) -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    for text, value in choices:
        box.addItem(text, value)
    return box


class FilterBar(QWidget):
    """Emits ``changed(Filter, sort)`` whenever a control changes."""

    changed = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setObjectName("review_search")
        self.search.setAccessibleName("Search file names")
        self.search.setPlaceholderText("Search file names…")
        self.search.setClearButtonEnabled(True)
        self.classes = _combo("review_class", [("Any class", None)])
        self.split = _combo("review_split", SPLITS)
        self.state = _combo("review_state", STATES)
        self.source = _combo("review_source", SOURCES)
        self.sort = _combo("review_sort", SORTS)
        self.show_only = _combo("review_show", SHOW)
        self.show_only.setToolTip(
            "Near-duplicates: pairs of items whose features nearly coincide, closest first. "
            "Outliers: the items least like any other, most isolated first."
        )
        self.suspicious = QCheckBox("Suspicious only")
        self.suspicious.setObjectName("review_suspicious")
        self.suspicious.setToolTip(
            "Labels a cross-validated model contradicts (confident learning), most doubtful first"
        )
        self.search.setMinimumWidth(220)
        row = WrapLayout(self)  # wraps on a small screen instead of widening the window
        row.addWidget(self.search)
        for w in (self.classes, self.split, self.state, self.source, self.sort, self.show_only,
                  self.suspicious):  # fmt: skip
            row.addWidget(w)
        self.search.textChanged.connect(self._emit)
        for box in (self.classes, self.split, self.state, self.source, self.sort, self.show_only):
            box.currentIndexChanged.connect(self._emit)
        self.suspicious.toggled.connect(self._on_suspicious)
        self._cell: tuple[int | None, int | None] = (None, None)
        self._split_before: int | None = None  # the user's split while a cell chose one

    def set_classes(self, classes: Sequence[ClassInfo]) -> None:
        chosen = self.classes.currentData()
        self.classes.blockSignals(True)
        self.classes.clear()
        self.classes.addItem("Any class", None)
        for c in classes:
            self.classes.addItem(c.name, c.id)
        k = self.classes.findData(chosen)
        self.classes.setCurrentIndex(max(k, 0))
        self.classes.blockSignals(False)

    def set_confirm_mode(self) -> None:
        """The model's surest guesses on items nobody has answered, surest first."""
        for box, value in ((self.split, "pool"), (self.state, "unseen"), (self.sort, "sure")):
            self._set_quietly(box, value)
        self.suspicious.setChecked(False)
        self._emit()

    def in_confirm_mode(self) -> bool:
        """Unanswered items, surest guess first: a class key answers the model's guess."""
        return self.state.currentData() == "unseen" and self.sort.currentData() == "sure"

    def set_cell(self, given: int | None, predicted: int | None) -> None:
        """A confusion-matrix cell was clicked: show those test items (None, None: clear)."""
        self._cell = (given, predicted)
        if given is not None:
            self.hold_split("test")
        self._emit()

    def hold_split(self, split: str | None) -> None:
        """A cell chose the split it shows (None: both); ``release_split`` puts back the one
        before."""
        if self._split_before is None:
            self._split_before = self.split.currentIndex()  # its data may be None ("both")
        datas = [self.split.itemData(k) for k in range(self.split.count())]
        self.split.setCurrentIndex(datas.index(split))

    def release_split(self) -> None:
        """Show all items again: the split a cell chose goes back to the user's own."""
        if self._split_before is not None:
            k, self._split_before = self._split_before, None
            self.split.setCurrentIndex(k)

    def current(self) -> Filter:
        given, predicted = self._cell
        return Filter(
            text=self.search.text(), class_id=self.classes.currentData(),
            split=self.split.currentData(), state=self.state.currentData(),
            source=self.source.currentData(), suspicious=self.suspicious.isChecked(),
            given=given, predicted=predicted,
        )  # fmt: skip

    def _on_suspicious(self, on: bool) -> None:
        """Doubted labels, most doubtful first: an answer filter that hides every label (left
        by Confirm predictions: "not yet seen") and its sort give way."""
        if on:
            if self.state.currentData() not in (None, "labeled"):
                self._set_quietly(self.state, None)  # "0 of 300 items shown"
            if self.sort.currentData() in ("name", "sure"):
                self._set_quietly(self.sort, "suspicion")
        self._emit()

    @staticmethod
    def _set_quietly(box, value) -> None:
        box.blockSignals(True)
        box.setCurrentIndex(max(box.findData(value), 0))
        box.blockSignals(False)

    def _emit(self, *_args) -> None:
        self.changed.emit(self.current(), self.sort.currentData())
