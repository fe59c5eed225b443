"""Value types of the feature layer: FeatureSet, FeatureResult, Progress."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Progress:
    """Progress of a feature run: items done (cached ones included) of total, rate in items/s."""

    done: int
    total: int
    rate: float
    eta_seconds: float | None


@dataclass(frozen=True)
class FeatureSet:
    """Feature rows for content hashes, all from one extractor.

    Attributes:
        extractor_id: id of the extractor (including the dictionary fingerprint, if any).
        X: ``(n, d)`` float32, read-only.
        hashes: content hash of each row, in row order.
    """

    extractor_id: str
    X: np.ndarray
    hashes: list[str]

    def __post_init__(self) -> None:
        X = np.asarray(self.X, dtype=np.float32)
        if X.ndim != 2 or X.shape[0] != len(self.hashes):
            raise ValueError(f"X has shape {X.shape} for {len(self.hashes)} hashes")
        if X.flags.writeable:
            X = X.view()  # a read-only view: the caller's own array keeps its flags
            X.setflags(write=False)
        object.__setattr__(self, "X", X)

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
