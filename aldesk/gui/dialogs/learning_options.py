"""How a project learns, in the user's words first: a preset, when to stop, then "Advanced".

Shared by the new-project dialog and the project settings dialog. The preset ("Just label") and
the stopping rules are always on show; strategy, features, model, scenario, batch, seed and test
set sit in a collapsed Advanced section, each with its one-line explanation. In the settings
dialog of an existing project the scenario, seed and test set are fixed (they shaped the
project's history) and are not shown.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from aldesk.core.learner import MODELS
from aldesk.core.project import SCENARIO_TEXT, ProjectSettings
from aldesk.core.representation import REPRESENTATIONS
from aldesk.core.strategies import POOL_STRATEGIES, SEED_STRATEGIES
from aldesk.gui.dialogs.form import combo, muted_label, spin
from aldesk.gui.dialogs.presets import (
    CUSTOM,
    CUSTOM_TEXT,
    DEFAULT_PRESET,
    DEFAULTS,
    PRESETS,
    matching_preset,
)

_HELP = {
    "batch": "Labels on pool items between two retrains of the model (test answers, skips and "
    "can't-label do not count; smaller: fresher, more work).",
    "seed": "Items labeled in random order before the model starts choosing.",
    "seed_stream": "A stream's seed set is its first arrivals, asked in the order they come "
    "until this many are labeled (and two classes have labels).",
    "test": "Kept aside at random and labeled too, to measure accuracy honestly.",
    "synthesis_every": "How often a blend the model made is asked among your files (at most "
    "one per retrain). Press X (Can't label) on a blend that looks like noise.",
    "stream_budget": "The share of arriving items you are asked about: the least certain "
    "ones, the threshold adapting to keep to it. The others are passed over.",
}
SYNTHESIS_EVERY_DEFAULT = ProjectSettings().synthesis_every
STREAM_SHARE_DEFAULT = round(ProjectSettings().stream_budget * 100)
_CHOICES = {"strategy": POOL_STRATEGIES, "representation": REPRESENTATIONS, "model": MODELS,
            "scenario": SCENARIO_TEXT}  # fmt: skip
# The core's feature descriptions are whole sentences: short names for the list.
_FEATURE_TITLES = {"auto": "Auto", "pool": "Learned from this pool", "pretrained": "Pretrained",
                   "both": "Both"}  # fmt: skip


class LearningOptions(QWidget):
    """Preset, stopping rules and the Advanced section; ``values()`` gives settings fields.

    Signals:
        changed(): any choice changed (by the user or by a preset).
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, existing: bool = False) -> None:
        super().__init__(parent)
        self._existing = existing
        self._applying = False  # a preset is filling the fields: not the user's own edit
        self.seed_size_edited = False  # until the user sets it, it follows the class count
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.preset_box = self._build_preset_group()
        layout.addWidget(self.preset_box)
        layout.addWidget(self._build_stopping_group())
        self.advanced_button = QToolButton(text="Advanced", checkable=True)
        self.advanced_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_button.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_button.setAutoRaise(True)
        self.advanced = self._build_advanced()
        self.advanced.setVisible(False)
        layout.addWidget(self.advanced_button)
        layout.addWidget(self.advanced)
        layout.addStretch(1)
        self.advanced_button.toggled.connect(self.show_advanced)
        self.set_values(PRESETS[DEFAULT_PRESET].values())
        if existing:  # changing a project's settings is itself the advanced use
            self.preset_box.setVisible(False)
            self.advanced_button.setVisible(False)
            self.show_advanced(True)

    # -- construction ------------------------------------------------------------------------
    def _build_preset_group(self) -> QGroupBox:
        box = QGroupBox("How to label")
        self.preset = QComboBox()
        for name, preset in PRESETS.items():
            self.preset.addItem(preset.title, name)
        self.preset.addItem("Custom", CUSTOM)
        self.preset_help = muted_label()
        self.preset.currentIndexChanged.connect(self._on_preset_chosen)
        column = QVBoxLayout(box)
        column.addWidget(self.preset)
        column.addWidget(self.preset_help)
        return box

    def _build_stopping_group(self) -> QGroupBox:
        box = QGroupBox("Tell me to stop when")
        self.use_budget = QCheckBox("I have given")
        self.budget = spin(1, 1_000_000, 500, " labels")  # on pool items: see its tooltip
        self.budget.setToolTip(
            "Labels on pool items, the ones the model learns from; held-out test items are "
            "asked besides and not counted. When they are given aldesk stops asking: raise "
            "the budget in Project → Settings to go on."
        )
        self.use_target = QCheckBox("Test accuracy reaches")
        self.target = QDoubleSpinBox(decimals=1, minimum=1.0, maximum=100.0, value=95.0,
                                     suffix=" %")  # fmt: skip
        self.stable = QCheckBox("The model's predictions stop changing")
        self.stable.setChecked(True)
        grid = QGridLayout(box)
        grid.addWidget(self.use_budget, 0, 0)
        grid.addWidget(self.budget, 0, 1)
        grid.addWidget(self.use_target, 1, 0)
        grid.addWidget(self.target, 1, 1)
        grid.addWidget(self.stable, 2, 0, 1, 2)
        self.use_budget.toggled.connect(self.budget.setEnabled)
        self.use_target.toggled.connect(self.target.setEnabled)
        self.budget.setEnabled(False)
        self.target.setEnabled(False)
        for w in (self.use_budget, self.use_target, self.stable):
            w.toggled.connect(self.changed)
        for w in (self.budget, self.target):
            w.valueChanged.connect(self.changed)
        return box

    def _build_advanced(self) -> QWidget:
        panel = QWidget()
        form = QFormLayout(panel)
        form.setContentsMargins(18, 0, 0, 0)
        self.combos: dict[str, QComboBox] = {}
        self.help: dict[str, QLabel] = {}
        titles = {"strategy": "Strategy", "representation": "Features", "model": "Model",
                  "scenario": "Scenario"}  # fmt: skip
        for key, options in _CHOICES.items():
            self.combos[key] = combo(options, DEFAULTS[key])
            self.combos[key].setMinimumContentsLength(16)  # long names must not widen the dialog
            self.combos[key].setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            if key == "representation":
                for i in range(self.combos[key].count()):
                    name = self.combos[key].itemData(i)
                    self.combos[key].setItemText(i, _FEATURE_TITLES.get(name, name))
            self.help[key] = muted_label()
            self.combos[key].currentIndexChanged.connect(lambda _i, k=key: self._on_combo(k))
            if key == "scenario" and self._existing:
                continue
            form.addRow(titles[key], self.combos[key])
            form.addRow("", self.help[key])
        self.batch = spin(1, 500, DEFAULTS["batch"], " pool labels")
        self.seed_size = spin(0, 10_000, ProjectSettings.for_classes(0).seed_size, " items")
        self.seed_size.setAccessibleName("Seed set size")
        self.seed_method = combo(SEED_STRATEGIES, DEFAULTS["seed_method"])
        self.seed_method.setMinimumContentsLength(8)  # beside the spin box: it set the column
        self.seed_method.setSizeAdjustPolicy(  # wider than the dialog's, cutting its text off
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.test_size = spin(0, 100_000, DEFAULTS["test_size"], " items")
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_size)
        seed_row.addWidget(self.seed_method, 1)
        self.synthesis_every = spin(1, 1000, SYNTHESIS_EVERY_DEFAULT, " items")
        self.synthesis_every.setPrefix("one in ")
        self.synthesis_every.setToolTip("At most: one blend is made per retrain, so fewer are "
                                        "asked when answers come faster than retrains.")  # fmt: skip
        rows = [("Retrain every", self.batch, "batch")]
        if not self._existing:
            rows += [("Seed set", seed_row, "seed"), ("Test set", self.test_size, "test")]
        self.stream_share = spin(1, 100, STREAM_SHARE_DEFAULT, " % of arrivals")
        self.stream_share.setPrefix("ask about ")
        rows += [("Synthesized queries", self.synthesis_every, "synthesis_every"),
                 ("Stream", self.stream_share, "stream_budget")]  # fmt: skip
        self._seed_help = None
        for title, field, key in rows:
            form.addRow(title, field)
            form.addRow("", help_label := muted_label(_HELP[key]))
            self._seed_help = help_label if key == "seed" else self._seed_help
        n = form.rowCount()
        self._scenario_rows = {"synthesis": (n - 4, n - 3), "stream": (n - 2, n - 1)}
        self.synthesis_every.valueChanged.connect(self._on_advanced_edited)
        self.stream_share.valueChanged.connect(self._on_advanced_edited)
        self.batch.valueChanged.connect(self._on_advanced_edited)
        self.seed_method.currentIndexChanged.connect(self._on_advanced_edited)
        self.test_size.valueChanged.connect(self._on_advanced_edited)
        self.seed_size.valueChanged.connect(self._on_seed_size_edited)
        return panel

    # -- public API ---------------------------------------------------------------------------
    def values(self) -> dict:
        """The chosen settings, as ``ProjectSettings`` field values."""
        out = {key: box.currentData() for key, box in self.combos.items()}
        out.update(
            batch=self.batch.value(), seed_size=self.seed_size.value(),
            seed_method=self.seed_method.currentData(), test_size=self.test_size.value(),
            synthesis_every=self.synthesis_every.value(),
            stream_budget=self.stream_share.value() / 100,
            budget=self.budget.value() if self.use_budget.isChecked() else None,
            target_accuracy=self.target.value() / 100 if self.use_target.isChecked() else None,
            stable_predictions=self.stable.isChecked(),
        )  # fmt: skip
        return out

    def set_values(self, values: dict) -> None:
        """Show ``values`` (settings fields; missing ones are left as they are)."""
        self._applying = True
        try:
            for key, box in self.combos.items():
                if key in values:
                    box.setCurrentIndex(max(0, box.findData(values[key])))
            for key, box in (("batch", self.batch), ("test_size", self.test_size),
                             ("synthesis_every", self.synthesis_every)):  # fmt: skip
                if key in values:
                    box.setValue(int(values[key]))
            if "seed_method" in values:
                self.seed_method.setCurrentIndex(
                    max(0, self.seed_method.findData(values["seed_method"]))
                )
            if "seed_size" in values:
                self.seed_size.setValue(int(values["seed_size"]))
            if "stream_budget" in values:
                self.stream_share.setValue(round(float(values["stream_budget"]) * 100))
            self._set_stopping(values)
        finally:
            self._applying = False
        for key in self.combos:
            self.help[key].setText(_explanation(key, self.combos[key].currentData()))
        self._show_synthesis_rows()
        self._show_preset(matching_preset(self.values()))
        self.changed.emit()

    def set_class_count(self, n: int) -> None:
        """The seed set follows the class count until the user sets its size."""
        if not self.seed_size_edited:
            self._applying = True
            self.seed_size.setValue(ProjectSettings.for_classes(n).seed_size)
            self._applying = False

    @Slot(bool)
    def show_advanced(self, shown: bool) -> None:
        self.advanced_button.setChecked(shown)
        self.advanced_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
        self.advanced.setVisible(shown)

    # -- helpers ----------------------------------------------------------------------------
    def _set_stopping(self, values: dict) -> None:
        if "budget" in values:
            self.use_budget.setChecked(values["budget"] is not None)
            if values["budget"] is not None:
                self.budget.setValue(int(values["budget"]))
        if "target_accuracy" in values:
            self.use_target.setChecked(values["target_accuracy"] is not None)
            if values["target_accuracy"] is not None:
                self.target.setValue(float(values["target_accuracy"]) * 100)
        if "stable_predictions" in values:
            self.stable.setChecked(bool(values["stable_predictions"]))

    def _show_synthesis_rows(self) -> None:
        """ "Synthesized: one in N" only shows in the synthesis scenario, the stream's share of
        arrivals in the stream scenario: they matter nowhere else."""
        form = self.advanced.layout()
        chosen = self.combos["scenario"].currentData()
        for scenario, rows in self._scenario_rows.items():
            for row in rows:
                form.setRowVisible(row, chosen == scenario)
        self.seed_method.setEnabled(chosen != "stream")  # a stream's order is the arrivals'
        if self._seed_help is not None:
            self._seed_help.setText(_HELP["seed_stream" if chosen == "stream" else "seed"])
        row, _role = form.getWidgetPosition(self.combos["strategy"])  # a stream asks by its
        for r in (row, row + 1):  # threshold, not by the pool strategy: not offered there
            form.setRowVisible(r, chosen != "stream")

    def _show_preset(self, name: str) -> None:
        self.preset.blockSignals(True)
        self.preset.setCurrentIndex(self.preset.findData(name))
        self.preset.blockSignals(False)
        self.preset_help.setText(PRESETS[name].text if name in PRESETS else CUSTOM_TEXT)

    @Slot(int)
    def _on_preset_chosen(self, _index: int) -> None:
        name = self.preset.currentData()
        if name in PRESETS:
            self.set_values(PRESETS[name].values())
        else:  # Custom: the choices are in the Advanced section
            self.preset_help.setText(CUSTOM_TEXT)
            self.show_advanced(True)

    def _on_combo(self, key: str) -> None:
        self.help[key].setText(_explanation(key, self.combos[key].currentData()))
        self._show_synthesis_rows()
        self._on_advanced_edited()

    @Slot()
    def _on_advanced_edited(self) -> None:
        if not self._applying:
            self._show_preset(matching_preset(self.values()))
            self.changed.emit()

    @Slot()
    def _on_seed_size_edited(self) -> None:
        if not self._applying:
            self.seed_size_edited = True
            self.changed.emit()


def _explanation(key: str, value: str) -> str:
    """The one-line help under a choice: its description without the repeated title."""
    text = _CHOICES[key].get(value, "")
    _title, _, rest = text.partition(": ")
    return rest[:1].upper() + rest[1:] if rest else text
