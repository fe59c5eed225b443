"""The numbers a session reports are right and agree with each other (issue 11, section 4):
rounds, label counts, test accuracy and its count, the label budget, test items."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from session_helpers import make_project
from sklearn.datasets import make_classification

from aldesk.commands_status import status_dict
from aldesk.core.features.types import FeatureSet
from aldesk.core.project import ProjectSettings
from aldesk.core.rounds import run_round
from aldesk.core.session import Session
from aldesk.core.session_status import (
    MIN_TEST_ITEMS,
    Status,
    accuracy_text,
    labeled_text,
    macro_f1_text,
)
from aldesk.core.store import NewItem, ProjectStore

N_ITEMS = 200
TEST_IDS = list(range(1, 31))  # held-out items: ids are 1-based in insertion order


@pytest.fixture
def data():
    X, y = make_classification(
        n_samples=N_ITEMS, n_features=20, n_informative=8, n_classes=3, random_state=0
    )
    return X.astype(np.float32), y


def _project(tmp_path: Path, y: np.ndarray, tests: bool = True, **settings) -> ProjectStore:
    store = make_project(tmp_path, y, **settings)
    if tests:
        store.set_split(TEST_IDS, "test")
    return store


def _session(store: ProjectStore, X: np.ndarray) -> Session:
    return Session(store, FeatureSet("test-v1", X, [f"h{i:04d}" for i in range(len(X))]))


def _answer(session: Session, y: np.ndarray) -> None:
    q = session.current()
    session.answer([c.id for c in session.classes][y[q.item.id - 1]])


def _label(session: Session, y: np.ndarray, n: int, train: bool = True) -> None:
    for _ in range(n):
        _answer(session, y)
        job = session.training_job() if train else None
        if job is not None:
            assert session.apply_result(run_round(job))


def _rebuild(session: Session) -> None:
    """What the app does once a reopened project's features are in: a forced retrain."""
    job = session.training_job(force=True)
    assert job is not None
    assert session.apply_result(run_round(job))


def test_reopening_rebuilds_the_model_of_the_last_round_without_adding_one(tmp_path, data) -> None:
    X, y = data
    store = _project(tmp_path, y)
    session = _session(store, X)
    _label(session, y, 24)
    _rebuild(session)  # the last labels are in a round too
    rounds, history = store.rounds(), store.get("stop_set_history")
    path = store.path
    store.close()
    for _reopen in range(3):
        with ProjectStore.open(path) as store:
            session = _session(store, X)
            before = session.current()
            assert not before.model_loaded and before.round == len(rounds)
            assert session.status().model_loaded is False
            _rebuild(session)
            view = session.current_view()
            assert view.model_loaded and view.round == len(rounds)
            assert view.is_test or view.proba is not None
            assert store.rounds() == rounds  # no new round: the labels did not change
            # nor a rebuilt model counted as "predictions stopped changing"
            assert store.get("stop_set_history") == history
            assert session.status().round == len(rounds)
    with ProjectStore.open(path) as store:
        session = _session(store, X)
        _rebuild(session)
        _label(session, y, 6)  # new labels: a new round, numbered on from the last
        after = store.rounds()
        assert len(after) == len(rounds) + 1 and after[-1].round == len(rounds) + 1
        assert after[-1].n_labels > rounds[-1].n_labels


def test_a_reopened_project_rebuilds_the_very_model_the_session_had(tmp_path, data) -> None:
    """Each round's fit started from the previous round's weights and stopped at tol: a
    reopen rebuilt another model from the same labels, and a round's recorded accuracy went
    from 30.8 % to 26.9 %, the review grid and an export disagreeing on 3 items."""
    X, y = data
    store = _project(tmp_path, y)
    session = _session(store, X)
    _label(session, y, 60)  # a dozen rounds, each after the one before
    _rebuild(session)
    seen = session.model.ranking.model.predict_proba(X)
    rounds, path = store.rounds(), store.path
    store.close()
    with ProjectStore.open(path) as store:
        session = _session(store, X)
        _rebuild(session)
        np.testing.assert_allclose(session.model.ranking.model.predict_proba(X), seen, atol=1e-6)
        assert store.rounds() == rounds


