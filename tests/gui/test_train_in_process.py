"""The window's rounds are fitted in the app's training process, not in a thread of the GUI
process (issue 13: a fit on 50,000 labels in a thread made key presses wait for the GIL)."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from windows import demo_project

from aldesk.core import train_process
from aldesk.gui.controller import LabelingController
from aldesk.gui.main_window import MainWindow


def test_a_round_of_the_window_is_fitted_in_the_training_process(qtbot, tmp_path) -> None:
    store, truth = demo_project(tmp_path, "images", per_class=8, batch=4, seed_size=4)
    controller = LabelingController(store)  # the app's own training work
    window = MainWindow(store, controller)
    controller.setParent(window)
    qtbot.addWidget(window)
    fits = train_process.client().fits
    try:
        with qtbot.waitSignal(controller.features.finished, timeout=120_000):
            window.show()
            window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        keys = {c.name: c.hotkey for c in store.classes()}
        for _ in range(6):  # past the seed set: a first model is due
            query = controller.current()
            with qtbot.waitSignal(window.viewer.loaded, timeout=30_000):
                key = keys[truth[query.item.relpath]]
                qtbot.keyClick(window, getattr(Qt.Key, f"Key_{key}"))
        qtbot.waitUntil(lambda: bool(store.rounds()), timeout=120_000)
        qtbot.waitUntil(lambda: not controller.training_pending(), timeout=60_000)
        assert train_process.client().fits > fits
        assert train_process.client().pid not in (None, os.getpid())
    finally:
        controller.shutdown()
