"""Issue 12 points 11 and 12: bad arguments and hostile labels files are refused up front, in
one line, exit code 2; nothing is created and nothing hangs."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from aldesk.cli import main
from aldesk.core import labels_file
from aldesk.core.errors import BadLabelsFile
from tests.core.pool_files import write_png


@pytest.fixture
def pool(tmp_path: Path) -> Path:
    for i in range(6):
        write_png(tmp_path / "pool" / f"{i}.png", value=30 * i)
    (tmp_path / "labels.csv").write_text(
        "path,label\n" + "".join(f"{i}.png,{'ab'[i % 2]}\n" for i in range(6))
    )
    return tmp_path / "pool"


NEW_BAD = [
    (["--budget", "-1"], "--budget: -1 is out of range"),
    (["--budget", "0"], "--budget: 0 is out of range"),
    (["--target-accuracy", "2"], "--target-accuracy: 2 is out of range"),
    (["--target-accuracy", "-1"], "--target-accuracy: -1 is out of range"),
    (["--target-accuracy", "nan"], "--target-accuracy: nan is out of range"),
    (["--target-accuracy", "x"], "--target-accuracy: 'x' is not a number"),
    (["--batch", str(10**20)], "--batch: 100000000000000000000 is out of range"),
    (["--batch", "0"], "--batch: 0 is out of range"),
    (["--seed-size", "-3"], "--seed-size: -3 is out of range"),
    (["--test-size", "-1"], "--test-size: -1 is out of range"),
]


@pytest.mark.parametrize(("extra", "message"), NEW_BAD)
def test_new_refuses_bad_numbers_before_any_work(pool, tmp_path, capsys, extra, message) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["new", str(tmp_path / "p"), "--pool", str(pool), "--classes", "a,b", *extra])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "p.aldesk").exists()


SIMULATE_BAD = [
    (["--budget", "-1"], "--budget: -1 is out of range"),
    (["--test-fraction", "1.5"], "--test-fraction: 1.5 is out of range"),
    (["--test-fraction", "-0.2"], "--test-fraction: -0.2 is out of range"),
    (["--test-fraction", "1"], "--test-fraction: 1 is out of range"),
    (["--repeats", "0"], "--repeats: 0 is out of range"),
]


@pytest.mark.parametrize(("extra", "message"), SIMULATE_BAD)
def test_simulate_refuses_bad_numbers(pool, tmp_path, capsys, extra, message) -> None:
    args = ["simulate", "--pool", str(pool), "--oracle", str(tmp_path / "labels.csv")]
    with pytest.raises(SystemExit) as exit_:
        main([*args, "--budget", "5", "--out", str(tmp_path / "c.json"), *extra])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_simulate_checks_its_output_folder_before_the_run(pool, tmp_path, capsys, monkeypatch):
    from aldesk.core import simulate

    monkeypatch.setattr(simulate, "simulate", lambda *a, **k: pytest.fail("the run started"))
    args = ["simulate", "--pool", str(pool), "--oracle", str(tmp_path / "labels.csv")]
    assert main([*args, "--budget", "5", "--out", str(tmp_path / "no/dir/c.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the folder" in err and "does not exist" in err


def test_export_checks_its_output_before_training(pool, tmp_path, capsys) -> None:
    assert main(["new", str(tmp_path / "p"), "--pool", str(pool), "--classes", "a,b",
                 "--no-features"]) == 0  # fmt: skip
    capsys.readouterr()
    out = tmp_path / "a-folder"
    out.mkdir()
    assert main(["export", str(tmp_path / "p"), "--out", str(out), "--predictions"]) == 2
    assert "it is a folder" in capsys.readouterr().err


# ------------------------------------------------------------------ hostile labels files


def test_deeply_nested_json_is_one_clear_error(tmp_path: Path) -> None:
    src = tmp_path / "deep.json"
    src.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(BadLabelsFile, match="nested too deeply"):
        labels_file.read_rows(src)


def test_an_endless_file_is_refused_without_reading_it() -> None:
    with pytest.raises(BadLabelsFile, match="not a regular file"):
        labels_file.read_rows("/dev/zero")


def test_a_file_over_the_size_cap_is_refused(tmp_path: Path, monkeypatch) -> None:
    src = tmp_path / "big.csv"
    src.write_text("path,label\n" + "a.png,b\n" * 100)
    monkeypatch.setattr(labels_file, "MAX_LABELS_BYTES", 200)
    with pytest.raises(BadLabelsFile, match="larger than"):
        labels_file.read_rows(src)


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadLabelsFile, match="is a folder"):
        labels_file.read_rows(tmp_path)


def test_a_fifo_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "labels.csv"
    os.mkfifo(fifo)
    outcome: list[object] = []

    def read() -> None:
        try:
            outcome.append(labels_file.read_rows(fifo))
        except BadLabelsFile as exc:
            outcome.append(exc)

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # open the other end so the blocked reader returns, then fail
        with open(fifo, "wb"):
            pass
        worker.join()
        pytest.fail("reading a FIFO blocked")
    assert isinstance(outcome[0], BadLabelsFile) and "not a regular file" in str(outcome[0])


def test_a_large_json_file_is_read_in_linear_time(tmp_path: Path) -> None:
    # Slicing the rest of the text for every element made 20,000 rows take minutes.
    src = tmp_path / "many.json"
    rows = ",\n".join(f'{{"path": "d/{i}.png", "label": "x"}}' for i in range(20_000))
    src.write_text(f"[\n{rows}\n]\n")
    read = labels_file.read_rows(src)
    assert len(read) == 20_000 and read[-1].line == 20_001


@pytest.mark.parametrize("source", ["/dev/zero", "deep"])
def test_cli_import_labels_says_it_in_one_line(pool, tmp_path, capsys, source) -> None:
    assert main(["new", str(tmp_path / "p"), "--pool", str(pool), "--classes", "a,b",
                 "--no-features"]) == 0  # fmt: skip
    capsys.readouterr()
    if source == "deep":
        source = tmp_path / "deep.json"
        source.write_text("[" * 100_000)
    assert main(["import-labels", str(tmp_path / "p"), str(source)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("aldesk: ")
