"""More like this: the nearest unanswered pool items, served next and kept across a reopen."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from aldesk.core.features.types import FeatureSet
from aldesk.core.project import ProjectSettings
from aldesk.core.rounds import run_round
from aldesk.core.session import Session
from aldesk.core.similar import COUNT, SimilarRequest, nearest, request_for
from aldesk.core.store import NewItem, ProjectStore

N = 120
RARE = range(100, 112)  # twelve items of a tight cluster far from the rest (a rare class)


def _features() -> np.ndarray:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, 8)).astype(np.float32)
    X[list(RARE)] = rng.normal(size=(len(RARE), 8)).astype(np.float32) * 0.1 + 6.0
    return X


def _project(tmp_path: Path, **settings) -> Session:
    s = ProjectSettings(**{"batch": 5, "seed_size": 6, "test_size": 0, **settings})
    store = ProjectStore.create(tmp_path / "p", pool_root=tmp_path, kind="image",
                                classes=["a", "b"], settings=asdict(s))  # fmt: skip
    store.add_items(
        NewItem(f"h{i:04d}", f"f{i:04d}.png", "image", 1, i, arrival=i) for i in range(N)
    )
    return _session(store)


def _session(store: ProjectStore) -> Session:
    X = _features()
    return Session(store, FeatureSet("test-v1", X, [f"h{i:04d}" for i in range(N)]))


def _item(row: int) -> int:
    return row + 1  # item ids are 1-based in insertion order


def test_nearest_finds_the_cluster_most_similar_first():
    X = _features()
    rows = np.array([r for r in range(N) if r != 100])
    request = SimilarRequest(1000, 100, rows + 1000, rows, X)
    found = nearest(request, count=5)
    assert [i - 1000 for i, _ in found] == sorted(
        (r for r in RARE if r != 100), key=lambda r: -_cosine(X, 100, r)
    )[:5]
    sims = [s for _, s in found]
    assert sims == sorted(sims, reverse=True) and sims[0] > 0.9


def _cosine(X: np.ndarray, a: int, b: int) -> float:
    Z = (X - X.mean(0)) / X.std(0)
    return float(Z[a] @ Z[b] / np.linalg.norm(Z[a]) / np.linalg.norm(Z[b]))


def test_unused_columns_do_not_count():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 4)).astype(np.float32)
    X[7, :2] = X[3, :2]  # like item 3 in the used columns only
    X[9, 2:] = X[3, 2:] * 50  # like item 3 in the unused columns only
    rows = np.array([r for r in range(50) if r != 3])
    weights = np.array([1.0, 1.0, 0.0, 0.0])
    found = nearest(SimilarRequest(3, 3, rows, rows, X, weights), count=1)
    assert found[0][0] == 7 and found[0][1] == pytest.approx(1.0, abs=1e-5)


def test_request_leaves_out_answered_test_and_the_item_itself(tmp_path):
    session = _project(tmp_path)
    for _ in range(3):
        session.answer(session.classes[0].id)
    answered = set(session.state.current)
    request = request_for(session, _item(100))
    assert isinstance(request, SimilarRequest)
    ids = set(request.ids.tolist())
    assert _item(100) not in ids and not ids & answered and len(ids) == N - 1 - len(answered)


def test_similar_items_come_next_then_the_strategy(tmp_path):
    session = _project(tmp_path)
    on_screen = session.current().item.id
    picks = nearest(request_for(session, _item(100)))
    assert len(picks) == COUNT and {i for i, _ in picks} <= {_item(r) for r in RARE}
    session.queue.set_similar(_item(100), picks)
    assert session.current().item.id == on_screen  # the item on screen stays until answered
    served = []
    for _ in range(COUNT + 1):
        session.answer(session.classes[1].id)
        q = session.current()
        served.append((q.item.id, q.strategy))
    assert served[:COUNT] == [(i, "similar") for i, _ in picks]
    assert served[COUNT][1] != "similar"


def test_similar_queue_survives_a_reopen_and_skips_answered(tmp_path):
    session = _project(tmp_path)
    assert session.current().strategy == "seed"
    picks = nearest(request_for(session, _item(100)))
    session.queue.set_similar(_item(100), picks)
    session.answer(session.classes[0].id)  # the item on screen
    session.answer(session.classes[1].id)  # the first similar item
    store = session.store
    store.close()
    reopened = _session(ProjectStore.open(tmp_path / "p"))
    assert reopened.current().item.id == picks[1][0]
    assert reopened.queue.similar_left(reopened.state.current) == [i for i, _ in picks[1:]]
    reopened.queue.clear_similar()
    reopened.answer(reopened.classes[1].id)
    assert reopened.current().strategy != "similar"


def test_a_stream_has_no_similar_requests(tmp_path):
    session = _project(tmp_path, scenario="stream")
    assert "stream" in request_for(session, _item(100))


def test_after_a_round_the_models_columns_are_used(tmp_path):
    session = _project(tmp_path)
    for k in range(12):
        session.answer(session.classes[k % 2].id)
        job = session.training_job()
        if job is not None:
            session.apply_result(run_round(job))
    request = request_for(session, _item(100))
    assert request.weights is not None and len(request.weights) == 8


def test_similar_items_come_before_a_due_test_item(tmp_path):
    store = _project(tmp_path).store
    store.set_split([_item(r) for r in range(20)], "test")
    session = _session(store)
    session.current()
    picks = nearest(request_for(session, _item(100)))
    session.queue.set_similar(_item(100), picks)
    strategies = []
    for _ in range(COUNT + 1):
        session.answer(session.classes[0].id)
        strategies.append(session.current().strategy)
    assert strategies[:COUNT] == ["similar"] * COUNT  # tests are due after every 5 answers
    assert strategies[COUNT] == "test"  # the test items then catch up
