"""Fit + rank latency per active-learning round, against plain scikit-learn.

Prints one JSON object: for each pool size, medians (ms) over ``--repeats`` rounds of

- ``fit_rank_warm_ms``: ``fit_and_rank`` with the previous round's model as warm start (the app's
  steady state: one new label per round),
- ``fit_rank_cold_ms``: the same without warm start,
- ``fit_ms`` / ``rank_ms``: the warm round split into its parts,
- ``reference_rank_ms``: sklearn ``Pipeline.predict_proba`` on the pool + margin + full argsort,
- ``reference_round_ms``: sklearn fit (default tol) + the reference ranking,

and the speed-up ratios reference / ours. Targets: warm round <= 30 ms at 10k, <= 150 ms at 100k.

Run: ``python benchmarks/bench_rank.py [--sizes 1000 10000 100000] [--repeats 7]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from aldesk.core.learner import TrainingSnapshot
from aldesk.core.ranking import RankRequest, fit_and_rank

DIM = 512
N_CLASSES = 10
N_LABELS = 300


def make_pool(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian class clusters in 512 float32 dims, like image embeddings."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(N_CLASSES, DIM)).astype(np.float32)
    y = rng.integers(0, N_CLASSES, n)
    X = rng.standard_normal((n, DIM), dtype=np.float32)
    X += 0.4 * centers[y]
    return X, y


def request_for(X: np.ndarray, y: np.ndarray, n_labels: int, warm, round_: int) -> RankRequest:
    """A round with the first ``n_labels`` rows labelled."""
    snapshot = TrainingSnapshot(X[:n_labels], y[:n_labels], N_CLASSES, warm_start=warm)
    candidates = np.arange(n_labels, X.shape[0])
    return RankRequest(snapshot, X, candidates, "margin", 1, round_, 0)


def time_ours(X: np.ndarray, y: np.ndarray, repeats: int) -> dict[str, float]:
    """Median warm and cold round times of ``fit_and_rank``."""
    warm_total, fit, rank, cold_total = [], [], [], []
    previous = fit_and_rank(request_for(X, y, N_LABELS - 1, None, 0)).model
    for r in range(repeats):
        # One more label per round, as in the app; the label count cycles to stay near 300.
        n = N_LABELS + r % 3
        t = time.perf_counter()
        ranking = fit_and_rank(request_for(X, y, n, previous, r + 1))
        warm_total.append(time.perf_counter() - t)
        fit.append(ranking.fit_seconds)
        rank.append(ranking.rank_seconds)
        previous = ranking.model
        t = time.perf_counter()
        fit_and_rank(request_for(X, y, n, None, r + 1))
        cold_total.append(time.perf_counter() - t)
    return {
        "fit_rank_warm_ms": _ms(warm_total),
        "fit_rank_cold_ms": _ms(cold_total),
        "fit_ms": _ms(fit),
        "rank_ms": _ms(rank),
    }


def time_reference(X: np.ndarray, y: np.ndarray, repeats: int) -> dict[str, float]:
    """Median times of the plain scikit-learn way: pipeline fit, predict_proba, margin, sort."""
    fits, ranks = [], []
    for r in range(repeats):
        n = N_LABELS + r % 3
        t = time.perf_counter()
        model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X[:n], y[:n])
        fits.append(time.perf_counter() - t)
        t = time.perf_counter()
        proba = model.predict_proba(X[n:])
        top2 = np.sort(proba, axis=1)[:, -2:]
        np.argsort(top2[:, 0] - top2[:, 1])[::-1]
        ranks.append(time.perf_counter() - t)
    totals = [f + r for f, r in zip(fits, ranks, strict=True)]
    return {"reference_rank_ms": _ms(ranks), "reference_round_ms": _ms(totals)}


def _ms(seconds: list[float]) -> float:
    return round(1000 * statistics.median(seconds), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    results = {}
    for n in args.sizes:
        X, y = make_pool(n)
        ours = time_ours(X, y, args.repeats)
        ref = time_reference(X, y, args.repeats)
        ours["rank_speedup"] = round(ref["reference_rank_ms"] / ours["rank_ms"], 2)
        ours["round_speedup"] = round(ref["reference_round_ms"] / ours["fit_rank_warm_ms"], 2)
        results[str(n)] = {**ours, **ref}
    report = {
        "dim": DIM,
        "n_classes": N_CLASSES,
        "n_labels": N_LABELS,
        "repeats": args.repeats,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        # Other work on a shared machine slows both sides alike; the ratios stay comparable.
        "loadavg_1min_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "results": results,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
