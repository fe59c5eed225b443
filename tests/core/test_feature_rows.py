"""Features arriving cost the GUI thread no walk of the items (issue 13): which row is whose, the
candidate rows and the seed set's feature rows are built by functions a worker runs; the thread
that owns the session only swaps the result in."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from aldesk.core.features.types import FeatureSet
from aldesk.core.item_columns import ItemColumns
from aldesk.core.project import ProjectSettings
from aldesk.core.session import Session
from aldesk.core.store import NewItem, ProjectStore

N = 40


def _session(tmp_path: Path) -> Session:
    settings = ProjectSettings(batch=5, seed_size=6, test_size=0)
    store = ProjectStore.create(
        tmp_path / "p", pool_root=tmp_path, kind="image", classes=["a", "b"],
        settings=asdict(settings),
    )  # fmt: skip
    store.add_items(NewItem(f"h{i:03d}", f"f{i:03d}.png", "image", 1, i) for i in range(N))
    session = Session(store)
    session.queue.inline_seed = False  # as the GUI does: the seed is drawn on a worker
    return session


def _features(n: int = N, reverse: bool = True) -> FeatureSet:
    """Features of ``n`` items, rows in another order than the items (and one unknown hash)."""
    order = range(n - 1, -1, -1) if reverse else range(n)
    hashes = [f"h{i:03d}" for i in order] + ["not-an-item"]
    X = np.arange((n + 1) * 3, dtype=np.float32).reshape(n + 1, 3)
    return FeatureSet("test-v1", X, hashes)


@pytest.fixture
def walks(monkeypatch) -> list[int]:
    """Counts the items whose candidacy is decided (``ItemColumns.arrivals_mask``, which the
    model and the queue call on whole id arrays) and the item records read one by one."""
    calls: list[int] = []
    real_mask, real_get = ItemColumns.arrivals_mask, ItemColumns.__getitem__

    def counted_mask(self, ids):
        calls.extend(np.asarray(ids).tolist())
        return real_mask(self, ids)

    def counted_get(self, item_id):
        calls.append(item_id)
        return real_get(self, item_id)

    monkeypatch.setattr(ItemColumns, "arrivals_mask", counted_mask)
    monkeypatch.setattr(ItemColumns, "__getitem__", counted_get)
    return calls


def _inline_rows(features: FeatureSet, session: Session) -> dict[int, int]:
    by_hash = {it.hash: it.id for it in session.store.items()}
    return {by_hash[h]: r for r, h in enumerate(features.hashes) if h in by_hash}


def test_rows_built_by_the_worker_function_are_swapped_in_without_a_walk(tmp_path, walks):
    session = _session(tmp_path)
    features = _features()
    rows = session.rows_job()(features)  # what the worker runs
    walks.clear()
    session.set_features(features, None, rows)
    assert walks == []  # the owning thread touched no item
    assert session.model.row_of == _inline_rows(features, session)
    assert session.model.item_of_row[-1] == -1  # the unknown hash has no item
    candidates = session.model._candidate_rows(session.state)
    assert walks == []  # the candidate rows came built with the rows
    assert sorted(session.model.item_of_row[candidates]) == sorted(session.state.items)


def test_rows_built_before_the_items_changed_are_rebuilt(tmp_path):
    session = _session(tmp_path)
    features = _features()
    rows = session.rows_job()(features)  # taken while item 1 was readable
    session.store.update_item(1, status="unreadable", reason="broken")
    session.reload_items()
    session.set_features(features, None, rows)
    candidates = session.model.item_of_row[session.model._candidate_rows(session.state)]
    assert 1 not in candidates  # the stale rows would still offer the flagged file
    assert len(candidates) == N - 1
    assert session.model.row_of == _inline_rows(features, session)


def test_set_features_without_rows_still_maps_every_item(tmp_path):
    session = _session(tmp_path)  # the simulator and the CLI: no worker, same result
    features = _features()
    session.set_features(features)
    assert session.model.row_of == _inline_rows(features, session)


def test_the_seed_rows_are_gathered_by_the_job_not_when_it_is_asked_for(tmp_path, walks):
    session = _session(tmp_path)
    features = _features()
    session.set_features(features, None, session.rows_job()(features))
    walks.clear()
    gather = session.seed_job()
    assert walks == []  # asking for the job walks no item and copies no feature row
    ids, X, k, method, _seed = gather()  # on the worker
    assert sorted(walks) == list(range(1, N + 1))  # every item with a row, decided once
    assert ids == sorted(session.state.items)
    row_of = session.model.row_of
    np.testing.assert_array_equal(X, features.X[[row_of[i] for i in ids]])
    assert (k, method) == (6, session.settings.seed_method)


def test_the_inline_seed_draws_from_the_gathered_rows(tmp_path):
    session = _session(tmp_path)
    session.queue.inline_seed = True  # the simulator and the CLI draw it in place
    session.set_features(_features())
    q = session.current()
    assert q.strategy == "seed"
    assert q.item.id in session.store.get("seed_queue")


def test_rows_of_a_large_pool_are_mapped_in_a_shuffled_order():
    from aldesk.core.feature_rows import feature_rows

    n = 20_000
    ids = np.arange(1, n + 1, dtype=np.int64)
    items = ItemColumns(ids, np.ones(n, bool), np.zeros(n), np.zeros(n), np.full(n, -1))
    hashes = [(int(i), f"h{i}") for i in ids]
    order = np.random.default_rng(0).permutation(n)
    features = FeatureSet("test-v1", np.zeros((n, 1), np.float32), [f"h{i + 1}" for i in order])
    rows = feature_rows(features, hashes, items, epoch=0)
    assert rows.row_of == {int(i) + 1: r for r, i in enumerate(order)}
    assert len(rows.file_rows) == n


def test_the_row_map_answers_as_the_dict_of_its_pairs():
    """``row_of`` is an array read as a mapping (a dict of 100k ints was 11 MB): every question
    the session and the review window ask gets the dict's answer."""
    from aldesk.core.feature_rows import RowMap

    by_item = np.array([-1, 4, -1, 0, 7, -1, 2], dtype=np.int64)
    rows, same = RowMap(by_item), {1: 4, 3: 0, 4: 7, 6: 2}
    assert rows == same and same == rows and len(rows) == 4
    assert list(rows) == list(same) and dict(rows.items()) == same
    assert rows.values() == list(same.values())
    for key in (-1, 0, 1, 2, 3, 6, 7, 99, np.int64(4), "4", None, 1.5):
        assert (key in rows) == (key in same), key
        assert rows.get(key, "none") == same.get(key, "none"), key
    assert rows[np.int64(3)] == 0 and isinstance(rows[3], int)
    with pytest.raises(KeyError):
        rows[2]
    np.testing.assert_array_equal(rows.ids(), [1, 3, 4, 6])
    np.testing.assert_array_equal(rows.rows(), [4, 0, 7, 2])
    assert RowMap() == {} and len(RowMap()) == 0
