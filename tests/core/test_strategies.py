"""Query strategies on hand-made probabilities, features and streams."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from aldesk.core.strategies import DEFAULT_STRATEGY, POOL_STRATEGIES, pool, seed
from aldesk.core.strategies.stream import FixedUncertainty, QuantileUncertainty
from aldesk.core.strategies.synthesis import choose_pair, least_certain_mix

# Row 0: confident. Row 1: top two tied (smallest margin). Row 2: flat (highest entropy, least
# confident). Row 3: two classes close-ish but the rest empty.
PROBA = np.array(
    [
        [0.90, 0.05, 0.05],
        [0.45, 0.45, 0.10],
        [0.34, 0.33, 0.33],
        [0.60, 0.40, 0.00],
    ],
    dtype=np.float32,
)


def test_registry_names_and_default():
    assert list(POOL_STRATEGIES) == [
        "random",
        "least_confidence",
        "margin",
        "entropy",
        "qbc",
        "density",
        "adaptive",
        "tcm",
    ]
    assert DEFAULT_STRATEGY == "tcm"
    assert all(isinstance(text, str) and text for text in POOL_STRATEGIES.values())


def test_margin_picks_the_row_with_closest_top_two():
    selection = pool.select_margin(PROBA, 2)
    assert selection.indices[0] == 1
    # Row 2's top two are 0.01 apart, the next closest.
    assert selection.indices[1] == 2
    np.testing.assert_allclose(selection.scores, [1.0, 0.99], atol=1e-6)


_PROBA_ARRAYS = arrays(
    np.float32,
    st.tuples(st.integers(1, 30), st.integers(2, 6)),
    elements=st.floats(0, 1, width=32),
)


@settings(max_examples=60, deadline=None)
@given(_PROBA_ARRAYS)
def test_margin_and_least_confidence_agree_with_a_full_sort(proba):
    ordered = np.sort(proba, axis=1)
    np.testing.assert_allclose(pool.margin_scores(proba), 1 - (ordered[:, -1] - ordered[:, -2]))
    np.testing.assert_allclose(pool.least_confidence_scores(proba), 1 - ordered[:, -1])


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float32, st.integers(0, 50), elements=st.floats(0, 1, width=32)), st.integers(0, 60)
)
def test_top_k_returns_the_k_largest_in_descending_order(scores, k):
    selection = pool.top_k(scores, k)
    assert len(selection.indices) == min(k, len(scores))
    assert len(set(selection.indices)) == len(selection.indices)
    np.testing.assert_array_equal(selection.scores, np.sort(scores)[::-1][: len(selection.indices)])


def test_least_confidence_picks_the_lowest_top_probability():
    assert list(pool.select_least_confidence(PROBA, 4).indices) == [2, 1, 3, 0]


def test_entropy_picks_the_flattest_row():
    selection = pool.select_entropy(PROBA, 4)
    assert list(selection.indices) == [2, 1, 3, 0]
    np.testing.assert_allclose(selection.scores[0], np.log(3), atol=1e-3)


def test_entropy_treats_zero_probability_as_zero_contribution():
    scores = pool.entropy_scores(np.array([[1.0, 0.0], [0.5, 0.5]], dtype=np.float32))
    np.testing.assert_allclose(scores, [0.0, np.log(2)], atol=1e-6)


def test_qbc_picks_the_row_the_committee_splits_on():
    agree = [0.9, 0.1]
    # Members: row 0 all agree, row 1 split 3 vs 2, row 2 split 4 vs 1.
    committee = np.array(
        [
            [agree, [0.9, 0.1], [0.8, 0.2]],
            [agree, [0.9, 0.1], [0.8, 0.2]],
            [agree, [0.9, 0.1], [0.8, 0.2]],
            [agree, [0.1, 0.9], [0.8, 0.2]],
            [agree, [0.1, 0.9], [0.2, 0.8]],
        ],
        dtype=np.float32,
    )
    selection = pool.select_qbc(committee, 3)
    assert list(selection.indices) == [1, 2, 0]
    assert selection.scores[2] == 0.0


def test_select_dispatches_every_registered_strategy():
    committee = np.stack([PROBA, PROBA[::-1]])
    X = np.eye(4, dtype=np.float32)
    for name in POOL_STRATEGIES:
        selection = pool.select(name, PROBA, 2, 0, X=X, committee_proba=committee)
        assert len(selection.indices) == 2, name
    assert pool.select("margin", PROBA, 1, 0).indices[0] == 1
    with pytest.raises(ValueError, match="committee"):
        pool.select("qbc", PROBA, 1, 0)
    with pytest.raises(ValueError, match="unknown"):
        pool.select("oracle", PROBA, 1, 0)


def test_random_is_reproducible_and_depends_on_the_seed():
    a = pool.select_random(1000, 10, random_state=1)
    b = pool.select_random(1000, 10, random_state=1)
    c = pool.select_random(1000, 10, random_state=2)
    np.testing.assert_array_equal(a.indices, b.indices)
    assert not np.array_equal(a.indices, c.indices)
    assert len(set(a.indices)) == 10


def test_top_k_is_sorted_and_uses_all_rows_when_k_is_large():
    scores = np.array([0.1, 0.9, 0.5, 0.7], dtype=np.float32)
    assert list(pool.top_k(scores, 2).indices) == [1, 3]
    assert list(pool.top_k(scores, 10).indices) == [1, 3, 2, 0]
    assert len(pool.top_k(scores, 0).indices) == 0


def test_density_prefers_typical_items_among_equally_uncertain_ones():
    rng = np.random.default_rng(0)
    typical = np.abs(rng.normal(size=(50, 8))) + np.array([5.0] + [0.0] * 7)
    outlier = np.zeros((1, 8))
    outlier[0, 7] = 5.0
    X = np.vstack([outlier, typical]).astype(np.float32)
    proba = np.tile(np.array([[0.5, 0.5]], dtype=np.float32), (51, 1))
    proba[1:] = [0.52, 0.48]  # the outlier is the most uncertain by margin alone
    assert pool.select_margin(proba, 1).indices[0] == 0
    assert pool.select_density(proba, X, 1, random_state=0).indices[0] != 0


def test_batch_diverse_avoids_near_duplicates():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(1, 16))
    copies = base + 1e-3 * rng.normal(size=(5, 16))  # five near-copies, the most uncertain
    others = rng.normal(size=(20, 16)) * 3
    X = np.vstack([copies, others]).astype(np.float32)
    scores = np.concatenate([np.full(5, 0.99), np.linspace(0.9, 0.5, 20)]).astype(np.float32)
    plain = pool.top_k(scores, 3)
    assert set(plain.indices) <= set(range(5))  # plain top-k would query three copies
    batch = pool.batch_diverse(X, scores, 3)
    assert len(batch.indices) == 3
    assert sum(i < 5 for i in batch.indices) == 1
    assert batch.indices[0] in range(5)  # still starts from the most uncertain


def test_batch_diverse_judges_copies_in_the_columns_the_model_uses():
    # Five near-copies in the 4 columns the model is trained on; the 40 columns it does not
    # use are noise that would make them look far apart.
    rng = np.random.default_rng(1)
    used = np.vstack([np.tile(rng.normal(size=(1, 4)) * 5, (5, 1)), rng.normal(size=(20, 4)) * 5])
    unused = rng.normal(size=(25, 40)) * 10
    X = np.hstack([used + 1e-3 * rng.normal(size=used.shape), unused]).astype(np.float32)
    weights = np.concatenate([np.ones(4), np.zeros(40)])
    scores = np.concatenate([np.full(5, 0.99), np.linspace(0.9, 0.5, 20)]).astype(np.float32)
    everything = pool.batch_diverse(X, scores, 3)
    assert sum(i < 5 for i in everything.indices) > 1  # the noise hides the copies
    batch = pool.batch_diverse(X, scores, 3, weights=weights)
    assert sum(i < 5 for i in batch.indices) == 1
    assert batch.indices[0] in range(5)


def test_batch_diverse_of_one_is_the_top_item():
    scores = np.array([0.2, 0.8, 0.5], dtype=np.float32)
    assert list(pool.batch_diverse(np.eye(3, dtype=np.float32), scores, 1).indices) == [1]


def test_seed_representative_covers_every_cluster():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], dtype=np.float32)
    sizes = [40, 30, 20, 10]
    X = np.vstack([c + rng.normal(size=(n, 2)) for c, n in zip(centres, sizes, strict=True)])
    selection = seed.seed_representative(X.astype(np.float32), 4, random_state=0)
    picked_clusters = np.argmin(((X[selection.indices, None] - centres) ** 2).sum(-1), axis=1)
    assert sorted(picked_clusters) == [0, 1, 2, 3]
    assert list(picked_clusters) == [0, 1, 2, 3]  # largest cluster first
    # Each representative sits near its cluster's centre, not at the edge.
    assert np.all(np.linalg.norm(X[selection.indices] - centres, axis=1) < 1.0)


def test_seed_representative_with_duplicate_rows_returns_distinct_items():
    X = np.repeat(np.eye(3, dtype=np.float32), 5, axis=0)
    selection = seed.seed_representative(X, 6, random_state=0)
    assert len(set(selection.indices)) == len(selection.indices) == 3


class _ThresholdModel:
    """Two classes split at mean intensity ``boundary``, softer the closer to it."""

    def __init__(self, boundary: float) -> None:
        self.boundary = boundary

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p1 = 1.0 / (1.0 + np.exp(-(X[:, 0] - self.boundary) / 5.0))
        return np.stack([1 - p1, p1], axis=1).astype(np.float32)


def _mean_intensity(x: np.ndarray) -> np.ndarray:
    return np.array([float(np.mean(x))], dtype=np.float32)


def test_synthesis_finds_the_ratio_at_the_decision_boundary():
    dark = np.zeros((8, 8), dtype=np.uint8)
    bright = np.full((16, 16, 3), 200, dtype=np.uint8)  # other size and channels: resized
    result = least_certain_mix(dark, bright, _mean_intensity, _ThresholdModel(boundary=140.0))
    assert result.ratio == pytest.approx(0.7)  # 0.7 * 200 = 140
    assert result.mix.shape == dark.shape and result.mix.dtype == np.uint8
    assert result.mix.mean() == pytest.approx(140.0, abs=1.0)
    np.testing.assert_allclose(result.proba, [0.5, 0.5], atol=0.01)
    assert result.score == pytest.approx(1.0, abs=0.01)


def test_synthesis_pads_audio_to_the_longer_clip():
    a = np.full(100, 1.0, dtype=np.float32)
    b = np.full(50, -1.0, dtype=np.float32)
    result = least_certain_mix(
        a, b, lambda x: np.array([x[:50].mean() * 100]), _ThresholdModel(boundary=0.0)
    )
    assert result.mix.shape == (100,) and result.mix.dtype == np.float32
    assert result.ratio == pytest.approx(0.5)
    np.testing.assert_allclose(result.mix[50:], 0.5)  # the padding of b is silence


def test_choose_pair_takes_confident_items_of_different_classes():
    proba = np.array(
        [
            [0.99, 0.01, 0.0],
            [0.55, 0.45, 0.0],
            [0.02, 0.98, 0.0],
            [0.45, 0.55, 0.0],
        ],
        dtype=np.float32,
    )
    for state in range(5):
        i, j = choose_pair(proba, random_state=state)
        assert {i, j} == {0, 2}


def test_choose_pair_needs_two_predicted_classes():
    with pytest.raises(ValueError, match="two different classes"):
        choose_pair(np.array([[0.9, 0.1], [0.8, 0.2]]), random_state=0)


def test_adaptive_share_of_margin_picks_follows_skill():
    from aldesk.core.strategies.pool import exploit_count, skill_above_chance

    rng = np.random.default_rng(0)
    assert skill_above_chance(0.1, 10) == 0.0 and skill_above_chance(1.0, 10) == 1.0
    assert np.isclose(skill_above_chance(0.55, 10), 0.5)
    assert exploit_count(5, 1.0, rng) == 5 and exploit_count(5, 0.0, rng) == 0
    # k = 1: the fractional share is drawn, so the average follows the skill
    draws = [exploit_count(1, 0.3, rng) for _ in range(4000)]
    assert abs(np.mean(draws) - 0.3) < 0.03


def test_the_stream_panel_gives_the_share_since_the_first_model_beside_the_whole():
    """ "Queried 34 (37%)" beside "adapts to ask about 20%" read as a broken budget: the
    seed set's arrivals, asked before any model, are in the whole share."""
    from aldesk.core.stream_status import queried_text, summarize_stream

    rule = QuantileUncertainty(0.2, n_seen=73, n_queried=14)
    summary = summarize_stream([34, 59], 120, False, rule)  # 20 of the 34 were the seed set's
    assert queried_text(summary) == "34 (37%; 19% of the 73 the threshold decided)"
    fixed = FixedUncertainty(0.8, n_seen=93, n_queried=34)
    assert queried_text(summarize_stream([34, 59], 120, False, fixed)) == "34 (37%)"
