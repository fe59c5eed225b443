"""The labeling window, driven by key presses on real generated pools."""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from aldesk.core.demo import make_demo_pool
from aldesk.core.project import ProjectSettings, create_project
from aldesk.core.rounds import run_round
from aldesk.core.store import ProjectStore
from aldesk.core.strategies import DEFAULT_STRATEGY
from aldesk.gui.controller import LabelingController
from aldesk.gui.main_window import MainWindow

KEYS = {str(d): getattr(Qt.Key, f"Key_{d}") for d in range(10)}


def _pool(tmp_path: Path, kind: str, per_class: int) -> tuple[Path, dict[str, str], list[str]]:
    pool, labels = tmp_path / "pool", tmp_path / "labels.csv"
    classes = make_demo_pool(kind, pool, labels_out=labels, per_class=per_class)
    with labels.open() as f:
        truth = {r["path"]: r["label"] for r in csv.DictReader(f)}
    return pool, truth, classes


def _open(tmp_path, kind, per_class=6, train_work=None, **settings):
    pool, truth, classes = _pool(tmp_path, kind, per_class)
    s = ProjectSettings(**{"batch": 4, "seed_size": 4, "test_size": 5, **settings})
    store, _ = create_project(tmp_path / "proj", pool, classes, s)
    return _window(store, train_work), truth


def _window(store: ProjectStore, train_work=None) -> MainWindow:
    controller = LabelingController(store, train_work=train_work)
    window = MainWindow(store, controller)
    controller.setParent(window)
    return window


def _show(qtbot, window: MainWindow) -> None:
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.controller.features.finished, timeout=120_000):
        window.show()
        window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow())


def _close(qtbot, window: MainWindow) -> None:
    window.close()
    assert not window.controller.trainer.busy and not window.controller.features.busy


def _key_for(window: MainWindow, truth: dict[str, str]) -> Qt.Key:
    query = window.controller.current()
    name = truth[query.item.relpath]
    hotkey = next(c.hotkey for c in window.store.classes() if c.name == name)
    return KEYS[hotkey] if hotkey.isdigit() else getattr(Qt.Key, f"Key_{hotkey.upper()}")


def _label_by_keys(qtbot, window: MainWindow, truth: dict[str, str], n: int) -> list[int]:
    answered = []
    for _ in range(n):
        query = window.controller.current()
        qtbot.keyClick(window, _key_for(window, truth))
        answered.append(query.item.id)
        assert window.store.answers()[query.item.id].action == "label"  # committed already
    return answered


@pytest.mark.parametrize("kind", ["images", "audio"])
def test_label_twenty_items_by_key_presses(qtbot, tmp_path, kind) -> None:
    window, truth = _open(tmp_path, kind, per_class=6 if kind == "images" else 10)
    _show(qtbot, window)
    answered = _label_by_keys(qtbot, window, truth, 20)
    store = window.store
    names = {c.id: c.name for c in store.classes()}
    labels = store.labels()
    assert len(labels) == 20 == len(set(answered))
    for item_id in answered:
        assert names[labels[item_id]] == truth[store.item(item_id).relpath]
    assert window.windowTitle() == "proj — aldesk"
    assert window.status_panel.labeled.text().startswith(
        f"{sum(1 for i in answered if store.item(i).split == 'pool')} of"
    )
    _close(qtbot, window)


def test_skip_cannot_label_and_undo(qtbot, tmp_path) -> None:
    window, truth = _open(tmp_path, "images")
    _show(qtbot, window)
    first = window.controller.current().item.id
    qtbot.keyClick(window, Qt.Key.Key_S)
    second = window.controller.current().item.id
    qtbot.keyClick(window, Qt.Key.Key_X)
    store = window.store
    assert store.answers()[first].action == "skip"
    assert store.answers()[second].action == "cannot_label"
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.controller.current().item.id == second
    assert second not in store.answers()
    assert [e.action for e in store.events()] == ["skip", "cannot_label", "undo"]
    path = store.item(second).relpath  # said, not only seen: undo pressed fast, many times
    assert (
        window.statusBar().currentMessage() == f"Undid “can't label” on {path}: it is asked again."
    )
    _close(qtbot, window)


