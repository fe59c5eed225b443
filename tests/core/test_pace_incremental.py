"""The pace is kept as running totals (issue 13: the same cost per answer at 50 or 50,000), and
always equals the sums over the whole log."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from aldesk.core import pace
from aldesk.core.records import Event, RoundRecord


def _worked(moments: list[tuple[float, bool]]) -> tuple[int, float]:
    """The whole-log sum, as it was computed before the totals were kept."""
    labels, seconds = 0, 0.0
    for (before, _), (at, label) in pairwise(moments):
        if 0 <= at - before <= pace.IDLE_GAP:
            seconds += at - before
            labels += label
    return labels, seconds


def _log(rng: random.Random, n: int) -> list[Event]:
    events, at = [], 0.0
    for i in range(n):
        roll = rng.random()
        if roll > 0.15:  # batch edits share their timestamp
            at += rng.choice([2.0, 15.0, 40.0, 400.0])
        action = rng.choice(["label", "label", "label", "skip", "undo", "discard"])
        strategy = "import" if rng.random() < 0.05 else "margin"
        events.append(Event(i + 1, at, i, action, 1 if action == "label" else None, strategy,
                            None, None, "pool", None))  # fmt: skip
    return events


@pytest.mark.parametrize("seed", range(5))
def test_running_totals_equal_the_sums_over_the_whole_log(seed: int) -> None:
    rng = random.Random(seed)
    events = _log(rng, 400)
    start = events[len(events) // 3].at
    tracker, i = pace.PaceTracker(session_start=start), 0
    while i < len(events):
        step = rng.choice([1, 1, 2, 5, 30])
        tracker.add(events[i : i + step])
        i += step
        f = tracker.feedback([], None, 100)
        moments = tracker.moments
        session = [m for m in moments if m[0] >= start]
        assert (f.overall_labels, f.overall_seconds) == pytest.approx(_worked(moments))
        assert (f.session_labels, f.session_seconds) == pytest.approx(_worked(session))


def test_the_projection_reads_only_new_rounds_of_a_growing_list() -> None:
    rounds = [RoundRecord(k, 10 * k, 50, 1 - 2 * (10 * k) ** -0.5) for k in range(1, 6)]
    tracker = pace.PaceTracker(session_start=0.0)
    first = tracker.feedback(rounds, 0.95, 10_000).projection
    assert first == pace.project(rounds, 0.95, 10_000)
    rounds.append(RoundRecord(6, 60, 50, 1 - 2 * 60**-0.5))
    assert tracker.feedback(rounds, 0.95, 10_000).projection == pace.project(rounds, 0.95, 10_000)
    other = rounds[:3]  # another, shorter list: read whole
    assert tracker.feedback(other, 0.95, 10_000).projection == pace.project(other, 0.95, 10_000)


def test_the_projection_follows_the_newest_round_measured_again() -> None:
    """A test answer measures the newest round again in place: the projection kept the old."""
    rounds = [RoundRecord(k, 10 * k, 50, 1 - 2 * (10 * k) ** -0.5) for k in range(1, 6)]
    tracker = pace.PaceTracker(session_start=0.0)
    tracker.feedback(rounds, 0.95, 10_000)
    rounds[-1] = RoundRecord(5, 50, 60, 0.9)  # the same model on 10 more test items
    assert tracker.feedback(rounds, 0.95, 10_000).projection == pace.project(rounds, 0.95, 10_000)


def test_history_read_on_a_worker_then_the_newer_moments_equal_one_tracker() -> None:
    events = _log(random.Random(7), 300)
    whole = pace.PaceTracker(session_start=0.0)
    whole.add(events)
    history, newer = pace.PaceTracker(session_start=0.0), pace.PaceTracker(session_start=0.0)
    history.add(events[:200])
    newer.add(events[200:])  # what the GUI thread read while the history was being read
    joined = history.followed_by(newer)
    assert joined.moments == whole.moments and joined.last_id == whole.last_id
    assert joined.feedback([], None, 10) == whole.feedback([], None, 10)


def test_time_between_closing_and_reopening_is_not_work(tmp_path) -> None:
    """215 s between two sittings counted as work: "4 min overall, 809/h" after one minute of
    labelling in each."""
    import numpy as np

    from aldesk.core.store import ProjectStore

    store = ProjectStore.create(tmp_path / "p", pool_root=tmp_path, kind="image",
                                classes=["a", "b"])  # fmt: skip
    assert pace.note_open(store, 1000.0) == [1000.0]
    opens = pace.note_open(store, 1300.0)  # reopened 215 s after the last answer
    assert opens == [1000.0, 1300.0] and store.get(pace.OPENS_KEY) == opens
    times = [1010.0, 1030.0, 1050.0, 1085.0, 1310.0, 1330.0, 1350.0]
    events = [Event(k + 1, at, k, "label", 1, "margin", None, None, "pool", None)
              for k, at in enumerate(times)]  # fmt: skip
    tracker = pace.PaceTracker(session_start=1300.0, opens=opens)
    tracker.add(events)
    f = tracker.feedback([], None, 100)
    assert (f.overall_labels, f.overall_seconds) == (5, 115.0)  # 75 s + 40 s, not + 225 s
    assert (f.session_labels, f.session_seconds) == (2, 40.0)
    at = np.array(times)
    assert pace.log_totals(at, np.ones(len(at), bool), 1300.0, np.array(opens)) == (
        (5, 115.0), (2, 40.0))  # fmt: skip
    store.close()
