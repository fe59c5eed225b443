"""The labeling loop the app drives: which item to show, what the oracle said, when to retrain.

The session lives on one thread (the GUI's, or the simulator's) and is the only writer of the
store. Retraining happens elsewhere: ``training_job()`` hands out a frozen job, ``run_round`` (in
``aldesk.core.rounds``) runs it anywhere, and ``apply_result()`` swaps the new ranking in one
step. Until then the next item is always served at once from the current ranking.

Serving order: a due held-out test item first (one after every ``batch`` pool answers, drawn at
random, never by the strategy), then a pending synthesized query, then the seed set while the model
cannot rank (fewer than two classes labeled), then the scenario's choice (pool ranking or stream).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

from aldesk.core.answer_state import AnswerState, AskedItems
from aldesk.core.errors import ItemUnreadable
from aldesk.core.features.types import FeatureSet
from aldesk.core.item_columns import ItemColumns
from aldesk.core.item_index import ItemIndex, is_candidate
from aldesk.core.project import ProjectSettings
from aldesk.core.query import Query
from aldesk.core.ranking import RankRequest
from aldesk.core.representation import PRETRAINED, Layout
from aldesk.core.rounds import RoundResult, SynthesisSpec, TrainingJob
from aldesk.core.session_navigation import HistoryNavigation
from aldesk.core.session_queue import QueueState
from aldesk.core.session_state import FeatureRows, ModelState
from aldesk.core.session_status import Status, build_status, nothing_left_text
from aldesk.core.store import ClassInfo, Event, NewItem, ProjectStore
from aldesk.core.stream_status import StreamSummary, summarize_stream
from aldesk.core.synth_flow import RowPaths, record_sources, remove_unasked_blends, synth_due


class Session(HistoryNavigation):
    """The loop over one open project. Only the owning thread calls its methods.

    Back, forward, undo and showing a picked item are ``HistoryNavigation``'s.
    """

    def __init__(self, store: ProjectStore, features: FeatureSet | None = None) -> None:
        self.store = store
        self.settings = ProjectSettings.from_store(store)
        # The answer log, replayed once; followed event by event from here on.
        self.state = AnswerState(store.events())
        self._answers: dict[int, Event] = self.state.current  # item id -> current answer
        self._items = ItemColumns.of(())
        self._browse: int | None = None  # index into ``state.entries`` while going back
        self._pinned: int | None = store.get("pinned_item")  # picked in review, till answered
        self._current: Query | None = None
        self._steps: list[tuple[list[int], str]] = []  # undoable edits: event ids, what it was
        self._position: list | None = None
        self.model = ModelState(store, self.settings)
        self.queue = QueueState(store, self.settings)
        self.features: FeatureSet | None = None
        self.reload_items()
        remove_unasked_blends(store, [self._items[i].relpath for i in self.index.synth])
        if features is not None:
            self.set_features(features)

    # ------------------------------------------------------------------ inputs
    def reload_items(self) -> None:
        """Re-read items after a rescan or a synthesized item (their columns: one query)."""
        self._items = ItemColumns.read(self.store)
        self.state.set_items(self._items)
        self.index = ItemIndex.build(self._items, self.settings.random_state)
        self.queue.set_items(self.index)
        self.model.items_changed()
        if self._pinned not in self._items:
            self._pinned = None  # the picked file was removed by the rescan
        if self._current is not None:  # the item on screen may have moved, or a new pool root
            item = self._items[self._current.item.id]
            self._current = replace(self._current, item=item, abspath=self.store.abspath(item))

    def item_flagged(self, item_id: int) -> None:
        """The viewer flagged ``item_id`` in the store (unreadable or missing): follow that one
        item, not a reload of every item (a flag while labelling a 100k pool)."""
        new = self.store.item(item_id)
        was_ok = item_id in self._items and bool(self._items.ok[item_id])
        if not was_ok or new.status == "ok" or self._items.split_of(item_id) != new.split:
            self.reload_items()  # not a flag of a readable item: read everything again
            return
        old = replace(new, status="ok", reason=None)  # as the table had it: readable
        self.state.replace_item(new)  # the one table the index, queue and state all hold
        self.index = self.index.flagged(old)
        self.queue.set_items(self.index)
        self.model.item_flagged(item_id)
        if self._current is not None and self._current.item.id == item_id:
            self._current = replace(self._current, item=new)

    def set_features(
        self, features: FeatureSet, layout: Layout | None = None, rows: FeatureRows | None = None
    ) -> None:
        """Features arrived (extraction finished): ranking becomes possible. ``rows`` from
        :meth:`rows_job`, built on a worker, spare this thread a walk of every item."""
        self.features = features
        self.model.set_features(features, self._items, layout, rows)

    def rows_job(self) -> Callable[[FeatureSet], FeatureRows]:
        """What maps items to feature rows on a worker (for :meth:`set_features`)."""
        return self.model.rows_job(self._items)

    def classes_changed(self) -> None:
        """Classes were added or merged: the model's columns no longer match; drop it."""
        self.model.ranking = None
        self.model.pending = False
        self.reload_items()

    def reload_settings(self) -> None:
        """The project's settings changed in the store: the loop follows from the next item.
        The model and queue share this session's settings object, so it is updated in place."""
        fresh = ProjectSettings.from_store(self.store)
        for name in ProjectSettings.__dataclass_fields__:
            setattr(self.settings, name, getattr(fresh, name))

    def seed_job(self) -> Callable[[], tuple] | None:
        """What gathers ``draw_seed``'s arguments on a worker, if the seed set is still to be
        drawn."""
        if self.features is None or self.store.get("seed_queue") is not None:
            return None
        return self.queue.seed_request(self.features, self.model.row_of)

    def set_seed(self, item_ids: list[int]) -> None:
        """The seed set drawn on a worker; it is persisted so a reopened project keeps it."""
        if self.store.get("seed_queue") is None:
            self.store.set("seed_queue", [int(i) for i in item_ids])

    @property
    def classes(self) -> list[ClassInfo]:
        return self.store.classes()

    # ------------------------------------------------------------------ serving
    def current(self) -> Query | None:
        """The item on screen; chosen now if none is (the user never waits for a model)."""
        if self._pinned is not None:
            return self._revisit(self._pinned)
        if self._browse is not None:
            return self._revisit(self.state.entries[self._browse].item_id)
        if self._current is None or self._current.item.id in self._answers:
            self._current = self._choose_next()
            self._remember_current()
        return self._current

    def _remember_current(self) -> None:
        q = self._current
        self._position = None if q is None else [q.item.id, q.strategy, q.score]

    def save_position(self) -> None:
        """Persist the item on screen so a reopened project shows the same one. Called on
        close, not per answer: a key press then costs one commit (the answer), and a crash
        loses no answer, only this bookmark."""
        if self._position is not None and self._position != self.store.get("current"):
            self.store.set("current", self._position)
        if self._position is not None and self._pinned != self.store.get("pinned_item"):
            self.store.set("pinned_item", self._pinned)  # an item brought up from review

    def _restored_pick(self) -> tuple[int, str, float | None] | None:
        saved = self.store.get("current")
        if saved and saved[0] not in self._answers and saved[0] in self._items:
            return saved[0], saved[1], saved[2]
        return None

    def budget_spent(self) -> bool:
        """The label budget (pool labels) is reached: nothing more is asked."""
        budget = self.settings.budget
        return budget is not None and self.model.n_train_labels(self.state) >= budget

    def done_text(self) -> str:
        """Why nothing is asked, for the window's "Nothing left to ask"."""
        spent = self.model.n_train_labels(self.state) if self.budget_spent() else None
        stream = self.stream_summary() if self.settings.scenario == "stream" else None
        return nothing_left_text(
            spent, self.settings.budget, self.index, self._items, stream,
            self.settings.watch_folder,
        )  # fmt: skip

    def _choose_next(self) -> Query | None:
        if self.budget_spent():  # no pool item past the budget; test items (asked besides)
            pick = self.queue.test_for_target(self._answers, len(self.state.test_labels))
            return None if pick is None else self._query(*pick)
        unavailable = self._answers.keys()  # a live view: no copy of 50,000 ids per item
        for pick in (
            self._restored_pick,
            lambda: self.queue.next_similar(unavailable),  # asked for: Label → More like this
            lambda: self.queue.due_test(self._answers, self.state.pool_answers_given),
            self._synth_pick,
            lambda: self._seed_pick(unavailable),
            lambda: self._strategy_pick(unavailable),
            lambda: self._fallback_pick(unavailable),
            lambda: self.queue.due_test(self._answers, None),  # the test items left, at the end
        ):
            chosen = pick()
            if chosen is not None:
                item_id, strategy, score = chosen
                return self._query(item_id, strategy, score)
        return None

    def _synth_pick(self) -> tuple[int, str, float | None] | None:
        """A pending synthesized query, when one is due (one in ``synthesis_every`` asked) and
        the seed set is in: a blend of a 2-label model's was asked during the seed phase."""
        if not self.model.can_rank(self.state):
            return None
        if not synth_due(self._history, self._items, self.settings.synthesis_every):
            return None
        return self.queue.pending_synth(self._answers)

    def _seed_pick(self, unavailable: set[int]) -> tuple[int, str, float | None] | None:
        if self.settings.scenario == "stream" or self.model.can_rank(self.state):
            return None
        return self.queue.next_seed(unavailable, self.features, self.model.row_of)

    def _fallback_pick(self, unavailable: set[int]) -> tuple[int, str, float | None] | None:
        """Past the seed set but no ranking to serve (a model is still training)."""
        if self.settings.scenario == "stream":
            return None
        waiting = "waiting" if self.model.round > 0 else "first_model"
        return self.queue.next_seed(unavailable, self.features, self.model.row_of, waiting)

    def _strategy_pick(self, unavailable: set[int]) -> tuple[int, str, float | None] | None:
        if self.settings.scenario == "stream":  # discards only once the seed labels are in
            return self.queue.next_stream(unavailable, self.model, self._record_discard, self.state)
        return self.queue.next_ranked(unavailable, self.model)

    def _record_discard(self, item_id: int, score: float) -> None:
        event_id = self.store.record(
            item_id, "discard", strategy="stream", score=score, model_round=self.model.round
        )
        self._follow(event_id)

    def _query(self, item_id: int, strategy: str, score: float | None) -> Query:
        item = self._items[item_id]
        return Query(
            item=item,
            abspath=self.store.abspath(item),
            strategy="test" if item.split == "test" else strategy,
            score=None if item.split == "test" else score,
            round=self.model.round,
            is_test=item.split == "test",
            proba=None if item.split == "test" else self.model.proba_of(item_id),
            answer=self._answers.get(item_id),
            features=self.model.features_text(),
            model_loaded=self.model.loaded,
            trainable=self.model.ready(self.state),
            asked_round=self.queue.made_round(item_id, self.model.round),
        )

    def current_view(self) -> Query | None:
        """The item on screen as the model now in memory sees it (after a retrain, or once
        a reopened project's model is rebuilt); what its answer records is unchanged."""
        query = self.current()
        if query is None:
            return None
        fresh = self._query(query.item.id, query.strategy, query.score)
        moved = fresh.round != query.round and query.score is not None
        asked = query.asked_round or (query.round if moved else None)
        return replace(query, round=fresh.round, proba=fresh.proba, features=fresh.features,
                       model_loaded=fresh.model_loaded, asked_round=asked)  # fmt: skip

    # ------------------------------------------------------------------ answering
    def answer(self, class_id: int) -> int:
        """Label the current item; committed to disk before this returns."""
        return self._record("label", class_id)

    def skip(self) -> int:
        return self._record("skip")

    def cannot_label(self) -> int:
        """The oracle cannot say (e.g. a synthesized blend): recorded, never trained on."""
        return self._record("cannot_label")

    def _record(self, action: str, class_id: int | None = None) -> int:
        query = self.current()
        if query is None:
            raise LookupError("there is no item to answer")
        item = query.item
        if action == "label" and self._items[item.id].status != "ok":
            # it could not be shown (flagged): a label would be a guess, counted beyond the pool
            raise ItemUnreadable("This item could not be shown, so it cannot be labeled: press S.")
        event_id = self.store.record(
            item.id, action, class_id=class_id, strategy=query.strategy, score=query.score,
            model_round=query.round, split=item.split,
        )  # fmt: skip
        self._follow(event_id)
        if self._browse is not None:  # a changed answer: back to the item being labeled (going
            self._browse = None  # on to the next answered one, fast key presses overwrote them)
        else:
            if self._pinned is None:  # a picked item leaves the loop's own item where it was
                self._current = None
            self._pinned = None
            self.model.note_answer(action, item)
            self.queue.note_answer(item)
        return event_id

    def _follow(self, first_id: int) -> None:
        """Bring the in-memory answers up to the log: the events from ``first_id`` on."""
        tested = False
        for ev in self.store.events(since_id=first_id - 1):
            self.state.apply(ev)
            tested |= ev.split == "test"
            if ev.action == "undo" and ev.item_id in self._items:
                self.queue.answer_withdrawn(self._items[ev.item_id])
        if tested:  # the accuracy is measured on every test label, not those of the last fit
            self.model.remeasure(self.state)

    @property
    def _history(self) -> AskedItems:
        """Item ids answered, oldest first (a view, not a copy)."""
        return AskedItems(self.state)

    # ------------------------------------------------------------------ training
    def training_job(self, force: bool = False) -> TrainingJob | None:
        """A frozen retrain request when one is due (see ``ModelState.due``), else None."""
        answered = self.state.answered_by_split["pool"]  # counted: choosing an item writes
        finished = self.budget_spent() or answered >= self.index.n_pool_ok  # nothing more asked
        if not self.model.ready(self.state) or not (force or self.model.due(finished)):
            return None
        build_snapshot, candidates = self.model.snapshot(self.state)
        request = partial(
            RankRequest,
            X_pool=self.features.X,
            candidates=candidates,
            strategy=self.settings.strategy,
            k=self.settings.batch,
            round=self.model.requested,
            # seeded by the labels, not the job count: the model rebuilt on reopen (or by
            # aldesk train) is the recorded round's, features chosen the same way
            random_state=self.settings.random_state + self.model.n_train_labels(self.state),
            layout=self.model.layout,
            representation=self.settings.representation,
            recorded_choice=self.model.recorded_choice(),
        )
        # the snapshot's feature rows are gathered when the worker first reads the request
        return TrainingJob(lambda: request(snapshot=build_snapshot()), self._synthesis_spec())

    def _synthesis_spec(self) -> SynthesisSpec | None:
        if self.settings.scenario != "synthesis" or self.queue.pending_synth(self._answers):
            return None  # one blend waiting to be asked is enough
        paths = RowPaths(self.store.db_file, self.store.pool_root, self.model.item_of_row)
        return SynthesisSpec(
            kind=self.store.kind, paths=paths, out_dir=self.store.synth_dir,
            cache_dir=self.store.cache_dir, pretrained=PRETRAINED in self.model.layout.blocks,
        )  # fmt: skip

    def apply_result(self, result: RoundResult) -> bool:
        """Swap in a finished round; a result older than the applied one is dropped. What it
        writes (the round, its key, the stop-set history, the queue) is one transaction."""
        with self.store.batch():
            if not self.model.apply(result.ranking, self.state):
                return False
            if result.synthesized is not None:
                self._add_synthesized(result)
            self.queue.set_ranking(result.ranking, self.model)
        return True

    def _add_synthesized(self, result: RoundResult) -> None:
        import hashlib

        syn = result.synthesized
        data = syn.path.read_bytes()
        content = hashlib.sha256(data).hexdigest()
        if self.store.item_by_hash(content) is not None:  # this very blend was made before
            syn.path.unlink(missing_ok=True)
            return
        (item_id,) = self.store.add_items([NewItem(
            content, syn.path.name, self.store.kind, len(data), syn.path.stat().st_mtime_ns,
            origin="synth",
        )])  # fmt: skip
        parents = [int(self.model.item_of_row[r]) if r < len(self.model.item_of_row) else -1
                   for r in syn.parents]  # fmt: skip
        record_sources(self.store, item_id, parents, syn.ratio)
        self.reload_items()
        self.model.add_extra_features(item_id, syn.features)
        self.queue.push_synth(item_id, syn.score, self.model.round)

    # ------------------------------------------------------------------ status
    def status(self) -> Status:
        return build_status(
            self.state, self.index, self.model, self.classes,
            self.store.class_resolver(),
        )  # fmt: skip

    def stream_summary(self) -> StreamSummary:
        """Arrivals seen, queried and discarded, and the threshold (the stream view)."""
        on_screen = self._current.item.id if self._current is not None else None
        item = self._items.get(on_screen)
        open_now = item is not None and is_candidate(item, self._answers)  # asked, not answered
        return summarize_stream(
            self.state.arrivals_decided, len(self.index.arrivals), open_now, self.queue.stream
        )

    def predictions(self) -> dict[int, tuple[int, float]]:
        """Item id -> (class id, confidence) for every unlabeled item the model scored."""
        return self.model.predictions(self._answers)


__all__ = ["Query", "Session", "Status"]
