"""The Progress numbers without a session: SQL aggregates over the items and the answer log.

``aldesk status`` answers from these in a fraction of a second on any project: no features are
loaded, no item list is built and the log is not replayed in Python. The counts follow the same
rules as the session's in-memory ones (``aldesk.core.answer_state``): an item's answer is its
latest answer event that no undo withdrew; labels are counted by the item's split; merged
classes count as the class they were merged into.
"""

from __future__ import annotations

import time
from collections import Counter
from itertools import chain

import numpy as np

from aldesk.core.ask_ahead import AskState
from aldesk.core.pace import Feedback, read_log_feedback
from aldesk.core.project import ProjectSettings
from aldesk.core.records import RoundRecord
from aldesk.core.session_status import Status, f1_interval, per_class_counts, split_total
from aldesk.core.stopping import round_metrics, stopping_advice
from aldesk.core.store import ProjectStore

# Every answer event no undo withdrew, in log order: its item, and what it counts as (-1: not a
# label; a label: 2 * its class id (0: none), plus 1 if the model gave it, auto-label). An
# item's current answer is the last of its rows (``records.current_answers``).
_LIVE_ROWS = """
FROM events
WHERE action IN ('label', 'skip', 'cannot_label', 'discard')
  AND id NOT IN (SELECT undoes FROM events WHERE action = 'undo' AND undoes IS NOT NULL)
ORDER BY id
"""
_LIVE_ANSWERS = (
    """
SELECT item_id, CASE WHEN action = 'label'
    THEN 2 * coalesce(class_id, 0) + coalesce(strategy IN ('model', 'auto'), 0) ELSE -1 END
"""
    + _LIVE_ROWS
)
# The same rows with the action itself: what is left to ask, and the stream's discards.
_LIVE_ACTIONS = "SELECT item_id, action" + _LIVE_ROWS
# The items that are not readable pool files (test items, unreadable or missing files): few,
# read in one scan of the items for their counts and for the labels' splits.
_OUTSIDE_POOL = "SELECT id, split, status FROM items WHERE split != 'pool' OR status != 'ok'"
_ROUND_COLS = (
    "round, n_labels, n_test, accuracy, accuracy_lo, accuracy_hi, macro_f1, macro_f1_lo, "
    "macro_f1_hi, fit_seconds, strategy, at, representation"
)


