"""File ▸ Import labels…: choose a CSV / JSON / JSON Lines labels file, preview the merge, then apply it.
File ▸ Labels from folder names… previews and applies the same way (``core.folder_labels``).

The preview (``core.interop.plan_import``) reads the file and the store and writes nothing; the
dialog shows how many rows are new, the same as now, or conflicting (the file's label would
replace the one given in the app), and what does not match the project. Applying goes through
the controller's ``append_edits`` (one transaction, undoable, the model and the view follow),
with the import strategy so imported answers stay told apart from the app's.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from aldesk.core.errors import AldeskError
from aldesk.core.interop import IMPORT_STRATEGY, ImportPlan, plan_import
from aldesk.core.pool import shown_path
from aldesk.core.wording import count


class ImportPreviewDialog(QDialog):
    """The merge a labels file would make; Import applies it, Cancel leaves the project as is."""

    def __init__(
        self,
        parent: QWidget | None,
        source: str,
        plan: ImportPlan,
        left_out: str = "",
        label_of: str = "the file",
    ) -> None:
        super().__init__(parent)
        self.plan = plan
        self.setWindowTitle("Import labels")
        heading = QLabel(f"<b>{html.escape(source)}</b> would change the project like this:")
        heading.setWordWrap(True)
        form = QFormLayout()
        self.counts: dict[str, QLabel] = {}
        rows = [
            ("new", "New labels:", plan.new),
            ("same", "Same as now:", plan.same),
            ("conflicting", f"Conflicting ({label_of}'s label replaces yours):", plan.conflicting),
            ("unknown", "Paths not in the project:", _with_example(plan.unknown_paths)),
            ("unreadable", "Unreadable items (left out):", _with_example(plan.unreadable)),
        ]
        if left_out:
            rows.append(("folders", "Left unlabelled (folders that are not classes):", left_out))
        for key, text, value in rows:
            # Rich text with the names escaped: a path or folder name may hold "<" or "&".
            self.counts[key] = QLabel(html.escape(str(value)))
            self.counts[key].setTextFormat(Qt.TextFormat.RichText)
            self.counts[key].setWordWrap(True)
            form.addRow(text, self.counts[key])
        self.add_classes = QCheckBox(
            f"Add the classes the project lacks: {', '.join(plan.unknown_classes)}"
        )
        self.add_classes.setVisible(bool(plan.unknown_classes))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.import_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.import_button.setText(f"Import {count(len(plan.labels), 'label')}")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.add_classes.toggled.connect(self._update_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.add_classes)
        layout.addWidget(self.buttons)
        self._update_button()
        self.resize(480, self.sizeHint().height())

    def _update_button(self) -> None:
        classes_ok = not self.plan.unknown_classes or self.add_classes.isChecked()
        self.import_button.setEnabled(bool(self.plan.labels) and classes_ok)


def _with_example(paths: list[str]) -> str:
    return f"{len(paths)}  (e.g. {shown_path(paths[0])})" if paths else "0"


def ask_and_import(window) -> bool:
    """File ▸ Import labels… for a labeling window; True if labels were recorded."""
    path, _ = QFileDialog.getOpenFileName(
        window, "Import labels", str(window.store.path.parent), "Labels (*.csv *.json *.jsonl)"
    )
    return bool(path) and preview_and_import(window, Path(path))


def preview_and_import(window, path: Path) -> bool:
    try:
        plan = plan_import(window.store, path)
    except AldeskError as exc:
        QMessageBox.warning(window, "Import labels", str(exc))
        return False
    dialog = ImportPreviewDialog(window, path.name, plan)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    return apply_plan(window, plan)


def import_folder_names(window) -> bool:
    """File ▸ Labels from folder names…: each file in a folder named like a class gets that
    class (a pool partly sorted by hand), previewed like a labels file; True if recorded."""
    from aldesk.core.folder_labels import plan_folder_import

    folders = plan_folder_import(window.store)
    if not folders.plan.labels and not folders.plan.same:
        QMessageBox.information(
            window, "Labels from folder names",
            "No file of the pool is in a folder named like a class "
            f"({', '.join(c.name for c in window.store.classes())}).",
        )  # fmt: skip
        return False
    left_out = ""
    if folders.other_folders:
        left_out = f"{folders.folders_text()}. Add a class named like a folder to label its files."
    dialog = ImportPreviewDialog(
        window, "The folder names", folders.plan, left_out, label_of="the folder"
    )
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    return apply_plan(window, folders.plan)


def apply_plan(window, plan: ImportPlan) -> bool:
    """Add the missing classes (through the Classes menu, so every view follows), then record
    the labels in one transaction through the controller."""
    for name in plan.unknown_classes:
        window.class_menu.add_class(name)
    ids = {c.name.casefold(): c.id for c in window.store.classes()}
    if any(name.casefold() not in ids for name in plan.unknown_classes):
        return False  # adding a class failed; the menu has said why
    rows = [(item, "label", ids[name.casefold()], split, None, IMPORT_STRATEGY)
            for item, name, split in plan.labels]  # fmt: skip
    if window.controller.append_edits(rows) is None:
        return False  # not saved; the controller's error has been shown
    window.statusBar().showMessage(
        f"Imported {count(len(rows), 'label')} ({plan.same} unchanged).", 10000
    )
    return True
