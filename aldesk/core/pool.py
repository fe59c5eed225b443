"""Scan a pool folder: find media files, give each its content identity, report what changed.

Rules a user can rely on:

* **What is scanned.** Every file under the pool folder, recursively, whose extension is an image
  (``media.IMAGE_EXTS``) or audio (``media.AUDIO_EXTS``) extension, or a common media format
  no decoder here reads (``media.UNSUPPORTED_EXTS``: listed unreadable, with what to convert
  it to). Hidden files and folders
  (names starting with ``.``) and project folders (``*.aldesk``) are not entered; a sub-folder
  that cannot be listed is passed over.
* **One kind per project.** A project holds images or audio, never both. The kind is the
  ``kind=`` argument when given (the user chose it); otherwise it is the majority kind of the
  folder, images winning a tie. Files of the other kind are not silently dropped: they are
  listed in ``ScanResult.other_kind`` so the caller can say "412 audio files were left out".
* **Identity is content.** An item is the SHA-256 of its bytes, so a renamed or moved file keeps
  its labels, and byte-identical files are one item reported in ``ScanResult.duplicates``.
* **Rescans are incremental.** A file whose path, size and mtime match ``previous`` is not re-read,
  unless that previous entry asks for a ``recheck`` (an item marked missing that is back).
* **Bad files never stop a scan.** A file that cannot be read or decoded gets ``error`` set to
  the reason from ``media.probe`` (or "permission denied" when its bytes cannot be read) and is
  listed in ``ScanResult.unreadable``. So is anything with a media extension that is not a
  regular file: a named pipe, socket or device, a broken link, a link loop, a link to a folder
  (links to folders are never followed; a real folder named ``x.png`` is entered as a folder).
* **Names are bytes.** A file name that is not valid UTF-8 is kept exactly (surrogate escapes,
  as ``os.fsdecode`` gives them); :func:`shown_path` is its readable form for messages.
* **Errors.** A pool folder that does not exist raises ``PoolMissing``; a first scan (no
  ``previous``) that finds no file of the project's kind raises ``NoMedia``. A rescan of an
  emptied folder does not raise: every known file is reported missing (they come back when the
  files reappear, e.g. once a drive is mounted again).

Walking the folder (what is listed, what is not a file and why) is ``pool_walk``; this module
hashes and probes what it finds.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from aldesk.core import media
from aldesk.core.errors import MediaError, NoMedia
from aldesk.core.pool_changes import compare, duplicates
from aldesk.core.pool_walk import (
    Found,
    MediaCounts,
    WalkNotes,
    check_root,
    count_media,
    find_media,
    read_error,
    same_files,
    shown_path,
)
from aldesk.core.wording import count

HASH_BLOCK = 1 << 20
KINDS = ("image", "audio")
# One thread: probing is GIL-bound Pillow work, so two threads were slower (benchmarks/bench_scan.py).
DEFAULT_WORKERS = 1

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FileEntry:
    """One media file as seen by a scan.

    Attributes:
        relpath: Path relative to the pool folder, with ``/`` separators.
        kind: ``'image'`` or ``'audio'``.
        size: Size in bytes.
        mtime_ns: Modification time in nanoseconds.
        hash: Hex SHA-256 of the bytes, or None when the bytes could not be read.
        error: Why the file cannot be used (short, shown next to the item), or None.
        recheck: In a ``previous`` mapping only: read the file again even if its size and
            mtime match (the item was marked missing, so what was known of it may be stale).
    """

    relpath: str
    kind: str
    size: int
    mtime_ns: int
    hash: str | None
    error: str | None = None
    recheck: bool = False


@dataclass(frozen=True)
class ScanResult:
    """What a scan found, compared with ``previous``.

    ``new``, ``changed``, ``moved`` and ``missing`` are disjoint; an unchanged file is in none.

    Attributes:
        kind: The project's kind (``'image'`` or ``'audio'``).
        entries: relpath -> FileEntry for every file of that kind; pass it as the next
            ``previous``.
        new: Files at a new path whose content was not known before.
        missing: Previous files whose path is gone and whose content is nowhere in the pool.
        changed: ``(before, after)`` pairs: same path, new content.
        moved: ``(before, after)`` pairs: known content found at a new path (rename or move).
        duplicates: hash -> sorted relpaths, for content found at more than one path.
        other_kind: Sorted relpaths of media files of the other kind (left out of the project).
        unreadable: Entries whose ``error`` is set.
        notes: Folders that could not be listed (their files are not in ``entries``),
            hidden entries and files that are neither images nor audio.
    """

    kind: str
    entries: dict[str, FileEntry]
    new: list[FileEntry]
    missing: list[FileEntry]
    changed: list[tuple[FileEntry, FileEntry]]
    moved: list[tuple[FileEntry, FileEntry]]
    duplicates: dict[str, list[str]]
    other_kind: list[str]
    unreadable: list[FileEntry]
    notes: WalkNotes = field(default_factory=WalkNotes)


# ------------------------------------------------------------------ which files a project takes


def find_unreadable(
    root: str | os.PathLike[str], should_stop: Callable[[], bool] | None = None
) -> dict[str, list[tuple[str, str]]]:
    """Media files a project on ``root`` would skip, by kind: ``[(relpath, reason), ...]``.

    Opens each image or audio file's header the way :func:`scan` does (nothing is hashed), so
    the new-project dialog can say how many files are unreadable before the project exists.
    ``should_stop`` is polled between files; a stopped run returns what it found so far.

    Raises:
        PoolMissing: ``root`` is not an existing folder.
    """
    root = check_root(root)
    found: dict[str, list[tuple[str, str]]] = {kind: [] for kind in KINDS}
    for f in find_media(root):
        if should_stop is not None and should_stop():
            break
        reason = f.error or _probe_error(root / f.relpath, f.kind)
        if reason:
            found[f.kind].append((f.relpath, reason))
    return found


def _choose_kind(found: list[Found], kind: str | None) -> str:
    if kind is not None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        return kind
    n_audio = sum(f.kind == "audio" for f in found)
    return "audio" if n_audio > len(found) - n_audio else "image"


def _no_media_message(root: Path, kind: str, n_other: int) -> str:
    if n_other:
        other = count(n_other, "audio file" if kind == "image" else "image")
        return f"The folder {root} holds no {kind} files (it holds {other})."
    return f"The folder {root} holds no image or audio files aldesk can read."


# ------------------------------------------------------------------ hashing and probing


def _hash_file(path: Path) -> str:
    """SHA-256 of the file's bytes, read in 1 MiB blocks (hashlib releases the GIL)."""
    digest = hashlib.sha256()
    # Non-blocking open: a file swapped for a FIFO since the walk must not hang the scan.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with open(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        while block := f.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _empty_file_identity(relpath: str) -> str:
    """An empty file's identity, from its path: every empty file has the same content hash,
    so all but one were "copies" of the first, and listed nowhere as unreadable."""
    return hashlib.sha256(b"empty file\0" + relpath.encode("utf-8", "surrogateescape")).hexdigest()


