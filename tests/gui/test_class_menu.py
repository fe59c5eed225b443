"""Classes menu: renaming to a taken name offers Merge; Merge says how many labels move."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QWidget

from aldesk.core.records import NewItem
from aldesk.core.store import ProjectStore
from aldesk.gui.class_menu import ClassMenu


@pytest.fixture
def menu(qtbot, tmp_path):
    store = ProjectStore.create(tmp_path / "p", pool_root=tmp_path, kind="image",
                                classes=["cat", "dog", "bird"])  # fmt: skip
    items = store.add_items(NewItem(f"h{i}", f"f{i}.png", "image", 10, 1000) for i in range(5))
    cat, dog, _bird = (c.id for c in store.classes())
    for item, cls in zip(items, (cat, cat, cat, dog, dog), strict=True):
        store.record(item, "label", class_id=cls)
    window = QWidget()
    qtbot.addWidget(window)
    menu = ClassMenu(QMenu(window), window, store)
    menu.replies, menu.asked = [], []  # what the confirmation answers; what it was asked
    menu.confirm = lambda text: menu.asked.append(text) or menu.replies.pop(0)
    yield menu
    store.close()


def _names(menu: ClassMenu) -> list[str]:
    return [c.name for c in menu.store.classes()]


def test_renaming_to_a_taken_name_offers_merge_and_cancel_changes_nothing(menu) -> None:
    menu.replies = [False]
    menu.rename_class("cat", "Dog")  # the same name but for case is taken too
    assert "already a class named “dog”" in menu.asked[0]
    assert "Its 3 labels will count as “dog”" in menu.asked[0]
    assert _names(menu) == ["cat", "dog", "bird"]


def test_renaming_to_a_taken_name_merges_when_confirmed(menu, qtbot) -> None:
    menu.replies = [True]
    with qtbot.waitSignal(menu.changed):
        menu.rename_class("cat", "dog")
    dog = menu.store.class_by_name("dog").id
    assert _names(menu) == ["dog", "bird"]
    assert list(menu.store.labels().values()) == [dog] * 5


def test_merge_asks_first_and_says_how_many_labels_move(menu) -> None:
    menu.replies = [False, True]
    menu.merge_classes("dog", "bird")
    assert "Merge “dog” into “bird”? Its 2 labels" in menu.asked[0]
    assert _names(menu) == ["cat", "dog", "bird"]  # cancelled
    menu.merge_classes("bird", "cat")
    assert "Its 0 labels" in menu.asked[1]
    assert _names(menu) == ["cat", "dog"]


def test_a_free_name_is_a_plain_rename_without_a_question(menu) -> None:
    menu.rename_class("cat", "kitten")
    assert menu.asked == [] and _names(menu) == ["kitten", "dog", "bird"]


@pytest.mark.parametrize("button, merged", [("Merge", True), ("Cancel", False)])
def test_the_confirmation_box_has_merge_and_cancel(qtbot, tmp_path, button, merged) -> None:
    store = ProjectStore.create(tmp_path / "p", pool_root=tmp_path, kind="image",
                                classes=["cat", "dog"])  # fmt: skip
    window = QWidget()
    qtbot.addWidget(window)
    menu = ClassMenu(QMenu(window), window, store)
    seen = []

    def press() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        next(b for b in box.buttons() if b.text() == button).click()

    QTimer.singleShot(0, press)
    menu.rename_class("cat", "dog")
    assert "already a class named “dog”" in seen[0] and "Its 0 labels" in seen[0]
    assert ([c.name for c in store.classes()] == ["dog"]) is merged
    store.close()


def test_a_class_never_used_can_be_removed_one_used_cannot(menu, qtbot) -> None:
    errors = []
    menu.failed.connect(errors.append)
    with qtbot.waitSignal(menu.changed):
        menu.remove_class("bird")  # no answer ever named it
    assert _names(menu) == ["cat", "dog"]
    menu.add_class("owl")
    menu.remove_class("cat")  # 3 labels name it
    assert _names(menu) == ["cat", "dog", "owl"]
    assert "cannot be removed: 3 answers" in errors[0] and "Merge it" in errors[0]


def test_a_merge_is_undone_by_restoring_the_class(menu, qtbot) -> None:
    menu.replies = [True]
    menu.merge_classes("dog", "cat")
    restore = next(a for a in menu.menu.actions() if a.text().startswith("Res&tore"))
    assert restore.isEnabled()
    assert "Restore merged class… undoes it" in menu.asked[0]
    with qtbot.waitSignal(menu.changed):
        menu.restore_class("dog")
    dog = menu.store.class_by_name("dog")
    assert _names(menu) == ["cat", "dog", "bird"]
    assert sorted(menu.store.labels().values()).count(dog.id) == 2  # its own labels again
    assert dog.hotkey == "2"  # its key is back
    assert not next(a for a in menu.menu.actions() if a.text().startswith("Res&tore")).isEnabled()


def test_restore_lists_merged_classes_with_target_and_labels(menu, monkeypatch) -> None:
    menu.replies = [True]
    menu.merge_classes("dog", "bird")
    offered = []

    def pick(title, label, names):
        offered.extend(names)
        return names[0]

    monkeypatch.setattr(menu, "_ask_item", pick)
    menu.restore_class()
    assert offered == ["dog (merged into bird; 2 labels)"]
    assert _names(menu) == ["cat", "dog", "bird"]


def test_the_class_to_rename_is_found_by_typing_part_of_its_name_with_spaces(qtbot, tmp_path):
    """Typing "icon w" in the drop-down chose "icon animal" (a space opened the list)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QComboBox, QInputDialog

    store = ProjectStore.create(tmp_path / "p", pool_root=tmp_path, kind="image",
                                classes=["icon animal", "icon weather", "food"])  # fmt: skip
    window = QWidget()
    qtbot.addWidget(window)
    menu = ClassMenu(QMenu(window), window, store)
    failures = []
    menu.failed.connect(failures.append)

    def type_into_chooser(text: str) -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            QTimer.singleShot(10, lambda: type_into_chooser(text))
            return
        line = dialog.findChild(QComboBox).lineEdit()
        QTest.keyClicks(line, text)
        press_enter_until_closed(dialog, line)

    def press_enter_until_closed(dialog, line) -> None:
        popup = line.completer().popup() if line.completer() else None
        QTest.keyClick(popup if popup is not None and popup.isVisible() else line,
                       Qt.Key.Key_Escape if popup is not None and popup.isVisible()
                       else Qt.Key.Key_Return)  # fmt: skip
        if dialog.isVisible():  # Escape closed the completer's list: Enter accepts next
            QTimer.singleShot(10, lambda: press_enter_until_closed(dialog, line))

    QTimer.singleShot(0, lambda: type_into_chooser("icon w"))
    assert menu._ask_class("Rename class", "Class to rename:") == "icon weather"
    QTimer.singleShot(0, lambda: type_into_chooser("icon"))  # two classes hold it: no guess
    assert menu._ask_class("Rename class", "Class to rename:") is None
    assert failures == ["“icon” matches 2 classes (“icon animal”, “icon weather”): type more "
                        "of one."]  # fmt: skip
    QTimer.singleShot(0, lambda: type_into_chooser("ic we"))  # as the "/" picker matches
    assert menu._ask_class("Rename class", "Class to rename:") == "icon weather"
    store.close()


def test_a_new_or_restored_class_says_its_key(menu, qtbot) -> None:
    """ "three" got the key K (3 was taken) without a word; a restored class's key moved too."""
    said = []
    menu.said.connect(said.append)
    menu.add_class("fish")
    assert said[-1] == "Added the class “fish” with the key 4."
    menu.replies = [True]
    menu.merge_classes("bird", "cat")  # bird had the key 3
    menu.add_class("newt")  # takes the free 3
    menu.restore_class("bird")
    key = menu.store.class_by_name("bird").hotkey.upper()
    assert key != "3"
    assert said[-1] == f"Restored “bird” with the key {key} (its key 3 is another class's now)."
