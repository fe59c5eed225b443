"""Moving through the answer history: back, forward, undo, an item picked in review, and the
item that probably comes next.

``Session`` inherits these; they only move its two markers (``_browse``: an index into
``state.entries`` while going back; ``_pinned``: an item picked in the review window, until it is
answered) or append an undo to the log, and show the item they land on. The history itself (which
answers back stops at, what undo withdraws) is ``AnswerState``'s, O(1) per step however long the
log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aldesk.core.review_rows import inverse
from aldesk.core.session_queue import AndOne

if TYPE_CHECKING:
    from aldesk.core.answer_state import AnswerState
    from aldesk.core.item_columns import ItemColumns
    from aldesk.core.session import Query
    from aldesk.core.session_queue import QueueState
    from aldesk.core.session_state import ModelState
    from aldesk.core.store import Event, Item, ProjectStore


class HistoryNavigation:
    """Back / forward / undo / show an item, over the session's answer history.

    Shows items with the session's ``current``, ``_query`` and ``_remember_current``; follows
    the undo it appends with ``_follow``.
    """

    # set by Session.__init__
    store: ProjectStore
    state: AnswerState
    model: ModelState
    queue: QueueState
    _answers: dict[int, Event]
    _items: ItemColumns
    _browse: int | None
    _pinned: int | None
    _current: Query | None
    _steps: list[tuple[list[int], str]]

    def show_item(self, item_id: int) -> Query:
        """Show ``item_id`` (picked in the review window) until it is answered or left with
        back / forward / undo; then the loop's own item comes back."""
        if item_id not in self._items:
            raise LookupError(f"item {item_id} is not in this project")
        self._browse = None
        self._pinned = item_id
        return self.current()

    def likely_next(self) -> Item | None:
        """The readable item that would be asked after the one on screen if it were answered
        now, for the viewer to decode ahead. A guess: a new ranking, a due test item or a
        synthesized query may come first. Nothing is drawn or written."""
        current = self._current
        if current is None or self._pinned is not None or self._browse is not None:
            return None
        taken = AndOne(self._answers, current.item.id)
        pick = self.queue.peek(taken, self.model, self.model.can_rank(self.state))
        item = self._items.get(pick[0]) if pick is not None else None
        return item if item is not None and item.status == "ok" else None

    def _revisit(self, item_id: int) -> Query:
        ev = self._answers.get(item_id)
        # never answered: picked by the user (Review), not revisited
        strategy = (ev.strategy or "review") if ev else "picked"
        return self._query(item_id, strategy, ev.score if ev else None)

    # ------------------------------------------------------------ edits outside the loop
    def append_edits(self, rows: list[tuple]) -> list[int]:
        """Append a batch of answers made outside the loop (the review view's relabel / skip /
        clear, ``store.record_many`` rows) in one transaction, and follow them: a cleared
        item may be asked again, and the pool edits count towards the next retrain."""
        ids = self.store.record_many(rows)
        if ids:
            self._follow(min(ids))
        if self._browse is not None and self._browse >= len(self.state.entries):
            self._browse = None  # the entry browsed was withdrawn
        # every pool edit changes what the model learns from: withdrawing 708 auto-labels
        # made no retrain (undos were not counted), and the model kept them
        self.model.labels_since += sum(1 for _, _, _, split, *_ in rows if split == "pool")
        return ids

    def append_step(self, rows: list[tuple], name: str) -> list[int]:
        """``append_edits`` as one step that ``undo_step`` (or ``undo``, while it is the newest
        change) withdraws whole: a review edit, an import. ``name`` says what it was ("the
        import of 20 labels")."""
        ids = self.append_edits(rows)
        if ids:
            self._steps.append((ids, name))
        return ids

    def undo_step(self) -> str | None:
        """Withdraw the newest edit step, appending its inverse as one transaction; its name,
        or None when no step is left."""
        if not self._steps:
            return None
        ids, name = self._steps[-1]
        by_id = {e.id: e for e in self.store.events()}
        edits = inverse([by_id[i] for i in ids], by_id)
        self.append_edits([e.as_row() for e in edits])
        self._steps.pop()
        return name

    def can_undo_step(self) -> bool:
        return bool(self._steps)

    def step_is_newest(self) -> bool:
        """Whether ``undo`` would withdraw an edit step rather than a loop answer: the step was
        made after the newest loop answer still standing (Ctrl+Z after an import withdrew an
        older answer of the loop, and the import stayed)."""
        if not self._steps:
            return False
        loop = self.state.newest_loop_answer()
        return loop is None or self._steps[-1][0][-1] > loop.id

    def undo(self) -> Query | None:
        """Withdraw the newest change: an edit step (``undo_step``) made since the latest
        answer given in the loop, else that answer (appending an undo), whose item is shown
        again."""
        self._browse = self._pinned = None
        if self.step_is_newest():
            self.undo_step()
            return self.current()
        ev = self.state.undo_target()
        if ev is None:
            return None
        self._follow(self.store.record(ev.item_id, "undo", undoes=ev.id, split=ev.split))
        self.model.note_undo(ev)
        if ev.item_id in self._answers:
            # a changed answer went back to the one before: show that item with it, as a
            # picked one (undo once went on to the next unanswered item, out of sight)
            self._pinned = ev.item_id
            return self.current()
        self._current = self._query(ev.item_id, ev.strategy or "review", ev.score)
        self._remember_current()
        return self._current

    def back(self) -> Query | None:
        """Step back to the previous answered item (to change its answer)."""
        self._pinned = None
        limit = self._browse if self._browse is not None else len(self.state.entries)
        earlier = self.state.stop_before(limit)
        if earlier is not None:
            self._browse = earlier
        return self.current()

    def forward(self) -> Query | None:
        self._pinned = None
        if self._browse is not None:
            self._browse = self.state.stop_after(self._browse)
        return self.current()

    def can_undo(self) -> bool:
        """An answer or edit step is left that ``undo`` would withdraw (usually O(1))."""
        return bool(self._steps) or self.state.undo_target() is not None

    def can_go_back(self) -> bool:
        """``back`` would move to an earlier answered item."""
        limit = self._browse if self._browse is not None else len(self.state.entries)
        return self.state.stop_before(limit) is not None

    def can_go_forward(self) -> bool:
        return self._browse is not None or self._pinned is not None
