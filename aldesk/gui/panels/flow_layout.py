"""A layout of equal-width cells that wraps into rows: the class buttons of the label bar.

Its minimum width is one cell, whatever the number of items, so many classes never widen the
window; the height it needs for a width is reported (height-for-width), so a scroll area can
show a few rows and scroll the rest.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget


class ItemListLayout(QLayout):
    """A QLayout keeping its items in a list: what a custom layout must give Qt to hold them."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self.setContentsMargins(0, 0, 0, 0)
        self.setSpacing(spacing)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 (Qt override)
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items.pop(index) if 0 <= index < len(self._items) else None


class CellFlowLayout(ItemListLayout):
    """Items in rows of equal cells at least ``cell_width`` wide, stretched to fill each row.

    With a ``compact_width`` and ``fit_rows``: when the items need more than ``fit_rows`` rows
    of full cells, the cells shrink towards ``compact_width`` (names are elided) so more of
    them show at once: with 22 classes, 8 buttons in view instead of 4.
    """

    def __init__(
        self, parent: QWidget | None = None, cell_width: int = 120, fit_rows: int | None = None
    ) -> None:
        super().__init__(parent)
        self._cell_width = self._compact_width = cell_width
        self._fit_rows = fit_rows

    # -- QLayout interface

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802
        return Qt.Orientation.Horizontal

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self.rows(width) * (self.row_height() + self.spacing()) - self.spacing()

    def minimumSize(self) -> QSize:  # noqa: N802
        return QSize(self._compact_width, self.row_height())

    def sizeHint(self) -> QSize:  # noqa: N802
        n = max(1, min(len(self._items), 8))  # a wish, not a need: rows wrap below this
        return QSize(n * (self._cell_width + self.spacing()) - self.spacing(), self.row_height())

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        if not self._items:
            return
        cols = self.columns(rect.width())
        sp, h = self.spacing(), self.row_height()
        width = (rect.width() - (cols - 1) * sp) / cols
        for i, item in enumerate(self._items):
            row, col = divmod(i, cols)
            x = rect.x() + round(col * (width + sp))
            right = rect.x() + round((col + 1) * (width + sp) - sp)
            item.setGeometry(QRect(QPoint(x, rect.y() + row * (h + sp)), QSize(right - x, h)))

    # -- geometry in cells
    def set_cell_width(self, width: int, compact: int | None = None) -> None:
        """Full cells ``width`` px wide; ``compact`` (≤ width) when they overflow ``fit_rows``."""
        self._cell_width = max(1, width)
        self._compact_width = max(1, min(compact or width, self._cell_width))
        self.invalidate()

    def columns(self, width: int) -> int:
        """How many cells fit side by side in ``width`` pixels (at least one)."""
        cols = self._columns(width, self._cell_width)
        if self._fit_rows is not None and -(-len(self._items) // cols) > self._fit_rows:
            cols = self._columns(width, self._compact_width)
        return cols

    def _columns(self, width: int, cell: int) -> int:
        fit = (width + self.spacing()) // (cell + self.spacing())
        return max(1, min(fit, len(self._items) or 1))

    def rows(self, width: int) -> int:
        cols = self.columns(width)
        return max(1, -(-len(self._items) // cols))

    def row_height(self) -> int:
        return max((item.sizeHint().height() for item in self._items), default=0)
