"""Tests of aldesk.core.pool: scanning, identity by content, rescans, bad files, sync to a store."""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
import threading
import zlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from aldesk.core import pool, pool_sync
from aldesk.core.errors import NoMedia, PoolMissing
from aldesk.core.store import ProjectStore

# ------------------------------------------------------------------ helpers


def write_png(path: Path, value: int, size: int = 8) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (size, size), color=value).save(path)
    return path


def write_wav(path: Path, freq: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(1600, dtype=np.float32) / 16000
    sf.write(path, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 16000)
    return path


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims width x height pixels (a decompression bomb)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
    return path


def set_mtime(path: Path, seconds: int) -> None:
    os.utime(path, ns=(seconds * 10**9, seconds * 10**9))


@pytest.fixture
def images(tmp_path: Path) -> Path:
    root = tmp_path / "pool"
    write_png(root / "a.png", 10)
    write_png(root / "b.png", 20)
    write_png(root / "sub" / "deeper" / "c.png", 30)
    return root


def hash_counter(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = pool._hash_file

    def counting(path: Path) -> str:
        calls.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(pool, "_hash_file", counting)
    return calls


# ------------------------------------------------------------------ what is scanned


def test_scan_finds_images_recursively_and_reports_the_other_kind(images: Path) -> None:
    write_wav(images / "sounds" / "x.wav", 440)
    (images / "notes.txt").write_text("not media")

    result = pool.scan(images)

    assert result.kind == "image"
    assert list(result.entries) == ["a.png", "b.png", "sub/deeper/c.png"]
    assert result.other_kind == ["sounds/x.wav"]
    assert [e.relpath for e in result.new] == ["a.png", "b.png", "sub/deeper/c.png"]
    assert all(e.error is None and len(e.hash) == 64 for e in result.entries.values())


def test_hidden_files_and_project_folders_are_not_scanned(images: Path) -> None:
    write_png(images / ".hidden.png", 40)
    write_png(images / ".cache" / "d.png", 50)
    write_png(images / "mine.aldesk" / "synth" / "e.png", 60)

    assert list(pool.scan(images).entries) == ["a.png", "b.png", "sub/deeper/c.png"]
    assert pool.count_media(images) == pool.MediaCounts(images=3, audio=0, other=0)


def test_mixed_folder_takes_the_majority_kind(tmp_path: Path) -> None:
    write_png(tmp_path / "a.png", 1)
    write_wav(tmp_path / "x.wav", 300)
    write_wav(tmp_path / "y.flac", 500)

    result = pool.scan(tmp_path)

    assert result.kind == "audio"
    assert list(result.entries) == ["x.wav", "y.flac"]
    assert result.other_kind == ["a.png"]


def test_mixed_folder_kind_chosen_by_the_user_wins(tmp_path: Path) -> None:
    write_png(tmp_path / "a.png", 1)
    write_wav(tmp_path / "x.wav", 300)
    write_wav(tmp_path / "y.wav", 500)

    result = pool.scan(tmp_path, kind="image")

    assert result.kind == "image"
    assert list(result.entries) == ["a.png"]
    assert result.other_kind == ["x.wav", "y.wav"]


def test_mixed_folder_tie_goes_to_images(tmp_path: Path) -> None:
    write_png(tmp_path / "a.png", 1)
    write_wav(tmp_path / "x.wav", 300)

    assert pool.scan(tmp_path).kind == "image"


def test_count_media_counts_by_extension(images: Path) -> None:
    write_wav(images / "x.wav", 300)
    (images / "labels.csv").write_text("path,label\n")
    (images / "broken.png").write_bytes(b"not opened by count_media")

    assert pool.count_media(images) == pool.MediaCounts(images=4, audio=1, other=1)


def test_missing_pool_folder_raises_pool_missing(tmp_path: Path) -> None:
    with pytest.raises(PoolMissing, match="does not exist"):
        pool.scan(tmp_path / "gone")
    with pytest.raises(PoolMissing):
        pool.count_media(tmp_path / "gone")
    (tmp_path / "file.png").write_bytes(b"x")
    with pytest.raises(PoolMissing, match="not a folder"):
        pool.scan(tmp_path / "file.png")


def test_folder_without_media_raises_no_media(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("hello")
    with pytest.raises(NoMedia):
        pool.scan(tmp_path)


def test_folder_without_the_chosen_kind_raises_no_media(images: Path) -> None:
    with pytest.raises(NoMedia, match="no audio files"):
        pool.scan(images, kind="audio")


# ------------------------------------------------------------------ identity and rescans


def test_renamed_file_keeps_its_hash_and_is_reported_moved(images: Path) -> None:
    first = pool.scan(images)
    (images / "elsewhere").mkdir()
    (images / "a.png").rename(images / "elsewhere" / "renamed.png")

    second = pool.scan(images, previous=first.entries)

    [(before, after)] = second.moved
    assert (before.relpath, after.relpath) == ("a.png", "elsewhere/renamed.png")
    assert after.hash == first.entries["a.png"].hash
    assert second.new == second.missing == second.changed == []


def test_exact_duplicates_are_detected(images: Path) -> None:
    shutil.copyfile(images / "a.png", images / "sub" / "copy_of_a.png")

    result = pool.scan(images)

    digest = result.entries["a.png"].hash
    assert result.duplicates == {digest: ["a.png", "sub/copy_of_a.png"]}


def test_rescan_does_not_rehash_or_reprobe_unchanged_files(
    images: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = pool.scan(images)
    hashed = hash_counter(monkeypatch)
    probed: list[str] = []
    real_probe = pool.media.probe
    monkeypatch.setattr(pool.media, "probe", lambda p, k: (probed.append(p.name), real_probe(p, k)))

    second = pool.scan(images, previous=first.entries)
    assert hashed == probed == []
    assert second.entries == first.entries

    write_png(images / "b.png", 99)
    set_mtime(images / "b.png", 1_700_000_000)
    pool.scan(images, previous=second.entries)
    assert hashed == probed == ["b.png"]


def test_rescan_reports_new_missing_and_changed(images: Path) -> None:
    first = pool.scan(images)
    write_png(images / "new.png", 77)
    (images / "b.png").unlink()
    write_png(images / "a.png", 88)  # new content at the same path
    set_mtime(images / "a.png", 1_700_000_000)

    second = pool.scan(images, previous=first.entries)

    assert [e.relpath for e in second.new] == ["new.png"]
    assert [e.relpath for e in second.missing] == ["b.png"]
    [(before, after)] = second.changed
    assert before == first.entries["a.png"]
    assert after.relpath == "a.png" and after.hash != before.hash
    assert second.moved == []


def test_emptied_folder_on_rescan_reports_everything_missing(images: Path) -> None:
    first = pool.scan(images)
    shutil.rmtree(images)
    images.mkdir()

    second = pool.scan(images, previous=first.entries)

    assert [e.relpath for e in second.missing] == list(first.entries)


def test_progress_reaches_the_total(images: Path) -> None:
    calls: list[tuple[int, int]] = []
    pool.scan(images, progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 3)
    assert calls[-1] == (3, 3)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_thread_pool_gives_the_same_result_as_one_thread(
    images: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(10):
        write_png(images / "more" / f"{i}.png", 100 + i)
    threads: set[str] = set()
    real = pool._hash_file
    monkeypatch.setattr(
        pool, "_hash_file", lambda p: threads.add(threading.current_thread().name) or real(p)
    )

    single = pool.scan(images, workers=1)
    assert threads == {threading.main_thread().name}
    assert pool.scan(images, workers=3) == single
    assert any(name.startswith("aldesk-scan") for name in threads)


# ------------------------------------------------------------------ bad files


def test_bad_images_are_flagged_with_reasons_and_the_scan_continues(images: Path) -> None:
    noise = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    Image.fromarray(noise).save(images / "truncated.png")
    good = (images / "truncated.png").read_bytes()
    (images / "truncated.png").write_bytes(good[: len(good) // 2])
    (images / "empty.png").write_bytes(b"")
    (images / "text.png").write_text("I am not a picture")
    png_header_only(images / "bomb.png", 30000, 30000)

    result = pool.scan(images)

    reasons = {e.relpath: e.error for e in result.unreadable}
    assert reasons == {
        "bomb.png": "image too large (30000×30000 pixels)",
        "empty.png": "empty file (0 bytes)",
        "text.png": "not an image",
        "truncated.png": "truncated file",
    }
    assert all(result.entries[p].hash for p in reasons)  # bad files still have an identity
    assert result.entries["sub/deeper/c.png"].error is None


def test_text_named_wav_is_flagged_in_an_audio_scan(tmp_path: Path) -> None:
    write_wav(tmp_path / "ok.wav", 440)
    (tmp_path / "fake.wav").write_text("RIFF? no, just text")

    result = pool.scan(tmp_path)

    assert result.kind == "audio"
    assert [(e.relpath, e.error) for e in result.unreadable] == [("fake.wav", "not an audio file")]
    assert result.entries["ok.wav"].error is None


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root reads files whatever their mode; the simulated test below covers this path",
)
def test_unreadable_permission_is_flagged(images: Path) -> None:
    locked = images / "b.png"
    locked.chmod(0)
    try:
        result = pool.scan(images)
    finally:
        locked.chmod(0o644)
    assert result.entries["b.png"].error == "permission denied"
    assert result.entries["a.png"].error is None


def test_permission_denied_while_hashing_is_flagged(
    images: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pool._hash_file

    def deny_b(path: Path) -> str:
        if Path(path).name == "b.png":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(pool, "_hash_file", deny_b)
    result = pool.scan(images)

    denied = result.entries["b.png"]
    assert (denied.hash, denied.error) == (None, "permission denied")
    assert result.unreadable == [denied]
    assert result.entries["sub/deeper/c.png"].error is None

    # Once the file is readable again it is re-read, even though size and mtime are unchanged.
    monkeypatch.setattr(pool, "_hash_file", real)
    again = pool.scan(images, previous=result.entries)
    assert again.entries["b.png"].error is None
    assert again.changed == [(denied, again.entries["b.png"])]


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
