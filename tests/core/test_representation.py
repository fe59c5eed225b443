"""Representations: blocks side by side, weighted columns, and the cross-validated choice."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aldesk.core import shared_pool
from aldesk.core.features.types import FeatureSet
from aldesk.core.learner import MODELS, TrainingSnapshot, train
from aldesk.core.representation import Layout, choose, combine, single_layout
from aldesk.core.validation import cv_accuracy


def _two_blocks(n: int = 240, seed: int = 0) -> tuple[np.ndarray, np.ndarray, Layout]:
    """Block "pool" is noise; block "pretrained" separates the 3 classes."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    noise = rng.normal(size=(n, 6))
    centres = rng.normal(scale=4.0, size=(3, 10))
    signal = centres[y] + rng.normal(size=(n, 10))
    X = np.concatenate([noise, signal], axis=1).astype(np.float32)
    return X, y, Layout({"pool": (0, 6), "pretrained": (6, 16)})


def test_combine_keeps_items_with_both_blocks_in_pool_order():
    pool = FeatureSet("p", np.arange(6, dtype=np.float32).reshape(3, 2), ["a", "b", "c"])
    pre = FeatureSet("q", np.full((2, 3), 7, dtype=np.float32), ["c", "a"])
    combined, layout = combine(pool, pre)
    assert combined.hashes == ["a", "c"]
    assert combined.X.tolist() == [[0, 1, 7, 7, 7], [4, 5, 7, 7, 7]]
    assert (
        shared_pool.segment_of(combined.X) is not None
    ) == shared_pool.SHARED  # mapped by training
    assert layout.blocks == {"pool": (0, 2), "pretrained": (2, 5)}
    assert layout.candidates() == ["pool", "pretrained", "both"]
    alone, one = combine(pool, None)
    assert alone is pool and one.candidates() == ["pool"] == single_layout(pool).candidates()


def test_weights_zero_outside_and_balance_blocks_inside():
    layout = Layout({"pool": (0, 4), "pretrained": (4, 20)})
    w = layout.weights("pretrained")
    assert np.all(w[:4] == 0) and np.allclose(w[4:], 1.0)
    both = layout.weights("both")
    # every block carries the same total variance, and the total over used columns is kept
    assert np.isclose((both[:4] ** 2).sum(), (both[4:] ** 2).sum())
    assert np.isclose((both**2).sum(), 20)
    assert layout.resolve("both") == "both"
    assert Layout({"pool": (0, 4)}).resolve("pretrained") == "pool"


@pytest.mark.parametrize("model", list(MODELS))
def test_a_model_on_some_columns_ignores_the_others(model):
    X, y, layout = _two_blocks()
    w = layout.weights("pretrained")
    fitted = train(TrainingSnapshot(X[:180], y[:180], 3, model=model, feature_weights=w))
    scrambled = X[180:].copy()
    scrambled[:, :6] = np.random.default_rng(5).normal(size=(60, 6)) * 100
    assert np.allclose(fitted.predict_proba(X[180:]), fitted.predict_proba(scrambled), atol=1e-5)
    assert (fitted.predict(X[180:]) == y[180:]).mean() > 0.9


def test_weighted_logreg_fast_path_matches_sklearn_on_the_used_columns():
    X, y, layout = _two_blocks()
    w = layout.weights("both")
    fitted = train(TrainingSnapshot(X, y, 3, feature_weights=w))
    Xs = fitted.estimator.named_steps["scale"].transform(X)
    expected = fitted.estimator.named_steps["clf"].predict_proba(Xs)
    assert np.allclose(fitted.predict_proba(X), expected, atol=1e-4)


def test_cv_accuracy_tells_signal_from_noise_and_survives_singleton_classes():
    X, y, layout = _two_blocks()
    good = cv_accuracy(X, y, layout.weights("pretrained"))
    bad = cv_accuracy(X, y, layout.weights("pool"))
    assert good > 0.9 and bad < 0.6
    y_rare = y.copy()
    y_rare[0] = 3  # one label of a fourth class: it can only ever be trained on
    assert 0.0 < cv_accuracy(X, y_rare, layout.weights("pretrained")) <= 1.0


