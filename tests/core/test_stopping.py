"""Stopping criteria fire when they should, stay quiet otherwise, and explain themselves."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from aldesk.core.evaluation import compute_metrics
from aldesk.core.stopping import (
    StoppingConfig,
    cohen_kappa,
    evaluate_all,
    label_budget,
    max_uncertainty,
    pool_coverage,
    stabilizing_predictions,
    target_accuracy,
)


def test_label_budget():
    assert not label_budget(99, 100).stop
    advice = label_budget(100, 100)
    assert advice.stop and "100 of 100" in advice.reason


def test_pool_coverage():
    assert not pool_coverage(49, 100, 0.5).stop
    advice = pool_coverage(50, 100, 0.5)
    assert advice.stop and "50%" in advice.reason


def _metrics(n_correct: int, n: int):
    y_true = np.zeros(n, dtype=int)
    y_pred = np.where(np.arange(n) < n_correct, 0, 1)
    return compute_metrics(y_true, y_pred, 2)


def test_target_accuracy_fires_when_reached():
    advice = target_accuracy(_metrics(95, 100), 0.9)
    assert advice.stop and "95.0%" in advice.reason and "interval" in advice.reason


def test_target_accuracy_waits_below_target():
    assert not target_accuracy(_metrics(80, 100), 0.9).stop


def test_target_accuracy_waits_for_enough_test_items():
    advice = target_accuracy(_metrics(10, 10), 0.9, min_test_items=30)
    assert not advice.stop and "10 test items" in advice.reason
    before = target_accuracy(None, 0.9)  # no model yet, whatever the test labels given
    assert not before.stop and "No model has been measured" in before.reason
    assert "Only 0" not in before.reason  # said while 7 of 30 test items were labeled


def test_cohen_kappa_matches_sklearn_and_handles_constant_predictions():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, 200)
    b = np.where(rng.random(200) < 0.8, a, rng.integers(0, 4, 200))
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))
    assert cohen_kappa(np.ones(5, int), np.ones(5, int)) == 1.0


def _history(kappa_like_changes: list[int], n: int = 500) -> list[np.ndarray]:
    """Predictions per round; round i flips ``changes[i-1]`` items of the previous round."""
    rng = np.random.default_rng(0)
    rounds = [rng.integers(0, 3, n)]
    for changes in kappa_like_changes:
        nxt = rounds[-1].copy()
        nxt[:changes] = (nxt[:changes] + 1) % 3
        rounds.append(nxt)
    return rounds


def test_stabilizing_predictions_fires_after_three_stable_rounds():
    advice = stabilizing_predictions(_history([100, 0, 1, 0]), 0.99, 3)
    assert advice.stop and "3 rounds" in advice.reason


def test_stabilizing_predictions_needs_consecutive_stable_rounds():
    # Stable, then a big change, then two stable rounds: only 2 in a row.
    advice = stabilizing_predictions(_history([0, 0, 100, 0, 0]), 0.99, 3)
    assert not advice.stop and "last 2 of the 3 rounds in a row" in advice.reason
    # A change in the last round: the count starts again, and the reason says so.
    advice = stabilizing_predictions(_history([0, 0, 100]), 0.99, 3)
    assert not advice.stop and "still changing" in advice.reason and "kappa 0.69" in advice.reason


def test_stabilizing_predictions_is_quiet_with_too_little_history():
    assert not stabilizing_predictions(_history([]), 0.99, 3).stop
    assert not stabilizing_predictions(_history([0, 0]), 0.99, 3).stop


def test_max_uncertainty():
    confident = np.array([[0.97, 0.03], [0.02, 0.98]], dtype=np.float32)
    assert max_uncertainty(confident, 0.05).stop
    unsure = np.vstack([confident, [[0.6, 0.4]]])
    advice = max_uncertainty(unsure, 0.05)
    assert not advice.stop and "0.40" in advice.reason


def test_evaluate_all_stops_when_any_configured_criterion_fires():
    config = StoppingConfig(label_budget=100, pool_fraction=0.5, stable_kappa=None)
    advice = evaluate_all(config, n_labeled=100, n_pool=1000)
    assert advice.stop and "budget" in advice.reason
    assert [a.stop for a in advice.criteria] == [True, False]


def test_evaluate_all_continues_when_nothing_fires_and_ignores_unconfigured():
    config = StoppingConfig(label_budget=500, stable_kappa=0.99, max_uncertainty=0.05)
    advice = evaluate_all(
        config,
        n_labeled=10,
        n_pool=1000,
        stop_set_history=_history([0, 0, 0, 0]),
        pool_proba=np.array([[0.5, 0.5]]),
    )
    assert advice.stop  # predictions stable for 4 rounds
    config = StoppingConfig(label_budget=500, stable_kappa=None, max_uncertainty=0.05)
    advice = evaluate_all(config, n_labeled=10, n_pool=1000, pool_proba=np.array([[0.5, 0.5]]))
    assert not advice.stop and len(advice.criteria) == 2


def test_evaluate_all_without_criteria_says_so():
    advice = evaluate_all(StoppingConfig(stable_kappa=None), n_labeled=0, n_pool=10)
    assert not advice.stop and "No stopping criterion" in advice.reason


def test_stopping_config_round_trips_through_json_and_ignores_unknown_keys():
    config = StoppingConfig(label_budget=200, target_accuracy=0.9)
    data = json.loads(json.dumps(config.to_dict()))
    data["from_the_future"] = 1
    assert StoppingConfig.from_dict(data) == config
