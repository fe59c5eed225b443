"""Open the real labeling window on a project, as the app does (shared by the GUI tests)."""

from __future__ import annotations

import csv
from pathlib import Path

from aldesk.core.demo import make_demo_pool
from aldesk.core.project import ProjectSettings, create_project
from aldesk.core.store import ProjectStore
from aldesk.gui.controller import LabelingController
from aldesk.gui.main_window import MainWindow


def open_window(qtbot, store: ProjectStore, *, activate: bool = False) -> MainWindow:
    """The window on ``store``, shown, once its first features are extracted and in the session
    (their rows are mapped to the items on a worker lane after the extraction)."""
    controller = LabelingController(store)
    window = MainWindow(store, controller)
    controller.setParent(window)
    qtbot.addWidget(window)
    with qtbot.waitSignal(controller.features.finished, timeout=120_000):
        window.show()
        if activate:
            window.activateWindow()
    qtbot.waitUntil(lambda: not controller.rows.busy, timeout=120_000)
    if activate:  # key clicks need the focus
        qtbot.waitUntil(window.isActiveWindow)
    return window


def demo_project(
    tmp_path: Path, kind: str, per_class: int, **settings
) -> tuple[ProjectStore, dict[str, str]]:
    """A project on a generated demo pool (no test set), and the pool's true labels by path."""
    pool, truth_file = tmp_path / "pool", tmp_path / "truth.csv"
    classes = make_demo_pool(kind, pool, labels_out=truth_file, per_class=per_class)
    with truth_file.open() as f:
        truth = {r["path"]: r["label"] for r in csv.DictReader(f)}
    project = ProjectSettings(**{"batch": 50, "seed_size": 4, "test_size": 0, **settings})
    store, _ = create_project(tmp_path / "p.aldesk", pool, classes, project)
    return store, truth
