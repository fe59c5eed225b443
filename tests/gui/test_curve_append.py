"""Applying a round adds one point to the learning curve; the curve is not rebuilt (issue 13)."""

from __future__ import annotations

from aldesk.core.store import RoundRecord
from aldesk.gui.panels.curve_panel import MAX_POINTS, CurvePanel


def _round(k: int, n_labels: int | None = None, acc: float = 0.5) -> RoundRecord:
    return RoundRecord(k, 5 * k if n_labels is None else n_labels, 40, acc, acc - 0.1, acc + 0.1)


def _watch(panel: CurvePanel) -> dict[str, int]:
    seen = {"added": 0, "rebuilt": 0}
    panel.line.pointAdded.connect(lambda _i: seen.__setitem__("added", seen["added"] + 1))
    panel.line.pointsReplaced.connect(lambda: seen.__setitem__("rebuilt", seen["rebuilt"] + 1))
    return seen


def _drawn(panel: CurvePanel) -> list[tuple[float, float]]:
    return [(panel.line.at(i).x(), panel.line.at(i).y()) for i in range(panel.point_count())]


def test_a_new_round_appends_one_point_instead_of_redrawing(qtbot) -> None:
    panel = CurvePanel()
    qtbot.addWidget(panel)
    rounds = [_round(k) for k in range(1, 81)]
    panel.show_rounds(rounds)  # on open: the whole curve
    seen = _watch(panel)
    rounds.append(_round(81, acc=0.9))  # the controller's list, grown by one round
    panel.show_rounds(rounds)
    assert seen == {"added": 1, "rebuilt": 0}
    assert panel.point_count() == 81
    assert _drawn(panel)[-1] == (405, 0.9)
    assert panel.x_axis.max() >= 405


def test_a_long_curve_is_drawn_binned_and_a_round_changes_one_point(qtbot) -> None:
    panel = CurvePanel()
    qtbot.addWidget(panel)
    rounds = [_round(k, acc=k / 4000) for k in range(1, 2001)]  # 10,000 labels
    panel.show_rounds(rounds)
    drawn = _drawn(panel)
    assert MAX_POINTS // 2 <= len(drawn) <= MAX_POINTS + 1  # not 2,000 points to lay out
    width = panel._width
    newest = {}  # what each bin of label counts shows: its newest count
    for r in rounds:
        newest[r.n_labels // width] = (r.n_labels, r.accuracy)
    assert drawn == [newest[b] for b in sorted(newest)]
    seen = _watch(panel)
    rounds.append(_round(2001, acc=0.9))
    panel.show_rounds(rounds)
    assert seen["rebuilt"] == 0 and seen["added"] <= 1  # one point placed, nothing redrawn
    assert _drawn(panel)[-1] == (10_005, 0.9)
    assert panel.x_axis.max() >= 10_005
    rounds += [_round(k, acc=0.95) for k in range(2002, 4002)]  # the curve doubles
    for k in range(2001, 4001):
        panel.show_rounds(rounds[: k + 1])
    assert seen["rebuilt"] == 1  # coarser bins: one redraw, not one per round
    assert len(_drawn(panel)) <= MAX_POINTS + 1 and _drawn(panel)[-1] == (20_005, 0.95)


def test_a_round_at_the_same_label_count_replaces_the_last_point(qtbot) -> None:
    panel = CurvePanel()
    qtbot.addWidget(panel)
    rounds = [_round(1), _round(2)]
    panel.show_rounds(rounds)
    rounds.append(_round(3, n_labels=10, acc=0.8))  # the latest measurement stands
    panel.show_rounds(rounds)
    assert panel.point_count() == 2 and panel.line.at(1).y() == 0.8


def test_an_earlier_label_count_goes_in_label_order_without_a_redraw(qtbot) -> None:
    panel = CurvePanel()
    qtbot.addWidget(panel)
    rounds = [_round(1), _round(2), _round(3)]
    panel.show_rounds(rounds)
    seen = _watch(panel)
    rounds.append(_round(4, n_labels=7, acc=0.6))  # after an undo: falls between points
    panel.show_rounds(rounds)
    assert [panel.line.at(i).x() for i in range(panel.point_count())] == [5, 7, 10, 15]
    assert seen == {"added": 1, "rebuilt": 0}
    rounds.append(_round(5, n_labels=7, acc=0.7))  # the same count again: it replaces
    panel.show_rounds(rounds)
    assert panel.point_count() == 4 and panel.line.at(1).y() == 0.7
    panel.show_rounds([_round(1, acc=0.3)])  # a new list (another project): redrawn whole
    assert panel.point_count() == 1 and panel.line.at(0).y() == 0.3


def test_the_axes_say_what_they_count_in_percent_and_the_target_is_drawn(qtbot) -> None:
    """A lecturer's students read a 0.0-1.0 axis with no title beside percentages everywhere
    else, and an x axis of 'labels' that left the test answers out unsaid."""
    panel = CurvePanel()
    qtbot.addWidget(panel)
    panel.show_rounds([_round(k, n_labels=10 * k) for k in range(1, 25)])
    assert panel.y_axis.categoriesLabels() == ["0%", "20%", "40%", "60%", "80%", "100%"]
    assert panel.y_axis.titleText() == "accuracy"
    assert panel.chart().title() == "Learning curve: test accuracy"
    assert panel.x_axis.titleText() == "labels on pool items"
    assert (panel.x_axis.max(), panel.x_axis.tickCount()) == (250, 6)  # Qt's own: 0-400
    panel.set_target(0.9)
    assert panel.target_level() == 0.9
    assert panel.target_line.at(1).x() == panel.x_axis.max()
    panel.show_rounds([_round(k, n_labels=10 * k) for k in range(1, 40)])
    assert panel.target_line.at(1).x() == panel.x_axis.max() == 400  # it follows the axis
    panel.set_target(None)
    assert panel.target_level() is None


def test_hovering_a_point_says_how_many_test_items_measured_it(qtbot) -> None:
    """Points rest on 7, then 10 ... 32 test labels, and the newest is measured again as test
    labels come, with nothing on the chart saying so (numbers audit)."""
    panel = CurvePanel()
    qtbot.addWidget(panel)
    early = RoundRecord(1, 20, 7, 0.571, 0.25, 0.84)
    rounds = [early, RoundRecord(2, 40, 31, 0.516, 0.35, 0.68)]
    panel.show_rounds(rounds)
    assert panel.point_text(21) == "20 labels: 57.1% on 7 test items (95% interval 25%–84%)"
    newest = panel.point_text(39)
    assert newest.startswith("40 labels: 51.6% on 31 test items") and "measured again" in newest
    panel.show_rounds([*rounds, RoundRecord(3, 45, 33, 0.6, 0.44, 0.74)])  # one more round
    assert panel.point_text(46).startswith("45 labels: 60.0% on 33 test items")
    assert "measured again" not in panel.point_text(40)
