"""Export the labeled files as a folder per class (torchvision's ImageFolder, Keras'
``image_dataset_from_directory``): ``OUT/<class>/<file>``, copies or hard links.

Planning reads the store (GUI thread: workers never touch its connection); writing the files
needs only the plan, so it can run off the UI thread. A file that has gone missing or cannot be
read is reported and the export goes on.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from aldesk.core.errors import AldeskError
from aldesk.core.labels_export import NOTHING_SINCE, SinceScan, refuse_inside_project
from aldesk.core.leftovers import remove_dead
from aldesk.core.review_rows import source_of
from aldesk.core.store import ProjectStore
from aldesk.core.wording import count


@dataclass(frozen=True)
class FolderPlan:
    """What goes where: (source file, destination file) in pool-path order."""

    out_dir: Path
    files: list[tuple[Path, Path]]
    unreadable: list[str]  # labelled items flagged as unreadable: not exported


@dataclass
class FolderReport:
    written: int = 0
    linked: bool = False
    missing: list[str] = field(default_factory=list)  # "path: reason" per file not written
    unreadable: list[str] = field(default_factory=list)
    note: str | None = None  # e.g. links fell back to copies


def plan_folder_export(
    store: ProjectStore,
    out_dir: str | os.PathLike[str],
    model_labels: bool = True,
    gone: SinceScan = NOTHING_SINCE,
) -> FolderPlan:
    """Where each labeled pool file goes: ``out_dir/<class>/<file name>`` (without the
    model's own labels, auto-label's, when ``model_labels`` is False). Items in ``gone``
    (files deleted or replaced since the last scan: ``gone_since_scan``) are left out with the
    missing and unreadable ones: a replaced file had been copied under its old label. A file
    moved or renamed since is copied from where it is now.

    Files are taken in path order; a second file with the same name in a class folder (compared
    case-insensitively, for Windows and macOS disks) becomes ``name-2.ext``, ``name-3.ext``...,
    so the same project always exports to the same names.

    Raises:
        AldeskError: ``out_dir`` is a file, is not empty, or lies inside the pool folder.
    """
    out = Path(out_dir).expanduser().absolute()
    _check_out_dir(out, store.pool_root)
    names = {c.id: c.name for c in store.classes()}
    folders = _class_folders(list(names.values()))
    labels = store.labels()
    if not model_labels:
        answers = store.answers()
        labels = {i: c for i, c in labels.items() if source_of(answers[i]) != "model"}
    taken: dict[str, set[str]] = {}
    files, unreadable = [], []
    for item in sorted(store.items(), key=gone.relpath):
        if item.origin != "file" or item.id not in labels:
            continue
        relpath = gone.relpath(item)
        if item.status != "ok" or item.id in gone:
            unreadable.append(relpath)
            continue
        folder = folders[names[labels[item.id]]]
        name = _free_name(PurePosixPath(relpath).name, taken.setdefault(folder, set()))
        files.append((store.pool_root / relpath, out / folder / name))
    return FolderPlan(out, files, unreadable)


def _check_out_dir(out: Path, pool_root: Path) -> None:
    refuse_inside_project(out)
    if out.exists() and not out.is_dir():
        raise AldeskError(f"Cannot export to {out}: it is a file; give a folder.")
    if out.is_dir() and any(out.iterdir()):
        raise AldeskError(f"Cannot export to {out}: the folder is not empty; give a new one.")
    if not out.parent.is_dir():  # as the file formats: a mistyped path is not made silently
        raise AldeskError(f"Cannot export to {out}: the folder {out.parent} does not exist.")
    pool = pool_root.resolve()
    if out.resolve() == pool or pool in out.resolve().parents:
        raise AldeskError(
            f"Cannot export to {out}: it is inside the pool folder, where the copies would be "
            "scanned as new items; choose a folder outside it."
        )


# Characters FAT/exFAT drives and Windows refuse in a name, each written as its full-width
# look-alike: "Coleoptera: Carabidae" stays readable on a USB stick, and ``import-labels
# --from-folders`` maps it back to its class.
_PORTABLE = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in ':*?"<>|'})
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"{d}{i}" for d in ("COM", "LPT") for i in range(1, 10))}


def class_folder_name(name: str) -> str:
    """The folder a class's files are exported to: a name every common file system takes."""
    safe = "".join("_" if ord(c) < 32 else c for c in name.translate(_PORTABLE))
    safe = safe.replace("/", "_").replace("\\", "_").strip().rstrip(".") or "class"
    if safe.startswith("."):
        safe = "_" + safe[1:]
    if safe.split(".")[0].upper() in _RESERVED:  # Windows' device names, with any extension
        safe = "_" + safe
    return safe


