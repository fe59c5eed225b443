"""``aldesk status``: the numbers the app's Progress shows, read from the project without
training or loading features; and the closing line ``train`` shares with it."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from aldesk.core.wording import count


def status_dict(project: Path) -> dict:
    return _read_status(project)[2]


def _read_status(project: Path):
    """The ``Status`` the app's Progress shows, its pace figures and the JSON form of both.

    Counted with SQL aggregates: no session is built, no feature is loaded. SQLite's check of
    every page (as long as the counting at 100,000 items) runs beside it on a thread, as the
    app runs it on a worker; a damaged project is reported in the check's words, never counted.
    """
    from concurrent.futures import ThreadPoolExecutor

    from aldesk.core.opening import check_pages_of
    from aldesk.core.store import DB_NAME, ProjectStore

    # a reader: works while the app has the project open, and on a read-only disk
    with (
        ProjectStore.open(
            project, readonly="aldesk status only reads it", deep_check=False
        ) as store,
        ThreadPoolExecutor(1) as pool,
    ):
        checked = pool.submit(check_pages_of, store.path / DB_NAME)
        try:
            found = _status_of(store)
        finally:
            checked.result()  # raises ProjectDamaged, also over what the counting met
        return found


def _status_of(store) -> tuple:
    from aldesk.core.ask_ahead import still_asked
    from aldesk.core.log_status import (
        ask_state,
        left_to_ask,
        read_pace,
        read_status,
        unseen_arrivals,
    )
    from aldesk.core.pace import within_budget
    from aldesk.core.project import ProjectSettings
    from aldesk.core.session_status import budget_room

    st = read_status(store)
    pace = within_budget(read_pace(store, st.n_pool), budget_room(st))
    projection = pace.projection
    unanswered, discarded = left_to_ask(store)
    settings = ProjectSettings.from_store(store)
    # past the budget only the test items the target rule still wants are asked ("finished"
    # beside "left_to_ask: 510" read as a contradiction), and before it what the budget leaves
    # room for (a stream decides as items arrive: every arrival is left to decide)
    if _budget_spent(st):
        left = _tests_wanted(st, settings)
    elif settings.scenario == "stream":
        left = unanswered
    else:
        left = still_asked(ask_state(store), settings)
    adaptive = settings.scenario == "stream" and settings.stream_threshold is None
    chosen = _chosen_settings(settings, adaptive)
    return st, pace, {
        "project": os.path.abspath(store.path), "kind": store.kind, "pool": str(store.pool_root),
        "settings": chosen,
        "pool_found": store.pool_root.is_dir(), "items": st.n_pool,
        "labeled": st.n_labeled, "labeled_on_missing_or_unreadable": st.n_labeled_away,
        "labeled_by_model": st.n_by_model,
        "labels_since_latest_model": st.labels_since_model if st.round else None,
        # of "items" and "labeled": the learner's blends (synthesis scenario), not files
        "synthesized": st.n_synth, "synthesized_labeled": st.n_synth_labeled,
        "per_class": st.per_class,
        "test_labeled": st.n_test_labeled, "test_items": st.n_test,
        "test_labeled_on_missing_or_unreadable": st.n_test_labeled_away,
        "unreadable": st.n_unreadable, "unreadable_examples": _unreadable_examples(store),
        # files deleted or changed since the last scan (export leaves the labels of those
        # deleted or replaced out; the next open or aldesk train rescans): "missing or
        # unreadable 0" had hidden them
        "changed_since_scan": _changed_since_scan(store), "rounds": st.round,
        "accuracy": st.accuracy, "accuracy_test_items": st.accuracy_n,
        "accuracy_interval": st.accuracy_ci, "macro_f1": st.macro_f1,
        "macro_f1_interval": st.macro_f1_ci,
        "stop": bool(st.advice and st.advice.stop),
        "advice": st.advice.reason if st.advice else None,
        "labels_per_hour": pace.overall_rate, "seconds_spent": pace.overall_seconds,
        "labels_to_target": projection.needed if projection else None,
        "projection": projection.text if projection else None,
        "scenario": settings.scenario,
        "left_to_ask": left, "unanswered": unanswered, "discarded": discarded,
        # a stream's arrivals not decided yet ("unanswered" counts its test items too)
        "not_yet_seen": unseen_arrivals(store) if settings.scenario == "stream" else None,
        # the share of arrivals an adaptive stream threshold asks (None: a fixed threshold)
        "stream_share": settings.stream_budget if adaptive else None,
        # what a script polling for the end reads: nothing more will be asked (the advice's
        # "stop" is only the stopping rules', and said "keep going" on an ended stream)
        "finished": left == 0,
    }  # fmt: skip


def _unreadable_examples(store, shown: int = 5) -> list[dict]:
    """The first missing or unreadable files with their reasons: "missing or unreadable 2"
    named neither (``new`` and ``simulate`` do)."""
    from aldesk.core.store_rows import py_path
    from aldesk.core.wording import shown_path

    rows = store.read("SELECT relpath, status, reason FROM items WHERE status != 'ok' "
                      "ORDER BY relpath LIMIT ?", (shown,))  # fmt: skip
    return [{"path": shown_path(py_path(p)), "status": s, "reason": r} for p, s, r in rows]


def _changed_since_scan(store) -> int:
    """Files of the pool's items gone, or of another size or time, since the last scan: one
    stat each, no walk and no hashing (status loads nothing of the pool scan or the decoders;
    a rescan tells a file touched from one replaced)."""
    if not store.pool_root.is_dir():  # away (unmounted): nothing is known to have changed
        return 0
    changed = 0
    for relpath, size, mtime_ns in store.file_stats():
        path = store.pool_root / relpath
        if (size, mtime_ns) == (0, 0):  # not a file when scanned (a pipe, a broken link, a
            changed += path.is_file()  # loop): news only once a regular file is there
            continue
        try:
            st = os.stat(path)
        except OSError:
            changed += 1
            continue
        changed += (st.st_size, st.st_mtime_ns) != (size, mtime_ns)
    return changed


def _chosen_settings(settings, adaptive: bool) -> dict:
    """The settings that decide what is asked, as the scenario uses them: a stream asks by
    its share or threshold, not the strategy ("strategy tcm" misled), and a synthesis
    project says how often a blend is asked."""
    chosen = {k: getattr(settings, k) for k in ("scenario", "strategy", "representation",
              "model", "batch", "budget", "target_accuracy")}  # fmt: skip
    if settings.scenario == "stream":
        del chosen["strategy"]
        if adaptive:
            chosen["stream_share"] = settings.stream_budget
        else:
            chosen["stream_threshold"] = settings.stream_threshold
    elif settings.scenario == "synthesis":
        chosen["synthesized_one_in"] = settings.synthesis_every
    return chosen


def _budget_spent(st) -> bool:
    return st.budget is not None and st.n_labeled >= st.budget


def _tests_wanted(st, settings) -> int:
    """Test items still asked past the budget: the target rule's test labels lacking."""
    from aldesk.core.stopping import trusted_test_items

    if settings.target_accuracy is None:
        return 0
    labeled = st.n_test_labeled - st.n_test_labeled_away  # of the readable ones
    return max(0, min(trusted_test_items(settings.test_size), st.n_test) - labeled)