def test_retraining_runs_off_the_ui_thread_and_updates_the_ranking(qtbot, tmp_path) -> None:
    threads = []

    def recording_work(job, should_stop):
        threads.append(threading.get_ident())
        return run_round(job, should_stop)

    window, truth = _open(tmp_path, "images", train_work=recording_work)
    _show(qtbot, window)
    with qtbot.waitSignal(window.controller.trainer.ranked, timeout=60_000):
        _label_by_keys(qtbot, window, truth, 8)
    qtbot.waitUntil(lambda: window.controller.session.model.round >= 1, timeout=60_000)
    assert threads and threading.get_ident() not in threads
    _label_by_keys(qtbot, window, truth, 6)
    qtbot.waitUntil(lambda: not window.controller.training_pending(), timeout=60_000)
    query = window.controller.current()
    if not query.is_test:
        # the default (typical, then margin) names its phase
        assert query.strategy in (DEFAULT_STRATEGY, "typical") and query.score is not None
        assert window.why.top_text()  # probabilities are shown
    assert window.store.rounds()
    _close(qtbot, window)


def test_close_and_reopen_restores_state(qtbot, tmp_path) -> None:
    window, truth = _open(tmp_path, "images")
    _show(qtbot, window)
    _label_by_keys(qtbot, window, truth, 12)
    qtbot.waitUntil(lambda: not window.controller.training_pending(), timeout=60_000)
    expected = window.controller.current().item.id
    path, labels = window.store.path, window.store.labels()
    _close(qtbot, window)
    store = ProjectStore.open(path)
    again = _window(store)
    qtbot.addWidget(again)
    again.show()
    assert again.controller.current().item.id == expected  # before features are even loaded
    assert store.labels() == labels
    qtbot.waitUntil(lambda: not again.controller.features.busy, timeout=60_000)
    _close(qtbot, again)


def test_deleted_file_is_flagged_with_its_reason(qtbot, tmp_path) -> None:
    window, truth = _open(tmp_path, "images")
    _show(qtbot, window)
    _label_by_keys(qtbot, window, truth, 1)
    upcoming = window.controller.current()
    upcoming.abspath.unlink()
    window.controller.back()
    window.controller.forward()  # shown again: the viewer finds the file gone
    qtbot.waitUntil(lambda: window.store.item(upcoming.item.id).status != "ok", timeout=10_000)
    item = window.store.item(upcoming.item.id)
    assert item.status == "missing" and item.reason
    qtbot.keyClick(window, Qt.Key.Key_S)
    assert window.store.answers()[item.id].action == "skip"
    _close(qtbot, window)


@pytest.mark.parametrize("kind", ["images", "audio"])
def test_the_info_line_names_the_item_by_its_path_in_the_pool(qtbot, tmp_path, kind) -> None:
    """Only the file's name was shown: with a folder per camera, each restarting at
    IMG_0001, a picture could not be told from another camera's."""
    pool, _, classes = _pool(tmp_path, kind, 6)
    for k, path in enumerate(sorted(p for p in pool.iterdir() if p.is_file())):
        folder = pool / f"CAM{k % 2}" / "2024-05-01"
        folder.mkdir(parents=True, exist_ok=True)
        path.rename(folder / f"IMG_{k // 2:04d}{path.suffix}")
    settings = ProjectSettings(batch=4, seed_size=4, test_size=0)
    store, _ = create_project(tmp_path / "proj", pool, classes, settings)
    window = _window(store)
    _show(qtbot, window)
    relpath = window.controller.current().item.relpath
    assert relpath.startswith("CAM")
    shown = lambda: window.viewer.info_text().split("  ·  ")[0]  # noqa: E731
    qtbot.waitUntil(lambda: shown() == relpath, timeout=30_000)
    _close(qtbot, window)


def test_moved_pool_folder_is_offered_to_be_located(qtbot, tmp_path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    window, truth = _open(tmp_path, "images")
    _show(qtbot, window)
    _label_by_keys(qtbot, window, truth, 3)
    path, labels = window.store.path, window.store.labels()
    _close(qtbot, window)
    moved = tmp_path / "moved-pool"
    (tmp_path / "pool").rename(moved)
    asked = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Open,
    )
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(moved))
    store = ProjectStore.open(path)
    again = _window(store)
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.controller.scanner.done, timeout=60_000):
        again.show()
    assert "was not found" in asked[0] and str(tmp_path / "pool") in asked[0]
    assert store.pool_root == moved.resolve()
    assert all(it.status == "ok" for it in store.items())
    assert store.labels() == labels
    qtbot.waitUntil(lambda: not again.controller.features.busy, timeout=60_000)
    _close(qtbot, again)


