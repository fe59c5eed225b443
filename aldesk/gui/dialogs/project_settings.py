"""Project ▸ Settings…: change how an existing project learns, and its label keys.

Strategy, features, model, batch size, stopping rules and keys can change; the scenario, seed
set and test set stay as created. Saving records the change with the label count at which it
happened (``core.settings_changes``); the learning curve marks it, and the loop follows from the
next item.
"""

from __future__ import annotations

from dataclasses import asdict

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from aldesk.core.errors import AldeskError
from aldesk.core.project import ProjectSettings
from aldesk.core.settings_changes import SettingsChange, change_settings, settings_history
from aldesk.core.store import ProjectStore
from aldesk.gui import style
from aldesk.gui.dialogs.form import (
    error_label,
    keep_keyboard_moving,
    muted_label,
    scrolling_column,
)
from aldesk.gui.dialogs.learning_options import LearningOptions
from aldesk.gui.window_state import default_size

# A change of these needs a new ranking at once; batch and stopping rules act on their own.
RETRAIN_ON = ("strategy", "model", "representation")


class ProjectSettingsDialog(QDialog):
    """Edits the project's settings; Save applies and records them (``change`` then holds it)."""

    def __init__(self, parent: QWidget | None, store: ProjectStore, n_labels: int) -> None:
        super().__init__(parent)
        self.store, self.n_labels = store, n_labels
        self.change: SettingsChange | None = None
        self.setWindowTitle(f"Project settings — {store.name}")
        self.options = LearningOptions(self, existing=True)
        self.options.set_values(asdict(ProjectSettings.from_store(store)))
        self.keys = _keys_table(store)
        self.error = error_label()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        title = QLabel("Project settings")
        title.setFont(style.heading_font(4))
        learning = QGroupBox("Learning")
        QVBoxLayout(learning).addWidget(scrolling_column(self.options))  # 512 px at 150 %
        keys = QGroupBox("Label keys")
        keys_layout = QVBoxLayout(keys)
        keys_layout.addWidget(self.keys, 1)
        keys_layout.addWidget(
            muted_label("Double-click a key (or select it and press F2) to change it.")
        )
        columns = QHBoxLayout()
        columns.addWidget(learning, 3)
        columns.addWidget(keys, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(muted_label(_intro(store, n_labels)))
        layout.addLayout(columns, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(default_size(QSize(900, 620)))  # a small screen: smaller

    def hotkeys(self) -> dict[int, str | None]:
        """Class id -> the key in the table (None when emptied)."""
        out = {}
        for row in range(self.keys.rowCount()):
            cid = self.keys.item(row, 0).data(Qt.ItemDataRole.UserRole)
            out[cid] = self.keys.item(row, 1).text().strip().lower() or None
        return out

    def accept(self) -> None:  # noqa: D102 (QDialog override: save first, stay open on error)
        try:
            self.change = change_settings(
                self.store, self.options.values(), self.n_labels, self.hotkeys()
            )
        except AldeskError as exc:
            self.error.setText(str(exc))
            return
        super().accept()


def _intro(store: ProjectStore, n_labels: int) -> str:
    past = settings_history(store)
    before = f" Changed {len(past)} time{'s' if len(past) != 1 else ''} before." if past else ""
    return (
        f"Changes apply from the next item; the learning curve marks them at {n_labels} labels."
        f"{before} The scenario, seed set and test set stay as the project was created."
    )


def _keys_table(store: ProjectStore) -> QTableWidget:
    classes = store.classes()
    table = QTableWidget(len(classes), 2)
    keep_keyboard_moving(table)
    table.setHorizontalHeaderLabels(["Class", "Key"])
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    for row, c in enumerate(classes):
        name = QTableWidgetItem(c.name)
        name.setData(Qt.ItemDataRole.UserRole, c.id)
        name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
        key = QTableWidgetItem((c.hotkey or "").upper())
        key.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        table.setItem(row, 0, name)
        table.setItem(row, 1, key)
    return table


def apply_to_window(window, change: SettingsChange) -> None:
    """After a saved change: the loop, the keys and the curve's markers follow at once."""
    retrain = any(k in change.changes for k in RETRAIN_ON)
    window.controller.settings_changed(retrain)
    if any(k.startswith("key of ") for k in change.changes):
        window.class_menu.rebuild()
        window.label_bar.set_classes(window.store.classes())
    window.curve.set_markers(settings_markers(window.store))
    window.curve.set_target(window.controller.session.settings.target_accuracy)
    window.statusBar().showMessage(f"Settings changed: {change.summary()}", 10000)


def edit_project_settings(window) -> SettingsChange | None:
    """Project ▸ Settings… for a labeling window."""
    n_labels = window.controller.session.status().n_labeled
    dialog = ProjectSettingsDialog(window, window.store, n_labels)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.change is None:
        return None
    apply_to_window(window, dialog.change)
    return dialog.change


def settings_markers(store: ProjectStore) -> list[tuple[int, str]]:
    """(labels, what changed) for the learning curve's vertical markers."""
    return [(c.n_labels, c.summary()) for c in settings_history(store)]
