"""Per-answer costs of the core ``Session`` as its answer log grows. Prints one JSON object.

A 100,000-item pool (1,000 held-out test items, 5 classes, random 512-dim features) gets a log
of 500 / 5,000 / 50,000 answers written straight through the store (bulk labels, some skips and
changed answers, as a long labelling run leaves them). A ``Session`` is then opened on it and the
calls the GUI thread makes are timed (medians of repeated calls, milliseconds):

- ``open``: ``Session(store, features)`` (derives the in-memory state from the log once);
- ``answer_next``: ``answer()`` (one committed event) then ``current()`` (the next item);
- ``undo``: ``undo()`` after an answer; ``back`` / ``forward`` one step each;
- ``status``: ``status()`` (what Progress shows);
- ``training_job``: a forced retrain request built on the calling thread (the feature rows are
  gathered on the worker, not timed here);
- ``apply``: ``apply_result()`` of a finished round (a ready-made ranking: the fit is a
  worker's, not timed here);
- ``commit_ms``: one event appended and committed alone (the floor of answer and undo);
- ``worker_gather_ms``: the job read and its training rows gathered (the app gathers them in
  its training process);
- ``cli_status``: what ``aldesk status`` computes (read-only open included).

Run: ``cd /work/main && .venv/bin/python benchmarks/bench_session_ops.py [--sizes 500 5000 50000]``
(first run builds the projects under /tmp/aldesk-bench-session, about 10 s each).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

_HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(_HERE.parent), str(_HERE)]
from _pools import environment, median  # noqa: E402

from aldesk.core.features.types import FeatureSet  # noqa: E402
from aldesk.core.project import ProjectSettings  # noqa: E402
from aldesk.core.ranking import Ranking  # noqa: E402
from aldesk.core.rounds import RoundResult  # noqa: E402
from aldesk.core.session import Session  # noqa: E402
from aldesk.core.store import NewItem, ProjectStore  # noqa: E402

ROOT = Path("/tmp/aldesk-bench-session")
N_ITEMS = 100_000
N_TEST = 1_000
N_CLASSES = 5
DIMS = 512
REPS = 15


def _hash(i: int) -> str:
    return f"{i:064x}"


def build_project(n_answers: int) -> Path:
    """A closed project with ``n_answers`` answers in its log; built once per size."""
    path = ROOT / f"p{n_answers}.aldesk"
    done = ROOT / f"p{n_answers}.complete"
    if done.exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    settings = asdict(ProjectSettings(batch=5, seed_size=10, test_size=N_TEST))
    with ProjectStore.create(path, pool_root=ROOT, kind="image",
                             classes=[f"c{k}" for k in range(N_CLASSES)],
                             settings=settings) as store:  # fmt: skip
        ids = store.add_items(
            NewItem(_hash(i), f"f{i:06d}.png", "image", 1, i, arrival=i) for i in range(N_ITEMS)
        )
        rng = np.random.default_rng(0)
        store.set_split(ids[:N_TEST], "test")
        classes = [c.id for c in store.classes()]
        n_test = min(N_TEST // 2, n_answers // 50)
        answered = rng.choice(ids[N_TEST:], size=n_answers - n_test, replace=False)
        labels = [(int(i), classes[int(i) % N_CLASSES], "pool") for i in answered]
        labels += [(i, classes[i % N_CLASSES], "test") for i in ids[:n_test]]
        n_skip = len(labels) // 20
        store.record_many([(i, "skip", None, s, None, "margin") for i, _, s in labels[:n_skip]])
        store.record_labels(labels[n_skip:], strategy="margin")
        # some answers changed later (back, then another key), as a long run leaves them
        store.record_labels(labels[n_skip : n_skip + len(labels) // 50], strategy="margin")
        store.set("seed_queue", [])
    done.touch()
    return path


def _features() -> FeatureSet:
    rng = np.random.default_rng(1)
    X = rng.standard_normal((N_ITEMS, DIMS), dtype=np.float32)
    return FeatureSet("bench", X, [_hash(i) for i in range(N_ITEMS)])


def _timed(fn, reps: int = REPS, before=None) -> float:
    """Median milliseconds of ``fn()``; ``before()`` runs untimed before each call."""
    times = []
    for _ in range(reps):
        if before is not None:
            before()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return round(median(times) * 1000, 3)


def _fake_ranking(session: Session, round_: int) -> Ranking:
    """A finished round's ranking without a fit (the fit is the worker's)."""
    n = len(session.features.hashes)
    proba = np.full((n, N_CLASSES), 1.0 / N_CLASSES, dtype=np.float32)
    proba[np.arange(n), np.arange(n) % N_CLASSES] += 0.1
    order = np.arange(200, dtype=np.intp) + N_TEST
    return Ranking(round_, order, np.linspace(1, 0, 200), proba, "margin", 0.1, 0.1)


def measure(n_answers: int, features: FeatureSet) -> dict:
    path = build_project(n_answers)
    work = ROOT / "work.aldesk"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(path, work)
    out: dict = {"answers": n_answers}
    with ProjectStore.open(work) as store:
        t0 = time.perf_counter()
        session = Session(store, features)
        out["open_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        first = session.classes[0].id

        out["answer_next_ms"] = _timed(lambda: (session.answer(first), session.current()))
        out["undo_ms"] = _timed(session.undo, before=lambda: session.answer(first))
        out["back_ms"] = _timed(session.back)
        out["forward_ms"] = _timed(session.forward)
        while session.forward() is not None and session.can_go_forward():
            pass
        out["status_ms"] = _timed(session.status)
        out["training_job_ms"] = _timed(lambda: session.training_job(force=True))
        rounds = iter(range(1000, 2000))

        ranking = _fake_ranking(session, 0)

        def apply() -> None:
            session.apply_result(RoundResult(replace(ranking, round=next(rounds))))

        # a new label before each: every applied round is a new point of the curve
        out["apply_ms"] = _timed(apply, reps=5, before=lambda: session.answer(first))
        # one committed event alone (what answer and undo each write): the floor of both
        out["commit_ms"] = _timed(lambda: store.record(1, "skip"))
        job = session.training_job(force=True)
        t0 = time.perf_counter()
        np.asarray(job.request.snapshot.X)  # where the model is fitted, the rows are gathered
        out["worker_gather_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    from aldesk.commands_status import _read_status

    out["cli_status_ms"] = _timed(lambda: _read_status(work), reps=5)
    shutil.rmtree(work, ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5_000, 50_000])
    args = parser.parse_args()
    ROOT.mkdir(parents=True, exist_ok=True)
    results, features = [], _features()
    for n in args.sizes:
        results.append(measure(n, features))
    print(json.dumps({"env": environment(), "pool_items": N_ITEMS, "dims": DIMS,
                      "results": results}, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
