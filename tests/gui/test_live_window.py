"""The labeling window's live side: the stream panel, a watched pool folder, synthesized items.

Real windows on generated pools; the folder watcher is driven by real file-system events
(``waitSignal`` on its debounced ``settled``), never by sleeping.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from windows import demo_project, open_window

from aldesk.gui.dialogs.learning_options import LearningOptions
from aldesk.gui.main_window import MainWindow

WAIT = 120_000


def _label_all(store, truth: dict[str, str], keep: int = 0) -> None:
    """Answer every pool file but the last ``keep`` (as if labelled in an earlier sitting)."""
    ids = {c.name: c.id for c in store.classes()}
    files = sorted((it for it in store.items() if it.origin == "file"), key=lambda it: it.arrival)
    for it in files[: len(files) - keep]:
        store.record(it.id, "label", class_id=ids[truth[it.relpath]], strategy="stream")


def _stream_window(qtbot, tmp_path: Path, threshold: float, watch: bool = True) -> MainWindow:
    store, truth = demo_project(tmp_path, "images", per_class=3, scenario="stream",
                                stream_threshold=threshold, representation="pool",
                                watch_folder=watch)  # fmt: skip
    _label_all(store, truth)
    window = open_window(qtbot, store)
    qtbot.waitUntil(lambda: window.controller.session.model.loaded, timeout=WAIT)
    if watch:
        qtbot.waitUntil(lambda: bool(window.live.watcher.folders()), timeout=WAIT)
    return window


def _drop_new_image(pool: Path, name: str) -> None:
    """A file of new content (a changed copy of a pool image) written into the pool folder."""
    source = sorted(pool.glob("**/*.png"))[0]
    with Image.open(source) as img:
        pixels = np.array(img.convert("L"))
    pixels[:4, :4] = 255 - pixels[:4, :4]
    Image.fromarray(pixels).save(pool / name)


def test_a_file_dropped_into_the_watched_folder_is_queried(qtbot, tmp_path) -> None:
    window = _stream_window(qtbot, tmp_path, threshold=1.01)  # every scored arrival is asked
    panel = window.live.stream_panel
    assert window.stack.currentWidget() is window.done_label  # the stream ran dry
    assert "watched" in window.done_label.text()
    before = int(panel.counts()["seen"])
    with qtbot.waitSignal(window.live.watcher.settled, timeout=WAIT):
        _drop_new_image(window.store.pool_root, "arrived.png")
    qtbot.waitUntil(lambda: panel.counts()["seen"] == str(before + 1), timeout=WAIT)
    query = window.controller.current()
    assert query.item.relpath == "arrived.png" and query.strategy == "stream"
    assert window.stack.currentWidget() is window.viewer  # shown, ready to label
    assert panel.counts()["queried"].startswith(str(int(before) + 1))
    window.close()


def test_a_sure_arrival_is_discarded_and_counted(qtbot, tmp_path) -> None:
    window = _stream_window(qtbot, tmp_path, threshold=0.0)  # every scored arrival discarded
    panel = window.live.stream_panel
    before = panel.counts()
    with qtbot.waitSignal(window.live.watcher.settled, timeout=WAIT):
        _drop_new_image(window.store.pool_root, "sure.png")
    qtbot.waitUntil(
        lambda: panel.counts()["discarded"] == str(int(before["discarded"]) + 1), timeout=WAIT
    )
    assert panel.counts()["seen"] == str(int(before["seen"]) + 1)
    new = next(it for it in window.store.items() if it.relpath == "sure.png")
    assert window.store.answers()[new.id].action == "discard"
    assert window.controller.current() is None
    window.close()


def test_in_a_pool_project_a_dropped_file_joins_the_pool(qtbot, tmp_path) -> None:
    store, truth = demo_project(tmp_path, "images", per_class=3, representation="pool",
                                watch_folder=True)  # fmt: skip
    _label_all(store, truth)
    window = open_window(qtbot, store)
    qtbot.waitUntil(lambda: window.controller.session.model.loaded, timeout=WAIT)
    qtbot.waitUntil(lambda: bool(window.live.watcher.folders()), timeout=WAIT)
    assert window.controller.current() is None and not window.live.stream_panel.isVisible()
    with qtbot.waitSignal(window.live.watcher.settled, timeout=WAIT):
        _drop_new_image(window.store.pool_root, "joined.png")
    qtbot.waitUntil(lambda: window.controller.current() is not None, timeout=WAIT)
    assert window.controller.current().item.relpath == "joined.png"
    assert window.stack.currentWidget() is window.viewer
    window.close()


def test_a_removed_file_is_marked_missing(qtbot, tmp_path) -> None:
    window = _stream_window(qtbot, tmp_path, threshold=0.5)
    store = window.store
    gone = sorted(it.relpath for it in store.items() if it.origin == "file")[3]
    with qtbot.waitSignal(window.live.watcher.settled, timeout=WAIT):
        (store.pool_root / gone).unlink()
    qtbot.waitUntil(
        lambda: next(it for it in store.items() if it.relpath == gone).status == "missing",
        timeout=WAIT,
    )
    item = next(it for it in store.items() if it.relpath == gone)
    assert item.reason == "the file is no longer in the pool folder"  # flagged with the reason
    window.close()


def test_the_stream_panel_shows_counts_and_threshold(qtbot, tmp_path) -> None:
    store, truth = demo_project(tmp_path, "images", per_class=3, scenario="stream",
                                stream_threshold=0.8, representation="pool")  # fmt: skip
    _label_all(store, truth, keep=4)
    n_files = sum(1 for it in store.items() if it.origin == "file")
    window = open_window(qtbot, store)
    panel = window.live.stream_panel
    assert panel.isVisible() and not window.live.watch_action.isChecked()
    counts = panel.counts()
    # labelled before + the one on screen; the others wait their turn
    assert counts["seen"] == str(n_files - 3) and counts["discarded"] == "0"
    assert counts["queried"].startswith(str(n_files - 3)) and counts["waiting"] == "3"
    assert counts["threshold"] == "asks below 80% confidence"
    assert "Watch the pool folder" in panel.watching.text()
    window.live.watch_action.trigger()  # Project ▸ Watch the pool folder: kept in the project
    assert store.get("watch_folder") is True
    assert "Watching the pool folder" in panel.watching.text()
    window.close()


def test_the_stream_panel_is_hidden_in_pool_projects(qtbot, tmp_path) -> None:
    store, _truth = demo_project(tmp_path, "images", per_class=2, representation="pool")
    window = open_window(qtbot, store)
    assert not window.live.stream_panel.isVisible()
    assert not window.live.synth_panel.isVisible()
    window.close()


def test_a_synthesized_item_shows_its_badge_and_sources_and_cant_label_is_recorded(
    qtbot, tmp_path
) -> None:
    store, truth = demo_project(tmp_path, "images", per_class=3, scenario="synthesis",
                                synthesis_every=1, representation="pool")  # fmt: skip
    _label_all(store, truth, keep=10)
    window = open_window(qtbot, store, activate=True)
    session = window.controller.session
    qtbot.waitUntil(lambda: len(session.index.synth) == 1, timeout=WAIT)  # made on a worker
    first = window.controller.current()
    assert first.item.origin == "file" and not window.live.synth_panel.isVisible()
    window.controller.answer(store.classes()[0].id)
    query = window.controller.current()
    assert query.item.origin == "synth"
    panel = window.live.synth_panel
    assert panel.isVisible() and panel.badge.isVisible()
    assert panel.badge.text().startswith("SYNTHESIZED")
    names = panel.source_names()
    files = {it.relpath for it in store.items() if it.origin == "file"}
    assert len(names) == 2
    assert all(n.split(": ", 1)[1] in files for n in names)  # both sources named
    assert sum(int(n.split("%")[0]) for n in names) == 100
    qtbot.waitUntil(panel.pictures_shown, timeout=WAIT)  # thumbnails of both, from a worker
    qtbot.keyClick(window, Qt.Key.Key_X)  # Can't label
    assert store.answers()[query.item.id].action == "cannot_label"
    assert not panel.isVisible()  # the next item is a file again
    window.close()


def test_learning_options_offer_one_synthesized_in_n_for_synthesis_only(qtbot) -> None:
    options = LearningOptions()
    qtbot.addWidget(options)
    options.show()
    options.show_advanced(True)
    assert not options.synthesis_every.isVisible()
    options.set_values({"scenario": "synthesis", "synthesis_every": 7})
    assert options.synthesis_every.isVisible()
    assert options.values()["synthesis_every"] == 7
    assert not options.stream_share.isVisible()  # the stream's share: for streams only
    options.set_values({"scenario": "stream", "stream_budget": 0.35})
    assert options.stream_share.isVisible() and not options.synthesis_every.isVisible()
    assert not options.combos["strategy"].isVisible()  # a stream asks by its threshold
    assert options.values()["stream_budget"] == 0.35  # it could be set nowhere


def test_a_vanished_pool_folder_is_not_rescanned_on_every_event(
    qtbot, tmp_path, monkeypatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    cancel = QMessageBox.StandardButton.Cancel
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: cancel)
    window = _stream_window(qtbot, tmp_path, threshold=0.5)
    root = window.store.pool_root
    root.rename(root.with_name("moved-away"))
    asked = []
    window.controller.pool_missing.connect(asked.append)
    window.live.watcher.on_settled()  # the watcher's debounced slot, as after the move
    assert not asked  # no "locate the folder" dialog per file-system event
    assert "not found" in window.statusBar().currentMessage()
    assert all(it.status == "ok" for it in window.store.items())  # nothing flagged
    window.close()


def test_a_file_replaced_unwatched_is_checked_before_its_answer_counts(qtbot, tmp_path) -> None:
    """With the folder not watched, a file replaced before it was shown took the answer on its
    old content (the screen showed the new one), and the export then left that label out."""
    from aldesk.core.pool_sync import REPLACED

    store, _ = demo_project(tmp_path, "images", per_class=3, representation="pool",
                            watch_folder=False)  # fmt: skip
    window = open_window(qtbot, store)
    controller = window.controller
    on_screen = controller.current().item.id
    target = next(it for it in store.items() if it.origin == "file" and it.id != on_screen)
    _drop_new_image(store.pool_root, "new.png")
    (store.pool_root / "new.png").replace(store.pool_root / target.relpath)
    said = []
    controller.message.connect(said.append)
    controller.show_item(target.id)
    assert controller.current().item.id == target.id
    controller.answer(store.classes()[0].id)  # before the rescan has said what the file is
    assert target.id not in store.answers()
    assert any("changed on disk" in text for text in said)
    qtbot.waitUntil(lambda: store.item(target.id).status == "missing", timeout=WAIT)
    assert store.item(target.id).reason == REPLACED
    now = [it for it in store.items() if it.relpath == target.relpath and it.status == "ok"]
    assert len(now) == 1 and now[0].id != target.id  # the new content is an item of its own
    # the screen says why it cannot be labeled, as when the folder is watched
    qtbot.waitUntil(lambda: controller.current().item.status == "missing", timeout=WAIT)
    controller.answer(store.classes()[0].id)
    assert target.id not in store.answers()
    window.close()


def test_an_audio_blend_s_sources_play_from_the_panel_and_never_over_the_blend(
    qtbot, tmp_path
) -> None:
    """A blend of two calls is judged against them; their names alone said nothing of how
    they sound."""
    store, truth = demo_project(tmp_path, "audio", per_class=3, scenario="synthesis",
                                synthesis_every=1, representation="pool")  # fmt: skip
    _label_all(store, truth, keep=10)
    window = open_window(qtbot, store, activate=True)
    session = window.controller.session
    qtbot.waitUntil(lambda: len(session.index.synth) == 1, timeout=WAIT)
    for _ in range(5):  # a due test item may come first
        window.controller.answer(store.classes()[0].id)
        if window.controller.current().item.origin == "synth":
            break
    assert window.controller.current().item.origin == "synth"
    panel = window.live.synth_panel
    first, second = panel.play_buttons
    assert first.isVisible() and first.text() == "▶ Play"
    qtbot.mouseClick(first, Qt.MouseButton.LeftButton)
    source = panel.source_names()[0].split(": ", 1)[1]
    assert panel.player.path.name == Path(source).name and panel.player.is_playing
    assert first.text() == "❚❚ Pause" and second.text() == "▶ Play"
    qtbot.waitUntil(lambda: window.viewer.duration() > 0, timeout=WAIT)  # the blend is loaded
    window.viewer.play()  # the blend itself: the source pauses
    assert not panel.player.is_playing and first.text() == "▶ Play"
    qtbot.mouseClick(second, Qt.MouseButton.LeftButton)  # the other source: the blend pauses
    assert panel.player.is_playing and not window.viewer.is_playing()
    qtbot.keyClick(window, Qt.Key.Key_X)  # answered: the next item stops the source
    assert not panel.player.is_playing
    window.close()


def test_coming_back_from_another_app_rescans_an_unwatched_folder(qtbot, tmp_path, monkeypatch):
    """With the folder not watched, a file deleted in a file manager went unnoticed: the
    window labelled it with nothing said, and Progress kept counting it."""
    from PySide6.QtGui import QGuiApplication

    from aldesk.gui import live

    store, _ = demo_project(tmp_path, "images", per_class=3)
    window = open_window(qtbot, store)
    said: list[str] = []
    window.controller.message.connect(said.append)
    monkeypatch.setattr(live, "AWAY_SECONDS", 0.0)
    gone = next(it for it in store.items() if it.id != window.controller.current().item.id)
    store.abspath(gone).unlink()
    app = QGuiApplication.instance()
    app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationInactive)  # to a file manager
    app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationActive)  # and back
    qtbot.waitUntil(lambda: "Pool rescanned: 1 missing file." in said, timeout=60_000)
    assert store.item(gone.id).status == "missing"
    window.live.set_watching(True)  # watched: the watcher tells, coming back does not rescan
    qtbot.waitUntil(lambda: not window.controller.scanner.busy, timeout=60_000)
    rescans: list[bool] = []
    monkeypatch.setattr(window.controller, "rescan", lambda: rescans.append(True))
    app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationInactive)
    app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationActive)
    assert rescans == []
    window.close()
