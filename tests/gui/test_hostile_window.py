"""Issue 12 in the window: a class key on an item the viewer could not show records nothing
(status once said "labeled 187 of 183") and its Why panel says it cannot be read; a damaged
feature cache is rebuilt with a message on the status bar instead of "Feature extraction
failed"."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt

from aldesk.core.session import Session
from tests.gui.test_main_window import _close, _key_for, _label_by_keys, _open, _show


def _damage_in_place(path) -> None:
    """Bytes that decode as no image, the file's size and time kept (a damaged disk): the
    scan's record still matches, so only the viewer can tell (another size or time is a file
    replaced, which the window rescans for)."""
    before = path.stat()
    path.write_bytes((b"\x89PNG\r\n\x1a\n" + os.urandom(before.st_size))[: before.st_size])
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_class_key_on_an_item_that_could_not_be_shown(qtbot, tmp_path) -> None:
    window, truth = _open(tmp_path, "images")
    _show(qtbot, window)
    _label_by_keys(qtbot, window, truth, 1)
    upcoming = window.controller.current()
    _damage_in_place(upcoming.abspath)  # damaged since the scan, its size and time kept
    window.controller.back()
    window.controller.forward()  # shown again: the viewer fails and flags it
    qtbot.waitUntil(lambda: window.store.item(upcoming.item.id).status != "ok", timeout=10_000)
    # the Why panel says why there is no model view (it said "still being extracted")
    assert window.why.note_text().startswith("The model has no view of this item: it cannot")
    assert "Press S" in window.why.note_text() and not window.why.top_text()
    labels_before = window.store.labels()

    qtbot.keyClick(window, _key_for(window, truth))  # a class key, not S

    assert window.store.labels() == labels_before
    assert "cannot be labeled" in window.statusBar().currentMessage()
    status = window.controller.session.status()
    assert status.n_labeled <= status.n_pool
    qtbot.keyClick(window, Qt.Key.Key_S)
    assert window.store.answers()[upcoming.item.id].action == "skip"
    _close(qtbot, window)


def test_a_flag_from_the_viewer_follows_that_item_without_rereading_the_pool(
    qtbot, tmp_path, monkeypatch
) -> None:
    window, truth = _open(tmp_path, "images")
    _show(qtbot, window)
    _label_by_keys(qtbot, window, truth, 1)
    session = window.controller.session
    reloads: list[int] = []
    monkeypatch.setattr(session, "reload_items", lambda: reloads.append(1))
    upcoming = window.controller.current()
    _damage_in_place(upcoming.abspath)
    window.controller.back()
    window.controller.forward()  # shown again: the viewer fails and flags it
    qtbot.waitUntil(lambda: session.status().n_unreadable == 1, timeout=10_000)
    assert reloads == []  # a 100k pool is not read again for one flag
    fresh = Session(window.store).index  # what a reopen would hold
    mine = session.index
    assert (mine.n_unreadable, mine.n_pool_ok, mine.arrivals, mine.tests) == (
        fresh.n_unreadable, fresh.n_pool_ok, fresh.arrivals, fresh.tests
    )  # fmt: skip
    assert sorted(mine.random_order) == sorted(fresh.random_order)
    assert not session._items.is_arrival(upcoming.item.id)
    # Progress counts it with the missing files, and says so ("13 unreadable" held 6 deleted)
    qtbot.waitUntil(lambda: "\n1 item missing or unreadable" in window.status_panel.labeled.text())
    _close(qtbot, window)


def test_a_damaged_dictionary_is_rebuilt_with_a_message(qtbot, tmp_path) -> None:
    from aldesk.core.features import extractors
    from aldesk.core.project import compute_features
    from aldesk.core.store import ProjectStore
    from tests.gui.test_main_window import _window

    window, _ = _open(tmp_path, "images")
    store_path = window.store.path
    window.controller.store.close()  # never shown: make its cache first, then damage it
    window.deleteLater()
    with ProjectStore.open(store_path) as store:
        compute_features(store, workers=0)
        extractors._dictionary_path(store.cache_dir, "image").write_bytes(b"garbage")
    store = ProjectStore.open(store_path)
    again = _window(store)
    said: list[str] = []
    again.controller.message.connect(said.append)
    _show(qtbot, again)
    assert any("damaged" in m and "learned from the pool" in m for m in said), said
    assert again.controller.session.status().n_pool > 0
    _close(qtbot, again)


def test_an_audio_clip_holding_nan_is_flagged_and_the_model_trains(qtbot, tmp_path) -> None:
    import numpy as np
    import soundfile as sf

    from aldesk.core.project import ProjectSettings, create_project
    from tests.gui.test_main_window import _pool, _window

    pool, truth, classes = _pool(tmp_path, "audio", per_class=10)
    x = np.zeros(8000, np.float32)
    x[100:300] = np.nan
    sf.write(pool / "nan.wav", x, 16000, subtype="FLOAT")
    s = ProjectSettings(batch=4, seed_size=4, test_size=5, representation="pool")
    store, _ = create_project(tmp_path / "proj", pool, classes, s)
    window = _window(store)
    said: list[str] = []
    window.controller.message.connect(said.append)
    _show(qtbot, window)

    nan_item = next(it for it in store.items() if it.relpath == "nan.wav")
    assert store.item(nan_item.id).status == "unreadable"
    assert "invalid samples" in store.item(nan_item.id).reason
    assert not any("failed" in m.lower() for m in said), said
    with qtbot.waitSignal(window.controller.trainer.ranked, timeout=60_000):
        _label_by_keys(qtbot, window, truth, 8)
    qtbot.waitUntil(lambda: window.controller.session.model.round >= 1, timeout=60_000)
    _close(qtbot, window)


def test_a_disk_filling_up_during_extraction_is_said_in_words(qtbot, tmp_path, monkeypatch):
    """A full disk read "Feature extraction failed: OSError: 53760 requested and 29664
    written" for 8 seconds, then "it trains once the items' features are read" for good."""
    import shutil
    from collections import namedtuple

    from aldesk.core.features import cache

    def short_write(f, *arrays, **named):
        f.write(b"partial")
        raise OSError("53760 requested and 29664 written")

    window, _ = _open(tmp_path, "images", representation="pool")
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: usage(1 << 30, 1 << 30, 0))
    monkeypatch.setattr(cache.np, "save", short_write)
    monkeypatch.setattr(cache.np, "savez", short_write)
    said: list[str] = []
    window.controller.message.connect(said.append)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.controller.features.failed, timeout=120_000):
        window.show()
    assert any("is full" in m and "no label is lost" in m for m in said), said
    note = window.why.no_model.text()
    assert "could not be read" in note and "is full" in note, note
    assert not window.progress_box.isVisible()  # no "Features: 0/120 (starting…)" left
    _close(qtbot, window)


