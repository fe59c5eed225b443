"""Block-wise standardisation: scikit-learn's numbers without its full-size temporaries."""

from __future__ import annotations

import numpy as np
from memory_trace import traced
from sklearn.preprocessing import StandardScaler

from aldesk.core import standardise
from aldesk.core.learner import TrainingSnapshot, train
from aldesk.core.standardise import column_moments, safe_scale, standardised
from aldesk.core.training_rows import PoolRows


def _matrix(n: int = 2 * standardise.BLOCK + 123, d: int = 12) -> np.ndarray:
    rng = np.random.default_rng(3)
    X = rng.standard_normal((n, d)).astype(np.float32)
    X[:, 1] = 7.0  # constant: centred, not divided by zero
    X[:, 2] = 1e4 + 0.01 * X[:, 2]  # large offset, small spread: the one-pass formula cancels
    return X


def test_moments_and_standardised_rows_match_scikit_learn_across_blocks() -> None:
    X = _matrix()
    reference = StandardScaler().fit(X)
    mean, var = column_moments(X)
    scale = safe_scale(var)
    np.testing.assert_allclose(mean, reference.mean_, rtol=1e-6)
    np.testing.assert_allclose(var, reference.var_, rtol=1e-4, atol=1e-12)
    np.testing.assert_array_equal(scale[1], 1.0)
    out = standardised(X, mean, scale)
    assert out.dtype == np.float32
    # scikit-learn's transform subtracts in float32; this is exact in float64, then rounded.
    exact = (X.astype(np.float64) - reference.mean_) / reference.scale_
    np.testing.assert_allclose(out, exact, atol=2e-5)


def test_a_column_subset_is_standardised_without_gathering_it_first() -> None:
    X = _matrix()
    columns = np.array([0, 2, 5, 11])
    reference = StandardScaler().fit(X[:, columns])
    mean, var = column_moments(X, columns)
    out = standardised(X, mean, safe_scale(var), columns)
    assert out.shape == (X.shape[0], len(columns))
    exact = (X[:, columns].astype(np.float64) - reference.mean_) / reference.scale_
    np.testing.assert_allclose(out, exact, atol=2e-5)


def test_fitting_many_labels_holds_one_standardised_copy_not_float64_ones() -> None:
    """scikit-learn's scaler made a float64 copy of the whole matrix (twice its size) before
    its float32 transform: the fit peaked at ~2.2 times the rows' size on top of them."""
    rng = np.random.default_rng(0)
    n, d = 60_000, 120
    y = rng.integers(0, 4, n)
    X = rng.standard_normal((n, d)).astype(np.float32)
    X[np.arange(n), y] += 2.0
    weights = np.ones(d)
    weights[d // 2 :] = 0.0  # half the columns unused: no gathered copy of the used half either
    snapshot = TrainingSnapshot(X, y, 4, feature_weights=weights)
    train(TrainingSnapshot(X[:200], y[:200], 4))  # imports outside the measurement
    model, _, peak = traced(lambda: train(snapshot))
    assert (model.predict(X[:2000]) == y[:2000]).mean() > 0.7  # chance: 0.25
    # A block's temporaries and the solver's arrays (blocked_logreg); the standardised used
    # half was 0.5, and before that the scaler's float64 copy, its float32 transform and the
    # gather of the used columns were 2.
    assert peak < 0.25 * X.nbytes


def test_named_pool_rows_are_fitted_a_block_at_a_time_as_if_gathered() -> None:
    """The training process fits rows of the pool matrix it maps: gathering all of them first
    was one more full-size copy of the labelled rows."""
    rng = np.random.default_rng(1)
    X_pool = rng.standard_normal((90_000, 100)).astype(np.float32)
    rows = np.sort(rng.choice(len(X_pool), 60_000, replace=False))
    y = rng.integers(0, 3, len(rows))
    X_pool[rows, y] += 2.0
    synthesized = {5: np.full(100, 0.5, dtype=np.float32)}  # a synthesized item's own vector
    rows[5] = -1
    named = PoolRows.of(X_pool, rows, synthesized)
    gathered = np.asarray(named)
    np.testing.assert_array_equal(named[4_000:8_200], gathered[4_000:8_200])
    train(TrainingSnapshot(gathered[:200], y[:200], 3))  # imports outside the measurement
    from_names, _, peak = traced(lambda: train(TrainingSnapshot(named, y, 3)))
    from_array = train(TrainingSnapshot(gathered, y, 3))
    np.testing.assert_allclose(from_names.linear.weights, from_array.linear.weights, atol=1e-5)
    # A block's temporaries (blocked_logreg); with the standardised copy 1.0, gathered first
    # 2.0 and more.
    assert peak < 0.25 * gathered.nbytes


def test_a_large_fit_is_scikit_learns_logistic_regression(monkeypatch) -> None:
    """Above a block of labels the learner minimises the objective itself (blocked_logreg):
    the model must be the one scikit-learn's pipeline fits on the same labels (both stop at
    the solver's tolerance, 1e-4, by different paths; test_blocked_logreg compares them at a
    tight one)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from aldesk.core import blocked_logreg

    calls = []
    fit = blocked_logreg.fit
    monkeypatch.setattr(blocked_logreg, "fit", lambda *a, **k: calls.append(1) or fit(*a, **k))
    X = _matrix(n=3 * standardise.BLOCK, d=12)
    y = (X[:, 0] + 0.5 * X[:, 3] > 0).astype(int) + (X[:, 4] > 1)
    model = train(TrainingSnapshot(X, y, 3))
    assert calls == [1]
    reference = make_pipeline(StandardScaler(), LogisticRegression(tol=1e-4, max_iter=200))
    reference.fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-2)
    assert (model.predict(X) == reference.predict(X)).mean() > 0.995
