"""New-project dialog: pool folder, project location, classes with hotkeys, how to label.

The dialog produces a plain ``NewProjectSpec``; creating the project from it is the caller's job.
Validation is a pure function (``validate_spec``) shown inline next to the field it concerns.
Examining the folder (counting files, then opening each one's header to find the unreadable
ones) runs on a background lane so a huge folder never freezes the dialog. Learning settings
speak the user's language first (``LearningOptions``: a preset, stopping rules, then Advanced).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from aldesk.core.project import ProjectSettings
from aldesk.gui import style
from aldesk.gui.dialogs.class_editor import ClassEditor
from aldesk.gui.dialogs.folder_notes import FolderNotes
from aldesk.gui.dialogs.folder_report import FolderReport, examine_folder
from aldesk.gui.dialogs.form import error_label, muted_label, scrolling_column
from aldesk.gui.dialogs.learning_options import LearningOptions
from aldesk.gui.dialogs.project_spec import (
    PROJECT_SUFFIX,
    MediaCounts,
    NewProjectSpec,
    validate_spec,
)
from aldesk.gui.window_state import default_size
from aldesk.gui.workers import Lane

__all__ = ["NewProjectDialog", "NewProjectSpec", "ClassEditor", "validate_spec"]


def _label_for(text: str, field: QWidget) -> QLabel:
    """A field's label, its buddy: a screen reader names the field by it (all three fields had
    been read as "Data and project", their group's title)."""
    label = QLabel(text)
    label.setBuddy(field)
    field.setAccessibleName(text)
    return label


