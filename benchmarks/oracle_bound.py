"""How far can any query order go? A look-ahead oracle that knows every label, against random.

Issue 10 asks the default strategy to reach random's 300-label accuracy with at most 150 labels.
This measures whether the app's learner can do that at all on a set, with the best labels a
greedy search can find: each round it draws ``--candidates`` unlabelled items at random, trains
the app's model (``learner.train``, the set's representation with the app's block weights) once
with each one added under its *true* label, scores every such model on the rest of the pool
(true labels again), and takes the ``--batch`` best. No query strategy knows the labels it asks
for, so its curve should stay under this one; where the oracle needs more than 150 labels to
reach random@300, a label-blind strategy on that learner and representation will hardly meet
the target (greedy and sampled, the oracle is a strong order, not the best one).

The test items (20 %) are never used for choosing. Splits and seed sets as ``fast_loop.py``
(repeat r draws its own split and 2 labels per class, at least 10). Slow by design: a fit per
candidate per round (150 candidates: a repeat takes ~35 s on spoken, ~100 s on instruments,
~150 s on clip art, with another job on the second core; digits at 50 candidates ~4 min).

Run: ``python benchmarks/oracle_bound.py SET --representation both|pool|pretrained
[--repeats 4] [--first 0] [--candidates 150] [--oracle-budget 150] [--budget 300]``; prints both
curves and writes ``results/oracle_bound_<set>.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

_HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(_HERE.parent), str(_HERE)]
from representation_quality import features, load_set  # noqa: E402

from aldesk.core.learner import TrainingSnapshot, train  # noqa: E402

SEED_PER_CLASS, SEED_MIN = 2, 10


class Problem:
    """One set in one representation: the app's model trained on any list of item indices."""

    def __init__(self, X: np.ndarray, y: np.ndarray, weights: np.ndarray) -> None:
        self.X, self.y, self.weights = X, y, weights
        self.n_classes = int(y.max()) + 1

    def fit(self, labelled: list[int], seed: int):
        idx = np.asarray(labelled)
        snap = TrainingSnapshot(
            self.X[idx], self.y[idx], self.n_classes, random_state=seed,
            feature_weights=self.weights,
        )  # fmt: skip
        return train(snap)

    def accuracy(self, model, items: np.ndarray) -> float:
        return float((model.predict(self.X[items]) == self.y[items]).mean())


def run(problem: Problem, r: int, oracle: bool, budget: int, k: int, n_cand: int) -> dict:
    """Test accuracy after each round of repeat ``r``: {labels: accuracy}."""
    rng = np.random.default_rng(r)
    perm = rng.permutation(len(problem.y))
    test, pool = perm[: len(perm) // 5], perm[len(perm) // 5 :]
    size = max(SEED_MIN, SEED_PER_CLASS * problem.n_classes)
    labelled = [int(i) for i in rng.choice(pool, size, replace=False)]
    curve: dict[int, float] = {}
    while True:
        curve[len(labelled)] = problem.accuracy(problem.fit(labelled, r), test)
        rest = np.setdiff1d(pool, labelled)
        if len(labelled) >= budget or len(rest) == 0:
            return curve
        if not oracle:
            labelled += [int(i) for i in rng.choice(rest, min(k, len(rest)), replace=False)]
            continue
        cands = rng.choice(rest, min(n_cand, len(rest)), replace=False)
        scores = [problem.accuracy(problem.fit(labelled + [int(c)], r), rest) for c in cands]
        labelled += [int(c) for c in cands[np.argsort(scores)[::-1][:k]]]


def mean_curve(curves: list[dict]) -> dict[int, float]:
    grid = sorted(set.intersection(*(set(c) for c in curves)))
    return {g: float(np.mean([c[g] for c in curves])) for g in grid}


def reach(curve: dict[int, float], level: float) -> int | None:
    """The fewest labels at which ``curve`` is at or above ``level`` (None: never)."""
    return next((g for g in sorted(curve) if curve[g] >= level), None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("set")
    ap.add_argument("--representation", default="both", choices=["both", "pool", "pretrained"])
    ap.add_argument("--repeats", type=int, default=4)
    ap.add_argument("--first", type=int, default=0, help="first repeat's seed (to split runs)")
    ap.add_argument("--candidates", type=int, default=150)
    ap.add_argument("--budget", type=int, default=300)
    ap.add_argument("--oracle-budget", type=int, default=150)
    ap.add_argument("--batch", type=int, default=5)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)

    files, y = load_set(args.set)
    X, layout = features(args.set, files)
    problem = Problem(X, y, layout.weights(layout.resolve(args.representation)))
    reps = range(args.first, args.first + args.repeats)
    curves: dict[str, list[dict]] = {"random": [], "oracle": []}
    for name, budget in (("random", args.budget), ("oracle", args.oracle_budget)):
        for r in reps:
            t = time.perf_counter()
            curves[name].append(
                run(problem, r, name == "oracle", budget, args.batch, args.candidates)
            )
            print(f"{name} repeat {r}: {time.perf_counter() - t:.0f} s", flush=True)
    rnd, orc = mean_curve(curves["random"]), mean_curve(curves["oracle"])
    target = rnd[max(rnd)]
    print(f"{args.set} ({args.representation}): random@{max(rnd)} {target:.3f}")
    for g in sorted(orc):
        print(f"  {g:4d} labels: oracle {orc[g]:.3f}  random {rnd.get(g, float('nan')):.3f}")
    print(f"labels the oracle needs to reach random@{max(rnd)}: {reach(orc, target)}")
    out = args.out or _HERE / "results" / f"oracle_bound_{args.set}.json"
    summary = {"set": args.set, "representation": args.representation, "repeats": list(reps),
               "candidates": args.candidates, "batch": args.batch, "random": curves["random"],
               "oracle": curves["oracle"]}  # fmt: skip
    out.write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
