"""bench_ui_stall's project scenario: the labeling window on a big project, phase by phase.

Opens a fresh copy of a bench_ui case (e.g. 100k items, 50,000 answers) with the app's own
open path, lets the rescan, page check and feature loading finish, then answers ``rounds``
batches of five items (the true class) and waits for each retrain to be applied (a batch
holding a test item makes no retrain due: more batches are answered until one is). A 5 ms timer
on the GUI thread records its ticks; each phase reports the longest gap between ticks in it.
``open_project`` itself blocks the GUI thread: its whole duration is reported as that phase's
stall (the window cannot paint before it returns).
"""

from __future__ import annotations

import os
import shutil
import time

from _gil_probe import GilProbe
from _qt_probes import Heartbeat, wait_until
from _ui_projects import fresh_copy, truth


def project_stalls(app, pool: str, answers: int, rounds: int, probe_ms: float = 0) -> dict:
    from aldesk.gui.app import WindowManager

    path = fresh_copy(pool, answers, f"stall-{os.getpid()}")
    oracle = truth()
    heart = Heartbeat()
    heart.start()
    probe = GilProbe(probe_ms) if probe_ms else None
    if probe:
        probe.start()
    manager = WindowManager()
    t0 = time.perf_counter()
    assert manager.open_project(path)
    t_open = time.perf_counter()
    window = manager._windows[0]
    c = window.controller
    lanes = [getattr(c, n) for n in ("scanner", "checker", "warmer", "features") if hasattr(c, n)]
    wait_until(app, lambda: c.session.features is not None and not any(
        lane.busy for lane in lanes) and not c.trainer.busy, 600)  # fmt: skip
    t_settled = time.perf_counter()
    if probe and os.environ.get("STALL_CENSUS"):
        probe.heap_census("settled")
    names = {cl.name: cl.id for cl in window.store.classes()}
    applied = [0]  # models applied (rounds_changed follows each)
    c.rounds_changed.connect(lambda _rounds: applied.__setitem__(0, applied[0] + 1))
    phases = {"open_project_call": (t0, t_open), "open_until_settled": (t_open, t_settled)}
    answer_gaps, apply_gaps = [], []
    for _ in range(rounds):
        seen = applied[0]
        start = answered = time.perf_counter()
        for _ in range(50):  # a batch with a test item in it makes no round due: answer on
            if not _answer_batch(app, c, names, oracle):
                break
            answered = time.perf_counter()
            wait_until(app, lambda s=seen: applied[0] > s or not c.training_pending(), 300)
            if applied[0] > seen:
                break
        done = time.perf_counter()
        answer_gaps.append(heart.max_gap(start, answered))
        apply_gaps.append(heart.max_gap(answered, done))
    heart.stop()
    if probe:
        probe.stop()
        probe.report(t0)
        probe.report_gaps(heart.ticks, t0, probe.threshold * 1000)
    window.close()
    manager.shutdown()
    shutil.rmtree(path, ignore_errors=True)
    out = {"pool": pool, "answers": answers, "rounds": rounds,
           "open_project_call_ms": round(1000 * (t_open - t0), 1),
           "max_stall_open_until_settled_ms": round(1000 * heart.max_gap(*phases[
               "open_until_settled"]), 1),
           "settled_s": round(t_settled - t0, 2),
           "max_stall_answering_ms": round(1000 * max(answer_gaps, default=0), 1),
           "max_stall_retrain_and_apply_ms": round(1000 * max(apply_gaps, default=0), 1),
           "median_of_max_retrain_and_apply_ms": round(1000 * sorted(apply_gaps)[
               len(apply_gaps) // 2], 1) if apply_gaps else None}  # fmt: skip
    return out


def _answer_batch(app, c, names: dict, oracle: dict) -> bool:
    """Answer five items with their true class; False if nothing was left to ask."""
    for _ in range(5):
        query = c.current()
        if query is None:
            return False
        c.answer(names[oracle[query.item.relpath]])
        app.processEvents()
    return True
