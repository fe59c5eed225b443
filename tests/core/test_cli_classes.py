"""The command line on class lists and oracles: classes past the free keys, and copies of
one content an oracle labels two ways."""

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


def test_simulate_leaves_out_a_content_whose_copies_the_oracle_labels_differently(
    tmp_path, pool, capsys
):
    """Two byte-identical files with different labels were one item with the first path's
    label, unsaid (import-labels names them and leaves them out)."""
    import shutil

    folder, labels = pool
    copy = tmp_path / "pool"
    shutil.copytree(folder, copy)
    rows = labels.read_text().splitlines()
    first, label = rows[1].split(",")
    other = next(r.split(",")[1] for r in rows[2:] if r.split(",")[1] != label)
    shutil.copy(copy / first, copy / "twin.png")
    oracle = tmp_path / "labels.csv"
    oracle.write_text("\n".join([*rows, f"twin.png,{other}"]) + "\n")
    out = tmp_path / "curve.json"
    assert main(["simulate", "--pool", str(copy), "--oracle", str(oracle), "--budget", "20",
                 "--out", str(out)]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "1 file the oracle labels two ways left out:" in err
    assert f"({label})" in err and f"twin.png ({other})" in err
    assert json.loads(out.read_text())["n_items"] == 79


def test_new_says_which_classes_have_no_key_and_how_to_pick_them(tmp_path, pool, capsys):
    folder, _labels = pool
    names = [*"ABCDEFGHIJKLMNOPQRSTUVWXYZ", *"0123456789", "animals"]
    (tmp_path / "classes.txt").write_text("\n".join(names) + "\n")
    assert main(["new", str(tmp_path / "p.aldesk"), "--pool", str(folder),
                 "--classes", f"@{tmp_path / 'classes.txt'}", "--no-features"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "6 classes with no key (e.g. L): “/” in the window picks a class by name." in out


def test_a_synthesis_project_takes_how_often_a_blend_is_asked(tmp_path) -> None:
    """One blend in N items could only be set in the window's New project dialog."""
    from aldesk.core.demo import make_demo_pool
    from aldesk.core.project import ProjectSettings
    from aldesk.core.store import ProjectStore

    folder = tmp_path / "pool"
    make_demo_pool("images", folder, per_class=2)
    project = tmp_path / "s"
    assert main(["new", str(project), "--pool", str(folder), "--classes",
                 ",".join(str(d) for d in range(10)), "--scenario", "synthesis",
                 "--synthesis-every", "3", "--no-features"]) == 0  # fmt: skip
    with ProjectStore.open(project.with_suffix(".aldesk")) as store:
        assert ProjectSettings.from_store(store).synthesis_every == 3
