"""The side column (Why this item?, Progress, the curve) is never clipped: it scrolls when the
window is short, and every wrapped line of text gets the height it needs at any width."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QLabel
from windows import open_window

from aldesk.core.demo import make_demo_pool
from aldesk.core.project import ProjectSettings, create_project
from aldesk.gui.controller import LabelingController
from aldesk.gui.main_window import MainWindow

LONG_FEATURES = (
    "Features: pool-learned + pretrained (cross-validated on 27 labels: pool 73%, "
    "pretrained 73%, both 85%)"
)


def _clipped(window: MainWindow) -> list[str]:
    """Wrapped labels of the side column shorter than their text needs at their width."""
    return [
        f"{label.text()[:40]!r}: {label.height()} < {label.heightForWidth(label.width())} px"
        for label in window.side_scroll.widget().findChildren(QLabel)
        if label.isVisible() and label.wordWrap()
        and label.height() < label.heightForWidth(label.width())
    ]  # fmt: skip


def test_why_panel_with_bars_is_not_clipped_at_any_side_width(qtbot, tmp_path) -> None:
    classes = make_demo_pool("images", tmp_path / "pool", per_class=1)[:9]
    settings = ProjectSettings(batch=4, seed_size=4, test_size=0)
    store, _ = create_project(tmp_path / "p.aldesk", tmp_path / "pool", classes, settings)
    controller = LabelingController(store)
    window = MainWindow(store, controller)
    controller.setParent(window)
    qtbot.addWidget(window)
    with qtbot.waitSignal(controller.features.finished, timeout=120_000):
        window.show()
    window.resize(1366, 768)
    ids = [c.id for c in store.classes()]
    first = controller.current()
    seed = dataclasses.replace(first, strategy="seed", score=None, round=0, proba=None)
    query = dataclasses.replace(
        first, strategy="margin", score=0.938, round=3, is_test=False, model_loaded=True,
        proba={ids[0]: 0.62, ids[1]: 0.23, ids[2]: 0.06}, features=LONG_FEATURES,
    )  # fmt: skip
    found = []
    for side in range(260, 480, 3):
        window.splitter.setSizes([1366 - side, side])
        for shown in (seed, query):
            window.why.show_query(shown, store.classes())
            qtbot.wait(1)  # let the posted layout requests run
            # the side column's scroll bar comes and goes as Progress grows and shrinks
            window.curve.setMinimumHeight(20)
            qtbot.wait(1)
            window.curve.setMinimumHeight(180)
            qtbot.wait(1)
        found += [f"side {side} px: {c}" for c in _clipped(window)]
    assert not found, found[:5]
    assert window.side_scroll.widget().height() > window.side_scroll.viewport().height()
    assert window.side_scroll.verticalScrollBar().maximum() > 0  # it scrolls, nothing is cut
    window.close()


def test_a_long_class_name_does_not_push_the_side_column_past_its_edge(qtbot, tmp_path) -> None:
    classes = make_demo_pool("images", tmp_path / "pool", per_class=1)[:3]
    classes += ["Paramecium caudatum - ciliate with a long name", "Pseudomonasaeruginosacolonytype",
                "transportation_and_other_vehicles_of_all_kinds_x"]  # fmt: skip
    settings = ProjectSettings(batch=4, seed_size=4, test_size=0)
    store, _ = create_project(tmp_path / "p.aldesk", tmp_path / "pool", classes, settings)
    window = open_window(qtbot, store)
    ids = [c.id for c in store.classes()]
    # the model's view names the long classes among its likeliest (they overflowed there too)
    modelled = dataclasses.replace(
        window.controller.current(), strategy="margin", score=0.9, round=3, model_loaded=True,
        proba={ids[5]: 0.5, ids[4]: 0.3, ids[3]: 0.2},
    )  # fmt: skip
    for shown in (window.controller.current(), modelled):
        window.why.show_query(shown, store.classes())
        for width in (1024, 1366):
            window.resize(width, 600)
            qtbot.waitUntil(lambda w=width: window.width() == w)
            scroll = window.side_scroll
            # horizontal scrolling is off: anything wider than the viewport is not drawn
            qtbot.waitUntil(lambda s=scroll: s.widget().width() <= s.viewport().width())
    assert "Paramecium" in window.status_panel.per_class.text()
    window.close()


def _lines(text: str, width: float) -> list[str]:
    """The lines ``text`` is broken into at ``width`` px, laid out as a label lays it out."""
    from PySide6.QtGui import QTextDocument

    doc = QTextDocument()
    doc.setPlainText(text)
    doc.setTextWidth(width)
    doc.size()  # lays it out
    layout, plain = doc.firstBlock().layout(), doc.toPlainText()
    return [plain[layout.lineAt(i).textStart() :][: layout.lineAt(i).textLength()].strip()
            for i in range(layout.lineCount())]  # fmt: skip


def test_per_class_counts_wrap_between_classes_never_inside_a_name(qtbot) -> None:
    from PySide6.QtGui import QTextDocument

    from aldesk.gui.panels.status_panel import _per_class_entry

    names = ["powdery mildew", "とりとり", "chromatic percussion", "猫の手", "leaf spot", "二"]
    entries = [_per_class_entry(n, 3) for n in names]
    widest = max(QTextDocument(e).idealWidth() for e in entries)
    whole = {e.replace("\u00a0", " ") for e in entries}  # the plain text reads nbsp as a space
    for width in range(int(widest) + 1, int(3 * widest), 3):  # wide enough for any one entry
        lines = _lines("   ".join(entries), width)
        assert all(part in whole for line in lines for part in line.split("   ")), (width, lines)


def test_probabilities_never_round_to_a_certainty() -> None:
    from aldesk.core.session_status import probability_text

    assert [probability_text(p) for p in (0.9996, 0.0004, 0.0, 1.0, 0.42, 0.995, 0.0049)] == [
        ">99%", "<1%", "0%", ">99%", "42%", ">99%", "<1%"
    ]  # fmt: skip


def test_no_model_before_the_features_says_what_it_waits_for() -> None:
    """78 labels in, features still being read: it said "label a few items of two or more
    classes"."""
    from pathlib import Path

    from aldesk.core.query import Query
    from aldesk.core.records import Item
    from aldesk.gui.panels.why_panel import _model_note

    item = Item(1, "h", "a.png", "image", 1, 0, "ok", None, "pool", "file", None)
    waiting = Query(item, Path("a.png"), "seed", None, 0, False, None, features=None)
    assert "once the items' features are read" in _model_note(waiting)
    ready = Query(item, Path("a.png"), "seed", None, 0, False, None, features="Features: pool")
    assert _model_note(ready).startswith("No model yet: the first trains once two or more classes")
    training = Query(item, Path("a.png"), "seed", None, 0, False, None, features="Features: pool",
                     trainable=True)  # fmt: skip
    assert _model_note(training).startswith("No model yet: the first is being trained")


