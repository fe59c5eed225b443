"""Which representation, and does choosing it from the labels work? 5-fold CV on every dev set.

For each data set: features learned from the pool, the pretrained encoder's, both side by side
(the app's block weighting), and "auto": inside each outer training fold the app's own choice
(``representation.choose``, a 3-fold CV of the candidates on that fold's labels) picks one, which
is then scored on the held-out fold. The classifier is the app's learner (standardisation +
logistic regression, C = 1) trained through ``learner.train`` with the representation's column
weights, so the numbers are the app's, not a stand-in's. Items are deduplicated by content, as
the app does.

Run: ``python benchmarks/representation_quality.py [--datasets ...] [--out FILE]``; prints a
table and writes ``benchmarks/results/representation_quality.json``. A data set is any folder
under ``ALDESK_DATA`` with a ``labels.csv`` (path,label); its media kind is read from its files.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

_HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(_HERE.parent), str(_HERE)]
from _pools import BENCH_DIR, DATA, environment, write_json  # noqa: E402

from aldesk.core.features import ensure_features  # noqa: E402
from aldesk.core.features.extractors import pretrained_key  # noqa: E402
from aldesk.core.learner import TrainingSnapshot, train  # noqa: E402
from aldesk.core.media import media_kind  # noqa: E402
from aldesk.core.representation import CANDIDATES, choose, combine  # noqa: E402
from aldesk.core.validation import choice_scorer  # noqa: E402

RESULTS = _HERE / "results" / "representation_quality.json"
DEV_SETS = ["mnist", "digits", "clipart", "spoken", "words", "instruments"]
TARGETS = {"clipart": 0.72, "instruments": 0.80, "spoken": 0.82, "mnist": 0.95}


def load_set(name: str) -> tuple[list[tuple[str, Path]], np.ndarray]:
    """Unique contents of the set (first label wins, as the app keeps one item per content)."""
    root = DATA / name
    with open(root / "labels.csv", newline="") as fp:
        rows = list(csv.DictReader(fp))
    files, labels, seen = [], [], set()
    for r in rows:
        path = root / r["path"]
        h = hashlib.sha256(path.read_bytes()).hexdigest()
        if h not in seen:
            seen.add(h)
            files.append((h, path))
            labels.append(r["label"])
    return files, np.unique(np.array(labels), return_inverse=True)[1]


def set_kind(files: list[tuple[str, Path]]) -> str:
    """``image`` or ``audio``: the kind most of the set's files are (any set, not only ours)."""
    kinds = [media_kind(path) for _, path in files]
    return max(("image", "audio"), key=kinds.count)


def features(name: str, files: list) -> tuple[np.ndarray, object]:
    kind = set_kind(files)
    cache = BENCH_DIR / f"repr-{name}"
    pool = ensure_features(cache, kind, files).features
    pre = ensure_features(cache, pretrained_key(kind), files).features
    combined, layout = combine(pool, pre)
    order = [combined.row(h) for h, _ in files]
    if any(r is None for r in order):
        raise SystemExit(f"{name}: some items have no features")
    return combined.X[order], layout


def fold_ids(y: np.ndarray, folds: int = 5, seed: int = 0) -> np.ndarray:
    from sklearn.model_selection import StratifiedKFold

    out = np.empty(len(y), dtype=int)
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for f, (_, test) in enumerate(cv.split(np.zeros(len(y)), y)):
        out[test] = f
    return out


def score(X, y, weights, train_rows, test_rows, n_classes) -> float:
    snap = TrainingSnapshot(X[train_rows], y[train_rows], n_classes, feature_weights=weights)
    return float((train(snap).predict(X[test_rows]) == y[test_rows]).mean())


def evaluate(name: str) -> dict:
    files, y = load_set(name)
    start = time.perf_counter()
    X, layout = features(name, files)
    extract = time.perf_counter() - start
    n_classes = int(y.max()) + 1
    folds = fold_ids(y)
    acc: dict[str, list[float]] = {c: [] for c in (*CANDIDATES, "auto")}
    picked = []
    for f in range(5):
        tr, te = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
        for c in CANDIDATES:
            acc[c].append(score(X, y, layout.weights(c), tr, te, n_classes))
        choice = choose(X[tr], y[tr], layout, "auto", None, choice_scorer(f))
        picked.append(choice.name)
        acc["auto"].append(acc[choice.name][-1])
    out = {k: round(float(np.mean(v)), 4) for k, v in acc.items()}
    return {"items": len(y), "classes": n_classes, "dims": layout.to_json(), **out,
            "auto_picked": picked, "target": TARGETS.get(name),
            "extract_seconds": round(extract, 1)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", nargs="+", default=DEV_SETS)
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    report = {"benchmark": "representation_quality", "environment": environment(), "sets": {}}
    print(
        "| set | items | classes | pool | pretrained | both | auto (default) | auto picked | target |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.datasets:
        if not (DATA / name / "labels.csv").exists():
            print(f"skipping {name}: no labels.csv", file=sys.stderr)
            continue
        r = report["sets"][name] = evaluate(name)
        write_json(args.out, report)
        print(f"| {name} | {r['items']} | {r['classes']} | {r['pool']:.3f} | {r['pretrained']:.3f}"
              f" | {r['both']:.3f} | **{r['auto']:.3f}** | {', '.join(r['auto_picked'])} | "
              f"{r['target'] or '—'} |", flush=True)  # fmt: skip
    json.dumps(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
