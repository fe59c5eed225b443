"""A quick active-learning loop for comparing query strategies: the app's round, no project.

Each round runs ``ranking.fit_and_rank`` (the app's fit, representation choice and ranking) on
the labels so far and adds the first ``--batch`` items of its order; the oracle is the set's
``labels.csv``. Unlike ``bench_label_efficiency.py`` (``simulate``: a real project store and
session) there is no store, so a repeat takes seconds: use it to screen an idea on many repeats,
then confirm the winner with the harness. Repeat r draws its own 20 % test split and a random
seed set of 2 labels per class (at least 10), as a new project does; every strategy sees the
same splits and seed sets.

Run: ``python benchmarks/fast_loop.py SET [SET ...] [--strategies random tcm margin]
[--repeats 20] [--budget 300] [--batch 5] [--out DIR]``; prints per set and strategy the mean
accuracy over 50..budget labels ("area"), at 100 and 150 labels and at the end, the labels
needed to reach random's final accuracy ("reach") and the worst gap to random from 50 labels;
curves go to ``DIR/fast_<set>_<strategy>.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

_HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(_HERE.parent), str(_HERE)]
from representation_quality import features, load_set  # noqa: E402

from aldesk.core.learner import TrainingSnapshot  # noqa: E402
from aldesk.core.ranking import RankRequest, fit_and_rank  # noqa: E402

SEED_PER_CLASS, SEED_MIN = 2, 10
FROM = 50  # the grid's start for area and worst gap


def run(X: np.ndarray, layout, y: np.ndarray, strategy: str, r: int, budget: int, k: int):
    """Test accuracy after each round of one repeat: {labels: accuracy}."""
    n_classes = int(y.max()) + 1
    rng = np.random.default_rng(r)
    perm = rng.permutation(len(y))
    test, pool = perm[: len(y) // 5], perm[len(y) // 5 :]
    size = max(SEED_MIN, SEED_PER_CLASS * n_classes)
    labelled = list(rng.choice(pool, size, replace=False))
    curve: dict[int, float] = {}
    model, rnd = None, 0
    while True:
        snap = TrainingSnapshot(X[labelled], y[labelled], n_classes, random_state=r,
                                previous_choice=model and model.choice)  # fmt: skip
        candidates = np.setdiff1d(pool, labelled)
        request = RankRequest(snap, X, candidates, strategy, k, rnd, r * 1000 + rnd, layout)
        ranking = fit_and_rank(request)
        model = ranking.model
        curve[len(labelled)] = float((model.predict(X[test]) == y[test]).mean())
        if len(labelled) >= budget or len(candidates) == 0:
            return curve
        labelled += list(ranking.order[:k])
        rnd += 1


def summary(curves: dict[str, list[dict]]) -> dict[str, dict]:
    """Area, accuracies, reach and worst gap of each strategy's mean curve against random's."""

    def mean_curve(runs):
        grid = np.array(sorted(runs[0]))
        return grid, np.array([[run[g] for g in grid] for run in runs]).mean(0)

    out = {}
    base_grid, base = mean_curve(curves["random"]) if "random" in curves else (None, None)
    for name, runs in curves.items():
        grid, m = mean_curve(runs)
        tail = grid >= FROM
        row = {"area": float(m[tail].mean()) if tail.any() else None,
               "at_100": _at(grid, m, 100), "at_150": _at(grid, m, 150), "end": float(m[-1])}  # fmt: skip
        if base is not None:
            row["reach"] = next(
                (int(g) for g, v in zip(grid, m, strict=True) if v >= base[-1]), None
            )
            if tail.any():
                gap = m[tail] - np.interp(grid[tail], base_grid, base)
                row["worst_gap"], row["worst_at"] = float(gap.min()), int(grid[tail][gap.argmin()])
        out[name] = row
    return out


def _at(grid: np.ndarray, values: np.ndarray, labels: int) -> float | None:
    """The mean accuracy of the newest model trained on at most ``labels`` labels."""
    i = np.searchsorted(grid, labels, side="right") - 1
    return float(values[i]) if i >= 0 and grid[-1] >= labels else None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sets", nargs="+")
    p.add_argument("--strategies", nargs="+", default=["random", "tcm"])
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--budget", type=int, default=300)
    p.add_argument("--batch", type=int, default=5)
    p.add_argument("--out", type=Path, default=Path("/tmp/aldesk-fast-loop"))
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.sets:
        files, y = load_set(name)
        X, layout = features(name, files)
        curves = {}
        for strategy in args.strategies:
            curves[strategy] = [run(X, layout, y, strategy, r, args.budget, args.batch)
                                for r in range(args.repeats)]  # fmt: skip
            (args.out / f"fast_{name}_{strategy}.json").write_text(json.dumps(curves[strategy]))
        for strategy, row in summary(curves).items():
            print(name, strategy, json.dumps({k: round(v, 4) if isinstance(v, float) else v
                                              for k, v in row.items()}), flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
