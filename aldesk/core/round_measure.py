"""A round's point of the learning curve: its model measured on the labelled test items."""

from __future__ import annotations

import numpy as np

from aldesk.core.answer_state import AnswerState
from aldesk.core.evaluation import compute_metrics
from aldesk.core.feature_rows import RowMap
from aldesk.core.ranking import Ranking
from aldesk.core.review_rows import source_of
from aldesk.core.store import Event, ProjectStore, RoundRecord


def measure_round(
    ranking: Ranking,
    state: AnswerState,
    store: ProjectStore,
    row_of: RowMap,
    n_labels: int,
    random_state: int,
) -> RoundRecord:
    """The record of ``ranking``'s model trained on ``n_labels`` labels: accuracy and macro-F1
    on every test item labelled now, each with its 95 % interval."""
    classes = [c.id for c in store.classes()]
    index = {cid: k for k, cid in enumerate(classes)}
    resolve = store.class_resolver()
    tests = {i: resolve.get(e.class_id, e.class_id) for i, e in state.test_labels.items()}
    # The curve counts the user's labels: the model's own (auto-label, source "model") are
    # trained on but neither counted nor ever taken as a test item's truth.
    rows = [(row_of[i], index[c]) for i, c in sorted(tests.items())
            if i in row_of and c in index and not _by_model(state.current.get(i))]  # fmt: skip
    chosen = ranking.choice.name if ranking.choice is not None else None
    base = dict(round=ranking.round, n_labels=n_labels, n_test=len(rows),
                fit_seconds=ranking.fit_seconds, strategy=ranking.strategy,
                representation=chosen)  # fmt: skip
    if not rows:
        return RoundRecord(**base)
    r, y_true = np.array(rows).T
    m = compute_metrics(y_true, ranking.proba[r].argmax(axis=1), len(classes),
                        random_state=random_state)  # fmt: skip
    return RoundRecord(
        **base, accuracy=m.accuracy, accuracy_lo=m.accuracy_ci[0],
        accuracy_hi=m.accuracy_ci[1], macro_f1=m.macro_f1, macro_f1_lo=m.macro_f1_ci[0],
        macro_f1_hi=m.macro_f1_ci[1],
    )  # fmt: skip


def _by_model(event: Event | None) -> bool:
    """A label the model gave (auto-label), not the user."""
    return event is not None and source_of(event) == "model"
