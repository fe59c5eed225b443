"""Fit + rank per active-learning round: aldesk against its peers, like with like.

One round = fit on the labelled rows, score the pool, return the ``LENGTH`` most uncertain
candidates (margin), best first. Every contender fits the same model aldesk fits
(``learner.make_estimator('logreg')``: StandardScaler + LogisticRegression, same C / tol /
max_iter) on the same float32 pool (``DIM`` dims, ``N_CLASSES`` Gaussian classes, ~``N_LABELS``
labels, one more per round):

- ``aldesk``: ``fit_and_rank`` given the previous round's model, as the app calls it (the fit
  starts from zeros since the twenty-fifth session; before, it started from the previous
  weights: ``aldesk`` warm and ``aldesk_cold`` in the tables of earlier runs);
  ``aldesk_1core`` the same with its row-block scoring threads limited to one (what aldesk gets
  from the folded, single-pass layout alone);
- ``plain``: the fastest numpy + scikit-learn loop we could write: ``pipeline.fit``,
  ``predict_proba`` on the whole pool (no gather), margin from ``np.partition``, top ``LENGTH``
  by ``argpartition``;
- ``modAL`` (``ActiveLearner`` + ``margin_sampling``) and ``skactiveml``
  (``SklearnClassifier`` + ``UncertaintySampling('margin_sampling')``), when installed.

Fairness: every contender runs under the same ``threadpoolctl`` limit (BLAS and OpenMP), for each
of ``--threads`` (default 1 and 2), so nobody is slowed by oversubscribed BLAS threads; the
contenders are interleaved within each repeat (order rotated) so load from other processes
hits all alike; medians are reported and every ratio is taken from the same run. aldesk's own
scoring uses one BLAS thread per block and its own threads over row blocks (one per core): with
``--threads 1`` it uses both cores while the peers' BLAS uses one, which is why the headline ratio
is against the fastest peer over *all* thread settings, and ``aldesk_1core`` is shown too.

Also measured: a ``--million`` row pool (aldesk only; the peers' float64 copies of a 2 GB pool
would need 6 GB), and the cost of a TCM round while it still runs TypiClust (few labels).

Run: ``python benchmarks/bench_rank.py [--sizes 10000 100000] [--repeats 9] [--threads 1 2]
[--million 1000000] [--out benchmarks/results/rank.json]``
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aldesk.core import linear_scoring  # noqa: E402
from aldesk.core.learner import TrainingSnapshot, make_estimator  # noqa: E402
from aldesk.core.ranking import RankRequest, fit_and_rank  # noqa: E402

DIM = 512
N_CLASSES = 10
N_LABELS = 300
LENGTH = 200  # what aldesk keeps per round (order_length at k = 1)
PEERS = ("plain", "modAL", "skactiveml")

Round = Callable[[int], np.ndarray]


def make_pool(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian class clusters in 512 float32 dims, like image embeddings (built in chunks)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(N_CLASSES, DIM)).astype(np.float32)
    y = rng.integers(0, N_CLASSES, n)
    X = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 65536):
        block = X[start : start + 65536]
        rng.standard_normal(block.shape, dtype=np.float32, out=block)
        block += 0.4 * centers[y[start : start + 65536]]
    return X, y


def _request(X: np.ndarray, y: np.ndarray, n_labels: int, warm, strategy="margin") -> RankRequest:
    choice = warm.choice if warm is not None else None
    snapshot = TrainingSnapshot(X[:n_labels], y[:n_labels], N_CLASSES, previous_choice=choice)
    return RankRequest(snapshot, X, np.arange(n_labels, X.shape[0]), strategy, 1, 1, 0)


def aldesk_rounds(X: np.ndarray, y: np.ndarray) -> dict[str, Round]:
    """aldesk's rounds, on both cores and on one; each returns the ranked pool rows."""
    state = {"model": fit_and_rank(_request(X, y, N_LABELS - 1, None)).model}

    def warm(n_labels: int) -> np.ndarray:
        ranking = fit_and_rank(_request(X, y, n_labels, state["model"]))
        state["model"] = ranking.model
        return ranking.order

    def one_core(n_labels: int) -> np.ndarray:
        saved, linear_scoring.MAX_THREADS = linear_scoring.MAX_THREADS, 1
        try:
            return warm(n_labels)
        finally:
            linear_scoring.MAX_THREADS = saved

    return {"aldesk": warm, "aldesk_1core": one_core}


