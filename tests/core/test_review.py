"""Suspicious labels (confident learning), near-duplicates and outliers on planted data."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.datasets import make_classification

from aldesk.core.errors import AldeskError
from aldesk.core.review import (
    ReviewRequest,
    confident_classes,
    confident_joint,
    find_suspicious,
    labelled_rows,
    per_class_thresholds,
)
from aldesk.core.review_project import unjudged_text
from aldesk.core.review_space import scan_space

N, N_FLIPS = 300, 15


def _planted(n_flips: int = N_FLIPS, random_state: int = 0):
    X, y = make_classification(
        n_samples=N, n_features=20, n_informative=6, n_classes=3, n_clusters_per_class=1,
        class_sep=2.5, flip_y=0, random_state=random_state,
    )  # fmt: skip
    rng = np.random.default_rng(random_state)
    flips = rng.choice(N, n_flips, replace=False)
    given = y.copy()
    given[flips] = (y[flips] + rng.integers(1, 3, n_flips)) % 3
    return X.astype(np.float32), y, given, flips


def _request(X, given, **kw) -> ReviewRequest:
    ids = np.arange(100, 100 + len(given))  # item ids differ from row numbers on purpose
    return ReviewRequest(ids, X, np.arange(len(given)), given, 3, **kw)


def test_planted_flips_are_found_at_the_top() -> None:
    X, _, given, flips = _planted()
    result = find_suspicious(_request(X, given))
    planted = set((flips + 100).tolist())
    top = [s.item_id for s in result.suspects[:N_FLIPS]]
    found = [s.item_id for s in result.suspects]
    assert len(planted & set(top)) >= 13  # measured: 13 of the top 15 are planted flips
    assert planted <= set(found)  # every flip is in the queue
    assert len(found) <= 2 * N_FLIPS
    margins = [s.margin for s in result.suspects]
    assert margins == sorted(margins) and margins[0] < -0.9
    confident = [s for s in result.suspects if s.confident]
    # measured: 9 of 12 confident suspects are planted; the other 3 are genuine items that sit
    # inside another class's cluster (make_classification draws some there)
    assert len(confident) >= 9
    assert sum(s.item_id in planted for s in confident) >= 0.7 * len(confident)
    assert 8 <= result.estimated_errors <= 2 * N_FLIPS


def test_the_suspect_names_the_class_it_really_is() -> None:
    X, truth, given, flips = _planted()
    result = find_suspicious(_request(X, given))
    for s in result.suspects[:10]:
        row = s.item_id - 100
        if row in flips:
            assert s.given == given[row] and s.predicted == truth[row]
            assert s.confidence > s.self_confidence


def test_clean_labels_give_few_suspects_and_no_confident_ones_among_the_clean() -> None:
    X, truth, _, _ = _planted(n_flips=0)
    result = find_suspicious(_request(X, truth))
    assert len(result.suspects) <= 0.05 * N


def test_a_model_that_agrees_with_under_half_the_labels_flags_none() -> None:
    """Correct labels the features cannot yet separate: a held-out model agrees with about a
    third of them, and its disagreements are its own mistakes, not wrong labels."""
    X, y = make_classification(
        n_samples=45, n_features=20, n_informative=2, n_classes=3, n_clusters_per_class=1,
        class_sep=0.2, flip_y=0, random_state=3,
    )  # fmt: skip
    result = find_suspicious(_request(X.astype(np.float32), y))
    agree = int((result.proba.argmax(1) == y).sum())
    assert result.agreeing == agree and 2 * agree < len(y)
    assert result.too_weak and result.suspects == [] and result.estimated_errors == 0


def test_thresholds_are_the_mean_self_confidence_of_each_class() -> None:
    proba = np.array([[0.9, 0.1], [0.7, 0.3], [0.2, 0.8], [0.4, 0.6], [0.35, 0.65]])
    y = np.array([0, 0, 1, 1, 0])
    judged = np.ones(5, dtype=bool)
    t = per_class_thresholds(proba, y, judged)
    assert t == pytest.approx([(0.9 + 0.7 + 0.35) / 3, (0.8 + 0.6) / 2])
    # Row 4 is labelled 0 but p_1 = 0.65 >= t_1 = 0.7? No: it is confidently of no class.
    assert confident_classes(proba, t).tolist() == [0, 0, 1, -1, -1]
    joint = confident_joint(proba, y, judged, t)
    assert joint.tolist() == [[2, 0], [0, 1]]


def test_the_model_sees_only_the_weighted_columns() -> None:
    """A column that leaks the given labels hides every flip; weight 0 on it brings them back."""
    X, _, given, flips = _planted()
    leak = np.tile(np.eye(3, dtype=np.float32)[given], 10)  # the given labels, one-hot, x10
    leaky = np.hstack([X, leak])
    blind = find_suspicious(_request(leaky, given))
    weights = np.r_[np.ones(X.shape[1]), np.zeros(leak.shape[1])]
    seeing = find_suspicious(_request(leaky, given, feature_weights=weights))
    planted = set((flips + 100).tolist())
    assert len(planted & {s.item_id for s in blind.suspects}) <= 2
    assert len(planted & {s.item_id for s in seeing.suspects[:N_FLIPS]}) >= 13


def test_a_class_with_one_label_is_not_judged() -> None:
    X, _, given, _ = _planted(n_flips=0)
    lone = np.flatnonzero(given == 2)[0]
    given = np.where(given == 2, 0, given)
    given[lone] = 2
    result = find_suspicious(_request(X, given))
    row = int(np.flatnonzero(result.item_ids == lone + 100)[0])
    assert not result.judged[row]
    assert lone + 100 not in {s.item_id for s in result.suspects}


def test_too_few_labels_is_a_message_not_a_traceback() -> None:
    X = np.zeros((3, 2), dtype=np.float32)
    with pytest.raises(AldeskError, match="at least 2 labels in each of two classes"):
        find_suspicious(ReviewRequest(np.arange(3), X, np.arange(3), np.array([0, 0, 1]), 2))


def test_labelled_rows_skip_items_without_features_or_active_class() -> None:
    ids, rows, y = labelled_rows({5: 20, 3: 10, 9: 10, 7: 99}, [10, 20], {3: 0, 5: 4, 7: 1})
    assert ids.tolist() == [3, 5] and rows.tolist() == [0, 4] and y.tolist() == [0, 1]


def test_near_duplicates_and_outliers_are_found_first() -> None:
    X, _, _, _ = _planted(n_flips=0)
    rng = np.random.default_rng(1)
    copy = X[10] + rng.normal(0, 1e-3, X.shape[1]).astype(np.float32)
    far = X.mean(axis=0) + 12 * X.std(axis=0)
    Xs = np.vstack([X, copy, far]).astype(np.float32)
    ids = np.arange(len(Xs)) + 1000
    report = scan_space(ids, Xs, top_outliers=5)
    assert (report.duplicates[0].a, report.duplicates[0].b) == (1010, 1000 + N)
    assert report.duplicates[0].ratio < 0.05
    assert len(report.duplicates) <= 3
    assert report.outliers[0].item_id == 1000 + N + 1
    assert report.outliers[0].score > 2 * report.outliers[-1].score / report.outliers[-1].score


def test_the_command_line_scores_with_the_latest_rounds_features(tmp_path) -> None:
    """``aldesk suspicious`` uses the features of the project's current model (its latest
    round), as the window does, so both count the same labels; before any round it chooses."""
    from aldesk.core.features.types import FeatureSet
    from aldesk.core.records import RoundRecord
    from aldesk.core.representation import Layout
    from aldesk.core.review_project import project_request, weights_for
    from aldesk.core.store import NewItem, ProjectStore

    X, _, given, _ = _planted(n_flips=0)
    store = ProjectStore.create(tmp_path / "p", pool_root=tmp_path, kind="image",
                                classes=["a", "b", "c"])  # fmt: skip
    ids = store.add_items(NewItem(f"h{i:04d}", f"f{i}.png", "image", 1, i) for i in range(N))
    names = {c.name: c.id for c in store.classes()}
    store.record_labels(
        [(i, names["abc"[int(c)]], "pool") for i, c in zip(ids, given, strict=True)]
    )
    matrix = FeatureSet("test", X, [f"h{i:04d}" for i in range(N)])
    layout = Layout({"pool": (0, 8), "pretrained": (8, 20)})
    chosen = weights_for(X, given, layout, "auto")  # no round yet: chosen as a round would
    np.testing.assert_array_equal(project_request(store, matrix, layout).feature_weights, chosen)
    for name in ("pool", "pretrained"):
        store.add_round(RoundRecord(1, N, 0, representation=name))
        weights = project_request(store, matrix, layout).feature_weights
        np.testing.assert_array_equal(weights, layout.weights(name))
    store.close()


def test_classes_the_model_has_not_learned_are_not_doubted() -> None:
    """40 classes, ~4 correct labels each, a model right on about half of them: 51 correct
    labels were flagged as confidently wrong, and "about 84 are wrong" beside 71 contradicted."""
    X, y = make_classification(
        n_samples=160, n_features=30, n_informative=12, n_classes=40, n_clusters_per_class=1,
        class_sep=1.5, flip_y=0, random_state=0,
    )  # fmt: skip
    ids = np.arange(len(y))
    result = find_suspicious(ReviewRequest(ids, X.astype(np.float32), ids, y, 40))
    assert result.suspects == [] and result.estimated_errors == 0  # no label is wrong
    assert result.unlearned > 30  # and the summary says why so few are judged, and which
    names = [f"c{k}" for k in range(40)]
    text = unjudged_text(result, names)
    unlearned = [names[c] for c in result.unlearned_classes]
    assert text.startswith(f"The {result.unjudged_labels} labels of {result.unlearned} classes")
    assert all(f"“{n}”" in text for n in unlearned[:5]) and f"and {len(unlearned) - 5} more" in text
    assert "have fewer than 5 labels" in text  # ~4 labels a class: which reason, said
    one = dataclasses.replace(result, unlearned_classes=(3,), unjudged_labels=4)
    few = int((result.y[result.judged] == 3).sum()) < 5
    assert unjudged_text(one, names) == (
        "The 4 labels of “c3” are not doubted yet: "
        + ("“c3” has fewer than 5 labels." if few else "the model gets most of “c3” wrong.")
    )
    # every judged label is agreed with, doubted, or in a class not judged: the command line's
    # counts had not added up ("23 of 150 contradicted" beside "agrees with 81%")
    disagreeing = int((result.judged & (result.proba.argmax(1) != result.y)).sum())
    assert 0 < disagreeing <= result.unjudged_labels <= int(result.judged.sum())
    # a class with enough labels that the model learns is still judged: plant an error there
    X2, y2 = make_classification(
        n_samples=120, n_features=20, n_informative=6, n_classes=3, n_clusters_per_class=1,
        class_sep=3.0, flip_y=0, random_state=1,
    )  # fmt: skip
    wrong = y2.copy()
    wrong[0] = (y2[0] + 1) % 3
    planted = find_suspicious(_request(X2.astype(np.float32), wrong))
    assert planted.unlearned == 0 and 100 in {s.item_id for s in planted.suspects}
    assert unjudged_text(planted, ["a", "b", "c"]) == ""
    hard = dataclasses.replace(planted, unlearned_classes=(0,), unjudged_labels=40)
    assert unjudged_text(hard, ["a", "b", "c"]).endswith(": the model gets most of “a” wrong.")
    assert planted.unjudged_labels == 0
    assert planted.estimated_errors <= len(planted.suspects)


def test_a_young_models_contradictions_come_with_a_caveat() -> None:
    """131 correct labels, 25 "estimated wrong": a model that errs on a fifth of the labels
    it never saw is mostly making its own mistakes, and the summary now says so."""
    from aldesk.core.review_project import TRUSTED_AGREEMENT, doubt_caveat

    X, y = make_classification(
        n_samples=130, n_features=20, n_informative=4, n_classes=3, n_clusters_per_class=1,
        class_sep=0.9, flip_y=0, random_state=1,
    )  # fmt: skip
    young = find_suspicious(_request(X.astype(np.float32), y))  # every label is right
    agreement = young.agreeing / young.judged.sum()
    assert 0.5 <= agreement < TRUSTED_AGREEMENT and young.suspects
    assert doubt_caveat(young).startswith(f"A model that never saw each label agrees with "
                                          f"only {agreement:.0%} of them")  # fmt: skip
    X, _, given, _ = _planted()  # a model that learns the classes, 5 % of labels flipped
    trained = find_suspicious(_request(X, given))
    assert trained.agreeing >= TRUSTED_AGREEMENT * trained.judged.sum()
    assert doubt_caveat(trained) == ""
