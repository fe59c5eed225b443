"""Issue 12, smaller bullet: a class key pressed on an item the viewer could not show records
nothing (status once said "labeled 187 of 183 pool items"); skipping it still works."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from aldesk.core.errors import AldeskError
from aldesk.core.features.types import FeatureSet
from aldesk.core.project import ProjectSettings
from aldesk.core.session import Session
from aldesk.core.store import NewItem, ProjectStore


@pytest.fixture
def session(tmp_path: Path):
    settings = ProjectSettings(batch=5, seed_size=4, test_size=0)
    store = ProjectStore.create(
        tmp_path / "p", pool_root=tmp_path, kind="image", classes=["a", "b"],
        settings=asdict(settings),
    )  # fmt: skip
    store.add_items(NewItem(f"h{i}", f"f{i}.png", "image", 1, i, arrival=i) for i in range(20))
    X = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32)
    s = Session(store, FeatureSet("t-v1", X, [f"h{i}" for i in range(20)]))
    yield s
    store.close()


def test_a_label_on_an_item_the_viewer_flagged_is_refused(session: Session) -> None:
    query = session.current()
    # What the window does when the viewer fails: flag the item, reload the session's items.
    session.store.update_item(query.item.id, status="unreadable", reason="truncated file")
    session.reload_items()
    before = session.status()

    with pytest.raises(AldeskError, match="cannot be labeled: press S"):
        session.answer(session.classes[0].id)

    assert session.store.labels() == {}
    assert session.status().n_labeled == before.n_labeled == 0
    session.skip()  # S still moves on
    assert session.current() is None or session.current().item.id != query.item.id


def test_an_import_does_not_label_items_that_cannot_be_read(session: Session, tmp_path) -> None:
    from aldesk.core.interop import import_labels

    store = session.store
    store.update_item(1, status="unreadable", reason="the audio holds invalid samples")
    src = tmp_path / "labels.csv"
    src.write_text("path,label\nf0.png,a\nf1.png,b\n")

    report = import_labels(store, src)

    assert report.imported == 1 and report.unreadable == ["f0.png"]
    assert list(store.labels()) == [2]
    status = Session(store).status()  # as `aldesk status` reads it
    assert status.n_labeled == 1 <= status.n_pool
