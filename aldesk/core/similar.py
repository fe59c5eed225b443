"""More like this: the unlabeled pool items nearest to one item, in the space the model sees.

A class the seed set missed (a rare defect, one animal in a thousand pictures) has no label, so
the model can never rank an item as likely to be of it; when the user meets one, asking for the
items most like it is how the class gets its first labels. Similarity is the cosine of the
standardized, weighted feature rows (the columns and block weights of the representation the
model uses), with each column's moments taken over the whole pool. The rows are read a block
at a time, so a 100k pool of 2,432 columns is never copied whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from aldesk.core.standardise import column_moments, row_blocks, safe_scale

if TYPE_CHECKING:
    from aldesk.core.session import Session

COUNT = 10  # items served per request: enough to find a few of a rare class, few enough to end


@dataclass(frozen=True, eq=False)
class SimilarRequest:
    """What a worker needs to find the items most like ``item_id``.

    Attributes:
        item_id: The item the user asked about.
        query_row: Its row of ``X``.
        ids: Candidate item ids: unanswered readable pool files, not ``item_id``.
        rows: Their rows of ``X``.
        X: The project's feature matrix (read, never changed).
        weights: Per-column weights of the model's representation (0: unused); None: every
            column, unweighted.
    """

    item_id: int
    query_row: int
    ids: np.ndarray
    rows: np.ndarray
    X: np.ndarray
    weights: np.ndarray | None = None


def request_for(session: Session, item_id: int) -> SimilarRequest | str:
    """The request for items like ``item_id``, or why there can be none (a line for the user).

    Cheap enough for the GUI thread (id and row arrays; the feature matrix is shared, not
    copied); :func:`nearest` does the work.
    """
    if session.settings.scenario == "stream":
        return "A stream asks its items in the order they arrive: More like this works in pool projects."
    model = session.model
    if session.features is None or item_id not in model.row_of:
        return "This item has no features yet: More like this works once they are extracted."
    ids, rows = model.row_of.ids(), model.row_of.rows()
    answered = np.fromiter(session.state.current.keys(), dtype=np.int64)
    keep = session.index.items.arrivals_mask(ids) & ~np.isin(ids, answered) & (ids != item_id)
    if not keep.any():
        return "Every other readable pool item is answered: there is nothing like it left to ask."
    return SimilarRequest(int(item_id), int(model.row_of[item_id]), ids[keep],
                          rows[keep].astype(np.intp), session.features.X, _weights(model))  # fmt: skip


def _weights(model) -> np.ndarray | None:
    """The columns of the latest round's representation; before any round, both blocks."""
    layout = model.layout
    if layout is None:
        return None
    ranking = model.ranking
    name = ranking.choice.name if ranking is not None and ranking.choice is not None else "both"
    return layout.weights(layout.resolve(name))


def nearest(request: SimilarRequest, count: int = COUNT) -> list[tuple[int, float]]:
    """The ``count`` candidates most like the request's item, most similar first, as
    (item id, cosine similarity) pairs."""
    if len(request.ids) == 0:
        return []
    columns, w = _columns(request.weights, request.X.shape[1])
    mean, var = column_moments(request.X, columns)
    scale = (safe_scale(var) / w).astype(np.float32)
    mean32 = mean.astype(np.float32)
    q = _standardised(request.X[[request.query_row]], columns, mean32, scale)[0]
    q /= max(float(np.linalg.norm(q)), 1e-12)
    sims = np.empty(len(request.rows), dtype=np.float32)
    for block in row_blocks(len(request.rows)):
        Z = _standardised(request.X[request.rows[block]], columns, mean32, scale)
        norms = np.maximum(np.linalg.norm(Z, axis=1), 1e-12)
        sims[block] = (Z @ q) / norms
    take = min(count, len(sims))
    top = np.argpartition(-sims, take - 1)[:take]
    top = top[np.lexsort((request.ids[top], -sims[top]))]  # ties: the lower id first
    return [(int(request.ids[i]), float(sims[i])) for i in top]


def _columns(weights: np.ndarray | None, d: int) -> tuple[np.ndarray | None, np.ndarray]:
    """The used columns (None: all) and their weights."""
    if weights is None:
        return None, np.ones(d, dtype=np.float64)
    cols = np.flatnonzero(np.asarray(weights) > 0)
    return cols, np.asarray(weights, dtype=np.float64)[cols]


def _standardised(rows: np.ndarray, columns, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    if columns is not None:
        rows = rows[:, columns]
    return (rows.astype(np.float32) - mean) / scale
