"""Tests of aldesk.core.interop: label export/import (CSV, JSON) and the simulator's oracle file."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest

from aldesk.core import interop
from aldesk.core.errors import AldeskError, BadLabelsFile, UnknownClass
from aldesk.core.store import NewItem, ProjectStore

PATHS = ["a.png", "b.png", "sub/c.png", "sub/d.png"]


def make_store(where: Path, classes: list[str] | None = None) -> ProjectStore:
    pool_root = where.parent / "pool"
    pool_root.mkdir(exist_ok=True)
    store = ProjectStore.create(
        where, pool_root=pool_root, kind="image", classes=classes or ["cat", "dog"]
    )
    store.add_items(
        NewItem(hash=f"h{i}", relpath=p, kind="image", size=1, mtime_ns=0, arrival=i)
        for i, p in enumerate(PATHS)
    )
    return store


@pytest.fixture
def store(tmp_path: Path):
    s = make_store(tmp_path / "one")
    yield s
    s.close()


@pytest.fixture
def other(tmp_path: Path):
    s = make_store(tmp_path / "two")
    yield s
    s.close()


def ids(store: ProjectStore) -> dict[str, int]:
    return {it.relpath: it.id for it in store.items()}


def label(store: ProjectStore, relpath: str, name: str) -> None:
    store.record(ids(store)[relpath], "label", class_id=store.class_by_name(name).id)


def labels_by_path(store: ProjectStore) -> dict[str, str]:
    names = {c.id: c.name for c in store.classes()}
    paths = {it.id: it.relpath for it in store.items()}
    return {paths[i]: names[c] for i, c in store.labels().items()}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ export


def test_export_csv_has_labelled_items_only(store: ProjectStore, tmp_path: Path) -> None:
    label(store, "b.png", "dog")
    label(store, "a.png", "cat")
    out = tmp_path / "labels.csv"

    assert interop.export_labels(store, out) == 2

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["path"], r["label"], r["split"]) for r in rows] == [
        ("a.png", "cat", "pool"),
        ("b.png", "dog", "pool"),
    ]
    assert list(rows[0]) == ["path", "label", "split", "source", "answered_at", "answer", "sha256"]
    assert rows[0]["answered_at"].endswith("+00:00")


def test_export_with_predictions_adds_every_unlabelled_item(
    store: ProjectStore, tmp_path: Path
) -> None:
    label(store, "a.png", "cat")
    by_path = ids(store)
    store.update_item(by_path["sub/d.png"], status="missing")
    predictions = {
        by_path["b.png"]: (np.str_("dog"), np.float32(0.75)),  # as a model may return them
        by_path["sub/c.png"]: ("cat", 0.5),
    }
    out = tmp_path / "labels.json"

    interop.export_labels(store, out, fmt="json", predictions=predictions)

    rows = json.loads(out.read_text(encoding="utf-8"))
    assert [(r["path"], r["label"], r["prediction"], r["confidence"]) for r in rows] == [
        ("a.png", "cat", None, None),
        ("b.png", None, "dog", 0.75),
        ("sub/c.png", None, "cat", 0.5),
    ]


def test_every_copy_of_a_file_gets_its_row(store: ProjectStore, tmp_path: Path) -> None:
    """Copies of one content are one item: the export named one of them only, so joining it
    back to the folder's files lost the others' label."""
    store.set_item_paths(ids(store)["b.png"], ["b.png", "copies/b.png", "z/b again.png"])
    label(store, "b.png", "dog")
    label(store, "a.png", "cat")
    out = tmp_path / "out.csv"

    assert interop.export_labels(store, out) == 4
    assert interop.copy_rows(store, predictions=False) == 2  # what makes 4 rows of 2 labels
    with out.open(newline="") as f:
        rows = [(r["path"], r["label"]) for r in csv.DictReader(f)]
    assert rows == [("a.png", "cat"), ("b.png", "dog"), ("copies/b.png", "dog"),
                    ("z/b again.png", "dog")]  # fmt: skip


def test_cant_label_and_skip_answers_have_their_rows(store: ProjectStore, tmp_path: Path) -> None:
    """A "can't label" answer is the expert's word on an item: the export dropped it, and with
    predictions the item read as one never seen."""
    label(store, "a.png", "cat")
    store.record(ids(store)["b.png"], "cannot_label")
    store.record(ids(store)["sub/c.png"], "skip")
    out = tmp_path / "out.csv"

    assert interop.export_labels(store, out) == 3
    with out.open(newline="") as f:
        rows = {r["path"]: (r["label"], r["answer"], r["source"]) for r in csv.DictReader(f)}
    assert rows == {"a.png": ("cat", "label", "user"), "b.png": ("", "cannot_label", "user"),
                    "sub/c.png": ("", "skip", "user")}  # fmt: skip
    assert interop.plan_import(store, out).new == 0  # only labels are imported back
    store.record(ids(store)["sub/d.png"], "discard", strategy="stream")
    interop.export_labels(store, out, predictions={ids(store)["sub/d.png"]: ("dog", 0.9)})
    with out.open(newline="") as f:
        passed = next(r for r in csv.DictReader(f) if r["path"] == "sub/d.png")
    assert (passed["answer"], passed["source"]) == ("discard", "stream")  # it said "user"


def test_a_label_on_a_file_gone_since_has_no_row(store: ProjectStore, tmp_path: Path) -> None:
    """A file replaced under its name is a new item; the old one is missing. Its row named the
    path that now holds other content, with the old label: a wrong label, silently."""
    label(store, "a.png", "cat")
    label(store, "b.png", "dog")
    store.update_item(ids(store)["a.png"], status="missing")
    out = tmp_path / "out.csv"

    assert interop.export_labels(store, out) == 1
    with out.open(newline="") as f:
        assert [(r["path"], r["label"]) for r in csv.DictReader(f)] == [("b.png", "dog")]
    assert interop.labels_left_out(store) == 1  # said in the message: the project keeps it
    assert "1 label on files deleted or replaced" in interop.left_out_text(1)
    assert len(store.labels()) == 2


def test_export_replaces_the_file_atomically(
    store: ProjectStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    label(store, "a.png", "cat")
    out = write(tmp_path / "labels.csv", "previous export\n")

    def crash(src: str, dst: str) -> None:
        raise OSError("disk yanked")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(AldeskError, match="disk yanked"):
        interop.export_labels(store, out)

    assert out.read_text(encoding="utf-8") == "previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["labels.csv"]


# ------------------------------------------------------------------ round trip


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_import_round_trip(
    store: ProjectStore, other: ProjectStore, tmp_path: Path, fmt: str
) -> None:
    label(store, "a.png", "cat")
    label(store, "sub/c.png", "dog")
    label(other, "a.png", "dog")  # import overrides a different label
    out = tmp_path / f"labels.{fmt}"
    interop.export_labels(store, out, fmt=fmt, predictions={ids(store)["b.png"]: ("cat", 0.9)})

    report = interop.import_labels(other, out)

    assert report == interop.ImportReport(
        imported=2, unchanged=0, unknown_paths=[], unknown_classes=[], replaced=1,
        unlabeled_rows=2,  # the export's rows of unlabeled items
    )  # fmt: skip
    assert labels_by_path(other) == {"a.png": "cat", "sub/c.png": "dog"}
    assert [e.strategy for e in other.events()] == [None, "import", "import"]

    again = interop.import_labels(other, out)
    assert (again.imported, again.unchanged) == (0, 2)
    assert len(other.events()) == 3


def test_import_reports_unknown_paths_and_matches_duplicates(
    store: ProjectStore, tmp_path: Path
) -> None:
    store.set_item_paths(ids(store)["b.png"], ["b.png", "copies/b.png"])
    src = write(
        tmp_path / "in.csv", "path,label\n.\\copies\\b.png,Dog\nnowhere.png,cat\n./a.png,cat\n"
    )

    report = interop.import_labels(store, src)

    assert report.unknown_paths == ["nowhere.png"]
    assert report.imported == 2
    assert labels_by_path(store) == {"a.png": "cat", "b.png": "dog"}


def test_rows_that_label_one_item_two_ways_are_left_out_and_named(
    store: ProjectStore, tmp_path: Path
) -> None:
    """The last row used to win silently, and counts were per row: an empty project heard of
    "same" and "conflicting" rows, and "Imported 3 labels" recorded 2 items."""
    store.set_item_paths(ids(store)["b.png"], ["b.png", "copies/b.png"])
    src = write(
        tmp_path / "in.csv",
        "path,label\na.png,cat\nb.png,cat\nsub/c.png,dog\ncopies/b.png,dog\n"
        "sub/c.png,Dog\na.png,dog\n",
    )

    plan = interop.plan_import(store, src)
    report = interop.import_labels(store, src)

    assert (plan.new, plan.same, plan.conflicting) == (1, 0, 0)  # c: twice, the same class
    assert plan.contradictory == ["a.png: cat, dog", "b.png: cat, dog"]
    assert "2 items labeled two ways (left out)" in plan.summary()
    assert report.imported == 1 and report.contradictory == plan.contradictory
    assert labels_by_path(store) == {"sub/c.png": "dog"}


def test_a_class_only_rows_outside_the_pool_use_is_not_one_the_project_lacks(
    store: ProjectStore, tmp_path: Path
) -> None:
    src = write(tmp_path / "in.csv", "path,label\na.png,cat\nelsewhere/x.png,zebra\n")
    plan = interop.plan_import(store, src)
    assert plan.unknown_classes == [] and plan.unknown_paths == ["elsewhere/x.png"]
    assert interop.import_labels(store, src).imported == 1  # no --add-classes needed


# ------------------------------------------------------------------ bad files


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("file,class\na.png,cat\n", 1, "header"),
        ("path,label\na.png,cat\nb.png,dog,extra\n", 3, "3 fields"),
        ("path,label\na.png,cat\n,dog\n", 3, "empty path"),
        ('path,label\na.png,cat\n"b.png,dog\n', 3, "not valid CSV"),
    ],
)
def test_bad_csv_names_the_line(
    store: ProjectStore, tmp_path: Path, text: str, line: int, what: str
) -> None:
    src = write(tmp_path / "bad.csv", text)

    with pytest.raises(BadLabelsFile, match=f"line {line}: .*{what}"):
        interop.import_labels(store, src)
    assert store.events() == []  # nothing recorded from a bad file


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('[\n {"path": "a.png", "label": "cat"},\n {"label": "dog"}\n]', 3),
        ('[\n {"path": "a.png", "label": "cat"},\n {"path": "b.png" "label": 1}\n]', 3),
        ('{"path": "a.png"}', 1),
    ],
)
def test_bad_json_names_the_line(store: ProjectStore, tmp_path: Path, text: str, line: int) -> None:
    src = write(tmp_path / "bad.json", text)

    with pytest.raises(BadLabelsFile, match=f"line {line}:"):
        interop.import_labels(store, src)
    assert store.events() == []


def test_non_utf8_file_is_a_bad_labels_file(store: ProjectStore, tmp_path: Path) -> None:
    src = tmp_path / "latin1.csv"
    src.write_bytes("path,label\nb.png,chat\na.png,caf\xe9\n".encode("latin-1"))
    with pytest.raises(BadLabelsFile, match="line 3: not UTF-8"):
        interop.import_labels(store, src)


# ------------------------------------------------------------------ classes


def test_unknown_class_is_refused_with_its_names(store: ProjectStore, tmp_path: Path) -> None:
    src = write(tmp_path / "in.csv", "path,label\na.png,cat\nb.png,bird\nsub/c.png,fish\n")

    with pytest.raises(UnknownClass, match="bird, fish"):
        interop.import_labels(store, src)
    assert store.events() == []
    assert [c.name for c in store.classes()] == ["cat", "dog"]


def test_unknown_classes_can_be_added(store: ProjectStore, tmp_path: Path) -> None:
    src = write(tmp_path / "in.csv", "path,label\na.png,cat\nb.png,bird\n")

    report = interop.import_labels(store, src, add_classes=True)

    assert report.unknown_classes == ["bird"]
    assert [c.name for c in store.classes()] == ["cat", "dog", "bird"]
    assert labels_by_path(store) == {"a.png": "cat", "b.png": "bird"}


# ------------------------------------------------------------------ oracle


def test_read_oracle_csv(tmp_path: Path) -> None:
    src = write(tmp_path / "labels.csv", "\ufeffpath,label\nimg_0.png,7\nsub\\img_1.png, 3 \n")
    assert interop.read_oracle_csv(src) == {"img_0.png": "7", "sub/img_1.png": "3"}


def test_an_oracle_row_without_a_label_labels_nothing(tmp_path: Path) -> None:
    """An export with predictions (unlabeled rows) can be an oracle: those files have none."""
    src = write(tmp_path / "labels.csv", "path,label\nimg_0.png,7\nimg_1.png,\n")
    assert interop.read_oracle_csv(src) == {"img_0.png": "7"}


def test_an_oracle_path_labeled_two_ways_is_left_out_and_named(tmp_path: Path) -> None:
    src = write(tmp_path / "labels.csv", "path,label\na.png,dog\nb.png,cat\na.png,cat\n")
    contradictory: list[str] = []
    assert interop.read_oracle_csv(src, contradictory) == {"b.png": "cat"}
    assert contradictory == ["a.png: dog, cat"]


def test_read_oracle_csv_missing_file_is_a_bad_labels_file(tmp_path: Path) -> None:
    with pytest.raises(BadLabelsFile, match="Cannot read"):
        interop.read_oracle_csv(tmp_path / "absent.csv")


def test_export_to_a_missing_folder_is_a_clear_error(store: ProjectStore, tmp_path: Path) -> None:
    with pytest.raises(AldeskError, match="Cannot write"):
        interop.export_labels(store, tmp_path / "no" / "such" / "labels.csv")
