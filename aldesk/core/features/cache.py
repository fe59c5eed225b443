"""On-disk feature cache: float32 ``.npy`` chunks plus a hash list per chunk; never pickled.

Layout under ``cache_dir/<extractor id>/``::

    chunk-000000.npy      (n, d) float32 rows
    chunk-000000.hashes   n content hashes, one per line, same order

Each chunk is written to a temporary name and ``os.replace``d into place, hashes first, then the
matrix: the ``.npy`` appearing is the commit point, so a crash mid-write leaves either a whole
chunk or none. Chunks are appended as extraction goes (a cancelled or killed run keeps what it
finished) and merged into one chunk when they grow many, so loading stays a few ``np.load``s.
Duplicated hashes (a crash between a merge and deleting its inputs) are harmless: the first wins.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import re
from pathlib import Path

import numpy as np

from aldesk.core import shared_pool

_CHUNK_RE = re.compile(r"^chunk-(\d{6})\.npy$")
MERGE_AT = 32  # merge when this many chunks exist: keeps open() cheap, merges rare
WHERE_BLOCK = 8192  # hashes looked up per conversion to an array (see FeatureCache._where)
GATHER_BLOCK = 8192  # rows copied per step of a gather (a 14 MB temporary at 448 dimensions)


class FeatureCache:
    """Cached feature rows of one extractor, keyed by content hash."""

    def __init__(self, root: Path, dim: int) -> None:
        self.root = Path(root)
        self.dim = dim
        self._rows: dict[str, tuple[int, int]] = {}  # hash -> (chunk number, row)
        self._chunks: dict[int, np.ndarray] = {}
        self.notes: list[str] = []  # damage found on load, said to the user once
        self._load()

    def _load(self) -> None:
        if not self.root.is_dir():
            if self.root.exists() or self.root.is_symlink():
                self.notes.append(replace_with_folder(self.root))
            return
        for path in sorted(self.root.iterdir()):
            m = _CHUNK_RE.match(path.name)
            if m:
                self._load_chunk(int(m.group(1)), path)

    def _load_chunk(self, number: int, path: Path) -> None:
        """Load one chunk if it is whole and sound; a damaged one is deleted (its items get
        extracted again) and noted."""
        hashes_path = path.with_suffix(".hashes")
        try:
            X = np.load(path, mmap_mode="r", allow_pickle=False)
            hashes = read_hashes(hashes_path)
        except (OSError, ValueError, UnicodeDecodeError, EOFError):
            self._drop(number, "unreadable")
            return
        if X.ndim != 2 or X.shape != (len(hashes), self.dim) or X.dtype != np.float32:
            self._drop(number, "of the wrong shape")
            return
        finite = _finite_rows(X)
        if not finite.all():
            # Rows holding NaN would stop every training: those items get extracted again.
            self.notes.append(
                f"Feature cache: {int((~finite).sum())} rows holding invalid numbers in "
                f"{path.name} are computed again."
            )
        self._chunks[number] = X
        for row, h in enumerate(hashes):
            if finite[row]:
                self._rows.setdefault(h, (number, row))

    def _drop(self, number: int, why: str) -> None:
        for suffix in (".npy", ".hashes"):
            with contextlib.suppress(OSError):
                (self.root / f"chunk-{number:06d}{suffix}").unlink(missing_ok=True)
        self.notes.append(
            f"Feature cache: chunk {number} was {why}; its features are computed again."
        )

    def __contains__(self, content_hash: str) -> bool:
        return content_hash in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, hashes: list[str]) -> tuple[np.ndarray, list[str]]:
        """Rows for the cached ones among ``hashes`` (in their order) and those hashes."""
        found = [h for h in hashes if h in self._rows]
        X = shared_pool.empty((len(found), self.dim))  # the training process reads it too
        where = self._where(found)
        # Gathered per chunk, not one (memmap) row at a time: ~10x faster for 5k rows.
        for number in np.unique(where[:, 0]):
            mine = np.flatnonzero(where[:, 0] == number)
            _copy_rows(self._chunks[int(number)], where[mine, 1], X, mine)
        return X, found

    def _where(self, found: list[str]) -> np.ndarray:
        """(chunk, row) of each hash, converted a block at a time: one ``np.array`` of 100k
        tuples holds the GIL ~30 ms (the GUI thread waits), a block of 8k about 2 ms."""
        where = np.empty((len(found), 2), dtype=np.int64)
        for i in range(0, len(found), WHERE_BLOCK):
            where[i : i + WHERE_BLOCK] = [self._rows[h] for h in found[i : i + WHERE_BLOCK]]
        return where

    def append(self, hashes: list[str], X: np.ndarray) -> None:
        """Add rows (float32, shape (len(hashes), dim)) as one new chunk."""
        if not hashes:
            return
        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.shape != (len(hashes), self.dim):
            raise ValueError(f"rows have shape {X.shape}, expected ({len(hashes)}, {self.dim})")
        if not np.isfinite(X).all():  # extract_batch drops such rows: this is a bug guard
            raise ValueError("feature rows hold NaN or infinity; they are never cached")
        number = max(self._chunks, default=-1) + 1
        self._write_chunk(number, hashes, X)
        self._chunks[number] = X
        for row, h in enumerate(hashes):
            self._rows.setdefault(h, (number, row))

    def _write_chunk(self, number: int, hashes: list[str], X: np.ndarray) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        base = self.root / f"chunk-{number:06d}"
        _atomic_write(base.with_suffix(".hashes"), ("\n".join(hashes) + "\n").encode("ascii"))
        tmp = base.with_name(base.name + ".tmp.npy")
        with open(tmp, "wb") as f:
            np.save(f, X, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, base.with_suffix(".npy"))

    def compact(self) -> None:
        """Merge all chunks into one when there are many (cheap to call often)."""
        if len(self._chunks) < MERGE_AT:
            return
        hashes = list(self._rows)
        X, _ = self.get(hashes)
        old = sorted(self._chunks)
        number = old[-1] + 1
        self._write_chunk(number, hashes, X)
        for n in old:
            for suffix in (".npy", ".hashes"):
                (self.root / f"chunk-{n:06d}{suffix}").unlink(missing_ok=True)
        self._chunks = {number: X}
        self._rows = {h: (number, i) for i, h in enumerate(hashes)}


def read_hashes(path: Path, block: int = 1 << 20) -> list[str]:
    """The whitespace-separated hashes of a ``.hashes`` file, read ~1 MB of lines at a time:
    splitting the whole file (100k hashes, 6.5 MB) in one call held the GIL 15-45 ms."""
    hashes: list[str] = []
    with open(path, encoding="ascii") as f:
        while lines := f.readlines(block):  # whole lines: no hash is cut between blocks
            hashes += "".join(lines).split()
    return hashes


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def atomic_save_npz(path: Path, **arrays: np.ndarray) -> None:
    """Write numeric arrays as an ``.npz`` via a temporary name (no pickled objects)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _finite_rows(X: np.ndarray, block: int = 4096) -> np.ndarray:
    """Whether each row is all finite, a block of rows at a time (a memmap stays unread)."""
    out = np.empty(len(X), dtype=bool)
    for i in range(0, len(X), block):
        out[i : i + block] = np.isfinite(X[i : i + block]).all(axis=1)
        _let_go(X)
    return out


