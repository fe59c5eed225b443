"""Value types of the feature layer: FeatureSet, FeatureResult, Progress."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Progress:
    """Progress of a feature run: items done (cached ones included) of total, rate in items/s,
    and the extractor's key (``kind``) that runs."""

    done: int
    total: int
    rate: float
    eta_seconds: float | None
    kind: str = ""


class HashList(Sequence[str]):
    """Content hashes as one array of ASCII bytes, read back as ``str``: a list of 100k
    64-character strings is 11.7 MB of Python objects, the array 6.4 MB. Hashes that are not
    ASCII (none the app makes) are kept as the list they came in."""

    __slots__ = ("_data",)
    _BLOCK = 8192  # converted a block at a time: 100k at once would hold the GIL ~15 ms

    def __init__(self, hashes: Iterable[str] = ()) -> None:
        if isinstance(hashes, HashList):
            self._data = hashes._data
            return
        hashes = hashes if isinstance(hashes, list) else list(hashes)
        try:
            blocks = [
                np.array(hashes[i : i + self._BLOCK], dtype=bytes)
                for i in range(0, len(hashes), self._BLOCK)
            ]
        except UnicodeEncodeError:
            self._data = hashes
            return
        self._data = np.concatenate(blocks) if blocks else np.empty(0, dtype="S1")

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, i):
        if isinstance(self._data, list):
            return self._data[i]
        if isinstance(i, slice):
            return [b.decode("ascii") for b in self._data[i].tolist()]
        return self._data[i].decode("ascii")

    def __iter__(self) -> Iterator[str]:
        if isinstance(self._data, list):
            yield from self._data
            return
        for start in range(0, len(self._data), self._BLOCK):
            for b in self._data[start : start + self._BLOCK].tolist():
                yield b.decode("ascii")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, HashList | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  (mutable-looking, as the list it replaces)

    def __repr__(self) -> str:
        return f"HashList({list(self)!r})" if len(self) <= 8 else f"HashList(<{len(self)} hashes>)"


@dataclass(frozen=True)
class FeatureSet:
    """Feature rows for content hashes, all from one extractor.

    Attributes:
        extractor_id: id of the extractor (including the dictionary fingerprint, if any).
        X: ``(n, d)`` float32, read-only.
        hashes: content hash of each row, in row order (kept as a :class:`HashList`).
    """

    extractor_id: str
    X: np.ndarray
    hashes: Sequence[str]

    def __post_init__(self) -> None:
        X = np.asarray(self.X, dtype=np.float32)
        if X.ndim != 2 or X.shape[0] != len(self.hashes):
            raise ValueError(f"X has shape {X.shape} for {len(self.hashes)} hashes")
        if X.flags.writeable:
            X = X.view()  # a read-only view: the caller's own array keeps its flags
            X.setflags(write=False)
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "hashes", HashList(self.hashes))

    @cached_property
    def _index(self) -> dict[str, int]:
        # Built on first lookup: the app maps items to rows through their hashes in order
        # (feature_rows) and never asks, and at 100k items the dict is 6 MB.
        return {h: i for i, h in enumerate(self.hashes)}

    def row(self, content_hash: str) -> int | None:
        """Row index of ``content_hash``, or None if it has no features here."""
        return self._index.get(content_hash)

    def __len__(self) -> int:
        return len(self.hashes)


@dataclass(frozen=True)
class FeatureResult:
    """Outcome of :func:`ensure_features`.

    Attributes:
        features: rows for every requested hash now cached (failed and cancelled ones absent).
        failed: hash -> short reason for items that could not be decoded.
        cancelled: True if ``should_stop()`` ended the run early.
        notes: damage found in the cache and repaired (one line each, for the user).
    """

    features: FeatureSet
    failed: dict[str, str]
    cancelled: bool
    notes: tuple[str, ...] = ()
