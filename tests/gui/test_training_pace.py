"""Answering faster than the model trains never starves it (issue 13): a retrain in flight is
applied, and the answers given meanwhile go into the next one, instead of each batch cancelling
the running fit (on a 100k pool at a brisk pace no round ever landed)."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from windows import demo_project

from aldesk.core.rounds import run_round
from aldesk.gui.controller import LabelingController
from aldesk.gui.main_window import MainWindow


class GatedRounds:
    """run_round, each job waiting for the test to let it finish."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.gates: list[threading.Event] = []

    def __call__(self, job, should_stop):
        gate = threading.Event()
        self.gates.append(gate)
        self.started.append(len(self.started))
        gate.wait(60)
        return run_round(job, should_stop)

    def release_all(self) -> None:
        for gate in self.gates:
            gate.set()


def _answer(qtbot, window: MainWindow, truth: dict[str, str], n: int) -> None:
    keys = {c.name: c.hotkey for c in window.store.classes()}
    for _ in range(n):
        query = window.controller.current()
        with qtbot.waitSignal(window.viewer.loaded, timeout=30_000):
            qtbot.keyClick(window, getattr(Qt.Key, f"Key_{keys[truth[query.item.relpath]]}"))


def test_a_retrain_in_flight_is_applied_and_the_next_one_follows(qtbot, tmp_path) -> None:
    store, truth = demo_project(tmp_path, "images", per_class=8, batch=4, seed_size=4)
    work = GatedRounds()
    controller = LabelingController(store, train_work=work)
    window = MainWindow(store, controller)
    controller.setParent(window)
    qtbot.addWidget(window)
    try:
        with qtbot.waitSignal(controller.features.finished, timeout=120_000):
            window.show()
            window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        _answer(qtbot, window, truth, 6)  # past the seed set: a first model is due
        qtbot.waitUntil(lambda: len(work.started) == 1, timeout=30_000)
        _answer(qtbot, window, truth, 8)  # two more batches while it trains
        assert len(work.started) == 1 and controller.trainer.busy  # not cancelled, not queued
        with qtbot.waitSignal(controller.rounds_changed, timeout=60_000):
            work.gates[0].set()  # the first fit lands, and is applied
        assert len(store.rounds()) == 1
        qtbot.waitUntil(lambda: len(work.started) == 2, timeout=30_000)  # then the next one
    finally:
        work.release_all()
    qtbot.waitUntil(lambda: not controller.trainer.busy, timeout=60_000)
    window.close()
