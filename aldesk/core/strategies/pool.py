"""Pool-based query strategies: score every candidate, query the most informative.

Every score is "higher means more informative". Strategy functions take probability rows (or
features) of the candidates only and return a :class:`Selection` whose ``indices`` are positions
into those rows, best first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aldesk.core.threads import single_threaded

POOL_STRATEGIES: dict[str, str] = {
    "random": "Random: items in random order, a baseline",
    "least_confidence": "Least confidence: the model's top class is least probable",
    "margin": "Margin: the two most probable classes are closest",
    "entropy": "Entropy: the predicted distribution is most spread out",
    "qbc": "Query by committee: the committee members disagree most (vote entropy)",
    "density": "Information density: uncertain and typical of the pool (margin x similarity)",
    "adaptive": "Adaptive: margin, mixed with random picks while the model is still weak",
    "tcm": "Typical, then margin: first the most typical item of each unlabeled region, then margin",
}
# TCM is the default: over six data sets (10 repeats each) it needed fewer labels than plain
# margin to match random sampling's 300-label accuracy on five of them and was ahead at 100
# labels on four (benchmarks/README.md, label efficiency). The adaptive mix lost to margin.
DEFAULT_STRATEGY = "tcm"

# Batch-diverse selection clusters this many top-scored candidates per batch slot. In
# simulations (batch 10) 5 needed 150 / 140 labels on spoken digits / mnist to match random
# sampling's accuracy at 300, 3 needed 150 / 160, plain top-k 160 / 160.
_DIVERSE_POOL_FACTOR = 5


@dataclass(frozen=True, eq=False)
class Selection:
    """Chosen positions, most informative first, with their scores (higher = more informative)."""

    indices: np.ndarray  # intp (k,)
    scores: np.ndarray  # float32 (k,)


def least_confidence_scores(proba: np.ndarray) -> np.ndarray:
    """``1 - max_c p(c|x)`` per row."""
    return (1.0 - top_two(proba)[0]).astype(np.float32, copy=False)


def margin_scores(proba: np.ndarray) -> np.ndarray:
    """``1 - (p_top1 - p_top2)`` per row, so the closest top-two classes score highest."""
    if proba.shape[1] < 2:
        return np.zeros(proba.shape[0], dtype=np.float32)
    first, second = top_two(proba)
    return (1.0 - (first - second)).astype(np.float32, copy=False)


def top_two(proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest and second-largest value of each row (second is ``-inf`` with one column).

    A running maximum over the few class columns is ~4x faster than ``np.partition`` along
    the short axis on a 100k-row pool.
    """
    first = np.array(proba[:, 0], dtype=np.float32)
    second = np.full_like(first, -np.inf)
    smaller = np.empty_like(first)
    for j in range(1, proba.shape[1]):
        column = proba[:, j]
        np.minimum(first, column, out=smaller)
        np.maximum(second, smaller, out=second)
        np.maximum(first, column, out=first)
    return first, second


def entropy_scores(proba: np.ndarray) -> np.ndarray:
    """Shannon entropy (nats) of each row; zero probabilities contribute nothing."""
    p = np.asarray(proba, dtype=np.float32)
    logp = np.log(np.where(p > 0, p, 1.0))
    return -(p * logp).sum(axis=1)


def vote_entropy_scores(committee_proba: np.ndarray) -> np.ndarray:
    """Vote entropy of a committee (Dagan & Engelson 1995).

    Args:
        committee_proba: ``(m, n, n_classes)`` probabilities of each of ``m`` members.

    Returns:
        Entropy of the members' hard votes for each of the ``n`` rows.
    """
    m, n, n_classes = committee_proba.shape
    votes = committee_proba.argmax(axis=2)  # (m, n)
    # One bincount over (row, class) cells counts every member's vote at once.
    cells = (np.arange(n) * n_classes + votes).ravel()
    counts = np.bincount(cells, minlength=n * n_classes).reshape(n, n_classes)
    return entropy_scores((counts / m).astype(np.float32))


