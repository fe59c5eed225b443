"""Help → About aldesk: the version, the licence, and every third-party component with its own.

The list comes from :func:`aldesk.notices.components`: in an installed build, the one the
build wrote beside the licence files it collected (the dialog links that folder); run from
source, the installed distributions aldesk requires.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from aldesk import __version__, notices
from aldesk.gui import style
from aldesk.gui.dialogs.form import muted_label
from aldesk.gui.window_state import default_size


class AboutDialog(QDialog):
    """Version, licence and the third-party components table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About aldesk")
        self.components = notices.components()
        self.table = _components_table(self.components)
        layout = QVBoxLayout(self)
        layout.addLayout(_header())
        layout.addWidget(QLabel("<b>Third-party components</b>"))
        layout.addWidget(self.table, 1)
        where = muted_label(_where_text())
        where.setOpenExternalLinks(True)  # the licence folder, in the file manager
        layout.addWidget(where)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        buttons.button(QDialogButtonBox.StandardButton.Close).setFocus()
        self.resize(default_size(QSize(760, 580)))  # a small screen: smaller


def _header() -> QHBoxLayout:
    logo = QLabel()
    logo.setPixmap(style.icon("aldesk").pixmap(64, 64))
    logo.setAlignment(Qt.AlignmentFlag.AlignTop)
    text = QLabel(
        f"<h2>aldesk {__version__}</h2>"
        "<p>Offline active-learning labeler for folders of images and audio clips.</p>"
        "<p>aldesk is free software under the MIT licence. It carries the components below, "
        "each under its own licence.</p>"
    )
    text.setWordWrap(True)
    row = QHBoxLayout()
    row.addWidget(logo)
    row.addWidget(text, 1)
    return row


def _components_table(items: list[notices.Component]) -> QTableWidget:
    table = QTableWidget(len(items), 3)
    table.setTabKeyNavigation(False)  # Tab leaves the table (it cycled its cells for ever)
    table.setHorizontalHeaderLabels(["Component", "Version", "Licence"])
    for row, c in enumerate(items):
        tip = "\n\n".join(t for t in (f"{c.name}: {c.license}", c.note) if t)
        for col, value in enumerate((c.name, c.version, c.license)):
            cell = QTableWidgetItem(value)
            cell.setToolTip(tip)  # the whole licence expression, the attribution, the Qt terms
            table.setItem(row, col, cell)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)  # long ones elide; see tip
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    return table


def _where_text() -> str:
    folder = notices.notices_dir()
    if folder is None:
        return ("Hover over a row for its attribution or terms. Installed packages carry every "
                "licence text in their documentation folder.")  # fmt: skip
    url = QUrl.fromLocalFile(str(folder)).toString()
    return (f"Hover over a row for its attribution or terms. The licence texts are in "
            f'<a href="{url}">{folder}</a> (THIRD-PARTY-NOTICES.md lists them).')  # fmt: skip
