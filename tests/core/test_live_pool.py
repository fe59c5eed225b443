"""Files that arrive while a project is open: the model follows moved rows, the stream decides
new arrivals in order once it can score them, synthesized queries come one in N."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image

from aldesk.core.demo import make_demo_pool
from aldesk.core.features.types import FeatureSet
from aldesk.core.pool_sync import sync_pool
from aldesk.core.project import ProjectSettings, compute_features, create_project
from aldesk.core.ranking import Ranking
from aldesk.core.ranking_rows import remap_ranking
from aldesk.core.rounds import run_round
from aldesk.core.session import Session
from aldesk.core.store import Item, NewItem
from aldesk.core.synth_flow import record_sources, sources_of, synth_due
from aldesk.core.watch import folders_to_watch


class _Model:
    """Scores a row by its first column (p(class 0) = x0)."""

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = np.clip(X[:, :1], 0, 1)
        return np.hstack([p, 1 - p]).astype(np.float32)


def _ranking(proba: np.ndarray, order: list[int]) -> Ranking:
    return Ranking(1, np.array(order), np.linspace(1, 0, len(order)), proba, "margin", 0, 0,
                   _Model())  # fmt: skip


def test_remap_keeps_known_items_and_scores_new_rows_with_the_same_model() -> None:
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], dtype=np.float32)
    old_items = np.array([10, 11, 12])
    # item 11 is gone, 13 arrived; rows moved
    new_items = np.array([12, 10, 13])
    X = np.array([[0.0, 0], [0.0, 0], [0.3, 0]], dtype=np.float32)
    out = remap_ranking(_ranking(proba, [2, 1, 0]), old_items, new_items, X, old_width=2)
    np.testing.assert_allclose(out.proba[0], proba[2])  # item 12
    np.testing.assert_allclose(out.proba[1], proba[0])  # item 10
    np.testing.assert_allclose(out.proba[2], [0.3, 0.7])  # item 13, scored by the model
    assert [new_items[r] for r in out.order] == [12, 10]  # 11 left the order
    # another representation (width): the new item has no view until the retrain
    wide = np.zeros((3, 5), dtype=np.float32)
    out = remap_ranking(_ranking(proba, [0]), old_items, new_items, wide, old_width=2)
    assert np.isnan(out.proba[2]).all() and not np.isnan(out.proba[:2]).any()


def test_synth_due_asks_one_in_n() -> None:
    items = {i: Item(i, f"h{i}", f"{i}.png", "image", 1, 0, "ok", None, "pool",
                     "synth" if i == 9 else "file", i) for i in range(10)}  # fmt: skip
    assert synth_due([0, 1, 2, 3], items, every=5)
    assert not synth_due([0, 1, 2], items, every=5)  # the first items are the user's own
    assert not synth_due([0, 1, 9, 2, 3], items, every=5)  # a blend among the last four
    assert synth_due([9, 0, 1, 2, 3], items, every=5)
    assert synth_due([9], items, every=1)


def test_folders_to_watch_skips_hidden_and_project_folders(tmp_path) -> None:
    for name in ("a/b", ".hidden/x", "p.aldesk/features", "c"):
        (tmp_path / name).mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "c")
    found = [Path(f).relative_to(tmp_path).as_posix() for f in folders_to_watch(tmp_path)]
    assert found == [".", "a", "c", "a/b"]
    assert folders_to_watch(tmp_path / "gone") == []


def _stream_project(tmp_path: Path, threshold: float):
    pool, labels = tmp_path / "pool", tmp_path / "labels.csv"
    make_demo_pool("images", pool, labels_out=labels, per_class=3)
    with labels.open() as f:
        truth = {r["path"]: r["label"] for r in csv.DictReader(f)}
    settings = ProjectSettings(scenario="stream", stream_threshold=threshold, seed_size=4,
                               test_size=0, batch=50, representation="pool")  # fmt: skip
    store, _ = create_project(tmp_path / "p.aldesk", pool, [str(d) for d in range(10)], settings)
    return store, truth, pool


def _new_image(pool: Path, source: str, name: str) -> None:
    """New content (not a copy of a known file), so the scan sees a new item."""
    with Image.open(pool / source) as img:
        pixels = np.array(img.convert("L"))
    pixels[0, 0] = (int(pixels[0, 0]) + 97) % 256
    Image.fromarray(pixels).save(pool / name)


def _label_everything(session: Session, store, truth) -> None:
    ids = {c.name: c.id for c in store.classes()}
    while (q := session.current()) is not None:
        session.answer(ids[truth[q.item.relpath]])
        job = session.training_job()
        if job is not None:
            session.apply_result(run_round(job))


def test_an_arrival_is_decided_once_scored_never_asked_blind(tmp_path) -> None:
    store, truth, pool = _stream_project(tmp_path, threshold=1.01)  # every scored one queried
    session = Session(store, compute_features(store).features)
    _label_everything(session, store, truth)
    assert session.model.ranking is not None and session.current() is None
    _new_image(pool, sorted(truth)[0], "zz_new.png")
    result = sync_pool(store)
    assert [e.relpath for e in result.new] == ["zz_new.png"]
    session.reload_items()
    assert session.current() is None  # its features are not read yet: not asked as 'seed'
    session.set_features(compute_features(store).features)
    query = session.current()
    assert query.item.relpath == "zz_new.png" and query.strategy == "stream"
    assert query.proba is not None  # the model in memory scored it
    summary = session.stream_summary()
    assert summary.queried == summary.seen - summary.discarded
    assert summary.waiting == 0 and summary.threshold == 1.01
    # a retrain on the grown pool: the stopping advice compares predictions of one stop set
    session.apply_result(run_round(session.training_job(force=True)))
    assert session.status().round == 2
    store.close()


def test_a_sure_arrival_is_discarded_and_counted(tmp_path) -> None:
    store, truth, pool = _stream_project(tmp_path, threshold=0.0)  # every scored one discarded
    session = Session(store, compute_features(store).features)
    _label_everything(session, store, truth)
    before = session.stream_summary()
    _new_image(pool, sorted(truth)[1], "zz_sure.png")
    sync_pool(store)
    session.reload_items()
    session.set_features(compute_features(store).features)
    assert session.current() is None
    after = session.stream_summary()
    assert (after.seen, after.discarded) == (before.seen + 1, before.discarded + 1)
    new_id = next(it.id for it in store.items() if it.relpath == "zz_sure.png")
    assert store.answers()[new_id].action == "discard"
    store.close()


def test_sources_of_a_blend_are_kept(tmp_path) -> None:
    store, _truth, _pool = _stream_project(tmp_path, threshold=0.5)
    items = {it.id: it for it in store.items()}
    a, b = sorted(items)[:2]
    record_sources(store, 99, [a, b], 0.3)
    sources = sources_of(store, 99, items)
    assert (sources.first.id, sources.second.id, sources.shares()) == (a, b, (70, 30))
    assert sources_of(store, 98, items) is None
    store.close()


def test_feature_rows_moving_keep_the_ranking_on_its_items(tmp_path) -> None:
    store, truth, pool = _stream_project(tmp_path, threshold=0.5)
    features = compute_features(store).features
    session = Session(store, features)
    ids = {c.name: c.id for c in store.classes()}
    for _ in range(8):
        q = session.current()
        session.answer(ids[truth[q.item.relpath]])
    session.apply_result(run_round(session.training_job(force=True)))
    before = session.predictions()
    # the same items, rows in reverse order (as after a rescan that removed and added files)
    order = list(range(len(features)))[::-1]
    shuffled = FeatureSet(features.extractor_id, features.X[order],
                          [features.hashes[r] for r in order])  # fmt: skip
    session.set_features(shuffled)
    assert session.predictions() == before
    store.close()


def test_a_pending_blend_is_asked_one_in_n(tmp_path) -> None:
    store, truth, _pool = _stream_project(tmp_path, threshold=0.5)
    store.set_many({"scenario": "synthesis", "synthesis_every": 3})
    session = Session(store, compute_features(store).features)
    (blend,) = store.add_items([NewItem("b" * 64, "blend.png", "image", 1, 0, origin="synth")])
    session.reload_items()
    ids = {c.name: c.id for c in store.classes()}
    while not session.model.can_rank(session.state):  # no blend before the seed set's labels
        q = session.current()
        assert q.item.origin == "file"
        session.answer(ids[truth[q.item.relpath]])
    asked = []
    for _ in range(3):
        q = session.current()
        asked.append(q.item.origin)
        if q.item.origin == "synth":
            session.cannot_label()
        else:
            session.answer(ids[truth[q.item.relpath]])
    assert asked.count("synth") == 1  # one in three asked is the blend
    assert store.answers()[blend].action == "cannot_label"
    store.close()


def test_one_in_n_is_a_project_setting_that_can_change(tmp_path) -> None:
    from aldesk.core.settings_changes import change_settings

    store, _truth, _pool = _stream_project(tmp_path, threshold=0.5)
    change = change_settings(store, {"synthesis_every": 8}, n_labels=0)
    assert change.summary() == "synthesized queries one in 5 → 8"
    assert ProjectSettings.from_store(store).synthesis_every == 8
    store.close()


def test_the_stop_set_keeps_its_items_and_history_as_rows_move_and_the_pool_grows(tmp_path):
    """The stop set was drawn by row: a pool that grew (new files, blends given features)
    redrew it and its history started again ("the last two models agree" became "a second
    model is needed" on reopening an audio synthesis project); rows moved by a rescan were
    compared as if they were the same items."""
    pool, labels = tmp_path / "pool", tmp_path / "labels.csv"
    make_demo_pool("images", pool, labels_out=labels, per_class=4)
    with labels.open() as f:
        truth = {r["path"]: r["label"] for r in csv.DictReader(f)}
    settings = ProjectSettings(seed_size=4, test_size=0, batch=3, representation="pool")
    store, _ = create_project(tmp_path / "p.aldesk", pool, [str(d) for d in range(10)], settings)
    features = compute_features(store).features
    session = Session(store, features)
    ids = {c.name: c.id for c in store.classes()}

    def round_after(n: int) -> None:
        for _ in range(n):
            q = session.current()
            session.answer(ids[truth[q.item.relpath]])
        assert session.apply_result(run_round(session.training_job(force=True)))

    round_after(6)
    stop = store.get("stop_set_items")
    round_after(3)
    order = list(range(len(features)))[::-1]  # the same items, rows reversed (a rescan)
    session.set_features(FeatureSet(features.extractor_id, features.X[order],
                                    [features.hashes[r] for r in order]))  # fmt: skip
    round_after(3)
    assert store.get("stop_set_items") == stop and len(store.get("stop_set_history")) == 3
    (new,) = store.add_items([NewItem("e" * 64, "new.png", "image", 1, 0)])  # the pool grows
    session.reload_items()
    grown = FeatureSet(features.extractor_id, np.vstack([features.X, features.X[:1]]),
                       [*features.hashes, "e" * 64])  # fmt: skip
    session.set_features(grown)
    round_after(3)
    assert store.get("stop_set_items") == stop  # the same items: the history goes on
    assert len(store.get("stop_set_history")) == 4
    store.close()
