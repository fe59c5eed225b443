"""Any screen, any number of classes: the window fits a 1366 × 768 laptop at 150 % with 30
classes, the class buttons wrap and scroll, and a type-to-filter picker ("/") answers."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from aldesk.core.demo import make_demo_pool
from aldesk.core.project import ProjectSettings, create_project
from aldesk.core.records import ClassInfo
from aldesk.gui.class_picker import ClassPicker, filter_classes
from aldesk.gui.controller import LabelingController
from aldesk.gui.main_window import MainWindow
from aldesk.gui.panels.label_bar import MAX_ROWS, PICKER_THRESHOLD, LabelBar
from aldesk.gui.shortcuts import ShortcutSheet, window_keys

# 150 % of a 1366 × 768 screen in logical pixels, less a title bar and a panel (~60 px)
LOGICAL_W, LOGICAL_H = 1366 / 1.5, 768 / 1.5 - 60
NAMES_30 = [f"species {i:02d}" for i in range(27)] + ["sparrow", "house finch", "猫"]
NAMES_9 = ["bass", "brass", "chromatic_percussion", "guitar", "organ", "piano", "pipe", "reed",
           "strings"]  # fmt: skip


def _window(qtbot, tmp_path, kind: str = "images", names=NAMES_30) -> MainWindow:
    make_demo_pool(kind, tmp_path / "pool", per_class=1)
    settings = ProjectSettings(batch=4, seed_size=4, test_size=0)
    store, _ = create_project(tmp_path / "p.aldesk", tmp_path / "pool", names, settings)
    controller = LabelingController(store)
    window = MainWindow(store, controller)
    controller.setParent(window)
    qtbot.addWidget(window)
    return window


def _show(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.controller.features.finished, timeout=120_000):
        window.show()
        window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


def _inside(window: MainWindow, widget) -> bool:
    """The whole widget is within the window (not cut off at its right or bottom edge)."""
    top_left = widget.mapTo(window, QPoint(0, 0))
    rect = widget.rect().translated(top_left)
    return widget.isVisible() and window.rect().contains(rect)


@pytest.mark.parametrize(("kind", "names"), [("images", NAMES_30), ("audio", NAMES_30),
                                             ("images", NAMES_9), ("audio", NAMES_9)])  # fmt: skip
def test_window_with_many_classes_fits_1366x768_at_150_percent(
    qtbot, tmp_path, kind, names
) -> None:
    window = _window(qtbot, tmp_path, kind, names)
    need = window.minimumSizeHint()
    assert need.width() <= LOGICAL_W and need.height() <= LOGICAL_H, need
    _show(qtbot, window)
    window.resize(int(LOGICAL_W), int(LOGICAL_H))
    qtbot.waitUntil(lambda: window.width() == int(LOGICAL_W))
    bar = window.label_bar
    shown = [bar.skip_button, bar.cannot_button, window.side_scroll]
    shown += [bar.find_button] if len(names) > PICKER_THRESHOLD else []
    for widget in shown:
        assert _inside(window, widget), widget
    window.close()


def test_class_buttons_wrap_into_rows_and_scroll_instead_of_widening() -> None:
    classes = [ClassInfo(i, f"class {i}", None, None, i) for i in range(30)]
    bar = LabelBar()
    bar.set_classes(classes)
    assert bar.minimumSizeHint().width() < 700  # was 3,900 px: one button per class in a row
    bar.resize(1000, bar.sizeHint().height())
    bar.show()
    area = bar.classes_area
    rows = {bar.button(c.id).y() for c in classes}
    assert len(rows) > 2  # the buttons wrap...
    assert area.height() <= MAX_ROWS * 44  # ...and at most two rows show; the rest scroll
    assert area.verticalScrollBar().maximum() > 0
    assert not bar.find_button.isHidden()  # past 12 classes the picker is offered
    bar.set_classes(classes[:9])
    assert bar.find_button.isHidden()
    bar.close()


def _rows_at(qtbot, bar: LabelBar, classes: list[ClassInfo], width: int) -> int:
    """Rows the class buttons take once the bar is ``width`` wide and laid out."""
    bar.resize(width, bar.sizeHint().height())
    qtbot.waitUntil(lambda: bar.width() == width)
    bar.layout().activate()
    bar.resize(width, bar.sizeHint().height())  # the height its rows ask for at this width
    bar.classes_area.widget().layout().activate()
    return len({bar.button(c.id).y() for c in classes})


def test_a_third_row_shows_when_it_holds_the_last_buttons(qtbot) -> None:
    bar = LabelBar()
    qtbot.addWidget(bar)
    area = bar.classes_area
    nine = [ClassInfo(i, f"class {i}", None, None, i) for i in range(9)]
    bar.set_classes(nine)
    bar.show()
    narrowest = bar.minimumSizeHint().width()
    # the narrowest width at which the nine buttons take three rows (four cells a row)
    assert any(_rows_at(qtbot, bar, nine, w) == 3 for w in range(narrowest, 3000, 10))
    assert area.height() > MAX_ROWS * 44  # every button shows: no scroll bar hides the ninth
    assert area.verticalScrollBar().maximum() == 0
    thirteen = [ClassInfo(i, f"class {i}", None, None, i) for i in range(13)]
    bar.set_classes(thirteen)  # more rows than one extra: two show, the rest scroll
    qtbot.waitUntil(lambda: len({bar.button(c.id).y() for c in thirteen}) > 3)
    assert area.height() <= MAX_ROWS * 44 and area.verticalScrollBar().maximum() > 0


def test_one_long_name_among_many_classes_does_not_widen_every_button(qtbot) -> None:
    long_name = "Paramecium caudatum - ciliate with a long name"
    classes = [ClassInfo(i, f"c{i}", None, None, i) for i in range(21)]
    classes.append(ClassInfo(21, long_name, None, None, 21))
    bar = LabelBar()
    qtbot.addWidget(bar)
    bar.set_classes(classes)
    bar.resize(1200, bar.sizeHint().height())
    bar.show()
    qtbot.waitUntil(lambda: bar.width() == 1200)
    bar.classes_area.widget().layout().activate()
    columns = {bar.button(c.id).x() for c in classes}
    assert len(columns) >= 6  # was 3: every cell as wide as the one long name
    assert bar.button(21).text().endswith("…")  # that name is elided...
    assert bar.button(21).toolTip() == f"Label as {long_name}"  # ...and a hover away


def test_filter_ranks_prefix_then_word_then_substring() -> None:
    classes = [ClassInfo(i, n, None, None, i) for i, n in
               enumerate(["house sparrow", "sparrow", "passer", "finch"])]  # fmt: skip
    names = [c.name for c in filter_classes(classes, "SPAR")]
    assert names == ["sparrow", "house sparrow"]
    assert [c.name for c in filter_classes(classes, "ss")] == ["passer"]
    assert filter_classes(classes, "owl") == []


def test_the_filter_ignores_accents_and_takes_several_words() -> None:
    """Typing "epee" found only "Epee", "akce" nothing, "bronze frag" nothing."""
    names = ["Épée", "Coin — Ottoman akçe", "Inrō", "Ceramic vessel — Late Bronze Age (fragment)",
             "Ceramic vessel — Late Bronze Age (complete)", "Bronze mirror"]  # fmt: skip
    classes = [ClassInfo(i, n, None, None, i) for i, n in enumerate(names)]

    def found(text: str) -> list[str]:
        return [c.name for c in filter_classes(classes, text)]

    assert found("epee") == ["Épée"] and found("akce") == ["Coin — Ottoman akçe"]
    assert found("inro") == ["Inrō"]
    assert found("bronze frag") == ["Ceramic vessel — Late Bronze Age (fragment)"]
    assert found("frag") == ["Ceramic vessel — Late Bronze Age (fragment)"]  # "(" starts a word
    assert found("bronze")[0] == "Bronze mirror"  # a name that starts so comes first


def test_slash_opens_the_picker_typing_filters_and_enter_answers(qtbot, tmp_path) -> None:
    window = _window(qtbot, tmp_path)
    _show(qtbot, window)
    item = window.controller.current().item
    qtbot.keyClick(window, Qt.Key.Key_Slash)
    picker: ClassPicker = window.class_picker
    assert picker.isVisible()
    everything = picker.height()
    qtbot.keyClicks(picker.filter, "fin")
    sparrow_id = window.store.class_by_name("sparrow").id
    finch_id = window.store.class_by_name("house finch").id
    assert picker.highlighted() == finch_id and picker.list.count() == 1
    # as tall as its matches, beside the item: a 420 px box had covered the picture
    qtbot.waitUntil(lambda: picker.height() < everything)
    image = window.viewer.geometry().translated(window.viewer.mapTo(window, QPoint(0, 0)) -
                                                window.viewer.pos())  # fmt: skip
    shown = picker.frameGeometry().translated(-window.mapToGlobal(QPoint(0, 0)))
    assert shown.intersected(image).width() < image.width() / 3
    picker.filter.clear()
    qtbot.keyClicks(picker.filter, "owl")  # nothing matches: Enter keeps the picker open
    qtbot.keyClick(picker.filter, Qt.Key.Key_Return)
    assert picker.isVisible() and "No class matches" in picker.message.text()
    picker.filter.clear()
    qtbot.keyClicks(picker.filter, "s")  # "species 00" ... then "sparrow"
    for _ in range(27):
        qtbot.keyClick(picker.filter, Qt.Key.Key_Down)
    assert picker.highlighted() == sparrow_id
    qtbot.keyClick(picker.filter, Qt.Key.Key_Return)
    assert not picker.isVisible()
    answer = window.store.answers()[item.id]
    assert (answer.action, answer.class_id) == ("label", sparrow_id)
    window.close()


def test_the_picker_key_is_listed_in_the_f1_sheet(qtbot, tmp_path) -> None:
    window = _window(qtbot, tmp_path)
    sheet = ShortcutSheet(window_keys(window.actions_by_name, window.store.classes()), window)
    rows = {
        sheet.table.item(r, 0).text(): sheet.table.item(r, 1).text()
        for r in range(sheet.table.rowCount())
    }
    assert any(what.startswith("Find class") and keys == "/" for what, keys in rows.items())
    window.close()


def test_a_name_is_elided_only_when_its_button_is_too_narrow(qtbot) -> None:
    long_name = "Eurasian collared dove (Streptopelia decaocto)"
    classes = [ClassInfo(1, "whistle", "1", None, 0), ClassInfo(2, long_name, "2", None, 1)]
    bar = LabelBar()
    qtbot.addWidget(bar)
    bar.set_classes(classes)
    bar.resize(1300, bar.sizeHint().height())
    bar.show()
    qtbot.waitUntil(lambda: bar.button(2).width() > 400)
    assert bar.button(1).text() == "[1] whistle"  # was cut to "[1] whis…" in a wide button
    assert bar.button(2).text() == f"[2] {long_name}"
    bar.resize(700, bar.height())
    qtbot.waitUntil(lambda: bar.button(2).text().endswith("…"))
    assert bar.button(2).toolTip() == f"Label as {long_name}"  # the whole name is a hover away


def test_slash_with_nothing_left_to_label_says_so(qtbot, tmp_path) -> None:
    window = _window(qtbot, tmp_path)
    _show(qtbot, window)
    while window.controller.current() is not None:
        window.controller.skip()
    qtbot.keyClick(window, Qt.Key.Key_Slash)
    assert getattr(window, "class_picker", None) is None
    assert "no item to label" in window.statusBar().currentMessage()
    window.close()


PATHOLOGY = ["adipose", "background", "debris", "lymphocytes", "mucus", "smooth muscle",
             "normal colon mucosa", "cancer-associated stroma",
             "colorectal adenocarcinoma epithelium", "mitotic figure", "inflammation", "necrosis",
             "fibrosis", "hemorrhage", "calcification"]  # fmt: skip


def _in_view(bar: LabelBar, classes: list[ClassInfo]) -> int:
    """Class buttons whole in the scroll area's viewport."""
    return sum(bar.in_view(c.id) for c in classes)


