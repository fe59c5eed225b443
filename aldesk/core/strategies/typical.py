"""Typicality: prefer items that sit in dense regions of the pool (TypiClust, Hacohen et al. 2022).

With few labels on a hard many-class task a model's margins are noise, and chasing them picks
odd, atypical items that teach little about the rest of the pool. TypiClust instead covers the
pool: it clusters it into (labelled + batch) groups and asks for the most typical item of each
group that has no label yet, largest groups first. TCM (Doucet et al. 2023) starts with TypiClust
and switches to margin once the model has a few labels per class.

Everything runs on a random subsample projected to a few dozen principal components, so the cost
does not grow with the pool.
"""

from __future__ import annotations

import warnings

import numpy as np

from aldesk.core.strategies.pool import Selection
from aldesk.core.threads import single_threaded

# Rows clustered: enough for a few hundred clusters, few enough for k-means in well under a second.
SAMPLE = 3000
# Principal components kept; k-means in a 2,000-d embedding would be slow and no better.
COMPONENTS = 48
# TCM hands over to margin once there are this many labels per class: by then the model's
# margins mean something (Doucet et al. switch after a few labels per class).
TCM_LABELS_PER_CLASS = 3
# Neighbours whose mean distance defines typicality (TypiClust's value).
NEIGHBOURS = 20
# Clusters per batch slot for the order past the batch: items a fast labeller reaches before
# the next retrain stay spread over the pool.
FALLBACK_CLUSTERS = 10


def embed(X: np.ndarray, random_state: int) -> np.ndarray:
    """Standardise the columns of ``X`` and project to at most :data:`COMPONENTS` dimensions."""
    from sklearn.decomposition import PCA

    X = np.asarray(X, dtype=np.float32)
    Z = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-6)
    n_comp = min(COMPONENTS, Z.shape[0] - 1, Z.shape[1])
    if n_comp < 2:
        return Z
    pca = PCA(n_comp, svd_solver="randomized", random_state=random_state)
    return pca.fit_transform(Z).astype(np.float32)


def typicality(Z: np.ndarray, neighbours: int = NEIGHBOURS) -> np.ndarray:
    """Inverse mean Euclidean distance of each row to its nearest ``neighbours`` rows of ``Z``."""
    n = Z.shape[0]
    if n < 2:
        return np.ones(n, dtype=np.float32)
    m = min(neighbours, n - 1)
    sq = np.einsum("ij,ij->i", Z, Z)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * (Z @ Z.T), 0.0)
    np.fill_diagonal(d2, np.inf)
    nearest = np.partition(d2, m - 1, axis=1)[:, :m]
    return (1.0 / (np.sqrt(nearest).mean(axis=1) + 1e-6)).astype(np.float32)


def sample_positions(n: int, random_state: int) -> np.ndarray:
    """The sorted positions, of ``n`` candidates, that TypiClust clusters (at most
    :data:`SAMPLE`): drawn first so that only those rows are ever gathered from the pool."""
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=min(SAMPLE, n), replace=False))


def typiclust(
    X_candidates: np.ndarray, X_labelled: np.ndarray, k: int, random_state: int
) -> Selection:
    """The most typical item of each of the ``k`` largest clusters that hold no label yet.

    Args:
        X_candidates: Features of the candidates ``(n, d)`` (a subsample is clustered).
        X_labelled: Features of the labelled items ``(m, d)``.
        k: Batch size.
        random_state: Seed for the subsample, PCA and k-means.

    Returns:
        Positions into ``X_candidates``, first ``k`` chosen as above, most typical first after.
    """
    rows = sample_positions(X_candidates.shape[0], random_state)
    chosen = typiclust_sample(X_candidates[rows], X_labelled, k, random_state)
    return Selection(rows[chosen.indices], chosen.scores)


def typiclust_sample(
    X_sample: np.ndarray, X_labelled: np.ndarray, k: int, random_state: int
) -> Selection:
    """:func:`typiclust` on candidates already subsampled by :func:`sample_positions`.

    Runs on one BLAS / OpenMP thread: the matrices are small (a few thousand rows), and with
    the default two threads on a busy 2-core machine the PCA's LU steps and k-means took
    3-6 s instead of 0.25 s (spin-waiting threads).

    Returns:
        Positions into ``X_sample``, first ``k`` chosen, most typical first after.
    """
    with single_threaded():
        return _typiclust_sample(X_sample, X_labelled, k, random_state)


def _typiclust_sample(
    X_sample: np.ndarray, X_labelled: np.ndarray, k: int, random_state: int
) -> Selection:
    n = X_sample.shape[0]
    Z = embed(np.vstack([X_sample, X_labelled]), random_state)
    typ = typicality(Z[:n])
    clusters = _clusters(Z, typ, len(X_labelled) + k, random_state)
    head = np.array([members[0] for members in clusters[:k]], dtype=np.intp)
    # Past the batch (the user answers faster than the model retrains), more of the same: the
    # most typical item of each of many more clusters, then the second of each, and so on.
    # The pool's overall typicality asked 46 of 59 such items from its one densest class.
    finer = _clusters(Z, typ, len(X_labelled) + FALLBACK_CLUSTERS * k, random_state)
    rounds = max((len(m) for m in finer), default=0)
    spread = [int(m[r]) for r in range(rounds) for m in finer if r < len(m)]
    rest = np.array([i for i in spread if i not in set(head.tolist())], dtype=np.intp)
    positions = np.concatenate([head, rest])
    falling = 1.0 - np.arange(len(rest), dtype=np.float32) / max(len(rest), 1)
    scores = np.concatenate([np.full(len(head), 2.0), falling])
    return Selection(positions.astype(np.intp), scores.astype(np.float32))


def _clusters(
    Z: np.ndarray, typ: np.ndarray, n_clusters: int, random_state: int
) -> list[np.ndarray]:
    """k-means of the candidates and labelled rows of ``Z`` (the first ``len(typ)`` are the
    candidates, ``typ`` their typicality in the pool): each cluster with no label, largest
    first, then the labelled ones, as the candidates' positions, most typical first within
    each (TypiClust's typicality inside the cluster)."""
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    n = len(typ)
    n_clusters = int(min(n_clusters, n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = KMeans(n_clusters, n_init=1, max_iter=50, random_state=random_state).fit_predict(Z)
    cand_labels, lab_labels = labels[:n], labels[n:]
    sizes = np.bincount(cand_labels, minlength=n_clusters)
    covered = np.zeros(n_clusters, dtype=bool)
    covered[lab_labels] = True
    out = []
    for c in np.lexsort((-sizes, covered)):  # uncovered first, then largest
        members = np.flatnonzero(cand_labels == c)
        if len(members):
            local = typicality(Z[members]) if len(members) > 2 else typ[members]
            out.append(members[np.argsort(-local, kind="stable")])
    return out
