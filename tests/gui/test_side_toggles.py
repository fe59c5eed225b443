"""View ▸ Show …: each side panel can be hidden (at 1366 × 768 the learning curve was below the
side column's fold), and the choice holds for the next window, of any project."""

from __future__ import annotations

from windows import open_window

from aldesk.core.demo import make_demo_pool
from aldesk.core.project import ProjectSettings, create_project
from aldesk.gui.main_window import MainWindow
from aldesk.gui.panels.side_column import view_menu


def _window(qtbot, tmp_path, name: str) -> MainWindow:
    settings = ProjectSettings(batch=4, seed_size=4, test_size=0)
    store, _ = create_project(tmp_path / name, tmp_path / "pool", ["a", "b", "c"], settings)
    window = open_window(qtbot, store)
    window.resize(1366, 728)
    return window


def _curve_in_view(window: MainWindow) -> bool:
    """The curve's top edge is inside the side column's visible area (no scrolling needed)."""
    scroll = window.side_scroll
    scroll.verticalScrollBar().setValue(0)
    top = window.curve.mapTo(scroll.widget(), window.curve.rect().topLeft()).y()
    return window.curve.isVisible() and top + 60 < scroll.viewport().height()


def test_hiding_a_side_panel_brings_the_curve_into_view_and_is_remembered(qtbot, tmp_path):
    make_demo_pool("images", tmp_path / "pool", per_class=1)
    window = _window(qtbot, tmp_path, "first.aldesk")
    menu_texts = [a.text() for a in view_menu(window).actions()]
    for attr, action in window.panel_actions.items():
        assert action.text() in menu_texts and action.isChecked()
        assert getattr(window, attr).isVisible()
    window.why.setMinimumHeight(400)  # as tall as a query with many class bars
    qtbot.waitUntil(lambda: not _curve_in_view(window))

    window.panel_actions["why"].trigger()  # View ▸ Show “Why this item?” off
    assert not window.why.isVisible()
    qtbot.waitUntil(lambda: _curve_in_view(window))
    window.close()

    other = _window(qtbot, tmp_path, "second.aldesk")  # another project, the same person
    assert not other.panel_actions["why"].isChecked()
    assert not other.why.isVisible()
    assert other.status_panel.isVisible() and other.curve.isVisible()
    other.panel_actions["why"].trigger()
    assert other.why.isVisible()
    other.close()


def test_with_every_panel_hidden_the_item_gets_the_column_s_width(qtbot, tmp_path):
    """All three off left a blank 280 px column beside the item (QA)."""
    make_demo_pool("images", tmp_path / "pool", per_class=1)
    window = _window(qtbot, tmp_path, "p.aldesk")
    wide = window.stack.width()
    for action in window.panel_actions.values():
        action.trigger()
    assert not window.side_scroll.isVisible()
    qtbot.waitUntil(lambda: window.stack.width() > wide + 200)
    window.live.synth_panel.setVisible(True)  # a synthesized item's panel shows itself
    assert window.side_scroll.isVisible()
    window.live.synth_panel.setVisible(False)
    assert not window.side_scroll.isVisible()
    window.panel_actions["curve"].trigger()
    assert window.side_scroll.isVisible() and window.curve.isVisible()
    window.close()
