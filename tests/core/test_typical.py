"""Typicality, TypiClust and the TCM strategy (typical items first, then margin)."""

from __future__ import annotations

import numpy as np

from aldesk.core.learner import TrainingSnapshot
from aldesk.core.ranking import RankRequest, fit_and_rank
from aldesk.core.strategies import typical


def _blobs(
    sizes: tuple[int, ...], dim: int = 8, spread: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    """Well-separated Gaussian blobs, blob b centred at 10 * e_b."""
    rng = np.random.default_rng(0)
    X, y = [], []
    for b, n in enumerate(sizes):
        centre = np.zeros(dim)
        centre[b] = 10.0
        X.append(centre + spread * rng.standard_normal((n, dim)))
        y += [b] * n
    return np.vstack(X).astype(np.float32), np.array(y)


def test_typicality_is_highest_in_dense_regions():
    X, _ = _blobs((100,))
    outlier = np.full((1, X.shape[1]), 5.0, dtype=np.float32)
    typ = typical.typicality(np.vstack([X, outlier]))
    assert typ[-1] < typ[:-1].min()


def test_typiclust_asks_in_the_regions_that_have_no_label():
    X, y = _blobs((200, 150, 100))
    labelled = X[y == 0][:2]
    chosen = typical.typiclust(X, labelled, k=2, random_state=0)
    # Three clusters for two labels + two picks would split a blob; with k = 2 and four
    # clusters, blob 0 is covered, so the two picks come from blobs 1 and 2.
    assert set(y[chosen.indices[:2]]) == {1, 2}
    assert len(np.unique(chosen.indices)) == len(chosen.indices)


def test_typiclust_picks_a_central_member():
    X, y = _blobs((300, 300))
    chosen = typical.typiclust(X, X[y == 0][:1], k=1, random_state=0)
    pick = chosen.indices[0]
    centre = X[y == y[pick]].mean(axis=0)
    dist = np.linalg.norm(X[y == y[pick]] - centre, axis=1)
    assert y[pick] == 1
    assert np.linalg.norm(X[pick] - centre) <= np.quantile(dist, 0.25)


def test_past_the_batch_the_order_stays_spread_over_the_pool():
    """A fast labeller outpaces the retrains and reaches past the batch: the pool's overall
    typicality asked 46 of 59 such items from its one densest class."""
    rng = np.random.default_rng(0)
    dense = 0.05 * rng.standard_normal((600, 10))
    X, y = [dense], [0] * 600
    for b in range(1, 9):
        centre = np.zeros(10)
        centre[b] = 10.0
        X.append(centre + 0.8 * rng.standard_normal((40, 10)))
        y += [b] * 40
    X, y = np.vstack(X).astype(np.float32), np.array(y)
    chosen = typical.typiclust(X, X[y == 1][:1], k=2, random_state=0)
    first = y[chosen.indices[:20]]
    assert len(set(first.tolist())) >= 7  # was 2: the dense blob, after the batch's two
    assert np.sum(first == 0) <= 6
    assert np.all(np.diff(chosen.scores) <= 0)  # still an order, most wanted first


def _tcm_request(X, y, labelled, k=2):
    snapshot = TrainingSnapshot(X[labelled], y[labelled], 3)
    candidates = np.setdiff1d(np.arange(len(X)), labelled)
    return RankRequest(snapshot, X, candidates, "tcm", k, round=1, random_state=0)


def test_tcm_covers_the_pool_while_labels_are_few_then_follows_margin():
    X, y = _blobs((200, 150, 100))
    few = np.array([0, 1, 200])  # blobs 0 and 1 labelled, blob 2 not
    ranking = fit_and_rank(_tcm_request(X, y, few))
    assert ranking.strategy == "typical"  # the phase is named: "Why this item?" shows it
    assert 2 in set(y[ranking.order[:2]])

    many = np.concatenate([np.arange(0, 200, 40), np.arange(200, 350, 40), np.arange(350, 450, 40)])
    assert len(many) >= typical.TCM_LABELS_PER_CLASS * 3
    tcm = fit_and_rank(_tcm_request(X, y, many))
    margin = fit_and_rank(
        RankRequest(
            TrainingSnapshot(X[many], y[many], 3), X, np.setdiff1d(np.arange(len(X)), many),
            "margin", 2, round=1, random_state=0,
        )
    )  # fmt: skip
    np.testing.assert_array_equal(tcm.order, margin.order)
    assert tcm.strategy == "tcm"


def test_a_round_with_nothing_left_to_ask_ranks_nothing_and_keeps_the_model():
    # A stream project whose every arrival is decided still retrains (a forced round): with no
    # candidates TypiClust used to ask k-means for 0 clusters and the round crashed.
    X, y = _blobs((20, 20, 20))
    few = np.array([0, 1, 20, 21, 40])
    request = RankRequest(
        TrainingSnapshot(X[few], y[few], 3), X, np.empty(0, np.intp), "tcm", 5, random_state=0
    )
    ranking = fit_and_rank(request)
    assert ranking.order.size == 0 and ranking.scores.size == 0
    assert ranking.proba.shape == (len(X), 3) and ranking.model is not None