def test_the_view_after_a_retrain_says_which_round_chose_the_item(tmp_path, data) -> None:
    X, y = data
    store = _project(tmp_path, y, tests=False)
    session = _session(store, X)
    _label(session, y, 10)  # seed set and a first model: items now come with a score
    job = None
    while job is None:  # answer until a retrain is due, without running it yet
        _answer(session, y)
        job = session.training_job()
    asked = session.current()  # chosen by the model in memory
    assert asked.score is not None and session.current_view().asked_round is None
    assert session.apply_result(run_round(job))
    view = session.current_view()
    assert view.item.id == asked.item.id and view.round == asked.round + 1
    assert view.asked_round == asked.round and view.score == asked.score


def test_round_numbers_count_the_recorded_rounds(tmp_path, data) -> None:
    X, y = data
    store = _project(tmp_path, y)
    session = _session(store, X)
    _label(session, y, 30)
    rounds = store.rounds()
    assert [r.round for r in rounds] == list(range(1, len(rounds) + 1))
    assert session.status().round == session.model.round == len(rounds)
    assert len({r.n_labels for r in rounds}) == len(rounds)  # one curve point per label count
    store.close()


def test_test_labels_after_a_round_are_measured_by_its_model(tmp_path, data) -> None:
    """Test items answered after the last retrain (every one, at the end of a stream) never
    counted: the accuracy stayed on the round's test items, and reopening kept it there."""
    X, y = data
    store = _project(tmp_path, y)
    session = _session(store, X)
    _label(session, y, 40)
    before = store.rounds()[-1]
    while session.current().is_test is False or session.status().n_test_labeled == before.n_test:
        _label(session, y, 1, train=False)  # labels after the round, a test item among them
    st = session.status()
    latest = store.rounds()[-1]

    assert len(store.rounds()) == before.round and latest.n_labels == before.n_labels
    assert st.n_test_labeled > before.n_test and latest.n_test == st.n_test_labeled
    assert (st.accuracy, st.accuracy_n) == (latest.accuracy, latest.n_test)
    assert st.accuracy_ci == (latest.accuracy_lo, latest.accuracy_hi)
    proba = session.model.ranking.proba
    tests = {e.item_id: e.class_id for e in store.answers().values() if e.split == "test"}
    classes = [c.id for c in session.classes]
    right = sum(classes[int(proba[session.model.row_of[i]].argmax())] == c
                for i, c in tests.items())  # fmt: skip
    assert latest.accuracy == pytest.approx(right / len(tests))
    assert f"on {st.n_test_labeled} test items" in accuracy_text(st) or (
        f"of {st.n_test_labeled} test items right" in accuracy_text(st)
    )
    session.undo()  # withdrawing a test label measures again, too
    assert store.rounds()[-1].n_test == session.status().n_test_labeled
    store.close()


def test_reopening_measures_the_rebuilt_model_on_test_labels_given_since(tmp_path, data) -> None:
    X, y = data
    store = _project(tmp_path, y)
    session = _session(store, X)
    _label(session, y, 30)
    _rebuild(session)
    n_rounds, path = len(store.rounds()), store.path
    tests = [i for i in TEST_IDS if i not in store.answers()][:5]
    classes = [c.id for c in session.classes]
    store.record_many([(i, "label", classes[y[i - 1]], "test", None, "import") for i in tests])
    store.close()
    with ProjectStore.open(path) as store:
        session = _session(store, X)
        _rebuild(session)
        assert len(store.rounds()) == n_rounds  # the same model: no new point
        assert store.rounds()[-1].n_test == session.status().n_test_labeled


def test_pool_and_test_counts_add_up_and_say_which_is_which(tmp_path, data) -> None:
    X, y = data
    store = _project(tmp_path, y)
    session = _session(store, X)
    _label(session, y, 20)
    st = session.status()

    assert st.n_test_labeled > 0
    assert sum(st.per_class.values()) == st.n_labeled + st.n_test_labeled == st.n_labels
    assert labeled_text(st) == (
        f"{st.n_labeled} of {N_ITEMS - len(TEST_IDS)} pool items + {st.n_test_labeled} test "
        f"= {st.n_labels}"
    )
    store.close()


def _status(accuracy: float, n: int) -> Status:
    return Status(
        n_labeled=20, n_pool=100, per_class={}, n_test_labeled=n, n_test=30, n_unreadable=0,
        round=3, accuracy=accuracy, macro_f1=0.5, training=False, advice=None,
        accuracy_n=n, accuracy_ci=(0.1, 0.7),
    )  # fmt: skip


