"""The stream panel's counts as a stream project's log grows. Prints one JSON object.

A 100,000-item stream project gets a log of 50,000 answers (by default) written straight through
the store: four in five discarded, the rest labelled, as a long stream leaves them. A ``Session``
is opened on it and the calls the GUI thread makes after every answer are timed (medians of
repeated calls, milliseconds):

- ``stream_summary``: the Stream panel's seen / queried / discarded / waiting;
- ``answer_summary``: ``answer()``, ``current()`` (the next arrival) and ``stream_summary()``,
  what one key press in a stream project costs the session;
- ``reload_items``: every item read again (what a flagged file cost before ``item_flagged``);
- ``item_flagged``: the session following one file the viewer flagged (the store's update,
  the same either way, is not timed).

Run: ``cd /work/main && .venv/bin/python benchmarks/bench_stream_summary.py [--sizes 500 50000]``.
Another checkout can be measured with ``--src /path/to/tree`` (imported before this one).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

_HERE = Path(__file__).resolve().parent
ROOT = Path("/tmp/aldesk-bench-stream")
N_ITEMS = 100_000
REPS = 41


def _setup_path(src: str | None) -> None:
    sys.path[:0] = [src or str(_HERE.parent), str(_HERE)]


def build_project(n_answers: int) -> Path:
    """A closed stream project with ``n_answers`` answers in its log; built once per size."""
    from aldesk.core.project import ProjectSettings
    from aldesk.core.store import NewItem, ProjectStore

    path, done = ROOT / f"s{n_answers}.aldesk", ROOT / f"s{n_answers}.complete"
    if done.exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    settings = asdict(ProjectSettings(scenario="stream", stream_threshold=0.8, test_size=0))
    with ProjectStore.create(path, pool_root=ROOT, kind="image", classes=["a", "b"],
                             settings=settings) as store:  # fmt: skip
        ids = store.add_items(
            NewItem(f"{i:064x}", f"f{i:06d}.png", "image", 1, i, arrival=i) for i in range(N_ITEMS)
        )
        classes = [c.id for c in store.classes()]
        decided = ids[:n_answers]
        store.record_many([(i, "discard", None, "pool", None, "stream", 0.9)
                           for i in decided if i % 5])  # fmt: skip
        store.record_labels([(i, classes[i % 2], "pool") for i in decided if not i % 5],
                            strategy="stream")  # fmt: skip
        store.set("seed_queue", [])
    done.touch()
    return path


def _timed(fn, reps: int = REPS, before=None) -> float:
    times = []
    for _ in range(reps):
        if before is not None:
            before()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return round(sorted(times)[len(times) // 2] * 1000, 3)


def measure(n_answers: int) -> dict:
    from aldesk.core.session import Session
    from aldesk.core.store import ProjectStore

    path = build_project(n_answers)
    work = ROOT / "work.aldesk"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(path, work)
    out: dict = {"answers": n_answers}
    with ProjectStore.open(work) as store:
        session = Session(store)
        first = session.classes[0].id
        session.current()
        summary = session.stream_summary()
        out["summary"] = [summary.seen, summary.queried, summary.discarded, summary.waiting]
        out["stream_summary_ms"] = _timed(session.stream_summary)
        out["answer_summary_ms"] = _timed(
            lambda: (session.answer(first), session.current(), session.stream_summary())
        )
        out["reload_items_ms"] = _timed(session.reload_items, reps=7)
        if hasattr(session, "item_flagged"):
            flagged = [N_ITEMS + 1]  # item ids run 1..N_ITEMS; the last ones are unanswered

            def flag() -> None:
                flagged.append(flagged[-1] - 1)
                store.update_item(flagged[-1], status="unreadable", reason="bench")

            out["item_flagged_ms"] = _timed(lambda: session.item_flagged(flagged[-1]), before=flag)
    shutil.rmtree(work, ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 50_000])
    parser.add_argument("--src", help="an aldesk source tree to measure instead of this one")
    args = parser.parse_args()
    _setup_path(args.src)
    from _pools import environment

    ROOT.mkdir(parents=True, exist_ok=True)
    results = [measure(n) for n in args.sizes]
    print(json.dumps({"env": environment(), "pool_items": N_ITEMS, "results": results}, indent=1))


if __name__ == "__main__":
    main()
