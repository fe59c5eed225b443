"""Label efficiency on six data sets: the app's default loop vs random and margin vs a plain peer.

Runs ``aldesk.core.simulate.simulate`` (the code behind ``aldesk simulate``: a real project store,
``Session`` picking every item, ``run_round`` retraining every ``batch`` labels) per data set and
strategy, several repeats each (repeat r uses random_state r: its own held-out test split of 20 %
and its own seed set). Features are extracted once per data set into
``/tmp/aldesk-bench/features-<set>`` (``ALDESK_BENCH_DIR`` moves it).

Strategies: ``random``, ``margin`` and ``default`` = whatever the app does by default, i.e.
``simulate(..., strategy=None)``. If this ``simulate`` has no ``strategy=None`` default yet,
``default`` runs margin (a warning says so, the JSON records it, and the margin run is reused).
``--features`` pins a representation (passed as ``simulate(features=...)``; ignored with a
warning if ``simulate`` has no such keyword); ``--seed-size`` is passed only when given.

Curves are put on a common grid g = batch, 2*batch, ..., budget. The value at g is the test
accuracy of the newest model trained on at most g labels, i.e. the model a user has after g
answers. Bands are 95 % t-intervals of the mean over repeats.

The peer baseline (``peer_baseline.py``: thumbnail/HSV or MFCC statistics, StandardScaler +
LogisticRegression(C=0.1), random sampling, its own random 20 % test split per repeat) runs the
same number of repeats; its 200-label accuracy is the reference.

Headline per set (printed as pass/fail; the same checks for margin are informative only):

- ``default`` mean curve >= ``random`` mean curve at every grid point from 50 labels on;
- labels ``default``'s mean curve needs to reach random's mean accuracy at the budget
  (target <= half the budget: 150 of 300);
- ``default`` at 100 labels >= the peer at 200 labels.

Writes ``benchmarks/results/label_efficiency.json`` (``--out``) after each data set/strategy pair,
a plot ``label_efficiency_<set>.png`` per set beside it, and prints a Markdown table at the end.

Data sets (``/work/data/<set>``, ``ALDESK_DATA`` moves the root; each has ``labels.csv`` with
columns path,label; a set without one is reported and skipped). To generate them::

    python3 /work/shared/data/make_image_set.py /work/data/mnist --set mnist
    python3 /work/shared/data/make_image_set.py /work/data/digits --set digits
    python3 /work/shared/data/make_image_set.py /work/data/clipart --set clipart
        # needs: apt-get install openclipart-png
    python3 /work/shared/data/make_audio_set.py /work/data/spoken --set digits
    python3 /work/shared/data/make_audio_set.py /work/data/words \\
        --words cat,dog,bird,horse,sheep,goat --engines espeak,flite      # needs: flite
    python3 /work/shared/data/make_audio_set.py /work/data/instruments --set instruments
        # needs: apt-get install fluidsynth fluid-soundfont-gm

Run: ``cd /work/main && nohup python benchmarks/bench_label_efficiency.py [--repeats 10]
[--datasets mnist digits ...] [--strategies random margin default] [--batch 5] [--budget 300]
[--features pool] [--seed-size N] > /tmp/le.out 2> /tmp/le.log &`` and poll the JSON.
Quick check: ``--repeats 2 --budget 60 --datasets digits clipart --out /tmp/le/le.json``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import time
import traceback
from pathlib import Path

import numpy as np

_HERE = Path(__file__).resolve().parent
# this checkout's aldesk, not whatever the editable install points at; then _pools
sys.path[:0] = [str(_HERE.parent), str(_HERE)]
from _le_curves import (  # noqa: E402
    DOMINATE_FROM,
    OURS_AT,
    PEER_AT,
    TARGET_FRACTION,
    curve_band,
    headline,
    on_grid,
)
from _plots import plot_learning_curves  # noqa: E402
from _pools import BENCH_DIR, DATA, environment, write_json  # noqa: E402
from peer_baseline import peer_baseline  # noqa: E402

from aldesk.core.simulate import simulate  # noqa: E402

RESULTS = _HERE / "results" / "label_efficiency.json"  # the plots go beside --out
DATASETS = ["mnist", "digits", "clipart", "spoken", "words", "instruments"]
STRATEGIES = ["random", "margin", "default"]
SIM_PARAMS = inspect.signature(simulate).parameters


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- what to pass to simulate ----------------------------------------------------------------


def strategy_kwargs(name: str) -> tuple[dict, str | None]:
    """simulate()'s strategy argument for a strategy name, and a warning if it is a stand-in."""
    if name != "default":
        return {"strategy": name}, None
    param = SIM_PARAMS.get("strategy")
    if param is not None and param.default is None:
        return {"strategy": None}, None
    return {"strategy": "margin"}, (
        "simulate() has no strategy=None default yet: 'default' runs margin until it has"
    )