def density_weights(
    X: np.ndarray, random_state: int | None, sample_size: int = 2000, beta: float = 1.0
) -> np.ndarray:
    """Average cosine similarity of each row to the pool, to the power ``beta``.

    Settles & Craven (2008) weigh uncertainty by the mean similarity to the pool. For cosine
    similarity that mean is the dot product with the mean unit vector, so it costs one pass over
    ``X``; the mean is estimated on a random subsample of ``sample_size`` rows.

    Args:
        X: Features of the rows to weigh ``(n, d)``.
        random_state: Seed for the subsample.
        sample_size: Rows used to estimate the pool's mean direction.
        beta: Importance of density relative to uncertainty.

    Returns:
        Float32 weights in ``[0, 1]`` (negative similarities clip to zero).
    """
    n = X.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    rng = np.random.default_rng(random_state)
    sample = X[rng.choice(n, size=min(sample_size, n), replace=False)]
    centroid = _unit_rows(sample).mean(axis=0)
    sims = (X @ centroid) / np.maximum(_row_norms(X), 1e-12)
    return np.clip(sims, 0.0, 1.0).astype(np.float32) ** beta


def top_k(scores: np.ndarray, k: int) -> Selection:
    """The ``k`` highest scores, best first, found with ``argpartition`` (no full sort)."""
    n = scores.shape[0]
    k = min(k, n)
    if k <= 0:
        return Selection(np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32))
    idx = np.argpartition(-scores, k - 1)[:k] if k < n else np.arange(n)
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    return Selection(idx.astype(np.intp), scores[idx].astype(np.float32))


def select_random(n: int, k: int, random_state: int | None) -> Selection:
    """``k`` of ``n`` positions uniformly at random; scores are the random keys."""
    keys = np.random.default_rng(random_state).random(n).astype(np.float32)
    return top_k(keys, k)


def select_least_confidence(proba: np.ndarray, k: int) -> Selection:
    """The ``k`` rows whose top class is least probable."""
    return top_k(least_confidence_scores(proba), k)


def select_margin(proba: np.ndarray, k: int) -> Selection:
    """The ``k`` rows whose two most probable classes are closest."""
    return top_k(margin_scores(proba), k)


def select_entropy(proba: np.ndarray, k: int) -> Selection:
    """The ``k`` rows with the most spread-out predicted distribution."""
    return top_k(entropy_scores(proba), k)


def select_qbc(committee_proba: np.ndarray, k: int) -> Selection:
    """The ``k`` rows on which the committee's votes disagree most."""
    return top_k(vote_entropy_scores(committee_proba), k)


def select_density(
    proba: np.ndarray, X: np.ndarray, k: int, random_state: int | None, beta: float = 1.0
) -> Selection:
    """The ``k`` rows maximising margin uncertainty times similarity to the pool."""
    return top_k(margin_scores(proba) * density_weights(X, random_state, beta=beta), k)


def select(
    name: str,
    proba: np.ndarray,
    k: int,
    random_state: int | None,
    *,
    X: np.ndarray | None = None,
    committee_proba: np.ndarray | None = None,
) -> Selection:
    """Run the pool strategy ``name`` with one call shape for every strategy.

    Args:
        name: A key of :data:`POOL_STRATEGIES`.
        proba: ``(n, n_classes)`` probabilities of the candidates.
        k: How many to select.
        random_state: Seed for strategies with random steps (``random``, ``density``).
        X: Candidate features, needed by ``density``.
        committee_proba: ``(m, n, n_classes)`` member probabilities, needed by ``qbc``.

    Raises:
        ValueError: Unknown strategy, or its extra input is missing.
    """
    if name == "random":
        return select_random(proba.shape[0], k, random_state)
    if name == "least_confidence":
        return select_least_confidence(proba, k)
    # adaptive's random share needs the model's skill, tcm's cold start the labelled features:
    # both are margin here and complete in ranking.fit_and_rank.
    if name in ("margin", "adaptive", "tcm"):
        return select_margin(proba, k)
    if name == "entropy":
        return select_entropy(proba, k)
    if name == "qbc" and committee_proba is not None:
        return select_qbc(committee_proba, k)
    if name == "density" and X is not None:
        return select_density(proba, X, k, random_state)
    if name in POOL_STRATEGIES:
        raise ValueError(f"strategy {name!r} needs {'X' if name == 'density' else 'a committee'}")
    raise ValueError(f"unknown strategy {name!r}")


