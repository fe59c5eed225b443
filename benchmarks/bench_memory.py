"""Memory of the whole app over an open and a few retrains, per process. Prints one JSON object.

Opens a standard case of ``bench_ui.py`` (``--pool 100k --answers 50000`` by default) through
the app's own open path (``WindowManager.open_project``, offscreen Qt), waits until the
features are loaded and the first round applied ("settled"), then answers ``--rounds`` batches
of 5 with the true classes, each followed by a real retrain (a fit on every label so far in the
training process). A thread samples every ``--every-ms``:

- the GUI process's resident memory (RSS) split into anonymous / file / shared pages
  (``/proc/self/status``), its peak while opening and while retraining;
- every process the app started (feature workers' fork server, training process, resource
  tracker): RSS and PSS (``smaps_rollup``; PSS splits shared pages between the processes that
  map them, so the sum over processes counts the shared pool matrix once).

Target (issue 13): memory <= 400 MB plus the feature matrix. ``gui_*`` is the GUI process;
``app_pss_*`` is the whole app (GUI + its processes).

Run: ``python benchmarks/bench_memory.py [--pool 100k] [--answers 50000] [--rounds 3]``
(the case is built on first use, see ``bench_ui.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(_HERE.parent), str(_HERE)]  # this checkout's aldesk, then the helpers
from _pools import environment  # noqa: E402
from _qt_probes import qt_core, run_for, wait_until  # noqa: E402
from _ui_projects import fresh_copy, truth  # noqa: E402

MB = 1024  # the /proc files count kB


def _fields(path: str, names: tuple[str, ...]) -> dict[str, float]:
    out = {}
    try:
        with open(path) as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in names:
                    out[key] = int(rest.split()[0]) / MB
    except OSError:  # the process has just exited
        pass
    return out


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


class Sampler:
    """Samples the GUI process and its descendants on a thread, tagged with the phase."""

    def __init__(self, every_s: float) -> None:
        self.every_s, self.phase, self.rows = every_s, "open", []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.rows.append((self.phase, *_consistent_sample()))
            self._stop.wait(self.every_s)

    def peak(self, phase: str, value) -> float:
        values = [value(r) for r in self.rows if r[0] == phase]
        return round(max(values), 1) if values else float("nan")

    def at_peak(self, phase: str, key, value) -> list:
        """``value`` of the sample where ``key`` peaks in ``phase``."""
        rows = [r for r in self.rows if r[0] == phase]
        return value(max(rows, key=key)) if rows else []

    def last(self, phase: str, value):
        values = [value(r) for r in self.rows if r[0] == phase]
        if not values:
            return float("nan")
        return values[-1] if isinstance(values[-1], list) else round(values[-1], 1)


def _consistent_sample(tries: int = 20) -> tuple[dict, float, dict]:
    """The GUI's status and PSS and its children's RSS and PSS, read as one snapshot.

    The processes are read one after the other: pages that become shared in between (the
    training process first touching the pool matrix the GUI holds) would count whole in the
    GUI, read before, and half in the child, read after: a sum up to ~60 MB too high for one
    sample. So the GUI's PSS is read again after the children's, and the sample is kept once
    the two readings agree within 1 MB (the last try is kept in any case).
    """
    me = os.getpid()
    for _ in range(tries):
        gui = _fields("/proc/self/status", ("VmRSS", "RssAnon", "RssFile", "RssShmem"))
        gui_pss = _fields("/proc/self/smaps_rollup", ("Pss",)).get("Pss", 0.0)
        kids = {p: _fields(f"/proc/{p}/smaps_rollup", ("Rss", "Pss")) for p in _descendants(me)}
        again = _fields("/proc/self/smaps_rollup", ("Pss",)).get("Pss", 0.0)
        if abs(again - gui_pss) <= 1.0:
            break
    return gui, gui_pss, kids


def _app_pss(row) -> float:
    return row[2] + sum(k.get("Pss", 0.0) for k in row[3].values())


def _pss_parts(row) -> list[float]:
    return [round(row[2], 1), *sorted((round(k.get("Pss", 0.0), 1) for k in row[3].values()),
                                      reverse=True)]  # fmt: skip


def _children_rss(row) -> float:
    return max((k.get("Rss", 0.0) for k in row[3].values()), default=0.0)


def run(pool: str, answers: int, rounds: int, every_ms: int) -> dict:
    path = fresh_copy(pool, answers, "bench-memory")
    qt_core()
    from aldesk.gui.app import WindowManager, create_app

    app = create_app()
    sampler = Sampler(every_ms / 1000)
    sampler.start()
    manager = WindowManager()
    if not manager.open_project(str(path)):
        raise SystemExit("open failed")
    c = manager._windows[0].controller
    settled = lambda: c.session.features is not None and not c.training_pending()  # noqa: E731
    if not wait_until(app, settled, 600):
        raise SystemExit("the project did not settle")
    sampler.phase = "settled"
    run_for(app, 1.0)
    oracle = truth()
    ids = {k.name: k.id for k in c.session.store.classes()}
    sampler.phase = "retraining"
    for _ in range(rounds):
        for _ in range(5):
            c.answer(ids[oracle[c.current().item.relpath]])
            run_for(app, 0.05)
        wait_until(app, lambda: not c.training_pending(), 600)
        run_for(app, 0.3)
    sampler.stop()
    from aldesk.core import train_process

    trainer = train_process.client()  # where the fits ran: the training process, or the app
    fits, notice = trainer.fits, trainer.last_notice
    features_mb = c.session.features.X.nbytes / 2**20
    manager._windows[0].close()
    manager.shutdown()
    gui = lambda key: lambda r: r[1].get(key, 0.0)  # noqa: E731
    return {
        "pool": pool, "answers": answers, "rounds": rounds, "feature_matrix_mb": round(features_mb),
        "gui_rss_peak_open_mb": sampler.peak("open", gui("VmRSS")),
        "gui_rss_settled_mb": sampler.last("settled", gui("VmRSS")),
        "gui_rss_peak_retraining_mb": sampler.peak("retraining", gui("VmRSS")),
        "gui_settled_anon_file_shmem_mb": [sampler.last("settled", gui(k))
                                           for k in ("RssAnon", "RssFile", "RssShmem")],
        "largest_child_rss_settled_mb": sampler.last("settled", _children_rss),
        "largest_child_rss_peak_retraining_mb": sampler.peak("retraining", _children_rss),
        "app_pss_settled_mb": sampler.last("settled", _app_pss),
        "pss_settled_gui_then_children_mb": sampler.last("settled", _pss_parts),
        "app_pss_peak_open_mb": sampler.peak("open", _app_pss),
        "pss_peak_open_gui_then_children_mb": sampler.at_peak("open", _app_pss, _pss_parts),
        "app_pss_peak_retraining_mb": sampler.peak("retraining", _app_pss),
        "pss_peak_retraining_gui_then_children_mb": sampler.at_peak("retraining", _app_pss,
                                                                     _pss_parts),
        "fits_in_training_process": fits, "training_notice": notice,
        "gui_imported_scikit_learn": "sklearn" in sys.modules,
        "target_mb": round(400 + features_mb),
        "samples": len(sampler.rows),
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pool", default="100k", choices=["10k", "100k"])
    ap.add_argument("--answers", type=int, default=50000, choices=[0, 500, 5000, 50000])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--every-ms", type=int, default=20)
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args()
    out = {"environment": environment(), **run(args.pool, args.answers, args.rounds, args.every_ms)}
    text = json.dumps(out, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":  # the feature workers' fork server imports this module as __main__
    main()
