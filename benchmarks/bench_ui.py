"""The desktop app's responsiveness on a 10k or 100k-image pool (offscreen Qt). Prints one JSON
object.

Standard cases (``--pool 10k|100k --answers 0|500|5000|50000``, built once by
``_ui_projects.py``): a pool of mnist digits (10k: each digit and a perturbed copy; 100k: each
digit and 19 copies in 20 folders, pool-learned features only), with 0 / 500 / 5,000 / 50,000
answers already in the log and a learning-curve round per five labels.

Three measurements, each taken with the real classes (``MainWindow``, ``LabelingController``,
``Trainer`` running ``run_round``), nothing mocked:

``keys`` — key press -> next item painted. A 10k-image project (mnist + perturbed copies, image
features cached) is labelled by key presses with the correct hotkey, batch k=5, so the trainer
lane retrains every 5 labels exactly as in use. Per press: ``t0`` just before
``QTest.keyClick(window, key)``; ``paint_end`` when ``QGraphicsView.paintEvent`` of the image
canvas returns for the first paint after the viewer's ``loaded`` signal for the new item (the
benchmark wraps ``_Canvas.paintEvent`` in this process; the app's code is unchanged); ``idle``
when a 0 ms timer started by that paint fires (the event loop is free again, i.e. after the
backing-store flush). Also reported: the time ``keyClick`` takes to return (answer committed with
fsync, next query chosen, status refreshed), and presses that overlapped a running retrain.
Between presses the event loop runs for ``--gap-ms`` (a brisk labeller's pace).

``stall`` — longest GUI-thread stall while retraining. A 5 ms ``QTimer`` heartbeat runs on the GUI
thread; the trainer lane runs real ``run_round`` jobs on a 10k x 512 float32 pool with ~300
labels (given the previous round's representation choice, as the session does; every fit
starts from zeros since the twenty-fifth session).
Each retrain is followed by an idle window of the same length (the baseline, same run), so the
ratio stall/baseline is taken under the same machine load. The GUI-side ``apply_result`` is not
part of this one; the ``keys`` run reports the heartbeat during real labelling, which includes it.

``open`` — open a 10k-item project with cached features -> first queried item painted, in a
fresh subprocess per run (each on a fresh copy of the same never-opened project): "from process
start" is measured from just before ``Popen`` (parent clock) and "from open call" from just before
``WindowManager.open_project`` (the app's own open path: ``ProjectStore.open``, ``MainWindow``).

``open`` also reports the longest GUI-thread stall from ``open_project`` returning until the
rescan, page check, warm-up and features are done, and resident memory (RSS) then.

Targets (issue 13, at 100k items with 50,000 answers): keys p95 <= 16 ms; any stall <= 50 ms;
open <= 1 s; memory <= 400 MB plus the feature matrix.

Run: ``cd /work/main && python benchmarks/bench_ui.py [--parts keys stall open] [--presses 200]
[--pool 100k --answers 50000]`` (the first run of a case builds its pool, features and log under
/tmp/aldesk-bench: 100k takes about 5 minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")
_HERE = Path(__file__).resolve().parent
# this checkout's aldesk, not whatever the editable install points at; then _pools
sys.path[:0] = [str(_HERE.parent), str(_HERE)]
from _pools import BENCH_DIR, environment, feature_matrix, median, summary_ms  # noqa: E402
from _qt_probes import (  # noqa: E402
    HEARTBEAT_MS,
    Heartbeat,
    PaintProbe,
    instrument_canvas,
    qt_core,
    run_for,
    wait_until,
)
from _ui_projects import ANSWERS, POOLS, answered_project, truth  # noqa: E402
from _ui_projects import fresh_copy as _fresh_copy  # noqa: E402

CASE = {"pool": "10k", "answers": 0}  # set from the command line


def fresh_copy(name: str) -> Path:
    return _fresh_copy(CASE["pool"], CASE["answers"], name)


def rss_mb() -> float:
    """This process's resident memory now (Linux /proc), in MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


