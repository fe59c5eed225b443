"""Near-duplicates and outliers of the pool, by distance in the space the model sees.

Exact copies are already one item (identity is the content hash); these are the re-encoded,
resized or slightly cropped copies, and the items unlike anything else in the pool (a corrupt
frame, a file of the wrong subject). Both come from one nearest-neighbour pass over the
standardized, weighted feature columns the project's model uses, projected to a few dozen
principal components so that 10,000 items take about a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Pairs closer than this fraction of the median nearest-neighbour distance are near-duplicates.
DUPLICATE_RATIO = 0.2
# Neighbours whose mean distance defines how isolated an item is (the outlier score).
NEIGHBOURS = 5
COMPONENTS = 48


@dataclass(frozen=True)
class NearDuplicate:
    """Two items whose features nearly coincide; ``ratio`` is their distance over the median
    nearest-neighbour distance of the pool (0: identical features)."""

    a: int
    b: int
    ratio: float


@dataclass(frozen=True)
class Outlier:
    """An item far from its neighbours; ``score`` is its mean distance to its nearest
    :data:`NEIGHBOURS` items over the pool's median of the same (1: a typical item)."""

    item_id: int
    score: float


@dataclass(frozen=True, eq=False)
class SpaceReport:
    duplicates: list[NearDuplicate]
    outliers: list[Outlier]


def model_space(
    X: np.ndarray, feature_weights: np.ndarray | None = None, random_state: int = 0
) -> np.ndarray:
    """Rows standardized and weighted as the model sees them, projected to <= 48 dimensions."""
    X = np.asarray(X, dtype=np.float32)
    if feature_weights is not None:
        cols = np.flatnonzero(np.asarray(feature_weights) > 0)
        X = X[:, cols]
        w = np.asarray(feature_weights, dtype=np.float32)[cols]
    else:
        w = np.ones(X.shape[1], dtype=np.float32)
    Z = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-6) * w
    n_comp = min(COMPONENTS, Z.shape[0] - 1, Z.shape[1])
    if n_comp < 2 or Z.shape[1] <= COMPONENTS:
        return Z.astype(np.float32)
    from sklearn.decomposition import PCA

    pca = PCA(n_comp, svd_solver="randomized", random_state=random_state)
    return pca.fit_transform(Z).astype(np.float32)


def _neighbours(Z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances and indices of each row's ``k`` nearest other rows."""
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=k + 1).fit(Z)
    dist, idx = nn.kneighbors(Z)
    # A row is its own nearest neighbour, except among identical rows where the order is
    # arbitrary: drop the self-match wherever it landed.
    own = idx == np.arange(len(Z))[:, None]
    own[~own.any(axis=1), -1] = True
    keep = ~own
    return dist[keep].reshape(len(Z), k), idx[keep].reshape(len(Z), k)


def scan_space(
    item_ids: np.ndarray,
    X: np.ndarray,
    feature_weights: np.ndarray | None = None,
    *,
    top_outliers: int = 100,
    duplicate_ratio: float = DUPLICATE_RATIO,
    random_state: int = 0,
) -> SpaceReport:
    """Near-duplicate pairs (closest first) and the most isolated items (most isolated first).

    Args:
        item_ids: Item id of each row of ``X``.
        X: Feature rows ``(n, d)`` of the items to compare.
        feature_weights: The columns the model uses (``None``: all, unweighted).
        top_outliers: How many outliers to return.
        duplicate_ratio: Pairs closer than this fraction of the median nearest-neighbour
            distance are reported.
    """
    n = len(item_ids)
    if n < 3:
        return SpaceReport([], [])
    Z = model_space(X, feature_weights, random_state)
    k = min(NEIGHBOURS, n - 1)
    dist, idx = _neighbours(Z, k)
    typical = max(float(np.median(dist[:, 0])), 1e-12)
    return SpaceReport(
        _duplicates(item_ids, dist, idx, typical * duplicate_ratio, typical),
        _outliers(item_ids, dist, top_outliers),
    )


def _duplicates(
    item_ids: np.ndarray, dist: np.ndarray, idx: np.ndarray, limit: float, typical: float
) -> list[NearDuplicate]:
    rows, cols = np.nonzero(dist <= limit)
    pairs: dict[tuple[int, int], float] = {}
    for r, c in zip(rows, cols, strict=True):
        a, b = sorted((int(item_ids[r]), int(item_ids[idx[r, c]])))
        pairs[(a, b)] = float(dist[r, c]) / typical
    found = [NearDuplicate(a, b, ratio) for (a, b), ratio in pairs.items()]
    return sorted(found, key=lambda d: (d.ratio, d.a, d.b))


def _outliers(item_ids: np.ndarray, dist: np.ndarray, top: int) -> list[Outlier]:
    isolation = dist.mean(axis=1)
    score = isolation / max(float(np.median(isolation)), 1e-12)
    order = np.argsort(-score, kind="stable")[:top]
    return [Outlier(int(item_ids[r]), float(score[r])) for r in order]
