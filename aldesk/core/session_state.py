"""The model side of a session: features, trainable rows, the applied ranking, the curve.

``ModelState`` freezes training snapshots for workers, applies finished rounds (test metrics,
the stop-set history for stabilizing predictions) and answers "what does the model think of this
item". What comes next is ``session_queue.QueueState``'s job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from aldesk.core.answer_state import AnswerState
from aldesk.core.evaluation import Metrics
from aldesk.core.feature_rows import (
    FeatureRows,
    RowMap,
    candidate_file_rows,
    feature_rows,
    read_hashes,
)
from aldesk.core.features.types import FeatureSet
from aldesk.core.item_columns import ItemColumns
from aldesk.core.item_index import ItemIndex
from aldesk.core.learner import TrainingSnapshot
from aldesk.core.project import ProjectSettings
from aldesk.core.ranking import Ranking
from aldesk.core.ranking_rows import remap_ranking, scored
from aldesk.core.representation import PRETRAINED, Layout, blank_rows, single_layout
from aldesk.core.round_measure import measure_round
from aldesk.core.stopping import STABLE_ROUNDS, Advice, round_metrics, stopping_advice
from aldesk.core.store import Event, Item, ProjectStore, RoundRecord
from aldesk.core.training_rows import PoolRows

STOP_SET_SIZE = 1000
KEY_VERSION = "v3:"  # round keys hash item ids and the labels' class ids as arrays


class ModelState:
    """Features, the applied model's ranking and the learning curve of one session."""

    def __init__(self, store: ProjectStore, settings: ProjectSettings) -> None:
        self.store = store
        self.settings = settings
        self.features: FeatureSet | None = None
        self.layout: Layout | None = None
        self.row_of = RowMap()  # item id -> feature row
        self.item_of_row = np.zeros(0, dtype=np.int64)
        self.extra: dict[int, np.ndarray] = {}  # synthesized items' features
        self._file_rows: np.ndarray | None = None
        stop = store.get("stop_set_items")  # the stop set's items, not rows: rows move
        self._stop_ids = None if stop is None else np.array(stop, dtype=np.int64)
        self._epoch = 0  # counts changes of the items (rows built for older items are stale)
        self.ranking: Ranking | None = None  # None after a reopen until the model is rebuilt
        self._rounds = store.rounds()
        # The round the user sees is the count of recorded rounds (as ``aldesk status`` says).
        # Jobs have their own numbers: a superseded job takes one and is never recorded.
        self.round = len(self._rounds)
        self._applied_job = self._requested = 0
        # per training request: what it is trained from, and the user's labels in it
        self._job_keys: dict[int, tuple[str, int]] = {}
        self.pending = False
        self.labels_since = 0
        self._stop_history = [np.array(p) for p in store.get("stop_set_history", [])]
        self._metrics: Metrics | None = round_metrics(self._rounds[-1]) if self._rounds else None

    # ----------------------------------------------------------- features
    def set_features(
        self,
        features: FeatureSet,
        items: ItemColumns,
        layout: Layout | None = None,
        rows: FeatureRows | None = None,
    ) -> None:
        """Swap in ``features``; ``rows`` built on a worker make it O(1) on this thread.

        Rows built before the items last changed (a rescan, a flag) are rebuilt here.
        """
        if rows is None or rows.features is not features or rows.epoch != self._epoch:
            hashes = self.store.read("SELECT id, hash FROM items ORDER BY id")
            rows = feature_rows(features, hashes, items, self._epoch)
        old_rows, old_width = self.item_of_row, self.features.X.shape[1] if self.features else None
        self.features = features
        self.layout = layout if layout is not None else single_layout(features)
        self.row_of, self.item_of_row = rows.row_of, rows.item_of_row
        self._file_rows = rows.file_rows
        if self.ranking is not None:  # rows moved (a rescan): the model in memory follows them
            self.ranking = remap_ranking(
                self.ranking, old_rows, self.item_of_row, features.X, old_width
            )

    def rows_job(self, items: ItemColumns) -> Callable[[FeatureSet], FeatureRows]:
        """What builds the rows of features on a worker (for :meth:`set_features`), from the
        items as they are now and this epoch (rows built from items since changed are not used);
        the worker reads the items' hashes through a connection of its own."""
        db, epoch = self.store.db_file, self._epoch
        return lambda features: feature_rows(features, read_hashes(db), items, epoch)

    def items_changed(self) -> None:
        """Statuses may have changed (rescan, a flagged file): recompute candidates lazily.
        Rows of features depend on the items' hashes only: they stay."""
        self._file_rows = None
        self._epoch += 1

    def item_flagged(self, item_id: int) -> None:
        """One readable item was flagged unreadable: it leaves the candidates (no walk)."""
        self._epoch += 1  # rows built on a worker before this still hold it as a candidate
        row = self.row_of.get(item_id)
        if self._file_rows is not None and row is not None:
            k = int(np.searchsorted(self._file_rows, row))
            if k < len(self._file_rows) and self._file_rows[k] == row:
                self._file_rows = np.delete(self._file_rows, k)

    def add_extra_features(self, item_id: int, vector: np.ndarray) -> None:
        self.extra[item_id] = np.asarray(vector, dtype=np.float32).reshape(-1)

    def _vector(self, item_id: int) -> np.ndarray | None:
        if item_id in self.extra:
            return self.extra[item_id]
        row = self.row_of.get(item_id)
        return None if row is None else self.features.X[row]

    # ----------------------------------------------------------- readiness
    def n_train_labels(self, state: AnswerState) -> int:
        """The oracle's pool labels (the user's and imported): what the label budget counts.
        The model's own labels (auto-label) cost no answer, so they never count."""
        return state.n_train - state.n_model_train

    def can_rank(self, state: AnswerState) -> bool:
        """Past the seed phase: enough training labels, of two classes or more, to rank."""
        return state.n_train >= self.settings.seed_size and len(state.train_classes()) >= 2

    def ready(self, state: AnswerState) -> bool:
        """A model can be trained: features are in and two classes have training labels."""
        return self.features is not None and len(state.train_classes()) >= 2

    def due(self, finished: bool = False) -> bool:
        """A retrain is due: the first one, then every ``batch`` labels, and for the last few
        labels once nothing more will be asked (``finished``: the budget is spent or every
        item answered; they went untrained while the window said "up to date")."""
        first = self.ranking is None and not self.pending
        return (first or self.labels_since >= self.settings.batch
                or (finished and self.labels_since > 0))  # fmt: skip

    def note_answer(self, action: str, item: Item) -> None:
        if action == "label" and item.split == "pool":
            self.labels_since += 1

    def note_undo(self, ev: Event) -> None:
        if ev.action == "label" and ev.split == "pool":
            self.labels_since = max(0, self.labels_since - 1)

    def next_round(self) -> int:
        """The job number the next training request gets."""
        return max(self._requested, self._applied_job) + 1

    @property
    def requested(self) -> int:
        """The job number of the newest training request."""
        return self._requested

    @property
    def loaded(self) -> bool:
        """A model is in memory (after a reopen it is rebuilt from the labels: never saved)."""
        return self.ranking is not None

    # ----------------------------------------------------------- training
    def snapshot(self, state: AnswerState) -> tuple[Callable[[], TrainingSnapshot], np.ndarray]:
        """Freeze the training labels and the candidate rows for a worker.

        Returns a function that builds the snapshot (run it on the worker) and the candidate
        rows. The snapshot names the labelled items' feature rows; they are gathered where the
        model is fitted (:mod:`aldesk.core.training_rows`).
        """
        classes = [c.id for c in self.store.classes()]
        ids, y, rows = self._training_labels(state, classes)
        self._requested = self.next_round()
        key = self._training_key(ids, y, classes)
        self._job_keys[self._requested] = (key, self.n_train_labels(state))
        candidates = self._candidate_rows(state)
        self.pending = True
        self.labels_since = 0
        extra = {int(k): self.extra[int(ids[k])] for k in np.flatnonzero(rows < 0)}
        X_pool, st = self.features.X, self.settings
        options = dict(
            n_classes=len(classes), model=st.model, random_state=st.random_state,
            previous_choice=self.ranking.choice if self.ranking is not None else None,
        )  # fmt: skip

        def build() -> TrainingSnapshot:
            return TrainingSnapshot(X=PoolRows.of(X_pool, rows, extra), y=y, **options)

        return build, candidates

    def _training_labels(
        self, state: AnswerState, classes: list[int]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Item ids (ascending) with a pool label and a feature vector, their class index
        (merged classes resolved) and feature row (-1: a synthesized item's own vector)."""
        ids, raw = state.train_items()
        resolve = self.store.class_resolver()
        index = {cid: k for k, cid in enumerate(classes)}
        lookup = np.full(max(resolve, default=0) + 2, -1, dtype=np.int64)
        for cid, root in resolve.items():
            lookup[cid] = index.get(root, -1)
        y = lookup[np.clip(raw, 0, len(lookup) - 1)] if len(raw) else raw
        rows = self._row_of_items(ids)
        has_vector = rows >= 0
        if self.extra:
            has_vector |= np.isin(ids, np.fromiter(self.extra, dtype=np.int64))
        keep = (y >= 0) & has_vector
        return ids[keep], y[keep], rows[keep]

    def _row_of_items(self, ids: np.ndarray) -> np.ndarray:
        """Feature row of each item id (-1: none), from ``row_of``'s array."""
        by_item = self.row_of.by_item
        inside = (ids >= 0) & (ids < len(by_item))
        rows = np.full(len(ids), -1, dtype=np.int64)
        rows[inside] = by_item[ids[inside]]
        return rows

    def _candidate_rows(self, state: AnswerState) -> np.ndarray:
        """Feature rows of unanswered readable pool files, from masks rather than a 10k loop."""
        if self._file_rows is None:  # readable pool files with features; rebuilt on reload
            self._file_rows = candidate_file_rows(self.item_of_row, state.items)
        answered = state.is_answered(self.item_of_row[self._file_rows])
        return self._file_rows[~answered]

    def _training_key(self, ids: np.ndarray, y: np.ndarray, classes: list[int]) -> str:
        """What a model is trained from (a class added changes nothing): same key, no new round."""
        st = self.settings
        digest = hashlib.sha256(np.ascontiguousarray(ids, dtype=np.int64).tobytes())
        digest.update(np.ascontiguousarray(np.asarray(classes, dtype=np.int64)[y]).tobytes())
        digest.update(json.dumps([st.model, st.strategy, st.representation]).encode())
        return KEY_VERSION + digest.hexdigest()

    def _same_as_last_round(self, key: str | None, n_labels: int) -> bool:
        """Whether a finished model was trained on what the last recorded round was.

        True after a reopen (the model is rebuilt, never saved) or when only the features
        arrived: recording it would repeat the last point of the learning curve.
        """
        if not self._rounds:
            return False
        saved = self.store.get("round_key")
        if saved is None or not saved.startswith(KEY_VERSION):  # an older key: the count tells
            return self._rounds[-1].n_labels == n_labels
        return key == saved

    def apply(self, ranking: Ranking, state: AnswerState) -> bool:
        """Swap in a finished job's model; a new round is recorded only if its labels differ."""
        if ranking.round <= self._applied_job:
            return False  # stale: a newer model is already in place
        self.ranking = ranking
        self._applied_job = ranking.round
        self.pending = ranking.round < self._requested
        key, n_labels = self._job_keys.get(ranking.round, (None, self.n_train_labels(state)))
        self._job_keys = {j: k for j, k in self._job_keys.items() if j > ranking.round}
        # the labels the model was trained on, not those given while it was being fitted
        record = self._evaluate(ranking, state, n_labels)
        if self._same_as_last_round(key, record.n_labels):
            # the model of the last round, rebuilt on its labels: no new point, but measured
            # as it is now (test labels given since by a script; features that came since: the
            # window said 91.3 % of a recorded model while the one in use scored 95.7 %)
            self._replace_measurement(record)
            return True
        record = replace(record, round=self.round + 1)
        self.store.add_round(record)
        if key is not None:
            self.store.set("round_key", key)
        self._rounds.append(record)
        self.round = record.round
        self._metrics = round_metrics(record)
        if len(self._rounds) < 2 or self._rounds[-2].n_labels != record.n_labels:
            self._update_stability(ranking)  # a setting changed is no new evidence of stability
        return True

    def remeasure(self, state: AnswerState) -> bool:
        """Measure the model in place again after its test labels changed (given, withdrawn
        or corrected since its round was recorded); True if the newest round changed.

        No retrain is needed: the applied ranking holds the model's predictions for every
        item, test items included. Without this, test items answered after the last retrain
        (all of them, at the end of a stream) never counted in the accuracy.
        """
        if self.ranking is None or not self._rounds:
            return False
        return self._replace_measurement(self._evaluate(self.ranking, state, 0))

    def _replace_measurement(self, record: RoundRecord) -> bool:
        last = self._rounds[-1]

        def measured(r: RoundRecord) -> tuple:
            return r.n_test, r.accuracy, r.macro_f1, r.representation

        if measured(record) == measured(last):
            return False
        keep = dict(round=last.round, n_labels=last.n_labels, fit_seconds=last.fit_seconds,
                    strategy=last.strategy, at=last.at)  # fmt: skip
        record = replace(record, **keep)
        self.store.update_last_round(record)
        self._rounds[-1] = record
        self._metrics = round_metrics(record)
        return True

    def _evaluate(self, ranking: Ranking, state: AnswerState, n_labels: int) -> RoundRecord:
        return measure_round(ranking, state, self.store, self.row_of, n_labels,
                             self.settings.random_state)  # fmt: skip

    def _stop_rows(self) -> np.ndarray:
        """Rows of the stop set's items: kept as the pool grows (new files and blends had reset
        its history), drawn again only when one of its items has no row any more."""
        n = self.ranking.proba.shape[0]
        rows = None if self._stop_ids is None else self._row_of_items(self._stop_ids)
        if rows is None or (rows < 0).any() or (rows >= n).any():
            valid = np.flatnonzero(self.item_of_row[:n] >= 0)
            rng = np.random.default_rng(self.settings.random_state)
            rows = valid[np.sort(rng.choice(len(valid), min(STOP_SET_SIZE, len(valid)), False))]
            if self._stop_ids is not None:  # another stop set: its history starts again
                self._stop_history = []
            self._stop_ids = self.item_of_row[rows]
            self.store.set("stop_set_items", self._stop_ids.tolist())
        return rows

    def _update_stability(self, ranking: Ranking) -> None:
        """Keep the last predictions on a fixed stop set (stabilizing predictions criterion)."""
        pred = ranking.proba[self._stop_rows()].argmax(axis=1)
        same = [p for p in self._stop_history if len(p) == len(pred)]
        self._stop_history = [*same, pred][-(STABLE_ROUNDS + 1) :]
        self.store.set("stop_set_history", [p.tolist() for p in self._stop_history])

    # ----------------------------------------------------------- reading
    def features_text(self) -> str | None:
        """What the applied model was trained on, for "Why this item?" and Progress."""
        if self.ranking is not None and self.ranking.choice is not None:
            return self.ranking.choice.describe(self.settings.budget)
        if self.layout is None:
            return None
        return "Features: learned from this pool" + (
            "" if PRETRAINED in self.layout.blocks else " (pretrained ones not ready yet)"
        )

    def latest_round(self) -> RoundRecord | None:
        return self._rounds[-1] if self._rounds else None

    def recorded_choice(self) -> tuple[str, int] | None:
        """The latest recorded round's representation and label count (``RankRequest``)."""
        latest = self.latest_round()
        if latest is None or latest.representation is None:
            return None
        return latest.representation, latest.n_labels

    def rounds(self) -> list[RoundRecord]:
        """Every recorded round, oldest first: the list kept here and appended to as rounds are
        applied (not a copy: at 10,000 rounds a second list of records is ~5 MB). Read only."""
        return self._rounds

    def proba_of(self, item_id: int) -> dict[int, float] | None:
        if self.ranking is None:
            return None
        if item_id in self.extra:
            row = self.ranking.model.predict_proba(self.extra[item_id][None, :])[0]
        elif item_id in self.row_of:
            row = self.ranking.proba[self.row_of[item_id]]
        else:
            return None
        if not scored(row):  # arrived since the model was applied: no view of it yet
            return None
        classes = [c.id for c in self.store.classes()]
        return {cid: float(p) for cid, p in zip(classes, row, strict=False)}

    def predictions(self, answers: dict[int, Event]) -> dict[int, tuple[int, float]]:
        if self.ranking is None:
            return {}
        classes = [c.id for c in self.store.classes()]
        proba = self.ranking.proba
        blank = blank_rows(self.features, self.layout, self.store.kind, len(proba))
        best, conf = proba.argmax(axis=1), proba.max(axis=1)
        # Skipped, can't-label and stream-discarded items are unlabelled too: they get a guess.
        return {i: (classes[best[r]], float(conf[r])) for i, r in self.row_of.items()
                if not _labelled(answers.get(i)) and best[r] < len(classes)
                and np.isfinite(conf[r]) and not blank[r]}  # fmt: skip

    def advice(self, state: AnswerState, index: ItemIndex) -> Advice | None:
        pool_proba = None
        if self.ranking is not None and self.settings.max_uncertainty is not None:
            pool_proba = self.ranking.proba[self._candidate_rows(state)]
        return stopping_advice(
            self.settings, n_labeled=self.n_train_labels(state), n_pool=index.n_pool_ok,
            metrics=self._metrics,
            stop_history=self._stop_history, pool_proba=pool_proba,
        )  # fmt: skip


def _labelled(event: Event | None) -> bool:
    return event is not None and event.action == "label"
