"""Issue 12 point 2 and the odd-name bullets: names that are not UTF-8, that hold a backslash
or a carriage return, survive the store, the scan, export and import; a failed ``new`` leaves
nothing behind that blocks the next one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from aldesk.cli import main
from aldesk.core import interop, project
from aldesk.core.labels_file import oracle_label, read_oracle_csv
from aldesk.core.pool import shown_path
from aldesk.core.project import ProjectSettings, create_project
from aldesk.core.store import ProjectStore
from tests.core.pool_files import write_png

NOT_UTF8 = os.fsdecode(b"bad\xff\xfe.png")  # the name Python gives those bytes
ODD_NAMES = [NOT_UTF8, "back\\slash.png", "cr\r.png", "nl\nline.png", "sp ace.png"]


@pytest.fixture
def odd_pool(tmp_path: Path) -> Path:
    pool = tmp_path / "pool"
    for i, name in enumerate(ODD_NAMES):
        write_png(pool / name, value=10 + 40 * i)
    for i in range(6):
        write_png(pool / f"plain{i}.png", value=200 + 5 * i)
    return pool


def _project(tmp_path: Path, pool: Path, name: str = "p") -> ProjectStore:
    store, _ = create_project(tmp_path / name, pool, ["cat", "dog"], ProjectSettings(test_size=0))
    return store


def test_names_that_are_not_utf8_are_stored_exactly(tmp_path: Path, odd_pool: Path) -> None:
    with _project(tmp_path, odd_pool) as store:
        relpaths = {it.relpath for it in store.items()}
        assert set(ODD_NAMES) <= relpaths
        item = next(it for it in store.items() if it.relpath == NOT_UTF8)
        assert store.abspath(item).is_file()
        assert all(it.status == "ok" for it in store.items())
    with ProjectStore.open(tmp_path / "p") as store:  # and again after reopening
        assert {it.relpath for it in store.items()} == relpaths


def test_a_rescan_keeps_such_items(tmp_path: Path, odd_pool: Path) -> None:
    from aldesk.core.pool import scan
    from aldesk.core.pool_sync import apply_scan, previous_entries

    with _project(tmp_path, odd_pool) as store:
        before = {it.id: it.relpath for it in store.items()}
        result = scan(odd_pool, kind="image", previous=previous_entries(store))
        apply_scan(store, result)
        assert result.new == [] and result.missing == []
        assert {it.id: it.relpath for it in store.items()} == before


def test_shown_path_is_readable_on_one_line() -> None:
    assert shown_path(NOT_UTF8) == "bad\ufffd\ufffd.png"
    assert shown_path("cr\r.png") == "cr\\r.png" and shown_path("é.png") == "é.png"


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_then_import_finds_every_odd_name(tmp_path: Path, odd_pool: Path, fmt) -> None:
    with _project(tmp_path, odd_pool) as store:
        cat = store.class_by_name("cat").id
        store.record_labels([(it.id, cat, it.split) for it in store.items()], strategy="test")
        out = tmp_path / f"labels.{fmt}"
        interop.export_labels(store, out, fmt=fmt)
    with _project(tmp_path, odd_pool, "q") as fresh:
        report = interop.import_labels(fresh, out)
        assert report.unknown_paths == []
        assert report.imported == len(ODD_NAMES) + 6
        assert set(fresh.labels()) == {it.id for it in fresh.items()}


def test_import_still_takes_windows_separators(tmp_path: Path) -> None:
    pool = tmp_path / "pool"
    write_png(pool / "sub" / "a.png", value=1)
    write_png(pool / "b.png", value=2)
    src = tmp_path / "in.csv"
    src.write_text("path,label\nsub\\a.png,cat\n.\\b.png,dog\n")
    with _project(tmp_path, pool) as store:
        report = interop.import_labels(store, src)
    assert report.imported == 2 and report.unknown_paths == []


def test_the_oracle_finds_a_name_with_a_backslash(tmp_path: Path) -> None:
    src = tmp_path / "labels.csv"
    src.write_text('path,label\n"back\\slash.png",7\nsub\\img.png,3\n"cr\r.png",1\n')
    labels = read_oracle_csv(src)
    assert oracle_label(labels, "back\\slash.png") == "7"
    assert oracle_label(labels, "sub/img.png") == "3"
    assert oracle_label(labels, "cr\r.png") == "1"


def test_json_export_escapes_a_name_that_is_not_utf8(tmp_path: Path, odd_pool: Path) -> None:
    with _project(tmp_path, odd_pool) as store:
        item = next(it for it in store.items() if it.relpath == NOT_UTF8)
        store.record_labels([(item.id, store.class_by_name("dog").id, "pool")], strategy="t")
        out = tmp_path / "labels.json"
        interop.export_labels(store, out, fmt="json")
    assert json.loads(out.read_text(encoding="ascii"))[0]["path"] == NOT_UTF8


def test_a_failed_new_leaves_nothing_that_blocks_the_next(
    tmp_path: Path, odd_pool: Path, monkeypatch
) -> None:
    def broken(*_args, **_kwargs):
        raise OSError("simulated failure while drawing the test split")

    monkeypatch.setattr(project, "draw_test_split", broken)
    with pytest.raises(OSError, match="simulated"):
        _project(tmp_path, odd_pool)
    assert not (tmp_path / "p.aldesk").exists()
    monkeypatch.undo()
    with _project(tmp_path, odd_pool) as store:
        assert len(store.items()) == len(ODD_NAMES) + 6


def test_a_failed_new_in_an_existing_folder_removes_only_its_database(
    tmp_path: Path, odd_pool: Path, monkeypatch
) -> None:
    folder = tmp_path / "p.aldesk"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    monkeypatch.setattr(project, "draw_test_split", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        _project(tmp_path, odd_pool)
    assert (folder / "notes.txt").read_text() == "mine"
    assert not (folder / "project.sqlite").exists()


def test_cli_new_lists_odd_names_readably(tmp_path: Path, odd_pool: Path, capsys) -> None:
    (odd_pool / os.fsdecode(b"broken\xff.png")).write_bytes(b"not an image")
    code = main(["new", str(tmp_path / "p"), "--pool", str(odd_pool), "--classes", "a,b",
                 "--no-features"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "unreadable: broken\ufffd.png: not an image" in out


def test_a_killed_new_leaves_nothing_that_blocks_the_next(tmp_path: Path, odd_pool: Path) -> None:
    import signal
    import subprocess
    import sys

    script = (
        "import os, signal, sys\n"
        "from aldesk.core import project\n"
        "project.draw_test_split = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)\n"
        "project.create_project(sys.argv[1], sys.argv[2], ['cat', 'dog'])\n"
    )
    target = tmp_path / "p"
    done = subprocess.run([sys.executable, "-c", script, str(target), str(odd_pool)])
    assert done.returncode == -signal.SIGKILL
    assert not (tmp_path / "p.aldesk").exists()  # only the hidden staging folder is left
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".p.creating-")]

    with _project(tmp_path, odd_pool) as store:
        assert store.path == tmp_path / "p.aldesk"
        assert len(store.items()) == len(ODD_NAMES) + 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.aldesk", "pool"]
