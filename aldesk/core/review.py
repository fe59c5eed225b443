"""Labels the model doubts: confident learning on out-of-sample probabilities.

Confident learning (Northcutt, Jiang & Chuang, JAIR 2021) finds label errors without trusting
the model's scale: every labelled item gets predicted probabilities from a model that never saw
it (cross-validation), each class ``j`` gets a threshold ``t_j`` = the mean probability of class
``j`` over the items labelled ``j`` (its average self-confidence), and an item labelled ``i`` is
*confidently* of class ``j`` when ``p_j >= t_j`` (the largest such ``p`` wins if several pass).
The off-diagonal of that confident joint, scaled to the label counts, estimates how many labels
are wrong in each (given, true) pair; *prune by noise rate* then marks that many items per pair,
those with the largest margin ``p_j - p_given``: these are the *confident* suspects.

Confident learning is conservative: a wrong label drags its neighbours' probabilities below the
class threshold, so on a planted-noise set it marks about two thirds of the flips. The queue
therefore lists every label the out-of-sample model prefers another class to, confident ones
marked, ordered by how strongly it is contradicted: the normalized margin
``p_given - max_{j != given} p_j``, most negative first (cleanlab's ``normalized_margin``), which
puts the confident ones on top.

The work runs on a frozen :class:`ReviewRequest` and touches nothing shared, so the GUI runs it
on a worker after each retrain and the CLI runs it inline. Near-duplicates and outliers live in
:mod:`aldesk.core.review_space`; a whole project's request, as ``aldesk suspicious``
builds it, in :mod:`aldesk.core.review_project`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from aldesk.core.errors import AldeskError
from aldesk.core.learner import DEFAULT_MODEL, TrainingSnapshot, train
from aldesk.core.records import Event

DEFAULT_FOLDS = 5
# A class needs this many labels before its items can be judged: with one, the held-out model
# has never seen the class and would call every such label wrong.
MIN_PER_CLASS = 2


@dataclass(frozen=True, eq=False)
class ReviewRequest:
    """Everything the suspicious-label scoring needs, frozen for a worker.

    Attributes:
        item_ids: Item id of each labelled row, ``(n,)``.
        X: The whole feature matrix ``(N, d)`` (read-only; rows are gathered on the worker).
        rows: Row of ``X`` for each labelled item, ``(n,)``.
        y: Given label of each item as a class index ``0..n_classes-1``, ``(n,)``.
        n_classes: Number of project classes.
        model: The project's model name (see :data:`aldesk.core.learner.MODELS`).
        feature_weights: The columns the project's model uses (see ``TrainingSnapshot``).
        random_state: Seed of the folds and the fits.
        folds: Cross-validation folds (fewer when the largest class is smaller).
    """

    item_ids: np.ndarray
    X: np.ndarray
    rows: np.ndarray
    y: np.ndarray
    n_classes: int
    model: str = DEFAULT_MODEL
    feature_weights: np.ndarray | None = field(default=None, repr=False)
    random_state: int = 0
    folds: int = DEFAULT_FOLDS


@dataclass(frozen=True)
class Suspect:
    """One label the out-of-sample model contradicts.

    Attributes:
        item_id: The item.
        given: The class index it is labelled with.
        predicted: The class index the model is confident it is.
        confidence: Out-of-sample probability of ``predicted``.
        self_confidence: Out-of-sample probability of ``given``.
        margin: ``self_confidence - max probability of another class`` (negative: contradicted).
        confident: Marked by confident learning (the estimated error count of its pair).
    """

    item_id: int
    given: int
    predicted: int
    confidence: float
    self_confidence: float
    margin: float
    confident: bool = False


@dataclass(frozen=True, eq=False)
class SuspicionResult:
    """The outcome of :func:`find_suspicious`.

    Attributes:
        item_ids: Every labelled item scored, ``(n,)``.
        y: Their given class indices.
        proba: Out-of-sample probabilities ``(n, n_classes)``.
        thresholds: Per-class thresholds ``t_j`` (``inf`` for a class too small to judge).
        judged: Whether each item's class had enough labels to be judged, ``(n,)``.
        suspects: Contradicted labels, most strongly contradicted first.
        folds: Folds actually used.
        estimated_errors: Confident learning's estimate of how many labels are wrong (0 when
            the model is too weak to say: see ``too_weak``).
        agreeing: How many judged labels the out-of-sample model's top class agrees with.
    """

    item_ids: np.ndarray
    y: np.ndarray
    proba: np.ndarray
    thresholds: np.ndarray
    judged: np.ndarray
    suspects: list[Suspect]
    folds: int
    estimated_errors: int = 0
    agreeing: int = 0
    unlearned_classes: tuple[int, ...] = ()  # classes the model does not learn well enough
    unjudged_labels: int = 0  # of the judged labels, those of the unlearned classes

    @property
    def unlearned(self) -> int:  # how many classes are not judged
        return len(self.unlearned_classes)

    @property
    def too_weak(self) -> bool:
        """The out-of-sample model agrees with fewer than half the judged labels.

        Confident learning reads a disagreement as a wrong label only if most labels are right
        and the model learns them (the noise matrix diagonally dominant); a model that agrees
        with fewer than half of them is mostly making its own mistakes (few labels per class, or
        classes the features cannot yet tell apart), so no label is flagged.
        """
        return 2 * self.agreeing < int(self.judged.sum())

    def predicted(self) -> np.ndarray:
        """The out-of-sample model's most probable class for every scored item."""
        return self.proba.argmax(axis=1)

    def cv_confusion(self) -> np.ndarray:
        """Counts ``(given, predicted)`` of the cross-validated predictions on the labels."""
        k = self.proba.shape[1]
        out = np.zeros((k, k), dtype=np.int64)
        np.add.at(out, (self.y, self.predicted()), 1)
        return out


