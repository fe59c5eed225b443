"""The session's in-memory answers against the log they come from.

Random sequences of what a person does (answer, skip, cannot label, undo, back, forward, change
an earlier answer, a review edit, merging classes) are run on a real store; then the session's
state must equal both a fresh replay of the log (a new ``Session`` on the same store) and the
plain replay ``current_answers`` of the events, and the counts ``aldesk status`` computes in
SQL must equal the app's.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aldesk.core.log_status import read_status
from aldesk.core.project import ProjectSettings
from aldesk.core.records import current_answers
from aldesk.core.session import Session
from aldesk.core.store import NewItem, ProjectStore

N_ITEMS = 10
N_TEST = 2

OPS = st.one_of(
    st.tuples(st.just("answer"), st.integers(0, 2)),
    st.tuples(st.sampled_from(["skip", "cannot", "undo", "back", "forward", "merge"])),
    st.tuples(st.just("edit"), st.integers(0, N_ITEMS - 1), st.integers(-1, 2)),
    st.tuples(st.just("pin"), st.integers(0, N_ITEMS - 1)),
    st.tuples(st.just("flag"), st.integers(0, N_ITEMS - 1)),
)


def _store(folder: Path) -> ProjectStore:
    settings = asdict(ProjectSettings(batch=3, seed_size=2, test_size=N_TEST))
    store = ProjectStore.create(folder / "p", pool_root=folder, kind="image",
                                classes=["a", "b", "c"], settings=settings)  # fmt: skip
    ids = store.add_items(
        NewItem(f"h{i}", f"f{i}.png", "image", 1, i, arrival=i) for i in range(N_ITEMS)
    )
    store.set_split(ids[:N_TEST], "test")
    return store


def _do(session: Session, op: tuple) -> None:
    store, kind = session.store, op[0]
    classes = [c.id for c in session.classes]
    if kind in ("answer", "skip", "cannot") and session.current() is None:
        return
    if kind == "answer" and session.current().item.status != "ok":
        session.skip()  # a flagged file cannot be labelled: the window says to press S
    elif kind == "answer":
        session.answer(classes[op[1] % len(classes)])
    elif kind == "skip":
        session.skip()
    elif kind == "cannot":
        session.cannot_label()
    elif kind == "undo":
        session.undo()
    elif kind == "back":
        session.back()
    elif kind == "forward":
        session.forward()
    elif kind == "pin":
        session.show_item(op[1] + 1)
    elif kind == "merge" and len(classes) > 1:
        store.merge_classes(classes[-1], classes[0])
        session.classes_changed()
    elif kind == "edit":
        _review_edit(session, op[1] + 1, op[2], classes)
    elif kind == "flag":
        _flag(session, op[1] + 1)


def _flag(session: Session, item_id: int) -> None:
    """What the window does when the viewer cannot decode a file."""
    if session.store.item(item_id).status == "ok":
        session.store.update_item(item_id, status="unreadable", reason="cannot decode")
        session.item_flagged(item_id)


def _index_view(session: Session) -> tuple:
    """The item lists; the random order as a set (a flag keeps it, a fresh build reshuffles)."""
    x = session.index
    return (x.tests, x.n_test, x.synth, x.n_pool_ok, x.n_unreadable, x.arrivals,
            sorted(x.random_order), x.items)  # fmt: skip


def _review_edit(session: Session, item_id: int, choice: int, classes: list[int]) -> None:
    """What the review window appends: a relabel, or clearing the item's answer."""
    split = session.store.item(item_id).split
    if choice < 0:
        answer = session.state.current.get(item_id)
        if answer is not None:
            session.append_edits([(item_id, "undo", None, split, answer.id, "review")])
    else:
        by = "auto" if choice % 2 else "review"  # auto-label: the model's own label
        session.append_edits([(item_id, "label", classes[choice % len(classes)], split, None, by)])


def _history_of(session: Session) -> list[tuple[int, int]]:
    state = session.state
    return [(e.id, e.item_id) for k, e in enumerate(state.entries) if state.is_stop(k)]


def _recount(session: Session) -> Counter:
    """Labels by (item split, class id), counted from a plain replay of the log."""
    items = {it.id: it for it in session.store.items()}
    answers = current_answers(session.store.events())
    return Counter((items[i].split, e.class_id) for i, e in answers.items() if e.action == "label")