def cmd_status(args: argparse.Namespace) -> int:
    from aldesk.core.pace import IDLE_GAP, duration_text
    from aldesk.core.session_status import (
        accuracy_text,
        held_out_labeled_text,
        labeled_text,
        macro_f1_text,
    )
    from aldesk.core.stream_status import discard_reason

    st, pace, s = _read_status(args.project)
    if args.json:
        print(json.dumps(s, indent=2))
        return 0
    print(f"{s['project']}  ({s['kind']} project; pool {s['pool']}"
          f"{'' if s['pool_found'] else ' — FOLDER NOT FOUND'})")  # fmt: skip
    print("settings: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in s["settings"].items()
                                   if v is not None))  # fmt: skip
    print(f"labeled {labeled_text(st)}; test items labeled {held_out_labeled_text(st)}; "
          f"missing or unreadable {s['unreadable']}")  # fmt: skip
    for example in s["unreadable_examples"]:
        print(f"  {example['path']}: {example['reason'] or example['status']}")
    if s["unreadable"] > len(s["unreadable_examples"]):
        print(f"  ... and {s['unreadable'] - len(s['unreadable_examples'])} more (the review "
              "window's Missing or unreadable filter lists them all)")  # fmt: skip
    if s["changed_since_scan"]:
        print(f"  {count(s['changed_since_scan'], 'file')} deleted or changed since the project "
              "was last opened: opening it, or aldesk train, rescans the folder")  # fmt: skip
    print("per class (pool + test):")
    width = max((len(name) for name in s["per_class"]), default=0)  # a long name kept the
    for name, n in s["per_class"].items():  # counts in a column no longer
        print(f"  {name:<{max(20, width)}} {n}")
    print(f"rounds {s['rounds']}; test accuracy {accuracy_text(st)}; "
          f"macro-F1 {macro_f1_text(st)}")  # fmt: skip
    if not s["rounds"] and st.n_test_labeled:
        print("  aldesk train (or opening the project) trains a model and measures it")
    # test labels since count apart: Progress's "but for the last N labels" counts the pool's
    tests = st.n_test_labeled - st.accuracy_n if st.accuracy is not None else 0
    since = [count(n, what) for n, what in ((st.labels_since_model, "label"),
                                            (tests, "test label")) if n > 0]  # fmt: skip
    if since:
        print(f"  the latest model predates {' and '.join(since)} (given or imported since): "
              "opening the project, or aldesk train, retrains and measures it again")  # fmt: skip
    rate = pace.overall_rate
    pace_said = "shown after a minute of labelling" if rate is None else f"{rate:.0f} labels/h"
    print(f"pace {pace_said}; time spent "
          f"{duration_text(pace.overall_seconds)} (pauses over {IDLE_GAP / 60:.0f} min left out)")  # fmt: skip
    if s["projection"]:
        print(f"to the target accuracy: {s['projection']}")
    if s["scenario"] == "stream":
        why = discard_reason(s["stream_share"] is not None, s["stream_share"])
        print(f"stream: {s['discarded']} discarded ({why}), {s['not_yet_seen']} still to arrive")
    line = advice_line(st, s)
    if line:
        print(line)
    return 0


def advice_line(st, s: dict) -> str | None:
    """The closing line of ``status`` and ``train``: nothing left to ask, or the stopping advice."""
    if s["left_to_ask"] == 0 and not _budget_spent(st) and not s["stop"]:
        why = ("the stream has ended (every arrival seen)" if s["scenario"] == "stream"
               else "every readable item is labeled, skipped or marked can't label")  # fmt: skip
        return f"nothing left to ask: {why}"
    if s["advice"]:
        return ("STOP: " if s["stop"] else "keep going: ") + s["advice"]
    return None
