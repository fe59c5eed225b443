"""``aldesk status`` computes the Progress numbers in one pass over the log (SQL and numpy);
they must equal what the app computes by replaying the log: ``PaceTracker`` for the pace and
the projection, ``current_answers`` for the labels.

Random logs: ties (batch edits), clocks going back, long pauses, imports, undos (also of
answers the item no longer holds), labels without a class, test items, merged classes.
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aldesk.core import pace
from aldesk.core.log_status import label_counts, left_to_ask, read_pace, read_status
from aldesk.core.project import ProjectSettings
from aldesk.core.records import current_answers
from aldesk.core.store import NewItem, ProjectStore

N_ITEMS = 8

GAPS = st.sampled_from([0.0, 0.0, 0.1, 1.5, 2.25, 37.0, 299.9, 300.0, 300.1, 4000.0, -5.0])
EVENT = st.tuples(
    GAPS,
    st.integers(1, N_ITEMS),
    st.sampled_from(["label", "label", "label", "skip", "cannot_label", "discard", "undo"]),
    st.sampled_from([1, 2, 3, None]),  # class (a label without one is counted, in no class)
    st.sampled_from(["margin", "margin", "import", "auto", "model", "review", None]),
    st.integers(0, 40),  # which earlier event an undo withdraws
)
FLAG = st.sampled_from(["unreadable", "missing", "ok"])  # what a rescan or the viewer found
ROUND = st.tuples(  # (labels, accuracy, test items): label counts repeat, the latest counts
    st.sampled_from([0, 5, 10, 20, 40, 80]),
    st.sampled_from([None, 0.5, 0.62, 0.7, 0.81, 0.9]),
    st.sampled_from([0, 5, 10, 25]),
)


def _project(folder: Path, events: list[tuple], rounds: list[tuple], target: float | None) -> Path:
    """A project whose log and rounds are written as given (timestamps and all)."""
    config = asdict(ProjectSettings(batch=3, seed_size=2, test_size=2, target_accuracy=target))
    with ProjectStore.create(folder / "p", pool_root=folder, kind="image",
                             classes=["a", "b", "c"], settings=config) as store:  # fmt: skip
        ids = store.add_items(
            NewItem(f"h{i}", f"f{i}.png", "image", 1, i, arrival=i) for i in range(N_ITEMS)
        )
        store.set_split(ids[:2], "test")
        path = store.path
    with sqlite3.connect(path / "project.sqlite") as db:
        at = 1.7e9 + 0.123
        for k, (gap, item, action, cls, strategy, back) in enumerate(events, start=1):
            at += gap
            undoes = max(1, k - 1 - back) if action == "undo" and k > 1 else None
            db.execute(
                "INSERT INTO events(id, at, item_id, action, class_id, strategy, undoes)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (k, at, item, action, cls if action == "label" else None, strategy, undoes),
            )
        for k, (n_labels, accuracy, n_test) in enumerate(rounds, start=1):
            db.execute(
                "INSERT INTO rounds(round, n_labels, n_test, accuracy) VALUES (?, ?, ?, ?)",
                (k, n_labels, n_test, accuracy),
            )
        db.execute("UPDATE classes SET merged_into = 1 WHERE id = 3")
    return path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(EVENT, max_size=40),
    st.lists(ROUND, max_size=12),
    st.sampled_from([None, 0.6, 0.85, 0.99]),
    st.integers(0, 40),
)
def test_status_pace_equals_the_trackers(events, rounds, target, start_at) -> None:
    """The one-pass pace and projection equal a ``PaceTracker`` fed the whole log, exactly
    (the JSON prints every digit of the seconds)."""
    with tempfile.TemporaryDirectory() as folder:
        path = _project(Path(folder), events, rounds, target)
        with ProjectStore.open(path, readonly="a test reads it") as store:
            ats = [a for (a,) in store.read("SELECT at FROM events ORDER BY id")]
            start = ats[min(start_at, len(ats) - 1)] if ats else 0.0
            tracker = pace.PaceTracker(session_start=start)
            expected = pace.read_feedback(tracker, store, target, n_pool=N_ITEMS)
            assert pace.read_log_feedback(store, target, N_ITEMS, start) == expected
            got = read_pace(store, N_ITEMS)  # ``aldesk status``: this session has just begun
            fresh = pace.read_feedback(pace.PaceTracker(session_start=1e12), store, target, N_ITEMS)
            assert got == fresh


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(EVENT, max_size=40), st.dictionaries(st.integers(1, N_ITEMS), FLAG))
def test_status_counts_equal_a_replay_of_the_log(events, flagged) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = _project(Path(folder), events, [], None)
        with sqlite3.connect(path / "project.sqlite") as db:
            db.executemany("UPDATE items SET status = ? WHERE id = ?",
                           [(status, i) for i, status in flagged.items()])  # fmt: skip
        with ProjectStore.open(path, readonly="a test reads it") as store:
            items = store.items()
            split = {it.id: it.split for it in items}
            labels = [e for e in current_answers(store.events()).values() if e.action == "label"]
            expected = Counter((split[e.item_id], e.class_id) for e in labels)
            by_model = sum(split[e.item_id] == "pool" and e.strategy in ("model", "auto")
                           for e in labels)  # fmt: skip
            assert label_counts(store) == (expected, by_model)
            status = read_status(store)
            # what is left to ask, and the stream's discards (``aldesk status``)
            answers = current_answers(store.events())
            readable = {it.id for it in items if it.status == "ok"}  # test items are asked too
            answered = readable & answers.keys()
            discarded = sum(answers[i].action == "discard" for i in answered if split[i] == "pool")
            assert left_to_ask(store) == (len(readable - answered), discarded)
        assert status.n_pool == sum(it.split == "pool" and it.status == "ok" for it in items)
        assert status.n_test == sum(it.split == "test" and it.status == "ok" for it in items)
        assert status.n_by_model == by_model
        assert status.n_unreadable == sum(it.status != "ok" for it in items)
        for name, counted in (("pool", status.n_labeled_away),
                              ("test", status.n_test_labeled_away)):  # fmt: skip
            away = {it.id for it in items if it.split == name and it.status != "ok"}
            assert counted == sum(e.item_id in away for e in labels)


def test_labels_on_files_now_missing_are_told_apart_by_status_and_session(tmp_path) -> None:
    """A labelled file deleted from the pool: its label is kept and counted, outside the
    readable pool; "labeled 26 of 148 pool items" left the user one item short."""
    from aldesk.core.session import Session
    from aldesk.core.session_status import labeled_text

    events = [(1.0, i, "label", 1 + i % 2, "margin", 0) for i in (3, 4, 5)]
    path = _project(tmp_path, events, [], None)
    with sqlite3.connect(path / "project.sqlite") as db:
        db.execute("UPDATE items SET status = 'missing' WHERE id = 4")
    with ProjectStore.open(path) as store:
        for status in (read_status(store), Session(store).status()):
            assert (status.n_labeled, status.n_pool, status.n_labeled_away) == (3, 5, 1)
            assert labeled_text(status).startswith(
                "2 of 5 pool items + 1 on a file now missing or unreadable + 0 test = 3"
            )


def test_test_items_on_deleted_files_leave_the_readable_count(tmp_path) -> None:
    """A deleted test file: "test items labeled 11 of 50" counted it among the readable ones
    while the accuracy beside it was measured on 10 (and the pool's count left such files
    out). Status and the session say the same."""
    from aldesk.core.session import Session
    from aldesk.core.session_status import held_out_labeled_text

    events = [(1.0, i, "label", 1 + i % 2, "margin", 0) for i in (1, 3, 4)]  # 1: a test item
    path = _project(tmp_path, events, [], None)
    with sqlite3.connect(path / "project.sqlite") as db:
        db.execute("UPDATE items SET status = 'missing' WHERE id = 1")
    with ProjectStore.open(path) as store:
        for status in (read_status(store), Session(store).status()):
            assert (status.n_test_labeled, status.n_test, status.n_test_labeled_away) == (1, 1, 1)
            assert held_out_labeled_text(status) == (
                "0 of 1 + 1 on a file now missing or unreadable"
            )


MOMENT = st.tuples(
    st.one_of(st.just(0.0), st.floats(-50, 400), st.floats(0, 1e-3)),  # gap: ties, breaks
    st.sampled_from(["label", "skip", "undo", "discard"]),
    st.sampled_from(["margin", "import", None]),
)


def _check_totals(ats: list[float], moments: list[tuple[str, str | None]], cut: float) -> None:
    """``log_totals`` of the moments equal a tracker's figures, to the last bit."""
    events = [
        pace._Moment(k, at, *m) for k, (at, m) in enumerate(zip(ats, moments, strict=True), start=1)
    ]
    start = events[int(cut * (len(events) - 1))].at if events else 0.0
    tracker = pace.PaceTracker(session_start=start)
    tracker.add(events)
    f = tracker.feedback([], None, 10)
    kept = [e for e in events if e.action in pace.WORK and e.strategy not in pace.UNTIMED]
    at = np.array([e.at for e in kept], dtype=float)
    label = np.array([e.action == "label" for e in kept], dtype=bool)
    overall, session = pace.log_totals(at, label, start)
    assert overall == (f.overall_labels, f.overall_seconds)
    assert session == (f.session_labels, f.session_seconds)


