"""The session tests' pool: hand-made features on a real store, and answering helpers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.datasets import make_classification

from aldesk.core.features.types import FeatureSet
from aldesk.core.project import ProjectSettings
from aldesk.core.rounds import run_round
from aldesk.core.session import Session
from aldesk.core.store import NewItem, ProjectStore

N_ITEMS = 300


def make_data() -> tuple[np.ndarray, np.ndarray]:
    """A 3-class pool of N_ITEMS items, 20 features (the ``data`` fixture of the tests)."""
    X, y = make_classification(
        n_samples=N_ITEMS, n_features=20, n_informative=8, n_classes=3, random_state=0
    )
    return X.astype(np.float32), y


def make_project(tmp_path: Path, y: np.ndarray, **settings) -> ProjectStore:
    s = ProjectSettings(**{"batch": 5, "seed_size": 6, "test_size": 0, **settings})
    from dataclasses import asdict

    store = ProjectStore.create(
        tmp_path / "p", pool_root=tmp_path, kind="image", classes=["a", "b", "c"],
        settings=asdict(s),
    )  # fmt: skip
    store.add_items(
        NewItem(f"h{i:04d}", f"f{i:04d}.png", "image", 1, i, arrival=i) for i in range(len(y))
    )
    return store


def features_of(X: np.ndarray) -> FeatureSet:
    return FeatureSet("test-v1", X, [f"h{i:04d}" for i in range(len(X))])


def truth(session: Session, y: np.ndarray, item_id: int) -> int:
    classes = [c.id for c in session.classes]
    return classes[y[item_id - 1]]  # item ids are 1-based in insertion order


def label(session: Session, y: np.ndarray, n: int, train: bool = True) -> list[str]:
    strategies = []
    for _ in range(n):
        q = session.current()
        strategies.append(q.strategy)
        session.answer(truth(session, y, q.item.id))
        job = session.training_job() if train else None
        if job is not None:
            assert session.apply_result(run_round(job))
    return strategies


def asked(session: Session, y: np.ndarray, n: int) -> list[bool]:
    """Answer ``n`` items with their true class (no retrain); whether each was a test item."""
    asked = []
    for _ in range(n):
        q = session.current()
        asked.append(q.is_test)
        session.answer(truth(session, y, q.item.id))
    return asked
