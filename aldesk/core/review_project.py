"""The doubtful-label check of a whole project, as ``aldesk suspicious`` runs it: the labels
from the store, on the features and columns of the project's current model; and the caveat the
window and the command put beside its numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from aldesk.core.review import ReviewRequest, SuspicionResult, judged_labels, labelled_rows

if TYPE_CHECKING:
    from aldesk.core.features.types import FeatureSet
    from aldesk.core.representation import Layout
    from aldesk.core.store import ProjectStore

# Below this share of the judged labels agreed with, the model errs often enough that most of
# its contradictions (and confident learning's estimate) are likely its own mistakes.
TRUSTED_AGREEMENT = 0.9


def doubt_caveat(result: SuspicionResult) -> str:
    """A sentence on how far to trust the contradictions ("" when the model agrees with most
    labels): on 131 correct labels of a young model, confident learning had called 25 wrong,
    and a lab manager read it as a fifth of the team's labels."""
    judged = int(result.judged.sum())
    if not judged or result.agreeing >= TRUSTED_AGREEMENT * judged:
        return ""
    return (f"A model that never saw each label agrees with only {result.agreeing / judged:.0%} "
            "of them, so many contradictions are likely its own mistakes on hard items (the "
            "ones active learning asks): look before changing a label.")  # fmt: skip


def unjudged_text(result: SuspicionResult, names: list[str]) -> str:
    """Which classes' labels the check does not doubt yet, by name ("the labels of 1 class"
    sent a tester to the confusion matrix to find out which), and why each; "" when it judges
    them all. ``names``: the class names in the result's column order."""
    from aldesk.core.review import LEARNED_MIN_LABELS
    from aldesk.core.wording import count

    classes = list(result.unlearned_classes)
    if not classes:
        return ""
    n = np.bincount(result.y[result.judged], minlength=len(names))
    few = [c for c in classes if n[c] < LEARNED_MIN_LABELS]
    wrong = [c for c in classes if n[c] >= LEARNED_MIN_LABELS]
    which = _listed(classes, names)
    which = which if len(classes) == 1 else f"{len(classes)} classes ({which})"
    why = []
    if few:
        has = "has" if len(few) == 1 else "have"
        why.append(f"{_listed(few, names)} {has} fewer than {LEARNED_MIN_LABELS} labels")
    if wrong:
        why.append(f"the model gets most of {_listed(wrong, names)} wrong")
    return (f"The {count(result.unjudged_labels, 'label')} of {which} are not doubted yet: "
            f"{'; '.join(why)}.")  # fmt: skip


def _listed(classes: list[int], names: list[str], most: int = 5) -> str:
    shown = ", ".join(f"“{names[c]}”" for c in classes[:most])
    return shown + (f" and {len(classes) - most} more" if len(classes) > most else "")


def weights_for(
    X: np.ndarray, y: np.ndarray, layout: Layout, setting: str, random_state: int = 0
) -> np.ndarray | None:
    """The feature columns a round would train on for these labels (the same choice, by the
    same cross-validation, as :func:`aldesk.core.ranking.fit_and_rank` makes)."""
    from aldesk.core.representation import choose
    from aldesk.core.validation import cv_accuracy

    if len(layout.blocks) < 2 and setting in ("auto", *layout.blocks):
        return None  # one block, every column: what the rounds train on too

    def scorer(X: np.ndarray, y: np.ndarray, weights: np.ndarray) -> float:
        return cv_accuracy(X, y, weights, random_state=random_state)

    return layout.weights(choose(X, y, layout, setting, None, scorer).name)


def project_request(store: ProjectStore, matrix: FeatureSet, layout: Layout) -> ReviewRequest:
    """The review request for a project's current labels (both splits) on its feature matrix."""
    from aldesk.core.project import ProjectSettings

    settings = ProjectSettings.from_store(store)
    class_ids = [c.id for c in store.classes()]
    row_of = {it.id: r for it in store.items() if (r := matrix.row(it.hash)) is not None}
    ids, rows, y = labelled_rows(judged_labels(store.labels(), store.answers()), class_ids, row_of)
    # The latest round's features, as the window scores with the current model's; a fresh
    # choice only before any round (the two differed by a label on the same project).
    latest = store.read("SELECT representation FROM rounds ORDER BY id DESC LIMIT 1")
    if latest and latest[0][0] in layout.candidates():
        weights = layout.weights(latest[0][0])
    else:
        weights = weights_for(matrix.X[rows], y, layout, settings.representation,
                              settings.random_state)  # fmt: skip
    return ReviewRequest(
        ids, matrix.X, rows, y, len(class_ids), settings.model, weights, settings.random_state
    )
