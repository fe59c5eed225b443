"""Label → More like this, driven through the window's shortcut on a generated pool."""

from __future__ import annotations

from PySide6.QtCore import Qt

from aldesk.core.similar import COUNT
from tests.gui.windows import demo_project, open_window


def _press_more_like_this(qtbot, window) -> None:
    qtbot.keyClick(window, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.controller.similar.busy, timeout=30_000)


def _answer(qtbot, window) -> None:
    first = next(c for c in window.store.classes() if c.hotkey)
    qtbot.keyClick(window, getattr(Qt.Key, f"Key_{first.hotkey.upper()}"))


def test_similar_items_come_next_and_are_mostly_of_its_class(qtbot, tmp_path) -> None:
    store, truth = demo_project(tmp_path, "images", per_class=12)
    window = open_window(qtbot, store, activate=True)
    shown = window.controller.current().item
    _press_more_like_this(qtbot, window)
    queued = [i for i, _ in store.get("similar")["items"]]
    assert len(queued) == COUNT and shown.id not in queued
    assert "most like" in window.statusBar().currentMessage()
    same = sum(truth[store.item(i).relpath] == truth[shown.relpath] for i in queued)
    assert same >= COUNT // 2  # the features put an item near its own class
    assert window.controller.current().item.id == shown.id  # the item on screen stays
    _answer(qtbot, window)
    query = window.controller.current()
    assert (query.item.id, query.strategy) == (queued[0], "similar")
    assert "More like this" in window.why.strategy.text()
    assert "cosine similarity" in window.why.score.text()


def test_back_to_the_strategys_order_drops_the_rest(qtbot, tmp_path) -> None:
    store, _ = demo_project(tmp_path, "images", per_class=12)
    window = open_window(qtbot, store, activate=True)
    _press_more_like_this(qtbot, window)
    _answer(qtbot, window)
    _answer(qtbot, window)  # the first similar item
    window.actions_by_name["similar_stop"].trigger()
    assert store.get("similar") is None
    assert f"{COUNT - 1} similar items left unasked" in window.statusBar().currentMessage()
    _answer(qtbot, window)
    assert window.controller.current().strategy != "similar"


def test_a_stream_project_says_why_there_is_no_similar_order(qtbot, tmp_path) -> None:
    store, _ = demo_project(tmp_path, "images", per_class=6, scenario="stream")
    window = open_window(qtbot, store, activate=True)
    _press_more_like_this(qtbot, window)
    assert store.get("similar") is None
    assert "stream" in window.statusBar().currentMessage()
