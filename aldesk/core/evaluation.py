"""Held-out test metrics with confidence intervals, and learning-curve points.

Test sets in an active-learning session are small (tens to a few hundred items), so every
number comes with a 95% interval: Wilson's score interval for accuracy (well-behaved near 0 and 1
and for small n, unlike the normal approximation) and a percentile bootstrap for macro F1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

_Z95 = 1.959963984540054
_BOOTSTRAP_ROUNDS = 1000
# Bootstrap resamples are drawn in chunks to bound memory at (chunk, pairs) counts.
_BOOTSTRAP_CHUNK = 200


@dataclass(frozen=True)
class Metrics:
    """Test-set quality of one model.

    Attributes:
        n: Number of test items.
        accuracy: Share of correct predictions (``nan`` without test items).
        accuracy_ci: Wilson 95% interval of the accuracy.
        macro_f1: Unweighted mean F1 over the classes present in truth or predictions.
        macro_f1_ci: Percentile-bootstrap 95% interval of the macro F1.
    """

    n: int
    accuracy: float
    accuracy_ci: tuple[float, float]
    macro_f1: float
    macro_f1_ci: tuple[float, float]


@dataclass(frozen=True)
class LearningCurvePoint:
    """Quality after ``n_labels`` labels, at model ``round``."""

    n_labels: int
    round: int
    metrics: Metrics


def wilson_interval(successes: int, n: int, z: float = _Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    Args:
        successes: Number of successes.
        n: Number of trials; with ``n == 0`` nothing is known and the interval is ``(0, 1)``.
        z: Normal quantile; the default gives a 95% interval.

    Returns:
        ``(low, high)`` within ``[0, 1]``.
    """
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At p = 0 or 1 one bound is exactly 0 or 1; rounding would otherwise leave 0.9999999...
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> float:
    """Macro-averaged F1 over the classes that occur in ``y_true`` or ``y_pred``.

    Classes absent from both have no defined F1 and are left out of the average (as
    scikit-learn does when ``labels`` is not given).
    """
    return float(_macro_f1_batch(np.asarray(y_true)[None], np.asarray(y_pred)[None], n_classes)[0])


def compute_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    n_classes: int,
    random_state: int | None = 0,
    n_bootstrap: int = _BOOTSTRAP_ROUNDS,
) -> Metrics:
    """Accuracy and macro F1 on the test items, each with a 95% interval.

    Args:
        y_true: True class indices of the test items.
        y_pred: Predicted class indices, aligned with ``y_true``.
        n_classes: Number of project classes.
        random_state: Seed of the bootstrap.
        n_bootstrap: Bootstrap resamples for the macro-F1 interval.

    Returns:
        The metrics; with no test items, point values are ``nan`` and intervals ``(0, 1)``.
    """
    y_true = np.asarray(y_true, dtype=np.intp)
    y_pred = np.asarray(y_pred, dtype=np.intp)
    n = len(y_true)
    if n == 0:
        return Metrics(0, math.nan, (0.0, 1.0), math.nan, (0.0, 1.0))
    correct = int((y_true == y_pred).sum())
    f1_ci = _bootstrap_f1_ci(y_true, y_pred, n_classes, random_state, n_bootstrap)
    return Metrics(
        n, correct / n, wilson_interval(correct, n), macro_f1(y_true, y_pred, n_classes), f1_ci
    )


def learning_curve_point(
    n_labels: int,
    round: int,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    n_classes: int,
    random_state: int | None = 0,
) -> LearningCurvePoint:
    """One point of the learning curve: test metrics of the model trained on ``n_labels``."""
    return LearningCurvePoint(
        n_labels, round, compute_metrics(y_true, y_pred, n_classes, random_state)
    )


def _bootstrap_f1_ci(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    n_classes: int,
    random_state: int | None,
    n_bootstrap: int,
) -> tuple[float, float]:
    """Percentile-bootstrap 95% interval of the macro F1 (resampling test items).

    Resampling n items with replacement only changes how often each (true, predicted) pair
    occurs: the pair counts of a resample are multinomial over the pairs seen, with their
    observed shares. Drawing those counts costs O(pairs) per resample instead of O(n) (1,000
    test items: 34 ms -> ~2 ms on the GUI thread as a round is applied); same distribution.
    """
    rng = np.random.default_rng(random_state)
    n = len(y_true)
    pairs, seen = np.unique(y_true * n_classes + y_pred, return_counts=True)
    truth, pred = pairs // n_classes, pairs % n_classes
    values = []
    for start in range(0, n_bootstrap, _BOOTSTRAP_CHUNK):
        size = min(_BOOTSTRAP_CHUNK, n_bootstrap - start)
        counts = rng.multinomial(n, seen / n, size=size)  # (size, pairs)
        values.append(_macro_f1_of_counts(counts, truth, pred, n_classes))
    low, high = np.percentile(np.concatenate(values), [2.5, 97.5])
    return (float(low), float(high))


def _macro_f1_of_counts(
    counts: np.ndarray, truth: np.ndarray, pred: np.ndarray, n_classes: int
) -> np.ndarray:
    """Macro F1 of each row of ``(b, pairs)`` pair counts (pair j: ``truth[j]`` predicted as
    ``pred[j]``)."""
    eye = np.eye(n_classes)
    tp = counts @ (eye[truth] * (truth == pred)[:, None])
    true_count, pred_count = counts @ eye[truth], counts @ eye[pred]
    present = (true_count + pred_count) > 0
    # F1 = 2 TP / (|true| + |predicted|); a class in only one of them scores 0.
    f1 = np.divide(2.0 * tp, true_count + pred_count, out=np.zeros_like(tp), where=present)
    return f1.sum(axis=1) / np.maximum(present.sum(axis=1), 1)


def _macro_f1_batch(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Macro F1 of each row of ``(b, n)`` label arrays, vectorised over rows."""
    b = y_true.shape[0]
    offsets = (np.arange(b) * n_classes)[:, None]
    size = b * n_classes
    hits = y_true == y_pred
    tp = np.bincount((y_true + offsets)[hits], minlength=size).reshape(b, n_classes)
    true_count = np.bincount((y_true + offsets).ravel(), minlength=size).reshape(b, n_classes)
    pred_count = np.bincount((y_pred + offsets).ravel(), minlength=size).reshape(b, n_classes)
    present = (true_count + pred_count) > 0
    # F1 = 2 TP / (|true| + |predicted|); a class in only one of them scores 0.
    f1 = np.divide(2.0 * tp, true_count + pred_count, out=np.zeros((b, n_classes)), where=present)
    return f1.sum(axis=1) / np.maximum(present.sum(axis=1), 1)
