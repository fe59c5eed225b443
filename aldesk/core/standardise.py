"""Column standardisation of a large labelled matrix, a block of rows at a time.

scikit-learn's ``StandardScaler.fit`` on a float32 matrix makes a float64 copy of the whole of
it to compute the variance (plus a boolean NaN mask), and ``transform`` then makes a float32
copy: fitting 50,000 labels x 448 columns peaked at ~200 MB above the rows themselves. Here the
moments are accumulated in float64 over blocks of rows, and the standardised float32 matrix is
the only full-size array made. ``X`` only needs ``shape`` and row slicing, so the rows can be
named pool rows (``training_rows.PoolRows``) gathered a block at a time. The results match
scikit-learn's to float32 rounding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sklearn.preprocessing import StandardScaler

# Rows per block: 1,024 x 448 float64 is 3.5 MB of temporaries (the whole of what a fit adds
# when it reads its rows by block), and blocks this size keep the per-block NumPy overhead
# negligible.
BLOCK = 1024


def column_moments(
    X: np.ndarray, columns: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and (population) variance of ``X[:, columns]`` (every column when
    ``columns`` is None), in float64, two passes by block.

    The second pass subtracts the mean before squaring, so a column with a large offset and a
    small spread keeps its precision (the one-pass sum of squares would cancel).
    """
    n = X.shape[0]
    d = X.shape[1] if columns is None else len(columns)
    total = np.zeros(d, dtype=np.float64)
    for block in row_blocks(n):
        total += _rows(X, block, columns).sum(axis=0, dtype=np.float64)
    mean = total / max(n, 1)
    squares = np.zeros(d, dtype=np.float64)
    for block in row_blocks(n):
        squares += _squared_deviations(_rows(X, block, columns), mean)
    return mean, squares / max(n, 1)


def _squared_deviations(rows: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Per-column sum of squared deviations of a block (its temporaries go when it returns,
    so a loop never holds two blocks' worth)."""
    centred = rows.astype(np.float64)
    centred -= mean  # in place: one float64 block of temporaries, not two
    return np.einsum("ij,ij->j", centred, centred)


def safe_scale(var: np.ndarray) -> np.ndarray:
    """Standard deviations with constant columns mapped to 1, as scikit-learn does, so they
    are centred but not divided by zero."""
    scale = np.sqrt(var)
    scale[scale < 10 * np.finfo(scale.dtype).eps] = 1.0
    return scale


def standardised(
    X: np.ndarray, mean: np.ndarray, scale: np.ndarray, columns: np.ndarray | None = None
) -> np.ndarray:
    """``(X[:, columns] - mean) / scale`` as a new float32 matrix, a block of rows at a time
    (so the column subset is never gathered whole)."""
    out = np.empty((X.shape[0], len(mean)), dtype=np.float32)
    for block in row_blocks(X.shape[0]):
        out[block] = (_rows(X, block, columns) - mean) / scale
    return out


def _rows(X: np.ndarray, block: slice, columns: np.ndarray | None) -> np.ndarray:
    return X[block] if columns is None else X[block][:, columns]


def row_blocks(n: int, size: int = BLOCK) -> list[slice]:
    """Slices covering rows ``0..n`` in order, ``size`` rows each (the last one shorter)."""
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def fit_scaler(
    scaler: StandardScaler,
    X: np.ndarray,
    weights: np.ndarray | None,
    columns: np.ndarray | None = None,
) -> StandardScaler:
    """Standardise, then weight each column: dividing ``scale_`` by the weight does both at
    once, and the folded scorers (``W / scale_``) pick the weighting up with no extra step.

    The moments are computed by block (:func:`column_moments`) and set on the scaler
    as its ``fit`` would, without ``fit``'s float64 copy of the whole matrix."""
    mean, var = column_moments(X, columns)
    scaler.mean_, scaler.var_, scaler.scale_ = mean, var, safe_scale(var)
    scaler.n_features_in_, scaler.n_samples_seen_ = len(mean), X.shape[0]
    if weights is not None:
        scaler.scale_ = scaler.scale_ / weights
    return scaler
