"""Moving a project's pool folder never damages it (issue 11, section 3): relocating rebases
every item path, and a rescan re-checks items marked missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aldesk.core import pool_sync
from aldesk.core.errors import PoolMissing
from aldesk.core.store import ProjectStore


@pytest.fixture
def store(images: Path, tmp_path: Path):
    s = ProjectStore.create(tmp_path / "proj", pool_root=images, kind="image", classes=["x", "y"])
    pool_sync.sync_pool(s)
    yield s
    s.close()


def _statuses(store: ProjectStore) -> dict[str, tuple[str, str | None]]:
    return {it.relpath: (it.status, it.reason) for it in store.items()}


def test_moved_folder_located_brings_every_item_back_ok(
    images: Path, store: ProjectStore, tmp_path: Path
) -> None:
    item = next(it for it in store.items() if it.relpath == "a.png")
    store.record(item.id, "label", class_id=store.classes()[0].id)
    moved = tmp_path / "moved" / "pool"
    shutil.move(images, moved)
    # What the viewer did while the folder was away: the item on screen flagged missing.
    store.update_item(item.id, status="missing", reason="file not found")

    pool_sync.relocate(store, moved)
    pool_sync.sync_pool(store)

    assert store.pool_root == moved.resolve()
    assert store.abspath(store.item(item.id)) == moved.resolve() / "a.png"
    assert set(_statuses(store).values()) == {("ok", None)}
    assert len(store.items()) == 3 and store.labels() == {item.id: store.classes()[0].id}


def test_rescan_rechecks_a_missing_item_whose_file_is_back_unchanged(
    images: Path, store: ProjectStore
) -> None:
    item = next(it for it in store.items() if it.relpath == "b.png")
    # size and mtime still match the file: only a re-check can tell it is readable
    store.update_item(item.id, status="missing", reason="file not found")

    result = pool_sync.sync_pool(store)

    assert (store.item(item.id).status, store.item(item.id).reason) == ("ok", None)
    assert result.new == result.missing == []


def test_relocate_refuses_a_folder_without_the_projects_files(
    images: Path, store: ProjectStore, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "other.png").write_bytes(b"not ours")

    with pytest.raises(PoolMissing, match="None of this project's files"):
        pool_sync.relocate(store, wrong)
    with pytest.raises(PoolMissing, match="is not a folder"):
        pool_sync.relocate(store, tmp_path / "nowhere")

    assert store.pool_root == images.resolve()
    assert set(_statuses(store).values()) == {("ok", None)}


def test_relocate_finds_a_folder_holding_only_some_of_the_files(
    images: Path, store: ProjectStore, tmp_path: Path
) -> None:
    moved = tmp_path / "moved"
    shutil.move(images, moved)
    (moved / "a.png").unlink()

    assert pool_sync.relocate(store, moved) == 2
    pool_sync.sync_pool(store)

    statuses = _statuses(store)
    assert statuses["a.png"][0] == "missing"
    assert statuses["b.png"] == statuses["sub/deeper/c.png"] == ("ok", None)


@pytest.mark.parametrize("layout", ["inside", "beside"])
def test_a_project_moved_with_its_pool_finds_it_there(
    images: Path, tmp_path: Path, layout: str
) -> None:
    """A project kept inside or beside its pool folder, moved (or copied to another machine)
    together with it, opens on the pool at its new place; the old place wins while it exists."""
    home = images if layout == "inside" else tmp_path
    with ProjectStore.create(home / "p.aldesk", pool_root=images, kind="image",
                             classes=["x", "y"]) as s:  # fmt: skip
        pool_sync.sync_pool(s)
    new_home = tmp_path / "bob" / "data"
    new_home.parent.mkdir()
    if layout == "inside":
        shutil.move(images, new_home)
        project, pool = new_home / "p.aldesk", new_home
    else:
        new_home.mkdir()
        shutil.move(images, new_home / "pool")
        shutil.move(home / "p.aldesk", new_home / "p.aldesk")
        project, pool = new_home / "p.aldesk", new_home / "pool"
    with ProjectStore.open(project) as s:
        assert s.pool_root == pool.resolve() and s.pool_followed_project
        assert s.abspath(next(it for it in s.items() if it.relpath == "a.png")).is_file()
        pool_sync.relocate(s, s.pool_root)  # what the window does: it points there from now on
    shutil.copytree(pool, images)  # the old place is back: the stored folder is used
    with ProjectStore.open(project) as s:
        assert s.pool_root == pool.resolve() and not s.pool_followed_project


def test_a_project_moved_without_its_pool_still_points_at_the_old_place(
    store: ProjectStore, tmp_path: Path
) -> None:
    project = store.path
    store.close()
    moved = tmp_path / "elsewhere" / "proj"
    moved.parent.mkdir()
    shutil.move(project, moved)
    shutil.rmtree(tmp_path / "pool")
    with ProjectStore.open(moved) as s:
        assert s.pool_root == (tmp_path / "pool").resolve() and not s.pool_followed_project