def test_a_revisited_item_says_what_it_was_answered() -> None:
    """The badge said "Already answered" and not what: a clip answered "can't label" looked
    like one labeled."""
    from pathlib import Path

    from aldesk.core.query import Query
    from aldesk.core.records import ClassInfo, Event, Item
    from aldesk.gui.panels.why_panel import _answered_text

    item = Item(1, "h", "a.wav", "audio", 1, 0, "ok", None, "pool", "file", None)
    classes = [ClassInfo(7, "seven", "7", None, 0)]

    def revisited(action: str, class_id: int | None = None) -> str:
        answer = Event(1, 0.0, 1, action, class_id, None, None, None, "pool", None)
        return _answered_text(Query(item, Path("a.wav"), "review", None, 1, False, None, answer),
                              classes)  # fmt: skip

    assert revisited("label", 7) == "Already answered: seven"
    assert revisited("cannot_label") == "Already answered: can't label"
    assert revisited("skip") == "Already answered: skipped"


def test_a_revisited_test_item_says_what_it_was_answered(qtbot) -> None:
    """The badge said only "TEST ITEM — held out" on a test item opened again from Review."""
    from pathlib import Path

    from aldesk.core.query import Query
    from aldesk.core.records import ClassInfo, Event, Item
    from aldesk.gui.panels.why_panel import WhyPanel

    panel = WhyPanel()
    qtbot.addWidget(panel)
    item = Item(1, "h", "a.wav", "audio", 1, 0, "ok", None, "test", "file", None)
    classes = [ClassInfo(7, "river", "7", None, 0)]
    answer = Event(1, 0.0, 1, "label", 7, None, None, None, "test", None)
    panel.show_query(Query(item, Path("a.wav"), "test", None, 1, True, None, answer), classes)
    assert panel.badge.text() == "TEST ITEM — held out · Already answered: river"
    panel.show_query(Query(item, Path("a.wav"), "test", None, 1, True, None), classes)
    assert panel.badge.text() == "TEST ITEM — held out"