@settings(max_examples=200, deadline=None)
@given(st.lists(MOMENT, max_size=300), st.floats(0, 1), st.floats(-1e3, 1e3))
def test_log_totals_equal_the_trackers_on_any_timestamps(moments, cut, origin) -> None:
    ats = np.cumsum([origin] + [gap for gap, *_ in moments])[1:].tolist()
    _check_totals(ats, [m for _, *m in moments], cut)


@pytest.mark.parametrize("seed", range(3))
def test_log_totals_add_the_seconds_in_log_order(seed: int) -> None:
    """Timestamps from 0.001 to 30,000 s: the gaps' sum rounds differently when added in
    another order (np.sum adds pairwise), and must not."""
    rng = random.Random(seed)
    ats = sorted(10 ** rng.uniform(-3, 4.5) for _ in range(3000))
    actions = [(rng.choice(["label", "label", "skip", "undo"]), "margin") for _ in ats]
    _check_totals(ats, actions, rng.random())


def test_log_totals_follow_the_trackers_rules() -> None:
    """A batch edit is one moment holding a label if any of its events does; a gap over
    ``IDLE_GAP`` or a clock going back is a break; the session counts gaps starting in it."""
    at = np.array([10.0, 12.0, 12.0, 20.0, 400.0, 401.0, 390.0, 395.0])
    label = np.array([True, False, True, False, True, True, True, False])
    overall, session = pace.log_totals(at, label, session_start=390.0)
    # gaps 2 (label: the batch at 12 holds one), 8, 1 (label), 5; 380 and -11 are breaks
    assert overall == (2, 16.0)
    assert session == (1, 6.0)  # the gaps starting at 400 and at 390
    assert pace.log_totals(np.array([]), np.array([], dtype=bool), 0.0) == ((0, 0.0), (0, 0.0))


