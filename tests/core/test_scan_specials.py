"""Issue 12 point 3: things in a pool that are not regular files never stop a scan; each one
with a media extension is listed as unreadable with its reason."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from aldesk.cli import main
from aldesk.core import pool
from tests.core.pool_files import write_png

REASONS = {
    "loop1.png": "a link that points back to itself (link loop)",
    "loop2.png": "a link that points back to itself (link loop)",
    "dangling.png": "a broken link (its target does not exist)",
    "fifo.png": "a named pipe (FIFO), not a file",
    "sock.png": "a socket, not a file",
    "device.png": "a device, not a file",
    "linked-folder.png": "a link to a folder (links to folders are not followed)",
}


@pytest.fixture
def special_pool(tmp_path: Path):
    root = tmp_path / "pool"
    for i in range(4):
        write_png(root / f"good{i}.png", value=40 * i)
    write_png(root / "folder.png" / "inside.png", value=200)  # a real folder named *.png
    write_png(root / "sub" / "deep.png", value=220)
    os.symlink("loop2.png", root / "loop1.png")
    os.symlink("loop1.png", root / "loop2.png")
    os.symlink("nowhere.png", root / "dangling.png")
    os.symlink("/dev/null", root / "device.png")
    os.symlink("sub", root / "linked-folder.png")
    os.symlink("..", root / "sub" / "up")  # a folder loop: never followed
    os.symlink("good0.png", root / "alias.png")  # a link to a file is followed
    os.mkfifo(root / "fifo.png")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock.png"))
    yield root
    sock.close()


def test_scan_lists_every_special_entry_with_its_reason(special_pool: Path) -> None:
    result = pool.scan(special_pool, kind="image")

    assert {e.relpath: e.error for e in result.unreadable} == REASONS
    readable = {rel for rel, e in result.entries.items() if e.error is None}
    assert readable == {
        "good0.png", "good1.png", "good2.png", "good3.png", "alias.png",
        "folder.png/inside.png", "sub/deep.png",
    }  # fmt: skip


def test_count_media_does_not_stop_either(special_pool: Path) -> None:
    counts = pool.count_media(special_pool)
    assert counts.images == 7 + len(REASONS)


def test_a_link_to_a_folder_is_said_to_be_one(special_pool: Path) -> None:
    """A link to a folder with no media extension was counted among the files "neither image
    nor audio" (and as "1 other file" in the new-project dialog)."""
    notes = pool.scan(special_pool, kind="image").notes
    assert notes.linked_folders == ["sub/up"] and "sub/up" not in notes.not_media
    assert "1 link to a folder not followed, so its files are not in the pool: sub/up." in (
        notes.text()
    )
    counted = pool.count_media(special_pool)
    assert counted.other == 0 and counted.notes.linked_folders == ["sub/up"]


def test_hashing_a_file_swapped_for_a_fifo_does_not_block(tmp_path: Path) -> None:
    fifo = tmp_path / "late.png"
    os.mkfifo(fifo)
    outcome: list[object] = []
    worker = threading.Thread(target=lambda: outcome.append(_try_hash(fifo)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # unblock the reader before failing, so no thread is left behind
        with open(fifo, "wb"):
            pass
        worker.join()
        pytest.fail("hashing a FIFO blocked")
    assert isinstance(outcome[0], OSError)


def _try_hash(path: Path) -> object:
    try:
        return pool._hash_file(path)
    except OSError as exc:
        return exc


def test_cli_new_lists_them(special_pool: Path, tmp_path: Path, capsys) -> None:
    args = ["new", str(tmp_path / "p"), "--pool", str(special_pool), "--classes", "a,b"]
    assert main([*args, "--no-features"]) == 0
    out = capsys.readouterr().out
    assert f"({len(REASONS)} unreadable," in out
    for name, reason in REASONS.items():
        assert f"unreadable: {name}: {reason}" in out


def test_cli_new_on_a_folder_with_nothing_readable_says_what_to_do(tmp_path: Path, capsys) -> None:
    """A phone's photo folder (HEIC only): the project is made, and the output says nothing can
    be labelled until the files are converted, rather than only 'Open it with'."""
    pool_dir = tmp_path / "phone"
    pool_dir.mkdir()
    for i in range(3):
        (pool_dir / f"IMG_000{i}.HEIC").write_bytes(os.urandom(512))
    args = ["new", str(tmp_path / "p"), "--pool", str(pool_dir), "--classes", "a,b"]
    assert main([*args, "--no-features"]) == 0
    out = capsys.readouterr().out
    assert "(3 unreadable," in out and "None of them can be read" in out
    assert "convert or replace them in the pool folder" in out
    write_png(pool_dir / "good.png", 128)
    assert main(["new", str(tmp_path / "q"), "--pool", str(pool_dir), "--classes", "a,b",
                 "--no-features"]) == 0  # fmt: skip
    assert "None of them can be read" not in capsys.readouterr().out  # one file is readable


def test_status_does_not_call_them_changed_when_nothing_changed(
    special_pool: Path, tmp_path: Path, capsys
) -> None:
    """`status` said "7 files deleted or changed since the project was last opened" of a pool
    nobody had touched: each special entry failed a stat, or had no size of its own."""
    import json

    project = tmp_path / "p"
    assert main(["new", str(project), "--pool", str(special_pool), "--classes", "a,b",
                 "--no-features"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["status", str(project), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["changed_since_scan"] == 0
    (special_pool / "dangling.png").unlink()
    write_png(special_pool / "dangling.png", value=90)  # a real file there now: that is news
    assert main(["status", str(project), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["changed_since_scan"] == 1
