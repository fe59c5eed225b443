"""Test metrics: Wilson intervals, macro F1 and its bootstrap interval."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import f1_score

from aldesk.core.evaluation import (
    compute_metrics,
    learning_curve_point,
    macro_f1,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),  # Newcombe (1998), Table I
        (15, 148, 0.0624, 0.1605),  # Newcombe (1998), Table I
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
    ],
)
def test_wilson_interval_known_values(successes, n, low, high):
    lo, hi = wilson_interval(successes, n)
    assert lo == pytest.approx(low, abs=1e-4)
    assert hi == pytest.approx(high, abs=1e-4)


def test_wilson_interval_without_items_is_uninformative():
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_macro_f1_matches_sklearn():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 300)
    y_pred = np.where(rng.random(300) < 0.6, y_true, rng.integers(0, 5, 300))
    assert macro_f1(y_true, y_pred, 6) == pytest.approx(f1_score(y_true, y_pred, average="macro"))


def test_metrics_values_and_intervals():
    y_true = np.array([0] * 50 + [1] * 50)
    y_pred = y_true.copy()
    y_pred[:10] = 1  # 90 of 100 correct
    metrics = compute_metrics(y_true, y_pred, 3, random_state=0)
    assert metrics.n == 100
    assert metrics.accuracy == pytest.approx(0.9)
    assert metrics.accuracy_ci == pytest.approx(wilson_interval(90, 100))
    assert metrics.macro_f1 == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    low, high = metrics.macro_f1_ci
    assert low < metrics.macro_f1 < high
    assert 0.02 < high - low < 0.25


def test_bootstrap_interval_is_reproducible_and_seeded():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 3, 80)
    y_pred = np.where(rng.random(80) < 0.7, y_true, rng.integers(0, 3, 80))
    a = compute_metrics(y_true, y_pred, 3, random_state=5)
    b = compute_metrics(y_true, y_pred, 3, random_state=5)
    c = compute_metrics(y_true, y_pred, 3, random_state=6)
    assert a.macro_f1_ci == b.macro_f1_ci
    assert a.macro_f1_ci != c.macro_f1_ci


def test_empty_test_set_gives_nan_and_full_intervals():
    metrics = compute_metrics(np.zeros(0, int), np.zeros(0, int), 3)
    assert metrics.n == 0 and math.isnan(metrics.accuracy) and metrics.accuracy_ci == (0.0, 1.0)


def test_learning_curve_point_carries_labels_round_and_metrics():
    point = learning_curve_point(40, 7, np.array([0, 1, 1]), np.array([0, 1, 0]), 2)
    assert (point.n_labels, point.round) == (40, 7)
    assert point.metrics.accuracy == pytest.approx(2 / 3)


def _item_bootstrap(y_true, y_pred, n_classes, b, seed):
    """The textbook bootstrap: resample the test items themselves."""
    from aldesk.core.evaluation import macro_f1

    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(y_true), size=(b, len(y_true)))
    values = [macro_f1(y_true[i], y_pred[i], n_classes) for i in idx]
    return np.percentile(values, [2.5, 97.5])


@pytest.mark.parametrize("n, k, skill", [(60, 3, 0.7), (400, 6, 0.8), (1000, 10, 0.9)])
def test_the_pair_count_bootstrap_matches_resampling_the_items(n, k, skill):
    rng = np.random.default_rng(n)
    y_true = rng.integers(0, k, n)
    y_pred = np.where(rng.random(n) < skill, y_true, rng.integers(0, k + 1, n))
    got = compute_metrics(y_true, y_pred, k + 1, random_state=3, n_bootstrap=4000).macro_f1_ci
    ref = _item_bootstrap(y_true, y_pred, k + 1, 4000, 4)
    assert got == pytest.approx(tuple(ref), abs=0.012)  # Monte Carlo error of 4,000 draws


def test_f1_of_the_observed_pair_counts_is_the_macro_f1():
    from aldesk.core.evaluation import _macro_f1_of_counts

    rng = np.random.default_rng(2)
    y_true = rng.integers(0, 5, 200)
    y_pred = np.where(rng.random(200) < 0.6, y_true, rng.integers(0, 6, 200))
    pairs, seen = np.unique(y_true * 7 + y_pred, return_counts=True)
    f1 = _macro_f1_of_counts(seen[None, :], pairs // 7, pairs % 7, 7)[0]
    assert f1 == pytest.approx(f1_score(y_true, y_pred, average="macro"))
