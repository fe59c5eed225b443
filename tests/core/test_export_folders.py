"""Export as a folder per class (ImageFolder layout), and JSON Lines export."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from aldesk.cli import main
from aldesk.core import export_folders, interop
from aldesk.core.errors import AldeskError
from aldesk.core.store import NewItem, ProjectStore

PATHS = ["a.png", "b.png", "sub/a.png", "sub/A.PNG", "sub/d.png", "gone.png"]


@pytest.fixture
def store(tmp_path: Path):
    pool = tmp_path / "pool"
    (pool / "sub").mkdir(parents=True)
    for p in PATHS[:-1]:
        (pool / p).write_bytes(p.encode())
    s = ProjectStore.create(tmp_path / "p", pool_root=pool, kind="image", classes=["cat", "a/b"])
    s.add_items(
        NewItem(hash=f"h{i}", relpath=p, kind="image", size=1, mtime_ns=0, arrival=i)
        for i, p in enumerate(PATHS)
    )
    ids = {it.relpath: it.id for it in s.items()}
    cat, ab = s.class_by_name("cat").id, s.class_by_name("a/b").id
    for p in ("a.png", "sub/a.png", "sub/A.PNG", "gone.png"):
        s.record(ids[p], "label", class_id=cat)
    s.record(ids["b.png"], "label", class_id=ab)
    yield s
    s.close()


def _tree(out: Path) -> dict[str, bytes]:
    return {f.relative_to(out).as_posix(): f.read_bytes() for f in out.rglob("*") if f.is_file()}


def test_a_folder_per_class_with_clashes_numbered_and_missing_files_reported(store, tmp_path):
    out = tmp_path / "out"
    plan = export_folders.plan_folder_export(store, out)
    report = export_folders.write_folder_export(plan)
    # in path order the first a.png keeps its name; the others (any case) are numbered
    assert _tree(out) == {
        "cat/a.png": b"a.png",
        "cat/A-2.PNG": b"sub/A.PNG",
        "cat/a-3.png": b"sub/a.png",
        "a_b/b.png": b"b.png",
    }
    assert report.written == 4 and not report.linked
    assert len(report.missing) == 1 and "gone.png" in report.missing[0]
    again = export_folders.plan_folder_export(store, tmp_path / "again")
    assert [d.name for _, d in again.files] == [d.name for _, d in plan.files]  # deterministic


@pytest.mark.parametrize(("status", "reason"),
                         [("unreadable", "truncated"), ("missing", "The file is gone.")])  # fmt: skip
def test_unreadable_and_missing_items_are_left_out_and_reported(
    store, tmp_path, status, reason
) -> None:
    """A deleted labeled file was reported as "unreadable" (the CSV export said "deleted")."""
    item = next(it for it in store.items() if it.relpath == "b.png")
    store.update_item(item.id, status=status, reason=reason)
    report = export_folders.write_folder_export(
        export_folders.plan_folder_export(store, tmp_path / "out")
    )
    assert report.unreadable == ["b.png"]
    assert not (tmp_path / "out" / "a_b").exists()
    line = export_folders.describe(report, tmp_path)[-1]
    assert line.startswith("1 labeled item is missing or unreadable and was left out")


def test_links_share_the_file_and_fall_back_to_copies_across_disks(store, tmp_path, monkeypatch):
    report = export_folders.write_folder_export(
        export_folders.plan_folder_export(store, tmp_path / "linked"), link=True
    )
    assert report.linked and report.written == 4 and report.note is None
    assert os.path.samefile(tmp_path / "linked/a_b/b.png", store.pool_root / "b.png")

    def cross_device(src, dst):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(export_folders.os, "link", cross_device)
    report = export_folders.write_folder_export(
        export_folders.plan_folder_export(store, tmp_path / "copied"), link=True
    )
    assert not report.linked and report.written == 4
    assert "copied instead" in report.note and "\n" not in report.note
    assert not os.path.samefile(tmp_path / "copied/a_b/b.png", store.pool_root / "b.png")


@pytest.mark.parametrize("where", ["file", "full", "pool"])
def test_a_bad_out_folder_is_refused_before_anything_is_written(store, tmp_path, where) -> None:
    out = {"file": tmp_path / "f.txt", "full": tmp_path / "full", "pool": store.pool_root / "x"}
    target = out[where]
    if where == "file":
        target.write_text("x")
    elif where == "full":
        target.mkdir()
        (target / "keep.txt").write_text("x")
    with pytest.raises(AldeskError, match="Cannot export to"):
        export_folders.plan_folder_export(store, target)


def test_jsonl_has_one_object_per_line_with_split(store, tmp_path) -> None:
    out = tmp_path / "labels.jsonl"
    assert interop.export_labels(store, out, fmt="jsonl") == 5
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["path"] for r in rows] == sorted(r["path"] for r in rows)
    assert set(rows[0]) == {"path", "label", "split", "source", "answered_at", "answer", "sha256"}
    assert {r["label"] for r in rows} == {"cat", "a/b"} and rows[0]["split"] == "pool"


def test_cli_exports_folders_and_refuses_link_for_files(
    store, tmp_path, capsys, monkeypatch
) -> None:
    from aldesk.core import labels_export

    project = store.path
    store.close()
    out = tmp_path / "cli-out"
    # a file of the pool is gone, deleted during the export itself (after the check for files
    # changed since the last scan, which this store's made-up hashes would all fail): the rest
    # is exported, and the exit status says one failed
    monkeypatch.setattr(labels_export, "gone_since_scan", lambda _store: labels_export.SinceScan())
    assert main(["export", str(project), "--format", "folders", "--out", str(out), "--link"]) == 1
    text = capsys.readouterr().out
    assert "Exported 4 files (linked)" in text and "could not be exported" in text
    assert sorted(_tree(out)) == ["a_b/b.png", "cat/A-2.PNG", "cat/a-3.png", "cat/a.png"]
    code = main(["export", str(project), "--format", "csv", "--out", str(tmp_path / "x.csv"),
                 "--link"])  # fmt: skip
    assert code == 2 and "--link goes with --format folders" in capsys.readouterr().err


def test_jsonl_round_trips_through_import(store, tmp_path) -> None:
    out = tmp_path / "labels.jsonl"
    interop.export_labels(store, out, fmt="jsonl")
    ids = {it.relpath: it.id for it in store.items()}
    store.record(ids["b.png"], "label", class_id=store.class_by_name("cat").id)  # changed since
    plan = interop.plan_import(store, out)
    assert (plan.new, plan.same, plan.conflicting) == (0, 4, 1)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"path": "a.png", "label": "cat"}\n\n{"path": "b.png", \n')
    with pytest.raises(AldeskError, match="line 3"):
        interop.plan_import(store, bad)


def test_an_export_stopped_half_way_leaves_nothing_behind(store, tmp_path) -> None:
    """Ctrl+C half way left a folder with some of the files, unsaid; exporting again was then
    refused ("the folder is not empty")."""
    out = tmp_path / "out"
    plan = export_folders.plan_folder_export(store, out)
    calls = []

    def interrupt(done: int, _total: int) -> None:
        calls.append(done)
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_folders.write_folder_export(plan, progress=interrupt)
    assert calls == [1, 2] and sorted(p.name for p in tmp_path.iterdir()) == ["p.aldesk", "pool"]
    stopped = export_folders.write_folder_export(plan, should_stop=lambda: True)
    assert stopped.written == 0 and stopped.note == "Stopped: nothing was exported."
    assert not out.exists()
    report = export_folders.write_folder_export(plan)  # and it can be run again
    assert report.written == 4 and sorted(_tree(out)) == ["a_b/b.png", "cat/A-2.PNG",
                                                          "cat/a-3.png", "cat/a.png"]  # fmt: skip


def test_a_folder_export_into_a_missing_folder_is_refused(store, tmp_path) -> None:
    """--out nodir/a/b made the whole tree; the file formats refuse a missing folder."""
    with pytest.raises(AldeskError, match="does not exist"):
        export_folders.plan_folder_export(store, tmp_path / "nodir" / "a" / "b")


def test_an_export_clears_what_a_killed_export_of_it_left(store, tmp_path) -> None:
    from aldesk.core.labels_export import export_labels
    from tests.core.test_leftovers import _dead_pid

    dead = _dead_pid()
    out_csv, out_dir = tmp_path / "labels.csv", tmp_path / "by-class"
    (tmp_path / f".labels.csv.{dead}-1.tmp").write_text("path,label\n")
    (tmp_path / f".by-class.partial-{dead}").mkdir()
    export_labels(store, out_csv)
    export_folders.write_folder_export(export_folders.plan_folder_export(store, out_dir))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert out_csv.is_file() and out_dir.is_dir()


def test_class_folders_take_names_a_usb_stick_or_windows_accepts_and_import_back(tmp_path):
    """ "Coleoptera: Carabidae" made a folder FAT/exFAT and Windows refuse (QA)."""
    from aldesk.core.folder_labels import import_folder_labels

    names = ["Coleoptera: Carabidae", "what?", "con", "dots.."]
    pool = tmp_path / "pool"
    pool.mkdir()
    for i in range(len(names)):
        (pool / f"{i}.png").write_bytes(bytes([i]))
    s = ProjectStore.create(tmp_path / "p", pool_root=pool, kind="image", classes=names)
    s.add_items(
        NewItem(hash=f"h{i}", relpath=f"{i}.png", kind="image", size=1, mtime_ns=0, arrival=i)
        for i in range(len(names))
    )
    for item, name in zip(s.items(), names, strict=True):
        s.record(item.id, "label", class_id=s.class_by_name(name).id)
    out = tmp_path / "out"
    export_folders.write_folder_export(export_folders.plan_folder_export(s, out))
    s.close()
    folders = sorted(p.name for p in out.iterdir())
    assert folders == ["Coleoptera： Carabidae", "_con", "dots", "what？"]
    assert not any(set(f) & set(':*?"<>|\\') for f in folders)

    back = ProjectStore.create(tmp_path / "q", pool_root=out, kind="image", classes=names)
    back.add_items(
        NewItem(hash=f"h{i}", relpath=p.relative_to(out).as_posix(), kind="image", size=1,
                mtime_ns=0, arrival=i)
        for i, p in enumerate(sorted(out.rglob("*.png")))
    )  # fmt: skip
    import_folder_labels(back)
    by_id = {c.id: c.name for c in back.classes()}
    got = sorted(by_id[c] for c in back.labels().values())
    back.close()
    assert got == sorted(names)  # each file back in its class, ":" and all