# ----------------------------------------------------------------------------- keys
def bench_keys(app, presses: int, warmup: int, gap_ms: int) -> dict:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from aldesk.core.store import ProjectStore
    from aldesk.gui.controller import LabelingController
    from aldesk.gui.main_window import MainWindow

    oracle = truth()
    store = ProjectStore.open(fresh_copy("keys"))
    controller = LabelingController(store)
    window = MainWindow(store, controller)
    controller.setParent(window)
    keys = {c.name: getattr(Qt.Key, f"Key_{c.hotkey.upper()}") for c in store.classes()}
    probe = PaintProbe(window.viewer)
    rounds = []
    controller.trainer.ranked.connect(lambda r: rounds.append(time.perf_counter()))
    heart = Heartbeat()
    probe.expect(controller.current().abspath)
    window.show()
    window.activateWindow()
    assert wait_until(app, lambda: controller.session.features is not None and probe.done, 300)
    heart.start()
    rows, warm_rows = [], []
    for i in range(warmup + presses):
        query = controller.current()
        busy = controller.trainer.busy
        ahead = getattr(window.viewer, "prepared_ahead", lambda: None)()
        t0, cpu0 = time.perf_counter(), time.thread_time()
        QTest.keyClick(window, keys[oracle[query.item.relpath]])
        t_ret, cpu_ret = time.perf_counter(), time.thread_time()
        probe.expect(controller.current().abspath)
        from_ahead = ahead is not None and str(ahead) == str(controller.current().abspath)
        if not wait_until(app, lambda: probe.done, 30):
            raise RuntimeError(f"press {i}: the next item was never painted")
        if i < warmup:
            warm_rows.append(round(1000 * (probe.paint_end - t0), 1))
        else:
            rows.append({"ret": t_ret - t0, "ret_cpu": cpu_ret - cpu0, "ahead": from_ahead, "loaded": probe.loaded_at - t0,
                         "paint": probe.paint_end - t0, "idle": probe.idle_at - t0,
                         "busy": busy or controller.trainer.busy, "t0": t0,
                         "end": probe.idle_at})  # fmt: skip
        run_for(app, gap_ms / 1000)
    heart.stop()
    t_first, t_last = rows[0]["t0"], rows[-1]["end"]
    # the heartbeat's gaps between presses (press handling is reported by itself above)
    idle_gaps = [
        heart.max_gap(a["end"], b["t0"], clip=True) for a, b in zip(rows, rows[1:], strict=False)
    ]
    n_labels = len(store.labels(split="pool"))
    n_rounds = len(store.rounds())
    window.close()
    overlapped = [r for r in rows if r["busy"]]
    return {
        **CASE, "presses": len(rows), "warmup_presses": warmup, "gap_ms": gap_ms, "batch": 5,
        "pool_items": len(controller.session._items), "labels_at_end": n_labels,
        "retrains_applied": n_rounds,
        "retrains_during_measurement": sum(t_first <= t <= t_last for t in rounds),
        "key_to_paint_end": summary_ms([r["paint"] for r in rows]),
        "key_to_idle_after_paint": summary_ms([r["idle"] for r in rows]),
        "key_to_loaded_signal": summary_ms([r["loaded"] for r in rows]),
        "keyclick_return": summary_ms([r["ret"] for r in rows]),
        # the GUI thread's CPU time inside keyClick: the same work in every press, so a slow
        # press with as much CPU time as wall time is the CPU running slower, not more work
        "keyclick_gui_cpu": summary_ms([r["ret_cpu"] for r in rows]),
        # the next image was already decoded (the viewer decodes the likely next one ahead)
        "presses_shown_from_decode_ahead": sum(r["ahead"] for r in rows),
        "key_to_paint_end_decoded_ahead": summary_ms([r["paint"] for r in rows if r["ahead"]]),
        "key_to_paint_end_decoded_on_press": summary_ms([r["paint"] for r in rows if not r["ahead"]]),
        "slowest_keyclick_gui_cpu_ms": round(1000 * max(rows, key=lambda r: r["ret"])["ret_cpu"], 1),
        "warmup_key_to_paint_end_ms": warm_rows,
        "switch_interval_s": sys.getswitchinterval(),
        "presses_overlapping_retrain": len(overlapped),
        "key_to_paint_end_overlapping_retrain": summary_ms([r["paint"] for r in overlapped]),
        "heartbeat_max_gap_between_presses": summary_ms(idle_gaps),
        # the issue-13 target is also "no single press over 50 ms": how many were, and of
        # those, how many overlapped a retrain
        "presses_over_50ms": sum(r["paint"] > 0.05 for r in rows),
        "presses_over_50ms_overlapping_retrain": sum(r["paint"] > 0.05 for r in overlapped),
        "target_p95_ms": 16,
        "target_met": summary_ms([r["paint"] for r in rows])["p95_ms"] <= 16,
    }  # fmt: skip