def label_counts(
    store: ProjectStore, outside: list[tuple] | None = None
) -> tuple[Counter[tuple[str, int]], int]:
    """Labels by (item split, class id) of every item's current answer, and how many of the
    pool labels the model gave (auto-label: they spend no budget).

    ``outside``: the ``_OUTSIDE_POOL`` rows if the caller has read them.

    One ordered scan of the log in SQL, each item's latest answer picked with numpy (SQLite's
    GROUP BY item_id looks every event up through the index: 2.5 times slower at 50,000).
    """
    rows = store.read(_LIVE_ANSWERS)
    pairs = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=2 * len(rows))
    items, codes = pairs[-2::-2], pairs[::-2]  # newest first: an item's first row is its answer
    _, latest = np.unique(items, return_index=True)
    labelled = latest[codes[latest] >= 0]
    if outside is None:
        outside = store.read(_OUTSIDE_POOL)
    split, names = _split_index(items[labelled], [r[:2] for r in outside if r[1] != "pool"])
    keys, n = np.unique(codes[labelled] * len(names) + split, return_counts=True)
    counts: Counter[tuple[str, int]] = Counter()
    by_model = 0
    for key, k in zip(keys.tolist(), n.tolist(), strict=True):
        code, name = divmod(key, len(names))
        counts[(names[name], code // 2 or None)] += k
        by_model += k if code % 2 and names[name] == "pool" else 0
    return counts, by_model


def _split_index(items: np.ndarray, others: list[tuple]) -> tuple[np.ndarray, list[str]]:
    """The split of each of ``items``, as an index into the split names ("pool" first), from
    the (item id, split) rows of the items outside the pool (every event's item exists: a
    foreign key)."""
    others = sorted(others)
    names = ["pool", *sorted({split for _, split in others})]
    index = np.zeros(len(items), dtype=np.int64)
    if others:
        ids = np.array([i for i, _ in others], dtype=np.int64)
        which = np.array([names.index(split) for _, split in others], dtype=np.int64)
        at = np.minimum(np.searchsorted(ids, items), len(ids) - 1)
        found = ids[at] == items
        index[found] = which[at[found]]
    return index, names


def left_to_ask(store: ProjectStore) -> tuple[int, int]:
    """``(unanswered, discarded)``: readable pool files and test items with no current answer
    (what is left to ask), and pool files whose current answer is the stream's discard."""
    latest = dict(store.read(_LIVE_ACTIONS))  # log order: an item's last row is its answer
    rows = store.read(_OUTSIDE_POOL)
    outside = {item for item, _, _ in rows}
    ((n_items,),) = store.read("SELECT count(*) FROM items")
    answered = [a for item, a in latest.items() if item not in outside]
    # readable test items not yet asked are asked last, once nothing else is left
    tests = sum(s == "test" and ok == "ok" and i not in latest for i, s, ok in rows)
    return n_items - len(outside) - len(answered) + tests, answered.count("discard")


def ask_state(store: ProjectStore) -> AskState:
    """What the session's asking rules read (:func:`aldesk.core.ask_ahead.still_asked`)."""
    live = store.read(_LIVE_ACTIONS)  # log order
    rows = store.read(_OUTSIDE_POOL)
    split = {item: s if ok == "ok" else "away" for item, s, ok in rows}
    latest = dict(live)
    ((n_items,),) = store.read("SELECT count(*) FROM items")
    pool = {i: a for i, a in latest.items() if i not in split}
    tests = [i for i, s in split.items() if s == "test"]
    answered_tests = sum(i in latest for i in tests)
    since = 0
    for item, action in reversed(live):
        if split.get(item) == "test":
            break
        since += item not in split and action != "discard"
    return AskState(
        pool_open=n_items - len(split) - len(pool), tests_open=len(tests) - answered_tests,
        tests_answered=answered_tests,
        pool_answers=sum(a != "discard" for a in pool.values()),
        since_test=since, labels=sum(a == "label" for a in pool.values()),
    )  # fmt: skip


def unseen_arrivals(store: ProjectStore) -> int:
    """A stream's arrivals not decided yet: readable pool files with no current answer (test
    items are asked besides the stream, not in it: 40 of them read as 40 arrivals to come)."""
    latest = dict(store.read(_LIVE_ACTIONS))
    outside = {item for item, _, _ in store.read(_OUTSIDE_POOL)}
    ((n_items,),) = store.read("SELECT count(*) FROM items")
    return n_items - len(outside) - sum(item not in outside for item in latest)


def read_status(store: ProjectStore) -> Status:
    """What Progress shows for ``store``'s project, as a session just opened on it would."""
    settings = ProjectSettings.from_store(store)
    outside = store.read(_OUTSIDE_POOL)
    counts, by_model = label_counts(store, outside)
    ((n_items,),) = store.read("SELECT count(*) FROM items")
    n_pool = n_items - len(outside)  # readable pool files
    n_test = sum(split == "test" and status == "ok" for _, split, status in outside)
    n_unreadable = sum(status != "ok" for _, _, status in outside)
    ((n_rounds,),) = store.read("SELECT count(*) FROM rounds")
    last = store.read(f"SELECT {_ROUND_COLS} FROM rounds ORDER BY id DESC LIMIT 1")
    latest = RoundRecord(*last[0]) if last else None
    measured = latest is not None and latest.accuracy is not None
    n_labeled = split_total(counts, "pool")
    advice = stopping_advice(
        settings, n_labeled=n_labeled - by_model, n_pool=n_pool,
        metrics=round_metrics(latest) if latest is not None else None,
        stop_history=[np.array(p) for p in store.get("stop_set_history", [])],
    )  # fmt: skip
    return Status(
        n_labeled=n_labeled, n_pool=n_pool,
        per_class=per_class_counts(counts, store.classes(), store.class_resolver()),
        n_test_labeled=split_total(counts, "test"), n_test=n_test, n_unreadable=n_unreadable,
        round=n_rounds, accuracy=latest.accuracy if measured else None,
        macro_f1=latest.macro_f1 if measured else None, training=False, advice=advice,
        accuracy_n=latest.n_test if measured else 0,
        accuracy_ci=(latest.accuracy_lo, latest.accuracy_hi)
        if measured and latest.accuracy_lo is not None and latest.accuracy_hi is not None
        else None,
        macro_f1_ci=f1_interval(latest) if measured else None,
        budget=settings.budget, n_labeled_away=_labeled_away(store, outside, "pool"),
        n_by_model=by_model,
        n_test_labeled_away=_labeled_away(store, outside, "test"),
        labels_since_model=_labels_since(latest, n_labeled - by_model),
        **_synthesized(store),
    )  # fmt: skip


def _synthesized(store: ProjectStore) -> dict[str, int]:
    """The blends the learner made, and those labeled (the log is read only if there are any:
    only a synthesis project has them)."""
    blends = {i for (i,) in store.read("SELECT id FROM items WHERE origin = 'synth'")}
    if not blends:
        return {}
    latest = dict(store.read(_LIVE_ACTIONS))  # log order: an item's last row is its answer
    return {"n_synth": len(blends),
            "n_synth_labeled": sum(latest.get(i) == "label" for i in blends)}  # fmt: skip


def _labels_since(latest: RoundRecord | None, n_train: int) -> int:
    """Pool labels the latest round's model was not trained on: what Progress counts in "up to
    date but for the last N labels" (test labels counted too said 4 where it said 3)."""
    if latest is None:
        return 0
    return max(0, n_train - latest.n_labels)


def _labeled_away(store: ProjectStore, outside: list[tuple], split: str) -> int:
    """Labels on ``split``'s files now missing or unreadable (the log is read only if there
    are any: such files are few)."""
    away = {item for item, s, status in outside if s == split and status != "ok"}
    if not away:
        return 0
    latest = dict(store.read(_LIVE_ACTIONS))  # log order: an item's last row is its answer
    return sum(latest.get(item) == "label" for item in away)


def read_pace(store: ProjectStore, n_pool: int) -> Feedback:
    """Labels per hour and time spent over the whole log, and, with a target accuracy, the
    labels still needed (the same measure as the Progress panel's "overall")."""
    target = ProjectSettings.from_store(store).target_accuracy
    return read_log_feedback(store, target, n_pool, session_start=time.time())
