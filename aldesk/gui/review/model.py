"""The review grid's list model: filtered, sorted rows; thumbnails from the loader's cache."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QGuiApplication, QPainter, QPixmap

from aldesk.core.review_rows import Filter, ReviewRow, select
from aldesk.core.session_status import probability_text
from aldesk.core.store import ClassInfo
from aldesk.gui import style
from aldesk.gui.review.thumbnails import ThumbnailLoader

ItemIdRole = Qt.ItemDataRole.UserRole + 1
STATE_TEXT = {"labeled": "", "skipped": "skipped", "cannot_label": "can't label",
              "unreadable": "unreadable", "unseen": "not yet seen"}  # fmt: skip
Index = QModelIndex | QPersistentModelIndex


def _placeholder(size: QSize, colour: str) -> QPixmap:
    pm = QPixmap(size)
    pm.fill(QColor("#00000000"))
    painter = QPainter(pm)
    painter.fillRect(4, 4, size.width() - 8, size.height() - 8, QColor(colour))
    painter.end()
    return pm


CAPTION_NAME = 14  # characters of a class name in a grid caption
# the file's name, its label, and a doubt's "→ other class?" wrapped onto a third line: with two,
# under a tall thumbnail, the warning ended "⚠ hemorrhage → …"
CAPTION_LINES = 3


def _caption_height() -> int:
    return CAPTION_LINES * QFontMetrics(QGuiApplication.font()).lineSpacing()


class ReviewModel(QAbstractListModel):
    """Rows of :func:`aldesk.core.review_rows.select`; images get lazy thumbnails.

    Args:
        abspath: Item id -> file path (the store's ``abspath``).
        loader: Thumbnail loader (image grid) or waveform loader (audio list); None: text only.
    """

    def __init__(
        self, abspath: Callable[[int], Path], loader: ThumbnailLoader | None, parent=None
    ) -> None:
        super().__init__(parent)
        self._abspath = abspath
        self._loader = loader
        self._all: list[ReviewRow] = []
        self._rows: list[ReviewRow] = []
        self._row_of: dict[int, int] = {}
        self._names: dict[int, str] = {}
        self._colours: dict[int, str] = {}
        self.filter = Filter()
        self.sort = "name"
        if loader is not None:
            waiting = style.theme_colour("grid").name()  # a pale box was bright in the dark
            self._waiting = _placeholder(loader.icon_size(), waiting)
            self._broken = _placeholder(loader.icon_size(), "#e8b4b4")
            loader.arrived.connect(self._on_thumbnails)
            loader.failed.connect(lambda item_id, _reason: self._on_thumbnails([item_id]))

    # ------------------------------------------------------------------ contents
    def set_classes(self, classes: Sequence[ClassInfo]) -> None:
        self._names = {c.id: c.name for c in classes}
        self._colours = {c.id: c.colour or "#888888" for c in classes}

    def set_rows(self, rows: list[ReviewRow]) -> None:
        self._all = rows
        self._refilter()

    def set_filter(self, f: Filter, sort: str | None = None) -> None:
        self.filter = f
        if sort is not None:
            self.sort = sort
        self._refilter()

    def _refilter(self) -> None:
        self.beginResetModel()
        self._rows = select(self._all, self.filter, self.sort)
        self._row_of = {r.item_id: k for k, r in enumerate(self._rows)}
        self.endResetModel()
        if self._loader is not None:
            self._loader.clear_pending()  # what was on screen before the filter is gone

    def rows(self) -> list[ReviewRow]:
        return list(self._rows)

    def row_at(self, index: Index) -> ReviewRow:
        return self._rows[index.row()]

    def all_rows(self) -> list[ReviewRow]:
        return list(self._all)

    def class_name(self, class_id: int | None) -> str:
        return self._names.get(class_id, "") if class_id is not None else ""

    # ------------------------------------------------------------------ Qt model
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._caption(row)
        if role == Qt.ItemDataRole.DecorationRole and self._loader is not None:
            return self._thumbnail(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        if role == Qt.ItemDataRole.ForegroundRole and row.doubt_confident:
            return style.ERROR_TEXT  # the theme's: a fixed dark red was 2:1 on the dark theme
        if role == ItemIdRole:
            return row.item_id
        if role == Qt.ItemDataRole.SizeHintRole and self._loader is not None and self._loader.grid:
            return self.item_size()  # the same for all: the view's uniform size, whatever row
        return None

    def _caption(self, row: ReviewRow) -> str:
        grid = self._loader is not None and self._loader.grid
        # a list row has room for the path in the pool (sorted by it; cameras and recorders
        # restart at IMG_0001 / ZOOM0001 in every folder); a grid cell for the file's name
        name = row.relpath.rsplit("/", 1)[-1] if grid else row.relpath
        if grid and len(name) > 16:
            name = name[:7] + "…" + name[-8:]

        def class_name(cid: int | None) -> str | None:
            """In the grid a long name is cut (the tooltip has it whole): "⚠ lymphocytes →
            colorectal adenocarcinoma epithelium?" ran past the caption's lines, and the
            model's class, the point of the warning, was elided away. Cut in the middle:
            "Coleoptera: C…" named two classes alike, "Coleop…rabidae" does not (QA)."""
            full = self.class_name(cid)
            if not (grid and full and len(full) > CAPTION_NAME):
                return full
            head = (CAPTION_NAME - 1) // 2
            return full[:head] + "…" + full[-(CAPTION_NAME - 1 - head) :]

        answer = class_name(row.class_id) or STATE_TEXT[row.state]
        if row.trouble is not None:  # "unreadable" alone: which, and why, was in the database
            answer = f"{answer} · {row.trouble}" if row.class_id is not None else row.trouble
        # ⚠ where confident learning marks the label; "?" where the model only prefers
        # another class (the panel said "0 of them confidently" beside red warnings)
        mark = "" if row.suspicion is None else "⚠ " if row.doubt_confident else "? "
        guess = ""
        if row.doubted_as is not None:
            guess = f" → {class_name(row.doubted_as[0])}?"
        elif row.predicted is not None and row.class_id is None and row.state == "unseen":
            answer = f"model: {class_name(row.predicted)} {probability_text(row.confidence)}"
        elif row.predicted is not None and row.predicted != row.class_id:
            guess = f" → {class_name(row.predicted)} {probability_text(row.confidence)}"
        return f"{name}\n{mark}{answer}{guess}"

    def _tooltip(self, row: ReviewRow) -> str:
        lines = [row.relpath, f"split: {row.split}"] + ([row.trouble] if row.trouble else [])
        if row.class_id is not None:
            lines.append(f"label: {self.class_name(row.class_id)} ({row.source})")
        else:
            lines.append(STATE_TEXT[row.state] or row.state)
        if row.predicted is not None:
            lines.append(
                f"model: {self.class_name(row.predicted)} {probability_text(row.confidence)}"
            )
        if row.doubted_as is not None:
            cid, p = row.doubted_as
            lines.append(f"doubted: a model that never saw this item says "
                         f"{self.class_name(cid)} ({probability_text(p)})")  # fmt: skip
        if self._loader is not None and (why := self._loader.error(row.item_id)):
            lines.append(f"cannot show: {why}")
        return "\n".join(lines)

    def _thumbnail(self, row: ReviewRow) -> QPixmap:
        pm = self._loader.pixmap(row.item_id)
        if pm is not None:
            return pm
        if self._loader.error(row.item_id) is not None or row.trouble is not None:
            return self._broken
        self._loader.request(row.item_id, self._abspath(row.item_id))
        return self._waiting

    def _on_thumbnails(self, item_ids: list[int]) -> None:
        """One ``dataChanged`` over the rows of a batch of thumbnails: one repaint, however many
        arrived (the grid's uniform item sizes make a wide range cheap)."""
        rows = [k for i in item_ids if (k := self._row_of.get(i)) is not None]
        if rows:
            first, last = self.index(min(rows)), self.index(max(rows))
            self.dataChanged.emit(first, last, [Qt.ItemDataRole.DecorationRole])

    def keep_rows(self, rows: range) -> None:
        """Only ``rows`` are on screen: thumbnails requested for other rows are not decoded."""
        if self._loader is not None:
            last = min(rows.stop, len(self._rows))
            self._loader.retain(self._rows[k].item_id for k in range(max(rows.start, 0), last))

    def item_size(self) -> QSize:
        """A grid item: its cell less a gap, so every caption gets the same width (with uniform
        item sizes Qt would take the size of whichever row it measured first)."""
        return QSize(self.cell_size().width() - 8, self.icon_side() + _caption_height() + 8)

    def icon_side(self) -> int:
        return self._loader.side if self._loader is not None else 0

    def cell_size(self) -> QSize:
        side = self._loader.side if self._loader is not None else 0
        return QSize(side + 44, side + _caption_height() + 16)  # icon + caption, not clipped
