"""The whole app in its own process, killed with SIGKILL mid-session: nothing acknowledged is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from aldesk.core.demo import make_demo_pool
from aldesk.core.project import ProjectSettings, create_project
from aldesk.core.store import ProjectStore

# The app process: the real window, driven by key presses. It prints "ack ITEM" only once the
# next item is on screen, i.e. when the user would have seen the answer acknowledged.
DRIVER = textwrap.dedent("""
    import csv, sys
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from aldesk.gui.app import create_app
    from aldesk.core.store import ProjectStore
    from aldesk.gui.main_window import MainWindow

    project, labels = sys.argv[1], sys.argv[2]
    truth = {r["path"]: r["label"] for r in csv.DictReader(open(labels))}
    app = create_app()
    store = ProjectStore.open(project)
    window = MainWindow(store)
    window.show()
    keys = {c.name: c.hotkey for c in store.classes()}
    shown = []
    window.controller.query_changed.connect(lambda q: shown.append(q))
    while True:
        app.processEvents()
        query = window.controller.current()
        if query is None:
            break
        key = getattr(Qt.Key, "Key_" + keys[truth[query.item.relpath]].upper())
        before = len(shown)
        QTest.keyClick(window, key)
        while len(shown) == before:
            app.processEvents()
        print("ack", query.item.id, flush=True)
""")


def test_sigkill_mid_session_loses_no_acknowledged_answer(tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    classes = make_demo_pool("images", tmp_path / "pool", labels_out=labels, per_class=8)
    store, _ = create_project(tmp_path / "p", tmp_path / "pool", classes,
                              ProjectSettings(batch=3, seed_size=4, test_size=5))  # fmt: skip
    path = store.path
    store.close()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    app = subprocess.Popen([sys.executable, "-c", DRIVER, str(path), str(labels)],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                           env=env)  # fmt: skip
    acknowledged: list[int] = []
    try:
        for line in app.stdout:
            acknowledged.append(int(line.split()[1]))
            if len(acknowledged) == 25:
                os.kill(app.pid, signal.SIGKILL)
                break
    finally:
        app.kill()
        app.wait()
    assert len(acknowledged) == 25, "the app stopped before 25 answers"
    with ProjectStore.open(path) as reopened:  # the dead process's lock is recovered
        answers = reopened.answers()
        assert set(acknowledged) <= set(answers)
        assert all(answers[i].action == "label" for i in acknowledged)
