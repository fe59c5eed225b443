"""The new-project dialog from the keyboard and a screen reader: Enter, Tab through the class
table, names for each field, and a problem shown where the keys are."""

from __future__ import annotations

from new_project_setup import TIMEOUT_MS, _choose_folder, _click_create, _type_classes
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication


def test_enter_creates_the_project_after_tab_has_passed_over_cancel(qtbot, dialog, pool, tmp_path):
    """Create project was made the default before the button box was in the dialog, so Qt
    never knew it as the dialog's own: once Tab had passed over Cancel, Cancel stayed the
    default and Enter threw away everything typed."""
    from PySide6.QtWidgets import QDialogButtonBox

    _choose_folder(qtbot, dialog, pool)
    dialog.set_location(tmp_path)
    dialog.set_project_name("run1")
    _type_classes(qtbot, dialog, "cat, dog")
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    cancel = dialog._buttons.button(QDialogButtonBox.StandardButton.Cancel)
    cancel.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(cancel.hasFocus)
    name = dialog._name
    name.setFocus(Qt.FocusReason.TabFocusReason)  # Tab on, past Cancel, round to a field
    qtbot.waitUntil(name.hasFocus)
    assert dialog.create_button().isDefault() and not cancel.isDefault()
    with qtbot.waitSignal(dialog.accepted, timeout=TIMEOUT_MS):
        qtbot.keyClick(name, Qt.Key.Key_Return)


def test_the_keyboard_leaves_the_class_table_and_cannot_overwrite_a_name(qtbot, dialog):
    """Once the table had rows, Tab and Shift+Tab only cycled its cells, and Space then Enter
    replaced "cat" with a space."""
    _type_classes(qtbot, dialog, "cat, dog, bird")
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    editor = dialog.class_editor()
    table = editor._table
    table.setFocus(Qt.FocusReason.TabFocusReason)
    table.setCurrentCell(0, 0)
    qtbot.waitUntil(table.hasFocus)
    qtbot.keyClick(table, Qt.Key.Key_Space)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert [table.item(r, 0).text() for r in range(3)] == ["cat", "dog", "bird"]
    table.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(table, Qt.Key.Key_Tab)
    assert not table.hasFocus()  # on to the next control
    editor.entry().setFocus(Qt.FocusReason.TabFocusReason)
    for _ in range(3):  # the entry, Add and Remove come before the table drawn under them
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert table.hasFocus()


def test_a_screen_reader_names_each_field(dialog) -> None:
    """The three data fields were read as "Data and project" (their group's title), the class
    entry and table as nothing."""
    from PySide6.QtGui import QAccessible

    def read(widget) -> str:
        return QAccessible.queryAccessibleInterface(widget).text(QAccessible.Text.Name)

    names = [read(w) for w in (dialog._folder, dialog._name, dialog._location,
                               dialog.class_editor().entry(), dialog.class_editor()._table,
                               dialog.options.seed_size)]  # fmt: skip
    assert names == ["Pool folder", "Project name", "Save in", "New class",
                     "Classes and their keys", "Seed set size"]  # fmt: skip


def test_create_shows_a_problem_below_the_scrolled_part_and_puts_the_keys_there(
    qtbot, dialog, pool
):
    """Two classes on one key: Create did nothing visible, the message being below the part
    of the column in view, and the focus stayed on Create."""
    _choose_folder(qtbot, dialog, pool)
    dialog.set_project_name("run1")
    _type_classes(qtbot, dialog, ", ".join(f"class {k}" for k in range(30)))
    dialog.resize(dialog.width(), 420)  # a short screen: the column scrolls
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    table = dialog.class_editor()._table
    table.item(1, 1).setText(table.item(0, 1).text())  # two classes on one key
    bar = dialog._left.verticalScrollBar()
    bar.setValue(0)
    _click_create(qtbot, dialog)
    assert dialog.isVisible() and "the same key" in dialog.messages()["classes"]
    message = dialog._classes_msg
    top = message.mapTo(dialog._left.widget(), message.rect().topLeft()).y() - bar.value()
    assert 0 <= top < dialog._left.viewport().height()  # scrolled into view
    qtbot.waitUntil(dialog.class_editor().entry().hasFocus)
