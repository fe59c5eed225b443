"""``aldesk demo`` in the window: the digit classes are labeled by their own digit keys."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton
from windows import open_window

from aldesk.core.demo import make_demo_pool
from aldesk.core.project import ProjectSettings, create_project


def _demo_window(qtbot, tmp_path):
    """The digits demo (3 images a class) open in the labeling window, and its classes."""
    classes = make_demo_pool("images", tmp_path / "pool", per_class=3)
    settings = ProjectSettings(batch=50, seed_size=4, test_size=0)
    store, _ = create_project(tmp_path / "demo.aldesk", tmp_path / "pool", classes, settings)
    return open_window(qtbot, store, activate=True), classes


def test_pressing_8_labels_the_class_named_8(qtbot, tmp_path) -> None:
    window, classes = _demo_window(qtbot, tmp_path)
    store = window.store
    controller = window.controller
    for key, name in ((Qt.Key.Key_8, "8"), (Qt.Key.Key_0, "0"), (Qt.Key.Key_1, "1")):
        item = controller.current().item.id
        qtbot.keyClick(window, key)
        assert store.class_by_name(name).id == store.labels()[item]
    window.close()


def test_a_key_no_class_has_is_said_and_labels_nothing(qtbot, tmp_path) -> None:
    """After "3" was merged into "8" its key labels nothing; the status bar says why."""
    window, classes = _demo_window(qtbot, tmp_path)
    store = window.store
    window.class_menu.confirm = lambda text: True
    window.class_menu.merge_classes("3", "8")
    current = set(window.label_bar._class_buttons.values())
    assert len(current) == len(classes) - 1
    buttons = window.label_bar.classes_area.findChildren(QPushButton)
    stale = [b.text() for b in buttons if b.isVisibleTo(window.label_bar) and b not in current]
    assert stale == []  # the old buttons are hidden at once (two "junk" buttons were drawn)
    qtbot.keyClick(window, Qt.Key.Key_3)
    assert store.labels() == {}
    assert window.statusBar().currentMessage().startswith("No class has the key 3")
    window.close()


def test_a_class_added_by_mistake_is_removed_and_labeling_goes_on(qtbot, tmp_path) -> None:
    window, classes = _demo_window(qtbot, tmp_path)
    store = window.store
    window.class_menu.add_class("oops")
    assert len(window.label_bar._class_buttons) == len(classes) + 1
    window.class_menu.remove_class("oops")
    assert [c.name for c in store.classes()] == classes
    assert len(window.label_bar._class_buttons) == len(classes)
    item = window.controller.current().item.id
    qtbot.keyClick(window, Qt.Key.Key_4)
    assert store.labels()[item] == store.class_by_name("4").id
    window.close()


def test_a_class_key_that_reaches_the_window_is_not_called_unassigned(qtbot, tmp_path) -> None:
    """A key press reaches the window itself when its shortcut cannot fire (the window is not
    the active one): "No class has the key 3" was said of class 3's key, and of the Skip key."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent

    window, _classes = _demo_window(qtbot, tmp_path)
    window.statusBar().clearMessage()
    for key, text in ((Qt.Key.Key_3, "3"), (Qt.Key.Key_S, "s")):
        event = QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier, text)
        window.keyPressEvent(event)
        assert "No class has" not in window.statusBar().currentMessage()
    event = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Q, Qt.KeyboardModifier.NoModifier, "q")
    window.keyPressEvent(event)  # a key nothing has is still said
    assert window.statusBar().currentMessage().startswith("No class has the key Q")
    window.close()