def _pathology_bar(qtbot, width: int) -> tuple[LabelBar, list[ClassInfo]]:
    """A shown bar of the 15 pathology classes, laid out ``width`` px wide."""
    classes = [ClassInfo(i, n, None, None, i) for i, n in enumerate(PATHOLOGY)]
    bar = LabelBar()
    qtbot.addWidget(bar)
    bar.set_classes(classes)
    bar.show()
    _rows_at(qtbot, bar, classes, width)
    return bar, classes


def test_on_a_small_screen_the_buttons_beside_the_classes_stack_to_show_more(qtbot) -> None:
    """15 classes on a 1280 x 720 screen at 125 %: 4 class buttons were in view."""
    bar, classes = _pathology_bar(qtbot, 972)
    qtbot.waitUntil(lambda: bar.skip_button.y() != bar.cannot_button.y())  # Skip above Can't label
    assert _in_view(bar, classes) >= 8
    few = classes[:3]
    bar.set_classes(few)  # one row of classes: the buttons beside them in one row too
    _rows_at(qtbot, bar, few, 972)
    qtbot.waitUntil(lambda: bar.skip_button.y() == bar.cannot_button.y())
    assert bar.sizeHint().height() < 2 * 44  # one row: the bar asks for one row's height


def test_the_wheel_scrolls_the_class_buttons_a_whole_row_at_a_time(qtbot) -> None:
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent

    bar, classes = _pathology_bar(qtbot, 700)
    area = bar.classes_area
    step = area.row_step()

    def wheel(delta: int) -> None:
        area.wheelEvent(QWheelEvent(QPointF(5, 5), QPointF(5, 5), QPoint(0, 0), QPoint(0, delta),
                                    Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                                    Qt.ScrollPhase.NoScrollPhase, False))  # fmt: skip

    for eighths in (-15,) * 7:  # a touchpad's small deltas: each moved a whole row
        wheel(eighths)
    assert area.verticalScrollBar().value() == 0
    wheel(-15)  # the eighth makes a notch
    assert area.verticalScrollBar().value() == step
    for notches, row in ((-1, 2), (1, 1), (-1, 2)):
        wheel(120 * notches)
        assert area.verticalScrollBar().value() == row * step
        view = area.viewport().rect()
        placed = [bar.button(c.id).geometry().translated(0, -row * step) for c in classes]
        cut = [g for g in placed if view.intersects(g) and not view.contains(g)]
        assert not cut  # a fixed step left half a row of buttons at the top


