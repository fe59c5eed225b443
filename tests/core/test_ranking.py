"""fit_and_rank: one round of training and ranking, as the training lane runs it."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification

from aldesk.core.learner import TrainingSnapshot
from aldesk.core.ranking import RankRequest, fit_and_rank, order_length
from aldesk.core.strategies import POOL_STRATEGIES, pool

N_CLASSES = 4


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_classification(
        n_samples=1500,
        n_features=16,
        n_informative=8,
        n_classes=3,
        n_clusters_per_class=1,
        random_state=0,
    )
    return X.astype(np.float32), y


def _request(X, y, *, n_labels=60, strategy="margin", k=1, labels=None, model="logreg"):
    labels = y[:n_labels] if labels is None else labels
    snapshot = TrainingSnapshot(X[:n_labels], labels, N_CLASSES, model=model)
    candidates = np.arange(n_labels, len(X))
    return RankRequest(snapshot, X, candidates, strategy, k, round=3, random_state=0)


@pytest.mark.parametrize("strategy", list(POOL_STRATEGIES))
def test_every_pool_strategy_ranks_candidates(data, strategy):
    X, y = data
    ranking = fit_and_rank(_request(X, y, strategy=strategy))
    assert ranking.strategy == strategy and ranking.round == 3
    assert len(ranking.order) == 200 == len(ranking.scores)
    assert len(set(ranking.order)) == 200
    assert ranking.order.min() >= 60  # only candidates, never labelled rows
    assert np.all(np.diff(ranking.scores) <= 1e-7)  # most informative first
    assert ranking.proba.shape == (len(X), N_CLASSES) and ranking.proba.dtype == np.float32
    assert np.all(ranking.proba[:, 3] == 0.0)
    assert ranking.fit_seconds >= 0 and ranking.rank_seconds >= 0


def test_margin_order_matches_the_margin_of_the_returned_proba(data):
    X, y = data
    ranking = fit_and_rank(_request(X, y))
    candidates = np.arange(60, len(X))
    expected = candidates[pool.top_k(pool.margin_scores(ranking.proba[candidates]), 200).indices]
    np.testing.assert_array_equal(ranking.order, expected)
    np.testing.assert_allclose(ranking.proba, ranking.model.predict_proba(X))


def test_qbc_trains_a_committee(data):
    X, y = data
    ranking = fit_and_rank(_request(X, y, strategy="qbc"))
    assert ranking.model.model == "committee"
    assert ranking.model.committee_proba(X[:2]).shape[0] > 1


def test_batch_first_k_are_diverse_then_order_continues_by_score(data):
    X, y = data
    k = 8
    ranking = fit_and_rank(_request(X, y, k=k))
    plain = fit_and_rank(_request(X, y, k=1))
    assert len(ranking.order) == order_length(len(X) - 60, k)
    assert set(ranking.order) == set(plain.order)  # same items, batch moved to the front
    assert ranking.order[0] == plain.order[0]
    assert not np.array_equal(ranking.order[:k], plain.order[:k])
    rest = ranking.scores[k:]
    assert np.all(np.diff(rest) <= 1e-7)


def test_batch_diverse_spreads_out_in_feature_space(data):
    X, y = data
    k = 8
    diverse = fit_and_rank(_request(X, y, k=k)).order[:k]
    plain = fit_and_rank(_request(X, y, k=1)).order[:k]

    def min_pairwise(rows):
        d = np.linalg.norm(X[rows, None] - X[None, rows], axis=-1)
        return d[np.triu_indices(len(rows), 1)].min()

    assert min_pairwise(diverse) > min_pairwise(plain)


def test_random_batches_stay_uniform_random(data):
    # A batch of random picks is not thinned for diversity: that would favour outliers, and
    # random is the baseline the other strategies are judged against.
    X, y = data
    ranking = fit_and_rank(_request(X, y, strategy="random", k=10))
    candidates = np.arange(60, len(X))
    scores = np.random.default_rng(0).random(len(candidates)).astype(np.float32)
    np.testing.assert_array_equal(ranking.order, candidates[pool.top_k(scores, 200).indices])


def test_order_length_rule():
    assert order_length(10_000, 1) == 200
    assert order_length(10_000, 50) == 500
    assert order_length(30, 5) == 30


def test_single_class_falls_back_to_the_seed_strategy(data):
    X, y = data
    ranking = fit_and_rank(_request(X, y, n_labels=5, labels=np.zeros(5, dtype=int)))
    assert ranking.strategy == "representative"
    assert len(ranking.order) == 200 and len(set(ranking.order)) == 200
    assert ranking.order.min() >= 5
    np.testing.assert_array_equal(ranking.proba[:, 0], 1.0)


def test_no_labels_falls_back_to_seed_and_random_seed_is_honoured(data):
    X, y = data
    empty = np.zeros(0, dtype=int)
    ranking = fit_and_rank(_request(X, y, n_labels=0, labels=empty, strategy="random"))
    assert ranking.strategy == "random"
    assert len(ranking.order) == 200


def test_should_stop_after_fit_returns_none(data):
    X, y = data
    calls = []

    def should_stop():
        calls.append(1)
        return len(calls) >= 2  # false before the fit, true after it

    assert fit_and_rank(_request(X, y), should_stop=should_stop) is None
    assert len(calls) == 2


def test_unknown_strategy_is_refused(data):
    X, y = data
    with pytest.raises(ValueError, match="unknown strategy"):
        fit_and_rank(_request(X, y, strategy="oracle"))


def test_few_candidates_rank_them_all(data):
    X, y = data
    snapshot = TrainingSnapshot(X[:60], y[:60], N_CLASSES)
    request = RankRequest(snapshot, X, np.array([100, 7, 900]), "entropy", 2, 0, 0)
    ranking = fit_and_rank(request)
    assert sorted(ranking.order) == [7, 100, 900]


def test_no_candidates_give_an_empty_order(data):
    X, y = data
    snapshot = TrainingSnapshot(X[:60], y[:60], N_CLASSES)
    for labels_snapshot in (snapshot, TrainingSnapshot(X[:0], y[:0], N_CLASSES)):
        request = RankRequest(labels_snapshot, X, np.zeros(0, dtype=np.intp), "margin", 5, 0, 0)
        ranking = fit_and_rank(request)
        assert len(ranking.order) == 0 and ranking.proba.shape == (len(X), N_CLASSES)


def _adaptive_request(X, y, labels: np.ndarray, k: int, seed: int) -> RankRequest:
    from aldesk.core.representation import Layout

    rows = np.arange(len(y))
    return RankRequest(
        snapshot=TrainingSnapshot(X[rows[:60]], labels, 4),
        X_pool=X,
        candidates=rows[60:],
        strategy="adaptive",
        k=k,
        random_state=seed,
        layout=Layout({"pool": (0, X.shape[1])}),
    )


def _uncertain_share(X, y, labels, seeds=range(6)) -> float:
    """Mean count, of each first batch of 5, among the 25 most uncertain candidates."""
    counts = []
    for seed in seeds:
        ranking = fit_and_rank(_adaptive_request(X, y, labels, k=5, seed=seed))
        top = set(pool.top_k(pool.margin_scores(ranking.proba[60:]), 25).indices + 60)
        counts.append(len(set(ranking.order[:5]) & top))
        assert len(set(ranking.order[:5])) == 5
    return float(np.mean(counts))


def test_adaptive_follows_margin_when_the_model_is_skilled(data):
    X, y = data
    assert fit_and_rank(_adaptive_request(X, y, y[:60], k=5, seed=0)).choice.accuracy() > 0.8
    assert _uncertain_share(X, y, y[:60]) >= 3.5  # skill ~0.8: about 4 of 5 follow margin


def test_adaptive_explores_at_random_when_the_model_is_at_chance(data):
    X, y = data
    shuffled = np.random.default_rng(1).permutation(y[:60])  # labels unrelated to features
    assert _uncertain_share(X, y, shuffled) < 2.5  # mostly random picks


def test_a_diverse_batch_ignores_the_block_the_model_does_not_use(data):
    # The pool matrix holds a second, noisy block; the model is pinned to the first. The batch
    # must be the one chosen without the noise: diversity is judged where the model looks.
    from aldesk.core.representation import Layout

    X, y = data
    noise = np.random.default_rng(5).normal(size=(len(X), 40)).astype(np.float32) * 10
    wide = np.hstack([X, noise])
    d = X.shape[1]

    def rank(matrix, layout):
        request = _request(matrix, y, k=8)
        return fit_and_rank(
            RankRequest(
                request.snapshot, matrix, request.candidates, "margin", 8, round=3,
                random_state=0, layout=layout, representation="pool",
            )
        )  # fmt: skip

    narrow = rank(X, Layout({"pool": (0, d)}))
    both = rank(wide, Layout({"pool": (0, d), "pretrained": (d, d + 40)}))
    assert both.choice.name == "pool"
    np.testing.assert_array_equal(both.order, narrow.order)
