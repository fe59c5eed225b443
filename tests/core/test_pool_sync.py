"""Tests of aldesk.core.pool_sync: a scan applied to a real project store, and any file
history (hypothesis) keeping one item per content."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pool_files import hash_counter, set_mtime, write_png

from aldesk.core import pool, pool_sync
from aldesk.core.store import ProjectStore

# ------------------------------------------------------------------ sync_pool with a real store


@pytest.fixture
def store(images: Path, tmp_path: Path):
    s = ProjectStore.create(tmp_path / "proj", pool_root=images, kind="image", classes=["x", "y"])
    yield s
    s.close()


def by_path(store: ProjectStore) -> dict[str, object]:
    return {it.relpath: it for it in store.items()}


def test_sync_adds_items_in_arrival_order_of_mtime(images: Path, store: ProjectStore) -> None:
    for seconds, name in enumerate(["sub/deeper/c.png", "a.png", "b.png"]):
        set_mtime(images / name, 1_600_000_000 + seconds)

    result = pool_sync.sync_pool(store)

    items = by_path(store)
    assert len(result.new) == 3
    assert [items[p].arrival for p in ["sub/deeper/c.png", "a.png", "b.png"]] == [0, 1, 2]
    assert {it.status for it in items.values()} == {"ok"}

    write_png(images / "late.png", 5)
    set_mtime(images / "late.png", 1_500_000_000)  # older mtime, yet it arrives after the others
    pool_sync.sync_pool(store)
    assert by_path(store)["late.png"].arrival == 3


def test_sync_moved_file_keeps_its_label(images: Path, store: ProjectStore) -> None:
    pool_sync.sync_pool(store)
    item = by_path(store)["a.png"]
    cls = store.classes()[1]
    store.record(item.id, "label", class_id=cls.id)
    (images / "a.png").rename(images / "sub" / "moved.png")

    result = pool_sync.sync_pool(store)

    assert len(result.moved) == 1
    moved = store.item(item.id)
    assert (moved.relpath, moved.status) == ("sub/moved.png", "ok")
    assert store.labels() == {item.id: cls.id}
    assert len(store.items()) == 3


def test_a_file_flagged_gone_while_its_move_was_being_planned_is_found_again(
    images: Path, store: ProjectStore
) -> None:
    """On reopening, the item on screen was shown at its old path (its folder renamed), the
    viewer flagged it missing, and the rescan, planned from the items as they were before,
    moved it without clearing the flag: a good file stayed "gone" for the whole session."""
    pool_sync.sync_pool(store)
    item = by_path(store)["a.png"]
    (images / "a.png").rename(images / "sub" / "moved.png")
    before = store.items()  # the rescan's copy, taken off the store's thread
    plan = pool_sync.plan_scan(before, store.all_item_paths(), pool.scan(images))
    store.update_item(item.id, status="missing", reason="The file is gone.")  # the viewer
    pool_sync.apply_plan(store, plan)
    moved = store.item(item.id)
    assert (moved.relpath, moved.status, moved.reason) == ("sub/moved.png", "ok", None)


def test_sync_marks_missing_and_restores_reappearing_files(
    images: Path, store: ProjectStore, tmp_path: Path
) -> None:
    pool_sync.sync_pool(store)
    item = by_path(store)["b.png"]
    shutil.move(images / "b.png", tmp_path / "aside.png")

    assert [e.relpath for e in pool_sync.sync_pool(store).missing] == ["b.png"]
    assert store.item(item.id).status == "missing"

    shutil.move(tmp_path / "aside.png", images / "back.png")
    pool_sync.sync_pool(store)
    back = store.item(item.id)
    assert (back.relpath, back.status) == ("back.png", "ok")
    assert len(store.items()) == 3


def test_sync_changed_content_is_a_new_item_and_the_old_goes_missing(
    images: Path, store: ProjectStore
) -> None:
    pool_sync.sync_pool(store)
    old = by_path(store)["a.png"]
    write_png(images / "a.png", 123)
    set_mtime(images / "a.png", 1_700_000_000)

    pool_sync.sync_pool(store)

    assert store.item(old.id).status == "missing"
    # not "no longer in the pool folder": a file is there, with other content
    assert store.item(old.id).reason == pool_sync.REPLACED
    current = [it for it in store.items() if it.relpath == "a.png" and it.status == "ok"]
    assert len(current) == 1 and current[0].id != old.id


def test_sync_stores_unreadable_items_and_duplicate_paths(
    images: Path, store: ProjectStore
) -> None:
    (images / "empty.png").write_bytes(b"")
    shutil.copyfile(images / "b.png", images / "sub" / "b_copy.png")

    pool_sync.sync_pool(store)

    items = by_path(store)
    assert (items["empty.png"].status, items["empty.png"].reason) == (
        "unreadable",
        "empty file (0 bytes)",
    )
    dup = store.item_by_hash(items["b.png"].hash)
    assert store.item_paths(dup.id) == ["b.png", "sub/b_copy.png"]
    assert len(store.items()) == 4

    (images / "sub" / "b_copy.png").unlink()
    pool_sync.sync_pool(store)
    assert store.item_paths(dup.id) == []


def test_every_empty_file_is_an_unreadable_item_of_its_own(
    images: Path, store: ProjectStore
) -> None:
    """Two zero-byte files had one content hash: the second was a "copy" of the first and
    was listed nowhere, not even among the unreadable items."""
    for name in ("empty.png", "sub/IMG_5200.png", "sub/deeper/blank.png"):
        (images / name).write_bytes(b"")
    pool_sync.sync_pool(store)
    items = by_path(store)
    empties = [items[name] for name in ("empty.png", "sub/IMG_5200.png", "sub/deeper/blank.png")]
    assert all(it.status == "unreadable" for it in empties)
    assert len({it.id for it in empties}) == 3


def test_sync_unchanged_pool_writes_nothing(images: Path, store: ProjectStore, monkeypatch) -> None:
    pool_sync.sync_pool(store)
    writes: list[str] = []
    monkeypatch.setattr(store, "update_item", lambda *a, **k: writes.append("update"))
    monkeypatch.setattr(store, "add_items", lambda *a, **k: writes.append("add") or [])

    result = pool_sync.sync_pool(store)

    assert writes == []
    assert result.new == result.missing == result.moved == result.changed == []


def test_sync_unreadable_file_that_reappears_is_still_unreadable(
    images: Path, store: ProjectStore, tmp_path: Path
) -> None:
    (images / "empty.png").write_bytes(b"")
    pool_sync.sync_pool(store)
    item = by_path(store)["empty.png"]
    shutil.move(images / "empty.png", tmp_path / "aside.png")
    pool_sync.sync_pool(store)
    assert store.item(item.id).status == "missing"

    shutil.move(tmp_path / "aside.png", images / "empty.png")
    pool_sync.sync_pool(store)

    back = store.item(item.id)
    assert (back.status, back.reason) == ("unreadable", "empty file (0 bytes)")


def test_previous_entries_let_a_scan_off_the_store_thread_read_nothing_unchanged(
    images: Path, store: ProjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool_sync.sync_pool(store)
    previous = pool_sync.previous_entries(store)  # read on the store's thread
    hashed = hash_counter(monkeypatch)

    result = pool.scan(store.pool_root, kind=store.kind, previous=previous)

    assert hashed == []
    assert sorted(previous) == list(result.entries) == ["a.png", "b.png", "sub/deeper/c.png"]
    assert result.new == result.missing == result.moved == result.changed == []


def test_apply_scan_reuses_a_scan_made_before_the_project(images: Path, tmp_path: Path) -> None:
    first = pool.scan(images)  # e.g. to learn the kind before creating the project
    with ProjectStore.create(
        tmp_path / "p2", pool_root=images, kind=first.kind, classes=["x"]
    ) as store:
        pool_sync.apply_scan(store, first)
        assert sorted(it.relpath for it in store.items()) == list(first.entries)
        assert {it.hash for it in store.items()} == {e.hash for e in first.entries.values()}


# ------------------------------------------------------------------ property: any file history

_OPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "delete", "move", "modify", "copy"]),
        st.integers(0, 20),
        st.integers(0, 5),
    ),
    max_size=8,
)


def _apply_op(root: Path, op: str, index: int, value: int, step: int) -> None:
    files = sorted(p for p in root.rglob("*.png"))
    target = root / ("sub" if step % 2 else "") / f"f{step}.png"
    if op == "add" or not files:
        write_png(target, value * 40)
    else:
        chosen = files[index % len(files)]
        if op == "delete":
            chosen.unlink()
        elif op == "move":
            target.parent.mkdir(exist_ok=True)
            chosen.rename(target)
        elif op == "modify":
            write_png(chosen, value * 40 + 1)
        else:
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(chosen, target)
    for i, path in enumerate(sorted(root.rglob("*.png"))):
        set_mtime(path, 1_600_000_000 + step * 100 + i)  # every write is seen as a change


def _check_store_matches_folder(store: ProjectStore, root: Path, seen: set[str]) -> None:
    on_disk: dict[str, set[str]] = {}
    for path in root.rglob("*.png"):
        on_disk.setdefault(pool._hash_file(path), set()).add(path.relative_to(root).as_posix())
    seen.update(on_disk)
    items = store.items()
    assert {it.hash for it in items} == seen  # one item per content ever seen, never dropped
    for item in items:
        paths = on_disk.get(item.hash)
        if paths is None:
            assert item.status == "missing"
        else:
            assert item.status == "ok" and item.relpath in paths
            assert store.item_paths(item.id) == (sorted(paths) if len(paths) > 1 else [])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=_OPS)
def test_sync_keeps_one_item_per_content_through_any_file_history(ops) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pool"
        write_png(root / "start.png", 250)
        with ProjectStore.create(
            Path(tmp) / "p", pool_root=root, kind="image", classes=["x"]
        ) as store:
            seen: set[str] = set()
            pool_sync.sync_pool(store)
            _check_store_matches_folder(store, root, seen)
            for step, (op, index, value) in enumerate(ops):
                _apply_op(root, op, index, value, step)
                if not any(root.rglob("*.png")):
                    write_png(root / "refill.png", 251)
                result = pool_sync.sync_pool(store)
                _check_store_matches_folder(store, root, seen)
                reported = [e.relpath for e in result.new]
                reported += [after.relpath for _, after in result.changed + result.moved]
                assert len(reported) == len(set(reported))  # new/changed/moved are disjoint
