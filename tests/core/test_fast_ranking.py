"""The fast ranking paths give what the straightforward computation gives.

Row blocks scored on several threads, the folded scaler, and TypiClust gathering only its
subsample are all checked against plain scikit-learn / numpy on random data (no timing here:
speed is measured in benchmarks/bench_rank.py).
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from aldesk.core import linear_scoring
from aldesk.core.learner import TrainingSnapshot, train
from aldesk.core.ranking import RankRequest, fit_and_rank, order_length
from aldesk.core.strategies import pool, typical

N_CLASSES = 5
TOLERANCE = 1e-5


@pytest.fixture
def many_blocks(monkeypatch):
    """Small blocks and three threads, so a test-sized pool runs the threaded path."""
    monkeypatch.setattr(linear_scoring, "SCORE_BLOCK", 97)
    monkeypatch.setattr(linear_scoring, "scoring_threads", lambda n_blocks: min(3, n_blocks))


def _pool(n: int = 3000, d: int = 24, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping Gaussian classes with unequal column scales (so the scaler matters)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_CLASSES, n)
    centres = rng.normal(size=(N_CLASSES, d))
    X = (rng.standard_normal((n, d)) + 0.8 * centres[y]) * rng.uniform(0.1, 20, d) + 3.0
    return X.astype(np.float32), y


def _reference_margin(model, X: np.ndarray) -> np.ndarray:
    """sklearn's float64 predict_proba of the fitted pipeline, then 1 - (p1 - p2)."""
    proba = np.zeros((len(X), N_CLASSES))
    proba[:, model.classes] = model.estimator.predict_proba(X.astype(np.float64))
    top = np.sort(proba, axis=1)
    return 1.0 - (top[:, -1] - top[:, -2])


def test_threaded_blocks_equal_sklearn_predict_proba(many_blocks):
    X, y = _pool()
    model = train(TrainingSnapshot(X[:200], y[:200], N_CLASSES))
    fast = model.predict_proba(X)
    expected = np.zeros((len(X), N_CLASSES))
    expected[:, model.classes] = model.estimator.predict_proba(X.astype(np.float64))
    assert fast.dtype == np.float32
    np.testing.assert_allclose(fast, expected, atol=TOLERANCE)


def test_threads_do_not_change_a_single_bit(monkeypatch):
    X, y = _pool()
    model = train(TrainingSnapshot(X[:200], y[:200], N_CLASSES, model="committee"))
    monkeypatch.setattr(linear_scoring, "SCORE_BLOCK", 97)
    monkeypatch.setattr(linear_scoring, "scoring_threads", lambda n_blocks: 1)
    one = model.committee_proba(X)
    monkeypatch.setattr(linear_scoring, "scoring_threads", lambda n_blocks: min(4, n_blocks))
    np.testing.assert_array_equal(model.committee_proba(X), one)


@pytest.mark.parametrize("labelled_classes", [N_CLASSES, 2])
def test_margin_taken_from_the_blocks_equals_margin_of_the_probabilities(
    many_blocks, labelled_classes
):
    X, y = _pool()
    keep = np.flatnonzero(y < labelled_classes)[:200]  # 2: the unseen classes' columns are 0
    model = train(TrainingSnapshot(X[keep], y[keep], N_CLASSES))
    proba, margin = model.proba_and_margin(X)
    np.testing.assert_array_equal(proba, model.predict_proba(X))
    np.testing.assert_array_equal(margin, pool.margin_scores(proba))


def test_a_failing_block_raises_after_every_thread_is_joined(monkeypatch):
    monkeypatch.setattr(linear_scoring, "scoring_threads", lambda n_blocks: 3)
    done = []

    def work(start: int) -> None:
        if start == 5:
            raise ValueError("bad block")
        done.append(start)

    before = threading.active_count()
    with pytest.raises(ValueError, match="bad block"):
        linear_scoring.run_blocks(work, range(12))
    assert sorted(done) == [s for s in range(12) if s != 5]
    assert threading.active_count() == before


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_margin_order_equals_the_straightforward_ranking(many_blocks, seed):
    X, y = _pool(seed=seed)
    labelled = np.arange(150)
    candidates = np.arange(150, len(X))
    request = RankRequest(
        TrainingSnapshot(X[labelled], y[labelled], N_CLASSES), X, candidates, "margin", 1
    )
    ranking = fit_and_rank(request)
    reference = _reference_margin(ranking.model, X)[candidates]
    length = order_length(len(candidates), 1)
    assert len(ranking.order) == length
    ref_of_order = _reference_margin(ranking.model, X)[ranking.order]
    # Scores agree with the reference, and the order is the reference's descending order
    # (up to swaps of items whose reference scores are within float tolerance).
    np.testing.assert_allclose(ranking.scores, ref_of_order, atol=TOLERANCE)
    assert np.all(np.diff(ref_of_order) <= 2 * TOLERANCE)
    cutoff = np.sort(reference)[::-1][length - 1]
    must_be_in = set(candidates[reference > cutoff + 2 * TOLERANCE])
    assert must_be_in <= set(ranking.order)


def test_tcm_gathering_its_subsample_equals_typiclust_on_every_candidate():
    X, y = _pool(n=5000)
    labelled = np.arange(0, 5000, 700)  # 8 labels: far below 3 per class, so TypiClust runs
    candidates = np.setdiff1d(np.arange(len(X)), labelled)
    snapshot = TrainingSnapshot(X[labelled], y[labelled], N_CLASSES)
    ranking = fit_and_rank(RankRequest(snapshot, X, candidates, "tcm", 4, random_state=3))
    expected = typical.typiclust(X[candidates], X[labelled], 4, 3)
    length = order_length(len(candidates), 4)
    np.testing.assert_array_equal(ranking.order, candidates[expected.indices[:length]])
    np.testing.assert_array_equal(ranking.scores, expected.scores[:length])
