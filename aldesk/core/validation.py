"""Cross-validated accuracy of the default model on the labels given so far.

Used on the training worker to choose the representation a round trains on
(:mod:`aldesk.core.representation`), and by the benchmarks to validate that choice.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from aldesk.core.learner import TrainingSnapshot, train

# Up to this many labels the representation choice's 3-fold split is made twice, with two
# seeds, and the accuracies averaged: one split of a few hundred labels picks another winner
# from the same labels often enough to cost accuracy (benchmarks/README.md, twenty-first
# session), and fits of so few labels are cheap. Above it one split's noise is small.
CV_TWICE_UP_TO = 1000
# The second split is seeded this far from the first (a prime: no other seed of a round is).
SECOND_SPLIT = 7919


def choice_scorer(random_state: int) -> Callable[[np.ndarray, np.ndarray, np.ndarray], float]:
    """How the representation choice scores a candidate, ``score(X, y, weights)``: the
    cross-validated accuracy of the rounds' model, over two fold splits up to
    ``CV_TWICE_UP_TO`` labels."""

    def score(X: np.ndarray, y: np.ndarray, weights: np.ndarray) -> float:
        seeds = [random_state]
        if len(y) <= CV_TWICE_UP_TO:
            seeds.append(random_state + SECOND_SPLIT)
        return float(np.mean([cv_accuracy(X, y, weights, random_state=s) for s in seeds]))

    return score


def cv_accuracy(
    X: np.ndarray,
    y: np.ndarray,
    feature_weights: np.ndarray | None = None,
    random_state: int = 0,
    folds: int = 3,
) -> float:
    """Cross-validated accuracy of the default model on the labels given so far.

    Folds are stratified by hand: each class's labels are dealt round-robin (in a seeded
    order) into the folds, and a class with a single label only ever trains, so a rare class
    never makes the estimate fail. The held-out predictions of all folds are pooled.

    Args:
        X: Labelled rows ``(n, d)``.
        y: Class indices ``(n,)``.
        feature_weights: As in :class:`TrainingSnapshot`.
        random_state: Seed for the fold assignment and the fits.
        folds: Number of folds.

    Returns:
        Accuracy in ``[0, 1]`` over every label that was held out once (0.0 if none could be).
    """
    y = np.asarray(y, dtype=np.intp)
    fold = _stratified_folds(y, folds, random_state)
    n_classes = int(y.max()) + 1 if len(y) else 0
    hits = total = 0
    for f in range(folds):
        test, train_rows = fold == f, fold != f
        if not test.any() or len(np.unique(y[train_rows])) < 2:
            continue
        snap = TrainingSnapshot(
            X[train_rows], y[train_rows], n_classes, random_state=random_state,
            feature_weights=feature_weights,
        )  # fmt: skip
        pred = train(snap).predict(np.asarray(X[test], dtype=np.float32))
        hits += int((pred == y[test]).sum())
        total += int(test.sum())
    return hits / total if total else 0.0


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