def test_no_button_beside_the_classes_is_squeezed_after_they_stack(qtbot, qapp) -> None:
    """Moved within one grid, the buttons kept its old columns: "Undo" was drawn 41 px wide
    as "nc" and "[X] Can't label" as "Can't la" (the app's style, 10 classes at 1366 px)."""
    from aldesk.gui import style

    style.apply_style(qapp, "light")
    bar = LabelBar()
    qtbot.addWidget(bar)
    bar.show()
    for n in (3, 15, 10, 3, 10):  # one row, stacked, and back
        classes = [ClassInfo(i, f"class {i}", None, "#336699", i) for i in range(n)]
        bar.set_classes(classes)
        _rows_at(qtbot, bar, classes, 1366)
        buttons = [bar.nav_button(k) for k in ("back", "undo", "forward")]
        buttons += [bar.skip_button, bar.cannot_button]
        squeezed = [b.text() for b in buttons if b.width() < b.sizeHint().width()]
        assert not squeezed, (n, squeezed)


def test_a_key_of_a_class_scrolled_out_of_view_says_which_class_it_gave(qtbot, tmp_path) -> None:
    """With 40 classes 6 buttons are in view; a key of another gave no sign it was taken."""
    window = _window(qtbot, tmp_path)
    _show(qtbot, window)
    window.resize(int(LOGICAL_W), int(LOGICAL_H))
    qtbot.waitUntil(lambda: window.width() == int(LOGICAL_W))
    last = window.store.classes()[-1]
    assert not window.label_bar.in_view(last.id)  # scrolled away at this size
    item = window.controller.current().item.id
    window.class_menu._actions[-1].trigger()  # what its key does
    assert window.store.labels()[item] == last.id
    assert window.statusBar().currentMessage() == f"Labeled: {last.name}"
    first = window.store.classes()[0]
    window.statusBar().clearMessage()
    window.class_menu._actions[0].trigger()  # a class in view: its button shows it
    assert window.statusBar().currentMessage() == ""
    assert window.label_bar.in_view(first.id)
    window.close()


