"""The window side of ``aldesk selfcheck``: the real labeling window, driven by key presses.

Everything a user would do goes through the window (a QTest key press per answer, F5 for a
retrain when none is due); the check then reads what the store holds. Waits are bounded:
a step that does not finish in time fails with what it was waiting for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtTest import QTest

from aldesk.core import shared_pool, train_process
from aldesk.gui.app import create_app
from aldesk.gui.main_window import MainWindow
from aldesk.selfcheck import CheckFailed, CheckProject, Report, make_project, verify_answers

ANSWERS = 6  # answers given per project (at least two classes among them)
OPEN_TIMEOUT = 60.0  # seconds until the first item is on screen
RETRAIN_TIMEOUT = 240.0  # features of the small pool + the first round, on a slow machine


def qt_description() -> str:
    """One line naming the Qt in use (the report's header)."""
    app = create_app()
    return f"Qt {qVersion()}, platform {QGuiApplication.platformName() or app.platformName()}"


def check_kind(kind: str, root: Path, report: Report) -> None:
    """Generate, label, retrain, close, reopen and verify one project of ``kind``.

    Raises:
        CheckFailed: a step failed; its message says which and why.
    """
    create_app()
    started = time.perf_counter()
    project = make_project(kind, root / kind)
    report.ok(f"{kind}: generated {len(project.truth)} files and a project "
              f"({time.perf_counter() - started:.1f} s)")  # fmt: skip
    failures: list[str] = []  # what the feature lane reported as failed
    fits = train_process.client().fits
    window = _open_window(project, failures)
    try:
        report.ok(f"{kind}: labeling window opened, first item shown")
        given = _answer_by_keys(window, project)
        report.ok(f"{kind}: {len(given)} answers given by key press")
        n_labels, took = _wait_for_retrain(window)
        report.ok(f"{kind}: model retrained on {n_labels} labels ({took:.1f} s after the answers)")
        report.ok(f"{kind}: {_fitted_in_process(fits)}")
        took = _wait_for_pretrained(window, failures)
        report.ok(f"{kind}: pretrained encoder's features extracted and in use ({took:.1f} s)")
    finally:
        _close(window)
    report.ok(f"{kind}: window closed")
    reopened = _open_window(project)
    try:
        query = reopened.controller.current()
        if query is not None and query.item.id in given:
            raise CheckFailed(f"reopened on an item already answered ({query.item.relpath})")
    finally:
        _close(reopened)
    problems, rounds = verify_answers(project.path, given)
    if problems:
        raise CheckFailed("after reopening: " + "; ".join(problems))
    if rounds < 1:
        raise CheckFailed("after reopening: the project holds no training round")
    report.ok(
        f"{kind}: reopened; all {len(given)} answers stored as given, "
        f"{rounds} training round(s) kept"
    )


def _fitted_in_process(fits_before: int) -> str:
    """Say where the model was fitted; fail if not in the training process (the frozen app
    must be able to start it: a fallback to the GUI process would only be slower)."""
    client = train_process.client()
    if client.fits <= fits_before:
        why = client.last_notice or "no fit reached it"
        raise CheckFailed(f"the model was not fitted in the training process ({why})")
    if shared_pool.SHARED and not client.pool_mapped:  # it would work, copying every round
        raise CheckFailed("the training process did not map the pool matrix (shared memory)")
    where = ", reading the pool matrix in place" if client.pool_mapped else ""
    return f"model fitted in the training process (pid {client.pid}){where}"


def _open_window(project: CheckProject, failures: list[str] | None = None) -> MainWindow:
    """The labeling window on ``project``, active, its first item shown; feature-lane
    failures are appended to ``failures`` from the start (extraction begins on show)."""
    from aldesk.core.store import ProjectStore

    window = MainWindow(ProjectStore.open(project.path))
    if failures is not None:
        window.controller.features.failed.connect(failures.append)
    window.show()
    window.activateWindow()  # hotkeys are window shortcuts: they act in the active window
    if not QTest.qWaitForWindowActive(window, int(OPEN_TIMEOUT * 1000)):
        _close(window)
        raise CheckFailed("the labeling window did not become active")
    try:
        _wait(lambda: window.controller.current() is not None, OPEN_TIMEOUT, "the first item")
    except CheckFailed:
        _close(window)
        raise
    return window


def _answer_by_keys(window: MainWindow, project: CheckProject) -> dict[int, str]:
    """Answer ``ANSWERS`` items (more if they all share one class) with each class's hotkey."""
    keys = {c.name: _key(c.hotkey) for c in window.store.classes() if c.hotkey}
    given: dict[int, str] = {}
    while len(given) < ANSWERS or len(set(given.values())) < 2:
        query = window.controller.current()
        if query is None:
            raise CheckFailed(f"the window ran out of items after {len(given)} answers")
        name = project.truth[query.item.relpath]
        if name not in keys:
            raise CheckFailed(f"class {name!r} has no hotkey")
        QTest.keyClick(window, keys[name])
        after = window.controller.current()
        if after is not None and after.item.id == query.item.id:
            raise CheckFailed(f"the hotkey of {name!r} did not answer {query.item.relpath}")
        given[query.item.id] = name
    return given


def _wait_for_retrain(window: MainWindow) -> tuple[int, float]:
    """Wait for a training round to be stored; F5 asks for one if none is due yet.

    Returns the number of labels the stored round was trained on and the seconds it took.
    """
    store, controller = window.store, window.controller
    started = time.perf_counter()
    deadline = started + RETRAIN_TIMEOUT
    while not store.rounds():
        if time.perf_counter() > deadline:
            busy = " (features still being extracted)" if controller.extracting else ""
            raise CheckFailed(f"no model was trained within {RETRAIN_TIMEOUT:.0f} s{busy}")
        if not controller.extracting and not controller.training_pending():
            QTest.keyClick(window, Qt.Key.Key_F5)  # Label → Retrain now
        QTest.qWait(50)
    # let the finished round's result reach the window before it closes
    _wait(lambda: not controller.training_pending(), RETRAIN_TIMEOUT, "the retrain to finish")
    return store.rounds()[-1].n_labels, time.perf_counter() - started


def _wait_for_pretrained(window: MainWindow, failures: list[str]) -> float:
    """Wait until the pretrained encoder's features joined the pool-learned ones.

    The encoders ship with every build: one that cannot run (a model file or onnxruntime
    missing, an extractor module left out of a frozen build) is a broken installation.
    """
    from aldesk.core.features.extractors import pretrained_available
    from aldesk.core.representation import PRETRAINED

    available, why = pretrained_available(window.store.kind)
    if not available:
        raise CheckFailed(f"the pretrained encoder cannot run: {why}")
    session, started = window.controller.session, time.perf_counter()

    def settled() -> bool:
        layout = session.model.layout
        return bool(failures) or (layout is not None and PRETRAINED in layout.blocks)

    _wait(settled, RETRAIN_TIMEOUT, "the pretrained encoder's features")
    if failures:
        first_line = failures[0].strip().splitlines()[-1]
        raise CheckFailed(f"feature extraction failed: {first_line}")
    return time.perf_counter() - started


def _close(window: MainWindow) -> None:
    window.close()  # closeEvent stops the lanes and closes the store
    window.deleteLater()
    QTest.qWait(0)


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise CheckFailed(f"gave up waiting for {what} after {timeout:.0f} s")
        QTest.qWait(20)


def _key(hotkey: str) -> Qt.Key:
    return QKeySequence(hotkey)[0].key()
