"""The block-reading logistic regression fits scikit-learn's model, without its matrix."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from aldesk.core import blocked_logreg, standardise
from aldesk.core.standardise import column_moments, safe_scale, standardised
from aldesk.core.training_rows import PoolRows


def _problem(n_classes: int, n: int = 3 * standardise.BLOCK + 77, d: int = 30):
    rng = np.random.default_rng(n_classes)
    y = rng.integers(0, n_classes, n)
    X = rng.standard_normal((n, d)).astype(np.float32)
    X[np.arange(n), y] += 1.0  # overlapping classes: the solver needs many iterations
    X[:, 3] = 50.0 + 0.1 * X[:, 3]  # an offset the standardisation must remove
    return X, y


@pytest.mark.parametrize("n_classes", [2, 5])
def test_same_model_as_scikit_learn_on_the_standardised_matrix(n_classes: int) -> None:
    X, y = _problem(n_classes)
    columns = np.array([0, 1, 3, 4, 7, 9, 12, 20, 29])  # a representation's columns
    mean, var = column_moments(X, columns)
    scale = safe_scale(var)
    reference = LogisticRegression(C=1.0, tol=1e-6, max_iter=500)
    reference.fit(standardised(X, mean, scale, columns), y)
    clf = LogisticRegression(C=1.0, tol=1e-6, max_iter=500)
    blocked_logreg.fit(clf, X, y, mean, scale, columns)
    assert clf.coef_.shape == reference.coef_.shape  # binomial: one row, as scikit-learn's
    np.testing.assert_array_equal(clf.classes_, reference.classes_)
    np.testing.assert_allclose(clf.coef_, reference.coef_, atol=2e-4)
    np.testing.assert_allclose(clf.intercept_, reference.intercept_, atol=2e-4)
    Xs = standardised(X, mean, scale, columns)
    np.testing.assert_allclose(clf.predict_proba(Xs), reference.predict_proba(Xs), atol=5e-4)


def test_named_pool_rows_give_the_model_of_their_gathered_matrix() -> None:
    X_pool, y_pool = _problem(4, n=20_000)
    rows = np.random.default_rng(0).choice(len(X_pool), 9_000, replace=False)
    named = PoolRows.of(X_pool, rows, {})
    mean, var = column_moments(named)
    scale = safe_scale(var)
    from_names, from_array = LogisticRegression(), LogisticRegression()
    blocked_logreg.fit(from_names, named, y_pool[rows], mean, scale)
    blocked_logreg.fit(from_array, X_pool[rows], y_pool[rows], mean, scale)
    np.testing.assert_allclose(from_names.coef_, from_array.coef_, atol=1e-6)
    assert not np.shares_memory(from_array.coef_, X_pool)


def test_weights_left_by_an_earlier_fit_are_not_a_starting_point() -> None:
    """A model is a function of its labels: a fit starts from zeros whatever it held."""
    X, y = _problem(3)
    mean, var = column_moments(X)
    scale = safe_scale(var)
    fresh = LogisticRegression()
    blocked_logreg.fit(fresh, X, y, mean, scale)
    reused = LogisticRegression(warm_start=True)
    blocked_logreg.fit(reused, X[::2], y[::2], mean, scale)  # an earlier round's weights
    blocked_logreg.fit(reused, X, y, mean, scale)
    np.testing.assert_array_equal(reused.coef_, fresh.coef_)
    assert reused.n_iter_[0] == fresh.n_iter_[0]


def test_running_out_of_iterations_warns_as_scikit_learn_does() -> None:
    X, y = _problem(3)
    mean, var = column_moments(X)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        blocked_logreg.fit(LogisticRegression(max_iter=2), X, y, mean, safe_scale(var))
    assert any(issubclass(w.category, ConvergenceWarning) for w in caught)
