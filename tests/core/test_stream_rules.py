"""Stream-based selective sampling rules on hand-made probability streams: the fixed, the
variable (Žliobaitė et al.) and the quantile threshold the app uses."""

from __future__ import annotations

import json

import numpy as np
import pytest

from aldesk.core.strategies.stream import (
    FixedUncertainty,
    QuantileUncertainty,
    VariableUncertainty,
    stream_strategy_from_dict,
)


def test_fixed_uncertainty_queries_below_the_threshold_and_discards_above():
    strategy = FixedUncertainty(threshold=0.7)
    unsure = strategy.decide(np.array([0.6, 0.4]))
    sure = strategy.decide(np.array([0.9, 0.1]))
    assert unsure.query and not sure.query
    assert unsure.score == pytest.approx(0.6) and unsure.threshold == 0.7
    assert (strategy.n_seen, strategy.n_queried) == (2, 1)


def _dirichlet_stream(n: int, seed_: int) -> np.ndarray:
    return np.random.default_rng(seed_).dirichlet(np.full(4, 0.7), size=n).astype(np.float32)


def test_variable_uncertainty_spends_the_budget_on_the_least_confident_items():
    stream = _dirichlet_stream(20000, 0)
    strategy = VariableUncertainty(budget_fraction=0.1, step=0.01)
    decisions = [strategy.decide(row) for row in stream]
    queried = np.array([d.query for d in decisions])
    confidence = stream.max(axis=1)
    assert 0.09 <= queried.mean() <= 0.101
    # The threshold adapted: queries went to clearly less confident items than average, which a
    # budget gate alone (querying whatever arrives while under budget) would not achieve.
    assert confidence[queried].mean() < confidence.mean() - 0.08
    assert np.mean(confidence[queried] < np.median(confidence)) > 0.8
    assert strategy.threshold < 1.0


def test_variable_uncertainty_threshold_moves_as_in_the_paper():
    strategy = VariableUncertainty(budget_fraction=1.0, step=0.1, initial_threshold=0.5)
    assert strategy.decide(np.array([0.4, 0.6])).query is False  # confidence 0.6 >= 0.5
    assert strategy.threshold == pytest.approx(0.55)  # raised by (1 + s)
    assert strategy.decide(np.array([0.5, 0.5])).query is True  # 0.5 < 0.55
    assert strategy.threshold == pytest.approx(0.495)  # lowered by (1 - s)


def test_variable_uncertainty_never_exceeds_the_budget_on_an_uncertain_stream():
    strategy = VariableUncertainty(budget_fraction=0.05)
    for _ in range(1000):
        strategy.decide(np.array([0.5, 0.5]))
    assert strategy.spent_fraction <= 0.05 + 1e-9


def test_stream_state_round_trips_through_json():
    strategy = VariableUncertainty(budget_fraction=0.2, step=0.02, initial_threshold=0.9)
    for row in _dirichlet_stream(50, 1):
        strategy.decide(row)
    restored = stream_strategy_from_dict(json.loads(json.dumps(strategy.to_dict())))
    assert restored == strategy
    fixed = FixedUncertainty(0.8, n_seen=3, n_queried=1)
    assert stream_strategy_from_dict(json.loads(json.dumps(fixed.to_dict()))) == fixed


@pytest.mark.parametrize("n", [60, 150, 2000])
def test_the_quantile_rule_asks_the_least_confident_arrivals_of_a_short_stream(n):
    """The adaptive rule a project gets. The paper's variable threshold starts at 1 and moves
    1 % a step, and passes over everything while the share is at the budget: on a stream of a
    hundred clips it asked 98 %-sure ones and passed over 26 %-sure ones."""
    for seed_ in range(3):
        stream = _dirichlet_stream(n, seed_)
        confidence = stream.max(axis=1)
        lowest = set(np.argsort(confidence)[: int(0.2 * n)].tolist())
        rules = QuantileUncertainty(0.2), VariableUncertainty(0.2)
        asked = [{k for k, row in enumerate(stream) if rule.decide(row).query} for rule in rules]
        share = len(asked[0]) / n
        assert 0.15 <= share <= 0.26
        recall = [len(a & lowest) / len(lowest) for a in asked]
        assert recall[0] >= 0.75 and recall[0] > recall[1] + 0.3


def test_the_quantile_rule_asks_a_very_uncertain_arrival_just_after_another():
    rule = QuantileUncertainty(0.2)
    for top in np.random.default_rng(0).uniform(0.85, 0.95, 40):  # a model sure of most
        rule.decide(np.array([top, 1 - top]))
    assert rule.decide(np.array([0.3, 0.35, 0.35])).query
    assert rule.decide(np.array([0.34, 0.33, 0.33])).query  # right after: asked too
    assert not rule.decide(np.array([0.92, 0.08])).query


def test_a_run_of_sure_arrivals_is_not_passed_over_whole():
    """Birds arriving species by species: 23 of a species the model had no label of, each as
    sure to it as the last (it called them the nearest species it knew), were all passed over."""
    rule = QuantileUncertainty(0.2)
    rng = np.random.default_rng(0)
    for top in rng.uniform(0.5, 0.8, 50):  # a model unsure of much
        rule.decide(np.array([top, 1 - top]))
    run = [rule.decide(np.array([top, 1 - top])) for top in rng.uniform(0.95, 0.999, 60)]
    forced = [k for k, d in enumerate(run) if d.run]
    asked = [k for k, d in enumerate(run) if d.query]
    assert len(forced) >= 2 and set(forced) <= set(asked)
    assert max(np.diff([-1, *asked, len(run)])) <= rule.max_run + 1  # never a longer gap
    assert not any(d.query and not d.run for d in run[: forced[0]])  # the threshold's own: none
    assert rule.max_run == 15 and QuantileUncertainty(0.05).max_run == 60
    assert stream_strategy_from_dict(json.loads(json.dumps(rule.to_dict()))) == rule


def test_the_quantile_rule_stays_near_its_budget_on_an_uncertain_stream():
    rule = QuantileUncertainty(budget_fraction=0.05)
    for _ in range(1000):
        rule.decide(np.array([0.5, 0.5]))  # every arrival equally uncertain
    assert rule.spent_fraction <= 0.05 + 1 / 50


def test_the_quantile_rule_round_trips_and_a_saved_variable_rule_carries_on_in_it():
    rule = QuantileUncertainty(0.2)
    for row in _dirichlet_stream(70, 2):
        rule.decide(row)
    assert len(rule.recent) == rule.window
    assert stream_strategy_from_dict(json.loads(json.dumps(rule.to_dict()))) == rule
    old = VariableUncertainty(0.2, n_seen=30, n_queried=6, threshold=0.7).to_dict()
    carried = QuantileUncertainty.from_dict(old)
    assert (carried.n_seen, carried.n_queried, carried.threshold) == (30, 6, None)
