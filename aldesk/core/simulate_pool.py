"""The pool a simulation runs on: the scanned folder and its features, the oracle's label of
each item, and what is left out (unreadable files, files the oracle does not label, classes only
files outside the pool have, paths the oracle labels two ways), each named in the log.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from aldesk.core.errors import AldeskError, BadLabelsFile
from aldesk.core.labels_file import normalise, oracle_label
from aldesk.core.pool import shown_path
from aldesk.core.project import ProjectSettings, compute_features, create_project
from aldesk.core.store import ProjectStore
from aldesk.core.wording import count

Log = Callable[[str], None]


def log_contradictory(contradictory: list[str], log: Log, shown: int = 5) -> None:
    if contradictory:
        _log_some(f"{count(len(contradictory), 'file')} the oracle labels two ways left out:",
                  contradictory, log, shown)  # fmt: skip


def base_project(
    tmp: Path,
    pool,
    classes,
    labels: dict[str, str],
    cache,
    log: Log,
    twofold: frozenset[str] | set[str] = frozenset(),
) -> tuple[Path, dict[int, str]]:
    """The scanned pool with its features, and the oracle's label of every item it uses.

    Unreadable files and files the oracle does not label are named and left out, after the
    scan and before the features (the long part).
    """
    log("scanning the pool ...")
    store, scan = create_project(tmp / "base", pool, classes, ProjectSettings(test_size=0))
    try:
        _log_unreadable(scan.unreadable, log)
        item_labels = _item_labels(store, labels, log, twofold)
        _remove_classes_without_files(store, set(item_labels.values()), labels, log)
    except BaseException:
        store.close()
        raise
    if cache is not None:  # reuse features across runs of the simulator
        Path(cache).mkdir(parents=True, exist_ok=True)
        shutil.rmtree(store.cache_dir)
        store.cache_dir.symlink_to(Path(cache).resolve(), target_is_directory=True)
    log(f"{len(item_labels)} labeled items; extracting features ...")
    with _cache_lock(cache, log):
        result = compute_features(store)
    if result.cancelled:
        raise AldeskError("Feature extraction was cancelled.")
    path = store.path
    store.close()
    return path, item_labels


@contextlib.contextmanager
def _cache_lock(cache: str | Path | None, log: Log) -> Iterator[None]:
    """One simulation at a time extracts into a shared ``--cache`` (``make -j``): two wrote
    the same chunk of it, and one failed; the next finds the other's features there."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; runs sharing a cache are on the user
        fcntl = None
    if cache is None or fcntl is None:
        yield
        return
    with open(Path(cache) / ".lock", "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log("waiting for another run that extracts into this feature cache ...")
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _log_unreadable(entries, log: Log, shown: int = 5) -> None:
    """Name the files the scan could not read (left out), as ``aldesk new`` does."""
    if entries:
        _log_some(f"{count(len(entries), 'unreadable file')} left out:",
                  [f"{shown_path(e.relpath)}: {e.error}" for e in entries], log, shown)  # fmt: skip


def _item_labels(
    store: ProjectStore, labels: dict[str, str], log: Log, twofold: frozenset[str] | set[str]
) -> dict[int, str]:
    """Item id -> the oracle's label, for every readable pool item the oracle labels.

    An item is one content: the file may label it under any of its copies' paths (the item's
    own path first). Items it does not label are flagged in this throwaway project, so no
    run asks them, and counted in the log with an example.

    Raises:
        BadLabelsFile: The oracle labels none of the pool's readable files.
    """
    copies = store.all_item_paths()
    found, unlabeled, split_copies, said_twice = {}, [], [], []
    keys = set()  # the oracle's keys of the pool's readable files
    for item in store.items():
        if item.status != "ok" or item.origin != "file":
            continue
        given = {}  # path -> label, over the content's copies
        paths = [item.relpath, *copies.get(item.id, ())]
        keys.update(k for p in paths for k in (p, normalise(p)))
        for relpath in paths:
            label = oracle_label(labels, relpath)
            if label is not None:
                given[relpath] = label
        if len(set(given.values())) == 1:
            found[item.id] = next(iter(given.values()))
        elif given:  # copies of one content labelled differently: the first had won, unsaid
            split_copies.append(
                (item, " = ".join(f"{shown_path(p)} ({lab})" for p, lab in given.items()))
            )
        elif any(p in twofold or normalise(p) in twofold for p in paths):
            said_twice.append(item)  # named with the file's rows: not "without a label" too
        else:
            unlabeled.append(item)
    if split_copies:
        reason = "its copies have different labels in the oracle file"
        store.update_items((it.id, {"status": "unreadable", "reason": reason})
                           for it, _ in split_copies)  # fmt: skip
        log_contradictory([f"{text} (one content)" for _, text in split_copies], log)
    if said_twice:
        reason = "labeled two ways in the oracle file"
        store.update_items((it.id, {"status": "unreadable", "reason": reason}) for it in said_twice)
    _log_elsewhere([p for p in labels if p not in keys], log)
    if unlabeled and not found:
        raise BadLabelsFile(
            f"The oracle file labels none of the pool's {len(unlabeled)} readable files "
            f"(e.g. {shown_path(unlabeled[0].relpath)}): is it the pool's labels file?"
        )
    if unlabeled:
        reason = "no label in the oracle file"
        store.update_items((it.id, {"status": "unreadable", "reason": reason}) for it in unlabeled)
        _log_some(f"{count(len(unlabeled), 'file')} without a label in the oracle file left out:",
                  [shown_path(it.relpath) for it in unlabeled], log)  # fmt: skip
    return found


def _log_elsewhere(paths: list[str], log: Log) -> None:
    """The oracle's rows of files not in the pool (another folder's, a typo): said, not
    ignored (a row for "site9/ghost.wav" went unmentioned)."""
    if paths:
        which = "names a file" if len(paths) == 1 else "name files"
        _log_some(f"{count(len(paths), 'row')} of the oracle file {which} not in the pool "
                  "(not used):", [shown_path(p) for p in paths], log)  # fmt: skip


def _log_some(head: str, lines: list[str], log: Log, shown: int = 5) -> None:
    log(head)
    for line in lines[:shown]:
        log(f"  {line}")
    if len(lines) > shown:
        log(f"  ... and {len(lines) - shown} more")


def _remove_classes_without_files(
    store: ProjectStore, used: set[str], labels: dict[str, str], log: Log
) -> None:
    """Classes the oracle gives only files the pool lacks are not classes of this pool (a
    dataset-wide labels file on a subset): left out, with the rows they came from named."""
    unused = [c for c in store.classes() if c.name not in used]
    if not unused:
        return
    for c in unused:
        store.remove_class(c.id)
    names = {c.name for c in unused}
    rows = [path for path, label in labels.items() if label in names]
    log(f"class{'es' if len(unused) > 1 else ''} {', '.join(sorted(names))} left out: the "
        f"oracle gives {'them' if len(unused) > 1 else 'it'} only to files not in the pool "
        f"({count(len(rows), 'row')}, e.g. {shown_path(rows[0])})")  # fmt: skip