def plain_round(X: np.ndarray, y: np.ndarray) -> Round:
    """Fit the pipeline, predict_proba on the whole pool, margin, top LENGTH candidates."""

    def run(n_labels: int) -> np.ndarray:
        model = make_estimator("logreg", 0).fit(X[:n_labels], y[:n_labels])
        proba = model.predict_proba(X)
        top2 = np.partition(proba, -2, axis=1)[:, -2:]
        scores = (1.0 - (top2[:, 1] - top2[:, 0]))[n_labels:]
        best = np.argpartition(-scores, LENGTH - 1)[:LENGTH]
        return n_labels + best[np.argsort(-scores[best], kind="stable")]

    return run


def modal_round(X: np.ndarray, y: np.ndarray) -> Round | None:
    """modAL's ActiveLearner (fits at construction) and its margin query."""
    if importlib.util.find_spec("modAL") is None:
        return None
    from modAL.models import ActiveLearner
    from modAL.uncertainty import margin_sampling

    def run(n_labels: int) -> np.ndarray:
        learner = ActiveLearner(
            make_estimator("logreg", 0), margin_sampling, X[:n_labels], y[:n_labels]
        )
        index, _ = learner.query(X[n_labels:], n_instances=LENGTH)
        return n_labels + np.asarray(index)

    return run


def skactiveml_round(X: np.ndarray, y: np.ndarray) -> Round | None:
    """scikit-activeml's wrapped classifier and margin UncertaintySampling."""
    if importlib.util.find_spec("skactiveml") is None:
        return None
    from skactiveml.classifier import SklearnClassifier
    from skactiveml.pool import UncertaintySampling

    def run(n_labels: int) -> np.ndarray:
        y_partial = np.full(len(y), np.nan)
        y_partial[:n_labels] = y[:n_labels]
        clf = SklearnClassifier(make_estimator("logreg", 0), classes=np.arange(N_CLASSES))
        query = UncertaintySampling(method="margin_sampling", random_state=0)
        return np.asarray(query.query(X, y_partial, clf, fit_clf=True, batch_size=LENGTH))

    return run


def contenders(X: np.ndarray, y: np.ndarray) -> dict[str, Round]:
    rounds = {**aldesk_rounds(X, y), "plain": plain_round(X, y)}
    for name, make in (("modAL", modal_round), ("skactiveml", skactiveml_round)):
        run = make(X, y)
        if run is not None:
            rounds[name] = run
    return rounds


def time_size(n: int, repeats: int, thread_counts: list[int]) -> dict:
    """Interleaved medians (ms) of every contender at every thread limit, and the ratios."""
    X, y = make_pool(n)
    rounds = contenders(X, y)
    names = list(rounds)
    times: dict[tuple[str, int], list[float]] = {(m, t): [] for m in names for t in thread_counts}
    cpu = {key: [] for key in times}
    loads = []
    first: dict[str, np.ndarray] = {}
    for r in range(repeats):
        n_labels = N_LABELS + r % 3
        loads.append(os.getloadavg()[0])
        for t in thread_counts:
            with threadpool_limits(t):
                for name in names[r % len(names) :] + names[: r % len(names)]:
                    start, start_cpu = time.perf_counter(), time.process_time()
                    order = rounds[name](n_labels)
                    times[name, t].append(time.perf_counter() - start)
                    cpu[name, t].append(time.process_time() - start_cpu)
                    if r == 0:
                        first.setdefault(name, np.asarray(order)[:LENGTH])
    summary = _summary(times, thread_counts, loads, _agreement(first))
    # CPU time of the whole process (every thread): the work done, much less load-dependent
    # than wall time on a shared machine.
    summary["median_cpu_ms"] = {f"{m}@{t}": _ms(v) for (m, t), v in cpu.items()}
    return summary


