"""`aldesk export` from the command line between sessions: the pool folder as the user left it,
not as the project last scanned it (files deleted, replaced, renamed or moved since)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from aldesk.cli import main
from aldesk.core.demo import make_demo_pool


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> tuple[Path, Path]:
    """A demo pool of digit images and the labels file of all of them."""
    root = tmp_path_factory.mktemp("cli-export")
    make_demo_pool("images", root / "pool", labels_out=root / "labels.csv", per_class=8)
    return root / "pool", root / "labels.csv"


def _labelled_copy(tmp_path, pool) -> tuple:
    """A copy of the test pool, every file labelled in a project on it: (pool, project)."""
    import shutil

    folder, labels = pool
    mine = tmp_path / "pool"
    shutil.copytree(folder, mine)
    project = tmp_path / "p"
    assert main(["new", str(project), "--pool", str(mine), "--classes",
                 ",".join(str(d) for d in range(10)), "--test-size", "0", "--no-features"]) == 0  # fmt: skip
    assert main(["import-labels", str(project), str(labels)]) == 0
    return mine, project


def test_export_between_sessions_leaves_out_files_replaced_or_deleted(tmp_path, pool, capsys):
    """Replaced and deleted since the app last looked: the command-line export wrote their old
    labels until the project was opened again."""
    import shutil

    mine, project = _labelled_copy(tmp_path, pool)
    files = sorted(p for p in mine.rglob("*.png"))
    files[0].unlink()
    shutil.copy(files[2], files[1])  # another image under a labeled name
    capsys.readouterr()
    out = tmp_path / "out.csv"
    assert main(["export", str(project), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    with out.open(newline="") as f:
        rows = {r["path"]: r["label"] for r in csv.DictReader(f)}
    deleted, replaced, source = (p.relative_to(mine).as_posix() for p in files[:3])
    assert deleted not in rows and source in rows
    # the replaced name holds a copy of another labeled file now: that file's label, as
    # after reopening, never its old content's
    assert rows[replaced] == rows[source]
    assert "2 labels on files deleted or replaced since left out" in said


@pytest.mark.parametrize("fmt", ["csv", "folders"])
def test_export_between_sessions_names_files_where_they_are_now(tmp_path, pool, capsys, fmt):
    """Renamed and moved since the app last looked: the CSV named their old paths, which hold
    nothing, and the folder export failed on them, until the project was opened again."""

    mine, project = _labelled_copy(tmp_path, pool)
    files = sorted(mine.rglob("*.png"))
    renamed, moved = files[0].with_name("renamed.png"), mine / "sub" / files[1].name
    files[0].rename(renamed)
    moved.parent.mkdir()
    files[1].rename(moved)
    capsys.readouterr()
    out = tmp_path / ("out.csv" if fmt == "csv" else "out")
    assert main(["export", str(project), "--format", fmt, "--out", str(out)]) == 0
    if fmt == "csv":
        with out.open(newline="") as f:
            paths = {r["path"] for r in csv.DictReader(f)}
        now = {p.relative_to(mine).as_posix() for p in mine.rglob("*.png")}
        assert paths == now and {"renamed.png", f"sub/{files[1].name}"} <= paths
    else:
        names = {p.name for p in out.rglob("*.png")}
        assert {"renamed.png", files[1].name} <= names and len(names) == len(files)
