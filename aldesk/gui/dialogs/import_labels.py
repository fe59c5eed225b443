"""File ▸ Import labels…: choose a CSV / JSON / JSON Lines labels file, preview the merge, then apply it.
File ▸ Labels from folder names… previews and applies the same way (``core.folder_labels``).

The preview (``core.interop.plan_import``) reads the file and the store and writes nothing (on a
worker, through a store of its own, behind a modal progress dialog); the dialog shows how many rows are new, the same as now, or conflicting (the file's label would
replace the one given in the app), and what does not match the project. Applying goes through
the controller's ``append_edits`` (one transaction and one step Ctrl+Z undoes; the model and the view
follow),
with the import strategy so imported answers stay told apart from the app's.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QProgressDialog,
    QVBoxLayout,
    QWidget,
)

from aldesk.core.interop import (
    ANSWER_WORDS,
    IMPORT_STRATEGY,
    ImportPlan,
    lookalike_text,
    plan_import,
)
from aldesk.core.pool import shown_path
from aldesk.core.store import ProjectStore
from aldesk.core.wording import count
from aldesk.gui.workers import Lane

T = TypeVar("T")


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
            (
                "conflicting",
                f"Conflicting ({label_of}'s label differs from yours):",
                _with_example(list(plan.replacing.values())),
            ),
            ("unknown", "Paths not in the project:", _with_example(plan.unknown_paths)),
            ("unreadable", "Unreadable items (left out):", _with_example(plan.unreadable)),
        ]
        if plan.contradictory:
            rows.append(("contradictory", "Labeled two ways in the file (left out):",
                         _with_example(plan.contradictory)))  # fmt: skip
        if plan.unlabeled_rows:
            rows.append(("unlabeled", "Rows with no label (not imported):", plan.unlabeled_rows))
        if plan.by_tail:  # written on another machine or mount
            rows.append(("by_tail", "Paths matched by their end:", _with_example(plan.by_tail)))
        if plan.moved:  # renamed or moved in the copy of the folder the file was written on
            rows.append(("moved", "Found by their content under another name:",
                         _with_example(plan.moved)))  # fmt: skip
        if plan.changed:  # a name reused for another file: its label would be wrong
            rows.append(("changed", "Paths that hold other content now (left out):",
                         _with_example(plan.changed)))  # fmt: skip
        if plan.answers:  # imported too, and said after the import: say it here first
            rows.append(("answers", "Can't-label or skip answers (items with no answer):",
                         len(plan.answers)))  # fmt: skip
        if plan.split_differs:
            rows.append(("split", "Held out otherwise in their project (this project's split "
                         "is kept):", plan.split_differs))  # fmt: skip
        if left_out:
            rows.append(("folders", "Left unlabeled (folders that are not classes):", left_out))
        for key, text, value in rows:
            # Rich text with the names escaped: a path or folder name may hold "<" or "&".
            self.counts[key] = QLabel(html.escape(str(value)))
            self.counts[key].setTextFormat(Qt.TextFormat.RichText)
            self.counts[key].setWordWrap(True)
            form.addRow(text, self.counts[key])
        lacking = ", ".join(plan.unknown_classes)
        self.add_classes = QCheckBox(f"Add the classes the project lacks: {lacking}")
        self.add_classes.setVisible(bool(plan.unknown_classes))
        # or leave their rows out: a typo in a hand-edited file had to be fixed in the file
        dropped = len(plan.labels) - len(plan.leaving_out_unknown().labels)
        self.leave_out = QCheckBox(f"Or leave out their {count(dropped, 'label')}")
        self.leave_out.setVisible(bool(plan.unknown_classes))
        self.renamed = QLabel(_renamed_hint(plan))
        self.renamed.setWordWrap(True)
        self.renamed.setVisible(bool(plan.lookalikes))
        self.keep_yours = QCheckBox(f"Keep your label where {label_of}'s differs")
        self.keep_yours.setToolTip(f"Unticked, {label_of}'s label replaces yours on the "
                                   f"{count(plan.conflicting, 'conflicting item')}.")  # fmt: skip
        self.keep_yours.setVisible(bool(plan.conflicting))
        # every conflict, not one example: the user decides which labels the file replaces
        self.conflicts = QListWidget()
        self.conflicts.setObjectName("import_conflicts")
        self.conflicts.addItems([shown_path(text) for text in plan.replacing.values()])
        self.conflicts.setMaximumHeight(120)
        self.conflicts_heading = QLabel(f"Every label {label_of} would replace (yours → "
                                        f"{label_of}'s):")  # fmt: skip
        for widget in (self.conflicts_heading, self.conflicts):
            widget.setVisible(len(plan.replacing) > 1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.import_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.add_classes.toggled.connect(lambda on: on and self.leave_out.setChecked(False))
        self.leave_out.toggled.connect(lambda on: on and self.add_classes.setChecked(False))
        for box in (self.add_classes, self.leave_out, self.keep_yours):
            box.toggled.connect(self._update_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.renamed)
        layout.addWidget(self.add_classes)
        layout.addWidget(self.leave_out)
        layout.addWidget(self.conflicts_heading)
        layout.addWidget(self.conflicts)
        layout.addWidget(self.keep_yours)
        layout.addWidget(self.buttons)
        self._update_button()
        self.resize(480, self.sizeHint().height())

    def chosen_plan(self) -> ImportPlan:
        """The plan as the options say: without the rows of classes the project lacks when
        they are left out, and without the conflicting rows when yours are kept."""
        plan = self.plan.leaving_out_unknown() if self.leave_out.isChecked() else self.plan
        return plan.keeping_yours() if self.keep_yours.isChecked() else plan

    def _update_button(self) -> None:
        labels = self.chosen_plan().labels
        classes_ok = not self.chosen_plan().unknown_classes or self.add_classes.isChecked()
        self.import_button.setText(f"Import {count(len(labels), 'label')}")
        self.import_button.setEnabled(bool(labels) and classes_ok)


def _renamed_hint(plan: ImportPlan) -> str:
    """Classes of the file that are probably the project's under another name."""
    return " ".join(
        f"“{name}” is probably your “{here}” under another name ({lookalike_text(here, n, of)})."
        f" To import its labels into “{here}”, rename “{here}” to “{name}” first (Classes → "
        "Rename class…), then import again."
        for name, (here, n, of) in plan.lookalikes.items()
    )


