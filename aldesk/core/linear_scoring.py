"""The fast scoring path of linear models: scaler + softmax folded into one float32 matmul.

A logistic regression after a StandardScaler is, in raw feature space, ``softmax(X @ W + b)``
with ``W = coef / scale`` and ``b = intercept - mean @ W``; scoring a float32 pool that way needs
no copy or upcast of the pool and one matrix product. Committees stack their members side by
side so the pool is read once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from aldesk.core.strategies.pool import margin_scores
from aldesk.core.threads import single_threaded

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

# Rows scored per block: small enough that two threads share the work evenly and the float32
# logits temporary stays in cache, large enough that per-block overhead is negligible.
SCORE_BLOCK = 4096
# Scoring threads at most: past a few, the pool's memory bandwidth is the limit.
MAX_THREADS = 4
# Fewer blocks than this per thread: starting threads costs more than it saves.
BLOCKS_PER_THREAD = 4


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


def softmax_blocks(
    scorer: LinearScorer, X: np.ndarray, groups: int = 1, margin: np.ndarray | None = None
) -> np.ndarray:
    """Softmax of the folded logits, computed block by block in float32, on every core.

    ``groups`` models stacked side by side (a committee) are scored in one pass over ``X``; each
    group of ``n_classes`` columns gets its own softmax. Each block is scored class-major,
    ``(classes, rows)``: the max/sum reductions then run across a few long contiguous rows,
    2-3x faster than along the short axis of ``(rows, classes)``.

    Blocks are independent, so threads (numpy releases the GIL in every step) take them in turn
    from a shared counter: a core busy with other work just takes fewer blocks. Each block is
    computed by the same code whichever thread runs it, so the result does not depend on the
    number of threads.

    Args:
        scorer: The folded model(s).
        X: Rows to score ``(n, d)``; float32 is read without a copy.
        groups: Models stacked side by side in ``scorer``.
        margin: Optional float32 ``(n,)`` filled with :func:`pool.margin_scores` of the
            probabilities (``groups == 1``), taken from each block while it is in cache:
            the same numbers, without a second pass over ``(n, classes)``.

    Returns:
        Float32 ``(groups, n, n_classes)``.
    """
    n = X.shape[0]
    n_classes = scorer.weights.shape[1] // groups
    out = np.empty((groups, n, n_classes), dtype=np.float32)
    weights = np.ascontiguousarray(scorer.weights)
    bias = scorer.bias.reshape(groups, n_classes, 1)

    def score(start: int) -> None:
        rows = np.asarray(X[start : start + SCORE_BLOCK], dtype=np.float32)
        # rows @ weights is OpenBLAS's faster orientation for this skinny product (~10 % less
        # CPU than weights.T @ rows.T); the small logits block is then made class-major.
        logits = rows @ weights
        block = np.ascontiguousarray(logits.T).reshape(groups, n_classes, -1)
        block += bias
        block -= block.max(axis=1, keepdims=True)
        np.exp(block, out=block)
        block /= block.sum(axis=1, keepdims=True)
        out[:, start : start + SCORE_BLOCK] = block.transpose(0, 2, 1)
        if margin is not None:
            # Class-major rows are contiguous columns of block[0].T: the fast top-two case.
            margin[start : start + SCORE_BLOCK] = margin_scores(block[0].T)

    # One BLAS thread per block: this skinny matmul is memory-bound, and OpenBLAS's own second
    # thread made it slower (73 vs 41 ms at 100k x 512) on the shared 2-core machine; the
    # threads here split the rows instead.
    with single_threaded("blas"):
        run_blocks(score, range(0, n, SCORE_BLOCK))
    return out


def scoring_threads(n_blocks: int) -> int:
    """Threads for ``n_blocks`` blocks: one per usable core, at most :data:`MAX_THREADS`, and
    only with :data:`BLOCKS_PER_THREAD` blocks each (a 10k pool scored faster on one thread)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_THREADS, n_blocks // BLOCKS_PER_THREAD))


def run_blocks(work: Callable[[int], None], starts: range) -> None:
    """``work(start)`` for every start, spread over :func:`scoring_threads` threads.

    The calling thread takes part; helper threads are joined before returning (an exception in
    any block is raised here after the others finish).
    """
    threads = scoring_threads(len(starts))
    if threads == 1:
        for start in starts:
            work(start)
        return
    pending = iter(starts)
    lock = threading.Lock()

    def drain() -> None:
        while True:
            with lock:
                start = next(pending, None)
            if start is None:
                return
            work(start)

    with ThreadPoolExecutor(threads - 1, thread_name_prefix="aldesk-score") as helpers:
        futures = [helpers.submit(drain) for _ in range(threads - 1)]
        drain()
        for future in futures:
            future.result()
