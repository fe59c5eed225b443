"""The review window's test project: 100 imported labels with 6 planted wrong, opened in
the labeling window with its review window up (fixtures ``review_pool`` and ``opened``, made
fixtures for the folder by ``conftest``)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from windows import open_window

from aldesk.core.demo import make_demo_pool
from aldesk.core.project import ProjectSettings, create_project
from aldesk.gui.review.window import ReviewWindow

PLANT_EVERY = 17  # every 17th imported label (from the 4th) is wrong


@pytest.fixture(scope="module")
def review_pool(tmp_path_factory) -> tuple[Path, list[dict], list[str]]:
    root = tmp_path_factory.mktemp("review")
    classes = make_demo_pool("images", root / "pool", labels_out=root / "truth.csv", per_class=12)
    _near_copy(root / "pool" / "digit_0005.png", root / "pool" / "near_copy.jpg")
    return root / "pool", list(csv.DictReader((root / "truth.csv").open())), classes


def _near_copy(source: Path, target: Path) -> None:
    """The same picture re-encoded as a JPEG: other bytes, nearly the same pixels."""
    from PIL import Image

    Image.open(source).convert("RGB").save(target, quality=90)


def _project(tmp_path, pool):
    """A project whose first 100 items were imported with 6 planted wrong labels."""
    folder, truth, classes = pool
    settings = ProjectSettings(batch=4, seed_size=4, test_size=20)
    store, _ = create_project(tmp_path / "proj", folder, classes, settings)
    by_path = {it.relpath: it for it in store.items()}
    ids = {c.name: c.id for c in store.classes()}
    labels, planted = [], set()
    for k, row in enumerate(truth[:100]):
        name = row["label"]
        if k % PLANT_EVERY == 3:
            name = classes[(classes.index(name) + 3) % len(classes)]
            planted.add(by_path[row["path"]].id)
        item = by_path[row["path"]]
        labels.append((item.id, ids[name], item.split))
    store.record_labels(labels, strategy="import")
    return store, planted


@pytest.fixture
def opened(qtbot, tmp_path, review_pool):
    store, planted = _project(tmp_path, review_pool)
    window = open_window(qtbot, store)
    controller = window.controller
    window.actions_by_name["review"].trigger()  # View ▸ Review labels… (Ctrl+R)
    review: ReviewWindow = window.review_window
    qtbot.waitUntil(review.isVisible)
    yield window, review, planted
    window.close()
    assert not review.suspicion.busy and not controller.trainer.busy


def trained(qtbot, window) -> None:
    """Retrain now and wait until the review grid follows the new model."""
    review = window.review_window
    with qtbot.waitSignal(window.controller.rounds_changed, timeout=120_000):
        window.controller.retrain_now()
    qtbot.waitUntil(lambda: not review._refresh_timer.isActive())


def class_id(review: ReviewWindow, name: str) -> int:
    return next(c.id for c in review.store.classes() if c.name == name)
