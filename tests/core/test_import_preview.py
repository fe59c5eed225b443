"""Importing labels with a preview of the merge: new / same / conflicting, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from aldesk.cli import main
from aldesk.core import interop
from aldesk.core.store import NewItem, ProjectStore

PATHS = ["a.png", "b.png", "c.png", "d.png"]


@pytest.fixture
def store(tmp_path: Path):
    pool = tmp_path / "pool"
    pool.mkdir()
    s = ProjectStore.create(tmp_path / "p", pool_root=pool, kind="image", classes=["cat", "dog"])
    s.add_items(
        NewItem(hash=f"h{i}", relpath=p, kind="image", size=1, mtime_ns=0, arrival=i)
        for i, p in enumerate(PATHS)
    )
    ids = {it.relpath: it.id for it in s.items()}
    s.record(ids["a.png"], "label", class_id=s.class_by_name("cat").id)
    s.record(ids["b.png"], "label", class_id=s.class_by_name("cat").id)
    yield s
    s.close()


@pytest.fixture
def labels_file(tmp_path: Path) -> Path:
    f = tmp_path / "in.csv"
    # a: same (case differs), b: conflicting, c: new, d: new in a class the project lacks
    f.write_text("path,label\na.png,CAT\nb.png,dog\nc.png,dog\nd.png,bird\nzz.png,cat\n")
    return f


def test_the_plan_counts_new_same_conflicting_and_unknowns(store, labels_file) -> None:
    events = len(store.events())
    plan = interop.plan_import(store, labels_file)
    assert (plan.new, plan.same, plan.conflicting) == (2, 1, 1)
    assert plan.unknown_paths == ["zz.png"] and plan.unknown_classes == ["bird"]
    assert "2 new, 1 same, 1 conflicting, 1 path not in the project" in plan.summary()
    assert len(store.events()) == events  # a preview writes nothing


def test_a_repeated_row_counts_once_and_a_contradicting_one_leaves_the_item_out(
    store, tmp_path
) -> None:
    f = tmp_path / "twice.csv"
    f.write_text("path,label\nc.png,dog\nc.png,dog\n")
    plan = interop.plan_import(store, f)
    assert (plan.new, plan.same, plan.conflicting, plan.contradictory) == (1, 0, 0, [])
    f.write_text("path,label\nc.png,dog\nc.png,dog\nc.png,cat\n")
    plan = interop.plan_import(store, f)
    assert (plan.new, plan.same, plan.conflicting) == (0, 0, 0)
    assert plan.contradictory == ["c.png: dog, cat"] and plan.labels == []


def test_applying_records_what_the_plan_said(store, labels_file) -> None:
    plan = interop.plan_import(store, labels_file)
    report = interop.import_labels(store, labels_file, add_classes=True)
    assert report.imported == plan.new + plan.conflicting and report.unchanged == plan.same
    names = {c.id: c.name for c in store.classes()}
    paths = {it.id: it.relpath for it in store.items()}
    got = {paths[i]: names[c] for i, c in store.labels().items()}
    assert got == {"a.png": "cat", "b.png": "dog", "c.png": "dog", "d.png": "bird"}


def test_cli_dry_run_prints_counts_and_writes_nothing(store, labels_file, capsys) -> None:
    project = store.path
    store.close()
    assert main(["import-labels", str(project), str(labels_file), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Dry run, nothing written: 2 new, 1 same, 1 conflicting")
    assert "--add-classes" in out
    with ProjectStore.open(project) as again:
        assert len(again.labels()) == 2 and len(again.classes()) == 2


def test_keep_existing_leaves_the_projects_label_where_the_file_differs(
    store, labels_file, capsys
) -> None:
    project = store.path
    store.close()
    args = ["import-labels", str(project), str(labels_file), "--add-classes"]
    assert main([*args, "--dry-run"]) == 0
    assert "b.png: cat → dog" in capsys.readouterr().out  # the conflict is named
    assert main([*args, "--keep-existing"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Imported 2 labels (1 unchanged; 1 of the project's kept where")
    with ProjectStore.open(project) as again:
        names = {c.id: c.name for c in again.classes()}
        paths = {it.id: it.relpath for it in again.items()}
        got = {paths[i]: names[c] for i, c in again.labels().items()}
    assert got == {"a.png": "cat", "b.png": "cat", "c.png": "dog", "d.png": "bird"}


def test_the_import_says_how_many_labels_it_replaced(store, labels_file, capsys) -> None:
    project = store.path
    store.close()
    assert main(["import-labels", str(project), str(labels_file), "--add-classes"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "Imported 3 labels (1 of them replaces a label given before; 1 unchanged)"
    )


def test_rows_with_no_label_are_counted(store, tmp_path, capsys) -> None:
    f = tmp_path / "export.csv"
    f.write_text("path,label,answer\nc.png,dog,label\nd.png,,\n")
    plan = interop.plan_import(store, f)
    assert plan.new == 1 and plan.unlabeled_rows == 1 and not plan.answers
    assert "1 row with no label (not imported)" in plan.summary()
    project = store.path
    store.close()
    assert main(["import-labels", str(project), str(f)]) == 0  # the import says it too
    assert "  1 row with no label (not imported)" in capsys.readouterr().out.splitlines()


def test_cant_label_and_skip_answers_are_imported_for_items_with_none(store, tmp_path) -> None:
    """An export's "can't label" rows were dropped: merging a colleague's project asked those
    items again."""
    f = tmp_path / "export.jsonl"
    f.write_text('{"path": "c.png", "label": null, "answer": "cannot_label"}\n'
                 '{"path": "d.png", "label": "", "answer": "skip"}\n'
                 '{"path": "b.png", "label": null, "answer": "skip"}\n')  # fmt: skip
    plan = interop.plan_import(store, f)
    assert "2 can't-label or skip answers for items with no answer" in plan.summary()
    assert plan.unlabeled_rows == 1  # b.png has a label here: it stays
    report = interop.import_labels(store, f)
    assert report.answers == 2 and "and 2 can't-label or skip answers" in report.result()
    ids = {it.relpath: it.id for it in store.items()}
    answers = store.answers()
    assert answers[ids["c.png"]].action == "cannot_label" and answers[ids["d.png"]].action == "skip"
    assert answers[ids["c.png"]].strategy == "import"
    assert store.labels()[ids["b.png"]] == store.class_by_name("cat").id


def test_a_class_renamed_in_the_files_copy_is_pointed_out(store, tmp_path) -> None:
    f = tmp_path / "renamed.csv"
    f.write_text("path,label\na.png,kitty\nb.png,kitty\nc.png,kitty\nd.png,bird\n")
    plan = interop.plan_import(store, f)
    assert plan.lookalikes == {"kitty": ("cat", 2, 3)}  # bird: no label here to go by
    assert "lacks: kitty (2 of its 3 items are “cat” here), bird" in plan.summary()


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_rows_held_out_otherwise_in_their_project_are_counted(store, tmp_path, capsys, suffix):
    """An export of a project with another test set was merged without a word: items held
    out there became training items here, and the reverse."""
    split = {it.relpath: it.split for it in store.items()}
    other = {"pool": "test", "test": "pool"}
    rows = [("c.png", "dog", other[split["c.png"]]), ("d.png", "cat", split["d.png"]),
            ("a.png", "cat", "")]  # fmt: skip
    f = tmp_path / f"export{suffix}"
    if suffix == ".csv":
        f.write_text("path,label,split\n" + "".join(f"{p},{lab},{s}\n" for p, lab, s in rows))
    else:
        f.write_text("".join(f'{{"path": "{p}", "label": "{lab}", "split": "{s}"}}\n'
                             for p, lab, s in rows))  # fmt: skip
    plan = interop.plan_import(store, f)
    assert plan.split_differs == 1
    assert "1 row held out as test items in one project and not in the other" in plan.summary()
    project = store.path
    store.close()
    assert main(["import-labels", str(project), str(f)]) == 0
    assert "(this project's split is kept)" in capsys.readouterr().out
    with ProjectStore.open(project) as again:
        assert {it.relpath: it.split for it in again.items()} == split  # nothing moved


def test_paths_written_on_another_machine_are_matched_by_their_end(store, tmp_path, capsys):
    """An absolute path into another mount of the same pool, a Windows path and a path that
    starts at the pool's parent matched nothing ("not in the project")."""
    f = tmp_path / "annotator.csv"
    f.write_text("path,label\n/media/usb/digits/c.png,dog\n"
                 "D:\\annot\\digits\\d.png,cat\ndigits/zz.png,cat\n")  # fmt: skip
    plan = interop.plan_import(store, f)
    assert plan.new == 2 and plan.unknown_paths == ["digits/zz.png"]  # no such file: named
    assert plan.by_tail == ["/media/usb/digits/c.png → c.png", "D:\\annot\\digits\\d.png → d.png"]
    assert "2 paths matched by their end, e.g. /media/usb/digits/c.png → c.png" in plan.summary()
    project = store.path
    store.close()
    assert main(["import-labels", str(project), str(f)]) == 0
    assert "  2 paths matched by their end" in capsys.readouterr().out


