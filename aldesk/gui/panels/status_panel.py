"""Progress of the session: counts, per-class counts, round, model state, test accuracy, and
the labeling pace (labels per hour, time spent, labels still needed for the target accuracy)."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QLabel, QWidget

from aldesk.core.pace import Feedback, pace_text, time_text
from aldesk.core.session import Status
from aldesk.core.session_status import (
    accuracy_text,
    away_text,
    labeled_text,
    macro_f1_text,
    model_text,
)
from aldesk.core.wording import count
from aldesk.gui.panels.grid_form import GridForm
from aldesk.gui.wrapping import breakable

NO_BREAK_SPACE, WORD_JOINER = "\u00a0", "\u2060"  # a label never breaks a line at these
ZERO_WIDTH_SPACE = "\u200b"  # ... and may break one at this
MANY_CLASSES = 20  # past this, the counts say what needs labels rather than list them all
# between two classes' counts: with spaces alone, "cancer-associated / stroma: 12 colorectal /
# adenocarcinoma / epithelium: 22" wrapped into lines where no one could tell the names apart
ENTRY_GAP = "\u00a0\u00a0·  "  # the dot ends a line, never starts one
FEWEST_SHOWN, NONE_SHOWN = 5, 8
LONG_NAME = 20  # characters: a class name longer than this may wrap inside itself


class StatusPanel(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Progress", parent)
        form = GridForm(self)  # not QFormLayout: it clipped wrapped values (see grid_form)
        self.labeled = QLabel()
        self.labeled.setWordWrap(True)
        self.per_class = QLabel()
        self.per_class.setWordWrap(True)
        self.test = QLabel()
        self.test.setWordWrap(True)
        self.round = QLabel()
        self.model = QLabel()  # "rebuilding round 14 from your labels…" held the column wide
        self.model.setWordWrap(True)
        self.accuracy = QLabel()
        self.accuracy.setWordWrap(True)
        self.macro_f1 = QLabel()
        self.macro_f1.setWordWrap(True)
        self.features = QLabel()
        self.features.setWordWrap(True)
        self.advice = QLabel()
        self.advice.setWordWrap(True)
        self.pace = QLabel()
        self.pace.setWordWrap(True)
        self.pace.setToolTip("Labels per hour of work: pauses over 5 minutes and imports "
                             "are not counted.")  # fmt: skip
        self.time_spent = QLabel()
        self.time_spent.setWordWrap(True)
        self.to_target = QLabel()
        self.to_target.setWordWrap(True)
        self.to_target.setToolTip("A rough guide: an inverse power law fitted to the test "
                                  "accuracy of the rounds so far.")  # fmt: skip
        form.addRow("Labeled:", self.labeled)
        form.addRow("Per class\n(pool + test):", self.per_class)
        form.addRow("Test items:", self.test)
        form.addRow("Round:", self.round)
        form.addRow("Model:", self.model)
        form.addRow("Accuracy:", self.accuracy)
        form.addRow("Macro-F1:", self.macro_f1)
        form.addRow("Pace:", self.pace)
        form.addRow("Time spent:", self.time_spent)
        self.to_target_caption = QLabel("To target:")
        form.addRow(self.to_target_caption, self.to_target)
        self.show_feedback(Feedback())
        form.addRow(self.features)
        form.addRow(self.advice)

    def show_status(self, s: Status, extracting: bool = False) -> None:
        self.labeled.setText(labeled_text(s, sep="\n")
                             + (f"\n{count(s.n_unreadable, 'item')} missing or unreadable"
                                if s.n_unreadable else ""))  # fmt: skip
        # non-breaking inside an entry: lines wrap only between classes
        self.per_class.setText(per_class_text(s.per_class))
        self.per_class.setToolTip("\n".join(f"{k}: {v}" for k, v in s.per_class.items()))
        away = away_text(s.n_test_labeled_away, sep="\n")  # the panel is narrow
        self.test.setText(f"{s.n_test_labeled - s.n_test_labeled_away} of {s.n_test} labeled{away}")
        self.round.setText(str(s.round))
        self.model.setText(model_text(s, extracting))
        self.accuracy.setText(accuracy_text(s))  # the figure and its count from one round
        self.macro_f1.setText(macro_f1_text(s))
        self.features.setVisible(bool(s.features))
        self.features.setText(s.features or "")
        advice = s.advice
        self.advice.setVisible(bool(advice and advice.stop))
        if advice and advice.stop:
            self.advice.setText(f"<b>Enough?</b> {advice.reason}")

    def show_feedback(self, f: Feedback) -> None:
        """Labels per hour and time spent; with a target accuracy, the labels still needed."""
        self.pace.setText(pace_text(f, sep="\n"))  # a line each: the side panel is narrow
        self.time_spent.setText(time_text(f, sep="\n"))
        self.to_target.setText(f.projection.text if f.projection else "")
        for widget in (self.to_target_caption, self.to_target):
            widget.setVisible(f.projection is not None)


def per_class_text(counts: dict[str, int]) -> str:
    """Every class's count; with many classes, what needs labels: the fewest labeled and the
    classes with none (at 100 classes every count made an 800-px paragraph that pushed the
    accuracy out of view). The tooltip lists them all."""
    if len(counts) <= MANY_CLASSES:
        return ENTRY_GAP.join(_per_class_entry(k, v) for k, v in counts.items())
    some = sorted((v, k) for k, v in counts.items() if v)
    none = [breakable(k) for k, v in counts.items() if not v]
    lines = [f"{len(counts)} classes, {len(some)} with labels (all in the tooltip)"]
    if some:
        fewest = ENTRY_GAP.join(_per_class_entry(k, v) for v, k in some[:FEWEST_SHOWN])
        lines.append(f"fewest: {fewest}")
    if none:
        more = f" and {len(none) - NONE_SHOWN} more" if len(none) > NONE_SHOWN else ""
        lines.append(f"none yet: {', '.join(none[:NONE_SHOWN])}{more}")
    return "\n".join(lines)


def _per_class_entry(name: str, count: int) -> str:
    """``name: count`` that wraps only between entries: no-break spaces, and word joiners
    between the characters (a Chinese or Japanese name may otherwise break anywhere).

    A long name may break inside itself, before its last word: kept whole, one such name set
    the side column's minimum width and pushed every other line past the visible edge.
    """
    if len(name) <= LONG_NAME:
        return _unbroken(f"{name}: {count}")
    head, space, last = name.rpartition(" ")
    if not space or len(last) > LONG_NAME:
        head, last = name[:-6], name[-6:]
    words = [ZERO_WIDTH_SPACE.join(w) if len(w) > LONG_NAME else w for w in head.split(" ")]
    return " ".join(words) + space + _unbroken(f"{last}: {count}")


def _unbroken(text: str) -> str:
    return WORD_JOINER.join(text.replace(" ", NO_BREAK_SPACE))