def test_the_side_column_is_never_narrower_than_its_panels(qtbot) -> None:
    """At a 15 pt font the panels needed 294 px in a 280 px column: cut at the right edge."""
    from PySide6.QtWidgets import QWidget

    from aldesk.gui.panels.side_column import SideScroll

    column = SideScroll()
    qtbot.addWidget(column)
    inner = QWidget()
    inner.setMinimumWidth(100)
    column.setWidget(inner)
    assert column.minimumSizeHint().width() == 280  # the usual width when the panels fit
    inner.setMinimumWidth(400)
    assert column.minimumSizeHint().width() >= 400 + column.verticalScrollBar().sizeHint().width()


def test_with_many_classes_progress_says_which_need_labels() -> None:
    """At 100 classes every count made an 800-px paragraph that pushed the accuracy away."""
    from aldesk.gui.panels.status_panel import per_class_text

    few = {"cat": 3, "dog": 0}
    assert per_class_text(few).replace("\u2060", "").replace("\u00a0", " ") == "cat: 3  ·  dog: 0"
    many = {f"class {k:02d}": (k % 3 if k < 12 else 0) for k in range(30)}
    lines = per_class_text(many).replace("\u2060", "").replace("\u00a0", " ").splitlines()
    assert lines[0] == "30 classes, 8 with labels (all in the tooltip)"
    assert lines[1].startswith("fewest: class 01: 1  ·  class 04: 1")
    assert lines[2].startswith("none yet: class 00, class 03,") and lines[2].endswith("and 14 more")


def test_a_score_says_what_it_means() -> None:
    """A blend's "0.029" was read as the model being unsure; it was 97 points surer of one
    class than of the next."""
    from aldesk.gui.panels.why_panel import _score_meaning

    assert _score_meaning("synthesis", 0.029) == ": its two likeliest classes 97% apart"
    assert _score_meaning("margin", 0.0004) == ": its two likeliest classes >99% apart"  # QA
    assert _score_meaning("stream", 0.25) == ": the model 75% sure"
    assert _score_meaning("stream", 0.001) == ": the model >99% sure"  # asked, "100% sure"
    assert _score_meaning("stream_run", 0.01) == ": the model 99% sure"
    assert _score_meaning("entropy", 1.2) == ""


def test_an_answered_item_whose_file_went_says_its_answer_is_kept(qtbot) -> None:
    """Under "Already answered: Carabidae" it said "Press S to skip it" (QA)."""
    from pathlib import Path

    from aldesk.core.query import Query
    from aldesk.core.records import ClassInfo, Event, Item
    from aldesk.gui.panels.why_panel import WhyPanel

    gone = Item(1, "h", "a.png", "image", 1, 0, "missing", "no such file", "pool", "file", None)
    classes = [ClassInfo(7, "Carabidae", "7", None, 0)]
    answer = Event(1, 0.0, 1, "label", 7, None, None, None, "pool", None)
    panel = WhyPanel()
    qtbot.addWidget(panel)
    for given, then in ((answer, "Your answer to it is kept."), (None, "Press S to skip it.")):
        panel.show_query(Query(gone, Path("a.png"), "review", None, 1, False, None, given),
                         classes)  # fmt: skip
        assert panel.no_model.text().endswith(then)
        panel.show_unreadable("no such file")  # the viewer's own word, after
        assert panel.no_model.text().endswith(then)