def test_new_files_are_picked_up_when_the_project_is_reopened(qtbot, tmp_path) -> None:
    import shutil

    window, _truth = _open(tmp_path, "images")
    _show(qtbot, window)
    path, n_before = window.store.path, len(window.store.items())
    _close(qtbot, window)
    pool = tmp_path / "pool"
    source = sorted(pool.glob("*.png"))[0]
    from PIL import Image

    with Image.open(source) as img:
        img.rotate(90).save(pool / "added.png")
    shutil.copy(source, pool / "copy-of-first.png")  # same content: a duplicate, not an item
    store = ProjectStore.open(path)
    again = _window(store)
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.controller.scanner.done, timeout=60_000):
        again.show()
    assert len(store.items()) == n_before + 1
    first = next(it for it in store.items() if it.relpath == source.name)
    assert "copy-of-first.png" in store.item_paths(first.id)
    qtbot.waitUntil(lambda: not again.controller.features.busy, timeout=60_000)
    _close(qtbot, again)


def test_synthesized_query_is_shown_and_answered_cant_label(qtbot, tmp_path) -> None:
    window, truth = _open(tmp_path, "images", scenario="synthesis", test_size=0)
    _show(qtbot, window)
    controller = window.controller
    for _ in range(40):
        query = controller.current()
        if query.item.origin == "synth":
            break
        qtbot.keyClick(window, _key_for(window, truth))
        qtbot.waitUntil(lambda: not controller.training_pending(), timeout=60_000)
    query = controller.current()
    assert query.item.origin == "synth", "no membership query was synthesized"
    assert "Synthesized" in window.why.strategy.text()
    qtbot.waitUntil(lambda: window.viewer.info_text().startswith(query.abspath.name))
    qtbot.keyClick(window, Qt.Key.Key_X)
    assert window.store.answers()[query.item.id].action == "cannot_label"
    _close(qtbot, window)


@pytest.mark.parametrize("how", ["button", "menu"])
def test_extraction_progress_cancel_and_labeling_meanwhile(qtbot, tmp_path, how) -> None:
    """Seed items can be labeled while features extract; Cancel keeps what was extracted.
    The status bar's Cancel takes no focus, so Label ▸ Stop extracting features is the
    keyboard's way to it (it had none)."""
    from aldesk.core.features import ensure_features

    half_done = threading.Event()

    def slow_extraction(cache_dir, kind, files, *, progress, should_stop, workers):
        first = ensure_features(cache_dir, kind, files[:20], progress=progress, workers=1)
        half_done.set()
        while not should_stop():  # waits for the user's Cancel; no sleeping in the test
            half_done.wait(0.01)
        return type(first)(first.features, first.failed, cancelled=True)

    pool, truth, classes = _pool(tmp_path, "images", 6)
    store, _ = create_project(tmp_path / "proj", pool, classes, ProjectSettings(test_size=0))
    controller = LabelingController(store, feature_work=slow_extraction)
    window = MainWindow(store, controller)
    controller.setParent(window)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(half_done.is_set, timeout=60_000)
    qtbot.waitUntil(lambda: window.progress.value() == 20, timeout=10_000)
    assert window.progress_box.isVisible() and window.progress.maximum() == 20
    assert window.progress_label.text().startswith("Features: 20/20 (")
    _label_by_keys(qtbot, window, truth, 3)  # the window answers while extraction runs
    assert window.controller.current().strategy == "seed"
    stop = window.actions_by_name["stop_features"]
    assert stop.isEnabled()
    with qtbot.waitSignal(controller.features.finished, timeout=10_000):
        if how == "button":
            qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
        else:
            stop.trigger()
    qtbot.waitUntil(lambda: not stop.isEnabled())
    qtbot.waitUntil(lambda: controller.session.features is not None, timeout=10_000)  # rows lane
    assert len(controller.session.features) == 20
    assert len(store.labels()) == 3
    _close(qtbot, window)


