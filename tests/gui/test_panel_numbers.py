"""Numbers on screen are right and agree with ``aldesk status`` (issue 11, section 4): the
Why and Progress panels after a reopen, counts that add up, test items without predictions,
and a label budget that is not overshot."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt

from aldesk.commands_status import status_dict
from aldesk.core.demo import make_demo_pool
from aldesk.core.project import ProjectSettings, create_project
from aldesk.core.session_status import accuracy_text
from aldesk.core.store import ProjectStore
from aldesk.gui.controller import LabelingController
from aldesk.gui.main_window import MainWindow


def _create(tmp_path: Path, **settings) -> tuple[Path, dict[str, str]]:
    pool, labels = tmp_path / "pool", tmp_path / "labels.csv"
    classes = make_demo_pool("images", pool, labels_out=labels, per_class=6)
    with labels.open() as f:
        truth = {r["path"]: r["label"] for r in csv.DictReader(f)}
    s = ProjectSettings(**{"batch": 4, "seed_size": 4, "test_size": 8, **settings})
    store, _ = create_project(tmp_path / "proj", pool, classes, s)
    path = store.path
    store.close()
    return path, truth


def _show(qtbot, path: Path) -> MainWindow:
    store = ProjectStore.open(path)
    controller = LabelingController(store)
    window = MainWindow(store, controller)
    controller.setParent(window)
    qtbot.addWidget(window)
    with qtbot.waitSignal(controller.features.finished, timeout=120_000):
        window.show()
    return window


def _settle(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.controller.training_pending(), timeout=60_000)


def _press_answer(qtbot, window: MainWindow, truth: dict[str, str]) -> None:
    query = window.controller.current()
    name = truth[query.item.relpath]
    key = next(c.hotkey for c in window.store.classes() if c.name == name)
    qtbot.keyClick(window, getattr(Qt.Key, f"Key_{key.upper()}"))


def _close(window: MainWindow) -> None:
    window.close()
    assert not window.controller.trainer.busy and not window.controller.features.busy


def _label_until_trained(qtbot, window: MainWindow, truth: dict[str, str], n: int) -> None:
    for _ in range(n):
        _press_answer(qtbot, window, truth)
    _settle(qtbot, window)
    window.controller.retrain_now()  # the last labels are in a round too
    _settle(qtbot, window)


def _label_until_a_test_item(qtbot, window: MainWindow, truth: dict[str, str]) -> None:
    """A first model, then answers until a test item is on screen and the model is settled."""
    _label_until_trained(qtbot, window, truth, 8)
    while not window.controller.current().is_test:
        _press_answer(qtbot, window, truth)
    _settle(qtbot, window)


def test_reopened_project_shows_its_model_consistently_and_adds_no_round(qtbot, tmp_path) -> None:
    path, truth = _create(tmp_path)
    window = _show(qtbot, path)
    _label_until_trained(qtbot, window, truth, 14)
    rounds = window.store.rounds()
    assert rounds
    _close(window)

    for _reopen in range(2):
        window = _show(qtbot, path)
        _settle(qtbot, window)
        why, progress = window.why, window.status_panel
        n = len(rounds)
        now = window.store.rounds()
        assert now[:-1] == rounds[:-1] and now[-1].n_labels == rounds[-1].n_labels  # no new one
        # its point is the rebuilt model's (pretrained features may have come since)
        assert progress.accuracy.text() == accuracy_text(window.controller.session.status())
        assert f"{now[-1].n_test} test items" in progress.accuracy.text()
        assert progress.round.text() == str(n) and why.round.text() == str(n)
        assert progress.model.text() == "up to date"
        assert "No model yet" not in why.note_text() and "Rebuilding" not in why.note_text()
        assert why.top_text() or "hidden on test items" in why.note_text()
        _close(window)
    assert status_dict(path)["rounds"] == len(rounds)


def test_why_panel_says_the_model_is_being_rebuilt_until_it_is(qtbot, tmp_path) -> None:
    path, truth = _create(tmp_path)
    window = _show(qtbot, path)
    _label_until_trained(qtbot, window, truth, 12)
    n = len(window.store.rounds())
    _close(window)

    store = ProjectStore.open(path)
    window = MainWindow(store, LabelingController(store))
    window.controller.setParent(window)
    qtbot.addWidget(window)
    window.show()  # before the features are loaded: no model in memory yet
    assert not window.controller.current().is_test
    assert window.why.round.text() == f"{n} (being rebuilt)"
    assert window.why.note_text().startswith(f"Rebuilding the model of round {n}")
    assert window.status_panel.model.text() != "up to date"
    with qtbot.waitSignal(window.controller.view_changed, timeout=120_000):
        pass  # the rebuilt model reaches "Why this item?"
    assert window.why.round.text() == str(n)
    _settle(qtbot, window)
    # An earlier answer changed (Alt+Left, another key) brings back the item on screen: it was
    # shown as first served, before the rebuild: "being rebuilt" and no class bars, for good.
    on_screen = window.controller.current().item.id
    qtbot.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    earlier = window.controller.current()
    other = next(c for c in window.store.classes() if c.id != earlier.answer.class_id)
    qtbot.keyClick(window, getattr(Qt.Key, f"Key_{other.hotkey.upper()}"))
    assert window.controller.current().item.id == on_screen
    assert window.why.round.text() == str(window.controller.session.model.round)
    assert "Rebuilding" not in window.why.note_text() and window.why.top_text()
    # Undoing the change puts the first answer back; it read "it is asked again".
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    first = next(c.name for c in window.store.classes() if c.id == earlier.answer.class_id)
    assert window.store.labels()[earlier.item.id] == earlier.answer.class_id
    assert window.statusBar().currentMessage() == (
        f"Undid “{other.name}” on {earlier.item.relpath}: it is “{first}” again."
    )
    _settle(qtbot, window)
    _close(window)


def test_why_panel_says_which_model_gave_the_score_after_a_retrain(qtbot, tmp_path) -> None:
    path, truth = _create(tmp_path, test_size=0)
    window = _show(qtbot, path)
    _label_until_trained(qtbot, window, truth, 16)
    for _ in range(20):  # past the seed items chosen before the first model
        if window.controller.current().score is not None:
            break
        _press_answer(qtbot, window, truth)
    _settle(qtbot, window)
    # ten classes: the typical phase still picks (it shows no score); margin's would look so
    query = replace(window.controller.current(), strategy="margin", score=0.25)
    assert query.asked_round is None
    window.why.show_query(query, window.store.classes())  # the model that chose it is current
    gap = ": its two likeliest classes 75% apart"  # what a margin score means
    assert window.why.score.text() == f"{query.score:.3f}{gap}"
    newer = replace(query, round=query.round + 1, asked_round=query.round)
    window.why.show_query(newer, window.store.classes())  # what a retrain's view shows
    assert window.why.score.text() == (
        f"{query.score:.3f}{gap} (from the model of round {query.round}, which chose it)"
    )
    assert window.why.round.text() == str(query.round + 1)
    _close(window)


def test_why_panel_names_the_typical_phase_and_shows_no_score_for_it(qtbot, tmp_path) -> None:
    from aldesk.gui.panels.why_panel import strategy_text

    path, truth = _create(tmp_path, test_size=0)  # ten classes: typical picks up to 30 labels
    window = _show(qtbot, path)
    _label_until_trained(qtbot, window, truth, 6)
    for _ in range(10):  # past the seed items chosen before the first model
        if window.controller.current().strategy not in ("seed", "first_model"):
            break
        _press_answer(qtbot, window, truth)
        _settle(qtbot, window)
    query = window.controller.current()
    assert query.strategy == "typical" and query.score is not None
    window.why.show_query(query, window.store.classes())
    assert "(first phase)" in window.why.strategy.text()
    assert window.why.score.text() == "—"  # an ordering, not the model's uncertainty
    assert strategy_text("representative").startswith("Representative:")
    _close(window)


def test_progress_counts_add_up_and_accuracy_has_its_own_count(qtbot, tmp_path) -> None:
    path, truth = _create(tmp_path)
    window = _show(qtbot, path)
    _label_until_trained(qtbot, window, truth, 16)
    st = window.controller.session.status()
    latest = window.store.rounds()[-1]
    text = window.status_panel.labeled.text()

    assert st.n_test_labeled > 0  # test items were asked in between
    assert text.startswith(f"{st.n_labeled} of {st.n_pool} pool items\n+ {st.n_test_labeled} test")
    assert text.endswith(f"= {sum(st.per_class.values())}")
    assert latest.n_test < 10
    accuracy = window.status_panel.accuracy.text()
    assert f"of {latest.n_test} test items right" in accuracy
    assert f"{10 - latest.n_test} more test label" in accuracy
    _close(window)


def test_a_test_answer_after_the_last_round_updates_progress_and_curve(qtbot, tmp_path) -> None:
    """At the end of a stream every test item is asked after the last retrain: Progress said
    "up to date" with the accuracy on the round's test items only, and the curve kept it."""
    path, truth = _create(tmp_path)
    window = _show(qtbot, path)
    _label_until_a_test_item(qtbot, window, truth)
    rounds = len(window.store.rounds())
    with qtbot.waitSignal(window.controller.remeasured):
        _press_answer(qtbot, window, truth)  # a test answer: no retrain is due for it

    st, latest = window.controller.session.status(), window.store.rounds()[-1]
    assert len(window.store.rounds()) == rounds and latest.n_test == st.n_test_labeled
    assert f"of {st.n_test_labeled} test items right" in window.status_panel.accuracy.text()
    assert window.curve._all[latest.n_labels][0] == latest.accuracy
    _close(window)


