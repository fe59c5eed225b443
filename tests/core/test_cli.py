"""The command line: exit codes, one-line errors, and the commands on a generated pool."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aldesk.cli import main
from aldesk.core.demo import make_demo_pool
from aldesk.core.store import ProjectStore


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cli")
    make_demo_pool("images", root / "pool", labels_out=root / "labels.csv", per_class=8)
    return root / "pool", root / "labels.csv"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aldesk", *args], cwd=cwd,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["new", "p", "--pool", "/no/such/folder", "--classes", "a,b"], "does not exist"),
        (["status", "nothing-here"], "No aldesk project"),
        (["new", "p", "--pool", ".", "--classes", "a,b"], "no image or audio"),
        (["new", "p", "--pool", ".", "--classes", " , "], "at least two classes"),
        (["new", "p", "--pool", ".", "--classes", "cat"], "Give a second class"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(tmp_path, args, message) -> None:
    out = _run(*args, cwd=tmp_path)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_new_status_import_export_round_trip(tmp_path, pool, capsys) -> None:
    folder, labels = pool
    project = tmp_path / "digits"
    assert main(["new", str(project), "--pool", str(folder), "--classes",
                 ",".join(str(d) for d in range(10)), "--test-size", "10"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "10 test items held out" in out and "rather than" not in out
    assert main(["new", str(project), "--pool", str(folder), "--classes", "a,b"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["import-labels", str(project), str(labels)]) == 0
    capsys.readouterr()
    assert main(["status", str(project) + ".aldesk", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["labeled"] + status["test_labeled"] == 80
    assert status["left_to_ask"] == 0 and status["finished"]  # what a polling script reads
    assert sum(status["per_class"].values()) == 80
    out = tmp_path / "labels.csv"
    assert main(["export", str(project), "--format", "csv", "--out", str(out)]) == 0
    with out.open() as f, labels.open() as g:
        exported = {r["path"]: r["label"] for r in csv.DictReader(f)}
        truth = {r["path"]: r["label"] for r in csv.DictReader(g)}
    assert exported == truth


def test_export_with_predictions_covers_unlabeled_items(tmp_path, pool, capsys) -> None:
    folder, labels = pool
    project = tmp_path / "p"
    main(["new", str(project), "--pool", str(folder), "--classes",
          ",".join(str(d) for d in range(10)), "--test-size", "0"])  # fmt: skip
    rows = labels.read_text().splitlines()
    part = tmp_path / "part.csv"
    part.write_text("\n".join(rows[:41]) + "\n")  # header + 40 labels
    main(["import-labels", str(project), str(part)])
    out = tmp_path / "pred.json"
    assert main(["export", str(project), "--format", "json", "--out", str(out),
                 "--predictions"]) == 0  # fmt: skip
    data = json.loads(out.read_text())
    unlabeled = [r for r in data if not r["label"]]
    assert len(unlabeled) == 40
    assert all(r["prediction"] in {str(d) for d in range(10)} for r in unlabeled)
    truth = dict(line.split(",") for line in rows[1:])
    right = sum(r["prediction"] == truth[r["path"]] for r in unlabeled)
    assert right / len(unlabeled) > 0.5  # ten classes: chance is 0.1


def test_import_with_unknown_class_exits_2(tmp_path, pool, capsys) -> None:
    folder, _ = pool
    main(["new", str(tmp_path / "p"), "--pool", str(folder), "--classes", "a,b", "--no-features"])
    bad = tmp_path / "bad.csv"
    bad.write_text("path,label\ndigit_0000.png,zebra\n")
    assert main(["import-labels", str(tmp_path / "p"), str(bad)]) == 2
    assert "zebra" in capsys.readouterr().err


def test_import_names_the_items_its_rows_label_two_ways(tmp_path, pool, capsys) -> None:
    folder, labels = pool
    rows = labels.read_text().splitlines()
    first = rows[1].split(",")[0]
    twice = tmp_path / "twice.csv"
    twice.write_text("\n".join([*rows, f"{first},zzz-other"]) + "\n")
    main(["new", str(tmp_path / "p"), "--pool", str(folder), "--classes",
          ",".join(str(d) for d in range(10)) + ",zzz-other", "--no-features"])  # fmt: skip
    said = capsys.readouterr().out  # the default 50 test items, from 80 files: a fifth
    assert (
        "16 test items held out (never trained on: they measure the model), rather than 50 (--test-size)"
        in said
    )
    assert main(["import-labels", str(tmp_path / "p"), str(twice)]) == 0
    out = capsys.readouterr().out
    assert f"Imported {len(rows) - 2} labels" in out
    assert "1 item left out: rows of the file give it different labels" in out
    assert f"    {first}: " in out


def test_open_project_is_read_by_status_and_export_but_not_written(tmp_path, pool, capsys):
    """While the app holds the project, readers work (WAL snapshot); writers are refused."""
    folder, _ = pool
    main(["new", str(tmp_path / "p"), "--pool", str(folder), "--classes", "a,b", "--no-features"])
    capsys.readouterr()
    with ProjectStore.open(tmp_path / "p") as app:
        first = app.items()[0]
        app.record(first.id, "label", class_id=app.class_by_name("b").id)
        assert main(["status", str(tmp_path / "p")]) == 0
        assert "labeled 1 of" in capsys.readouterr().out
        out = tmp_path / "labels.csv"
        assert main(["export", str(tmp_path / "p"), "--out", str(out)]) == 0
        assert f"{first.relpath},b," in out.read_text()
        assert main(["import-labels", str(tmp_path / "p"), str(out)]) == 2
        assert "already open" in capsys.readouterr().err


def test_simulate_writes_the_curve_file(tmp_path, pool, capsys) -> None:
    folder, labels = pool
    out = tmp_path / "curve.json"
    assert main(["simulate", "--pool", str(folder), "--oracle", str(labels), "--strategy",
                 "margin", "--budget", "30", "--batch", "5", "--out", str(out)]) == 0  # fmt: skip
    curve = json.loads(out.read_text())
    for key in ("strategy", "mode", "n_items", "classes", "features", "budget", "batch",
                "full_accuracy", "runs"):  # fmt: skip
        assert key in curve
    run = curve["runs"][0]
    assert run["n_labels"] == sorted(run["n_labels"]) and run["n_labels"][-1] <= 30
    assert len(run["accuracy"]) == len(run["macro_f1"]) == len(run["round_seconds"])
    assert len(run["stop_advised"]) == len(run["accuracy"])
    assert "stopping advice: " in capsys.readouterr().out
    assert curve["n_items"] == 80 and curve["classes"] == [str(d) for d in range(10)]


def test_simulate_refuses_a_bad_setting_before_extracting_features(tmp_path, pool, capsys):
    folder, labels = pool
    code = main(["simulate", "--pool", str(folder), "--oracle", str(labels), "--strategy",
                 "marginal", "--budget", "30", "--out", str(tmp_path / "curve.json")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "Unknown strategy 'marginal'" in err
    assert "features" not in err  # no extraction was started (it logs the features it made)


def test_simulate_without_test_items_says_nothing_was_measured(tmp_path, pool, capsys) -> None:
    folder, labels = pool
    out = tmp_path / "curve.json"
    assert main(["simulate", "--pool", str(folder), "--oracle", str(labels), "--budget", "20",
                 "--test-fraction", "0", "--out", str(out)]) == 0  # fmt: skip
    assert "final accuracy not measured (no test items" in capsys.readouterr().out
    assert json.loads(out.read_text())["full_accuracy"] is None
    assert main(["simulate", "--pool", str(folder), "--oracle", str(labels), "--budget", "20",
                 "--out", str(out)]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert " on 16 test items; with every pool item labeled 0." in text


def test_export_never_writes_into_a_project_folder(tmp_path, pool, capsys) -> None:
    """--out project.aldesk/project.sqlite destroyed the project it exported."""
    folder, labels = pool
    project = tmp_path / "p.aldesk"
    assert main(["new", str(project), "--pool", str(folder), "--classes", "a,b",
                 "--no-features"]) == 0  # fmt: skip
    db = project / "project.sqlite"
    before = db.read_bytes()
    capsys.readouterr()
    assert main(["export", str(project), "--out", str(db)]) == 2
    assert "inside the project folder" in capsys.readouterr().err
    assert db.read_bytes() == before
    assert main(["export", str(project), "--format", "folders", "--out",
                 str(project / "out")]) == 2  # fmt: skip
    assert not (project / "out").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["status", "."], "No aldesk project at /"),
        (["export", "", "--out", "a.csv"], "no project path given"),
        (["new", "p", "--pool", "", "--classes", "a,b"], "no folder given"),
        (["staus", "p"], "unknown command 'staus': did you mean status?"),
        (["new", "p", "--pool", ".", "--classes", "a,b", "--budget", "-1"], "out of range"),
    ],
)
def test_bad_arguments_are_one_line(tmp_path, args, message) -> None:
    out = _run(*args, cwd=tmp_path)
    assert out.returncode == 2 and message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_simulate_defaults_to_the_apps_batch(tmp_path, pool) -> None:
    from aldesk.core.project import ProjectSettings

    folder, labels = pool
    out = tmp_path / "curve.json"
    assert main(["simulate", "--pool", str(folder), "--oracle", str(labels),
                 "--budget", "20", "--out", str(out)]) == 0  # fmt: skip
    assert json.loads(out.read_text())["batch"] == ProjectSettings().batch


def test_help_names_every_strategy_and_model() -> None:
    from aldesk import cli
    from aldesk.core.learner import MODELS
    from aldesk.core.strategies import POOL_STRATEGIES

    assert all(name in cli.STRATEGY_HELP for name in POOL_STRATEGIES)
    assert set(cli.MODELS) == set(MODELS)


def test_simulate_says_when_the_stopping_advice_would_have_stopped(capsys) -> None:
    from aldesk.commands import _stop_advice_summary
    from aldesk.core.simulate import first_stop_advice

    said = {"n_labels": [10, 15, 20, 25], "accuracy": [0.5, 0.6, 0.7, 0.72],
            "stop_advised": [False, False, True, True]}  # fmt: skip
    never = {"n_labels": [10, 15], "accuracy": [0.5, 0.6], "stop_advised": [False, False]}
    assert first_stop_advice(said) == (20, 0.7) and first_stop_advice(never) is None
    assert _stop_advice_summary([said, never]) == (
        "stopping advice: said stop in 1 of 2 runs, after 20 labels, test accuracy there 0.700"
    )  # not "a median" of one run
    later = {**said, "stop_advised": [False, True, True, True]}  # at 15
    assert "after a median of 18 labels" in _stop_advice_summary([said, later])  # not 17.5
    assert "never said stop" in _stop_advice_summary([never])
    assert "said stop in 1 of 1 run," in _stop_advice_summary([said])  # not "1 of 1 runs"


def test_gui_commands_without_a_display_explain_instead_of_aborting(tmp_path) -> None:
    import os

    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}  # fmt: skip
    out = subprocess.run([sys.executable, "-m", "aldesk", "demo"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, stdin=subprocess.DEVNULL)  # fmt: skip
    assert out.returncode == 2
    assert "No display found" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("args", "code"),
    # 141, as a Unix command killed by SIGPIPE; argparse's own output may end either way (3.11.7
    # ignores its failed write and exits 0, Debian's 3.11.2 leaves it to our flush: 141)
    [(["status", "p"], {141}), (["--version"], {0, 141}), (["--help"], {0, 141})],
)
def test_output_to_a_reader_that_has_gone_ends_quietly(tmp_path, pool, args, code) -> None:
    # `aldesk status p | head -1`: head exits, the next write fails with EPIPE
    folder, _labels = pool
    main(["new", str(tmp_path / "p"), "--pool", str(folder), "--classes",
          ",".join(str(d) for d in range(10)), "--no-features"])  # fmt: skip
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, "-m", "aldesk", *args], cwd=tmp_path,
                              stdout=write_end, stderr=subprocess.PIPE, text=True,
                              stdin=subprocess.DEVNULL, timeout=120)  # fmt: skip
    finally:
        os.close(write_end)
    assert done.returncode in code
    assert done.stderr == ""  # no traceback, no "Broken pipe" error


def test_a_stream_project_takes_its_share_of_arrivals(tmp_path, pool, capsys) -> None:
    folder, _ = pool
    project = tmp_path / "s"
    assert main(["new", str(project), "--pool", str(folder), "--classes",
                 ",".join(str(d) for d in range(10)), "--scenario", "stream",
                 "--stream-share", "0.35", "--no-features"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["status", str(project), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["stream_share"] == 0.35
    with pytest.raises(SystemExit) as refused:  # argparse's usage error, one line
        main(["new", str(tmp_path / "t"), "--pool", str(folder), "--classes", "a,b",
              "--stream-share", "0"])  # fmt: skip
    assert refused.value.code == 2 and "out of range" in capsys.readouterr().err


def test_simulate_says_a_stream_does_not_use_the_strategy(tmp_path, pool, capsys) -> None:
    folder, labels = pool
    out = tmp_path / "curve.json"
    assert main(["simulate", "--pool", str(folder), "--oracle", str(labels), "--budget", "12",
                 "--mode", "stream", "--strategy", "margin", "--out", str(out)]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "a stream asks by its threshold; --strategy margin is not used" in err
    # aldesk new said nothing of the same strategy on a stream project
    assert main(["new", str(tmp_path / "s"), "--pool", str(folder), "--classes", "a,b",
                 "--scenario", "stream", "--strategy", "margin", "--no-features"]) == 0  # fmt: skip
    assert "a stream asks by its threshold; --strategy margin is not used" in (
        capsys.readouterr().err
    )


def test_a_folder_named_aldesk_in_the_working_directory_does_not_shadow_the_app(tmp_path) -> None:
    """Run from the folder holding the clone (~ after `git clone`), the feature workers, which
    start as `python -c`, imported the clone's folder as an empty package and crashed; the
    photos they were reading were marked unreadable for good."""
    (tmp_path / "aldesk" / "aldesk").mkdir(parents=True)  # a clone of the repository
    out = subprocess.run([sys.executable, "-c", "import aldesk; print(aldesk.__version__)"],
                         cwd=tmp_path, capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 0, out.stderr[-300:]