def _check(session: Session) -> None:
    store = session.store
    fresh = Session(store)
    assert session.state.current == current_answers(store.events())
    assert fresh.state.current == session.state.current
    assert _history_of(fresh) == _history_of(session)
    assert fresh.state.undo_target() == session.state.undo_target()
    assert session.can_undo() == (session.state.undo_target() is not None)
    assert +session.state.label_counts == _recount(session)
    assert fresh.state.answered_by_split == session.state.answered_by_split
    assert fresh.state.n_model_train == session.state.n_model_train
    assert (fresh.state.train_class == session.state.train_class).all()
    assert fresh.state.arrivals_decided == session.state.arrivals_decided
    assert session.state.items == {it.id: it for it in store.items()}
    assert _index_view(fresh) == _index_view(session)
    mine, theirs, counted = session.status(), fresh.status(), read_status(store)
    for s in (theirs, counted):
        assert (s.n_labeled, s.n_test_labeled, s.per_class, s.n_pool, s.n_test) == (
            mine.n_labeled,
            mine.n_test_labeled,
            mine.per_class,
            mine.n_pool,
            mine.n_test,
        )
        assert s.advice == mine.advice


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OPS, max_size=25))
def test_in_memory_answers_equal_a_fresh_replay_of_the_log(ops: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as folder, _store(Path(folder)) as store:
        session = Session(store)
        for op in ops:
            _do(session, op)
        _check(session)


def test_undo_withdraws_a_changed_answer_before_older_ones(tmp_path) -> None:
    """Undo withdraws the newest answer, also one changed by going back: the item keeps its
    earlier answer and the history its place."""
    with _store(tmp_path) as store:
        session = Session(store)
        a, b = (c.id for c in session.classes[:2])
        first = session.current().item.id
        session.answer(a)
        second = session.current().item.id
        session.answer(a)
        assert session.back().item.id == second
        assert session.back().item.id == first
        session.answer(b)  # changed; the loop's item comes back
        assert session.current().item.id not in (first, second)
        undone = session.undo()
        assert undone.item.id == first
        assert session.state.current[first].class_id == a  # the first answer stands again
        assert session.state.history() == [first, second]
        # and that item is on screen with it (the screen went on to the next unanswered
        # item, so the undo happened out of sight)
        assert session.current().item.id == first and session.current().answer.class_id == a
        _check(session)


def test_undo_in_the_loop_leaves_review_edits_and_imports_alone(tmp_path) -> None:
    """Imports and the review window's edits have their own undo: Ctrl+Z in the labelling
    window withdraws the last answer given there, also after a reopen."""
    with _store(tmp_path) as store:
        session = Session(store)
        a, b = (c.id for c in session.classes[:2])
        first = session.current().item.id
        session.answer(a)
        pool = [it.id for it in store.items() if it.split == "pool" and it.id != first]
        session.append_edits([(pool[0], "label", b, "pool", None, "review")])
        session.append_edits([(pool[1], "label", b, "pool", None, "import")])  # File > Import
        for again in (session, Session(store)):
            assert again.state.undo_target().item_id == first
            assert again.state.history() == [first]
        assert session.undo().item.id == first
        assert set(session.state.current) == {pool[0], pool[1]}
        assert session.undo() is None
        _check(session)


def test_status_counts_without_a_session_equal_the_apps(tmp_path) -> None:
    """``aldesk status`` counts in SQL; the numbers are the ones Progress shows."""
    from aldesk.commands_status import status_dict

    with _store(tmp_path) as store:
        session = Session(store)
        a, b, c = (k.id for k in session.classes)
        for key in (a, b, c, a, b, c, a):
            session.answer(key) if session.current() is not None else None
        session.skip()
        session.undo()
        session.undo()
        session.cannot_label()
        store.merge_classes(c, b)
        session.classes_changed()
        app = session.status()
    shown = status_dict(tmp_path / "p.aldesk")
    assert (shown["labeled"], shown["test_labeled"], shown["per_class"]) == (
        app.n_labeled,
        app.n_test_labeled,
        app.per_class,
    )
    assert (shown["items"], shown["test_items"], shown["unreadable"], shown["rounds"]) == (
        app.n_pool,
        app.n_test,
        app.n_unreadable,
        app.round,
    )
    assert shown["labeled"] + shown["test_labeled"] == sum(shown["per_class"].values()) > 0


def test_status_prints_the_labelling_pace(tmp_path, capsys) -> None:
    """``aldesk status`` gives the Progress panel's pace: labels per hour over the time spent
    (a pause over 5 minutes left out) and, with a target accuracy, the projection."""
    import json
    import sqlite3

    from aldesk.cli import main

    with _store(tmp_path) as store:
        store.set("target_accuracy", 0.9)
    assert main(["status", str(tmp_path / "p.aldesk")]) == 0  # nothing timed yet: not "pace –"
    assert "pace shown after a minute of labelling; time spent" in capsys.readouterr().out
    with ProjectStore.open(tmp_path / "p.aldesk") as store:
        session = Session(store)
        for _ in range(6):
            session.answer(session.classes[0].id)
    with sqlite3.connect(tmp_path / "p.aldesk" / "project.sqlite") as db:
        # six answers 30 s apart, then an hour's pause before the last one
        for k, (event_id,) in enumerate(db.execute("SELECT id FROM events ORDER BY id")):
            at = 1000.0 + 30 * k + (3600 if k == 5 else 0)
            db.execute("UPDATE events SET at = ? WHERE id = ?", (at, event_id))
    assert main(["status", str(tmp_path / "p.aldesk")]) == 0
    out = capsys.readouterr().out
    assert "pace 120 labels/h; time spent 2 min" in out  # 4 timed labels in 120 s
    assert "to the target accuracy: not enough rounds yet (0 of 3 measured)" in out
    assert main(["status", str(tmp_path / "p.aldesk"), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["labels_per_hour"] == 120.0 and shown["seconds_spent"] == 120.0
    assert shown["labels_to_target"] is None


def test_status_reads_the_counts_without_a_session(tmp_path, monkeypatch) -> None:
    """``aldesk status`` neither builds a session nor replays the log in Python."""
    from aldesk.commands_status import status_dict

    with _store(tmp_path) as store:
        session = Session(store)
        session.answer(session.classes[0].id)

    def refuse(*args, **kwargs):
        raise AssertionError("aldesk status built a session or replayed the log")

    monkeypatch.setattr(Session, "__init__", refuse)
    monkeypatch.setattr(ProjectStore, "answers", refuse)
    shown = status_dict(tmp_path / "p.aldesk")
    assert shown["labeled"] + shown["test_labeled"] == 1


def test_retrain_request_freezes_the_labels_and_the_worker_gathers_their_rows(tmp_path) -> None:
    """The request made on the GUI thread holds item ids and classes; reading it (on the
    worker) gathers exactly those items' feature rows, merged classes resolved."""
    import numpy as np

    from aldesk.core.features.types import FeatureSet

    X = np.arange(N_ITEMS * 3, dtype=np.float32).reshape(N_ITEMS, 3)
    with _store(tmp_path) as store:
        session = Session(store, FeatureSet("t", X, [f"h{i}" for i in range(N_ITEMS)]))
        a, b, c = (k.id for k in session.classes)
        given = {}
        for key in (a, b, c, a, c, b):
            item = session.current().item
            session.answer(key)
            if item.split == "pool":
                given[item.id] = key
        store.merge_classes(c, b)  # c's labels now count as b
        session.classes_changed()
        job = session.training_job(force=True)
        labelled = sorted(given)
        snapshot = job.request.snapshot
        np.testing.assert_array_equal(snapshot.X, X[[i - 1 for i in labelled]])
        index = {cid: k for k, cid in enumerate(k.id for k in session.classes)}
        assert snapshot.y.tolist() == [index[b if given[i] == c else given[i]] for i in labelled]
        assert snapshot.n_classes == 2
        answered_rows = {i - 1 for i in session.state.current}
        assert not answered_rows & set(job.request.candidates.tolist())


def test_undo_withdraws_the_newest_change_an_import_step_included(tmp_path) -> None:
    """Ctrl+Z after an import withdraws the import as one step (it withdrew an older answer of
    the loop, and the import stayed); a loop answer given after it is withdrawn first."""
    with _store(tmp_path) as store:
        session = Session(store)
        a, b = (c.id for c in session.classes[:2])
        first = session.current().item.id
        session.answer(a)
        pool = [it.id for it in store.items() if it.split == "pool" and it.id != first]
        rows = [(pool[0], "label", b, "pool", None, "import"), (first, "label", b, "pool", None,
                "import")]  # fmt: skip
        session.append_step(rows, "the import of 2 labels")
        after = session.current().item.id
        session.answer(a)
        assert session.step_is_newest() is False
        assert session.undo().item.id == after  # the newer loop answer first
        assert session.step_is_newest() and session.can_undo()
        session.undo()  # the import, whole: the first item's own label is back
        assert {i: e.class_id for i, e in session.state.current.items()} == {first: a}
        assert not session.can_undo_step()
        assert session.undo().item.id == first
        assert not session.can_undo()
        _check(session)
