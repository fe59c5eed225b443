"""The labelled items' feature rows, named rather than copied until a fit needs them.

A round's training matrix is rows of the pool matrix (and, for synthesized items, vectors of
their own). :class:`PoolRows` carries the row numbers; ``np.asarray`` gathers them in the
process that fits. The app's training process maps the pool matrix itself
(:mod:`aldesk.core.shared_pool`), so the app never holds a copy of the labelled rows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class PoolRows:
    """Rows ``rows`` of ``X_pool``; where a row is -1, ``extra[position]`` is the vector.

    ``X_pool`` is None while the request travels to the training process, which puts its own
    mapping of the same matrix back (:meth:`on`).
    """

    X_pool: np.ndarray | None
    rows: np.ndarray
    extra: dict[int, np.ndarray]
    width: int

    @classmethod
    def of(cls, X_pool: np.ndarray, rows: np.ndarray, extra: dict[int, np.ndarray]) -> PoolRows:
        return cls(X_pool, np.asarray(rows, dtype=np.int64), extra, int(X_pool.shape[1]))

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.rows), self.width)

    ndim = 2
    dtype = np.dtype(np.float32)

    def __len__(self) -> int:
        return len(self.rows)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        X = gather(self.X_pool, self.rows, self.extra)
        return X if dtype is None else X.astype(dtype, copy=False)

    def __getitem__(self, key) -> np.ndarray:
        """The rows at positions ``key`` (a slice, indices or a mask), gathered: a fit reads
        many labels a block at a time (:mod:`aldesk.core.standardise`), never all at once."""
        positions = np.arange(len(self.rows))[key]
        extra = {}
        if self.extra:  # synthesized items: few, and most projects have none
            extra = {i: self.extra[p] for i, p in enumerate(positions.tolist()) if p in self.extra}
        return gather(self.X_pool, self.rows[positions], extra)

    def on(self, X_pool: np.ndarray | None) -> PoolRows:
        """The same rows of another mapping of the pool matrix (None: in transit)."""
        return dataclasses.replace(self, X_pool=X_pool)


def rows_of(X) -> np.ndarray | PoolRows:
    """``X`` as a fit reads it: pool rows stay named (read a block at a time), anything else
    becomes a float32 array."""
    return X if isinstance(X, PoolRows) else np.asarray(X, dtype=np.float32)


def gather(X_pool: np.ndarray | None, rows: np.ndarray, extra: dict[int, np.ndarray]) -> np.ndarray:
    """The training matrix: pool rows, and synthesized items' own vectors where rows are -1."""
    if X_pool is None:
        raise ValueError("the pool matrix is not attached")
    if not extra:  # pool rows only: gathered straight into the result, no temporary
        return np.take(X_pool, rows, axis=0).astype(np.float32, copy=False)
    X = np.empty((len(rows), X_pool.shape[1]), dtype=np.float32)
    pooled = rows >= 0
    X[pooled] = X_pool[rows[pooled]]
    for k, vector in extra.items():
        X[k] = vector
    return X