def _class_folders(classes: list[str]) -> dict[str, str]:
    """A folder name per class (see ``class_folder_name``), clashes numbered."""
    taken: set[str] = set()
    return {name: _free_name(class_folder_name(name), taken) for name in classes}


def _free_name(name: str, taken: set[str]) -> str:
    stem, suffix = _split(name)
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{stem}-{n}{suffix}"
    taken.add(candidate.casefold())
    return candidate


def _split(name: str) -> tuple[str, str]:
    suffix = PurePosixPath(name).suffix
    return (name[: -len(suffix)], suffix) if suffix else (name, "")


Progress = Callable[[int, int], None]


def write_folder_export(
    plan: FolderPlan,
    *,
    link: bool = False,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> FolderReport:
    """Copy (or hard-link) the planned files. Needs no store: safe off the UI thread.

    Hard links need the pool and ``out_dir`` on one file system; when they are not (or the file
    system has no links), the files are copied instead and ``note`` says so.

    Raises:
        AldeskError: ``out_dir`` cannot be created or written.
    """
    report = FolderReport(linked=link, unreadable=list(plan.unreadable))
    # written beside it and renamed into place at the end: an export stopped half way (Ctrl+C,
    # a full disk, the window closed) had left a folder of some of the files, unsaid
    prefix = f".{plan.out_dir.name}.partial-"
    remove_dead(plan.out_dir.parent, prefix)  # a killed export's: no one else removes them
    staging = plan.out_dir.with_name(f"{prefix}{os.getpid()}")
    try:
        staging.mkdir()
    except OSError as exc:
        raise AldeskError(f"Cannot create {staging}: {exc.strerror or exc}.") from exc
    try:
        total = len(plan.files)
        for done, (src, dest) in enumerate(plan.files, 1):
            if should_stop():
                shutil.rmtree(staging, ignore_errors=True)
                return FolderReport(linked=link, unreadable=report.unreadable,
                                    note="Stopped: nothing was exported.")  # fmt: skip
            _place(src, staging / dest.relative_to(plan.out_dir), report)
            if progress is not None:
                progress(done, total)
        _publish(staging, plan.out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report


def _publish(staging: Path, out_dir: Path) -> None:
    """Rename the finished export into place (an empty folder there is replaced)."""
    try:
        if out_dir.is_dir():
            out_dir.rmdir()  # empty: checked when the export was planned
        staging.rename(out_dir)
    except OSError as exc:
        raise AldeskError(f"Cannot create {out_dir}: {exc.strerror or exc}.") from exc


def _place(src: Path, dest: Path, report: FolderReport) -> None:
    try:
        dest.parent.mkdir(exist_ok=True)
    except OSError as exc:
        raise AldeskError(f"Cannot create {dest.parent}: {exc.strerror or exc}.") from exc
    if report.linked:
        try:
            os.link(src, dest)
            report.written += 1
            return
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK):
                report.missing.append(f"{src}: {exc.strerror or exc}")
                return
            report.linked = False
            report.note = (
                f"Hard links are not possible from {src.parent} to {dest.parent} "
                f"({exc.strerror}): the files were copied instead."
            )
    try:
        shutil.copy2(src, dest)
        report.written += 1
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise AldeskError(f"Cannot write {dest}: the disk is full.") from exc
        report.missing.append(f"{src}: {exc.strerror or exc}")


def describe(report: FolderReport, out_dir: Path) -> list[str]:
    """The report as lines for a person (the CLI prints them, the GUI shows them)."""
    how = "linked" if report.linked else "copied"
    lines = [f"Exported {report.written} files ({how}) to {out_dir}, a folder per class."]
    if report.note:
        lines.append(report.note)
    if report.missing:
        lines.append(f"{len(report.missing)} files could not be exported, e.g. {report.missing[0]}")
    if report.unreadable:
        n = len(report.unreadable)
        lines.append(
            f"{count(n, 'labeled item')} {'is' if n == 1 else 'are'} missing or unreadable and "
            f"{'was' if n == 1 else 'were'} left out, e.g. {report.unreadable[0]}"
        )
    return lines
