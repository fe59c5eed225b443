"""Regenerate the stream and synthesis screenshots: `python docs/live_screenshots.py` (offscreen).

``docs/screenshots/stream.png``: a stream project on the demo digits with the pool folder
watched, after a file was dropped in (the Stream panel's counts and threshold in the side
column). ``docs/screenshots/synthesis.png``: a synthesized query on screen, its badge and the
two items it was blended from.
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

OUT = Path(__file__).resolve().parent / "screenshots"


def _wait_until(condition, ms: int = 180_000) -> None:
    from PySide6.QtCore import QDeadlineTimer, QEventLoop
    from PySide6.QtWidgets import QApplication

    deadline = QDeadlineTimer(ms)
    while not condition() and not deadline.hasExpired():
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def _project(root: Path, keep: int, **settings):
    """The demo digits, every file labelled but the last ``keep`` (an earlier sitting)."""
    from aldesk.core.demo import make_demo_pool
    from aldesk.core.project import ProjectSettings, create_project

    classes = make_demo_pool("images", root / "pool", labels_out=root / "truth.csv", per_class=6)
    truth = {r["path"]: r["label"] for r in csv.DictReader((root / "truth.csv").open())}
    project = ProjectSettings(batch=5, seed_size=4, test_size=0, representation="pool", **settings)
    store, _ = create_project(root / "digits", root / "pool", classes, project)
    ids = {c.name: c.id for c in store.classes()}
    files = sorted((it for it in store.items()), key=lambda it: it.arrival)
    labels = [(it.id, ids[truth[it.relpath]], it.split) for it in files[: len(files) - keep]]
    store.record_labels(labels, strategy="seed")
    return store, truth


def _drop(pool: Path, name: str) -> None:
    """A new, ambiguous file: half of one digit, half of another."""
    import numpy as np
    from PIL import Image

    files = sorted(pool.glob("*.png"))
    with Image.open(files[7]) as a, Image.open(files[-7]) as b:
        mixed = (np.asarray(a.convert("L"), float) + np.asarray(b.convert("L"), float)) / 2
    Image.fromarray(mixed.astype(np.uint8)).save(pool / name)


def stream_shot(root: Path) -> None:
    from aldesk.gui.main_window import MainWindow

    store, truth = _project(root, keep=45, scenario="stream", stream_threshold=0.9,
                             watch_folder=True)  # fmt: skip
    window = MainWindow(store)
    window.resize(1280, 820)
    window.show()
    session = window.controller.session
    _wait_until(lambda: session.model.loaded and bool(window.live.watcher.folders()))
    # answer what the stream asks until it runs dry
    ids = {c.name: c.id for c in store.classes()}
    while (q := window.controller.current()) is not None:
        window.controller.answer(ids[truth[q.item.relpath]])
        _wait_until(lambda: not window.controller.training_pending(), 60_000)
    seen = session.stream_summary().seen
    _drop(store.pool_root, "arrived-just-now.png")
    _wait_until(lambda: session.stream_summary().seen > seen)
    _wait_until(lambda: False, 800)  # the viewer paints the arrival
    window.grab().save(str(OUT / "stream.png"))
    window.close()


def synthesis_shot(root: Path) -> None:
    from aldesk.gui.main_window import MainWindow

    store, _truth = _project(root, keep=30, scenario="synthesis", synthesis_every=1)
    window = MainWindow(store)
    window.resize(1280, 820)
    window.show()
    session = window.controller.session
    _wait_until(lambda: len(session.index.synth) > 0)
    window.controller.answer(store.classes()[0].id)
    panel = window.live.synth_panel
    _wait_until(lambda: panel.pictures_shown())
    _wait_until(lambda: False, 500)
    window.grab().save(str(OUT / "synthesis.png"))
    window.close()


def main() -> int:
    from aldesk.gui.app import create_app

    app = create_app([])
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="aldesk-live-shots-") as tmp:
        stream_shot(Path(tmp) / "stream")
        synthesis_shot(Path(tmp) / "synthesis")
    app.quit()
    print(f"saved stream.png and synthesis.png in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
