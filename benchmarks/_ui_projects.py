"""Projects for bench_ui.py: a 10k or 100k-image pool, with 0 / 500 / 5,000 / 50,000 answers.

Each case is built once under ``BENCH_DIR`` and copied fresh for every run (a never-opened copy).
The answer log is written as the app would leave it: labels with the true class (a held-out test
item after every five pool labels while test items last) and one learning-curve round per five
labels, so the Progress panel and the curve hold as many points as such a project would.
"""

from __future__ import annotations

import csv
import shutil
import sys
import time
from pathlib import Path

import numpy as np
from _pools import BENCH_DIR, MNIST, digit_classes, image_pool_10k, image_pool_100k

POOLS = {"10k": image_pool_10k, "100k": image_pool_100k}
ANSWERS = (0, 500, 5_000, 50_000)


def _base(pool: str) -> Path:
    return BENCH_DIR / f"proj-{pool}-v1.aldesk"


def base_project(pool: str) -> Path:
    """A never-opened project on the pool, features cached; built once (minutes)."""
    path, done = _base(pool), BENCH_DIR / f"proj-{pool}-v1.complete"
    if done.exists():
        return path
    from aldesk.core.project import ProjectSettings, compute_features, create_project

    folder = POOLS[pool]()
    shutil.rmtree(path, ignore_errors=True)
    t = time.perf_counter()
    # 100k: pool-learned features only (the pretrained encoder would take an hour in the
    # background of every run, and is not what these benchmarks measure)
    extra = {"representation": "pool"} if pool == "100k" else {}
    settings = ProjectSettings(batch=5, **extra)
    store, _scan = create_project(path, folder, digit_classes(), settings)
    result = compute_features(store)
    shape = result.features.X.shape
    store.close()
    print(f"built {path}: features {shape} in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    done.write_text("ok\n")
    return path


def truth() -> dict[str, str]:
    """relpath -> digit, for both pools' names (``aug_NAME`` and ``vKK/aug_NAME``)."""
    with (MNIST / "labels.csv").open() as f:
        labels = {r["path"]: r["label"] for r in csv.DictReader(f)}
    out = {**labels, **{f"aug_{k}": v for k, v in labels.items()}}
    for k in range(20):
        out.update({f"v{k:02d}/aug_{name}": v for name, v in labels.items()})
    return out


def answered_project(pool: str, answers: int) -> Path:
    """The base project with ``answers`` labels in its log (and their rounds); built once."""
    if answers == 0:
        return base_project(pool)
    path = BENCH_DIR / f"proj-{pool}-a{answers}-v1.aldesk"
    done = path.with_suffix(".complete")
    if done.exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    shutil.copytree(base_project(pool), path, ignore=shutil.ignore_patterns("lock"))
    _write_answers(path, answers)
    done.write_text("ok\n")
    return path


def _write_answers(path: Path, answers: int) -> None:
    from aldesk.core.store import ProjectStore, RoundRecord

    oracle = truth()
    with ProjectStore.open(path) as store:
        cls = {c.name: c.id for c in store.classes()}
        items = store.items()
        rng = np.random.default_rng(1)
        pool = [it for it in items if it.split == "pool" and it.status == "ok"]
        tests = [it for it in items if it.split == "test" and it.status == "ok"]
        order = [pool[i] for i in rng.permutation(len(pool))]
        rows, tests_left = [], list(tests)
        for it in order:
            if len(rows) >= answers:
                break
            if tests_left and len(rows) % 6 == 5:
                t = tests_left.pop()
                rows.append((t.id, cls[oracle[t.relpath]], "test"))
            else:
                rows.append((it.id, cls[oracle[it.relpath]], "pool"))
        store.record_labels(rows, strategy="margin")
        # as a project opened before has it: the seed set drawn on its first open
        seeds = [i for i, _c, split in rows if split == "pool"][: store.get("seed_size", 10)]
        store.set("seed_queue", seeds)
        n_test = len(tests) - len(tests_left)
        t0 = time.time() - 3600
        for k in range(1, (len(rows) - n_test) // 5 + 1):  # a round per 5 pool labels
            acc = 0.95 - 0.85 / (1 + k / 20)
            store.add_round(RoundRecord(
                round=k, n_labels=5 * k, n_test=min(n_test, k), accuracy=acc,
                accuracy_lo=acc - 0.05, accuracy_hi=min(1.0, acc + 0.05), fit_seconds=0.1,
                strategy="margin", at=t0 + k,
            ))  # fmt: skip


def fresh_copy(pool: str, answers: int, name: str) -> Path:
    dest = BENCH_DIR / "runs" / f"{name}.aldesk"
    shutil.rmtree(dest, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(answered_project(pool, answers), dest, ignore=shutil.ignore_patterns("lock"))
    return dest


if __name__ == "__main__":  # build the cases: python benchmarks/_ui_projects.py 100k 0 500 ...
    for n in sys.argv[2:] or ["0"]:
        t = time.perf_counter()
        print(answered_project(sys.argv[1], int(n)), f"{time.perf_counter() - t:.0f} s")
