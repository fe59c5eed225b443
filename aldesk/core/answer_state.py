"""The answer log as the session holds it in memory: replayed once on open, then appended to.

The store's append-only event log stays the single source of truth. ``AnswerState.apply`` is
the one way anything changes here, used alike to replay the log on open and to follow each new
event (an answer, a skip, an undo, a review edit), so the state after a live session equals the
state a fresh replay of the same log builds. Every per-answer question the session asks (the
current answer of an item, label counts, what undo withdraws, where back goes) is then O(1) or
a numpy mask, however long the log.

History: the answers given in the labelling loop, in log order (``entries``; the loop records
the model round with each, imports and the review window's batch edits record none and have
their own undo). Undo takes the newest loop answer still standing (never a stream's discard)
and withdraws its item's current answer; back and forward step over the entries that are an
item's first standing loop answer, so changing an earlier answer keeps that item's place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from aldesk.core.item_columns import ItemColumns, bool_at
from aldesk.core.records import ANSWER_ACTIONS, Event, Item
from aldesk.core.review_rows import source_of


class AnswerState:
    """Current answers, their counts and the answer history of one project."""

    def __init__(self, events: Iterable[Event] = ()) -> None:
        self.current: dict[int, Event] = {}  # item id -> its current answer
        self.entries: list[Event] = []  # answer events, log order; withdrawn tops are popped
        self._standing: dict[int, list[Event]] = {}  # item id -> answers not withdrawn, in order
        self._live: dict[int, Event] = {}  # answer events not withdrawn, by event id
        self._early_undo: set[int] = set()  # undone before they were seen (never in practice)
        self._last_id = 0
        self._items = ItemColumns.of(())
        self._counting = False  # set_items counts once the items are loaded
        self._reset_counts(0)
        for ev in events:
            self.apply(ev)

    # ----------------------------------------------------------- following the log
    def apply(self, ev: Event) -> None:
        """Follow one event of the log (in log order)."""
        if ev.id > self._last_id:
            self._last_id = ev.id
        if ev.action == "undo":
            self._withdraw(ev.undoes)
        elif ev.action in ANSWER_ACTIONS:
            if ev.id in self._early_undo:
                return
            self._live[ev.id] = ev
            self._standing.setdefault(ev.item_id, []).append(ev)
            if from_loop(ev):
                self.entries.append(ev)
            self._set_current(ev.item_id, ev)

    def _withdraw(self, event_id: int | None) -> None:
        if event_id is None:
            return
        ev = self._live.pop(event_id, None)
        if ev is None:
            if event_id > self._last_id:
                self._early_undo.add(event_id)
            return  # already withdrawn, or not an answer: nothing changes
        standing = self._standing[ev.item_id]
        standing.remove(ev)
        if not standing:
            del self._standing[ev.item_id]
        self._set_current(ev.item_id, standing[-1] if standing else None)
        while self.entries and self.entries[-1].id not in self._live:
            self.entries.pop()  # withdrawn newest entries leave the history

    def _set_current(self, item_id: int, ev: Event | None) -> None:
        counting = self._counting
        old = self.current.get(item_id)
        if old is not None and counting:
            self._count(old, -1)
        if ev is None:
            self.current.pop(item_id, None)
        else:
            self.current[item_id] = ev
            if counting:
                self._count(ev, +1)

    # ----------------------------------------------------------- counts
    def set_items(self, items: ItemColumns) -> None:
        """The items were (re)loaded: splits may have changed, so the counts are redone."""
        self._items, self._counting = items, len(items) > 0
        self._reset_counts(int(items.ids[-1]) + 1 if len(items) else 1)
        events = list(self.current.values())  # one pass: this runs on open over every answer
        ids = np.fromiter((ev.item_id for ev in events), dtype=np.int64, count=len(events))
        splits = items.splits_of(ids)
        arrivals = items.arrivals_mask(ids).tolist()
        answered, train_ids, train_classes = [], [], []
        for ev, split, arrival in zip(events, splits, arrivals, strict=True):
            if split is None:
                continue
            self.answered_by_split[split] += 1
            answered.append(ev.item_id)
            if arrival:
                self.arrivals_decided[ev.action == "discard"] += 1
            if ev.action != "label":
                continue
            self.label_counts[(split, ev.class_id)] += 1
            if ev.split == "test":
                self.test_labels[ev.item_id] = ev
            if split == "pool":
                train_ids.append(ev.item_id)
                train_classes.append(ev.class_id)
                self.n_model_train += source_of(ev) == "model"
        self.answered[answered] = True
        self.train_class[train_ids] = train_classes

    def replace_item(self, item: Item) -> None:
        """One item's row changed (a file flagged unreadable): its answer is counted again
        under the new row, without recounting the others."""
        ev = self.current.get(item.id)
        if ev is not None:
            self._count(ev, -1)
        self._items.replace(item)
        if ev is not None:
            self._count(ev, +1)

    def _reset_counts(self, size: int) -> None:
        self.answered_by_split: Counter[str] = Counter()  # answered items, by item split
        self.label_counts: Counter[tuple[str, int]] = Counter()  # (item split, class id)
        self.n_model_train = 0  # pool labels the model gave (auto-label)
        self.test_labels: dict[int, Event] = {}  # labels recorded on held-out test items
        self.answered = np.zeros(size, dtype=bool)  # by item id
        self.train_class = np.full(size, -1, dtype=np.int64)  # by item id: pool label's class
        # answered arrivals (readable pool files, what a stream decides on): [queried, discarded]
        self.arrivals_decided = [0, 0]

    def _count(self, ev: Event, sign: int) -> None:
        split = self._items.split_of(ev.item_id)
        if split is None:
            return  # counted once the items are loaded (set_items)
        self._grow(ev.item_id)
        self.answered_by_split[split] += sign
        self.answered[ev.item_id] = sign > 0
        if self._items.is_arrival(ev.item_id):
            self.arrivals_decided[ev.action == "discard"] += sign
        if ev.action == "label" and ev.split == "test":
            if sign > 0:
                self.test_labels[ev.item_id] = ev
            else:
                self.test_labels.pop(ev.item_id, None)
        if ev.action != "label":
            return
        key = (split, ev.class_id)
        self.label_counts[key] += sign
        if not self.label_counts[key]:
            del self.label_counts[key]
        if split == "pool":
            self.train_class[ev.item_id] = ev.class_id if sign > 0 else -1
            self.n_model_train += sign * (source_of(ev) == "model")

    def _grow(self, item_id: int) -> None:
        if item_id >= len(self.answered):
            size = max(item_id + 1, 2 * len(self.answered))
            self.answered = np.concatenate(
                [self.answered, np.zeros(size - len(self.answered), bool)]
            )
            extra = np.full(size - len(self.train_class), -1, dtype=np.int64)
            self.train_class = np.concatenate([self.train_class, extra])

    @property
    def items(self) -> ItemColumns:
        return self._items

    @property
    def pool_answers_given(self) -> int:
        """Pool answers the user gave: a stream's discards are the model's own, and spacing
        the test items by them spent 40 % of a stream's early answers on measuring."""
        return self.answered_by_split["pool"] - self.arrivals_decided[1]

    @property
    def n_train(self) -> int:
        """Labels on pool items: what the model learns from and the label budget counts."""
        return sum(n for (split, _), n in self.label_counts.items() if split == "pool")

    def train_classes(self) -> set[int]:
        """The (unmerged) class ids that have pool labels."""
        return {cid for (split, cid) in self.label_counts if split == "pool"}

    def train_items(self) -> tuple[np.ndarray, np.ndarray]:
        """Item ids with a pool label, ascending, and each one's class id."""
        ids = np.flatnonzero(self.train_class >= 0)
        return ids, self.train_class[ids]

    def is_answered(self, item_ids: np.ndarray) -> np.ndarray:
        """Whether each item id (an int array) has an answer; out-of-range ids have none."""
        return bool_at(len(self.answered), item_ids, lambda at: self.answered[at])

    # ----------------------------------------------------------- history
    def undo_target(self) -> Event | None:
        """What undo withdraws: the current answer of the item of the newest loop answer still
        standing (a review edit made since included; a stream's discards are not undone)."""
        ev = self.newest_loop_answer()
        return None if ev is None else self.current[ev.item_id]

    def newest_loop_answer(self) -> Event | None:
        """The newest answer given in the loop that still stands (discards left out)."""
        for ev in reversed(self.entries):
            if ev.id in self._live and ev.action != "discard":
                return ev
        return None

    def is_stop(self, index: int) -> bool:
        """Whether back / forward stop at ``entries[index]``: its item's first standing loop
        answer."""
        ev = self.entries[index]
        if ev.id not in self._live:
            return False
        return next(e for e in self._standing[ev.item_id] if from_loop(e)) is ev

    def stop_before(self, limit: int) -> int | None:
        """The nearest stop before ``entries[limit]``."""
        for k in range(min(limit, len(self.entries)) - 1, -1, -1):
            if self.is_stop(k):
                return k
        return None

    def stop_after(self, index: int) -> int | None:
        """The nearest stop after ``entries[index]``."""
        for k in range(index + 1, len(self.entries)):
            if self.is_stop(k):
                return k
        return None

    def history(self) -> list[int]:
        """Item ids of the standing answers, oldest first (what back steps through)."""
        return [e.item_id for k, e in enumerate(self.entries) if self.is_stop(k)]


def from_loop(ev: Event) -> bool:
    """Given in the labelling loop (which records the model round), not imported or edited in
    the review window."""
    return ev.model_round is not None


class AskedItems(Sequence):
    """Item ids of the answer history, oldest first, without copying it (``recent[-3:]``)."""

    def __init__(self, state: AnswerState) -> None:
        self._entries = state.entries

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, k):  # type: ignore[override]
        if isinstance(k, slice):
            return [e.item_id for e in self._entries[k]]
        return self._entries[k].item_id
