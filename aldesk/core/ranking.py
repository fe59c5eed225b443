"""One training round: fit on the labels, then rank the pool for the next queries.

``fit_and_rank`` is the pure work function the GUI's training lane runs in a worker thread
(Orange's ``run``): it takes a frozen :class:`RankRequest`, touches nothing shared, and returns a
:class:`Ranking` the GUI thread swaps in at once.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from aldesk.core import representation
from aldesk.core.learner import FittedModel, TrainingSnapshot, train
from aldesk.core.representation import Choice, Layout
from aldesk.core.strategies import pool, seed, typical
from aldesk.core.strategies.pool import POOL_STRATEGIES, Selection
from aldesk.core.validation import choice_scorer

# The ranking keeps at least this many items so the app can serve queries until the next retrain.
_MIN_ORDER = 200
# ... and ten batches' worth when batches are large.
_BATCHES_KEPT = 10
# Clusters for the cold-start representative ranking; more than one batch so a person labelling
# one item at a time also walks through several clusters.
_MIN_SEED_CLUSTERS = 16
# Candidates clustered for the cold start; k-means on more is slow and no more representative.
_SEED_SAMPLE = 2000
# Strategies that rank by margin: the scoring pass computes it block by block on the way.
_MARGIN_STRATEGIES = ("margin", "adaptive", "tcm", "density")


@dataclass(frozen=True, eq=False)
class RankRequest:
    """Everything one round needs, frozen for the worker.

    Attributes:
        snapshot: Labels and model settings to train on.
        X_pool: Features of every item, float32 ``(N, d)``; never copied.
        candidates: Row indices of ``X_pool`` that may be queried (unlabelled, pool split).
        strategy: A name from :data:`POOL_STRATEGIES` or ``seed.SEED_STRATEGIES``.
        k: Batch size; ``k > 1`` makes the first ``k`` items batch-diverse.
        round: Round number, echoed into the :class:`Ranking`.
        random_state: Seed for every random step of ranking.
        layout: Blocks of ``X_pool`` (pool-learned, pretrained); None: one block, all used.
        representation: ``auto`` (cross-validated choice) or a pinned candidate.
        recorded_choice: ``(name, n_labels)`` of the project's latest recorded round: a model
            rebuilt with no model in memory (a reopen, ``aldesk train``, an export with
            predictions) keeps that representation as the app's next round would.
    """

    snapshot: TrainingSnapshot
    X_pool: np.ndarray
    candidates: np.ndarray
    strategy: str = pool.DEFAULT_STRATEGY
    k: int = 1
    round: int = 0
    random_state: int = 0
    layout: Layout | None = None
    representation: str = representation.DEFAULT_REPRESENTATION
    recorded_choice: tuple[str, int] | None = None


@dataclass(frozen=True, eq=False)
class Ranking:
    """The result of a round.

    Attributes:
        round: The request's round number.
        order: Candidate row indices, most informative first; the first ``k`` are batch-diverse
            when ``k > 1``. Length ``min(len(candidates), max(200, 10 * k))``.
        scores: Informativeness of each item of ``order`` (higher = more informative).
        proba: Float32 ``(N, n_classes)`` probabilities for every row of ``X_pool``.
        strategy: The strategy actually used (a seed strategy when fewer than two classes have
            labels).
        fit_seconds: Wall time of the fit.
        rank_seconds: Wall time of scoring and ordering.
        model: The fitted model (for synthesis and stopping; never persisted).
        choice: Which representation the model was trained on, and why.
    """

    round: int
    order: np.ndarray
    scores: np.ndarray
    proba: np.ndarray
    strategy: str
    fit_seconds: float
    rank_seconds: float
    model: FittedModel | None = None
    choice: Choice | None = None


def fit_and_rank(
    request: RankRequest,
    should_stop: Callable[[], bool] | None = None,
    fitter: Fitter | None = None,
) -> Ranking | None:
    """Train on ``request.snapshot`` and rank ``request.candidates``.

    Query-by-committee needs a committee, so ``strategy='qbc'`` trains the ``committee`` model
    whatever the snapshot asks for. With fewer than two labelled classes the ranking falls back to
    the representative seed strategy (or random, if that was asked for).

    Args:
        request: The frozen round request.
        should_stop: Polled before and after the fit; a newer request makes it return true.
        fitter: Runs the representation choice and the fit (:func:`fit_model`, here, by
            default; :mod:`aldesk.core.train_process` runs it in a worker process).

    Returns:
        The ranking, or ``None`` when ``should_stop()`` became true.
    """
    stop = should_stop or (lambda: False)
    fitter = fitter or fit_model
    if stop():
        return None
    snapshot = request.snapshot
    if request.strategy == "qbc" and snapshot.model != "committee":
        snapshot = dataclasses.replace(snapshot, model="committee", previous_choice=None)
    t0 = time.perf_counter()
    fit = FitRequest(snapshot, request.layout, request.representation, request.random_state,
                     request.recorded_choice)  # fmt: skip
    model = fitter(fit, stop)
    t1 = time.perf_counter()
    if model is None or stop():
        return None
    choice = model.choice
    committee = model.committee_proba(request.X_pool) if request.strategy == "qbc" else None
    if committee is not None:
        # The committee's mean is its prediction; reuse it rather than score the pool twice.
        proba, margin = committee.mean(axis=0), None
    elif request.strategy in _MARGIN_STRATEGIES:
        proba, margin = model.proba_and_margin(request.X_pool)
    else:
        proba, margin = model.predict_proba(request.X_pool), None
    strategy, selection = _rank(request, model, proba, committee, margin)
    t2 = time.perf_counter()
    order = np.asarray(request.candidates, dtype=np.intp)[selection.indices]
    return Ranking(
        request.round, order, selection.scores, proba, strategy, t1 - t0, t2 - t1, model, choice
    )


@dataclass(frozen=True, eq=False)
class FitRequest:
    """What the fit of a round needs (no pool matrix): the part of a round that holds the GIL
    longest, so the GUI can run it in another process (:mod:`aldesk.core.train_process`)."""

    snapshot: TrainingSnapshot
    layout: Layout | None
    representation: str
    random_state: int
    recorded_choice: tuple[str, int] | None = None


Fitter = Callable[[FitRequest, Callable[[], bool]], FittedModel | None]


def fit_model(fit: FitRequest, should_stop: Callable[[], bool]) -> FittedModel | None:
    """Choose the representation (cross-validated) and train on it; ``None`` if stopped.

    The model's ``choice`` says which representation it was trained on, and why.
    """
    # The labelled rows are gathered in the process that fits (see training_rows): at once
    # when few, else a block at a time by the fit (and a subset by the representation choice).
    X = fit.snapshot.X
    if len(X) <= representation.MAX_LABELS_TO_SCORE:
        X = np.asarray(X)
    snapshot = dataclasses.replace(fit.snapshot, X=X)
    choice, snapshot = _choose_representation(fit, snapshot)
    if should_stop():
        return None
    model = train(snapshot)
    model.choice = choice
    return model


def _choose_representation(
    fit: FitRequest, snapshot: TrainingSnapshot
) -> tuple[Choice | None, TrainingSnapshot]:
    """The representation this round trains on, and the snapshot weighted for it."""
    layout = fit.layout
    if layout is None:
        return None, snapshot
    previous = snapshot.previous_choice
    if previous is None and fit.recorded_choice is not None:
        previous = representation.recorded(*fit.recorded_choice, layout, fit.representation)

    choice = representation.choose(
        snapshot.X, snapshot.y, layout, fit.representation, previous,
        choice_scorer(fit.random_state),
    )  # fmt: skip
    weights = layout.weights(choice.name)
    return choice, dataclasses.replace(snapshot, feature_weights=weights)


def order_length(n_candidates: int, k: int) -> int:
    """How many candidates a ranking keeps: ``min(n, max(200, 10 k))``."""
    return min(n_candidates, max(_MIN_ORDER, _BATCHES_KEPT * k))


def _rank(
    request: RankRequest,
    model: FittedModel,
    proba: np.ndarray,
    committee: np.ndarray | None,
    margin: np.ndarray | None = None,
) -> tuple[str, Selection]:
    """Positions into ``request.candidates``, best first, and the strategy that chose them.

    ``margin`` is ``pool.margin_scores(proba)`` when the scoring pass already computed it.
    """
    candidates = np.asarray(request.candidates, dtype=np.intp)
    if len(candidates) == 0:  # nothing left to ask (a stream with every arrival decided)
        return request.strategy, Selection(np.empty(0, np.intp), np.empty(0, np.float32))
    length = order_length(len(candidates), request.k)
    seed_only = request.strategy in seed.SEED_STRATEGIES and request.strategy not in POOL_STRATEGIES
    if len(model.classes) < 2 or seed_only:
        return _rank_seed(request, candidates, length)
    if request.strategy not in POOL_STRATEGIES:
        raise ValueError(f"unknown strategy {request.strategy!r}")
    if margin is None and request.strategy in _MARGIN_STRATEGIES:
        margin = pool.margin_scores(proba)
    scores = _scores(request, proba, committee, candidates, margin)
    if request.strategy == "adaptive":
        return request.strategy, _order_adaptive(request, model, candidates, scores, length)
    if request.strategy == "tcm":
        # The phase is named so "Why this item?" can say which one chose the item.
        phase = "typical" if _tcm_typical_phase(request, model) else request.strategy
        return phase, _order_tcm(request, model, margin, candidates, length)
    # Random stays uniform: thinning random picks to far-apart ones biases them to outliers,
    # and random is the baseline every other strategy is measured against.
    k = 1 if request.strategy == "random" else request.k
    weights = _model_weights(request, model)
    return request.strategy, _order(request.X_pool, candidates, scores, k, length, weights)


def _order_adaptive(
    request: RankRequest,
    model: FittedModel,
    candidates: np.ndarray,
    scores: np.ndarray,
    length: int,
) -> Selection:
    """Margin order whose first batch mixes in random picks by the model's measured skill.

    The share of margin picks is :func:`pool.exploit_count` of the model's cross-validated
    accuracy (computed with the representation choice); the rest of the batch is uniform
    random among the candidates, as labeling in random order would pick them.
    """
    rng = np.random.default_rng(request.random_state)
    choice = getattr(model, "choice", None)
    accuracy = choice.accuracy() if choice is not None else None
    skill = 1.0 if accuracy is None else pool.skill_above_chance(accuracy, len(model.classes))
    k = min(request.k, len(candidates))
    n_margin = pool.exploit_count(k, skill, rng)
    weights = _model_weights(request, model)
    ranked = _order(request.X_pool, candidates, scores, max(n_margin, 1), length, weights)
    first = ranked.indices[:n_margin]
    others = np.setdiff1d(np.arange(len(candidates)), first, assume_unique=False)
    explore = rng.choice(others, size=min(k - n_margin, len(others)), replace=False)
    head = np.concatenate([first, explore]).astype(np.intp)
    tail = ranked.indices[~np.isin(ranked.indices, head)]
    indices = np.concatenate([head, tail])[:length]
    return Selection(indices, scores[indices].astype(np.float32))


def _order_tcm(
    request: RankRequest,
    model: FittedModel,
    margin: np.ndarray,
    candidates: np.ndarray,
    length: int,
) -> Selection:
    """TCM: TypiClust while there are fewer than a few labels per class, then margin."""
    if not _tcm_typical_phase(request, model):
        scores = margin[candidates]
        weights = _model_weights(request, model)
        return _order(request.X_pool, candidates, scores, request.k, length, weights)
    weights = _model_weights(request, model)
    # Only the clustered subsample is gathered: every candidate's row would copy the pool
    # (70 ms and 200 MB at 100k x 512).
    rows = typical.sample_positions(len(candidates), request.random_state)
    chosen = typical.typiclust_sample(
        _weighted_rows(request.X_pool, candidates[rows], weights),
        _weighted_rows(request.snapshot.X, None, weights),
        request.k,
        request.random_state,
    )
    return Selection(rows[chosen.indices[:length]], chosen.scores[:length])


def _tcm_typical_phase(request: RankRequest, model: FittedModel) -> bool:
    """TCM picks typical items while there are fewer than a few labels per class."""
    return len(request.snapshot.y) < typical.TCM_LABELS_PER_CLASS * model.n_classes


def _model_weights(request: RankRequest, model: FittedModel) -> np.ndarray | None:
    """Column weights of the representation the model was trained on (None: every column)."""
    choice = getattr(model, "choice", None)
    if request.layout is None or choice is None:
        return None
    return request.layout.weights(choice.name)


def _weighted_rows(
    X: np.ndarray, rows: np.ndarray | None, weights: np.ndarray | None
) -> np.ndarray:
    """``X[rows]`` restricted to the used columns and scaled as the model sees them."""
    picked = np.asarray(X) if rows is None else X[rows]
    if weights is None:
        return np.asarray(picked, dtype=np.float32)
    cols = np.flatnonzero(weights > 0)
    return np.asarray(picked[:, cols], dtype=np.float32) * weights[cols].astype(np.float32)


def _scores(
    request: RankRequest,
    proba: np.ndarray,
    committee: np.ndarray | None,
    candidates: np.ndarray,
    margin: np.ndarray | None,
) -> np.ndarray:
    """Informativeness of every candidate under the requested pool strategy.

    Rows are scored in full and the 1-D result indexed: cheaper than gathering candidate rows
    of ``proba`` (or of the features, which would copy the pool).
    """
    name = request.strategy
    if name == "random":
        return (
            np.random.default_rng(request.random_state).random(len(candidates)).astype(np.float32)
        )
    if name == "least_confidence":
        return pool.least_confidence_scores(proba)[candidates]
    if name == "entropy":
        return pool.entropy_scores(proba)[candidates]
    if name == "qbc":
        return pool.vote_entropy_scores(committee)[candidates]
    if name == "density":
        weights = pool.density_weights(request.X_pool, request.random_state)
        return (margin * weights)[candidates]
    return margin[candidates]  # margin, adaptive, tcm


def _order(
    X_pool: np.ndarray,
    candidates: np.ndarray,
    scores: np.ndarray,
    k: int,
    length: int,
    weights: np.ndarray | None = None,
) -> Selection:
    """Top ``length`` by score, with the first ``k`` replaced by a batch-diverse pick, diverse
    in the representation the model sees (``weights``, see :func:`pool.batch_diverse`)."""
    ranked = pool.top_k(scores, length)
    if k <= 1 or len(ranked.indices) <= 1:
        return ranked
    rows = X_pool[candidates[ranked.indices]]
    batch = pool.batch_diverse(rows, ranked.scores, k, weights=weights)
    first = ranked.indices[batch.indices]
    rest = np.setdiff1d(np.arange(len(ranked.indices)), batch.indices, assume_unique=True)
    # setdiff1d sorts its output, and positions in ``ranked`` are already in score order.
    indices = np.concatenate([first, ranked.indices[rest]])
    scores_out = np.concatenate([batch.scores, ranked.scores[rest]])
    return Selection(indices, scores_out)


def _rank_seed(request: RankRequest, candidates: np.ndarray, length: int) -> tuple[str, Selection]:
    """Cold-start order: representative cluster medoids first, then random."""
    n = len(candidates)
    randomly = seed.seed_random(n, length, request.random_state)
    if request.strategy == "random":
        return "random", randomly
    # Cluster a subsample gathered straight from the pool: gathering every candidate's features
    # first would copy the whole pool.
    rng = np.random.default_rng(request.random_state)
    sample = np.sort(rng.choice(n, size=min(_SEED_SAMPLE, n), replace=False))
    clustered = seed.seed_representative(
        request.X_pool[candidates[sample]],
        max(request.k, _MIN_SEED_CLUSTERS),
        request.random_state,
        sample_size=_SEED_SAMPLE,
    )
    first = Selection(sample[clustered.indices], clustered.scores)
    rest = randomly.indices[~np.isin(randomly.indices, first.indices)]
    indices = np.concatenate([first.indices, rest])[:length]
    # Representatives score above every random filler so scores stay descending.
    scores = np.concatenate([1.0 + first.scores, np.zeros(len(rest), dtype=np.float32)])[:length]
    return "representative", Selection(indices.astype(np.intp), scores.astype(np.float32))
