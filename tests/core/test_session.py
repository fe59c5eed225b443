"""Session: the loop the app drives, on a real store with hand-made features."""

from __future__ import annotations

import numpy as np
import pytest
from session_helpers import N_ITEMS, asked, features_of, label, make_data, make_project, truth

from aldesk.core.rounds import run_round
from aldesk.core.session import Session
from aldesk.core.store import ProjectStore
from aldesk.core.strategies import DEFAULT_STRATEGY


@pytest.fixture
def data() -> tuple:
    return make_data()


def test_seed_phase_then_strategy_with_scores(tmp_path, data) -> None:
    X, y = data
    store = make_project(tmp_path, y)
    session = Session(store, features_of(X))
    first = label(session, y, 6, train=False)
    assert first == ["seed"] * 6
    assert len(store.get("seed_queue")) == 6  # representative seed persisted for reopen
    label(session, y, 10)
    q = session.current()
    assert q.strategy == DEFAULT_STRATEGY and q.score is not None
    assert set(q.proba) == {c.id for c in session.classes}
    assert abs(sum(q.proba.values()) - 1) < 1e-4
    assert session.model.round >= 1
    store.close()


def test_every_answer_is_in_the_store_at_once(tmp_path, data) -> None:
    X, y = data
    store = make_project(tmp_path, y)
    session = Session(store, features_of(X))
    q = session.current()
    session.answer(truth(session, y, q.item.id))
    assert store.labels() == {q.item.id: truth(session, y, q.item.id)}
    ev = store.events()[-1]
    assert ev.strategy == "seed" and ev.split == "pool"
    store.close()


def test_undo_withdraws_and_shows_the_item_again(tmp_path, data) -> None:
    X, y = data
    store = make_project(tmp_path, y)
    session = Session(store, features_of(X))
    q1 = session.current()
    session.answer(truth(session, y, q1.item.id))
    q2 = session.current()
    session.skip()
    back = session.undo()
    assert back.item.id == q2.item.id
    assert session.current().item.id == q2.item.id
    assert q2.item.id not in store.answers()
    assert [e.action for e in store.events()] == ["label", "skip", "undo"]
    session.undo()
    assert store.labels() == {}
    store.close()


def test_back_lets_the_user_change_an_answer(tmp_path, data) -> None:
    X, y = data
    store = make_project(tmp_path, y)
    session = Session(store, features_of(X))
    classes = [c.id for c in session.classes]
    first = session.current().item.id
    session.answer(classes[0])
    second = session.current().item.id
    session.answer(classes[1])
    frontier = session.current().item.id
    assert session.back().item.id == second
    assert session.back().item.id == first
    assert session.current().answer.class_id == classes[0]
    session.answer(classes[2])  # changed: back to the item being labeled, not on to `second`
    assert store.labels()[first] == classes[2]
    assert session.current().item.id == frontier
    session.answer(classes[0])  # a key pressed on, meant for a new item, leaves `second` alone
    assert store.labels()[second] == classes[1]
    store.close()


def test_test_items_are_interleaved_and_never_trained_on(tmp_path, data) -> None:
    X, y = data
    store = make_project(tmp_path, y)
    test_ids = [1, 2, 3, 4, 5, 6, 7, 8]
    store.set_split(test_ids, "test")
    session = Session(store, features_of(X))
    seen = []
    for _ in range(24):
        q = session.current()
        seen.append(q.is_test)
        session.answer(truth(session, y, q.item.id))
        job = session.training_job()
        if job is not None:
            rows = {session.model.row_of[i] for i in test_ids}
            assert not rows & set(job.request.candidates.tolist())
            assert len(job.request.snapshot.y) == sum(
                1 for i, e in store.answers().items() if e.split == "pool" and e.action == "label"
            )
            session.apply_result(run_round(job))
    assert 4 <= sum(seen) <= 8
    assert store.rounds()[-1].n_test > 0 and store.rounds()[-1].accuracy is not None
    store.close()


def test_test_items_are_asked_in_a_random_order_not_the_files(tmp_path, data) -> None:
    """A fresh draw among the open test items each time walked neighbouring ids; with files
    named by class, the first 20 test answers held 3 of 6 classes and the accuracy measured
    those alone."""
    order = np.argsort(data[1], kind="stable")  # ids in class blocks, as files named by class
    X, y = data[0][order], data[1][order]
    store = make_project(tmp_path, y)
    tests = list(range(1, len(y) + 1, 5))  # every fifth item (ids are rows + 1)
    store.set_split(tests, "test")
    session = Session(store, features_of(X))
    asked = []
    while len(asked) < 12:
        q = session.current()
        if q.is_test:
            asked.append(q.item.id)
        session.answer(truth(session, y, q.item.id))
    assert {int(y[i - 1]) for i in asked} == {0, 1, 2}
    store.close()