def test_test_items_show_no_prediction(qtbot, tmp_path) -> None:
    path, truth = _create(tmp_path)
    window = _show(qtbot, path)
    _label_until_a_test_item(qtbot, window, truth)

    assert window.controller.session.model.loaded
    assert window.why.top_text() == []
    assert "hidden on test items" in window.why.note_text()
    _close(window)


def test_label_budget_is_not_overshot(qtbot, tmp_path) -> None:
    path, truth = _create(tmp_path, budget=4, test_size=0)
    window = _show(qtbot, path)
    for _ in range(4):
        _press_answer(qtbot, window, truth)

    assert window.controller.current() is None
    assert "The label budget is spent: 4 of 4 labels on pool items" in window.done_label.text()
    assert "Raise the budget in Project → Settings" in window.done_label.text()
    qtbot.keyClick(window, Qt.Key.Key_1)  # a class key past the budget answers nothing
    assert len(window.store.labels()) == 4
    _settle(qtbot, window)
    _close(window)


def test_learning_curve_draws_one_point_per_label_count(qtbot) -> None:
    from aldesk.core.records import RoundRecord
    from aldesk.gui.panels.curve_panel import CurvePanel

    panel = CurvePanel()
    qtbot.addWidget(panel)
    panel.show_rounds(
        [
            RoundRecord(1, 56, 8, accuracy=0.5, accuracy_lo=0.0, accuracy_hi=0.9),
            RoundRecord(2, 56, 8, accuracy=0.6, accuracy_lo=0.0, accuracy_hi=0.9),
            RoundRecord(3, 59, 9, accuracy=0.7, accuracy_lo=0.4, accuracy_hi=0.9),
        ]
    )
    assert panel.point_count() == 2
    assert panel.lo.at(0).y() == 0.0  # a lower bound of 0 is drawn at 0, not at the accuracy
