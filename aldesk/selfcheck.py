"""``aldesk selfcheck``: is this installation able to label, retrain and keep the answers?

It generates a small image project and a small audio project in a temporary folder, opens each
in the real labeling window (offscreen: nothing appears on the screen), answers a few items by
key presses, waits for the model to retrain, closes the window, reopens the project and checks
that every answer is there as given. Each step prints one line; the exit status is 0 when all
passed and 1 otherwise, with the failed step named. Users run it to check an installation; CI
runs it on the installed package.

This module holds the Qt-free parts (projects, the answer check, the report); the window is
driven by :mod:`aldesk.gui.selfcheck`, imported only when the check runs.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from aldesk import __version__

KINDS = ("images", "audio")
EXIT_OK, EXIT_FAILED = 0, 1
# Small pools keep the check quick (the frozen app extracts them in a few seconds) while still
# giving every class a couple of items, so a few answers reach two classes and a retrain.
PER_CLASS = {"images": 2, "audio": 3}
TEST_SIZE = 2  # a held-out test item or two, so answers to test items are checked too


class CheckFailed(Exception):
    """A step of the self-check did not do what it should; the message says what happened."""


@dataclass(frozen=True)
class CheckProject:
    """A generated project and the true class of each of its files (by relative path)."""

    kind: str
    path: Path
    truth: dict[str, str]


def make_project(kind: str, root: Path) -> CheckProject:
    """Generate a small ``kind`` pool under ``root`` and create a project on it."""
    from aldesk.core.demo import make_demo_pool
    from aldesk.core.project import ProjectSettings, create_project

    pool, labels = root / f"{kind}-pool", root / f"{kind}-truth.csv"
    classes = make_demo_pool(kind, pool, labels_out=labels, per_class=PER_CLASS[kind])
    settings = ProjectSettings.for_classes(len(classes), batch=3, test_size=TEST_SIZE)
    store, _scan = create_project(root / f"selfcheck-{kind}.aldesk", pool, classes, settings)
    path = store.path
    store.close()
    rows = labels.read_text().splitlines()[1:]
    truth = dict(row.rsplit(",", 1) for row in rows)
    return CheckProject(kind, path, truth)


def verify_answers(path: Path, given: dict[int, str]) -> tuple[list[str], int]:
    """Compare the project's stored answers with ``given`` (item id -> class name).

    Returns the problems found (one line each, empty when all match) and the number of
    training rounds the project holds.
    """
    from aldesk.core.store import ProjectStore

    with ProjectStore.open(path) as store:
        names = {c.id: c.name for c in store.classes()}
        answers = store.answers()
        rounds = len(store.rounds())
        problems = []
        for item_id, expected in given.items():
            event = answers.get(item_id)
            if event is None:
                problems.append(f"item {item_id}: answer {expected!r} is missing")
            elif event.action != "label" or names.get(event.class_id) != expected:
                got = names.get(event.class_id, event.action)
                problems.append(f"item {item_id}: answered {expected!r}, stored {got!r}")
        extra = sorted(set(answers) - set(given))
        if extra:
            problems.append(f"answers nobody gave are stored for items {extra}")
    return problems, rounds


class Report:
    """Prints one line per step as it happens and counts the failures."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.passed = 0
        self.failed: list[str] = []

    def ok(self, text: str) -> None:
        self.passed += 1
        print(f"  ok    {text}", file=self.out, flush=True)

    def fail(self, text: str) -> None:
        self.failed.append(text)
        print(f"  FAIL  {text}", file=self.out, flush=True)

    def note(self, text: str) -> None:
        print(f"        {text}", file=self.out, flush=True)


@contextlib.contextmanager
def _isolated_environment(root: Path) -> Iterator[None]:
    """Offscreen Qt and a throw-away config folder (the user's recent projects and window
    geometry stay untouched); the previous environment comes back afterwards."""
    wanted = {
        "ALDESK_CONFIG_DIR": str(root / "config"),
        "QT_QPA_PLATFORM": "offscreen",  # the check must never pop windows on a desktop
        "QT_LOGGING_RULES": os.environ.get("QT_LOGGING_RULES", "qt.multimedia.*=false"),
    }
    before = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def check_formats(folder: Path, report: Report) -> None:
    """Every image and audio format a pool accepts decodes in this build (an installer that
    left a decoder out would flag a user's whole folder unreadable)."""
    from aldesk.core import media
    from aldesk.core.media import format_samples

    where = folder / "formats"
    where.mkdir(parents=True, exist_ok=True)
    try:
        images = format_samples.write_image_samples(where)
        sounds = format_samples.write_audio_samples(where)
    except Exception as exc:  # an encoder missing from the build is a finding too
        raise CheckFailed(f"cannot write the sample files ({type(exc).__name__}: {exc})") from exc
    bad = []
    for path in images + sounds:
        kind = media.media_kind(path)
        try:
            media.probe(path, kind)
            media.load_image(path) if kind == "image" else media.load_audio(path)
        except Exception as exc:
            bad.append(f"{path.suffix}: {exc}")
    if bad:
        raise CheckFailed("these do not decode: " + "; ".join(bad))
    report.ok(f"formats: all {len(images)} image and {len(sounds)} audio file types decode")


def run(folder: Path | None = None, kinds: Sequence[str] = KINDS, out: TextIO | None = None) -> int:
    """Run the self-check; returns the exit status (0 passed, 1 failed).

    Args:
        folder: where the projects are made and kept (default: a temporary folder, deleted).
        kinds: which projects to check ('images', 'audio').
        out: where the report goes (default: stdout).
    """
    report = Report(out)
    frozen = "frozen" if getattr(sys, "frozen", False) else "from source"
    print(f"aldesk selfcheck: aldesk {__version__} ({frozen}), Python {platform.python_version()},"
          f" {platform.system()} {platform.machine()}", file=report.out, flush=True)  # fmt: skip
    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="aldesk-check-")))
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        stack.enter_context(_isolated_environment(folder))
        from aldesk.gui.selfcheck import check_kind, qt_description

        report.note(qt_description())
        try:
            check_formats(folder, report)
        except CheckFailed as exc:
            report.fail(f"formats: {exc}")
        for kind in kinds:
            try:
                check_kind(kind, folder, report)
            except CheckFailed as exc:
                report.fail(f"{kind}: {exc}")
            except Exception as exc:  # a bug found by the check is a result, not a crash
                report.fail(f"{kind}: unexpected {type(exc).__name__}: {exc}")
    took = time.perf_counter() - start
    if report.failed:
        print(f"aldesk selfcheck: FAILED ({len(report.failed)} of "
              f"{report.passed + len(report.failed)} checks, {took:.1f} s): "
              + "; ".join(report.failed), file=report.out, flush=True)  # fmt: skip
        return EXIT_FAILED
    print(f"aldesk selfcheck: passed ({report.passed} checks, {took:.1f} s)",
          file=report.out, flush=True)  # fmt: skip
    return EXIT_OK
