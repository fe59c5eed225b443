"""Progress shows the labeling pace, time spent and, with a target accuracy, the labels needed."""

from __future__ import annotations

from windows import demo_project, open_window

from aldesk.core.pace import Feedback, Projection
from aldesk.gui.panels.status_panel import StatusPanel


def test_the_panel_shows_rates_time_and_the_projection(qtbot) -> None:
    panel = StatusPanel()
    qtbot.addWidget(panel)
    panel.show()
    f = Feedback(30, 600.0, 300, 7200.0, Projection(120, "≈ 120 more labels to reach 90%"))
    panel.show_feedback(f)
    assert panel.pace.text() == "180/h this session\n150/h overall"
    assert panel.time_spent.text() == "10 min this session\n2 h 00 min overall"
    assert panel.to_target.isVisible() and panel.to_target.text().startswith("≈ 120 more")
    panel.show_feedback(Feedback(30, 600.0, 300, 7200.0, None))  # no target set
    assert not panel.to_target.isVisible() and not panel.to_target_caption.isVisible()


def test_the_window_follows_answers_and_says_when_it_cannot_project(qtbot, tmp_path) -> None:
    store, truth = demo_project(tmp_path, "audio", per_class=4, representation="pool",
                                target_accuracy=0.9)  # fmt: skip
    window = open_window(qtbot, store)
    controller = window.controller
    for _ in range(3):
        name = truth[controller.current().item.relpath]
        controller.answer(store.class_by_name(name).id)
    panel = window.status_panel
    assert window.pace.moments and len(window.pace.moments) == 3  # the answers were read
    assert panel.pace.text() == "shown after a minute of labelling"  # no rate yet
    assert panel.to_target.isVisible()
    assert panel.to_target.text() == "not enough rounds yet (0 of 3 measured)"
    panel.grab().save(str(tmp_path / "panel.png"))
    window.close()


def test_an_audio_window_zooms_the_clip_with_plus_minus_and_ctrl_0(qtbot, tmp_path) -> None:
    """+ and − did nothing in an audio project, and said nothing."""
    from PySide6.QtCore import Qt

    store, _truth = demo_project(tmp_path, "audio", per_class=4, representation="pool")
    window = open_window(qtbot, store)
    canvas = window.viewer.canvas()
    qtbot.waitUntil(lambda: canvas.view.duration > 0, timeout=30_000)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_Plus)
    assert canvas.view.zoomed and canvas.view.factor == 2.0
    qtbot.keyClick(window, Qt.Key.Key_Minus)
    assert not canvas.view.zoomed
    qtbot.keyClick(window, Qt.Key.Key_Plus)
    qtbot.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert not canvas.view.zoomed
    (view,) = [a.menu() for a in window.menuBar().actions() if a.text() == "&View"]
    names = [a.text() for a in view.actions()]
    assert "Zoom &in (time; Ctrl+wheel)" in names and "&Whole clip" in names