def option_kwargs(args) -> tuple[dict, list[str]]:
    """--seed-size and --features, passed only when given (and, for features, supported)."""
    kwargs, warnings = {}, []
    if args.seed_size is not None:
        kwargs["seed_size"] = args.seed_size
    if args.features is not None:
        if "features" in SIM_PARAMS:
            kwargs["features"] = args.features
        else:
            warnings.append(
                f"simulate() has no features keyword yet: --features "
                f"{args.features} ignored, the app's default representation is used"
            )
    return kwargs, warnings


def signature_default(name: str):
    param = SIM_PARAMS.get(name)
    return None if param is None or param.default is inspect.Parameter.empty else param.default


# --- running ---------------------------------------------------------------------------------


def run_pair(dataset: str, strategy: str, kwargs: dict, args) -> dict:
    pool = DATA / dataset
    start = time.perf_counter()
    result = simulate(
        pool, pool / "labels.csv", budget=args.budget, batch=args.batch, repeats=args.repeats,
        cache=BENCH_DIR / f"features-{dataset}",
        log=lambda m: _say(f"[{dataset}/{strategy}] {m}"), **kwargs,
    )  # fmt: skip
    grid = list(range(args.batch, args.budget + 1, args.batch))
    curves = [on_grid(r["n_labels"], r["accuracy"], grid) for r in result["runs"]]
    band = curve_band(curves)
    return {
        "simulate_kwargs": dict(kwargs),
        "strategy_run": result.get("strategy"),
        "seconds": round(time.perf_counter() - start, 1),
        "n_items": result["n_items"],
        "n_classes": len(result["classes"]),
        "features": result["features"],
        # what the app chose (newer simulate only): representation setting, per repeat the one
        # in use at the end, and the seed size it resolved
        "representation": result.get("representation"),
        "chosen_at_end": result.get("chosen_at_end"),
        "seed_size": result.get("seed_size", kwargs.get("seed_size")),
        "full_accuracy": result["full_accuracy"],
        "grid": grid,
        "mean_curve": band["mean"],
        "band95_lo": band["lo"],
        "band95_hi": band["hi"],
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


def run_peer(dataset: str, repeats: int) -> dict | None:
    start = time.perf_counter()
    try:
        peer = peer_baseline(DATA / dataset, repeats, (OURS_AT, PEER_AT), name=dataset)
    except Exception:  # the reference is optional: the curves still count without it
        _say(f"[{dataset}/peer] failed:\n{traceback.format_exc()}")
        return None
    at = peer["at"]
    _say(f"[{dataset}/peer] 5-fold CV {peer['cv5_accuracy']:.3f}, @{OURS_AT} "
         f"{at[str(OURS_AT)]['mean']:.3f}, @{PEER_AT} {at[str(PEER_AT)]['mean']:.3f} "
         f"({time.perf_counter() - start:.0f} s)")  # fmt: skip
    return peer


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("pass" if ok else "FAIL")


def print_set_summary(dataset: str, head: dict) -> None:
    peer = head.get(f"peer_at_{PEER_AT}")
    for name in ("default", "margin"):
        h = head.get(name)
        if h is None:
            continue
        tag = "" if name == "default" else "  (informative)"
        worst = h.get("worst_gap_vs_random")
        worst_s = f" (worst gap {worst['gap']:+.4f} at {worst['labels']})" if worst else ""
        print(f"[{dataset}] {name} >= random at every point from {DOMINATE_FROM} labels: "
              f"{verdict(h.get('dominates_random_from_50'))}{worst_s}{tag}")  # fmt: skip
        if "labels_to_match_random_at_budget" in h:
            print(
                f"[{dataset}] {name} labels to reach random@{head['budget']} "
                f"({head['random_at_budget']}): {h['labels_to_match_random_at_budget']} "
                f"(target <= {head['target_labels']}): {verdict(h['labels_target_met'])}{tag}"
            )
        ours = h[f"at_{OURS_AT}"]
        print(
            f"[{dataset}] {name}@{OURS_AT} {ours} >= peer@{PEER_AT} {peer}: "
            f"{verdict(h[f'at_{OURS_AT}_beats_peer_at_{PEER_AT}'])}{tag}",
            flush=True,
        )


def plot_set(folder: Path, dataset: str, pairs: dict[str, dict], peer: dict | None) -> Path:
    res = next(iter(pairs.values()))
    full = res["full_accuracy"]
    title = (f"{dataset}: {res['n_classes']} classes, {res['n_items']} items, "
             f"all-labels accuracy {full:.3f}" if full is not None else dataset)  # fmt: skip
    curves = {n: {"mean": r["mean_curve"], "lo": r["band95_lo"], "hi": r["band95_hi"],
                  "same_as": r.get("same_run_as")} for n, r in pairs.items()}  # fmt: skip
    return plot_learning_curves(folder / f"label_efficiency_{dataset}.png", title=title,
                                grid=res["grid"], strategies=curves, peer=peer,
                                full_accuracy=full)  # fmt: skip


def _fmt(v, digits: int = 3) -> str:
    if v is None:
        return "—"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def markdown_table(report: dict, budget: int) -> str:
    b = budget
    head = ["set", "classes", "items", "all labels", f"random @{OURS_AT}", f"random @{b}",
            f"margin @{OURS_AT}", f"margin @{b}", f"default @{OURS_AT}", f"default @{b}",
            f"default labels to match random @{b}", f"peer @{PEER_AT}",
            f"default ≥ random from {DOMINATE_FROM}", f"match ≤ {round(TARGET_FRACTION * b)}",
            f"default @{OURS_AT} ≥ peer @{PEER_AT}", "margin ≥ random", "margin match",
            f"margin @{OURS_AT} ≥ peer"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, d in report["datasets"].items():
        h, s = d.get("headline") or {}, d.get("strategies") or {}
        if not s:
            continue
        any_res = next(iter(s.values()))
        dflt, mrg = h.get("default", {}), h.get("margin", {})
        rnd_curve = s["random"]["mean_curve"] if "random" in s else None
        row = [
            name, any_res["n_classes"], any_res["n_items"], _fmt(h.get("full_accuracy")),
            _fmt(h.get(f"random_at_{OURS_AT}")), _fmt(rnd_curve[-1] if rnd_curve else None),
            _fmt(mrg.get(f"at_{OURS_AT}")), _fmt(mrg.get("at_budget")),
            _fmt(dflt.get(f"at_{OURS_AT}")), _fmt(dflt.get("at_budget")),
            _fmt(dflt.get("labels_to_match_random_at_budget")), _fmt(h.get(f"peer_at_{PEER_AT}")),
            verdict(dflt.get("dominates_random_from_50")), verdict(dflt.get("labels_target_met")),
            verdict(dflt.get(f"at_{OURS_AT}_beats_peer_at_{PEER_AT}")),
            verdict(mrg.get("dominates_random_from_50")), verdict(mrg.get("labels_target_met")),
            verdict(mrg.get(f"at_{OURS_AT}_beats_peer_at_{PEER_AT}")),
        ]  # fmt: skip
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


def run_dataset(dataset: str, args, plan: dict[str, dict], report: dict) -> None:
    """Peer baseline, then every strategy; JSON after each pair, the plot after each pair."""
    entry = report["datasets"][dataset] = {"strategies": {}, "headline": {}}
    peer = run_peer(dataset, args.repeats)
    entry["peer"] = peer
    pairs: dict[str, dict] = entry["strategies"]
    done: dict[str, str] = {}  # simulate arguments -> the strategy that already ran them
    for strategy, kwargs in plan.items():
        key = json.dumps(kwargs, sort_keys=True)
        if key in done:  # identical simulate call (e.g. default standing in as margin): reuse
            pairs[strategy] = {**pairs[done[key]], "same_run_as": done[key]}
        else:
            res = pairs[strategy] = run_pair(dataset, strategy, kwargs, args)
            done[key] = strategy
            _say(f"[{dataset}/{strategy}] ran {res['strategy_run']}, seed {res['seed_size']}, "
                 f"features {res['representation']} -> {res['chosen_at_end']} ({res['seconds']} s)")  # fmt: skip
        entry["headline"] = headline(pairs, peer, args.budget)
        entry["plot"] = plot_set(args.out.parent, dataset, pairs, peer).name  # beside the JSON
        report["environment_end"] = environment()
        write_json(args.out, report)
    print_set_summary(dataset, entry["headline"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", nargs="+", default=DATASETS)
    p.add_argument("--strategies", nargs="+", default=STRATEGIES)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--budget", type=int, default=300)
    p.add_argument("--batch", type=int, default=5)
    p.add_argument("--seed-size", type=int, default=None, help="default: simulate's own")
    p.add_argument(
        "--features",
        default=None,
        help="pin a representation (e.g. pool, pretrained, both); default: the app's",
    )
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)

    options, warnings = option_kwargs(args)
    plan: dict[str, dict] = {}
    for name in args.strategies:
        kwargs, warning = strategy_kwargs(name)
        plan[name] = {**kwargs, **options}
        if warning:
            warnings.append(warning)
    for w in warnings:
        _say(f"WARNING: {w}")
    report: dict = {
        "benchmark": "label_efficiency",
        "settings": {
            "budget": args.budget,
            "batch": args.batch,
            "repeats": args.repeats,
            "seed_size": args.seed_size or signature_default("seed_size"),  # None: the app's
            "features_requested": args.features,
            "features_passed": options.get("features"),  # None: the app chose
            "test_fraction": 0.2,
            "model": signature_default("model"),
            "simulate_kwargs": plan,
        },  # fmt: skip
        "targets": {
            "default_dominates_random_from": DOMINATE_FROM,
            "default_labels_to_match_random_at_budget": round(TARGET_FRACTION * args.budget),
            "default_at_vs_peer_at": [OURS_AT, PEER_AT],
        },  # fmt: skip
        "warnings": warnings,
        "environment_start": environment(),
        "skipped": {},
        "errors": {},
        "datasets": {},
    }
    start = time.perf_counter()
    for dataset in args.datasets:
        if not (DATA / dataset / "labels.csv").exists():
            why = f"no {DATA / dataset / 'labels.csv'} (see this script's docstring to make it)"
            _say(f"[{dataset}] skipped: {why}")
            report["skipped"][dataset] = why
            continue
        try:
            run_dataset(dataset, args, plan, report)
        except Exception:  # one broken set must not cost the others' numbers
            _say(f"[{dataset}] failed:\n{traceback.format_exc()}")
            report["errors"][dataset] = traceback.format_exc(limit=3)
        write_json(args.out, report)
    report["seconds"] = round(time.perf_counter() - start, 1)
    report["environment_end"] = environment()
    write_json(args.out, report)
    print()
    print(markdown_table(report, args.budget))
    for w in warnings:
        print(f"\nWARNING: {w}")
    for name, why in report["skipped"].items():
        print(f"\nskipped {name}: {why}")
    print(f"\n{report['seconds']:.0f} s; JSON: {args.out}")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
