"""Walk a pool folder: list its media files by extension, saying why an entry is not a file.

The walking half of ``aldesk.core.pool`` (its module docstring states the rules: hidden and
project folders are not entered, links to folders are not followed, pipes, sockets, devices,
broken links and link loops are reported with a reason). Nothing here opens a file's content.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aldesk.core import media
from aldesk.core.errors import PoolMissing
from aldesk.core.records import PROJECT_SUFFIX
from aldesk.core.wording import count, shown_path


@dataclass(frozen=True)
class MediaCounts:
    """File counts by extension only (nothing is opened), and what else the walk met."""

    images: int
    audio: int
    other: int
    notes: WalkNotes | None = field(default=None, compare=False)


@dataclass
class WalkNotes:
    """What a walk left out besides media files: folders it could not list (``(relpath,
    reason)``: their files are not in the pool), hidden entries (names starting with "."),
    and files that are neither images nor audio. Each is said, not skipped silently."""

    unlisted: list[tuple[str, str]] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    not_media: list[str] = field(default_factory=list)
    # links to folders, not followed (one had been counted among the files neither image nor
    # audio)
    linked_folders: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The notes in sentences for a person ('' when there are none)."""
        parts = []
        if self.unlisted:
            named = ", ".join(f"{shown_path(p)} ({why})" for p, why in self.unlisted[:3])
            more = f" and {len(self.unlisted) - 3} more" if len(self.unlisted) > 3 else ""
            parts.append(f"{count(len(self.unlisted), 'folder')} cannot be read, so "
                         f"{'its' if len(self.unlisted) == 1 else 'their'} files are not in "
                         f"the pool: {named}{more}.")  # fmt: skip
        if self.linked_folders:
            n = len(self.linked_folders)
            parts.append(f"{count(n, 'link to a folder', 'links to folders')} not followed, so "
                         f"{'its' if n == 1 else 'their'} files are not in the pool: "
                         f"{_some(self.linked_folders)}.")  # fmt: skip
        if self.not_media:
            parts.append(f"{count(len(self.not_media), 'file')} neither image nor audio left "
                         f"out: {_some(self.not_media)}.")  # fmt: skip
        if self.hidden:
            parts.append(f"{count(len(self.hidden), 'hidden file or folder', 'hidden files or folders')}"
                         f" (a name starting with \".\") left out: {_some(self.hidden)}.")  # fmt: skip
        return " ".join(parts)


def _some(paths: list[str], shown: int = 3) -> str:
    named = ", ".join(shown_path(p) for p in paths[:shown])
    return named + (f" and {len(paths) - shown} more" if len(paths) > shown else "")


@dataclass(frozen=True)
class Found:
    """A media file the walk found, before it is read; ``error`` says why it cannot be."""

    relpath: str
    kind: str
    size: int
    mtime_ns: int
    error: str | None


def check_root(root: str | os.PathLike[str]) -> Path:
    """``root`` as a Path; raises PoolMissing (saying what to do) if it is not a folder."""
    path = Path(root)
    if not path.is_dir():
        what = "is not a folder" if path.exists() else "does not exist"
        raise PoolMissing(
            f"The pool folder {path} {what}. It may have been moved, renamed or be on a drive "
            "that is not mounted; restore it or choose its new location."
        )
    return path


def _skipped(name: str) -> bool:
    return name.startswith(".") or name.endswith(PROJECT_SUFFIX)


def _walk(
    root: Path, notes: WalkNotes | None = None
) -> Iterator[tuple[str, os.DirEntry[str], str | None]]:
    """Yield (relpath, entry, problem) for every file, skipping hidden and project folders.

    ``problem`` is None for a regular file (or a link to one); otherwise it says why the entry
    cannot be an item (a pipe, a socket, a device, a broken link, a link loop, a link to a
    folder). Links to folders are never followed, so a link loop cannot trap the walk. A
    sub-folder that cannot be listed and hidden entries go to ``notes`` (the files of a
    locked sub-folder were left out without a word).
    """
    stack = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as it:
                children = list(it)
        except OSError as exc:  # an unlistable sub-folder must not stop the scan of the others
            if notes is not None and prefix:
                notes.unlisted.append((prefix, read_error(exc)))
            continue
        for child in children:
            if _skipped(child.name):
                if notes is not None and child.name.startswith("."):
                    notes.hidden.append(prefix + child.name)
                continue
            relpath = prefix + child.name
            try:
                if child.is_dir(follow_symlinks=False):
                    stack.append((Path(child.path), relpath + "/"))
                    continue
            except OSError:
                pass  # is_dir never raises in practice; _entry_problem names what it is
            yield relpath, child, _entry_problem(child)


