"""Carry an applied ranking over to a new feature matrix (a rescan added or removed rows).

A ranking's ``proba`` and ``order`` are indexed by the rows of the matrix it was computed on.
When features are re-read mid-session (the watched pool folder changed), rows move: without this
the model in memory would describe item A with item B's row until the next retrain lands.
Known items keep their probabilities; new items are scored by the same model when the matrix has
the same columns, otherwise their row is NaN ("no view yet") until the retrain.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from aldesk.core.ranking import Ranking


def remap_ranking(
    ranking: Ranking,
    old_item_of_row: np.ndarray,
    new_item_of_row: np.ndarray,
    new_X: np.ndarray,
    old_width: int | None,
) -> Ranking:
    """``ranking`` re-indexed on the rows of ``new_X``.

    Args:
        ranking: The applied ranking, computed on the old matrix.
        old_item_of_row: Item id of each old row (-1: no item).
        new_item_of_row: Item id of each row of ``new_X`` (-1: no item).
        new_X: The new feature matrix.
        old_width: Columns of the old matrix; new rows are scored only when ``new_X`` has as
            many (the same representation), so the model sees what it was trained on.

    Returns:
        A ranking whose ``proba`` has one row per row of ``new_X`` (NaN where the model has no
        view of the item yet) and whose ``order`` lists new rows of items still present.
    """
    new_item_of_row = np.asarray(new_item_of_row, dtype=np.int64)
    old_rows = _rows_by_item(old_item_of_row, new_item_of_row)  # old row of each new row
    n_classes = ranking.proba.shape[1]
    proba = np.full((len(new_item_of_row), n_classes), np.nan, dtype=np.float32)
    known = (old_rows >= 0) & (old_rows < len(ranking.proba))
    proba[known] = ranking.proba[old_rows[known]]
    unscored = np.flatnonzero(~known & (new_item_of_row >= 0))
    if len(unscored) and ranking.model is not None and old_width == new_X.shape[1]:
        proba[unscored] = ranking.model.predict_proba(new_X[unscored])
    # the order's rows, as rows of the new matrix (items gone from it are dropped)
    order_items = np.asarray(old_item_of_row, dtype=np.int64)[np.asarray(ranking.order)]
    new_rows = _rows_by_item(new_item_of_row, order_items)
    keep = new_rows >= 0
    order, scores = new_rows[keep], np.asarray(ranking.scores)[keep]
    return dataclasses.replace(
        ranking,
        proba=proba,
        order=order.astype(np.intp),
        scores=scores,
    )


def _rows_by_item(item_of_row: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """For each item id in ``wanted``, its row in ``item_of_row`` (-1: none, or no item)."""
    item_of_row = np.asarray(item_of_row, dtype=np.int64)
    top = int(max(item_of_row.max(initial=-1), wanted.max(initial=-1))) + 1
    lookup = np.full(top + 1, -1, dtype=np.int64)
    present = item_of_row >= 0
    lookup[item_of_row[present]] = np.flatnonzero(present)
    out = np.full(len(wanted), -1, dtype=np.int64)
    ok = wanted >= 0
    out[ok] = lookup[wanted[ok]]
    return out


def scored(row: np.ndarray) -> bool:
    """Whether a probability row holds the model's view (not NaN: no view yet)."""
    return bool(np.isfinite(row).all())
