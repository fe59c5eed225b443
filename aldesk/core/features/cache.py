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
import errno
import mmap
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from aldesk.core import shared_pool
from aldesk.core.errors import FeaturesNotSaved

_CHUNK_RE = re.compile(r"^chunk-(\d{6})\.npy$")
MERGE_AT = 32  # merge when this many chunks exist: keeps open() cheap, merges rare
WHERE_BLOCK = 8192  # hashes looked up per conversion to an array (see FeatureCache._find)
GATHER_BLOCK = 8192  # rows copied per step of a gather (a 14 MB temporary at 448 dimensions)
FULL_BELOW = 1 << 20  # bytes free under which a failed write is taken for a full disk


class FeatureCache:
    """Cached feature rows of one extractor, keyed by content hash."""

    def __init__(self, root: Path, dim: int) -> None:
        self.root = Path(root)
        self.dim = dim
        # hash -> (chunk number, row). The chunks found on disk are indexed as a sorted array
        # of hashes (bytes) beside their places: a dict of 100k str keys and tuples was 22 MB
        # of Python objects at every open, the array 6.4 MB. Rows appended since go in a dict.
        self._keys = np.empty(0, dtype="S1")
        self._places = np.empty((0, 2), dtype=np.int64)
        self._new: dict[str, tuple[int, int]] = {}
        self._chunks: dict[int, np.ndarray] = {}
        self.notes: list[str] = []  # damage found on load, said to the user once
        self._load()

    def _load(self) -> None:
        if not self.root.is_dir():
            if self.root.exists() or self.root.is_symlink():
                self.notes.append(replace_with_folder(self.root))
            return
        parts: list[tuple[np.ndarray, int, np.ndarray]] = []
        for path in sorted(self.root.iterdir()):
            m = _CHUNK_RE.match(path.name)
            if m:
                self._load_chunk(int(m.group(1)), path, parts)
        self._set_index(parts)

    def _set_index(self, parts: list[tuple[np.ndarray, int, np.ndarray]]) -> None:
        """Index ``(hashes, chunk number, rows)`` parts, given in chunk order: of a hash found
        twice the first place wins."""
        if not parts:
            return
        keys = parts[0][0] if len(parts) == 1 else np.concatenate([k for k, _, _ in parts])
        places = np.concatenate(
            [np.column_stack((np.full(len(rows), number), rows)) for _, number, rows in parts]
        )
        # A stable sort keeps a duplicate's first place first (np.unique makes two more copies
        # of the keys: 12 MB at 100k).
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        first = np.ones(len(keys), dtype=bool)
        first[1:] = keys[1:] != keys[:-1]
        if first.all():
            self._keys, self._places = keys, places[order]
        else:
            self._keys, self._places = keys[first], places[order[first]]

    def _load_chunk(self, number: int, path: Path, parts: list) -> None:
        """Load one chunk if it is whole and sound; a damaged one is deleted (its items get
        extracted again) and noted."""
        hashes_path = path.with_suffix(".hashes")
        try:
            X = np.load(path, mmap_mode="r", allow_pickle=False)
            hashes = read_hash_array(hashes_path)
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
        rows = np.flatnonzero(finite)
        parts.append((hashes if len(rows) == len(hashes) else hashes[rows], number, rows))

    def _drop(self, number: int, why: str) -> None:
        for suffix in (".npy", ".hashes"):
            with contextlib.suppress(OSError):
                (self.root / f"chunk-{number:06d}{suffix}").unlink(missing_ok=True)
        self.notes.append(
            f"Feature cache: chunk {number} was {why}; its features are computed again."
        )

    def __contains__(self, content_hash: str) -> bool:
        return bool(self._find([content_hash])[0, 0] >= 0)

    def contains_many(self, hashes: list[str]) -> np.ndarray:
        """Whether each of ``hashes`` has a cached row (bool array)."""
        return self._find(hashes)[:, 0] >= 0

    def __len__(self) -> int:
        return len(self._keys) + len(self._new)

    def get(self, hashes: list[str]) -> tuple[np.ndarray, list[str]]:
        """Rows for the cached ones among ``hashes`` (in their order) and those hashes."""
        places = self._find(hashes)
        hit = places[:, 0] >= 0
        found = [h for h, k in zip(hashes, hit.tolist(), strict=True) if k]
        where = places[hit]
        X = shared_pool.empty((len(found), self.dim))  # the training process reads it too
        # Gathered per chunk, not one (memmap) row at a time: ~10x faster for 5k rows.
        for number in np.unique(where[:, 0]):
            mine = np.flatnonzero(where[:, 0] == number)
            _copy_rows(self._chunks[int(number)], where[mine, 1], X, mine)
        return X, found

    def _find(self, hashes: list[str]) -> np.ndarray:
        """(chunk, row) of each hash, (-1, -1) where it has none; looked up a block at a time:
        converting 100k hashes at once would hold the GIL ~30 ms (the GUI thread waits)."""
        out = np.full((len(hashes), 2), -1, dtype=np.int64)
        for i in range(0, len(hashes), WHERE_BLOCK):
            block = hashes[i : i + WHERE_BLOCK]
            if len(self._keys):
                out[i : i + len(block)] = self._find_loaded(block)
            if self._new:
                for j, h in enumerate(block, start=i):
                    if out[j, 0] < 0 and (place := self._new.get(h)) is not None:
                        out[j] = place
        return out

    def _find_loaded(self, block: list[str]) -> np.ndarray:
        out = np.full((len(block), 2), -1, dtype=np.int64)
        # The keys were read as ASCII: a hash that is not (none the app makes) matches none.
        query = np.array([h if h.isascii() else "" for h in block], dtype=bytes)
        width = self._keys.dtype.itemsize
        fits = np.char.str_len(query) <= width  # a longer hash is none of the keys
        query = query.astype(self._keys.dtype)  # (cuts only the longer ones, masked out)
        pos = np.minimum(np.searchsorted(self._keys, query), len(self._keys) - 1)
        hit = fits & (self._keys[pos] == query)
        out[hit] = self._places[pos[hit]]
        return out

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
        known = self.contains_many(hashes).tolist()
        for row, (h, cached) in enumerate(zip(hashes, known, strict=True)):
            if not cached:
                self._new.setdefault(h, (number, row))  # the first of duplicates wins

    def _write_chunk(self, number: int, hashes: list[str], X: np.ndarray) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        base = self.root / f"chunk-{number:06d}"
        _atomic_write(base.with_suffix(".hashes"), ("\n".join(hashes) + "\n").encode("ascii"))
        tmp = base.with_name(f"{base.name}.{os.getpid()}.tmp.npy")  # a name of this process's
        with _saving(tmp), open(tmp, "wb") as f:
            np.save(f, X, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, base.with_suffix(".npy"))

    def compact(self) -> None:
        """Merge all chunks into one when there are many (cheap to call often)."""
        if len(self._chunks) < MERGE_AT:
            return
        hashes = [k.decode("ascii") for k in self._keys.tolist()] + list(self._new)
        X, _ = self.get(hashes)
        old = sorted(self._chunks)
        number = old[-1] + 1
        self._write_chunk(number, hashes, X)
        for n in old:
            for suffix in (".npy", ".hashes"):
                (self.root / f"chunk-{n:06d}{suffix}").unlink(missing_ok=True)
        self._chunks = {number: X}
        self._new = {}
        self._keys = np.empty(0, dtype="S1")
        self._set_index([(np.array(hashes, dtype=bytes), number, np.arange(len(hashes)))])


