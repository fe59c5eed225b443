"""Labels from folder names: a pool partly sorted by hand into a folder per class."""

from __future__ import annotations

from pathlib import Path

import pytest

from aldesk import cli
from aldesk.core.folder_labels import import_folder_labels, plan_folder_import
from aldesk.core.store import NewItem, ProjectStore

PATHS = ["Rust/a.png", "Rust/b.png", "healthy/c.png", "unsorted/d.png", "unsorted/e.png",
         "misc/f.png", "top.png", "2019/healthy/g.png", "healthy/bad.png"]  # fmt: skip


@pytest.fixture
def store(tmp_path: Path):
    pool = tmp_path / "pool"
    pool.mkdir()
    s = ProjectStore.create(tmp_path / "p.aldesk", pool_root=pool, kind="image",
                            classes=["rust", "healthy", "mildew"])  # fmt: skip
    s.add_items(
        NewItem(f"h{i}", p, "image", 1, 0, arrival=i,
                **({"status": "unreadable", "reason": "truncated file"} if "bad" in p else {}))
        for i, p in enumerate(PATHS)
    )  # fmt: skip
    yield s
    s.close()


def labels_by_path(store: ProjectStore) -> dict[str, str]:
    names = {c.id: c.name for c in store.classes()}
    paths = {it.id: it.relpath for it in store.items()}
    return {paths[i]: names[c] for i, c in store.labels().items()}


def test_files_in_class_named_folders_get_that_class(store: ProjectStore) -> None:
    before = labels_by_path(store)
    plan = plan_folder_import(store)
    assert labels_by_path(store) == before == {}  # the plan writes nothing
    assert plan.other_folders == {"unsorted": 2, "misc": 1}
    assert plan.plan.unreadable == ["healthy/bad.png"]
    import_folder_labels(store)
    assert labels_by_path(store) == {  # case-insensitive; the folder a file is directly in
        "Rust/a.png": "rust", "Rust/b.png": "rust", "healthy/c.png": "healthy",
        "2019/healthy/g.png": "healthy",
    }  # fmt: skip
    assert "left unlabeled, in folders that are not classes: unsorted (2), misc (1)" in (
        plan.summary()
    )


def test_a_second_import_changes_nothing(store: ProjectStore) -> None:
    import_folder_labels(store)
    again = import_folder_labels(store)
    assert again.plan.labels == [] and again.plan.same == 4


def test_add_classes_makes_every_folder_a_class(store: ProjectStore) -> None:
    import_folder_labels(store, add_classes=True)
    got = labels_by_path(store)
    assert got["unsorted/d.png"] == "unsorted" and got["misc/f.png"] == "misc"
    assert "top.png" not in got
    assert {c.name for c in store.classes()} >= {"unsorted", "misc", "rust", "healthy"}


def test_cli_imports_folder_names_and_refuses_a_file_and_the_flag_together(
    store: ProjectStore, tmp_path: Path, capsys
) -> None:
    path = store.path
    store.close()
    assert cli.main(["import-labels", str(path), "--from-folders", "--dry-run"]) == 0
    assert "Dry run, nothing written: 4 new" in capsys.readouterr().out
    assert cli.main(["import-labels", str(path), "--from-folders"]) == 0
    assert "Imported 4 labels from folder names" in capsys.readouterr().out
    assert cli.main(["import-labels", str(path)]) != 0
    assert "Give a labels file or --from-folders" in capsys.readouterr().err
    with ProjectStore.open(path) as reopened:
        assert len(reopened.labels()) == 4


def test_new_says_when_files_already_sit_in_class_folders(tmp_path: Path, capsys) -> None:
    import numpy as np
    from PIL import Image

    pool = tmp_path / "pool"
    for i, folder in enumerate(["rust", "rust", "unsorted", ""]):
        (pool / folder).mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((8, 8), i * 40, np.uint8)).save(pool / folder / f"f{i}.png")
    project = tmp_path / "p.aldesk"
    args = ["new", str(project), "--pool", str(pool), "--classes", "Rust,healthy", "--no-features"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert (
        f"2 files are in folders named like classes: label them with: aldesk import-labels {project} --from-folders"
        in out
    )
