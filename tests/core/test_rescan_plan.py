"""A rescan made off the store's thread (issue 13): the worker returns only what to write, an
unchanged pool is recognised without a record per item, and applying the plan leaves the store
exactly as a rescan on the store's thread does."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from pool_files import set_mtime, write_png

from aldesk.core import pool_sync
from aldesk.core.pool_walk import same_files
from aldesk.core.store import ProjectStore


@pytest.fixture
def store(images: Path, tmp_path: Path):
    s = ProjectStore.create(tmp_path / "proj", pool_root=images, kind="image", classes=["x", "y"])
    pool_sync.sync_pool(s)
    yield s
    s.close()


def _items(store: ProjectStore) -> list[tuple]:
    return [dataclasses.astuple(it) for it in store.items()]


def test_an_unchanged_pool_gives_an_empty_plan_without_reading_the_items(store, monkeypatch):
    def no_records(conn):
        raise AssertionError("the items were read one record each")

    monkeypatch.setattr(pool_sync, "read_items", no_records)
    rescan = pool_sync.rescan_plan(store.db_file, store.pool_root, store.kind)
    assert rescan.plan.empty and (rescan.new, rescan.missing, rescan.moved) == (0, 0, 0)


def test_applying_the_plan_equals_a_rescan_on_the_store_thread(images, store, tmp_path):
    twin_pool = tmp_path / "twin"
    shutil.copytree(images, twin_pool)
    twin = ProjectStore.create(tmp_path / "twin", pool_root=twin_pool, kind="image",
                               classes=["x", "y"])  # fmt: skip
    pool_sync.sync_pool(twin)
    for root in (images, twin_pool):  # the same history in both pools
        (root / "a.png").rename(root / "sub" / "a-moved.png")
        (root / "b.png").unlink()
        write_png(root / "new.png", 99)
        shutil.copy(root / "sub" / "deeper" / "c.png", root / "c-copy.png")
        for name in ("new.png", "c-copy.png"):
            set_mtime(root / name, 1_700_000_000)

    rescan = pool_sync.rescan_plan(store.db_file, store.pool_root, store.kind)
    assert not rescan.plan.empty
    assert (rescan.new, rescan.missing, rescan.moved) == (1, 1, 1)
    pool_sync.apply_plan(store, rescan.plan)
    pool_sync.sync_pool(twin)

    assert _items(store) == _items(twin)
    assert store.all_item_paths() == twin.all_item_paths()
    again = pool_sync.rescan_plan(store.db_file, store.pool_root, store.kind)
    assert again.plan.empty  # duplicates decided by a full scan: still nothing to write
    # b.png went missing once: "Pool rescanned: 1 missing" was said again at every open
    assert (again.new, again.missing, again.moved, again.changed) == (0, 0, 0, 0)
    twin.close()


def test_a_touched_file_is_not_taken_as_unchanged(images, store):
    write_png(images / "a.png", 11)  # same path, new content and mtime
    rescan = pool_sync.rescan_plan(store.db_file, store.pool_root, store.kind)
    assert rescan.changed == 1 and len(rescan.plan.new) == 1
    assert rescan.missing == 0  # one file replaced: "1 missing, 1 changed" counted it twice


def _stats(root: Path) -> dict[str, tuple[int, int]]:
    paths = sorted(p for p in root.rglob("*.png"))
    return {p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns) for p in paths}


def test_the_files_are_compared_one_by_one_as_the_walk_finds_them(images):
    # No set of every file is built: each file found is checked against, and taken out of,
    # what the store knows; anything left over or unknown makes the pool changed.
    known = _stats(images)
    assert same_files(images, "image", known) and known == {}
    assert same_files(images, "audio", {})  # no audio files, none known
    fewer = _stats(images)
    del fewer["b.png"]
    assert not same_files(images, "image", fewer)  # a file the store does not know
    more = {**_stats(images), "gone.png": (1, 1)}
    assert not same_files(images, "image", more)  # a file the store knows is not there
    older = {**_stats(images), "a.png": (_stats(images)["a.png"][0], 5)}
    assert not same_files(images, "image", older)  # touched since


def test_two_items_at_one_path_are_left_to_a_full_scan(store):
    with store._conn:  # a store no scan would leave: two ok items claim the same file
        store._conn.execute(
            "INSERT INTO items (hash, relpath, kind, size, mtime_ns, status, origin) "
            "SELECT hash || 'x', relpath, kind, size, mtime_ns, status, origin FROM items "
            "WHERE relpath = 'a.png'"
        )
    rescan = pool_sync.rescan_plan(store.db_file, store.pool_root, store.kind)
    assert not rescan.plan.empty  # a full scan ran: one of the two has no file of its own