def batch_diverse(
    X: np.ndarray,
    scores: np.ndarray,
    k: int,
    pool_factor: int = _DIVERSE_POOL_FACTOR,
    weights: np.ndarray | None = None,
) -> Selection:
    """A batch of ``k`` uncertain rows that are not near-copies of each other.

    The ``pool_factor * k`` top-scored rows are clustered into ``k`` groups (k-means on their
    standardised features) and each group gives its top-scored row. Farthest-first traversal,
    the other common choice, picks outliers first; on the spoken-digit set it made margin
    sampling need 190 labels instead of 150 to match random sampling's accuracy at 300.

    Args:
        X: Features ``(n, d)`` of the rows ``scores`` refers to.
        scores: Informativeness per row (higher = more informative).
        k: Batch size.
        pool_factor: How many top-scored rows per batch slot to choose among.
        weights: Per-column weights of the representation the model is trained on (see
            :mod:`aldesk.core.representation`), applied after standardising as the model
            applies them; columns of weight 0 are left out. Near-copies are then judged in the
            space the model compares items in, not in columns it does not use. None: every
            column, unweighted.

    Returns:
        ``k`` positions, most informative first, with their scores.
    """
    shortlist = top_k(scores, max(k, pool_factor * k))
    if k <= 1 or len(shortlist.indices) <= k:
        return Selection(shortlist.indices[:k], shortlist.scores[:k])
    labels = _cluster_labels(np.asarray(X[shortlist.indices], dtype=np.float64), k, weights)
    # Shortlist positions are in score order, so each cluster's first member is its best.
    _, first = np.unique(labels, return_index=True)
    chosen = np.sort(first)
    if len(chosen) < k:  # fewer distinct rows than k: fill up in score order
        rest = np.setdiff1d(np.arange(len(labels)), chosen, assume_unique=True)
        chosen = np.sort(np.concatenate([chosen, rest[: k - len(chosen)]]))
    return Selection(shortlist.indices[chosen], shortlist.scores[chosen])


def _cluster_labels(X: np.ndarray, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    """k-means labels of the rows of X, standardised and weighted (deterministic,
    single-threaded)."""
    import warnings

    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    if weights is not None:
        used = np.flatnonzero(weights)
        X, weights = X[:, used], np.asarray(weights, dtype=np.float64)[used]
    Z = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-6)
    if weights is not None:
        Z *= weights
    # One thread: OpenMP hand-offs cost more than a few dozen rows of k-means.
    with warnings.catch_warnings(), single_threaded():
        warnings.simplefilter("ignore", ConvergenceWarning)  # duplicates: fewer clusters
        return KMeans(k, n_init=1, random_state=0).fit_predict(Z)


def _unit_rows(X: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    return X / np.maximum(_row_norms(X), 1e-12)[:, None]


def _row_norms(X: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row without an ``(n, d)`` temporary."""
    return np.sqrt(np.einsum("ij,ij->i", X, X))


def exploit_count(k: int, skill: float, rng: np.random.Generator) -> int:
    """How many of a batch of ``k`` go to the uncertainty ranking, the rest being random.

    A model's uncertainty is only worth following as far as the model is right: with a few
    labels on a hard many-class task its margins are noise, and chasing them lost to plain
    random sampling (clip art, instruments). So the expected share of uncertainty picks is the
    model's cross-validated skill above chance, ``skill`` in [0, 1]; the fractional part is
    drawn at random so that small batches (k = 1) follow the same share on average.
    """
    exact = min(max(skill, 0.0), 1.0) * k
    return int(min(k, np.floor(exact + rng.random())))


def skill_above_chance(accuracy: float, n_classes: int) -> float:
    """``(accuracy - 1/C) / (1 - 1/C)``, clipped to [0, 1]: 0 for guessing, 1 for perfect."""
    if n_classes < 2:
        return 0.0
    chance = 1.0 / n_classes
    return float(min(max((accuracy - chance) / (1.0 - chance), 0.0), 1.0))