def test_the_rows_of_classes_the_project_lacks_can_be_left_out(store, tmp_path, capsys):
    f = tmp_path / "hand-edited.csv"
    f.write_text("path,label\nc.png,dog\nd.png,banana\nb.png,dog\n")
    project = store.path
    store.close()
    assert main(["import-labels", str(project), str(f)]) == 2  # refused whole, as before
    assert "--leave-out-unknown-classes" in capsys.readouterr().err
    assert main(["import-labels", str(project), str(f), "--dry-run",
                 "--leave-out-unknown-classes"]) == 0  # fmt: skip
    assert "1 label of classes the project lacks would be left out" in capsys.readouterr().out
    assert main(["import-labels", str(project), str(f), "--leave-out-unknown-classes"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Imported 2 labels (1 of them replaces a label given before")
    assert "  1 label of classes the project lacks left out" in out
    with ProjectStore.open(project) as again:
        names = {c.id: c.name for c in again.classes()}
        paths = {it.id: it.relpath for it in again.items()}
        assert {paths[i]: names[c] for i, c in again.labels().items()} == {
            "a.png": "cat", "b.png": "dog", "c.png": "dog"}  # fmt: skip
        assert "banana" not in names.values()


def test_bare_file_names_match_a_pool_in_sub_folders_when_unique(tmp_path) -> None:
    """A list of bare names (img_00000.png) matched nothing in a pool of sub-folders; a name
    found in two folders is not guessed."""
    pool = tmp_path / "pool"
    pool.mkdir()
    s = ProjectStore.create(tmp_path / "q", pool_root=pool, kind="image", classes=["cat", "dog"])
    paths = ["camA/img_1.png", "camB/img_2.png", "camA/dup.png", "camB/dup.png"]
    s.add_items(NewItem(hash=f"h{i}", relpath=p, kind="image", size=1, mtime_ns=0, arrival=i)
                for i, p in enumerate(paths))  # fmt: skip
    f = tmp_path / "names.csv"
    f.write_text("path,label,split\nimg_1.png,cat,TRAIN\nimg_2.png,dog,train\ndup.png,cat,\n")
    plan = interop.plan_import(s, f)
    assert plan.new == 2 and plan.unknown_paths == ["dup.png"]
    assert plan.by_tail == ["img_1.png → camA/img_1.png", "img_2.png → camB/img_2.png"]
    assert plan.split_differs == 0  # "train" is this project's pool
    s.close()


def test_a_windows_path_matches_whatever_its_case_unless_case_tells_files_apart(tmp_path):
    """`d:\\ANNOT\\...\\IMG_00000.PNG` was not matched to img_00000.png (Windows ignores case)."""
    pool = tmp_path / "pool"
    pool.mkdir()
    s = ProjectStore.create(tmp_path / "q", pool_root=pool, kind="image", classes=["cat", "dog"])
    paths = ["camA/img_1.png", "camB/Pic.png", "camB/pic.png"]
    s.add_items(NewItem(hash=f"h{i}", relpath=p, kind="image", size=1, mtime_ns=0, arrival=i)
                for i, p in enumerate(paths))  # fmt: skip
    f = tmp_path / "win.csv"
    f.write_text("path,label\nd:\\ANNOT\\CAMA\\IMG_1.PNG,cat\nCAMB/PIC.PNG,dog\n")
    plan = interop.plan_import(s, f)
    assert plan.by_tail == ["d:\\ANNOT\\CAMA\\IMG_1.PNG → camA/img_1.png"]
    assert plan.unknown_paths == ["CAMB/PIC.PNG"]  # two files differ by case only: not guessed
    s.close()
