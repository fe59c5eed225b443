"""The fast scoring path of linear models: scaler + softmax folded into one float32 matmul.

A logistic regression after a StandardScaler is, in raw feature space, ``softmax(X @ W + b)``
with ``W = coef / scale`` and ``b = intercept - mean @ W``; scoring a float32 pool that way needs
no copy or upcast of the pool and one matrix product. Committees stack their members side by
side so the pool is read once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from aldesk.core.threads import single_threaded

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

# Rows scored per block: keeps the float32 logits temporary small for huge pools.
SCORE_BLOCK = 65536


@dataclass(frozen=True, eq=False)
class LinearScorer:
    """A softmax-linear model folded into raw feature space.

    ``proba = softmax(X @ weights + bias)``; unseen classes have bias ``-inf`` so their
    probability is exactly zero.
    """

    weights: np.ndarray  # float32 (d, n_classes)
    bias: np.ndarray  # float32 (n_classes,)


def fold_linear(
    estimator: Pipeline | None, classes: np.ndarray, n_classes: int
) -> LinearScorer | None:
    """Fold scaler + logistic regression into one raw-space :class:`LinearScorer`."""
    if estimator is None:
        return None
    return _fold(estimator.named_steps["scale"], estimator.named_steps["clf"], classes, n_classes)


def fold_committee(
    estimator: Pipeline | None, classes: np.ndarray, n_classes: int
) -> list[LinearScorer] | None:
    """Fold every bagged logistic regression; members may have seen only some classes."""
    if estimator is None:
        return None
    scaler, bagging = estimator.named_steps["scale"], estimator.named_steps["clf"]
    members = []
    for member, features in zip(bagging.estimators_, bagging.estimators_features_, strict=True):
        if len(features) != scaler.n_features_in_:
            raise ValueError("committee members must see every feature")
        # Bagging encodes y as positions in bagging.classes_; map back to project classes.
        member_classes = bagging.classes_[member.classes_]
        members.append(_fold(scaler, member, member_classes, n_classes))
    return members


def stack(scorers: list[LinearScorer]) -> LinearScorer:
    """Scorers side by side: columns ``[m * C, (m + 1) * C)`` belong to member ``m``."""
    return LinearScorer(
        np.concatenate([s.weights for s in scorers], axis=1),
        np.concatenate([s.bias for s in scorers]),
    )


def _fold(
    scaler: StandardScaler, clf: LogisticRegression, classes: np.ndarray, n_classes: int
) -> LinearScorer:
    """Raw-space softmax weights of ``clf`` applied after ``scaler``."""
    coef = np.asarray(clf.coef_, dtype=np.float64)
    intercept = np.asarray(clf.intercept_, dtype=np.float64)
    if len(classes) == 1:
        coef, intercept = np.zeros((1, coef.shape[1])), np.zeros(1)
    elif coef.shape[0] == 1:
        # Binary: sigmoid(z) is the softmax of logits [0, z].
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.array([0.0, intercept[0]])
    W_std = coef.T / scaler.scale_[:, None]
    weights = np.zeros((coef.shape[1], n_classes))
    weights[:, classes] = W_std
    bias = np.full(n_classes, -np.inf)
    bias[classes] = intercept - scaler.mean_ @ W_std
    return LinearScorer(weights.astype(np.float32), bias.astype(np.float32))


def softmax_blocks(scorer: LinearScorer, X: np.ndarray, groups: int = 1) -> np.ndarray:
    """Softmax of the folded logits, computed block by block in float32.

    ``groups`` models stacked side by side (a committee) are scored in one pass over ``X``; each
    group of ``n_classes`` columns gets its own softmax. Each block is scored class-major,
    ``(classes, rows)``: the max/sum reductions then run across a few long contiguous rows,
    2-3x faster than along the short axis of ``(rows, classes)``.

    Returns:
        Float32 ``(groups, n, n_classes)``.
    """
    n = X.shape[0]
    n_classes = scorer.weights.shape[1] // groups
    out = np.empty((groups, n, n_classes), dtype=np.float32)
    weights_t = np.ascontiguousarray(scorer.weights.T)
    bias = scorer.bias.reshape(groups, n_classes, 1)
    # One BLAS thread: this skinny matmul is memory-bound, and a second OpenBLAS thread made it
    # slower (73 vs 41 ms at 100k x 512) on the shared 2-core machine.
    with single_threaded("blas"):
        for start in range(0, n, SCORE_BLOCK):
            rows = np.asarray(X[start : start + SCORE_BLOCK], dtype=np.float32)
            block = (weights_t @ rows.T).reshape(groups, n_classes, -1)
            block += bias
            block -= block.max(axis=1, keepdims=True)
            np.exp(block, out=block)
            block /= block.sum(axis=1, keepdims=True)
            out[:, start : start + SCORE_BLOCK] = block.transpose(0, 2, 1)
    return out
