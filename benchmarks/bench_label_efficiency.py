"""Label efficiency: how many labels uncertainty sampling saves over random sampling.

Runs ``aldesk.core.simulate.simulate`` (the code behind ``aldesk simulate``: a real project store,
``Session`` picking every item, ``run_round`` retraining every ``batch`` labels) on the mnist and
spoken-digit pools, several repeats per strategy (repeat r uses random_state r: its own held-out
test split of 20 % and its own seed set). Features are extracted once per data set into a shared
``--cache`` folder.

Curves are put on a common grid g = batch, 2*batch, ..., budget. The value at g is the test
accuracy of the newest model trained on at most g labels, i.e. the model a user has after g
answers. (``simulate`` retrains when two classes are first labelled, then every ``batch`` labels,
so with batch 10 the rounds fall at 2, 12, ..., 292 labels and the value at 300 is the 292-label
model; the last 8 labels of the budget are never trained on.)

Headline: ``random_at_budget`` = random's mean accuracy at the budget; ``margin_labels_to_match``
= the first grid point where margin's mean curve reaches it (target <= 150), plus, per margin
repeat, the exact label count of its first round at or above that accuracy.

Prints JSON and writes ``benchmarks/results/label_efficiency.json``.

Run: ``cd /work/main && python benchmarks/bench_label_efficiency.py [--repeats 10]
[--strategies random margin entropy] [--datasets mnist spoken]`` (a few minutes; run it with
``nohup ... &`` and poll ``benchmarks/results/label_efficiency.json``, written after each
data set/strategy pair).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

_HERE = Path(__file__).resolve().parent
# this checkout's aldesk, not whatever the editable install points at; then _pools
sys.path[:0] = [str(_HERE.parent), str(_HERE)]
from _pools import BENCH_DIR, DATA, environment, write_json  # noqa: E402

from aldesk.core.simulate import simulate  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "label_efficiency.json"
TARGET_LABELS = 150


def on_grid(n_labels: list[int], acc: list[float], grid: list[int]) -> list[float | None]:
    """Accuracy of the newest round with at most g labels, for each g of the grid."""
    out: list[float | None] = []
    for g in grid:
        before = [a for n, a in zip(n_labels, acc, strict=True) if n <= g and a is not None]
        out.append(before[-1] if before else None)
    return out


def mean_curve(curves: list[list[float | None]]) -> list[float | None]:
    cols = list(zip(*curves, strict=True))
    return [None if any(v is None for v in c) else round(float(np.mean(c)), 4) for c in cols]


def first_reaching(grid: list[int], curve: list[float | None], target: float) -> int | None:
    for g, v in zip(grid, curve, strict=True):
        if v is not None and v >= target - 1e-12:
            return g
    return None


def run_pair(dataset: str, strategy: str, args) -> dict:
    pool = DATA / dataset
    start = time.perf_counter()
    result = simulate(
        pool, pool / "labels.csv", strategy=strategy, budget=args.budget, batch=args.batch,
        repeats=args.repeats, cache=BENCH_DIR / f"features-{dataset}",
        log=lambda m: print(f"[{dataset}/{strategy}] {m}", file=sys.stderr, flush=True),
    )  # fmt: skip
    grid = list(range(args.batch, args.budget + 1, args.batch))
    curves = [on_grid(r["n_labels"], r["accuracy"], grid) for r in result["runs"]]
    return {
        "seconds": round(time.perf_counter() - start, 1),
        "n_items": result["n_items"],
        "features": result["features"],
        "full_accuracy": result["full_accuracy"],
        "grid": grid,
        "mean_curve": mean_curve(curves),
        "curves": curves,
        "runs": [
            {
                "n_labels": r["n_labels"],
                "accuracy": [round(a, 4) for a in r["accuracy"]],
                "round_seconds_median": float(np.median(r["round_seconds"])),
            }
            for r in result["runs"]
        ],  # fmt: skip
    }


def headline(pairs: dict[str, dict], budget: int) -> dict:
    if "random" not in pairs:
        return {}
    rnd = pairs["random"]
    grid = rnd["grid"]
    target = float(np.mean([c[-1] for c in rnd["curves"]]))
    out = {
        "random_at_budget": round(target, 4),
        "random_at_budget_per_repeat": [c[-1] for c in rnd["curves"]],
        "budget": budget,
    }
    for name, res in pairs.items():
        if name == "random":
            continue
        per_repeat = []
        for run in res["runs"]:
            hit = [n for n, a in zip(run["n_labels"], run["accuracy"], strict=True) if a >= target]
            per_repeat.append(hit[0] if hit else None)
        needed = first_reaching(grid, res["mean_curve"], target)
        reached = [n for n in per_repeat if n is not None]
        out[name] = {
            "labels_to_match_random_at_budget": needed,
            "saving_ratio": round(needed / budget, 3) if needed else None,
            "target_met": needed is not None and needed <= TARGET_LABELS,
            "per_repeat_labels_to_match": per_repeat,
            "per_repeat_median": float(np.median(reached)) if reached else None,
            "accuracy_at_budget": res["mean_curve"][-1],
        }
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", nargs="+", default=["mnist", "spoken"])
    p.add_argument("--strategies", nargs="+", default=["random", "margin", "entropy"])
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--budget", type=int, default=300)
    p.add_argument("--batch", type=int, default=10)
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    report: dict = {
        "benchmark": "label_efficiency",
        "settings": {
            "budget": args.budget,
            "batch": args.batch,
            "repeats": args.repeats,
            "seed_size": 10,
            "test_fraction": 0.2,
            "model": "logreg",
        },  # fmt: skip
        "target": f"margin reaches random's accuracy at {args.budget} labels with <= "
        f"{TARGET_LABELS} labels",
        "environment_start": environment(),
        "datasets": {},
    }
    for dataset in args.datasets:
        pairs: dict[str, dict] = {}
        for strategy in args.strategies:
            pairs[strategy] = run_pair(dataset, strategy, args)
            report["datasets"][dataset] = {"strategies": pairs,
                                           "headline": headline(pairs, args.budget)}  # fmt: skip
            report["environment_end"] = environment()
            write_json(args.out, report)
    print(json.dumps({"environment": report["environment_end"],
                      **{d: v["headline"] for d, v in report["datasets"].items()}}, indent=1))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
