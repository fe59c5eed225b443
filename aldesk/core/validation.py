"""Cross-validated accuracy of the default model on the labels given so far.

Used on the training worker to choose the representation a round trains on
(:mod:`aldesk.core.representation`), and by the benchmarks to validate that choice.
"""

from __future__ import annotations

import numpy as np

from aldesk.core.learner import TrainingSnapshot, train


def cv_accuracy(
    X: np.ndarray,
    y: np.ndarray,
    feature_weights: np.ndarray | None = None,
    random_state: int = 0,
    folds: int = 3,
) -> float:
    """Cross-validated accuracy of the default model on the labels given so far.

    The mean of :func:`cv_correct` over the labels that were held out once (0.0 if none
    could be).
    """
    correct = cv_correct(X, y, feature_weights, random_state, folds)
    held_out = correct[~np.isnan(correct)]
    return float(held_out.mean()) if len(held_out) else 0.0


def cv_correct(
    X: np.ndarray,
    y: np.ndarray,
    feature_weights: np.ndarray | None = None,
    random_state: int = 0,
    folds: int = 3,
) -> np.ndarray:
    """Per label: 1.0 if the model trained without its fold predicts it right, else 0.0.

    Folds are stratified by hand: each class's labels are dealt round-robin (in a seeded
    order) into the folds, and a class with a single label only ever trains, so a rare class
    never makes the estimate fail. Keeping the outcome per label (rather than one accuracy)
    lets two candidates be compared on the same labels, with a standard error.

    Args:
        X: Labelled rows ``(n, d)``.
        y: Class indices ``(n,)``.
        feature_weights: As in :class:`TrainingSnapshot`.
        random_state: Seed for the fold assignment and the fits.
        folds: Number of folds.

    Returns:
        Float ``(n,)``: 1.0 / 0.0 per held-out label, NaN for a label never held out.
    """
    y = np.asarray(y, dtype=np.intp)
    fold = _stratified_folds(y, folds, random_state)
    n_classes = int(y.max()) + 1 if len(y) else 0
    correct = np.full(len(y), np.nan)
    for f in range(folds):
        test, train_rows = fold == f, fold != f
        if not test.any() or len(np.unique(y[train_rows])) < 2:
            continue
        snap = TrainingSnapshot(
            X[train_rows], y[train_rows], n_classes, random_state=random_state,
            feature_weights=feature_weights,
        )  # fmt: skip
        pred = train(snap).predict(np.asarray(X[test], dtype=np.float32))
        correct[test] = pred == y[test]
    return correct


def _stratified_folds(y: np.ndarray, folds: int, random_state: int) -> np.ndarray:
    """Fold index per row; -1 (always trained on) for classes with a single label."""
    rng = np.random.default_rng(random_state)
    fold = np.full(len(y), -1, dtype=np.intp)
    offset = 0
    for c in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == c))
        if len(rows) < 2:
            continue
        # Continue the deal where the previous class stopped, so small classes do not all
        # land in fold 0.
        fold[rows] = (offset + np.arange(len(rows))) % folds
        offset += len(rows)
    return fold
