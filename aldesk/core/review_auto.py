"""Accept what the model is sure of: confirm its guesses one by one, or auto-label the rest above
a confidence after a preview; model labels are recorded with strategy ``model`` (source
"model"), so they stay apart from the user's and can be withdrawn in one step.

Pure functions over :class:`aldesk.core.review_rows.ReviewRow`; the GUI previews and applies.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from aldesk.core.records import Event
from aldesk.core.review_rows import Edit, ReviewRow

MODEL_STRATEGY = "model"  # auto-labels: source "model"
CONFIRM_STRATEGY = "confirm"  # the user accepted the model's guess: the user's label
CORRECTED_STRATEGY = "confirm-corrected"  # in confirm mode, the user gave another class
CONFIDENCE_BINS = (
    0.0,
    0.5,
    0.7,
    0.8,
    0.9,
    0.95,
    0.99,
    1.0,
)  # confirm mode's right-at-confidence table
SAMPLE_SIZE = 12


@dataclass(frozen=True)
class AutoLabelPreview:
    """What auto-labelling at ``threshold`` would do, before anything is written.

    Attributes:
        threshold: The confidence at or above which unanswered pool items get the model's guess.
        rows: The rows that would be labelled (item, guess, confidence).
        per_class: Class id -> how many items would get it.
        test_n: Labelled test items the model is at least this confident about.
        test_correct: How many of those it predicts right.
        accuracy_ci: 95% Wilson interval of that accuracy (None without test items).
        sample: A random sample of ``rows`` to look at.
    """

    threshold: float
    rows: tuple[ReviewRow, ...]
    per_class: dict[int, int]
    test_n: int
    test_correct: int
    accuracy_ci: tuple[float, float] | None
    sample: tuple[ReviewRow, ...]

    @property
    def accuracy(self) -> float | None:
        return self.test_correct / self.test_n if self.test_n else None


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """95% Wilson score interval of ``k`` successes in ``n`` (None for n = 0)."""
    if n == 0:
        return None
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def preview_auto_labels(
    rows: Sequence[ReviewRow], threshold: float, random_state: int = 0
) -> AutoLabelPreview:
    """The unanswered readable pool items the model guesses with ``confidence >= threshold``,
    and how often it is right at that confidence on the labelled test items.

    Test items are never auto-labelled: they measure the model and must keep the user's label.
    """
    chosen = tuple(
        r for r in rows
        if r.split == "pool" and r.state == "unseen" and r.predicted is not None
        and r.confidence is not None and r.confidence >= threshold
    )  # fmt: skip
    tests = [r for r in rows if r.split == "test" and r.class_id is not None
             and r.predicted is not None and (r.confidence or 0.0) >= threshold]  # fmt: skip
    correct = sum(r.predicted == r.class_id for r in tests)
    rng = np.random.default_rng(random_state)
    picks = rng.choice(len(chosen), size=min(SAMPLE_SIZE, len(chosen)), replace=False)
    return AutoLabelPreview(
        threshold, chosen, dict(Counter(r.predicted for r in chosen)), len(tests), correct,
        wilson(correct, len(tests)), tuple(chosen[int(i)] for i in sorted(picks)),
    )  # fmt: skip


def auto_label_edits(preview: AutoLabelPreview) -> list[Edit]:
    """The model's guesses as labels with strategy ``model`` (kept apart from the user's)."""
    return [Edit(r.item_id, "label", r.predicted, r.split, None, MODEL_STRATEGY)
            for r in preview.rows]  # fmt: skip


def confirm_edits(rows: Sequence[ReviewRow]) -> list[Edit]:
    """Accept the model's guess for these items as the user's own label (strategy ``confirm``).

    Only unanswered pool items with a guess: an answer given is never replaced by a guess (a
    select-all and Enter replaced 9 of a tester's labels), and a test item's label is never
    the model's (its guess would grade the model against itself).
    """
    return [Edit(r.item_id, "label", r.predicted, r.split, None, CONFIRM_STRATEGY, r.confidence)
            for r in rows if confirmable(r)]  # fmt: skip


def confirmable(row: ReviewRow) -> bool:
    """Whether Enter in Confirm predictions may record the model's guess for ``row``."""
    return row.predicted is not None and row.state == "unseen" and row.split == "pool"


def answer_guess_edits(rows: Sequence[ReviewRow], class_id: int) -> list[Edit]:
    """Confirm mode, a class key: the user's label, recorded against the model's guess (its
    confidence kept as the score): the guessed class confirms it, another corrects it."""
    return [Edit(r.item_id, "label", class_id, r.split, None,
                 CONFIRM_STRATEGY if class_id == r.predicted else CORRECTED_STRATEGY,
                 r.confidence if r.predicted is not None else None)
            for r in rows if r.class_id != class_id]  # fmt: skip


@dataclass(frozen=True)
class ConfidenceBin:
    """Confirm-mode answers whose guess had confidence in ``[lo, hi)`` (``hi`` 1.0 included)."""

    lo: float
    hi: float
    confirmed: int
    corrected: int

    @property
    def right(self) -> float | None:
        n = self.confirmed + self.corrected
        return self.confirmed / n if n else None


def confirm_calibration(
    answers: Mapping[int, Event], edges: Sequence[float] = CONFIDENCE_BINS
) -> list[ConfidenceBin]:
    """How often the model's guess was right at each confidence, from the current confirm-mode
    answers (a doubted label kept with Enter carries no guess and is not counted)."""
    counts = np.zeros((len(edges) - 1, 2), dtype=int)
    for ev in answers.values():
        if ev.score is None or ev.strategy not in (CONFIRM_STRATEGY, CORRECTED_STRATEGY):
            continue
        k = int(np.searchsorted(edges, ev.score, side="right")) - 1
        if 0 <= k <= len(edges) - 1:
            counts[min(k, len(edges) - 2), int(ev.strategy == CORRECTED_STRATEGY)] += 1
    return [ConfidenceBin(edges[k], edges[k + 1], int(c[0]), int(c[1]))
            for k, c in enumerate(counts)]  # fmt: skip


def keep_label_edits(rows: Sequence[ReviewRow]) -> list[Edit]:
    """The user confirms the labels given (a doubted label is right): each is recorded again
    with strategy ``confirm``, which takes it off the doubtful list."""
    return [Edit(r.item_id, "label", r.class_id, r.split, None, CONFIRM_STRATEGY)
            for r in rows if r.class_id is not None and r.strategy != CONFIRM_STRATEGY]  # fmt: skip


def withdraw_model_edits(answers: Mapping[int, Event]) -> list[Edit]:
    """Undo every current answer the model gave (auto-labels), in one batch."""
    return [Edit(ev.item_id, "undo", None, ev.split, ev.id)
            for ev in answers.values() if ev.strategy == MODEL_STRATEGY]  # fmt: skip