def test_too_few_test_items_give_a_count_an_interval_and_what_is_missing() -> None:
    few = accuracy_text(_status(0.375, 8))
    assert "%" not in few.split("(")[0]  # no bare percentage
    assert few == (
        "3 of 8 test items right (95% interval 10%–70%); 2 more test labels needed for a "
        "usable figure"
    )
    assert "1 more test label needed" in accuracy_text(_status(1.0, MIN_TEST_ITEMS - 1))
    assert accuracy_text(_status(0.8, 40)) == "80.0% on 40 test items (95% interval 10%–70%)"


def test_macro_f1_has_its_interval_as_the_accuracy_has() -> None:
    """ "Macro-F1: 12.1%" on 12 test items, its stored interval 0-28 % not shown (audit)."""
    import dataclasses

    st = dataclasses.replace(_status(0.5, 12), macro_f1=0.121, macro_f1_ci=(0.0, 0.276))
    assert macro_f1_text(st) == "12.1% (95% interval 0%–28%)"
    assert macro_f1_text(dataclasses.replace(st, macro_f1_ci=None)) == "12.1%"


def test_status_reads_the_macro_f1_interval_a_session_shows(tmp_path, data) -> None:
    X, y = data
    store = _project(tmp_path, y)
    session = _session(store, X)
    _label(session, y, 60)
    shown = session.status()
    assert shown.macro_f1_ci is not None and shown.macro_f1_ci[0] <= shown.macro_f1
    assert tuple(status_dict(store.path)["macro_f1_interval"]) == shown.macro_f1_ci
    store.close()


def test_labelled_test_items_without_a_model_are_not_called_unlabelled() -> None:
    import dataclasses

    # Labels imported before any round: the test items are labelled, the model is not there.
    waiting = dataclasses.replace(_status(0.5, 11), accuracy=None, accuracy_n=0, round=0)
    assert accuracy_text(waiting) == "not measured yet: no model yet (11 test items labeled)"
    one = dataclasses.replace(waiting, n_test_labeled=1)
    assert accuracy_text(one) == "not measured yet: no model yet (1 test item labeled)"
    none = dataclasses.replace(waiting, n_test_labeled=0)
    assert accuracy_text(none) == "no test items labeled yet"
    assert accuracy_text(dataclasses.replace(none, n_test=0)) == "no test items in this project"


def test_the_model_is_not_up_to_date_over_labels_it_has_not_seen() -> None:
    """Progress said "up to date" beside an accuracy trained on 44 of 47 pool labels."""
    import dataclasses

    from aldesk.core.session_status import model_text

    ready = dataclasses.replace(_status(0.8, 40), model_loaded=True)
    assert model_text(ready) == "up to date"
    behind = dataclasses.replace(ready, labels_since_model=3)
    assert model_text(behind) == (
        "up to date but for the last 3 labels (they join it at the next retrain)"
    )
    one = dataclasses.replace(ready, labels_since_model=1)  # not "the last 1 label (they..."
    assert model_text(one) == "up to date but for the last label (it joins it at the next retrain)"
    assert model_text(dataclasses.replace(behind, training=True)) == "training…"


def test_asking_stops_at_the_label_budget(tmp_path, data) -> None:
    X, y = data
    store = _project(tmp_path, y, tests=False, budget=4)
    session = _session(store, X)
    _label(session, y, 4)

    assert session.current() is None
    assert session.done_text().startswith("The label budget is spent: 4 of 4 labels on pool items")
    assert "4 of 4 labels" in session.status().advice.reason
    assert len(store.labels()) == 4
    session.undo()  # a withdrawn label gives the budget one back
    assert session.current() is not None
    store.close()


