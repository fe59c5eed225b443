"""The command line's outputs and scripted use: train, export formats and targets (pipes,
links, folders that miss files), new's arguments, class names with commas."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aldesk.cli import main
from aldesk.core.demo import make_demo_pool
from aldesk.core.store import ProjectStore

DIGITS = ",".join(str(d) for d in range(10))


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cli")
    make_demo_pool("images", root / "pool", labels_out=root / "labels.csv", per_class=8)
    return root / "pool", root / "labels.csv"


def _labeled(project: Path, pool: tuple[Path, Path]) -> None:
    """A project on the pool (no features) with every item labeled from its labels file."""
    folder, labels = pool
    assert main(["new", str(project), "--pool", str(folder), "--classes", DIGITS,
                 "--no-features"]) == 0  # fmt: skip
    assert main(["import-labels", str(project), str(labels)]) == 0


def test_train_records_a_round_that_status_then_shows(tmp_path, pool, capsys) -> None:
    """A project labeled from scripts had no model, so status never had an accuracy."""
    folder, labels = pool
    project = tmp_path / "p"
    assert main(["new", str(project), "--pool", str(folder), "--classes",
                 ",".join(str(d) for d in range(10)), "--test-size", "10"]) == 0  # fmt: skip
    assert main(["import-labels", str(project), str(labels)]) == 0
    capsys.readouterr()
    assert main(["status", str(project), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["labels_since_latest_model"] is None  # no model
    assert main(["status", str(project)]) == 0
    assert "aldesk train (or opening the project) trains" in capsys.readouterr().out
    assert main(["train", str(project)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Round 1 trained on 70 labels") and "on 10 test items" in out
    # every item is labeled: train closes as status does, not with the rules' "keep going"
    assert "nothing left to ask: every readable item is labeled" in out
    assert "keep going" not in out
    assert main(["status", str(project), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["rounds"] == 1 and status["accuracy_test_items"] == 10
    assert status["accuracy"] is not None and status["labels_since_latest_model"] == 0


def test_train_rescans_the_folder_as_status_says_it_does(tmp_path, pool, capsys) -> None:
    """status said "opening it, or aldesk train, rescans the folder", but train trained on the
    old scan and status went on saying the same: a deleted test file still counted."""
    import shutil

    folder, labels = pool
    copy = tmp_path / "pool"
    shutil.copytree(folder, copy)
    project = tmp_path / "p"
    assert main(["new", str(project), "--pool", str(copy), "--classes", DIGITS,
                 "--no-features", "--test-size", "10"]) == 0  # fmt: skip
    assert main(["import-labels", str(project), str(labels)]) == 0
    with ProjectStore.open(project, readonly="a test reads it") as store:
        test_file = next(it.relpath for it in store.items() if it.split == "test")
    (copy / test_file).unlink()
    capsys.readouterr()
    assert main(["train", str(project)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Pool rescanned: 1 missing file.\nRound 1 trained on 70 labels")
    assert "of 9 test items right" in out
    assert main(["status", str(project), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["changed_since_scan"], status["unreadable"]) == (0, 1)
    assert (status["test_items"], status["test_labeled"]) == (9, 10)
    assert status["test_labeled_on_missing_or_unreadable"] == 1
    assert main(["status", str(project)]) == 0  # the file is named ("missing or unreadable 1")
    assert (
        f"missing or unreadable 1\n  {test_file}: the file is no longer in the pool folder\n"
        in (capsys.readouterr().out)
    )


def test_train_says_in_a_log_that_it_extracts_features(tmp_path, pool, capsys) -> None:
    """A script's log stayed empty for minutes while features were extracted first."""
    project = tmp_path / "p"
    _labeled(project, pool)  # no features yet
    capsys.readouterr()
    assert main(["train", str(project)]) == 0
    lines = capsys.readouterr().err.splitlines()
    # each run is named: "features: 0/80 … 80/80" came twice, one run not told from the other
    assert "features (pool-learned): 0/80" in lines and "features (pool-learned): 80/80" in lines
    assert "features (pretrained encoder): 80/80" in lines
    assert len(lines) <= 6  # a start and an end per extractor, not a line per chunk


def test_a_folder_export_that_misses_files_exits_1(tmp_path, pool, capsys) -> None:
    import shutil

    folder, labels = pool
    copy = tmp_path / "pool"
    shutil.copytree(folder, copy)
    project = tmp_path / "p"
    assert main(["new", str(project), "--pool", str(copy), "--classes",
                 ",".join(str(d) for d in range(10)), "--no-features"]) == 0  # fmt: skip
    assert main(["import-labels", str(project), str(labels)]) == 0
    shutil.rmtree(copy)  # the pool folder is away: no file can be copied
    code = main(["export", str(project), "--format", "folders", "--out", str(tmp_path / "out")])
    assert code == 1 and "files could not be exported" in capsys.readouterr().out