def test_test_items_reach_the_trusted_count_whatever_the_batch(tmp_path, data) -> None:
    """Batch 10 spaced test items one per 10 answers: within a budget of 180 the accuracy
    never had the 30 test labels the target-accuracy rule waits for. Until it has them they
    come at least every 5 answers; then one per batch."""
    X, y = data
    store = make_project(tmp_path, y, batch=10, test_size=40)
    store.set_split(list(range(1, 41)), "test")
    session = Session(store, features_of(X))
    was_test = asked(session, y, 200)
    n_test = [sum(was_test[: k + 1]) for k in range(len(was_test))]
    pool = [k + 1 - t for k, t in enumerate(n_test)]
    assert n_test[-1] >= 30  # and so the rule can run
    first_30 = n_test.index(30)
    assert pool[first_30] <= 150  # one per 5 answers until then
    assert n_test[-1] - 30 <= (pool[-1] - pool[first_30]) // 10 + 1  # then one per batch
    store.close()


def test_test_items_keep_coming_after_the_batch_is_raised(tmp_path, data) -> None:
    """Test items were spaced by all pool answers over the batch: raising it from 5 to 10 at
    133 answers stopped them until 300. They come one per batch since the last one."""
    X, y = data
    store = make_project(tmp_path, y, batch=5, test_size=60)
    store.set_split(list(range(1, 61)), "test")
    session = Session(store, features_of(X))
    asked(session, y, 200)
    store.set("batch", 10)
    session.reload_settings()
    later = asked(session, y, 60)
    assert 4 <= sum(later) <= 7  # one per 10 pool answers (none at all before)
    store.close()


def test_retrain_is_due_every_batch_and_stale_results_are_dropped(tmp_path, data) -> None:
    X, y = data
    store = make_project(tmp_path, y)
    session = Session(store, features_of(X))
    label(session, y, 8, train=False)
    first = session.training_job()
    assert first is not None
    assert session.training_job() is None  # nothing new since the request
    label(session, y, 5, train=False)
    second = session.training_job()
    assert second is not None and second.request.round > first.request.round
    newer, older = run_round(second), run_round(first)
    assert session.apply_result(newer)
    assert not session.apply_result(older)
    # the superseded request never becomes a round: rounds are counted as recorded
    assert session.model.round == 1 == len(store.rounds())
    assert store.rounds()[-1].n_labels == second.request.snapshot.y.size
    store.close()


def test_a_round_is_recorded_at_the_labels_its_model_was_trained_on(tmp_path, data) -> None:
    X, y = data
    store = make_project(tmp_path, y)
    session = Session(store, features_of(X))
    label(session, y, 8, train=False)
    job = session.training_job()
    label(session, y, 3, train=False)  # answered while the model is being fitted
    assert session.apply_result(run_round(job))
    # the curve's point sits at the model's 8 labels, not the 11 given when it arrived
    assert store.rounds()[-1].n_labels == job.request.snapshot.y.size == 8
    store.close()


def test_the_last_labels_before_the_budget_is_spent_are_trained_on(tmp_path, data) -> None:
    """Budget 18, batch 5: rounds at 6 (the seed set), 11 and 16, then the budget was spent
    and labels 17-18 never reached a model while the window said "up to date"."""
    X, y = data
    store = make_project(tmp_path, y, budget=18)
    session = Session(store, features_of(X))
    label(session, y, 18)
    assert session.current() is None and session.budget_spent()
    assert store.rounds()[-1].n_labels == 18
    assert session.training_job() is None  # and nothing more once they are
    store.close()


def test_queue_is_restored_on_reopen_before_features_load(tmp_path, data) -> None:
    X, y = data
    store = make_project(tmp_path, y)
    session = Session(store, features_of(X))
    label(session, y, 16)
    expected = session.current()
    path = store.path
    store.close()
    with ProjectStore.open(path) as again:
        reopened = Session(again)  # no features yet: served from the saved queue
        q = reopened.current()
        assert q.item.id == expected.item.id
        assert q.strategy == DEFAULT_STRATEGY
        assert len(again.labels()) == 16


def test_status_counts(tmp_path, data) -> None:
    X, y = data
    store = make_project(tmp_path, y)
    session = Session(store, features_of(X))
    label(session, y, 12)
    st = session.status()
    assert st.n_labeled == 12 and st.n_pool == N_ITEMS
    assert sum(st.per_class.values()) == 12
    assert st.round >= 1 and st.advice is not None
    store.close()


def _settings_rows(store: ProjectStore) -> list[tuple]:
    return store._conn.execute("SELECT * FROM settings ORDER BY key").fetchall()