def test_choose_picks_the_best_candidate_and_keeps_it_until_labels_grow():
    X, y, layout = _two_blocks()
    calls: list[int] = []

    def scorer(Xc, yc, w):
        calls.append(len(yc))
        return cv_accuracy(Xc, yc, w)

    first = choose(X[:60], y[:60], layout, "auto", None, scorer)
    assert first.name in ("pretrained", "both") and set(first.scores) == {
        "pool",
        "pretrained",
        "both",
    }
    assert first.scores["pool"] < first.scores["pretrained"]
    n_calls = len(calls)
    assert choose(X[:70], y[:70], layout, "auto", first, scorer) is first  # < 25 % more labels
    assert len(calls) == n_calls
    later = choose(X[:80], y[:80], layout, "auto", first, scorer)
    assert later.n_labels == 80 and len(calls) > n_calls
    assert "cross-validated on 80 labels" in later.describe()
    tied = choose(X[:9], y[:9], layout, "auto", None, lambda X, y, w: 0.0)
    assert tied.name == "both"  # "pool 0%, pretrained 0%, both 0%" beside "both" read as a fault
    assert tied.describe().endswith("the candidates tie at 0%: this one until another is ahead)")


def test_a_rebuilt_model_keeps_the_latest_rounds_choice_until_labels_grow() -> None:
    """Reopened (or `aldesk train`, an export with predictions), the model chose afresh from
    the same labels: on a tie it took "both" where the app's rounds had used "pretrained", and
    the exported predictions were not the app's."""
    from aldesk.core.ranking import FitRequest, fit_model

    X, y, layout = _two_blocks()

    def rebuilt(n: int, recorded) -> object:
        snap = TrainingSnapshot(X[:n], y[:n], 3, random_state=0)
        return fit_model(FitRequest(snap, layout, "auto", 0, recorded), lambda: False).choice

    kept = rebuilt(60, ("pool", 55))  # the noise block, as recorded: kept, and said so
    assert kept.name == "pool" and kept.recorded
    assert kept.describe().endswith(f"(chosen at {kept.n_labels} labels; compared again at "
                                    f"{math.ceil(1.25 * kept.n_labels)})")  # fmt: skip
    # with the label budget spent before then, no comparison comes: none is promised
    assert kept.describe(budget=kept.n_labels).endswith(f"(chosen at {kept.n_labels} labels)")
    assert rebuilt(60, None).name != "pool"  # chosen afresh it would not be
    assert rebuilt(80, ("pool", 55)).name != "pool"  # 25 % more labels: chosen again
    assert rebuilt(60, ("pool", 55)).name == "pool"
    pinned = fit_model(
        FitRequest(TrainingSnapshot(X[:60], y[:60], 3), layout, "pretrained", 0, ("pool", 55)),
        lambda: False,
    ).choice
    assert pinned.name == "pretrained"  # a pinned setting wins over any record


def test_the_choice_is_scored_over_two_fold_splits_while_labels_are_few(monkeypatch):
    """One 3-fold split of a few hundred labels picked another winner from the same labels
    often enough to cost accuracy: two splits are averaged up to CV_TWICE_UP_TO labels."""
    from aldesk.core import validation

    X, y, layout = _two_blocks()
    w = layout.weights("pool")  # the noise block: each split scores it differently
    two = [cv_accuracy(X, y, w, random_state=s) for s in (3, 3 + validation.SECOND_SPLIT)]
    assert two[0] != two[1]  # the splits differ, so the average is not either one
    assert validation.choice_scorer(3)(X, y, w) == pytest.approx(np.mean(two))
    monkeypatch.setattr(validation, "CV_TWICE_UP_TO", len(y) - 1)
    assert validation.choice_scorer(3)(X, y, w) == pytest.approx(two[0])