def test_a_target_with_a_small_budget_gets_its_test_labels_after_the_budget(tmp_path, data):
    """The target rule trusts 30 test labels, one asked per 5 pool labels: with a budget of 40
    it had 8 when asking stopped, and the rule never ran."""
    X, y = data
    store = _project(tmp_path, y, budget=40, target_accuracy=0.99, test_size=len(TEST_IDS))
    session = _session(store, X)
    while not session.budget_spent():
        _label(session, y, 1)
    assert session.status().n_test_labeled < 30
    polled = status_dict(store.path)  # what a polling script reads
    assert not polled["finished"] and polled["left_to_ask"] == 30 - polled["test_labeled"]
    # no round can be measured past the budget: not "not enough rounds yet" (QA)
    assert polled["projection"].startswith("the label budget is spent")
    asked_after = 0
    while (q := session.current()) is not None:
        assert q.is_test  # past the budget only test items are asked
        _answer(session, y)
        asked_after += 1
    st = session.status()
    assert session.model.n_train_labels(session.state) == 40
    assert asked_after > 0 and st.n_test_labeled == 30
    assert st.accuracy_n == 30  # the model is measured on them, no retrain needed
    target = [c.reason for c in st.advice.criteria if "target" in c.reason]
    assert len(target) == 1 and "30 items), target 99.0%" in target[0]  # the rule judged it
    polled = status_dict(store.path)
    assert polled["finished"] and polled["left_to_ask"] == 0 and polled["unanswered"] > 100
    store.close()


@pytest.mark.parametrize("target", [None, 0.99])
def test_left_to_ask_is_what_the_session_then_asks(tmp_path, data, target) -> None:
    """With a budget of 40 and 12 labels given, status said every unanswered item (319 in a
    tester's project where 124 would be asked) was left to ask."""
    X, y = data
    store = _project(tmp_path, y, budget=40, target_accuracy=target, test_size=len(TEST_IDS))
    session = _session(store, X)
    _label(session, y, 12)
    polled = status_dict(store.path)
    asked = 0
    while session.current() is not None:
        _label(session, y, 1)
        asked += 1
    assert polled["left_to_ask"] == asked < polled["unanswered"]
    store.close()


def test_test_items_carry_no_prediction(tmp_path, data) -> None:
    X, y = data
    store = _project(tmp_path, y)
    session = _session(store, X)
    _label(session, y, 20)
    assert session.model.loaded
    while not session.current().is_test:
        _label(session, y, 1, train=False)

    assert session.current().proba is None and session.current_view().proba is None
    assert session.model.proba_of(session.current().item.id) is not None  # the model has one
    store.close()


def test_learning_curve_has_one_point_per_label_count() -> None:
    from aldesk.core.records import RoundRecord
    from aldesk.core.rounds import curve_points

    # an older project: rounds 26 and 28 at 56 labels, 30, 32 and 34 at 59
    rounds = [
        RoundRecord(26, 56, 8, accuracy=0.5),
        RoundRecord(28, 56, 8, accuracy=0.6),
        RoundRecord(30, 59, 9, accuracy=0.7),
        RoundRecord(31, 57, 9, accuracy=None),
        RoundRecord(32, 59, 9, accuracy=0.7),
        RoundRecord(34, 59, 9, accuracy=0.8),
    ]
    assert [(r.n_labels, r.accuracy) for r in curve_points(rounds)] == [(56, 0.6), (59, 0.8)]


def test_a_project_with_no_readable_file_says_so_not_all_answered(tmp_path) -> None:
    s = ProjectSettings(**{"batch": 5, "seed_size": 6, "test_size": 0})
    store = ProjectStore.create(
        tmp_path / "p", pool_root=tmp_path, kind="audio", classes=["a", "b"],
        settings=asdict(s),
    )  # fmt: skip
    reason = "AAC / M4A audio is not supported: convert to WAV, FLAC or MP3"
    store.add_items(
        NewItem(f"h{i}", f"memo{i}.m4a", "audio", 1, i, "unreadable", reason) for i in range(2)
    )
    session = Session(store, FeatureSet("test-v1", np.zeros((0, 4), np.float32), []))
    assert session.current() is None
    text = session.done_text()
    assert text.startswith("No file of this project can be read (2 files flagged")
    assert f"memo0.m4a: {reason}" in text
    assert "Every readable item" not in text


def test_the_models_own_labels_are_counted_apart_from_the_users() -> None:
    """After Auto-label of 39 items, Progress said "156 of 856 pool items": the user had given
    117, and the README says the model's labels never count as theirs."""
    import dataclasses

    s = dataclasses.replace(_status(0.5, 10), n_labeled=156, n_pool=856, n_by_model=39)
    assert labeled_text(s) == "117 of 856 pool items + 39 by the model (auto-label) + 10 test = 166"
