"""The queue side of a session: which item comes next, and what a reopened project resumes.

Due test items, synthesized queries, the seed set, the pool ranking or the stream. What must
survive a restart (seed queue, upcoming queue, stream threshold) lives in the store's JSON
settings, never in memory alone.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Container, Mapping

import numpy as np

from aldesk.core.answer_state import AnswerState
from aldesk.core.features.types import FeatureSet
from aldesk.core.item_columns import ItemColumns
from aldesk.core.item_index import ItemIndex, arrival_key, is_arrival
from aldesk.core.project import ProjectSettings
from aldesk.core.ranking import Ranking
from aldesk.core.session_state import ModelState
from aldesk.core.stopping import trusted_test_items
from aldesk.core.store import Event, Item, ProjectStore
from aldesk.core.strategies.seed import seed_random, seed_representative
from aldesk.core.strategies.stream import (
    AdaptiveRule,
    FixedUncertainty,
    QuantileUncertainty,
    StreamRule,
    stream_strategy_from_dict,
)

Pick = tuple[int, str, "float | None"]
PERSISTED_QUEUE = 50


class AndOne:
    """``ids`` and one more id, for ``in`` tests, without a copy of ``ids`` (50,000 answers)."""

    __slots__ = ("ids", "one")

    def __init__(self, ids: Container[int], one: int) -> None:
        self.ids, self.one = ids, one

    def __contains__(self, item_id: object) -> bool:
        return item_id == self.one or item_id in self.ids


def draw_seed(ids: list[int], X: np.ndarray, k: int, method: str, random_state: int) -> list[int]:
    """The cold-start seed set: ``k`` representative (k-means medoid) or random items."""
    if not k:
        return []
    if method == "representative":
        sel = seed_representative(X, k, random_state)
    else:
        sel = seed_random(len(ids), k, random_state)
    return [ids[int(j)] for j in sel.indices]


class QueueState:
    """Decides which item comes next; persists what a reopened project must resume."""

    def __init__(self, store: ProjectStore, settings: ProjectSettings) -> None:
        self.store = store
        self.settings = settings
        self.items = ItemColumns.of(())
        self.index: ItemIndex | None = None
        self._synth_scores: dict[int, float] = {}
        self._synth_rounds: dict[int, int] = {}  # the round whose model made each blend
        self._test_order_cache: tuple[tuple, list[int]] | None = None
        self._similar: list = (store.get("similar") or {}).get("items", [])  # read once
        self._stream = self._load_stream()
        self._stream_from = 0

    def set_items(self, index: ItemIndex) -> None:
        self.index = index
        self.items = index.items
        self._stream_from = 0  # arrivals before this position are all answered

    # ----------------------------------------------------------- test items
    def due_test(self, answers: dict[int, Event], n_pool: int | None) -> Pick | None:
        """One held-out test item after every ``max(3, batch)`` pool answers (``n_pool``), and
        at least every 5 until the accuracy has the test labels the stopping advice trusts
        (with batch 10 and a budget of 180 it never had them, so the target rule never ran).
        ``n_pool`` None: any left, once nothing else is to be asked (a stream ended with test
        items never asked, and its accuracy rested on fewer than the user set)."""
        tests = self.index.tests
        open_tests = [i for i in tests if i not in answers]
        if not open_tests:
            return None
        n_test = len(tests) - len(open_tests)
        batch = self.settings.batch
        trusted = n_test >= trusted_test_items(self.settings.test_size)
        spacing = max(3, batch if trusted else min(batch, 5))
        behind = n_pool is None or n_test < math.ceil(n_pool / spacing)
        # ...and one after every batch since the last, so a batch raised mid-session (5 -> 10
        # at 133 answers) does not stop them for the next 167 answers
        if not behind and _pool_answers_since_test(answers, set(tests)) < spacing:
            return None
        return next(i for i in self._test_order(tests) if i not in answers), "test", None

    def _test_order(self, tests: list[int]) -> list[int]:
        """Every test item in one seeded random order, asked front to back. A fresh draw among
        the open ones each time (the same seed, one item fewer) walked neighbouring ids, and
        ids follow the files' order, often their classes': 20 test answers held 3 of 6 classes."""
        key = (len(tests), tests[0] if tests else None, tests[-1] if tests else None)
        if self._test_order_cache is None or self._test_order_cache[0] != key:
            rng = np.random.default_rng(self.settings.random_state + 7)
            self._test_order_cache = (key, [int(i) for i in rng.permutation(sorted(tests))])
        return self._test_order_cache[1]

    def test_for_target(self, answers: dict[int, Event], n_test_labeled: int) -> Pick | None:
        """A test item once the budget is spent, while the target-accuracy rule lacks the test
        labels it trusts: with a budget under ~150 labels (a test item per 5) it never had
        them, so the rule never fired."""
        if self.settings.target_accuracy is None:
            return None
        if n_test_labeled >= trusted_test_items(self.settings.test_size):
            return None
        return self.due_test(answers, None)

    # ----------------------------------------------------------- synthesized
    def push_synth(self, item_id: int, score: float, made_round: int) -> None:
        self._synth_scores[item_id] = score
        self._synth_rounds[item_id] = made_round

    def made_round(self, item_id: int, current_round: int) -> int | None:
        """The round whose model made (and scored) a blend asked at ``current_round``, when it
        is an older one: the first blend, made by the seed set's 2-class model, is asked once
        the seed set is in, and its score read "74 % apart" beside bars >99 % / <1 %."""
        made = self._synth_rounds.get(item_id)
        return made if made is not None and made != current_round else None

    def pending_synth(self, answers: dict[int, Event]) -> Pick | None:
        for i in self.index.synth:
            if i not in answers:
                return i, "synthesis", self._synth_scores.get(i)
        return None

    # ----------------------------------------------------------- more like this
    def set_similar(self, of_item: int, picks: list[tuple[int, float]]) -> None:
        """Serve ``picks`` (item id, similarity) next, before the strategy; persisted, so a
        reopened project carries on with them."""
        items = [[int(i), float(s)] for i, s in picks]
        self.store.set("similar", {"of": int(of_item), "items": items})
        self._similar = items

    def clear_similar(self) -> None:
        if self.store.get("similar") is not None:
            self.store.set("similar", None)
        self._similar = []

    def similar_left(self, unavailable: Container[int]) -> list[int]:
        """The requested similar items not answered yet, in the order they will come."""
        return [i for i, _ in self._similar if i not in unavailable and self.items.is_arrival(i)]

    def next_similar(self, unavailable: Container[int]) -> Pick | None:
        if self.settings.scenario == "stream":
            return None  # a stream asks in arrival order only
        for item_id, score in self._similar:
            if item_id not in unavailable and self.items.is_arrival(item_id):
                return item_id, "similar", score
        return None

    # ----------------------------------------------------------- seed
    def next_seed(
        self,
        unavailable: set[int],
        features: FeatureSet | None,
        row_of: Mapping[int, int],
        waiting: str | None = None,
    ) -> Pick | None:
        """The seed set's next item; past the seed set (``waiting``: "waiting", a model exists,
        its ranking used up by answers faster than the retrains; "first_model", none is ready
        yet) it is told apart: "Seed set" read as a bug there (129 items of a 30-item seed)."""
        queue = self.store.get("seed_queue")
        if queue is None and features is not None and self.inline_seed:
            queue = draw_seed(*self.seed_request(features, row_of)())
            self.store.set("seed_queue", queue)
        pick = self._seed_from(queue, unavailable)
        return (pick[0], waiting, None) if pick is not None and waiting else pick

    def _seed_from(self, queue: list[int] | None, unavailable: Container[int]) -> Pick | None:
        for i in queue or []:
            if i not in unavailable and self.items.is_arrival(i):
                return i, "seed", None
        return self._random_pick(unavailable)

    def peek(self, unavailable: Container[int], model: ModelState, ranked: bool) -> Pick | None:
        """The item the seed set, or with ``ranked`` the ranking, would serve next (the seed
        order again while the first ranking is trained); nothing is drawn or written. A stream
        decides as items arrive, so it has no next to tell."""
        if self.settings.scenario == "stream":
            return None
        pick = self.next_similar(unavailable)
        pick = pick or (self.next_ranked(unavailable, model) if ranked else None)
        return pick or self._seed_from(self.store.get("seed_queue"), unavailable)

    # The GUI draws the seed on a worker (k-means on a large pool takes ~0.5 s) and serves a
    # seeded random order meanwhile; the simulator and the CLI draw it inline.
    inline_seed = True

    def seed_request(self, features: FeatureSet, row_of: Mapping[int, int]) -> Callable[[], tuple]:
        """What gathers the arguments of :func:`draw_seed` (the candidate files' features).

        Call it on a worker: it copies the candidates' feature rows (0.2 s at 100k items). It
        reads the item table's columns only; ``row_of`` is replaced, never changed.
        """
        items, st = self.items, self.settings

        def gather() -> tuple:
            known = np.array(sorted(row_of), dtype=np.int64)
            ids = known[items.arrivals_mask(known)].tolist()
            X = features.X[[row_of[i] for i in ids]] if ids else features.X[:0]
            return ids, X, min(st.seed_size, len(ids)), st.seed_method, st.random_state

        return gather

    def _random_pick(self, unavailable: Container[int]) -> Pick | None:
        """Cold start with no features yet (or the seed spent): a seeded random order."""
        for i in self.index.random_order:
            if i not in unavailable:
                return i, "seed", None
        return None

    # ----------------------------------------------------------- pool ranking
    def set_ranking(self, ranking: Ranking, model: ModelState) -> None:
        upcoming = []
        for row, score in zip(ranking.order, ranking.scores, strict=False):
            item_id = int(model.item_of_row[row])
            if item_id >= 0:
                upcoming.append([item_id, float(score)])
            if len(upcoming) >= PERSISTED_QUEUE:
                break
        self.store.set("queue", {"round": ranking.round, "strategy": ranking.strategy,
                                 "items": upcoming})  # fmt: skip

    def next_ranked(self, unavailable: Container[int], model: ModelState) -> Pick | None:
        if model.ranking is not None:
            r = model.ranking
            for row, score in zip(r.order, r.scores, strict=False):
                item_id = int(model.item_of_row[row])
                if item_id >= 0 and item_id not in unavailable:
                    return item_id, r.strategy, float(score)
        saved = self.store.get("queue")  # reopened: serve the last ranking until a new one lands
        for item_id, score in (saved or {}).get("items", []):
            if item_id not in unavailable and item_id in self.items:
                return item_id, saved["strategy"], score
        return None

    # ----------------------------------------------------------- stream
    def _load_stream(self) -> StreamRule:
        saved = self.store.get("stream_state")
        if saved and saved.get("kind") == "variable":  # saved before: the quantile rule goes on
            return QuantileUncertainty.from_dict(saved)  # from its counts
        if saved:
            return stream_strategy_from_dict(saved)
        if self.settings.stream_threshold is not None:
            return FixedUncertainty(self.settings.stream_threshold)
        return QuantileUncertainty(self.settings.stream_budget)

    def next_stream(
        self,
        unavailable: set[int],
        model: ModelState,
        discard: Callable[[int, float], None],
        state: AnswerState,
    ) -> Pick | None:
        """The next arrival the threshold queries; arrivals it passes over are discarded.

        Until the seed set's labels are in every arrival is asked: a model of 4 labels passed
        over arrivals of classes it had never seen.
        """
        arrivals, seeded = self.index.arrivals, model.can_rank(state)
        rule = self.stream
        try:
            for k in range(self._stream_from, len(arrivals)):
                item_id = arrivals[k]
                if item_id in unavailable:
                    if k == self._stream_from:  # a key press must not walk 50,000 decided ones
                        self._stream_from = k + 1
                    continue
                proba = model.proba_of(item_id)
                if proba is None and model.ranking is not None:
                    continue  # no view of it yet (features being read): decided once it has one
                if proba is None or not seeded:  # no model (or seed set) yet: ask what arrives
                    # past the seed set, told apart: a reopen after a kill, its model being
                    # rebuilt, asked an arrival as a "Seed set" pick, and counted it in the seed
                    return item_id, "stream_early" if seeded else "seed", None
                decision = rule.decide(np.array(list(proba.values())))
                if decision.query:
                    return item_id, "stream_run" if decision.run else "stream", 1.0 - decision.score
                discard(item_id, 1.0 - decision.score)
                if k == self._stream_from:
                    self._stream_from = k + 1
            return None
        finally:
            self.store.set("stream_state", self._stream.to_dict())

    def answer_withdrawn(self, item: Item) -> None:
        """An answer was withdrawn (undo, a cleared review edit): the stream may come back to
        that arrival."""
        if is_arrival(item) and self.index is not None:
            k = bisect_left(self.index.arrivals, arrival_key(item),
                            key=self.items.arrival_key)  # fmt: skip
            self._stream_from = min(self._stream_from, k)

    @property
    def stream(self) -> StreamRule:
        """The stream's query rule and its counts (the threshold it holds arrivals to); an
        adaptive rule's share follows the settings (the panel said the old one until the next
        answer)."""
        if isinstance(self._stream, AdaptiveRule):
            self._stream.budget_fraction = self.settings.stream_budget
        return self._stream

    def note_answer(self, item: Item) -> None:
        self._synth_scores.pop(item.id, None)
        self._synth_rounds.pop(item.id, None)


def _pool_answers_since_test(answers: dict[int, Event], tests: set[int]) -> int:
    """The user's pool answers after the newest test answer (a stream's discards are the
    model's); reads back from the newest answer, so it stops after about one batch."""
    n = 0
    for ev in reversed(answers.values()):
        if ev.item_id in tests:
            break
        n += ev.split == "pool" and ev.action != "discard"
    return n