def test_classes_can_be_added_renamed_and_merged_keeping_history(qtbot, tmp_path) -> None:
    window, truth = _open(tmp_path, "images", per_class=4)
    _show(qtbot, window)
    answered = _label_by_keys(qtbot, window, truth, 6)
    store = window.store
    window.class_menu.add_class("smudge")
    smudge = store.class_by_name("smudge")
    assert smudge.hotkey == "a"
    assert window.label_bar.button(smudge.id).text().endswith("smudge")
    query = window.controller.current()
    qtbot.keyClick(window, Qt.Key.Key_A)  # the new class's key works at once
    assert store.labels()[query.item.id] == smudge.id
    window.class_menu.rename_class("smudge", "blot")
    assert store.labels()[query.item.id] == smudge.id  # same class, new name
    assert "blot" in [c.name for c in store.classes()]
    victim = store.labels()[answered[0]]
    victim_name = next(c.name for c in store.classes() if c.id == victim)
    window.class_menu.confirm = lambda _text: True  # the Merge box is tested in test_class_menu
    window.class_menu.merge_classes(victim_name, "blot")
    assert store.labels()[answered[0]] == smudge.id  # merged labels count as the target
    assert victim_name not in [c.name for c in store.classes()]
    assert len(store.events()) == 7  # nothing rewritten: the log only grew by the new answer
    qtbot.waitUntil(lambda: not window.controller.training_pending(), timeout=60_000)
    _close(qtbot, window)


def test_f1_opens_the_shortcut_sheet_and_ctrl_q_quits(qtbot, tmp_path, monkeypatch) -> None:
    from aldesk.gui import shortcuts

    window, _truth = _open(tmp_path, "images", per_class=3)
    _show(qtbot, window)
    sheets = []
    monkeypatch.setattr(shortcuts.ShortcutSheet, "exec", lambda self: sheets.append(self) or 0)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    rows = {sheets[0].table.item(r, 0).text(): sheets[0].table.item(r, 1).text()
            for r in range(sheets[0].table.rowCount())}  # fmt: skip
    assert rows["Label as “0”"] == "0" and rows["Skip"] == "S" and rows["Quit"] == "Ctrl+Q"
    keys = [k.toString() for a in window.actions() for k in a.shortcuts()]
    assert len(keys) == len(set(keys)), "two actions share a shortcut (Qt ignores both)"
    qtbot.keyClick(window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.isVisible())
    assert not window.controller.trainer.busy and window.store._conn is None  # closed cleanly


@pytest.mark.parametrize("kind", ["images", "audio"])
def test_pretrained_features_join_in_the_background_and_the_choice_is_shown(
    qtbot, tmp_path, kind
) -> None:
    from aldesk.core.features.extractors import pretrained_available

    media = "image" if kind == "images" else "audio"
    ok, why = pretrained_available(media)
    if not ok:
        pytest.skip(why)
    window, truth = _open(tmp_path, kind, per_class=6)
    _show(qtbot, window)  # the pool-learned features: labeling can start
    assert window.controller.current() is not None
    session = window.controller.session
    controller = window.controller

    def blocks() -> dict:  # the layout arrives once the rows are built on a worker
        return session.model.layout.blocks if session.model.layout is not None else {}

    qtbot.waitUntil(lambda: controller.extracting_pretrained or "pretrained" in blocks(),
                    timeout=60_000)  # fmt: skip
    if controller.extracting_pretrained:  # the model is not waiting for these
        assert not controller.extracting
    qtbot.waitUntil(lambda: "pretrained" in blocks(), timeout=120_000)
    assert session.features.X.shape[1] == sum(
        e - s for s, e in session.model.layout.blocks.values()
    )
    _label_by_keys(qtbot, window, truth, 12)
    qtbot.waitUntil(lambda: not window.controller.training_pending(), timeout=60_000)
    rounds = window.store.rounds()
    assert rounds and rounds[-1].representation in ("pool", "pretrained", "both")
    status = session.status().features
    assert status and "cross-validated on" in status  # 12 labels: the candidates were compared
    window.status_panel.show_status(session.status())
    assert window.status_panel.features.text() == status
    _close(qtbot, window)
    # reopened, the pretrained features come from the cache: "ready" was said on every open
    again = _window(ProjectStore.open(window.store.path))
    said: list[str] = []
    again.controller.message.connect(said.append)
    _show(qtbot, again)
    qtbot.waitUntil(lambda: "pretrained" in (again.controller.session.model.layout.blocks
                                             if again.controller.session.model.layout else {}),
                    timeout=120_000)  # fmt: skip
    assert not [m for m in said if m.startswith("Pretrained features are ready")]
    _close(qtbot, again)