def test_reopening_after_a_crash_says_the_answers_are_kept(qtbot, tmp_path) -> None:
    """A killed session was recovered in silence; a labeller fearing for the work was told
    nothing. A closed one says nothing of the kind."""
    import json

    from aldesk.core.store import ProjectStore
    from aldesk.gui.pool_folder import CRASH_NOTE
    from tests.gui.test_main_window import _window

    window, _ = _open(tmp_path, "images", representation="pool")
    path = window.store.path
    window.controller.store.close()
    window.deleteLater()
    for crashed in (True, False):
        if crashed:  # the lock's body, left by a holder that died (a clean close empties it)
            (path / "lock").write_text(json.dumps({"pid": 1 << 22, "host": "h", "since": 0}))
        again = _window(ProjectStore.open(path))
        said: list[str] = []
        again.controller.message.connect(said.append)
        with qtbot.waitSignal(again.controller.scanner.done, timeout=120_000):
            _show(qtbot, again)
        assert any(CRASH_NOTE in m for m in said) == crashed, said
        _close(qtbot, again)
        again.store.close()


def test_a_project_of_an_older_aldesk_is_upgraded_with_a_word_and_a_copy(qtbot, tmp_path) -> None:
    """The upgrade was silent, and the older aldesk then refused the project with nothing to
    go back to."""
    import sqlite3

    from aldesk.core.store import ProjectStore
    from aldesk.gui.pool_folder import upgrade_note
    from tests.gui.test_main_window import _window

    window, _ = _open(tmp_path, "images", representation="pool")
    path = window.store.path
    window.controller.store.close()
    window.deleteLater()
    conn = sqlite3.connect(path / "project.sqlite")  # as format 2 wrote it
    conn.executescript("ALTER TABLE rounds DROP COLUMN representation; PRAGMA user_version = 2;")
    second = conn.execute("SELECT name FROM classes ORDER BY ord LIMIT 1 OFFSET 1").fetchone()[0]
    conn.execute(
        "UPDATE classes SET hotkey = (SELECT hotkey FROM classes ORDER BY ord LIMIT 1) "
        "WHERE name = ?",
        (second,),
    )  # two classes on one key, as 52 classes had
    conn.commit()
    conn.close()
    again = _window(ProjectStore.open(path))
    said: list[str] = []
    again.controller.message.connect(said.append)
    with qtbot.waitSignal(again.controller.scanner.done, timeout=120_000):
        _show(qtbot, again)
    assert any(upgrade_note(2) in m for m in said), said
    assert any(f"“{second}” shared a key" in m for m in said), said
    assert len({c.hotkey for c in again.store.classes() if c.hotkey}) == len(
        [c for c in again.store.classes() if c.hotkey]
    )
    assert "before-upgrade-format2.sqlite" in upgrade_note(2)
    assert (path / "before-upgrade-format2.sqlite").is_file()
    _close(qtbot, again)
    again.store.close()


def test_a_silent_clip_shows_no_guess_and_says_why(qtbot, tmp_path) -> None:
    """A clip of zeros was shown "candle 97 %" in Why this item?, the info line beneath saying
    "silent (every sample 0)"."""
    import numpy as np
    import soundfile as sf

    from aldesk.core.project import ProjectSettings, create_project
    from aldesk.gui.panels.why_panel import SILENT_NOTE
    from tests.gui.test_main_window import _pool, _window

    pool, truth, classes = _pool(tmp_path, "audio", per_class=10)
    sf.write(pool / "silence.wav", np.zeros(8000, np.float32), 16000)
    s = ProjectSettings(batch=4, seed_size=4, test_size=0, representation="pool")
    store, _ = create_project(tmp_path / "proj", pool, classes, s)
    window = _window(store)
    _show(qtbot, window)
    with qtbot.waitSignal(window.controller.trainer.ranked, timeout=60_000):
        _label_by_keys(qtbot, window, truth, 8)
    silent = next(it.id for it in store.items() if it.relpath == "silence.wav")
    other = next(it.id for it in store.items() if it.relpath != "silence.wav"
                 and it.id not in store.labels())  # fmt: skip
    for item, note in ((silent, True), (other, False), (silent, True)):
        with qtbot.waitSignal(window.viewer.loaded, timeout=30_000):
            window.controller.show_item(item)
        why = window.why
        assert (why.no_model.text() == SILENT_NOTE) is note
        assert why.no_model.isVisibleTo(why) is note  # no bars of a guess on silence
    _close(qtbot, window)