def _copy_rows(chunk: np.ndarray, rows: np.ndarray, X: np.ndarray, dest: np.ndarray) -> None:
    """``X[dest] = chunk[rows]``, a block of rows at a time in file order: the temporary stays
    small (one fancy index of a whole 100k chunk was a 179 MB copy), and the file is read
    front to back."""
    order = np.argsort(rows, kind="stable")
    for i in range(0, len(order), GATHER_BLOCK):
        take = order[i : i + GATHER_BLOCK]
        X[dest[take]] = chunk[rows[take]]
        _let_go(chunk)


def _let_go(X: np.ndarray) -> None:
    """Unmap the pages of a memmapped chunk read so far: they stay in the system's file cache,
    but no longer count in the app's resident memory (a 100k pool's chunk is 179 MB, read
    once at open)."""
    memory = getattr(X, "_mmap", None)
    if isinstance(memory, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        with contextlib.suppress(OSError, ValueError):
            memory.madvise(mmap.MADV_DONTNEED)


def replace_with_folder(path: Path) -> str:
    """Put a folder where a cache folder should be but a file (or a broken link) is.

    Returns:
        The message that says so.
    """
    path.unlink()
    path.mkdir(parents=True)
    return f"{path} was a file, not a folder; it was replaced and the features are computed again."