# ----------------------------------------------------------------------------- stall
def bench_stall(app, retrains: int, n_labels: int) -> dict:
    import numpy as np

    from aldesk.core.learner import TrainingSnapshot
    from aldesk.core.ranking import RankRequest
    from aldesk.core.rounds import TrainingJob, run_round
    from aldesk.gui.workers import Trainer

    X, y = feature_matrix(10_000, 512)
    trainer = Trainer(run_round)
    results: list = []
    trainer.ranked.connect(results.append)
    heart = Heartbeat()
    heart.start()
    run_for(app, 0.3)
    train_rows, idle_rows = [], []
    warm = None
    for i in range(retrains):
        n = n_labels + i  # one more label per round, as in use
        snap = TrainingSnapshot(X[:n], y[:n], 10, previous_choice=warm)
        job = TrainingJob(RankRequest(snap, X, np.arange(n, len(X)), "margin", 5, i + 1, i))
        before = len(results)
        t0 = time.perf_counter()
        trainer.request(job)
        assert wait_until(app, lambda b=before: len(results) > b, 120)
        t1 = time.perf_counter()
        ranking = results[-1].ranking
        warm = ranking.choice
        train_rows.append({"seconds": t1 - t0, "max_gap": heart.max_gap(t0, t1),
                           "fit": ranking.fit_seconds, "rank": ranking.rank_seconds,
                           "warm": i > 0})  # fmt: skip
        t2 = time.perf_counter()  # baseline: an idle window just as long, right after
        run_for(app, t1 - t0)
        idle_rows.append(heart.max_gap(t2, time.perf_counter()))
        run_for(app, 0.05)
    heart.stop()
    trainer.shutdown()
    gaps = [r["max_gap"] for r in train_rows]
    ratio = [g / b for g, b in zip(gaps, idle_rows, strict=True)]
    return {
        "pool": [int(X.shape[0]), int(X.shape[1])], "labels": n_labels, "retrains": retrains,
        "heartbeat_ms": HEARTBEAT_MS,
        "retrain_seconds_median": round(median([r["seconds"] for r in train_rows]), 3),
        "fit_ms_median": round(1000 * median([r["fit"] for r in train_rows]), 1),
        "rank_ms_median": round(1000 * median([r["rank"] for r in train_rows]), 1),
        "cold_first_retrain": {"seconds": round(train_rows[0]["seconds"], 3),
                               "max_gap_ms": round(1000 * gaps[0], 1)},  # fmt: skip
        "max_gap_during_retrain_ms": [round(1000 * g, 1) for g in gaps],
        "max_gap_idle_baseline_ms": [round(1000 * g, 1) for g in idle_rows],
        "retrain_max_ms": round(1000 * max(gaps), 1),
        "retrain_median_of_max_ms": round(1000 * median(gaps), 1),
        "baseline_max_ms": round(1000 * max(idle_rows), 1),
        "baseline_median_of_max_ms": round(1000 * median(idle_rows), 1),
        "ratio_retrain_to_baseline_median": round(median(ratio), 2),
        "target_ms": 50,
        "target_met": max(gaps) <= 0.050,
        "target_met_median_of_max": median(gaps) <= 0.050,
    }  # fmt: skip


# ----------------------------------------------------------------------------- open
def child_open(path: str) -> None:
    """Subprocess side: open like the app does, report when the first item is painted."""
    t_child = time.time()
    qt_core()
    from aldesk.gui.app import WindowManager, create_app

    app = create_app()
    instrument_canvas()  # before any window exists
    t_imported = time.time()
    manager = WindowManager()
    t_open = time.time()
    p_open = time.perf_counter()
    if not manager.open_project(path):
        raise SystemExit("open failed")
    window = manager._windows[0]
    p_returned = time.perf_counter()
    heart = Heartbeat()
    heart.start()
    probe = PaintProbe(window.viewer)
    probe.expect(window.controller.current().abspath)
    ok = wait_until(app, lambda: probe.paint_end is not None, 60)
    t_painted = time.time() - (time.perf_counter() - probe.paint_end) if ok else None
    rss_painted = rss_mb()
    c = window.controller
    # settled: the rescan applied, features loaded and set, the page check and warm-up done
    lanes = [getattr(c, n) for n in ("scanner", "checker", "warmer", "features") if hasattr(c, n)]
    settled = wait_until(app, lambda: c.session.features is not None and not any(
        lane.busy for lane in lanes), 300)  # fmt: skip
    p_settled = time.perf_counter()
    run_for(app, 0.2)
    heart.stop()
    out = {"ok": ok, "child_start": t_child, "imported": t_imported, "open_call": t_open,
           "painted": t_painted,
           "open_returned_s": p_returned - p_open,
           "loaded_s": probe.loaded_at - p_open if ok else None,
           "settled_s": p_settled - p_open if settled else None,
           "max_stall_after_open_returned_ms": 1000 * heart.max_gap(p_returned, p_settled),
           "rss_painted_mb": rss_painted, "rss_settled_mb": rss_mb(),
           "feature_matrix_mb": c.session.features.X.nbytes / 1e6 if settled else None,
           "items": len(c.session._items)}  # fmt: skip
    window.close()
    manager.shutdown()
    print("BENCH_OPEN " + json.dumps(out), flush=True)