def test_an_ampersand_in_a_class_name_is_shown_not_taken_as_a_mnemonic(qtbot, tmp_path) -> None:
    """ "signs & symbols" read "signs _symbols" on its button and in the Classes menu."""
    from PySide6.QtWidgets import QMenu, QWidget

    from aldesk.core.store import ProjectStore
    from aldesk.gui.class_menu import ClassMenu

    classes = [ClassInfo(1, "signs & symbols", "1", None, 0), ClassInfo(2, "tools", "2", None, 1)]
    bar = LabelBar()
    bar.set_classes(classes)
    bar.resize(900, bar.sizeHint().height())
    bar.show()
    qtbot.waitExposed(bar)
    button = bar.button(1)
    assert button.text() == "[1] signs && symbols"  # Qt draws "&&" as one "&"
    assert "signs & symbols" in button.full_text
    bar.close()
    store = ProjectStore.create(tmp_path / "p", pool_root=tmp_path, kind="image",
                                classes=["signs & symbols", "tools"])  # fmt: skip
    window = QWidget()
    qtbot.addWidget(window)
    menu = QMenu(window)
    ClassMenu(menu, window, store)
    texts = [a.text() for a in menu.actions()]
    assert "signs && symbols" in texts and "signs & symbols" not in texts
    store.close()
