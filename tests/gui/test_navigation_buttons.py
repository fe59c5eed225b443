"""◀, Undo and ▶ in the label bar and the Label menu: enabled exactly when they would act."""

from __future__ import annotations

from PySide6.QtCore import Qt
from windows import open_window

from aldesk.core.demo import make_demo_pool
from aldesk.core.project import ProjectSettings, create_project
from aldesk.gui.main_window import MainWindow


def _window(qtbot, tmp_path) -> MainWindow:
    classes = make_demo_pool("images", tmp_path / "pool", per_class=1)
    settings = ProjectSettings(batch=50, seed_size=4, test_size=0)
    store, _ = create_project(tmp_path / "p.aldesk", tmp_path / "pool", classes, settings)
    return open_window(qtbot, store)


def _enabled(window: MainWindow) -> dict[str, bool]:
    bar, actions = window.label_bar, window.actions_by_name
    state = {n: bar.nav_button(n).isEnabled() for n in ("back", "undo", "forward")}
    assert state == {n: actions[n].isEnabled() for n in state}  # menu and buttons agree
    return state


def test_undo_and_back_stay_usable_when_nothing_is_left_to_ask(qtbot, tmp_path) -> None:
    window = _window(qtbot, tmp_path)
    assert _enabled(window) == {"back": False, "undo": False, "forward": False}
    while window.controller.current() is not None:
        window.controller.skip()
    assert window.stack.currentWidget() is window.done_label
    assert _enabled(window) == {"back": True, "undo": True, "forward": False}
    last = window.store.events()[-1].item_id
    qtbot.mouseClick(window.label_bar.nav_button("undo"), Qt.MouseButton.LeftButton)
    assert window.controller.current().item.id == last  # the withdrawn item is back on screen
    while window.controller.current() is not None:
        window.controller.skip()
    qtbot.mouseClick(window.label_bar.nav_button("back"), Qt.MouseButton.LeftButton)
    assert window.controller.current().item.id == last
    assert _enabled(window)["forward"]
    window.close()


def test_a_changed_answer_returns_to_labeling_and_says_so(qtbot, tmp_path) -> None:
    """After Alt+← and a key the window went on to the next answered item: keys pressed on for
    new items overwrote the answers given after it."""
    window = _window(qtbot, tmp_path)
    c, store = window.controller, window.store
    first_class, second_class = (cl.id for cl in store.classes()[:2])
    first = c.current().item.id
    c.answer(first_class)
    second = c.current().item.id
    c.answer(first_class)
    frontier = c.current().item.id
    c.back()
    c.back()
    assert c.current().item.id == first
    c.answer(second_class)
    assert c.current().item.id == frontier
    message = window.statusBar().currentMessage()
    assert message.startswith("Changed ") and "→" in message and "Back to labeling" in message
    assert store.labels()[first] == second_class and store.labels()[second] == first_class
    c.back()  # the same class again: nothing changed, and it does not say "cat → cat"
    c.back()
    c.back()
    assert c.current().item.id == first
    c.answer(second_class)
    message = window.statusBar().currentMessage()
    assert message.startswith("Kept ") and "→" not in message and "Back to labeling" in message
    window.close()


def test_a_screen_reader_names_the_arrow_buttons(qtbot) -> None:
    """Back and Forward were announced as the glyphs "◀" and "▶"."""
    from PySide6.QtGui import QAccessible

    from aldesk.gui.panels.label_bar import LabelBar

    bar = LabelBar()
    qtbot.addWidget(bar)
    names = [QAccessible.queryAccessibleInterface(bar.nav_button(n)).text(QAccessible.Text.Name)
             for n in ("back", "undo", "forward")]  # fmt: skip
    assert names == ["Back", "Undo", "Forward"]


def test_tab_never_stops_where_the_focus_cannot_be_seen(qtbot, tmp_path) -> None:
    """Tab went round the side column, the curve and the class buttons' area, none of which
    shows that it has the focus."""
    from PySide6.QtWidgets import QApplication

    pool = tmp_path / "pool"
    classes = make_demo_pool("images", pool, per_class=4)
    store, _ = create_project(tmp_path / "p", pool, classes, ProjectSettings(test_size=0))
    window: MainWindow = open_window(qtbot, store, activate=True)
    hidden = (window.side_scroll, window.curve, window.label_bar.classes_area)
    for _ in range(8):
        qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Tab)
        assert QApplication.focusWidget() not in hidden
    window.close()
