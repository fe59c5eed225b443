"""Tests of aldesk.core.pool: scanning, identity by content, rescans, bad files."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image
from pool_files import hash_counter, png_header_only, set_mtime, write_png, write_wav

from aldesk.core import pool
from aldesk.core.errors import NoMedia, PoolMissing

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


def test_what_the_scan_leaves_out_is_named(images: Path, monkeypatch) -> None:
    """A sub-folder that cannot be listed, hidden entries and files of no media kind are
    said (a locked folder's photos were left out without a word)."""
    write_png(images / "locked" / "x.png", 5)
    (images / ".DS_Store").write_bytes(b"junk")
    (images / "notes.txt").write_text("field notes")
    scandir = os.scandir

    def refusing(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(pool.os, "scandir", refusing)
    result = pool.scan(images)
    assert "locked/x.png" not in result.entries
    assert result.notes.unlisted == [("locked/", "permission denied")]
    assert result.notes.hidden == [".DS_Store"] and result.notes.not_media == ["notes.txt"]
    text = result.notes.text()
    assert text.startswith("1 folder cannot be read, so its files are not in the pool: "
                           "locked/ (permission denied).")  # fmt: skip
    assert "1 file neither image nor audio left out: notes.txt" in text
    assert pool.count_media(images).notes.unlisted == [("locked/", "permission denied")]


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


def test_phone_recordings_in_an_unread_format_are_listed_not_skipped(tmp_path: Path) -> None:
    """A folder of WAVs and .m4a files: the .m4a ones are items flagged with what to do, so
    the user sees why half the folder is not being labelled."""
    t = np.arange(16000) / 16000
    for i in range(3):
        sf.write(tmp_path / f"clip{i}.wav", (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32),
                 16000)  # fmt: skip
        (tmp_path / f"memo{i}.m4a").write_bytes(b"\0\0\0\x20ftypM4A " + bytes(100 + i))
    result = pool.scan(tmp_path)
    assert result.kind == "audio"
    assert sorted(e.relpath for e in result.unreadable) == ["memo0.m4a", "memo1.m4a", "memo2.m4a"]
    assert all("convert to WAV" in e.error for e in result.unreadable)
    assert all(result.entries[f"clip{i}.wav"].error is None for i in range(3))


def test_a_folder_of_the_other_kind_is_refused_with_its_count(tmp_path: Path) -> None:
    sf.write(tmp_path / "only.wav", np.zeros(1600, np.float32), 16000)
    with pytest.raises(NoMedia, match=r"holds no image files \(it holds 1 audio file\)"):
        pool.scan(tmp_path, kind="image")