def test_likely_next_is_what_an_answer_brings_and_writes_nothing(tmp_path, data) -> None:
    """The item the viewer decodes ahead is the one served after the current is answered, in
    the seed phase and once a ranking exists (the answer that completes the seed set switches
    to the ranking: that one guess may miss); guessing it writes nothing to the project."""
    X, y = data
    store = make_project(tmp_path, y)
    session = Session(store, features_of(X))
    guessed_seed = guessed_ranked = 0
    for _ in range(20):
        current = session.current()
        events, settings = len(store.events()), _settings_rows(store)
        ranked_before = session.model.can_rank(session.state)
        guess = session.likely_next()
        assert (len(store.events()), _settings_rows(store)) == (events, settings)
        assert guess is not None and guess.id != current.item.id
        session.answer(truth(session, y, current.item.id))
        nxt = session.current()
        if session.model.can_rank(session.state) == ranked_before:
            assert guess.id == nxt.item.id
            guessed_seed += nxt.strategy == "seed"
            guessed_ranked += nxt.strategy != "seed"
        job = session.training_job()
        if job is not None:
            session.apply_result(run_round(job))
    assert guessed_seed and guessed_ranked  # both phases were guessed


def test_likely_next_is_none_while_going_back_or_showing_a_picked_item(tmp_path, data) -> None:
    X, y = data
    session = Session(make_project(tmp_path, y), features_of(X))
    label(session, y, 3, train=False)
    session.back()
    assert session.likely_next() is None  # the next item is the history's, not the queue's
    session.forward()
    session.show_item(1)
    assert session.likely_next() is None


def test_likely_next_follows_the_seed_order_while_the_first_model_trains(tmp_path, data) -> None:
    """Past the seed set with no ranking yet (the first model still training), the seed order
    is served again, and that is what the guess names."""
    X, y = data
    session = Session(make_project(tmp_path, y), features_of(X))
    label(session, y, 8, train=False)
    assert session.model.can_rank(session.state) and session.model.ranking is None
    # told apart from the seed set (129 items "Seed set" of a seed set of 30)
    assert session.current().strategy == "first_model"
    for _ in range(4):
        current = session.current()
        guess = session.likely_next()
        session.answer(truth(session, y, current.item.id))
        assert guess is not None and guess.id == session.current().item.id


def test_the_seed_order_after_a_used_up_ranking_is_told_apart(tmp_path, data, monkeypatch):
    """Answers faster than the retrains use up a ranking: the seed order serves meanwhile,
    and "Seed set (cold start)" beside "Model round: 7" read as a bug."""
    X, y = data
    store = make_project(tmp_path, y)
    session = Session(store, features_of(X))
    label(session, y, 12)
    assert session.model.round > 0
    monkeypatch.setattr(session.queue, "next_ranked", lambda *a: None)  # used up
    assert session.current().strategy == "waiting"
    store.close()


def test_an_item_brought_up_from_review_is_on_screen_again_after_a_close(tmp_path, data) -> None:
    """The README's promise, "after a close it shows the same item", held for the loop's own
    item only: one picked in the review window gave way to the queue's next on reopen."""
    X, y = data
    store = make_project(tmp_path, y)
    session = Session(store, features_of(X))
    label(session, y, 4, train=False)
    picked = next(i for i in session.store.labels())  # an answered one, to correct
    loop_item = session.current().item.id
    assert session.show_item(picked).item.id == picked
    session.save_position()
    path = store.path
    store.close()
    with ProjectStore.open(path) as again:
        reopened = Session(again, features_of(X))
        assert reopened.current().item.id == picked
        reopened.answer(truth(reopened, y, picked))
        assert reopened.current().item.id == loop_item  # answered: the loop's item is back
        reopened.save_position()
    with ProjectStore.open(path) as third:
        assert Session(third, features_of(X)).current().item.id == loop_item


def test_an_unanswered_item_picked_in_review_says_it_was_picked_not_revisited(
    tmp_path, data
) -> None:
    """ "Chosen by: Revisiting an answered item, or picked in the review window" was shown for
    an item never answered; an answered one keeps the strategy that first asked it."""
    X, y = data
    store = make_project(tmp_path, y)
    session = Session(store, features_of(X))
    label(session, y, 4, train=False)
    answered = next(iter(session.store.labels()))
    unanswered = next(it.id for it in store.items()
                      if it.id not in store.answers() and it.split == "pool")  # fmt: skip
    assert session.show_item(unanswered).strategy == "picked"
    assert session.show_item(answered).strategy == store.answers()[answered].strategy
    store.close()


def test_a_class_added_without_a_label_records_no_round_and_no_stability(tmp_path, data) -> None:
    """Adding three classes (no label given) recorded three rounds at the same label count,
    and their agreeing predictions made the advice say "predictions have stopped changing"."""
    X, y = data
    store = make_project(tmp_path, y)
    session = Session(store, features_of(X))
    label(session, y, 12)
    rounds, history = store.rounds(), store.get("stop_set_history")
    for name in ("d", "e", "f"):
        store.add_class(name)
        session.classes_changed()
        job = session.training_job(force=True)
        assert job is not None and session.apply_result(run_round(job))
    assert store.rounds() == rounds  # measured in place, no new point on the curve
    assert store.get("stop_set_history") == history
    label(session, y, 5)  # labels again: a round, and the stability check goes on
    assert len(store.rounds()) == len(rounds) + 1
    assert len(store.get("stop_set_history")) > 0
    store.close()
