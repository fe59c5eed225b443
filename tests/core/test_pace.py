"""Session feedback: labels per hour and time spent from the answer log, and the projection of
labels needed to reach a target accuracy."""

from __future__ import annotations

import dataclasses

import pytest

from aldesk.core import pace
from aldesk.core.records import Event, RoundRecord


def _events(times: list[float], action="label", strategy=None, first_id=1) -> list[Event]:
    return [Event(first_id + i, t, i, action, 1 if action == "label" else None, strategy,
                  None, None, "pool", None) for i, t in enumerate(times)]  # fmt: skip


def test_idle_gaps_are_breaks_and_imports_do_not_count() -> None:
    tracker = pace.PaceTracker(session_start=10_000.0)
    # yesterday: 11 answers 30 s apart, then a 2-hour break; imports at one instant
    tracker.add(_events([i * 30.0 for i in range(11)]))
    tracker.add(_events([5000.0] * 50, strategy="import", first_id=100))
    # this session: 7 answers 20 s apart, a 10-minute pause, 4 more 20 s apart
    session = [10_000.0 + 20 * i for i in range(7)] + [10_720.0 + 20 * i for i in range(4)]
    tracker.add(_events(session, first_id=200))
    f = tracker.feedback([], None, 100)
    assert (f.session_labels, f.session_seconds) == (9, 180.0)  # 6 + 3 timed gaps
    assert f.session_rate == pytest.approx(180.0)  # one label per 20 s
    assert (f.overall_labels, f.overall_seconds) == (19, 480.0)
    assert f.overall_rate == pytest.approx(19 * 3600 / 480)
    assert tracker.last_id == 210 and f.projection is None
    assert pace.pace_text(f) == "180/h this session · 142/h overall"
    assert pace.time_text(f) == "3 min this session · 8 min overall"


def test_a_batch_edit_is_one_action_and_a_short_session_has_no_rate_yet() -> None:
    tracker = pace.PaceTracker(session_start=0.0)
    tracker.add(_events([0.0, 10.0, 10.0, 10.0, 20.0]))
    f = tracker.feedback([], None, 10)
    assert (f.session_labels, f.session_seconds) == (2, 20.0)
    assert f.session_rate is None and f.overall_rate is None
    assert pace.pace_text(f) == "shown after a minute of labelling"  # not "– · –"
    later = dataclasses.replace(f, overall_labels=95, overall_seconds=3600.0)  # earlier ones
    assert pace.pace_text(later) == "not measured yet this session · 95/h overall"


def _rounds(points: list[tuple[int, float]], n_test: int = 50) -> list[RoundRecord]:
    return [RoundRecord(i + 1, n, n_test, acc) for i, (n, acc) in enumerate(points)]


def test_the_power_law_projection_recovers_a_known_curve() -> None:
    # error = 2 * n^-0.5: 90% accuracy (error 0.1) at n = 400
    curve = [(n, 1 - 2 * n**-0.5) for n in (25, 50, 100, 200)]
    p = pace.project(_rounds(curve), 0.9, n_pool=5000, rate=100.0)
    assert p.needed == 200  # 400 - 200 labelled so far
    assert p.text == "≈ 200 more labels to reach 90% (~2 h 00 min at your pace)"


def test_a_projection_of_one_label_on_few_test_items_reads_right() -> None:
    """It said "≈ 1 more labels to reach 90% (~0 min at your pace)" on 14 test items."""
    curve = [(n, 1 - 2 * n**-0.5) for n in (25, 50, 100, 400)]  # 90.01 % at 400.8 labels
    p = pace.project(_rounds(curve, n_test=14), 0.9001, n_pool=5000, rate=600.0)
    assert p.text == ("≈ 1 more label to reach 90% (under a minute at your pace); a rough guess "
                      "on 14 test items")  # fmt: skip


@pytest.mark.parametrize(
    ("points", "n_pool", "expected"),
    [
        ([(20, 0.6), (40, 0.7)], 1000, "not enough rounds yet (2 of 3 measured)"),
        ([(20, 0.7), (40, 0.6), (60, 0.65)], 1000, "accuracy is not rising yet"),
        ([(25, 0.6), (50, 0.717), (100, 0.8)], 300, "out of reach within this pool (300 items)"),
        ([(20, 0.8), (40, 0.95)], 1000, "target 90% reached"),
    ],
)
def test_the_projection_says_why_when_it_cannot_estimate(points, n_pool, expected) -> None:
    p = pace.project(_rounds(points), 0.9, n_pool)
    assert expected in p.text
    assert (p.needed == 0) == ("reached" in expected)


def test_a_target_reached_on_few_test_items_says_they_are_too_few() -> None:
    """ "target 97% reached" on 25 test items, beside advice waiting for 30 to trust it."""
    few = pace.project_points([(20, 0.8, 12), (40, 0.95, 25)], 0.9, 1000)
    assert few.needed == 0 and few.text == (
        "target 90% reached on only 25 test items (too few to trust: the stopping advice "
        "waits for more)"
    )
    assert pace.project_points([(40, 0.95, 30)], 0.9, 1000).text == "target 90% reached"


def test_rounds_on_too_few_test_items_are_not_fitted() -> None:
    curve = [(n, 1 - 2 * n**-0.5) for n in (25, 50, 100, 200)]
    assert pace.project(_rounds(curve, n_test=5), 0.9, 5000).needed is None


def test_the_projection_is_read_against_the_label_budget() -> None:
    """ "To target: not enough rounds yet (1 of 3 measured)" stayed once the budget was spent,
    when no round could be measured any more (QA)."""
    waiting = pace.Feedback(projection=pace.Projection(None, "not enough rounds yet (1 of 3)"))
    spent = pace.within_budget(waiting, 0)
    assert spent.projection.needed is None and "label budget is spent" in spent.projection.text
    far = pace.Feedback(projection=pace.Projection(120, "≈ 120 more labels to reach 90%"))
    assert pace.within_budget(far, 40).projection.text == (
        "≈ 120 more labels to reach 90%; the budget allows 40 more labels"
    )
    near = pace.Feedback(projection=pace.Projection(30, "≈ 30 more labels to reach 90%"))
    reached = pace.Feedback(projection=pace.Projection(0, "target 90% reached"))
    for f, room in ((near, 40), (far, None), (reached, 0), (pace.Feedback(), 0)):
        assert pace.within_budget(f, room) == f  # within the budget, none set, or no target