def _probe_error(path: Path, kind: str) -> str | None:
    try:
        media.probe(path, kind)
    except MediaError as exc:
        return exc.reason
    except OSError as exc:
        return read_error(exc)
    return None


def _examine(root: Path, found: Found) -> FileEntry:
    """Hash and probe one file; the hash is computed first so a bad file still has identity."""
    if found.error is not None:
        return FileEntry(found.relpath, found.kind, found.size, found.mtime_ns, None, found.error)
    path = root / found.relpath
    try:
        digest = _empty_file_identity(found.relpath) if found.size == 0 else _hash_file(path)
    except OSError as exc:
        return FileEntry(
            found.relpath, found.kind, found.size, found.mtime_ns, None, read_error(exc)
        )
    error = _probe_error(path, found.kind)
    return FileEntry(found.relpath, found.kind, found.size, found.mtime_ns, digest, error)


def _reusable(before: FileEntry | None, found: Found) -> bool:
    return (
        before is not None
        and before.hash is not None
        and not before.recheck
        and found.error is None
        and before.size == found.size
        and before.mtime_ns == found.mtime_ns
    )


def _examine_all(
    root: Path,
    found: list[Found],
    previous: dict[str, FileEntry],
    progress: Progress | None,
    workers: int,
) -> dict[str, FileEntry]:
    entries = {
        f.relpath: previous[f.relpath] for f in found if _reusable(previous.get(f.relpath), f)
    }
    todo = [f for f in found if f.relpath not in entries]
    total, done = len(found), len(entries)
    if progress is not None:
        progress(done, total)
    for entry in _map(lambda f: _examine(root, f), todo, workers):
        entries[entry.relpath] = entry
        done += 1
        if progress is not None:
            progress(done, total)
    return dict(sorted(entries.items()))


def _map(fn: Callable[[Found], FileEntry], items: list[Found], workers: int) -> Iterable[FileEntry]:
    if workers <= 1 or len(items) < 2:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aldesk-scan") as pool:
        yield from pool.map(fn, items)


# ------------------------------------------------------------------ public entry points


def scan(
    root: str | os.PathLike[str],
    *,
    kind: str | None = None,
    previous: dict[str, FileEntry] | None = None,
    progress: Progress | None = None,
    workers: int = DEFAULT_WORKERS,
    on_kind: Callable[[str, int], None] | None = None,
) -> ScanResult:
    """Scan a pool folder recursively and compare it with a previous scan.

    Args:
        root: The pool folder.
        kind: ``'image'`` or ``'audio'``; None picks the majority kind (see the module rules).
        previous: relpath -> FileEntry from the last scan; unchanged files (same size and
            ``mtime_ns``) are taken from it without being read.
        progress: Called as ``progress(done, total)`` from the calling thread.
        workers: Threads that hash and probe files (1 = no thread pool).
        on_kind: Called as ``on_kind(kind, files)`` once the project's kind and its number of
            files are known, before any file is read (e.g. to get feature extraction ready).

    Returns:
        The scan result; ``entries`` is sorted by relpath.

    Raises:
        PoolMissing: ``root`` is not an existing folder.
        NoMedia: A first scan found no file of the project's kind.
    """
    path = check_root(root)
    previous = previous or {}
    notes = WalkNotes()
    found = find_media(path, notes)
    chosen = _choose_kind(found, kind)
    mine = [f for f in found if f.kind == chosen]
    other = [f.relpath for f in found if f.kind != chosen]
    if not mine and not previous:
        raise NoMedia(_no_media_message(path, chosen, len(other)))
    if on_kind is not None:
        on_kind(chosen, len(mine))
    entries = _examine_all(path, mine, previous, progress, workers)
    changes = compare(previous, entries)
    return ScanResult(
        kind=chosen,
        entries=entries,
        new=changes.new,
        missing=changes.missing,
        changed=changes.changed,
        moved=changes.moved,
        duplicates=duplicates(entries),
        other_kind=other,
        unreadable=[e for e in entries.values() if e.error is not None],
        notes=notes,
    )


__all__ = [
    "DEFAULT_WORKERS", "HASH_BLOCK", "KINDS", "FileEntry", "MediaCounts", "Progress", "ScanResult",
    "count_media", "find_unreadable", "same_files", "scan", "shown_path",
]  # fmt: skip