def bench_open(runs: int) -> dict:
    rows = []
    env = {**os.environ, "ALDESK_CONFIG_DIR": str(BENCH_DIR / "config"),
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}  # fmt: skip
    for i in range(runs):
        path = fresh_copy(f"open{i}")
        t_spawn = time.time()
        proc = subprocess.run(
            [sys.executable, __file__, "--child-open", str(path)],
            capture_output=True, text=True, env=env, timeout=300,
        )  # fmt: skip
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_OPEN ")), None)
        if line is None:
            raise RuntimeError(f"open run {i} failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
        r = json.loads(line.split(" ", 1)[1])
        rows.append({
            "from_process_start_s": r["painted"] - t_spawn,
            "from_open_call_s": r["painted"] - r["open_call"],
            "interpreter_and_imports_s": r["imported"] - t_spawn,
            "open_project_returned_s": r["open_returned_s"],
            "loaded_signal_s": r["loaded_s"],
            "settled_s": r["settled_s"],
            "max_stall_after_open_returned_ms": r["max_stall_after_open_returned_ms"],
            "rss_painted_mb": r["rss_painted_mb"],
            "rss_settled_mb": r["rss_settled_mb"],
            "feature_matrix_mb": r["feature_matrix_mb"],
        })  # fmt: skip
        items = r["items"]
    med = {k: round(median([r[k] for r in rows]), 3) for k in rows[0]}
    return {
        **CASE, "runs": runs, "pool_items": items, "median": med,
        "per_run": [{k: round(v, 3) for k, v in r.items()} for r in rows],
        "target_s": 1.0,
        "target_met": med["from_process_start_s"] <= 1.0,
        "target_met_from_open_call": med["from_open_call_s"] <= 1.0,
        "memory_target_met": med["rss_settled_mb"] - med["feature_matrix_mb"] <= 400,
        "note": "page cache warm (same files every run); a fresh project copy per run",
    }  # fmt: skip


# ----------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--parts", nargs="+", default=["open", "stall", "keys"])
    p.add_argument("--presses", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--gap-ms", type=int, default=150)
    p.add_argument("--retrains", type=int, default=10)
    p.add_argument("--labels", type=int, default=300)
    p.add_argument("--open-runs", type=int, default=5)
    p.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    p.add_argument(
        "--switch-interval",
        type=float,
        default=None,
        help="experiment: sys.setswitchinterval() for the run (the app sets 0.001)",
    )
    p.add_argument("--pool", choices=list(POOLS), default="10k", help="pool size")
    p.add_argument("--answers", type=int, choices=ANSWERS, default=0,
                   help="answers already in the project's log (with their rounds)")  # fmt: skip
    p.add_argument("--child-open", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child_open:
        child_open(args.child_open)
        return 0
    CASE.update(pool=args.pool, answers=args.answers)
    answered_project(args.pool, args.answers)
    report: dict = {"benchmark": "ui", "case": dict(CASE), "environment_start": environment()}
    if "open" in args.parts:
        report["open"] = bench_open(args.open_runs)
    qt_core()
    from aldesk.gui.app import create_app

    app = create_app()
    if args.switch_interval is not None:  # after the app's own setting, to override it
        sys.setswitchinterval(args.switch_interval)
    instrument_canvas()  # before any window exists
    if "stall" in args.parts:
        report["stall"] = bench_stall(app, args.retrains, args.labels)
    if "keys" in args.parts:
        report["keys"] = bench_keys(app, args.presses, args.warmup, args.gap_ms)
    report["environment_end"] = environment()
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        from _pools import write_json

        write_json(args.out, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
