"""Regenerate the review-window screenshots: `python docs/review_screenshots.py` (offscreen).

A demo digits project gets 100 imported labels of which 6 are planted mistakes; once the model
has trained and the doubtful-label check has run, the review window is saved as
``docs/screenshots/review.png`` (the grid), ``review-suspicious.png`` (Suspicious only),
``review-confirm.png`` (confirm mode) and ``review-auto-label.png`` (the auto-label preview).
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

OUT = Path(__file__).resolve().parent / "screenshots"


def _wait_for(signal, ms: int = 180_000) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _settle(ms: int) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _until(done, ms: int = 180_000) -> None:
    """Run the event loop until ``done()`` (checked every 50 ms) or ``ms`` have passed."""
    from PySide6.QtCore import QElapsedTimer

    clock = QElapsedTimer()
    clock.start()
    while not done() and clock.elapsed() < ms:
        _settle(50)


def _project(root: Path):
    from aldesk.core.demo import make_demo_pool
    from aldesk.core.project import ProjectSettings, create_project

    classes = make_demo_pool("images", root / "pool", labels_out=root / "truth.csv", per_class=12)
    settings = ProjectSettings(batch=4, seed_size=4, test_size=20)
    store, _ = create_project(root / "digits", root / "pool", classes, settings)
    by_path = {it.relpath: it for it in store.items()}
    ids = {c.name: c.id for c in store.classes()}
    labels = []
    for k, row in enumerate(list(csv.DictReader((root / "truth.csv").open()))[:100]):
        name = row["label"]
        if k % 17 == 3:  # a planted mistake
            name = classes[(classes.index(name) + 3) % len(classes)]
        item = by_path[row["path"]]
        labels.append((item.id, ids[name], item.split))
    store.record_labels(labels, strategy="import")
    return store


def main() -> int:
    from aldesk.gui.app import create_app
    from aldesk.gui.main_window import MainWindow
    from aldesk.gui.review import show_review

    app = create_app([])
    with tempfile.TemporaryDirectory(prefix="aldesk-review-shots-") as tmp:
        store = _project(Path(tmp))
        window = MainWindow(store)
        window.show()
        _wait_for(window.controller.rounds_changed)
        review = show_review(window)
        _wait_for(review.suspicion.scored)
        # a retrain may start a second check: shoot once both are over, not "Checking…"
        _until(lambda: not review.suspicion.busy and not window.controller.trainer.busy)
        _settle(1500)  # thumbnails arrive from the decode process
        OUT.mkdir(exist_ok=True)
        review.grab().save(str(OUT / "review.png"))
        review.filters.suspicious.setChecked(True)
        review.confusion.setCurrentIndex(1)  # the labeled pool's cross-validated matrix
        selection = review.view.selectionModel()
        for k in range(3):  # a few picked, as before a relabel
            selection.select(review.model.index(k), selection.SelectionFlag.Select)
        _settle(1500)
        review.grab().save(str(OUT / "review-suspicious.png"))
        review.view.clearSelection()
        review.confusion.setCurrentIndex(0)
        review.accept_bar.confirm_mode.click()
        for k in range(4):  # a few guesses confirmed (Enter) and one corrected (a class key)
            selection.select(review.model.index(k), selection.SelectionFlag.Select)
        review.accept_bar.accept_guesses()
        review.view.clearSelection()
        selection.select(review.model.index(0), selection.SelectionFlag.Select)
        guess = review.model.rows()[0].predicted
        review.apply("label", next(c.id for c in store.classes() if c.id != guess))
        review.view.clearSelection()
        review.view.selectionModel().select(
            review.model.index(0), review.view.selectionModel().SelectionFlag.Select
        )
        _settle(1500)
        review.grab().save(str(OUT / "review-confirm.png"))
        dialog = review.accept_bar.open_auto_label()
        dialog.threshold.setValue(0.9)
        _settle(300)
        dialog.grab().save(str(OUT / "review-auto-label.png"))
        dialog.reject()
        window.close()
    app.processEvents()
    print(f"wrote review*.png in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
