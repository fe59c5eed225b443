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

import numpy as np

from aldesk.core.pace import Feedback, PaceTracker, read_feedback
from aldesk.core.project import ProjectSettings
from aldesk.core.records import RoundRecord
from aldesk.core.session_state import _metrics_of, stopping_advice
from aldesk.core.session_status import Status, per_class_counts, split_total
from aldesk.core.store import ProjectStore

# Current answers by (item split, action, class): the latest answer event per item that no
# undo withdrew (``records.current_answers`` in SQL).
_CURRENT_ANSWERS = """
WITH live AS (
    SELECT id, item_id FROM events
    WHERE action IN ('label', 'skip', 'cannot_label', 'discard')
      AND id NOT IN (SELECT undoes FROM events WHERE action = 'undo' AND undoes IS NOT NULL)
), latest AS (SELECT max(id) AS id FROM live GROUP BY item_id)
SELECT items.split, events.action, events.class_id,
       coalesce(events.strategy IN ('model', 'auto'), 0) AS by_model, count(*)
FROM latest JOIN events ON events.id = latest.id JOIN items ON items.id = events.item_id
GROUP BY items.split, events.action, events.class_id, by_model
"""
_ITEM_COUNTS = """
SELECT coalesce(sum(split = 'pool' AND status = 'ok'), 0), coalesce(sum(split = 'test'), 0),
       coalesce(sum(status != 'ok'), 0)
FROM items
"""
_ROUND_COLS = (
    "round, n_labels, n_test, accuracy, accuracy_lo, accuracy_hi, macro_f1, macro_f1_lo, "
    "macro_f1_hi, fit_seconds, strategy, at, representation"
)


def label_counts(store: ProjectStore) -> tuple[Counter[tuple[str, int]], int]:
    """Labels by (item split, class id) of every item's current answer, and how many of the
    pool labels the model gave (auto-label: they spend no budget)."""
    counts: Counter[tuple[str, int]] = Counter()
    by_model = 0
    for split, action, class_id, model, n in store.read(_CURRENT_ANSWERS):
        if action == "label":
            counts[(split, class_id)] += n
            by_model += n if model and split == "pool" else 0
    return counts, by_model


def read_status(store: ProjectStore) -> Status:
    """What Progress shows for ``store``'s project, as a session just opened on it would."""
    settings = ProjectSettings.from_store(store)
    counts, by_model = label_counts(store)
    ((n_pool, n_test, n_unreadable),) = store.read(_ITEM_COUNTS)
    ((n_rounds,),) = store.read("SELECT count(*) FROM rounds")
    last = store.read(f"SELECT {_ROUND_COLS} FROM rounds ORDER BY id DESC LIMIT 1")
    latest = RoundRecord(*last[0]) if last else None
    measured = latest is not None and latest.accuracy is not None
    n_labeled = split_total(counts, "pool")
    advice = stopping_advice(
        settings, n_labeled=n_labeled - by_model, n_pool=n_pool,
        metrics=_metrics_of(latest) if latest is not None else None,
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
        budget=settings.budget,
    )  # fmt: skip


def read_pace(store: ProjectStore, n_pool: int) -> Feedback:
    """Labels per hour and time spent over the whole log, and, with a target accuracy, the
    labels still needed (the same measure as the Progress panel's "overall")."""
    target = ProjectSettings.from_store(store).target_accuracy
    return read_feedback(PaceTracker(session_start=time.time()), store, target, n_pool)