def _agreement(orders: dict[str, np.ndarray]) -> dict:
    """How far each contender's first ranking (same labels) agrees with the plain loop's."""
    plain = orders["plain"]
    return {
        name: {
            "top_overlap_with_plain": len(np.intersect1d(order, plain)) / LENGTH,
            "same_order_as_plain": bool(np.array_equal(order, plain)),
        }
        for name, order in orders.items()
        if name != "plain"
    }


def _summary(times, thread_counts, loads, agreement) -> dict:
    medians = {f"{m}@{t}": _ms(v) for (m, t), v in times.items()}
    peer_keys = [k for k in medians if k.split("@")[0] in PEERS]
    fastest_peer = min(peer_keys, key=medians.get)
    ours = min((f"aldesk@{t}" for t in thread_counts), key=medians.get)
    per_thread = {}
    for t in thread_counts:
        peers_t = [medians[f"{p}@{t}"] for p in PEERS if f"{p}@{t}" in medians]
        per_thread[str(t)] = {
            "speedup_vs_fastest_peer": round(min(peers_t) / medians[f"aldesk@{t}"], 2),
            "speedup_1core_vs_fastest_peer": round(min(peers_t) / medians[f"aldesk_1core@{t}"], 2),
        }
    return {
        "median_ms": medians,
        "fastest_peer": fastest_peer,
        "aldesk_best": ours,
        "speedup_vs_fastest_peer_any_threads": round(medians[fastest_peer] / medians[ours], 2),
        "per_thread_limit": per_thread,
        "agreement": agreement,
        "loadavg_1min_min_max": [round(min(loads), 2), round(max(loads), 2)],
    }


def time_million(n: int, repeats: int) -> dict:
    """aldesk rounds on an ``n``-row pool: total, fit and rank medians (ms)."""
    X, y = make_pool(n)
    model = fit_and_rank(_request(X, y, N_LABELS - 1, None)).model
    total, fit, rank, loads = [], [], [], []
    for r in range(repeats):
        loads.append(os.getloadavg()[0])
        start = time.perf_counter()
        ranking = fit_and_rank(_request(X, y, N_LABELS + r % 3, model))
        total.append(time.perf_counter() - start)
        fit.append(ranking.fit_seconds)
        rank.append(ranking.rank_seconds)
        model = ranking.model
    return {
        "rows": n,
        "round_ms": _ms(total),
        "fit_ms": _ms(fit),
        "rank_ms": _ms(rank),
        "loadavg_1min_min_max": [round(min(loads), 2), round(max(loads), 2)],
    }


def time_typiclust(n: int, repeats: int) -> dict:
    """A TCM round while TypiClust still runs (2 labels per class) and the margin rounds after."""
    X, y = make_pool(n)
    few = N_CLASSES * 2
    rounds = []
    for _ in range(repeats):
        start = time.perf_counter()
        fit_and_rank(_request(X, y, few, None, strategy="tcm"))
        rounds.append(time.perf_counter() - start)
    return {"rows": n, "labels": few, "tcm_typiclust_round_ms": _ms(rounds)}


def _ms(seconds: list[float]) -> float:
    return round(1000 * statistics.median(seconds), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--million", type=int, default=1_000_000, help="0 to skip")
    parser.add_argument("--typiclust-repeats", type=int, default=3, help="0 to skip")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")  # peers' lbfgs ConvergenceWarnings
    load_before = os.getloadavg()[0]
    report: dict = {
        "dim": DIM,
        "n_classes": N_CLASSES,
        "n_labels": N_LABELS,
        "ranked": LENGTH,
        "repeats": args.repeats,
        "threads": args.threads,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "results": {str(n): time_size(n, args.repeats, args.threads) for n in args.sizes},
    }
    if args.million:
        report["million"] = time_million(args.million, max(3, args.repeats // 2))
    if args.typiclust_repeats:
        report["tcm_typiclust"] = time_typiclust(max(args.sizes), args.typiclust_repeats)
    report["loadavg_1min_before_after"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
