"""Regenerate the README screenshots: `xvfb-run -s "-screen 0 1400x900x24" python docs/make_screenshots.py`.

``--classes-only`` makes just labeling-9-classes, labeling-30-classes and dark-palette (1366 × 768).

Runs the real windows on generated demo pools, labels a few items the way a user would (through
the controller the key presses call), and saves ``QWidget.grab()`` of each window to docs/screenshots.
"""

from __future__ import annotations

import csv
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer

from aldesk.core.demo import make_demo_pool
from aldesk.core.project import ProjectSettings, create_project
from aldesk.gui import recent, style
from aldesk.gui.app import create_app
from aldesk.gui.dialogs.new_project import NewProjectDialog
from aldesk.gui.main_window import MainWindow
from aldesk.gui.welcome import WelcomeWindow

OUT = Path(__file__).resolve().parent / "screenshots"


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def labeling_window(root: Path, kind: str, n_answers: int) -> MainWindow:
    labels = root / f"{kind}-labels.csv"
    classes = make_demo_pool(kind, root / f"{kind}-pool", labels_out=labels)
    with labels.open() as f:
        truth = {r["path"]: r["label"] for r in csv.DictReader(f)}
    settings = ProjectSettings(batch=5, seed_size=10, test_size=30, budget=300)
    store, _ = create_project(root / f"{kind}-demo", root / f"{kind}-pool", classes, settings)
    recent.add_recent(store.path)
    window = MainWindow(store)
    window.resize(1280, 800)
    return answer_some(window, truth, n_answers)


def answer_some(window: MainWindow, truth: dict[str, str], n_answers: int) -> MainWindow:
    """Show the window and answer ``n_answers`` items from ``truth`` (skip other classes)."""
    window.show()
    while window.controller.features.busy or window.controller.session.features is None:
        wait(100)
    ids = {c.name: c.id for c in window.store.classes()}
    for _ in range(n_answers):
        query = window.controller.current()
        label = truth[query.item.relpath]
        if label in ids:
            window.controller.answer(ids[label])
        else:
            window.controller.skip()
        wait(20)
    while window.controller.trainer.busy:
        wait(50)
    wait(800)
    return window


# classes for the many-classes shot after the ten digits; some in Chinese and Japanese
MORE_CLASSES = [
    "plus", "minus", "times", "divide", "equals", "percent", "dot", "comma", "colon", "question",
    "hash", "star", "一", "二", "三", "四", "五", "ねこ", "いぬ", "とり",
]  # fmt: skip


def classes_window(root: Path, name: str, n_classes: int, n_answers: int) -> MainWindow:
    """The image demo with ``n_classes`` classes (digits, then MORE_CLASSES) at 1366 × 768."""
    labels = root / f"{name}-labels.csv"
    digits = make_demo_pool("images", root / f"{name}-pool", labels_out=labels)
    with labels.open() as f:
        truth = {r["path"]: r["label"] for r in csv.DictReader(f)}
    names = (digits + MORE_CLASSES)[:n_classes]
    settings = ProjectSettings(batch=5, seed_size=10, test_size=30, budget=300)
    store, _ = create_project(root / name, root / f"{name}-pool", names, settings)
    window = MainWindow(store)
    window.resize(1366, 768)
    return answer_some(window, truth, n_answers)


def class_count_shots(app, root: Path) -> None:
    """labeling-9-classes, labeling-30-classes and dark-palette, each at 1366 × 768."""
    for n in (9, 30):
        window = classes_window(root, f"classes-{n}", n, 40)
        window.grab().save(str(OUT / f"labeling-{n}-classes.png"))
        window.close()
    style.apply_style(app, "dark")
    window = classes_window(root, "dark", 9, 40)
    window.grab().save(str(OUT / "dark-palette.png"))
    window.close()
    style.apply_style(app, "light")


def settings_shot(root: Path) -> None:
    """Project ▸ Settings… on a project with 40 answers, strategy and batch being changed."""
    from aldesk.gui.dialogs.project_settings import ProjectSettingsDialog

    window = labeling_window(root, "images", 40)
    n_labels = window.controller.session.status().n_labeled
    dialog = ProjectSettingsDialog(window, window.store, n_labels)
    dialog.options.batch.setValue(10)
    strategy = dialog.options.combos["strategy"]
    strategy.setCurrentIndex(strategy.findData("entropy"))
    dialog.show()
    wait(300)
    dialog.grab().save(str(OUT / "project-settings.png"))
    dialog.reject()
    window.close()


def main() -> int:
    app = create_app()
    OUT.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="aldesk-shots-"))
    class_count_shots(app, root)
    if "--classes-only" in sys.argv:
        return 0
    for kind, n in (("images", 60), ("audio", 24)):
        window = labeling_window(root, kind, n)
        window.grab().save(str(OUT / f"labeling-{kind}.png"))
        window.close()
    welcome = WelcomeWindow()
    welcome.show()
    wait(300)
    welcome.grab().save(str(OUT / "welcome.png"))
    dialog = NewProjectDialog(folder=root / "images-pool")
    dialog.set_project_name("leaf-diseases")
    dialog.add_classes(["healthy", "rust", "mildew", "scab"])
    dialog.show()
    wait(1500)
    dialog.grab().save(str(OUT / "new-project.png"))
    dialog.close()
    settings_shot(root / "settings")
    welcome.close()
    app.processEvents()
    print(f"screenshots in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