def test_status_loads_none_of_the_sessions_modules(tmp_path) -> None:
    """``aldesk status`` counts without a session, so it need not import one (at 100,000
    items the session's modules and what they import are a good part of its time)."""
    import subprocess
    import sys

    path = _project(tmp_path, [(1.0, 1, "label", 1, "margin", 0)], [(10, 0.7, 20)], 0.9)
    code = (
        "import sys\n"
        "from aldesk.cli import main\n"
        f"assert main(['status', {str(path)!r}]) == 0\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split("\n")[-2].split())
    assert "aldesk.core.log_status" in loaded
    heavy = {"aldesk.core.session", "aldesk.core.session_state", "aldesk.core.answer_state",
             "aldesk.core.learner", "aldesk.core.ranking", "aldesk.core.features",
             "aldesk.core.pool", "aldesk.core.media", "PIL", "multiprocessing", "sklearn",
             "PySide6"}  # fmt: skip
    assert not heavy & loaded


def test_status_reports_damage_in_pages_it_does_not_read(tmp_path, capsys) -> None:
    """The page check runs beside the counting, not instead of it: a damaged table that the
    counts never read still makes ``aldesk status`` say the project is damaged, and print
    nothing else."""
    from aldesk.cli import main

    path = _project(tmp_path, [(1.0, 1, "label", 1, "margin", 0)], [], None)
    db = path / "project.sqlite"
    with sqlite3.connect(db) as conn:
        ((root,),) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'item_paths'")
        ((page_size,),) = conn.execute("PRAGMA page_size")
    conn.close()
    with open(db, "r+b") as f:  # the table's page header: a page type SQLite does not know
        f.seek((root - 1) * page_size)
        f.write(b"\x07" * 12)
    assert main(["status", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "is damaged" in captured.err and captured.err.count("\n") == 1


def test_status_says_when_the_latest_model_predates_labels(tmp_path, capsys) -> None:
    """Labels imported from the command line after the last round: status printed the old
    round's "5 of 5 test items right" beside "test items labeled 50 of 50" without a word."""
    from aldesk.cli import main

    events = [(1.0, i, "label", 1 + i % 2, "import", 0) for i in (1, 3, 4, 5, 6)]
    path = _project(tmp_path, events, [(2, 0.5, 0)], None)  # items 1-2 are test items
    with ProjectStore.open(path, readonly="a test reads it") as store:
        assert read_status(store).labels_since_model == 4 - 2  # pool labels, as Progress says
    assert main(["status", str(path)]) == 0
    out = capsys.readouterr().out
    assert "the latest model predates 2 labels and 1 test label (given or imported" in out
    with sqlite3.connect(path / "project.sqlite") as db:
        db.execute("INSERT INTO rounds(round, n_labels, n_test, accuracy) VALUES (2, 4, 1, 0.9)")
    assert main(["status", str(path)]) == 0
    assert "predates" not in capsys.readouterr().out