class _AppLearner:
    """The app's own learner (``learner.train``) behind scikit-learn's estimator interface, so
    ``cross_val_predict`` fits exactly the model and feature weighting the project uses."""

    _estimator_type = "classifier"

    def __init__(
        self,
        n_classes: int = 2,
        model: str = DEFAULT_MODEL,
        feature_weights: np.ndarray | None = None,
        random_state: int = 0,
    ) -> None:
        self.n_classes = n_classes
        self.model = model
        self.feature_weights = feature_weights
        self.random_state = random_state

    def get_params(self, deep: bool = True) -> dict:
        return {"n_classes": self.n_classes, "model": self.model,
                "feature_weights": self.feature_weights, "random_state": self.random_state}  # fmt: skip

    def set_params(self, **params) -> _AppLearner:
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, Tags, TargetTags

        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags())  # fmt: skip

    def fit(self, X: np.ndarray, y: np.ndarray) -> _AppLearner:
        snap = TrainingSnapshot(
            np.asarray(X, dtype=np.float32), np.asarray(y), self.n_classes, self.model,
            self.random_state, feature_weights=self.feature_weights,
        )  # fmt: skip
        self.model_ = train(snap)
        self.classes_ = np.arange(self.n_classes)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict_proba(np.asarray(X, dtype=np.float32))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)


