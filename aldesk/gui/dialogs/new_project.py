"""New-project dialog: pool folder, project location, classes with hotkeys, learning settings.

The dialog produces a plain ``NewProjectSpec``; creating the project from it is the caller's job.
Validation is a pure function (``validate_spec``) shown inline next to the field it concerns; the
Create button stays disabled while anything is wrong. Counting the folder's files runs on a
background lane so a huge folder never freezes the dialog.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from aldesk.core.project import SCENARIO_TEXT, ProjectSettings
from aldesk.core.representation import DEFAULT_REPRESENTATION, REPRESENTATIONS
from aldesk.core.strategies import DEFAULT_STRATEGY, POOL_STRATEGIES, SEED_STRATEGIES
from aldesk.core.strategies.seed import DEFAULT_SEED_STRATEGY
from aldesk.gui import style
from aldesk.gui.dialogs.class_editor import ClassEditor
from aldesk.gui.dialogs.form import combo, error_label, muted_label, spin
from aldesk.gui.dialogs.project_spec import (
    PROJECT_SUFFIX,
    MediaCounts,
    NewProjectSpec,
    count_media,
    validate_spec,
)
from aldesk.gui.workers import Lane

__all__ = ["NewProjectDialog", "NewProjectSpec", "ClassEditor", "validate_spec"]


class NewProjectDialog(QDialog):
    """Collects a ``NewProjectSpec``.

    Signals:
        counted(object): the pool folder's MediaCounts are known (or None after an error).
    """

    counted = Signal(object)

    def __init__(self, parent: QWidget | None = None, *, folder: str | os.PathLike | None = None):
        super().__init__(parent)
        self.setWindowTitle("New project")
        self.setMinimumWidth(860)
        self.resize(920, 680)
        self._counts: MediaCounts | None = None
        self._folder_error: str | None = None
        self._location_edited = False
        self._folder_text: str | None = None  # the folder text last counted
        self._touched: set[str] = set()  # fields whose problems are shown
        self._problems: dict[str, str] = {}
        self._lane = Lane(self, name="aldesk-count-media")
        self._lane.done.connect(self._on_lane_done)
        self._lane.failed.connect(self._on_lane_failed)
        self._build()
        self._wire()
        self._revalidate()
        if folder is not None:
            self.set_folder(folder)

    # -- construction ------------------------------------------------------------------------
    def _build(self) -> None:
        left = QVBoxLayout()
        left.addWidget(self._build_data_group())
        left.addWidget(self._build_classes_group(), 1)
        right = QVBoxLayout()
        right.addWidget(self._build_learning_group())
        right.addWidget(self._build_stopping_group())
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 3)
        columns.addSpacing(8)
        columns.addLayout(right, 2)
        self._buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self._create = self._buttons.addButton(
            "Create project", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self._create.setProperty("primary", True)
        self._create.setDefault(True)
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

    def _build_data_group(self) -> QGroupBox:
        box = QGroupBox("Data and project")
        self._folder = QLineEdit(placeholderText="Folder with images or audio clips")
        self._browse_folder = QPushButton("Browse…")
        self._counts_label = muted_label()
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
        grid.addWidget(QLabel("Pool folder"), 0, 0)
        grid.addWidget(self._folder, 0, 1)
        grid.addWidget(self._browse_folder, 0, 2)
        grid.addWidget(self._counts_label, 1, 1, 1, 2)
        grid.addWidget(self._folder_msg, 2, 1, 1, 2)
        grid.addWidget(QLabel("Project name"), 3, 0)
        grid.addWidget(self._name, 3, 1, 1, 2)
        grid.addWidget(QLabel("Save in"), 4, 0)
        grid.addWidget(self._location, 4, 1)
        grid.addWidget(self._browse_location, 4, 2)
        grid.addWidget(self._path_label, 5, 1, 1, 2)
        grid.addWidget(self._project_msg, 6, 1, 1, 2)
        return box

    def _build_classes_group(self) -> QGroupBox:
        box = QGroupBox("Classes")
        self._classes = ClassEditor()
        hint = muted_label("Keys 1–9 and 0 first, then letters; double-click a key to change it.")
        self._classes_msg = error_label()
        layout = QVBoxLayout(box)
        layout.addWidget(self._classes, 1)
        layout.addWidget(hint)
        layout.addWidget(self._classes_msg)
        return box

    def _build_learning_group(self) -> QGroupBox:
        box = QGroupBox("Learning")
        self._strategy = combo(POOL_STRATEGIES, DEFAULT_STRATEGY)
        self._strategy_help = muted_label()
        self._features = combo(REPRESENTATIONS, DEFAULT_REPRESENTATION)
        self._features.setToolTip(
            "What the model sees. Auto compares features learned from this folder with a "
            "pretrained encoder (and both together) on your labels, and uses the best."
        )
        self._scenario = combo(SCENARIO_TEXT, "pool")
        self._scenario_help = muted_label()
        self._batch = spin(1, 500, 5, " per round")
        self._batch.setToolTip("How many answers before the model retrains (k)")
        self._seed_size = spin(0, 10_000, ProjectSettings.for_classes(0).seed_size, " items")
        self._seed_size.setToolTip("Representative items labelled before the strategy starts")
        self._seed_size_edited = False  # until the user sets it, it follows the class count
        self._seed_size.valueChanged.connect(self._on_seed_size_edited)
        self._seed_method = combo(SEED_STRATEGIES, DEFAULT_SEED_STRATEGY)
        self._test_size = spin(0, 100_000, 50, " items")
        self._test_size.setToolTip("Held out at random and labelled to measure accuracy honestly")
        seed_row = QHBoxLayout()
        seed_row.addWidget(self._seed_size)
        seed_row.addWidget(self._seed_method, 1)
        form = QFormLayout(box)
        form.addRow("Strategy", self._strategy)
        form.addRow("", self._strategy_help)
        form.addRow("Features", self._features)
        form.addRow("Scenario", self._scenario)
        form.addRow("", self._scenario_help)
        form.addRow("Batch size", self._batch)
        form.addRow("Seed set", seed_row)
        form.addRow("Test set", self._test_size)
        return box

    def _build_stopping_group(self) -> QGroupBox:
        box = QGroupBox("Stop when")
        self._use_budget = QCheckBox("Label budget")
        self._budget = spin(1, 1_000_000, 500, " labels")
        self._use_target = QCheckBox("Test accuracy reaches")
        self._target = QDoubleSpinBox(
            decimals=1, minimum=1.0, maximum=100.0, value=95.0, suffix=" %"
        )
        self._stable = QCheckBox("Predictions stop changing (stable predictions)")
        self._stable.setChecked(True)
        self._budget.setEnabled(False)
        self._target.setEnabled(False)
        grid = QGridLayout(box)
        grid.addWidget(self._use_budget, 0, 0)
        grid.addWidget(self._budget, 0, 1)
        grid.addWidget(self._use_target, 1, 0)
        grid.addWidget(self._target, 1, 1)
        grid.addWidget(self._stable, 2, 0, 1, 2)
        return box

    def _wire(self) -> None:
        self._browse_folder.clicked.connect(self._on_browse_folder_clicked)
        self._browse_location.clicked.connect(self._on_browse_location_clicked)
        self._folder.editingFinished.connect(self._on_folder_edited)
        self._name.textEdited.connect(self._on_name_edited)
        self._location.textEdited.connect(self._on_location_edited)
        self._classes.classes_changed.connect(self._on_classes_changed)
        self._strategy.currentIndexChanged.connect(self._on_strategy_changed)
        self._scenario.currentIndexChanged.connect(self._on_scenario_changed)
        self._use_budget.toggled.connect(self._budget.setEnabled)
        self._use_target.toggled.connect(self._target.setEnabled)
        self._buttons.accepted.connect(self._on_create_clicked)
        self._buttons.rejected.connect(self.reject)
        self._on_strategy_changed()
        self._on_scenario_changed()

    # -- public API ---------------------------------------------------------------------------
    def set_folder(self, folder: str | os.PathLike) -> None:
        """Choose the pool folder (as Browse… does) and start counting its files."""
        self._folder.setText(str(folder))
        self._folder_text = None  # count again even if the text did not change
        self._on_folder_edited()

    def set_project_name(self, name: str) -> None:
        self._name.setText(name)
        self._on_name_edited(name)

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
            settings=ProjectSettings(
                strategy=self._strategy.currentData(),
                representation=self._features.currentData(),
                scenario=self._scenario.currentData(),
                batch=self._batch.value(),
                seed_size=self._seed_size.value(),
                seed_method=self._seed_method.currentData(),
                test_size=self._test_size.value(),
                budget=self._budget.value() if self._use_budget.isChecked() else None,
                target_accuracy=(
                    self._target.value() / 100 if self._use_target.isChecked() else None
                ),
                stable_predictions=self._stable.isChecked(),
            ),
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
        self._counts, self._folder_error = None, None
        self._counts_label.setText("")
        if text:
            folder = Path(text).expanduser()
            self._suggest_project(folder)
            self._counts_label.setText("Counting files…")
            self._lane.submit(lambda ctx: count_media(folder))
        else:
            self._lane.cancel()
        self._revalidate()

    def _suggest_project(self, folder: Path) -> None:
        if not self._name.text().strip():
            self._name.setText(folder.name or "project")
        if not self._location_edited:
            self._location.setText(str(folder.parent))

    @Slot(object)
    def _on_lane_done(self, counts: MediaCounts) -> None:
        self._counts = counts
        self._counts_label.setText(_counts_text(counts))
        self._revalidate()
        self.counted.emit(counts)

    @Slot(str)
    def _on_lane_failed(self, message: str) -> None:
        self._folder_error = message
        self._counts_label.setText("")
        self._revalidate()
        self.counted.emit(None)

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
        self._touch("project")
        self._revalidate()

    @Slot()
    def _on_classes_changed(self) -> None:
        self._touch("classes")
        if not self._seed_size_edited:
            size = ProjectSettings.for_classes(len(self._classes.classes())).seed_size
            self._seed_size.blockSignals(True)  # a programmatic change is not the user's edit
            self._seed_size.setValue(size)
            self._seed_size.blockSignals(False)
        self._revalidate()

    @Slot()
    def _on_seed_size_edited(self) -> None:
        self._seed_size_edited = True

    @Slot()
    def _on_strategy_changed(self) -> None:
        self._strategy_help.setText(POOL_STRATEGIES.get(self._strategy.currentData(), ""))

    @Slot()
    def _on_scenario_changed(self) -> None:
        self._scenario_help.setText(SCENARIO_TEXT.get(self._scenario.currentData(), ""))

    @Slot()
    def _on_create_clicked(self) -> None:
        self._touch("folder", "project", "classes")
        self._revalidate()
        if not self._problems:
            self.accept()


def _counts_text(c: MediaCounts) -> str:
    parts = [f"{c.images:,} images", f"{c.audio:,} audio clips", f"{c.other:,} other files"]
    return "Found " + " · ".join(parts)