def _entry_problem(entry: os.DirEntry[str]) -> str | None:
    """Why a non-folder entry is not a readable regular file, or None if it is one."""
    try:
        st = entry.stat()  # follows links
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a link that points back to itself (link loop)"
        if isinstance(exc, FileNotFoundError):
            return "a broken link (its target does not exist)"
        return read_error(exc)
    if stat.S_ISREG(st.st_mode):
        return None
    return _NOT_A_FILE.get(stat.S_IFMT(st.st_mode), "not a regular file")


_NOT_A_FILE = {
    stat.S_IFDIR: "a link to a folder (links to folders are not followed)",
    stat.S_IFIFO: "a named pipe (FIFO), not a file",
    stat.S_IFSOCK: "a socket, not a file",
    stat.S_IFCHR: "a device, not a file",
    stat.S_IFBLK: "a device, not a file",
}


def read_error(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "file vanished during the scan"
    return f"cannot read file ({exc.strerror or exc})"


def find_media(root: Path, notes: WalkNotes | None = None) -> list[Found]:
    """The media files under ``root``, sorted by relpath; what else the walk met goes to
    ``notes``."""
    found = []
    for relpath, entry, problem in _walk(root, notes):
        kind = media.media_kind(relpath)
        if kind is None:
            if notes is not None:
                folder = problem == _NOT_A_FILE[stat.S_IFDIR]
                (notes.linked_folders if folder else notes.not_media).append(relpath)
            continue
        if problem is not None:  # listed as unreadable, with the reason
            found.append(Found(relpath, kind, 0, 0, problem))
            continue
        try:
            st = entry.stat()
        except OSError as exc:
            found.append(Found(relpath, kind, 0, 0, read_error(exc)))
        else:
            found.append(Found(relpath, kind, st.st_size, st.st_mtime_ns, None))
    found.sort(key=lambda f: f.relpath)
    return found


def same_files(
    root: str | os.PathLike[str],
    kind: str,
    known: dict[str, tuple[int, int]],
    notes: WalkNotes | None = None,
) -> bool:
    """Whether the ``kind`` files under ``root`` are exactly ``known`` (relpath -> (size,
    mtime_ns)), each a readable regular file; nothing is opened. A full :func:`scan` says why
    not.

    Each file is checked as the walk finds it and taken out of ``known`` (which ends empty
    when True): no set of every file is built and compared in one call. At 100k files that
    comparison, and freeing the two sets after it, held the GIL 0.1 s in one piece.

    Raises:
        PoolMissing: ``root`` is not an existing folder.
    """
    for relpath, entry, problem in _walk(check_root(root), notes):
        if media.media_kind(relpath) != kind:
            continue
        if problem is not None:
            return False
        try:
            st = entry.stat()
        except OSError:
            return False
        if known.pop(relpath, None) != (st.st_size, st.st_mtime_ns):
            return False
    return not known


def count_media(root: str | os.PathLike[str]) -> MediaCounts:
    """Count image, audio and other files by extension, for the new-project dialog.

    Follows the same skip rules as :func:`scan` but opens no file.

    Args:
        root: The pool folder.

    Returns:
        The counts.

    Raises:
        PoolMissing: ``root`` is not an existing folder.
    """
    counts = {"image": 0, "audio": 0, None: 0}
    notes = WalkNotes()
    for relpath, _entry, problem in _walk(check_root(root), notes):
        kind = media.media_kind(relpath)
        if kind is None and problem == _NOT_A_FILE[stat.S_IFDIR]:
            notes.linked_folders.append(relpath)  # not a file: not among the "other files"
            continue
        counts[kind] += 1
        if kind is None:
            notes.not_media.append(relpath)
    return MediaCounts(images=counts["image"], audio=counts["audio"], other=counts[None],
                       notes=notes)  # fmt: skip
