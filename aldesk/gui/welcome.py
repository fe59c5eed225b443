"""Welcome window: start a new project, open one, or pick a recent one.

Recent projects come from ``aldesk.gui.recent`` (a JSON file); a project that has gone missing is
listed greyed out with "(missing)" and can be removed from the list, never crashes the window.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from aldesk import __version__
from aldesk.gui import recent, style
from aldesk.gui.actions import APP_ACTIONS, build_actions
from aldesk.gui.window_state import default_size

PATH_ROLE = Qt.ItemDataRole.UserRole
EXISTS_ROLE = Qt.ItemDataRole.UserRole + 1


class WelcomeWindow(QWidget):
    """First window shown when no project is given on the command line.

    Signals:
        open_requested(Path): open this project folder.
        new_requested(): show the new-project dialog.
        quit_requested(): Ctrl+Q.
    """

    open_requested = Signal(object)
    new_requested = Signal()
    quit_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("aldesk")
        self.resize(default_size(QSize(860, 520)))
        self._build()
        self._wire()
        self.refresh()

    # -- construction --------------------------------------------------------------------------
    def _build(self) -> None:
        logo = QLabel()
        logo.setPixmap(style.icon("aldesk").pixmap(72, 72))
        title = QLabel("aldesk")
        title.setFont(style.heading_font(12))
        tagline = QLabel("Label folders of images and audio clips.\nThe model asks for the "
                         "items it learns most from.")  # fmt: skip
        tagline.setProperty("role", "muted")
        white = QIcon(style.svg_pixmap("folder-plus", 40, QColor("#ffffff")))
        self._new_button = QPushButton(white, "  New project from folder…")
        self._new_button.setProperty("primary", True)
        self._open_button = QPushButton(style.icon("folder-open"), "  Open project…")
        for b in (self._new_button, self._open_button):
            b.setIconSize(QSize(20, 20))
            b.setMinimumHeight(40)
        version = QLabel(f"version {__version__} · works offline")
        version.setProperty("role", "muted")
        left = QVBoxLayout()
        left.setSpacing(10)
        left.addWidget(logo)
        left.addWidget(title)
        left.addWidget(tagline)
        left.addSpacing(24)
        left.addWidget(self._new_button)
        left.addWidget(self._open_button)
        left.addStretch(1)
        left.addWidget(version)
        self._list = QListWidget()
        self._list.setAccessibleName("Recent projects")
        self._list.setIconSize(QSize(24, 24))
        self._list.setUniformItemSizes(True)
        self._empty = QLabel("No recent projects yet.\nCreate one from a folder to begin.")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setProperty("role", "muted")
        self._remove_button = QPushButton("Remove from list")
        self._open_selected = QPushButton("Open")
        recent_title = QLabel("Recent projects")
        recent_title.setFont(style.heading_font(2))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self._remove_button)
        buttons.addWidget(self._open_selected)
        right = QVBoxLayout()
        right.setSpacing(10)
        right.addWidget(recent_title)
        right.addWidget(self._list, 1)
        right.addWidget(self._empty, 1)
        right.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(28, 28, 28, 22)
        layout.setSpacing(32)
        layout.addLayout(left, 2)
        layout.addLayout(right, 3)
        self._actions = build_actions(self, APP_ACTIONS, self)
        self.addActions(list(self._actions.values()))

    def _wire(self) -> None:
        self._new_button.clicked.connect(self.new_requested)
        self._open_button.clicked.connect(self.open_project)
        self._list.itemActivated.connect(self._on_item_activated)
        self._list.currentItemChanged.connect(self._on_current_item_changed)
        self._open_selected.clicked.connect(self._on_open_selected_clicked)
        self._remove_button.clicked.connect(self._on_remove_clicked)

    # -- public API ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the recent-projects list from disk."""
        self._list.clear()
        for entry in recent.load_recent():
            self._list.addItem(_recent_item(entry))
        has_any = self._list.count() > 0
        self._list.setVisible(has_any)
        self._empty.setVisible(not has_any)
        if has_any:
            self._list.setCurrentRow(0)
        self._on_current_item_changed(self._list.currentItem(), None)

    def recent_entries(self) -> list[tuple[str, bool]]:
        """(shown text, openable) of each row, as the user sees them."""
        return [
            (self._list.item(i).text(), bool(self._list.item(i).data(EXISTS_ROLE)))
            for i in range(self._list.count())
        ]

    def recent_list(self) -> QListWidget:
        return self._list

    def open_project(self) -> None:
        """Ask for a project folder (NAME.aldesk) and request opening it."""
        chosen = self._ask_project_dir()
        if chosen:
            self.open_requested.emit(Path(chosen))

    def new_project(self) -> None:
        self.new_requested.emit()

    def show_shortcuts(self) -> None:
        """F1 on the welcome window: the few keys that matter here."""
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.information(self, "Keyboard shortcuts", _shortcut_text())

    def quit(self) -> None:
        self.quit_requested.emit()

    def _ask_project_dir(self) -> str:
        """Folder chooser; tests replace this method."""
        return QFileDialog.getExistingDirectory(self, "Open project (a NAME.aldesk folder)")

    # -- slots ------------------------------------------------------------------------------------
    @Slot(QListWidgetItem)
    def _on_item_activated(self, item: QListWidgetItem) -> None:
        if item is not None and item.data(EXISTS_ROLE):
            self.open_requested.emit(Path(item.data(PATH_ROLE)))

    @Slot()
    def _on_open_selected_clicked(self) -> None:
        self._on_item_activated(self._list.currentItem())

    @Slot()
    def _on_remove_clicked(self) -> None:
        item = self._list.currentItem()
        if item is not None:
            recent.remove_recent(item.data(PATH_ROLE))
            self.refresh()

    @Slot(object, object)
    def _on_current_item_changed(self, current: QListWidgetItem | None, _previous) -> None:
        self._remove_button.setEnabled(current is not None)
        self._open_selected.setEnabled(current is not None and bool(current.data(EXISTS_ROLE)))


def _recent_item(entry: recent.RecentProject) -> QListWidgetItem:
    exists = entry.exists
    text = f"{entry.name}\n{entry.path}" if exists else f"{entry.name}  (missing)\n{entry.path}"
    item = QListWidgetItem(style.icon("folder-open" if exists else "warning"), text)
    item.setData(PATH_ROLE, str(entry.path))
    item.setData(EXISTS_ROLE, exists)
    if exists:
        item.setToolTip(f"Open {entry.path}")
    else:
        item.setForeground(QColor("#9ca3af"))
        item.setToolTip("This project was moved or deleted. Remove it from the list, or "
                        "use Open project… to find it.")  # fmt: skip
    return item


def _shortcut_text() -> str:
    rows = [
        (
            spec.text.replace("&", ""),
            QKeySequence(spec.shortcut).toString(QKeySequence.SequenceFormat.NativeText),
        )
        for spec in APP_ACTIONS
    ]
    return "\n".join(f"{key:>10}   {text}" for text, key in rows)