def test_a_folder_export_leaves_out_files_replaced_since_the_last_scan(
    tmp_path, pool, capsys
) -> None:
    """A file replaced by another picture between sessions was copied into its old label's
    folder (the CSV export left it out): a training set with a wrong label, exit 0."""
    import csv
    import shutil

    folder, labels = pool
    copy = tmp_path / "pool"
    shutil.copytree(folder, copy)
    truth = {r["path"]: r["label"] for r in csv.DictReader(labels.open())}
    project = tmp_path / "p"
    assert main(["new", str(project), "--pool", str(copy), "--classes", DIGITS,
                 "--no-features"]) == 0  # fmt: skip
    assert main(["import-labels", str(project), str(labels)]) == 0
    victim, other = sorted(p for p in truth if truth[p] != truth[sorted(truth)[0]])[:1] + [
        sorted(truth)[0]]  # fmt: skip
    capsys.readouterr()
    assert main(["status", str(project), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["changed_since_scan"] == 0
    (copy / victim).write_bytes((copy / other).read_bytes())  # another class's picture
    out = tmp_path / "out"
    assert main(["export", str(project), "--format", "folders", "--out", str(out)]) == 0
    assert not (out / truth[victim] / Path(victim).name).exists()
    assert f"1 labeled item is missing or unreadable and was left out, e.g. {victim}" in (
        capsys.readouterr().out
    )
    # status says so too ("missing or unreadable 0" beside an export leaving a label out)
    assert main(["status", str(project), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["changed_since_scan"] == 1
    assert main(["status", str(project)]) == 0
    assert "  1 file deleted or changed since the project was last opened" in (
        capsys.readouterr().out
    )


def test_the_export_format_follows_the_files_ending(tmp_path, pool, capsys) -> None:
    """--out labels.json without --format was written as CSV."""
    folder, labels = pool
    project = tmp_path / "my project"
    assert main(["new", str(project), "--pool", str(folder), "--classes",
                 ",".join(str(d) for d in range(10)), "--no-features"]) == 0  # fmt: skip
    assert f"aldesk open '{project}.aldesk'" in capsys.readouterr().out  # pastes as one path
    assert main(["import-labels", str(project), str(labels)]) == 0
    out = tmp_path / "labels.json"
    assert main(["export", str(project), "--out", str(out)]) == 0
    assert len(json.loads(out.read_text())) == 80
    capsys.readouterr()
    assert main(["status", str(project)]) == 0
    assert "settings: scenario pool, strategy " in capsys.readouterr().out


def test_new_refuses_a_project_folder_whose_parent_does_not_exist(tmp_path, pool, capsys):
    folder, _ = pool
    code = main(["new", str(tmp_path / "no" / "such" / "p"), "--pool", str(folder),
                 "--classes", "a,b", "--no-features"])  # fmt: skip
    assert code == 2 and "that folder does not exist" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def test_an_export_into_a_pipe_writes_into_it(tmp_path, pool, capsys) -> None:
    """--out /dev/null as root replaced the device with a plain file (renamed over it); a
    device or pipe is written into, and stays what it is."""
    import stat
    import threading

    project = tmp_path / "p"
    _labeled(project, pool)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    assert main(["export", str(project), "--out", str(fifo)]) == 0
    reader.join(30)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert got and got[0].startswith("path,label,") and len(got[0].splitlines()) == 81


def test_an_export_through_a_link_to_stdout_keeps_the_link_and_the_csv_clean(
    tmp_path, pool, capsys
) -> None:
    """--out /dev/stdout with stdout redirected to a file renamed a file over the
    /dev/stdout link, and the "Wrote" line went into the CSV. A link of our own stands for
    it here (a regression must not break the machine's /dev/stdout)."""
    project = tmp_path / "p"
    _labeled(project, pool)
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    captured = tmp_path / "captured.csv"
    with captured.open("w") as out:
        done = subprocess.run([sys.executable, "-m", "aldesk", "export", str(project), "--out",
                               str(link)], stdout=out, stderr=subprocess.PIPE, text=True,
                              cwd=Path(__file__).parents[2], stdin=subprocess.DEVNULL)  # fmt: skip
    assert done.returncode == 0 and link.is_symlink()
    rows = captured.read_text().splitlines()
    assert rows[0].startswith("path,label,") and len(rows) == 81  # no "Wrote" line in it
    assert "Wrote 80 rows" in done.stderr


def test_a_class_name_with_a_comma_is_quoted_or_read_from_a_file(tmp_path, pool, capsys):
    """ "Oil lamp (Roman, volute nozzle)" became two classes, "Oil lamp (Roman" and
    "volute nozzle)", without a word."""
    folder, _ = pool
    quoted = '"Oil lamp (Roman, volute nozzle)", Scarab'
    assert main(["new", str(tmp_path / "a"), "--pool", str(folder), "--classes", quoted,
                 "--no-features"]) == 0  # fmt: skip
    names = tmp_path / "classes.txt"
    names.write_text("Oil lamp (Roman, volute nozzle)\nScarab\n\n")
    assert main(["new", str(tmp_path / "b"), "--pool", str(folder), "--classes",
                 f"@{names}", "--no-features"]) == 0  # fmt: skip
    for project in ("a", "b"):
        with ProjectStore.open(tmp_path / f"{project}.aldesk") as store:
            assert [c.name for c in store.classes()] == ["Oil lamp (Roman, volute nozzle)",
                                                          "Scarab"]  # fmt: skip
    code = main(["new", str(tmp_path / "c"), "--pool", str(folder), "--classes",
                 "Fibula,fibula", "--no-features"])  # fmt: skip
    assert code == 2 and "differ only in case" in capsys.readouterr().err


def test_a_class_list_with_line_breaks_is_one_name_a_line(tmp_path, pool):
    """``--classes "$(cat classes.txt)"`` of a file with Windows line ends was a csv traceback."""
    folder, _ = pool
    pasted = 'kick\r\nsnare,\r\n"tom, floor"\r\n\r\nclap\n'
    assert main(["new", str(tmp_path / "a"), "--pool", str(folder), "--classes", pasted,
                 "--no-features"]) == 0  # fmt: skip
    with ProjectStore.open(tmp_path / "a.aldesk") as store:
        assert [c.name for c in store.classes()] == ["kick", "snare", "tom, floor", "clap"]


def test_a_project_in_a_folder_one_cannot_write_names_that_folder(tmp_path, pool, capsys,
                                                                  monkeypatch):  # fmt: skip
    """`cd / && aldesk new x` said "Permission denied: .x.creating-24966.aldesk" (tests run as
    root, so the permission is simulated)."""
    import os

    from aldesk.core import project

    folder, _ = pool
    shut = tmp_path / "shut"
    shut.mkdir()
    monkeypatch.setattr(project.os, "access", lambda p, mode: os.fspath(p) != os.fspath(shut))
    code = main(["new", str(shut / "x"), "--pool", str(folder), "--classes", "a,b",
                 "--no-features"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and f"Cannot create x.aldesk in {shut}: you cannot write that folder" in err
    assert not list(shut.iterdir())


@pytest.mark.parametrize("text", ["\ufeffcat\nOil lamp, Roman\n", 'cat\r\n"Oil lamp, Roman",\r\n'])
def test_a_pasted_list_gives_the_classes_its_file_gives(tmp_path, pool, text) -> None:
    """`--classes "$(cat f)"` kept a Windows byte-order mark in the first name ("cat" was then
    a class the project lacked) and split "Oil lamp, Roman", which `@f` keeps whole."""
    folder, _ = pool
    listed = tmp_path / "classes.txt"
    listed.write_text(text, encoding="utf-8")
    for name, given in (("pasted", text), ("file", f"@{listed}")):
        assert main(["new", str(tmp_path / name), "--pool", str(folder), "--classes", given,
                     "--no-features"]) == 0  # fmt: skip
        with ProjectStore.open(tmp_path / f"{name}.aldesk") as store:
            assert [c.name for c in store.classes()] == ["cat", "Oil lamp, Roman"], name


def test_a_list_joined_from_a_windows_files_lines_gives_no_comma_names(tmp_path, pool) -> None:
    """`cut ... labels.csv | tr '\\n' ,` on a file with Windows line ends gives
    "apple\\r,basket\\r,button": read a name a line, the classes were "apple", ",basket"..."""
    folder, _ = pool
    assert main(["new", str(tmp_path / "p"), "--pool", str(folder), "--classes",
                 "apple\r,basket\r,button", "--no-features"]) == 0  # fmt: skip
    with ProjectStore.open(tmp_path / "p.aldesk") as store:
        assert [c.name for c in store.classes()] == ["apple", "basket", "button"]