def _with_example(paths: list[str]) -> str:
    return f"{len(paths)}  (e.g. {shown_path(paths[0])})" if paths else "0"


def ask_and_import(window) -> None:
    """File ▸ Import labels… for a labeling window: pick a file, preview the merge, apply it."""
    path, _ = QFileDialog.getOpenFileName(
        window, "Import labels", str(window.store.path.parent), "Labels (*.csv *.json *.jsonl)"
    )
    if path:
        preview_and_import(window, Path(path))


def preview_and_import(window, path: Path) -> None:
    """Read ``path`` against the project on a worker, then preview and (if accepted) apply."""

    def show(plan: ImportPlan) -> None:
        dialog = ImportPreviewDialog(window, path.name, plan)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            apply_plan(window, dialog.chosen_plan())

    _plan_in_background(
        window, "Import labels", f"Reading {path.name}…", lambda store: plan_import(store, path),
        show,
    )  # fmt: skip


def import_folder_names(window) -> None:
    """File ▸ Labels from folder names…: each file in a folder named like a class gets that
    class (a pool partly sorted by hand), previewed like a labels file."""
    from aldesk.core.folder_labels import plan_folder_import

    title = "Labels from folder names"

    def show(folders) -> None:
        if not folders.plan.labels and not folders.plan.same:
            QMessageBox.information(
                window, title,
                "No file of the pool is in a folder named like a class "
                f"({', '.join(c.name for c in window.store.classes())}).",
            )  # fmt: skip
            return
        left_out = ""
        if folders.other_folders:
            left_out = (
                f"{folders.folders_text()}. Add a class named like a folder to label its files."
            )
        dialog = ImportPreviewDialog(
            window, "The folder names", folders.plan, left_out, label_of="the folder"
        )
        if dialog.exec() == QDialog.DialogCode.Accepted:
            apply_plan(window, dialog.chosen_plan())

    _plan_in_background(window, title, "Reading the pool's folders…", plan_folder_import, show)


def _plan_in_background(
    window, title: str, text: str, plan: Callable[[ProjectStore], T], show: Callable[[T], None]
) -> None:
    """``plan(store)`` on a worker with a store of its own (at 100k items reading the items and
    their paths takes over a second), then ``show(result)`` on the GUI thread.

    A modal progress dialog stands over the window meanwhile: no answer can land between the
    labels the plan read and the preview that counts them. Cancel drops the plan.
    """
    if window.store.readonly:
        QMessageBox.information(
            window, title, f"The project is open read-only ({window.store.readonly}): "
            "labels cannot be added to it.",
        )  # fmt: skip
        return
    lane = _lane_of(window)
    progress = QProgressDialog(text, "Cancel", 0, 0, window)
    progress.setWindowTitle(title)
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(0)

    over = []  # set once the plan is shown, failed or cancelled: the rest is ignored

    def finish() -> bool:
        if over:
            return False
        over.append(True)
        lane.done.disconnect(done)  # the lane is the window's and serves the next import too
        lane.failed.disconnect(failed)
        progress.close()  # its close event says "canceled": ignored now
        progress.deleteLater()
        return True

    def done(result: object) -> None:
        if finish():
            show(result)

    def failed(message: str) -> None:
        if finish():
            QMessageBox.warning(window, title, message)

    def cancelled() -> None:
        if finish():
            lane.cancel()

    lane.done.connect(done)
    lane.failed.connect(failed)
    progress.canceled.connect(cancelled)  # the Cancel button, Escape, or the dialog closed
    project = window.store.path
    lane.submit(lambda ctx: _with_reader(project, plan))
    progress.show()


def _lane_of(window) -> Lane:
    """The window's import lane, made on first use; kept, so a cancelled plan still running
    is superseded by the next one instead of being waited for."""
    lane = getattr(window, "_import_lane", None)
    if lane is None:
        lane = window._import_lane = Lane(window, name="aldesk-import")
    return lane


def _with_reader(project: Path, plan: Callable[[ProjectStore], T]) -> T:
    store = ProjectStore.reader(project)
    try:
        return plan(store)
    finally:
        store.close()


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
    name = f"the import of {count(len(rows), 'label')}"
    rows += [(item, action, None, split, None, IMPORT_STRATEGY)
             for item, action, split in plan.answers]  # fmt: skip
    if plan.answers:
        name += f" and {count(len(plan.answers), ANSWER_WORDS)}"
    if window.controller.append_edits(rows, name) is None:
        return False  # not saved; the controller's error has been shown
    notes = "".join(f" {note[0].upper()}{note[1:]}." for note in plan.notes())
    window.statusBar().showMessage(f"{plan.result()}{notes} Ctrl+Z undoes the import.", 15000)
    return True
