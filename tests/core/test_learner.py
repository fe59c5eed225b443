"""Learners: every model trains on a snapshot; the fast path matches scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification

from aldesk.core.learner import MODELS, TrainingSnapshot, make_estimator, train

N_CLASSES = 5  # class 4 never gets a label


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_classification(
        n_samples=300,
        n_features=20,
        n_informative=8,
        n_classes=4,
        n_clusters_per_class=1,
        random_state=0,
    )
    return X.astype(np.float32), y


@pytest.mark.parametrize("model", list(MODELS))
def test_every_model_learns_and_keeps_unseen_classes_at_zero(data, model):
    X, y = data
    fitted = train(TrainingSnapshot(X[:200], y[:200], N_CLASSES, model=model))
    proba = fitted.predict_proba(X[200:])
    assert proba.dtype == np.float32
    assert proba.shape == (100, N_CLASSES)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    assert np.all(proba[:, 4] == 0.0)
    accuracy = np.mean(proba.argmax(axis=1) == y[200:])
    assert accuracy > 0.7, f"{model} accuracy {accuracy:.2f}"


@pytest.mark.parametrize("model", list(MODELS))
def test_a_class_missing_from_the_middle_gets_a_zero_column(data, model):
    X, y = data
    keep = y != 1
    fitted = train(TrainingSnapshot(X[keep], y[keep], N_CLASSES, model=model))
    proba = fitted.predict_proba(X)
    assert np.all(proba[:, 1] == 0.0)
    assert np.all(proba[:, [0, 2, 3]].sum(axis=1) > 0.99)


def test_fast_path_equals_sklearn_predict_proba(data):
    X, y = data
    fitted = train(TrainingSnapshot(X, y, N_CLASSES))
    assert fitted.linear is not None
    expected = fitted.estimator.predict_proba(X)  # the pipeline, scaler included
    np.testing.assert_allclose(fitted.predict_proba(X)[:, :4], expected, atol=1e-5)


def test_fast_path_binary_equals_sklearn(data):
    X, y = data
    binary = y % 2
    fitted = train(TrainingSnapshot(X, binary, 3))
    np.testing.assert_allclose(
        fitted.predict_proba(X)[:, :2], fitted.estimator.predict_proba(X), atol=1e-5
    )


def test_fast_path_does_not_upcast_or_copy_the_pool(data, monkeypatch):
    X, y = data
    fitted = train(TrainingSnapshot(X, y, N_CLASSES))

    def fail(*args, **kwargs):
        raise AssertionError("the fast path must not call the sklearn pipeline")

    monkeypatch.setattr(fitted.estimator, "predict_proba", fail)
    assert fitted.predict_proba(X).dtype == np.float32


def test_committee_gives_each_members_probabilities(data):
    X, y = data
    fitted = train(TrainingSnapshot(X[:200], y[:200], N_CLASSES, model="committee"))
    members = fitted.committee_proba(X[200:])
    assert members.shape == (5, 100, N_CLASSES)
    np.testing.assert_allclose(members.mean(axis=0), fitted.predict_proba(X[200:]), atol=1e-6)
    # Bootstrap samples differ, so members must not be identical.
    assert np.abs(members[0] - members[1]).max() > 1e-3
    bagging = fitted.estimator.named_steps["clf"]
    scaled = fitted.estimator.named_steps["scale"].transform(X[200:])
    np.testing.assert_allclose(
        members.mean(axis=0)[:, :4], bagging.predict_proba(scaled), atol=1e-5
    )


def test_committee_proba_is_none_for_single_models(data):
    X, y = data
    assert train(TrainingSnapshot(X, y, N_CLASSES)).committee_proba(X) is None


def test_committee_survives_very_few_labels(data):
    X, y = data
    rows = np.concatenate([np.flatnonzero(y == 0)[:2], np.flatnonzero(y == 1)[:1]])
    fitted = train(TrainingSnapshot(X[rows], y[rows], N_CLASSES, model="committee", random_state=3))
    assert fitted.predict_proba(X).shape == (300, N_CLASSES)


def test_svm_with_one_label_in_a_class_still_trains(data):
    X, y = data
    rows = np.concatenate([np.flatnonzero(y == 0)[:10], np.flatnonzero(y == 2)[:1]])
    fitted = train(TrainingSnapshot(X[rows], y[rows], N_CLASSES, model="svm"))
    proba = fitted.predict_proba(X)
    assert np.all(proba[:, [1, 3, 4]] == 0.0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)


def test_one_labelled_class_predicts_that_class(data):
    X, _ = data
    fitted = train(TrainingSnapshot(X[:10], np.full(10, 2), N_CLASSES))
    proba = fitted.predict_proba(X)
    assert np.all(proba[:, 2] == 1.0) and proba.sum() == len(X)


def test_no_labels_predicts_uniform(data):
    X, _ = data
    fitted = train(TrainingSnapshot(X[:0], np.zeros(0, dtype=int), N_CLASSES))
    np.testing.assert_allclose(fitted.predict_proba(X[:3]), 1.0 / N_CLASSES)


def test_same_random_state_gives_same_model(data):
    X, y = data
    a = train(TrainingSnapshot(X, y, N_CLASSES, model="forest", random_state=7))
    b = train(TrainingSnapshot(X, y, N_CLASSES, model="forest", random_state=7))
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_training_does_not_mutate_the_snapshot(data):
    X, y = data
    X_before, y_before = X.copy(), y.copy()
    train(TrainingSnapshot(X, y, N_CLASSES))
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


@pytest.mark.parametrize("model", list(MODELS))
def test_a_portable_model_scores_as_the_model_does(data, model):
    # what the training process sends the app: no scikit-learn estimator where the folded
    # scorers do all the work (logistic regressions and committees)
    X, y = data
    full = train(TrainingSnapshot(X[:250], y[:250], N_CLASSES, model=model))
    light = full.portable()
    np.testing.assert_array_equal(light.predict_proba(X), full.predict_proba(X))
    if model in ("logreg", "committee"):
        assert light.estimator is None and full.estimator is not None
        np.testing.assert_array_equal(light.committee_proba(X), full.committee_proba(X))
    else:
        assert light is full


def test_labels_outside_the_classes_are_refused(data):
    X, y = data
    with pytest.raises(ValueError, match="class indices"):
        train(TrainingSnapshot(X, y + 2, N_CLASSES))


def test_unknown_model_is_refused():
    with pytest.raises(ValueError, match="unknown model"):
        make_estimator("xgboost", 0)


def test_many_classes_and_few_labels_print_no_warning(tmp_path) -> None:
    """22 classes in 30 labels: scikit-learn's "could represent a regression problem" was
    printed on the terminal at every retrain."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import numpy as np\n"
        "from aldesk.core.learner import TrainingSnapshot, train\n"
        "rng = np.random.default_rng(0)\n"
        "X = rng.normal(size=(30, 10)).astype(np.float32)\n"
        "y = np.r_[np.arange(22), rng.integers(0, 22, 8)]\n"
        "train(TrainingSnapshot(X=X, y=y, n_classes=22))\n"
    )
    out = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "unique classes" not in out.stderr