def test_many_labels_are_scored_on_a_subset_that_keeps_every_class(monkeypatch):
    from aldesk.core import representation

    X, y, layout = _two_blocks()
    monkeypatch.setattr(representation, "MAX_LABELS_TO_SCORE", 40)
    y = y.copy()
    y[-1] = y.max() + 1  # a class with one label
    seen: list[np.ndarray] = []

    def scorer(Xc, yc, w):
        seen.append(yc)
        return cv_accuracy(Xc, yc, w)

    choice = choose(X, y, layout, "auto", None, scorer)
    assert choice.n_labels == len(y)  # the choice is for all the labels
    assert all(40 <= len(yc) <= 40 + 3 * len(np.unique(y)) for yc in seen)
    assert all(set(np.unique(yc)) == set(np.unique(y)) for yc in seen)
    rows = representation.scoring_rows(y, 40)
    np.testing.assert_array_equal(rows, representation.scoring_rows(y, 40))  # reproducible
    assert representation.scoring_rows(y[:30], 40) is None  # few labels: all are scored


def test_a_pinned_representation_is_scored_alone_and_never_switched():
    X, y, layout = _two_blocks()
    scored: list[np.ndarray] = []

    def scorer(Xc, yc, w):
        scored.append(w)
        return cv_accuracy(Xc, yc, w)

    pinned = choose(X, y, layout, "pool", None, scorer)
    assert pinned.name == "pool" and pinned.pinned and set(pinned.scores) == {"pool"}
    assert len(scored) == 1 and np.array_equal(scored[0], layout.weights("pool"))
    assert pinned.accuracy() == pinned.scores["pool"] < 0.6  # the noise block, honestly scored
    assert "project settings" in pinned.describe()
    single = choose(X, y, Layout({"pool": (0, 16)}), "auto", None, scorer)
    assert single.name == "pool" and single.accuracy() > 0.9


def _demo_project(tmp_path, representation: str = "auto"):
    from aldesk.core.demo import make_demo_pool
    from aldesk.core.project import ProjectSettings, create_project

    pool = tmp_path / "pool"
    classes = make_demo_pool("images", pool, labels_out=tmp_path / "labels.csv", per_class=4)
    settings = ProjectSettings(test_size=0, representation=representation)
    store, _ = create_project(tmp_path / "proj", pool, classes, settings)
    return store


def test_a_damaged_model_falls_back_to_pool_features_with_a_reason(tmp_path, monkeypatch):
    import json

    from aldesk.core.features import onnx_models
    from aldesk.core.project import compute_representation

    models = tmp_path / "models"
    models.mkdir()
    (models / "efficientnet-lite0.onnx").write_bytes(b"not a model")
    entry = {"file": "efficientnet-lite0.onnx", "sha256": "0" * 64}
    (models / "manifest.json").write_text(json.dumps({"effnet": entry}))
    monkeypatch.setenv(onnx_models.ENV_DIR, str(models))
    onnx_models.clear_cache()
    said: list[str] = []
    store = _demo_project(tmp_path)
    try:
        result, matrix, layout = compute_representation(store, log=said.append)
    finally:
        store.close()
        onnx_models.clear_cache()
    assert layout.candidates() == ["pool"] and matrix is result.features
    assert len(said) == 1 and "missing or damaged" in said[0] and "instead" in said[0]


def test_pool_pinned_projects_never_extract_pretrained_features(tmp_path, monkeypatch):
    from aldesk.core.features import extractors
    from aldesk.core.project import compute_representation

    keys: list[str] = []
    original = extractors.extract_batch
    monkeypatch.setattr(
        extractors, "extract_batch", lambda k, i, s: keys.append(k) or original(k, i, s)
    )
    store = _demo_project(tmp_path, representation="pool")
    try:
        _, matrix, layout = compute_representation(store)
    finally:
        store.close()
    assert layout.candidates() == ["pool"] and set(keys) == {"image"}


def test_a_kept_choice_the_matrix_no_longer_has_is_chosen_again():
    """New files joined the pool mid-session: until their pretrained rows exist the matrix is
    the pool block alone, and the kept "pretrained" choice trained on 0 columns ("Found array
    with 0 feature(s)", QA, 3 of 3)."""
    from aldesk.core.representation import Choice

    X, y, _ = _two_blocks()
    pool_only = Layout({"pool": (0, 6)})
    kept = Choice("pretrained", len(y) - 5, recorded=True)  # a reopened project's last round
    choice = choose(X[:, :6], y, pool_only, "auto", kept, cv_accuracy)
    assert choice.name == "pool"
    assert pool_only.weights(choice.name).sum() > 0
