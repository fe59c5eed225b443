"""``aldesk simulate`` and its oracle file: files it labels under another copy's path, files
it does not label, rows of files not in the pool, a path labeled two ways, one class, classes
only files outside the pool have, a missing folder. Each is named in the log, before the work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aldesk.cli import main
from aldesk.core.demo import make_demo_pool


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cli")
    make_demo_pool("images", root / "pool", labels_out=root / "labels.csv", per_class=8)
    return root / "pool", root / "labels.csv"


def test_simulate_takes_a_copy_of_a_file_under_any_of_its_paths(tmp_path, pool, capsys):
    """The pool holds two copies of one file and the oracle labels one of them: the item is
    labeled (it said "no label for" the other copy, after extracting every feature); files
    it does not label, and unreadable ones, are named and left out (a run stopped on them)."""
    import shutil

    from PIL import Image

    folder, labels = pool
    copy = tmp_path / "pool"
    shutil.copytree(folder, copy)
    rows = labels.read_text().splitlines()
    first = rows[1].split(",")[0]
    shutil.copy(copy / first, copy / "AAA copy.png")  # sorts first: the item's own path
    out = tmp_path / "curve.json"
    assert main(["simulate", "--pool", str(copy), "--oracle", str(labels), "--budget", "20",
                 "--out", str(out)]) == 0  # fmt: skip
    assert json.loads(out.read_text())["n_items"] == 80
    (copy / first).unlink()  # the copy is now a file the oracle does not name
    Image.new("RGB", (28, 28), (9, 99, 199)).save(copy / "BBB.png")  # nor this one
    (copy / "CCC.png").write_bytes(b"not a picture")
    capsys.readouterr()
    assert main(["simulate", "--pool", str(copy), "--oracle", str(labels), "--budget", "20",
                 "--out", str(out)]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "1 unreadable file left out:\n  CCC.png: " in err
    assert (
        "2 files without a label in the oracle file left out:\n  AAA copy.png\n  BBB.png\n" in err
    )
    # the oracle's row of the file now gone is said, not ignored
    assert f"1 row of the oracle file names a file not in the pool (not used):\n  {first}\n" in err
    assert json.loads(out.read_text())["n_items"] == 79


def test_simulate_refuses_an_oracle_that_labels_none_of_the_pool(tmp_path, pool, capsys):
    folder, _ = pool
    other = tmp_path / "other.csv"
    other.write_text("path,label\nsomewhere/else.png,cat\nelse.png,dog\n")
    code = main(["simulate", "--pool", str(folder), "--oracle", str(other), "--budget", "20",
                 "--out", str(tmp_path / "curve.json")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "labels none of the pool's 80 readable files" in err
    assert "features" not in err  # said before the extraction


def test_simulate_refuses_an_oracle_of_one_class(tmp_path, pool, capsys):
    """It ran with exit 0 and said "final accuracy none (no model); with every pool item
    labeled 1.000": two statements that contradict each other."""
    folder, labels = pool
    rows = labels.read_text().splitlines()
    one = tmp_path / "one.csv"
    one.write_text("path,label\n" + "".join(f"{r.split(',')[0]},bird\n" for r in rows[1:]))
    code = main(["simulate", "--pool", str(folder), "--oracle", str(one), "--budget", "20",
                 "--out", str(tmp_path / "curve.json")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "gives only one class (bird): a model needs two classes" in err
    assert not (tmp_path / "curve.json").exists()


def test_simulate_names_a_path_labeled_two_ways_once_and_notes_a_seed_set_past_the_budget(
    tmp_path, pool, capsys
):
    """A path labeled two ways was named as such, then counted again among "files without a
    label"; a seed set as large as the budget was reported as the strategy's accuracy."""
    folder, labels = pool
    rows = labels.read_text().splitlines()
    first = rows[1].split(",")[0]
    oracle = tmp_path / "oracle.csv"
    oracle.write_text(labels.read_text() + f"{first},another\n")
    code = main(["simulate", "--pool", str(folder), "--oracle", str(oracle), "--budget", "20",
                 "--seed-size", "20", "--out", str(tmp_path / "curve.json")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0 and f"1 file the oracle labels two ways left out:\n  {first}: " in err
    assert "without a label" not in err
    assert "the seed set (20 labels, drawn at random) is the whole budget (20)" in err


def test_simulate_leaves_out_classes_only_files_outside_the_pool_have(tmp_path, pool, capsys):
    """A dataset-wide labels file on a subset folder: its other classes are not this pool's
    (a class "unicorn" of one missing file was learned, and the seed set grew for it)."""
    folder, labels = pool
    oracle = tmp_path / "oracle.csv"
    oracle.write_text(labels.read_text() + "ghost.png,unicorn\n")
    out = tmp_path / "curve.json"
    assert main(["simulate", "--pool", str(folder), "--oracle", str(oracle), "--budget", "20",
                 "--out", str(out)]) == 0  # fmt: skip
    curve = json.loads(out.read_text())
    assert curve["classes"] == [str(d) for d in range(10)]
    assert "class unicorn left out" in capsys.readouterr().err


def test_simulate_on_a_missing_folder_says_so_before_any_work(tmp_path, pool, capsys) -> None:
    _, labels = pool
    code = main(["simulate", "--pool", str(tmp_path / "nopool"), "--oracle", str(labels),
                 "--budget", "12", "--out", str(tmp_path / "curve.json")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "does not exist" in err and "scanning" not in err
