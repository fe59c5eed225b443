"""The review window's side column: what the doubtful-label check found, the confusion
matrices (test items; labelled pool, cross-validated) and confirm mode's tally."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from aldesk.core.review_project import doubt_caveat, unjudged_text
from aldesk.gui.review.accept import ConfirmTally
from aldesk.gui.review.confusion import ConfusionTabs


class SidePanel(QScrollArea):
    """Widgets only; the window fills them and wires their signals.

    It scrolls: on a 1024 x 576 screen the column cut the check's summary off mid-sentence and
    left the confusion matrix 38 px tall.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        self.setWidget(inner)
        self.summary = QLabel("Doubtful labels are checked after each retrain.")
        self.summary.setObjectName("review_summary")
        self.summary.setWordWrap(True)
        self.confusion = ConfusionTabs()
        row = self.confusion.test.verticalHeader().defaultSectionSize()
        self.confusion.setMinimumHeight(8 * row)  # a few classes' rows in view at least
        self.clear_cell = QPushButton("Show all items again")
        self.tally = ConfirmTally()
        self.tally.setMinimumHeight(5 * row)
        self.tally.setMaximumHeight(150)
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Labels the model doubts</b>"))
        layout.addWidget(self.summary)
        layout.addWidget(_wrapped("<b>Confusion</b>: given label (rows) × model (columns)"))
        layout.addWidget(self.confusion, 1)
        layout.addWidget(self.clear_cell)
        layout.addWidget(_wrapped("<b>Confirm mode</b>: the model's guesses you confirmed or "
                                  "corrected, by its confidence"))  # fmt: skip
        layout.addWidget(self.tally)


def _wrapped(text: str) -> QLabel:
    """A heading line that wraps: one long line set the column's (and window's) minimum width."""
    label = QLabel(text)
    label.setWordWrap(True)
    return label


def describe_check(result, space, names: list[str]) -> str:
    """The doubtful-label check's outcome in a few sentences (``space``: near-duplicates and
    outliers, or None; ``names``: the class names in the result's column order)."""
    others = (
        f"Near-duplicates ({len(space.duplicates) if space else 0} pairs) and outliers: in the "
        "“Every item” menu."
    )
    if result.too_weak:
        return (
            f"Checked {int(result.judged.sum())} labels ({result.folds}-fold cross-validation): "
            f"a model that never saw each label agrees with only {result.agreeing} of them, too "
            "few to tell a wrong label from the model's own mistakes, so none is flagged. The "
            "check means more once each class has more labels. " + others
        )
    sure = sum(s.confident for s in result.suspects)
    caveat = doubt_caveat(result)
    skipped = unjudged_text(result, names)
    skipped += " " if skipped else ""
    return (
        f"Checked {int(result.judged.sum())} labels ({result.folds}-fold cross-validation): "
        f"the model contradicts {len(result.suspects)}, {sure} of them confidently; "
        f"confident learning estimates about {result.estimated_errors} are wrong. "
        f"{caveat + ' ' if caveat else ''}{skipped}Tick “Suspicious only” to go through them, most doubtful first. "
        + others
    )
