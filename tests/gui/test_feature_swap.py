"""Features arriving in the window: the items are mapped to feature rows on a worker, and the GUI
thread only swaps the result in (issue 13: 0.3 s of GUI thread at 100k items when it did it)."""

from __future__ import annotations

import threading
from pathlib import Path

from aldesk.core import session_state
from aldesk.core.demo import make_demo_pool
from aldesk.core.project import ProjectSettings, create_project
from aldesk.core.store import ProjectStore
from aldesk.gui.controller import LabelingController


def test_feature_rows_are_built_on_a_worker_and_swapped_in(qtbot, tmp_path: Path, monkeypatch):
    pool = tmp_path / "pool"
    classes = make_demo_pool("images", pool, per_class=4)
    store, _ = create_project(tmp_path / "proj", pool, classes, ProjectSettings(test_size=2))
    store.close()
    threads: list[threading.Thread] = []
    real = session_state.feature_rows

    def recorded(*args):
        threads.append(threading.current_thread())
        return real(*args)

    monkeypatch.setattr(session_state, "feature_rows", recorded)
    controller = LabelingController(ProjectStore.open(store.path))
    controller.start()
    qtbot.waitUntil(lambda: controller.session.features is not None, timeout=120_000)
    controller.shutdown()
    assert threads  # the rows were built ...
    assert all(t is not threading.main_thread() for t in threads)  # ... never on the GUI thread
    model = controller.session.model
    items = controller.session.state.items
    assert len(model.row_of) == sum(it.status == "ok" for it in items.values())


def test_the_learner_is_warmed_up_once_the_features_are_in_not_at_open(
    qtbot, tmp_path: Path, monkeypatch
):
    from aldesk.core import shared_pool, train_process
    from aldesk.gui import feature_flow

    pool = tmp_path / "pool"
    classes = make_demo_pool("images", pool, per_class=4)
    store, _ = create_project(tmp_path / "proj", pool, classes, ProjectSettings(test_size=2))
    store.close()
    controller = LabelingController(ProjectStore.open(store.path))
    warmed: list[tuple[str, bool]] = []  # each warm-up, and whether the features were in

    def spy(name: str):
        return lambda: warmed.append((name, controller.session.features is not None))

    monkeypatch.setattr(feature_flow, "preload_learner", spy("import scikit-learn here"))
    monkeypatch.setattr(train_process, "start", spy("start the training process"))
    controller.start()
    qtbot.waitUntil(lambda: controller.session.features is not None, timeout=120_000)
    qtbot.waitUntil(lambda: not controller.warmer.busy and bool(warmed), timeout=30_000)
    controller.rescan()  # features swapped in again: no second warm-up
    qtbot.waitUntil(lambda: not controller.training_pending(), timeout=60_000)
    controller.shutdown()
    # the training process ranks where it can map the pool matrix: the app imports nothing
    expected = [("start the training process", True)]
    if not shared_pool.SHARED:
        expected.append(("import scikit-learn here", True))
    assert warmed == expected


def test_caches_of_older_extractor_versions_are_removed_once_the_new_ones_are_in(
    qtbot, tmp_path: Path
):
    """Each extractor version bump left the last version's cache in the project for good."""
    pool = tmp_path / "pool"
    classes = make_demo_pool("images", pool, per_class=4)
    store, _ = create_project(tmp_path / "proj", pool, classes, ProjectSettings(test_size=2))
    store.close()
    stale = store.cache_dir / "image-effnet-lite0-v1"
    stale.mkdir()
    (stale / "chunk-000000.npz").write_bytes(b"old")
    controller = LabelingController(ProjectStore.open(store.path))
    controller.start()
    qtbot.waitUntil(lambda: controller._feature_stage == "done", timeout=120_000)
    controller.shutdown()
    kept = {p.name for p in store.cache_dir.iterdir()}
    assert not stale.exists()
    assert "dictionaries" in kept and any(n.startswith("image-effnet-lite0-v") for n in kept)
    assert any(n.startswith("image-coates") for n in kept)  # the two in use stay


def test_new_files_pretrained_features_are_not_announced_as_a_first_comparison(
    qtbot, tmp_path: Path
):
    """A rescan found 20 new files; once their pretrained features were in, the window said
    "the model now also compares them", though it had compared them for 16 rounds."""
    import numpy as np
    from PIL import Image

    pool = tmp_path / "pool"
    classes = make_demo_pool("images", pool, per_class=4)
    store, _ = create_project(tmp_path / "proj", pool, classes, ProjectSettings(test_size=2))
    store.close()
    controller = LabelingController(ProjectStore.open(store.path))
    said: list[str] = []
    controller.message.connect(said.append)
    controller.start()

    def compared() -> bool:
        layout = controller.session.model.layout
        return layout is not None and "pretrained" in layout.blocks

    qtbot.waitUntil(compared, timeout=120_000)
    first = [m for m in said if m.startswith("Pretrained features")]
    rng = np.random.default_rng(0)
    for k in range(3):
        pixels = rng.integers(0, 255, (28, 28), dtype=np.uint8)
        Image.fromarray(pixels).save(pool / f"new_{k}.png")
    controller.rescan()
    qtbot.waitUntil(lambda: "Pretrained features of the new files are ready." in said,
                    timeout=120_000)  # fmt: skip
    controller.shutdown()
    later = [m for m in said if m.startswith("Pretrained features")][len(first) :]
    assert later == ["Pretrained features of the new files are ready."]
    assert len(controller.session.model.row_of) == 4 * len(classes) + 3