def out_of_sample_proba(request: ReviewRequest) -> tuple[np.ndarray, np.ndarray, int]:
    """Cross-validated probabilities of every labelled item (each from a model that never saw it).

    Returns:
        ``(proba (n, n_classes), judged (n,), folds)``; ``judged`` is false for items of a class
        with fewer than :data:`MIN_PER_CLASS` labels.

    Raises:
        AldeskError: fewer than two classes have :data:`MIN_PER_CLASS` labels.
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    y = np.asarray(request.y, dtype=np.intp)
    counts = np.bincount(y, minlength=request.n_classes)
    if int((counts >= MIN_PER_CLASS).sum()) < 2:
        raise AldeskError(
            f"Finding doubtful labels needs at least {MIN_PER_CLASS} labels in each of two "
            "classes; label a few more items first."
        )
    present = np.flatnonzero(counts)  # cross_val_predict wants the classes numbered 0..k-1
    compact = np.searchsorted(present, y)
    folds = int(max(2, min(request.folds, counts.max())))
    X = np.asarray(request.X[np.asarray(request.rows, dtype=np.intp)], dtype=np.float32)
    estimator = _AppLearner(len(present), request.model, request.feature_weights,
                            request.random_state)  # fmt: skip
    cv = StratifiedKFold(folds, shuffle=True, random_state=request.random_state)
    with warnings.catch_warnings():
        # A class smaller than the fold count is fine: its items are judged in fewer folds.
        warnings.simplefilter("ignore", UserWarning)
        small = cross_val_predict(estimator, X, compact, cv=cv, method="predict_proba")
    proba = np.zeros((len(y), request.n_classes), dtype=np.float32)
    proba[:, present] = small
    return proba, counts[y] >= MIN_PER_CLASS, folds


def per_class_thresholds(proba: np.ndarray, y: np.ndarray, judged: np.ndarray) -> np.ndarray:
    """``t_j``: the mean probability of class ``j`` over the judged items labelled ``j``.

    A class with no judged items gets ``inf``: nothing is ever confidently of that class.
    """
    k = proba.shape[1]
    t = np.full(k, np.inf)
    for j in range(k):
        mine = judged & (y == j)
        if mine.any():
            t[j] = float(proba[mine, j].mean())
    return t


def confident_classes(proba: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """For each row, the most probable class among those at or above their threshold (-1: none)."""
    above = proba >= thresholds[None, :]
    masked = np.where(above, proba, -np.inf)
    best = masked.argmax(axis=1)
    return np.where(above.any(axis=1), best, -1)


def normalized_margin(proba: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``p_given - max_{j != given} p_j`` per row: negative when another class is preferred."""
    rows = np.arange(len(y))
    given = proba[rows, y]
    others = proba.copy()
    others[rows, y] = -np.inf
    return given - others.max(axis=1)


def confident_joint(
    proba: np.ndarray, y: np.ndarray, judged: np.ndarray, thresholds: np.ndarray
) -> np.ndarray:
    """``C[i, j]``: judged items labelled ``i`` that are confidently of class ``j``."""
    k = proba.shape[1]
    confident = confident_classes(proba, thresholds)
    ok = judged & (confident >= 0)
    joint = np.zeros((k, k), dtype=np.int64)
    np.add.at(joint, (y[ok], confident[ok]), 1)
    return joint


def estimated_errors(joint: np.ndarray, y: np.ndarray, judged: np.ndarray) -> np.ndarray:
    """How many items labelled ``i`` are really of class ``j`` (off-diagonal counts).

    The confident joint counts only the items confidently of some class; each row is scaled
    to the number of items with that label (cleanlab's calibration), then rounded.
    """
    k = joint.shape[0]
    n_given = np.bincount(y[judged], minlength=k).astype(np.float64)
    totals = joint.sum(axis=1).astype(np.float64)
    scale = np.divide(n_given, totals, out=np.zeros(k), where=totals > 0)
    counts = np.rint(joint * scale[:, None]).astype(np.int64)
    np.fill_diagonal(counts, 0)
    return counts