class NewProjectDialog(QDialog):
    """Collects a ``NewProjectSpec``.

    Signals:
        counted(object): the pool folder's MediaCounts are known (or None after an error).
        examined(object): every file's header was opened: the FolderReport is known.
    """

    counted = Signal(object)
    examined = Signal(object)

    def __init__(self, parent: QWidget | None = None, *, folder: str | os.PathLike | None = None):
        super().__init__(parent)
        self.setWindowTitle("New project")
        self.setMinimumWidth(720)
        self.resize(default_size(QSize(940, 700)))  # a small screen: smaller
        self._counts: MediaCounts | None = None
        self._report: FolderReport | None = None
        self._name_edited = False  # until the user types a name, it follows the folder
        self._folder_error: str | None = None
        self._location_edited = False
        self._folder_text: str | None = None  # the folder text last counted
        self._touched: set[str] = set()  # fields whose problems are shown
        self._problems: dict[str, str] = {}
        self._lane = Lane(self, name="aldesk-count-media")
        self._lane.progressed.connect(self._on_counted)
        self._lane.done.connect(self._on_lane_done)
        self._lane.failed.connect(self._on_lane_failed)
        self._build()
        self._wire()
        self._revalidate()
        if folder is not None:
            self.set_folder(folder)
        else:
            self._folder.setFocus()  # typing a path is the first thing a keyboard user does

    # -- construction ------------------------------------------------------------------------
    def _build(self) -> None:
        left = QWidget()  # both columns scroll: at 150 % a 768-px laptop has 512 px of height
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self._build_data_group())
        column.addWidget(self._build_classes_group(), 1)
        self.options = LearningOptions(self)
        columns = QHBoxLayout()
        self._left = scrolling_column(left)
        columns.addWidget(self._left, 3)
        columns.addSpacing(8)
        columns.addWidget(scrolling_column(self.options), 2)
        self._buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self._create = self._buttons.addButton(
            "Create project", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self._create.setProperty("primary", True)
        layout = QVBoxLayout(self)
        title = QLabel("New project")
        title.setFont(style.heading_font(6))
        subtitle = QLabel("Point aldesk at a folder of images or audio clips and name the classes.")
        subtitle.setProperty("role", "muted")
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addSpacing(4)
        layout.addLayout(columns, 1)
        layout.addWidget(self._buttons)
        # only once in the dialog: made default before, Qt never knew it as the dialog's own,
        # and a Cancel passed over by Tab stayed the default (Enter threw the form away)
        self._create.setDefault(True)

    def _build_data_group(self) -> QGroupBox:
        box = QGroupBox("Data and project")
        self._folder = QLineEdit(placeholderText="Folder with images or audio clips")
        self._browse_folder = QPushButton("Browse…")
        self._notes = FolderNotes()
        self._folder_msg = error_label()
        self._name = QLineEdit(placeholderText="Project name")
        self._location = QLineEdit(placeholderText="Folder where the project is stored")
        self._browse_location = QPushButton("Browse…")
        self._path_label = muted_label()
        self._project_msg = error_label()
        for button in (self._browse_folder, self._browse_location):
            button.setAutoDefault(False)
        grid = QGridLayout(box)
        grid.setVerticalSpacing(6)
        grid.addWidget(_label_for("Pool folder", self._folder), 0, 0)
        grid.addWidget(self._folder, 0, 1)
        grid.addWidget(self._browse_folder, 0, 2)
        grid.addWidget(self._notes, 1, 1, 1, 2)
        grid.addWidget(self._folder_msg, 2, 1, 1, 2)
        grid.addWidget(_label_for("Project name", self._name), 3, 0)
        grid.addWidget(self._name, 3, 1, 1, 2)
        grid.addWidget(_label_for("Save in", self._location), 4, 0)
        grid.addWidget(self._location, 4, 1)
        grid.addWidget(self._browse_location, 4, 2)
        grid.addWidget(self._path_label, 5, 1, 1, 2)
        grid.addWidget(self._project_msg, 6, 1, 1, 2)
        return box

    def _build_classes_group(self) -> QGroupBox:
        box = QGroupBox("Classes")
        self._classes = ClassEditor()
        hint = muted_label(
            "Two classes or more. A class named like a key (“3”, “a”) or a digit (“seven”) gets "
            "that key; the others get 1–9 and 0, then letters but L, R, S, X and Z (commands); a "
            "class past those 31 keys has none: “/” finds it by name. Double-click a key (or F2) "
            "to change it."
        )
        self._classes_msg = error_label()
        layout = QVBoxLayout(box)
        layout.addWidget(self._classes, 1)
        layout.addWidget(hint)
        layout.addWidget(self._classes_msg)
        return box

    def _wire(self) -> None:
        self._browse_folder.clicked.connect(self._on_browse_folder_clicked)
        self._browse_location.clicked.connect(self._on_browse_location_clicked)
        self._folder.editingFinished.connect(self._on_folder_edited)
        self._name.textEdited.connect(self._on_name_edited)
        self._location.textEdited.connect(self._on_location_edited)
        self._classes.classes_changed.connect(self._on_classes_changed)
        self._notes.kind_changed.connect(self._show_folder_notes)
        self.options.changed.connect(self._show_folder_notes)
        self._buttons.accepted.connect(self._on_create_clicked)
        self._buttons.rejected.connect(self.reject)

    # -- public API ---------------------------------------------------------------------------
    def set_folder(self, folder: str | os.PathLike) -> None:
        """Choose the pool folder (as Browse… does) and start counting its files."""
        self._folder.setText(str(folder))
        self._folder_text = None  # count again even if the text did not change
        self._on_folder_edited()

    def set_project_name(self, name: str) -> None:
        """As if the user typed ``name``: it no longer follows the folder."""
        self._name.setText(name)
        self._on_name_edited(name)

    def set_kind(self, kind: str) -> None:
        """For a mixed folder: label the images ('image') or the audio clips ('audio')."""
        self._notes.set_kind(kind)

    def set_location(self, location: str | os.PathLike) -> None:
        self._location.setText(str(location))
        self._on_location_edited(str(location))

    def class_editor(self) -> ClassEditor:
        return self._classes

    def add_classes(self, names: list[str]) -> None:
        self._classes.add_classes(names)

    def messages(self) -> dict[str, str]:
        """The inline messages currently shown, by field."""
        labels = {
            "folder": self._folder_msg,
            "project": self._project_msg,
            "classes": self._classes_msg,
        }
        return {k: w.text() for k, w in labels.items() if w.text()}

    def notes(self) -> dict[str, str]:
        """What the dialog says about the folder: counts, kind, unreadable files, test set."""
        return self._notes.texts()

    def report(self) -> FolderReport | None:
        return self._report

    def counts(self) -> MediaCounts | None:
        return self._counts

    def can_create(self) -> bool:
        return not self._problems

    def problems(self) -> dict[str, str]:
        """Every current problem, shown or not."""
        return dict(self._problems)

    def create_button(self) -> QPushButton:
        return self._create

    def spec(self) -> NewProjectSpec:
        return NewProjectSpec(
            folder=Path(self._folder.text().strip()).expanduser(),
            project_path=self._project_path(),
            classes=self._classes.classes(),
            hotkeys=self._classes.hotkeys(),
            settings=ProjectSettings(**self.options.values()),
            kind=self._notes.kind(self._counts),
        )

    def done(self, result: int) -> None:  # noqa: D102 (QDialog override: stop the lane first)
        self._lane.shutdown()
        super().done(result)

    # -- helpers ----------------------------------------------------------------------------
    def _project_path(self) -> Path:
        name = self._name.text().strip()
        location = Path(self._location.text().strip() or ".").expanduser()
        if not name:
            return location / PROJECT_SUFFIX
        return location / (name if name.endswith(PROJECT_SUFFIX) else name + PROJECT_SUFFIX)

    def _ask_folder(self, title: str, start: str) -> str:
        """Folder chooser; tests replace this method."""
        return QFileDialog.getExistingDirectory(self, title, start)

    @Slot()
    def _revalidate(self) -> None:
        """Recompute problems; show those of fields the user has touched (all after Create)."""
        spec = self.spec()
        self._problems = validate_spec(spec, self._counts, self._folder_error)
        shown = {k: v for k, v in self._problems.items() if k in self._touched}
        self._folder_msg.setText(shown.get("folder", ""))
        self._project_msg.setText(shown.get("project", ""))
        self._classes_msg.setText(shown.get("classes", ""))
        ok_path = "project" not in self._problems
        self._path_label.setText(f"Creates {spec.project_path}" if ok_path else "")
        counting = self._problems.get("folder") == "Counting files…"
        self._create.setEnabled(not counting)

    def _touch(self, *fields: str) -> None:
        self._touched.update(fields)

    # -- slots --------------------------------------------------------------------------------
    @Slot()
    def _on_folder_edited(self) -> None:
        text = self._folder.text().strip()
        if text == self._folder_text:  # focus left the field without a change
            return
        self._folder_text = text
        self._touch("folder", "project")
        self._counts, self._report, self._folder_error = None, None, None
        self._notes.clear()
        if text:
            folder = Path(text).expanduser()
            self._suggest_project(folder)
            self._notes.show_counting()
            self._lane.submit(lambda ctx: examine_folder(folder, ctx.report, ctx.should_stop))
        else:
            self._lane.cancel()
        self._revalidate()

    def _suggest_project(self, folder: Path) -> None:
        if not self._name_edited:
            self._name.setText(folder.name or "project")
        if not self._location_edited:
            self._location.setText(str(folder.parent))

    @Slot(object)
    def _on_counted(self, counts: MediaCounts) -> None:
        self._counts = counts
        if counts.images and counts.audio:  # a mixed folder: the majority unless the user says
            self.set_kind("audio" if counts.audio > counts.images else "image")
        self._show_folder_notes()
        self._revalidate()
        self.counted.emit(counts)

    @Slot(object)
    def _on_lane_done(self, report: FolderReport) -> None:
        self._report = report
        self._show_folder_notes()
        self.examined.emit(report)

    @Slot(str)
    def _on_lane_failed(self, message: str) -> None:
        self._folder_error = message
        self._notes.clear()
        self._revalidate()
        self.counted.emit(None)

    @Slot()
    def _show_folder_notes(self) -> None:
        """Kind choice, unreadable files, and a test set cut down to fit the pool."""
        test_size = self.options.values()["test_size"]
        self._notes.show_report(self._counts, self._report, test_size)

    @Slot()
    def _on_browse_folder_clicked(self) -> None:
        chosen = self._ask_folder("Folder to label", self._folder.text() or str(Path.home()))
        if chosen:
            self.set_folder(chosen)

    @Slot()
    def _on_browse_location_clicked(self) -> None:
        chosen = self._ask_folder("Save the project in", self._location.text() or str(Path.home()))
        if chosen:
            self.set_location(chosen)

    @Slot(str)
    def _on_location_edited(self, _text: str) -> None:
        self._location_edited = True
        self._touch("project")
        self._revalidate()

    @Slot(str)
    def _on_name_edited(self, _text: str) -> None:
        self._name_edited = bool(self._name.text().strip())  # emptied: follow the folder again
        self._touch("project")
        self._revalidate()

    @Slot()
    def _on_classes_changed(self) -> None:
        self._touch("classes")
        self.options.set_class_count(len(self._classes.classes()))
        self._revalidate()

    @Slot()
    def _on_create_clicked(self) -> None:
        self._touch("folder", "project", "classes")
        self._revalidate()
        if not self._problems:
            self.accept()
            return
        # show the first problem and put the keyboard on its field: below the scrolled part
        # of the column, Create had seemed to do nothing
        fields = {"folder": (self._folder_msg, self._folder),
                  "project": (self._project_msg, self._name),
                  "classes": (self._classes_msg, self._classes.entry())}  # fmt: skip
        shown = next((fields[k] for k in fields if fields[k][0].text()), None)
        if shown is not None:
            self._left.ensureWidgetVisible(shown[0])
            shown[1].setFocus(Qt.FocusReason.OtherFocusReason)
