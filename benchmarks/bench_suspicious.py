"""Time the doubtful-label check (5-fold cross-validated logistic regression, confident learning)
and the near-duplicate / outlier scan on labelled sets the size of a real project.

    .venv/bin/python benchmarks/bench_suspicious.py [--labels 1000] [--dim 2432] [--pool 10000]

The defaults match an image project with both feature blocks (1,152 pool-learned + 1,280
EfficientNet columns): 1,000 labels of 10 classes, 6% of them flipped; the scan covers a pool of
10,000 items. Both run on the review window's worker thread in the app.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.datasets import make_classification

from aldesk.core.review import ReviewRequest, find_suspicious
from aldesk.core.review_space import scan_space


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", type=int, default=1000)
    ap.add_argument("--dim", type=int, default=2432)
    ap.add_argument("--pool", type=int, default=10_000)
    args = ap.parse_args()
    X, y = make_classification(
        n_samples=args.pool, n_features=args.dim, n_informative=60, n_classes=10,
        n_clusters_per_class=1, class_sep=3.0, flip_y=0, random_state=0,
    )  # fmt: skip
    X = X.astype(np.float32)
    rng = np.random.default_rng(0)
    rows = rng.choice(args.pool, args.labels, replace=False)
    given = y[rows].copy()
    flips = rng.choice(args.labels, int(0.06 * args.labels), replace=False)
    given[flips] = (given[flips] + rng.integers(1, 10, len(flips))) % 10
    request = ReviewRequest(rows, X, rows, given, 10)
    t0 = time.perf_counter()
    result = find_suspicious(request)
    t1 = time.perf_counter()
    top = {int(s.item_id) for s in result.suspects[: len(flips)]}
    found = len(top & {int(rows[f]) for f in flips})
    print(f"{args.labels} labels x {args.dim} columns: {t1 - t0:.1f} s "
          f"({result.folds} folds); {found} of {len(flips)} planted flips in the top "
          f"{len(flips)}; {len(result.suspects)} suspects, about {result.estimated_errors} "
          "wrong by confident learning")  # fmt: skip
    t2 = time.perf_counter()
    report = scan_space(np.arange(args.pool), X)
    print(f"near-duplicates and outliers over {args.pool} items: {time.perf_counter() - t2:.1f} s "
          f"({len(report.duplicates)} pairs)")  # fmt: skip


if __name__ == "__main__":
    main()