def prune_by_noise_rate(
    proba: np.ndarray, y: np.ndarray, judged: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """Mask of suspects: for each (given ``i``, true ``j``), the ``counts[i, j]`` items labelled
    ``i`` with the largest margin ``p_j - p_i`` (Northcutt et al.'s *prune by noise rate*).

    A class keeps at least one item: the estimate never calls every label of a class wrong.
    """
    flagged = np.zeros(len(y), dtype=bool)
    for i, j in zip(*np.nonzero(counts), strict=True):
        mine = np.flatnonzero(judged & (y == i))
        n = min(int(counts[i, j]), len(mine) - 1)
        if n <= 0:
            continue
        margin = proba[mine, j] - proba[mine, i]
        top = mine[np.argsort(-margin, kind="stable")[:n]]
        flagged[top[proba[top, j] > proba[top, i]]] = True  # never a label the model prefers
    return flagged


def find_suspicious(
    request: ReviewRequest, should_stop: Callable[[], bool] | None = None
) -> SuspicionResult | None:
    """Labels an out-of-sample model contradicts with confidence, most strongly first.

    Args:
        request: The labelled items and the project's model settings.
        should_stop: Polled before the work; true returns None (a newer request replaced it).

    Raises:
        AldeskError: too few labels to cross-validate (see :func:`out_of_sample_proba`).
    """
    if should_stop is not None and should_stop():
        return None
    y = np.asarray(request.y, dtype=np.intp)
    proba, judged, folds = out_of_sample_proba(request)
    agrees = proba.argmax(axis=1) == y
    agreeing = int((judged & agrees).sum())
    learned = learned_classes(y, judged, agrees, proba.shape[1])
    unlearned = tuple(int(c) for c in np.unique(y[judged]) if not learned[c])
    judging = judged & learned[y]  # only labels of classes the model learns can be doubted
    t = per_class_thresholds(proba, y, judging)
    counts = estimated_errors(confident_joint(proba, y, judging, t), y, judging)
    confident = prune_by_noise_rate(proba, y, judging, counts)
    margin = normalized_margin(proba, y)
    others = proba.copy()
    others[np.arange(len(y)), y] = -np.inf
    predicted = others.argmax(axis=1)
    ids, skipped = np.asarray(request.item_ids), int(judged.sum() - judging.sum())  # unjudged
    if 2 * agreeing < int(judged.sum()):  # too weak to tell label errors (``too_weak``)
        return SuspicionResult(ids, y, proba, t, judged, [], folds, 0, agreeing, unlearned, skipped)
    rows = np.flatnonzero(judging & ((margin < 0) | confident))
    # Strongest contradiction first; ties (rare with float probabilities) by self-confidence.
    rows = rows[np.lexsort((proba[rows, y[rows]], margin[rows]))]
    suspects = [
        Suspect(int(request.item_ids[r]), int(y[r]), int(predicted[r]),
                float(proba[r, predicted[r]]), float(proba[r, y[r]]), float(margin[r]),
                bool(confident[r]))
        for r in rows
    ]  # fmt: skip
    # an estimate above the labels the model contradicts read as nonsense ("about 84 are wrong"
    # beside "contradicts 71")
    estimate = min(int(counts.sum()), len(suspects))
    return SuspicionResult(ids, y, proba, t, judged, suspects, folds, estimate, agreeing,
                           unlearned, skipped)  # fmt: skip


LEARNED_MIN_LABELS = 5  # a class's labels are judged once it has this many...


def learned_classes(
    y: np.ndarray, judged: np.ndarray, agrees: np.ndarray, n_classes: int
) -> np.ndarray:
    """Classes whose labels the check may judge: at least LEARNED_MIN_LABELS, and the
    out-of-sample model agrees with most of them (confident learning needs each class's row of
    the noise matrix diagonally dominant). At 40 classes and ~4 labels each, a model right on
    52 % of them flagged 51 correct labels as confidently wrong."""
    n = np.bincount(y[judged], minlength=n_classes)
    agreed = np.bincount(y[judged & agrees], minlength=n_classes)
    return (n >= LEARNED_MIN_LABELS) & (2 * agreed > n)


def judged_labels(labels: Mapping[int, int], answers: Mapping[int, Event]) -> dict[int, int]:
    """The labels the doubtful-label check judges: every label but the model's own
    (auto-label), which agree with it by construction ("checked 771 labels" of 63 given).

    ``answers``: item id -> current answer (the session's in memory, or the store's).
    """
    from aldesk.core.review_rows import source_of

    return {i: c for i, c in labels.items() if source_of(answers[i]) != "model"}


def labelled_rows(
    labels: Mapping[int, int], class_ids: list[int], row_of: Mapping[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(item_ids, rows, y)`` of the labelled items that have features, in item-id order.

    Args:
        labels: Item id -> active class id (``ProjectStore.labels()``, merged classes resolved).
        class_ids: The project's classes in column order.
        row_of: Item id -> feature row.
    """
    index = {cid: k for k, cid in enumerate(class_ids)}
    kept = sorted(i for i, c in labels.items() if c in index and i in row_of)
    return (
        np.array(kept, dtype=np.int64),
        np.array([row_of[i] for i in kept], dtype=np.intp),
        np.array([index[labels[i]] for i in kept], dtype=np.intp),
    )