def prune_caches(cache_dir: Path, keep: set[str]) -> list[str]:
    """Remove a project's feature caches of extractors it no longer uses (older versions:
    each version bump had left the last one's, 200 MB at 100k clips); returns their names.
    Only extractor caches ("image-…", "audio-…") go; the learned dictionaries stay."""
    removed = []
    for folder in sorted(cache_dir.iterdir()) if cache_dir.is_dir() else ():
        name = folder.name
        if name in keep or not name.startswith(("image-", "audio-")) or folder.is_symlink():
            continue
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(name)
    return removed


def read_hash_array(path: Path, block: int = 1 << 20) -> np.ndarray:
    """The whitespace-separated hashes of a ``.hashes`` file as an array of bytes, read ~1 MB
    of lines at a time and converted a block at a time: splitting the whole file (100k
    hashes, 6.5 MB) in one call held the GIL 15-45 ms, and no list of every hash as Python
    strings is made."""
    parts = [np.array(part, dtype=bytes) for part in _hash_blocks(path, block) if part]
    return np.concatenate(parts) if parts else np.empty(0, dtype="S1")


def _hash_blocks(path: Path, block: int) -> Iterator[list[str]]:
    with open(path, encoding="ascii") as f:
        while lines := f.readlines(block):  # whole lines: no hash is cut between blocks
            yield "".join(lines).split()


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with _saving(tmp), open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def atomic_save_npz(path: Path, **arrays: np.ndarray) -> None:
    """Write numeric arrays as an ``.npz`` via a temporary name (no pickled objects)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp.npz")
    with _saving(tmp), open(tmp, "wb") as f:
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@contextlib.contextmanager
def _saving(tmp: Path) -> Iterator[None]:
    """A failed write of the cache as a message a person can act on ("OSError: 53760 requested
    and 29664 written" told no one the disk was full), and no partial file left behind: on a
    full disk it holds the space the next try needs."""
    try:
        yield
    except OSError as exc:
        full = exc.errno == errno.ENOSPC or _full(tmp.parent)  # a short write has no errno
        tmp.unlink(missing_ok=True)
        if full:
            raise FeaturesNotSaved(
                f"The items' features cannot be saved: the disk holding {tmp.parent} is full. "
                "Free some space and reopen the project; no label is lost."
            ) from exc
        raise FeaturesNotSaved(
            f"The items' features cannot be saved in {tmp.parent}: {exc.strerror or exc}. "
            "No label is lost."
        ) from exc


def _full(folder: Path) -> bool:
    """Whether the disk holding ``folder`` has (next to) no room left."""
    try:
        return shutil.disk_usage(folder).free < FULL_BELOW
    except OSError:
        return False


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
