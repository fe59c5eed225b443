"""The model side of a session: features, trainable rows, the applied ranking, the curve.

``ModelState`` freezes training snapshots for workers, applies finished rounds (test metrics,
the stop-set history for stabilizing predictions) and answers "what does the model think of this
item". What comes next is ``session_queue.QueueState``'s job.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import numpy as np

from aldesk.core.evaluation import Metrics, compute_metrics
from aldesk.core.features.types import FeatureSet
from aldesk.core.item_index import ItemIndex, is_candidate, is_train_label
from aldesk.core.learner import TrainingSnapshot
from aldesk.core.project import ProjectSettings
from aldesk.core.ranking import Ranking
from aldesk.core.ranking_rows import remap_ranking, scored
from aldesk.core.representation import PRETRAINED, Layout, single_layout
from aldesk.core.review_rows import source_of
from aldesk.core.stopping import Advice, StoppingConfig, evaluate_all
from aldesk.core.store import Event, Item, ProjectStore, RoundRecord

STOP_SET_SIZE = 1000
STABLE_ROUNDS = 3


class ModelState:
    """Features, the applied model's ranking and the learning curve of one session."""

    def __init__(self, store: ProjectStore, settings: ProjectSettings) -> None:
        self.store = store
        self.settings = settings
        self.features: FeatureSet | None = None
        self.layout: Layout | None = None
        self.row_of: dict[int, int] = {}
        self.item_of_row = np.zeros(0, dtype=np.int64)
        self.extra: dict[int, np.ndarray] = {}  # synthesized items' features
        self._file_rows: np.ndarray | None = None
        self.ranking: Ranking | None = None  # None after a reopen until the model is rebuilt
        self._rounds = store.rounds()
        # The round the user sees is the count of recorded rounds (as ``aldesk status`` says).
        # Jobs have their own numbers: a superseded job takes one and is never recorded.
        self.round = len(self._rounds)
        self._applied_job = self._requested = 0
        self._job_keys: dict[int, str] = {}
        self.pending = False
        self.labels_since = 0
        self._stop_history = [np.array(p) for p in store.get("stop_set_history", [])]
        self._metrics: Metrics | None = _metrics_of(self._rounds[-1]) if self._rounds else None

    # ----------------------------------------------------------- features
    def set_features(
        self, features: FeatureSet, items: dict[int, Item], layout: Layout | None = None
    ) -> None:
        old_rows, old_width = self.item_of_row, self.features.X.shape[1] if self.features else None
        self.features = features
        self.layout = layout if layout is not None else single_layout(features)
        by_hash = {it.hash: it.id for it in items.values()}
        pairs = [(by_hash[h], r) for r, h in enumerate(features.hashes) if h in by_hash]
        self.row_of = dict(pairs)
        self._file_rows = None
        self.item_of_row = np.full(len(features.hashes), -1, dtype=np.int64)
        for item_id, row in pairs:
            self.item_of_row[row] = item_id
        if self.ranking is not None:  # rows moved (a rescan): the model in memory follows them
            self.ranking = remap_ranking(
                self.ranking, old_rows, self.item_of_row, features.X, old_width
            )

    def items_changed(self) -> None:
        """Statuses may have changed (rescan, a flagged file): recompute candidates lazily."""
        self._file_rows = None

    def add_extra_features(self, item_id: int, vector: np.ndarray) -> None:
        self.extra[item_id] = np.asarray(vector, dtype=np.float32).reshape(-1)

    def _vector(self, item_id: int) -> np.ndarray | None:
        if item_id in self.extra:
            return self.extra[item_id]
        row = self.row_of.get(item_id)
        return None if row is None else self.features.X[row]

    # ----------------------------------------------------------- readiness
    def _train_labels(self, answers: dict[int, Event], items: dict[int, Item]) -> dict[int, int]:
        return {i: e.class_id for i, e in answers.items() if is_train_label(e, items)}

    def n_train_labels(self, answers: dict[int, Event], items: dict[int, Item]) -> int:
        """The oracle's pool labels (the user's and imported): what the label budget counts.
        The model's own labels (auto-label) cost no answer, so they never count."""
        return sum(1 for e in answers.values() if is_train_label(e, items) and not _by_model(e))

    def can_rank(self, answers: dict[int, Event], items: dict[int, Item]) -> bool:
        """Past the seed phase: enough training labels, of two classes or more, to rank."""
        labels = list(self._train_labels(answers, items).values())
        return len(labels) >= self.settings.seed_size and len(set(labels)) >= 2

    def ready(self, answers: dict[int, Event], items: dict[int, Item]) -> bool:
        """A model can be trained: features are in and two classes have training labels."""
        labels = set(self._train_labels(answers, items).values())
        return self.features is not None and len(labels) >= 2

    def due(self) -> bool:
        first = self.ranking is None and not self.pending
        return first or self.labels_since >= self.settings.batch

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
    def snapshot(
        self, answers: dict[int, Event], items: dict[int, Item]
    ) -> tuple[TrainingSnapshot, np.ndarray]:
        """Freeze the training labels and the candidate rows for a worker."""
        classes = [c.id for c in self.store.classes()]
        index = {cid: k for k, cid in enumerate(classes)}
        resolve = self.store.labels()  # merged classes resolved
        pairs = [(i, index[resolve[i]]) for i in self._train_labels(answers, items)
                 if i in resolve and resolve[i] in index and self._vector(i) is not None]  # fmt: skip
        self._requested = self.next_round()
        self._job_keys[self._requested] = self._training_key(pairs, classes)
        X = np.stack([self._vector(i) for i, _ in pairs]).astype(np.float32, copy=False)
        y = np.array([c for _, c in pairs], dtype=np.int64)
        candidates = self._candidate_rows(answers, items)
        self.pending = True
        self.labels_since = 0
        snap = TrainingSnapshot(
            X=X, y=y, n_classes=len(classes), model=self.settings.model,
            random_state=self.settings.random_state,
            warm_start=self.ranking.model if self.ranking is not None else None,
        )  # fmt: skip
        return snap, candidates

    def _candidate_rows(self, answers: dict[int, Event], items: dict[int, Item]) -> np.ndarray:
        """Feature rows of unanswered readable pool files, from masks rather than a 10k loop."""
        if self._file_rows is None:  # readable pool files with features; rebuilt on reload
            self._file_rows = np.sort(np.array(
                [r for i, r in self.row_of.items() if is_candidate(items[i], {})], dtype=np.int64
            ))  # fmt: skip
        answered = [self.row_of[i] for i in answers if i in self.row_of]
        keep = np.ones(len(self.item_of_row), dtype=bool)
        keep[answered] = False
        return self._file_rows[keep[self._file_rows]]

    def _training_key(self, pairs: list[tuple[int, int]], classes: list[int]) -> str:
        """What a model is trained from: the same key means the same model, so no new round."""
        st = self.settings
        what = [sorted(pairs), classes, st.model, st.strategy, st.representation]
        return hashlib.sha256(json.dumps(what).encode()).hexdigest()

    def _same_as_last_round(self, key: str | None, n_labels: int) -> bool:
        """Whether a finished model was trained on what the last recorded round was.

        True after a reopen (the model is rebuilt, never saved) or when only the features
        arrived: recording it would repeat the last point of the learning curve.
        """
        if not self._rounds:
            return False
        saved = self.store.get("round_key")
        if saved is None:  # recorded before keys were kept: the label count tells
            return self._rounds[-1].n_labels == n_labels
        return key == saved

    def apply(self, ranking: Ranking, answers: dict[int, Event], items: dict[int, Item]) -> bool:
        """Swap in a finished job's model; a new round is recorded only if its labels differ."""
        if ranking.round <= self._applied_job:
            return False  # stale: a newer model is already in place
        self.ranking = ranking
        self._applied_job = ranking.round
        self.pending = ranking.round < self._requested
        key = self._job_keys.get(ranking.round)
        self._job_keys = {j: k for j, k in self._job_keys.items() if j > ranking.round}
        record = self._evaluate(ranking, answers, items)
        if self._same_as_last_round(key, record.n_labels):
            return True  # the model of the last round, rebuilt: its record and curve stand
        record = replace(record, round=self.round + 1)
        self.store.add_round(record)
        if key is not None:
            self.store.set("round_key", key)
        self._rounds.append(record)
        self.round = record.round
        self._metrics = _metrics_of(record)
        self._update_stability(ranking)
        return True

    def _evaluate(
        self, ranking: Ranking, answers: dict[int, Event], items: dict[int, Item]
    ) -> RoundRecord:
        classes = [c.id for c in self.store.classes()]
        index = {cid: k for k, cid in enumerate(classes)}
        tests = self.store.labels(split="test")
        # The curve counts the user's labels: the model's own (auto-label, source "model") are
        # trained on but neither counted nor ever taken as a test item's truth.
        rows = [(self.row_of[i], index[c]) for i, c in tests.items()
                if i in self.row_of and c in index and not _by_model(answers.get(i))]  # fmt: skip
        n_labels = sum(not _by_model(answers[i]) for i in self._train_labels(answers, items))
        chosen = ranking.choice.name if ranking.choice is not None else None
        base = dict(round=ranking.round, n_labels=n_labels, n_test=len(rows),
                    fit_seconds=ranking.fit_seconds, strategy=ranking.strategy,
                    representation=chosen)  # fmt: skip
        if not rows:
            return RoundRecord(**base)
        r, y_true = np.array(rows).T
        m = compute_metrics(y_true, ranking.proba[r].argmax(axis=1), len(classes),
                            random_state=self.settings.random_state)  # fmt: skip
        return RoundRecord(
            **base, accuracy=m.accuracy, accuracy_lo=m.accuracy_ci[0],
            accuracy_hi=m.accuracy_ci[1], macro_f1=m.macro_f1, macro_f1_lo=m.macro_f1_ci[0],
            macro_f1_hi=m.macro_f1_ci[1],
        )  # fmt: skip

    def _stop_rows(self) -> np.ndarray:
        n = self.ranking.proba.shape[0]
        rng = np.random.default_rng(self.settings.random_state)
        return np.sort(rng.choice(n, size=min(STOP_SET_SIZE, n), replace=False))

    def _update_stability(self, ranking: Ranking) -> None:
        """Keep the last predictions on a fixed stop set (stabilizing predictions criterion)."""
        pred = ranking.proba[self._stop_rows()].argmax(axis=1)
        # files arriving (a watched folder) redraw the stop set: its history starts again
        same = [p for p in self._stop_history if len(p) == len(pred)]
        self._stop_history = [*same, pred][-(STABLE_ROUNDS + 1) :]
        self.store.set("stop_set_history", [p.tolist() for p in self._stop_history])

    # ----------------------------------------------------------- reading
    def features_text(self) -> str | None:
        """What the applied model was trained on, for "Why this item?" and Progress."""
        if self.ranking is not None and self.ranking.choice is not None:
            return self.ranking.choice.describe()
        if self.layout is None:
            return None
        return "Features: learned from this pool" + (
            "" if PRETRAINED in self.layout.blocks else " (pretrained ones not ready yet)"
        )

    def latest_round(self) -> RoundRecord | None:
        return self._rounds[-1] if self._rounds else None

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
        best, conf = proba.argmax(axis=1), proba.max(axis=1)
        return {i: (classes[best[r]], float(conf[r])) for i, r in self.row_of.items()
                if i not in answers and best[r] < len(classes) and np.isfinite(conf[r])}  # fmt: skip

    def advice(self, answers: dict[int, Event], index: ItemIndex) -> Advice | None:
        st = self.settings
        items = index.items
        config = StoppingConfig(
            label_budget=st.budget, pool_fraction=st.pool_fraction,
            target_accuracy=st.target_accuracy, min_test_items=min(30, max(1, st.test_size)),
            stable_kappa=0.99 if st.stable_predictions else None, stable_rounds=STABLE_ROUNDS,
            max_uncertainty=st.max_uncertainty,
        )  # fmt: skip
        n_pool = index.n_pool_ok
        pool_proba = None
        if self.ranking is not None and st.max_uncertainty is not None:
            rows = [r for i, r in self.row_of.items() if is_candidate(items[i], answers)]
            pool_proba = self.ranking.proba[rows]
        return evaluate_all(
            config, n_labeled=self.n_train_labels(answers, items), n_pool=n_pool,
            metrics=self._metrics, stop_set_history=self._stop_history, pool_proba=pool_proba,
        )  # fmt: skip


def _metrics_of(record: RoundRecord) -> Metrics | None:
    """The test metrics a recorded round holds (what Progress shows), for the stopping advice."""
    if record.accuracy is None:
        return None

    def known(value: float | None, default: float) -> float:
        return default if value is None else value

    acc = record.accuracy
    f1 = known(record.macro_f1, float("nan"))
    acc_ci = (known(record.accuracy_lo, acc), known(record.accuracy_hi, acc))
    f1_ci = (known(record.macro_f1_lo, f1), known(record.macro_f1_hi, f1))
    return Metrics(record.n_test, acc, acc_ci, f1, f1_ci)


def _by_model(event: Event | None) -> bool:
    """A label the model gave (auto-label), not the user."""
    return event is not None and source_of(event) == "model"
