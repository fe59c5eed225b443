"""``aldesk recover``: the labels a damaged database still holds, in a file import-labels reads."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest

from aldesk.cli import main
from aldesk.core.recover import recover_labels
from aldesk.core.store import DB_NAME, NewItem, ProjectStore

N = 2000


def _project(folder: Path) -> tuple[Path, dict[str, str]]:
    """A closed project: N items, every one labelled cat or dog; returns path -> label."""
    with ProjectStore.create(
        folder / "p", pool_root=folder, kind="image", classes=["cat", "dog", "kitty"]
    ) as store:
        ids = store.add_items(
            NewItem(f"{i:064x}", f"d/item-{i:05d}.png", "image", 1, 1) for i in range(N)
        )
        cat, dog, kitty = (c.id for c in store.classes())
        store.record_labels([(i, kitty if i % 3 == 0 else dog, "pool") for i in ids])
        undone = store.record(ids[1], "label", class_id=cat)
        store.record(ids[1], "undo", undoes=undone)  # withdrawn: stays dog
        store.merge_classes(kitty, cat)  # kitty's labels now count as cat
        truth = {it.relpath: ("cat" if it.id % 3 == 0 else "dog") for it in store.items()}
        return store.path, truth


def _read(out: Path) -> dict[str, str]:
    with out.open(newline="") as f:
        return {row["path"]: row["label"] for row in csv.DictReader(f)}


def _damage_leaf(project: Path, table: str) -> None:
    """Zero the header of one leaf page of ``table`` (a bad sector in the middle of it)."""
    conn = sqlite3.connect(project / DB_NAME)
    try:
        leaves = conn.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno",
            (table,),
        ).fetchall()
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no dbstat table")
    finally:
        conn.close()
    page = leaves[len(leaves) // 2][0]
    with open(project / DB_NAME, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(b"\0" * 12)


def test_a_healthy_project_recovers_every_label_as_the_app_sees_it(tmp_path) -> None:
    project, truth = _project(tmp_path)
    report = recover_labels(project, tmp_path / "out.csv")
    assert _read(tmp_path / "out.csv") == truth  # undo withdrawn, merged class resolved
    assert report.labels == N and not report.lost


@pytest.mark.parametrize("table", ["items", "events"])
def test_a_damaged_page_costs_only_its_rows(tmp_path, capsys, table) -> None:
    project, truth = _project(tmp_path)
    _damage_leaf(project, table)
    before = (project / DB_NAME).read_bytes()
    assert main(["status", str(project)]) == 2
    assert f"aldesk recover {project}" in capsys.readouterr().err
    assert main(["recover", str(project), str(tmp_path / "out.csv")]) == 0
    out = capsys.readouterr().out
    recovered = _read(tmp_path / "out.csv")
    assert 0.8 * N < len(recovered) < N
    assert all(truth[path] == label for path, label in recovered.items())
    assert "could not be read" in out or "were lost" in out
    assert (project / DB_NAME).read_bytes() == before  # the project is never written


def test_recovered_labels_import_into_a_new_project(tmp_path) -> None:
    project, truth = _project(tmp_path)
    recover_labels(project, tmp_path / "out.csv")
    with ProjectStore.create(
        tmp_path / "new", pool_root=tmp_path, kind="image", classes=["cat", "dog"]
    ) as store:
        store.add_items(
            NewItem(f"{i:064x}", f"d/item-{i:05d}.png", "image", 1, 1) for i in range(N)
        )
    assert main(["import-labels", str(tmp_path / "new"), str(tmp_path / "out.csv")]) == 0
    with ProjectStore.open(tmp_path / "new", readonly="test") as store:
        names = {c.id: c.name for c in store.classes()}
        paths = {it.id: it.relpath for it in store.items()}
        assert {paths[i]: names[c] for i, c in store.labels().items()} == truth


def test_nothing_to_recover_is_one_line(tmp_path, capsys) -> None:
    project, _ = _project(tmp_path)
    (project / DB_NAME).write_bytes(b"garbage" * 1000)
    assert main(["recover", str(project), str(tmp_path / "out.csv")]) == 2
    err = capsys.readouterr().err
    assert "Nothing can be recovered" in err and err.count("\n") == 1
    assert not (tmp_path / "out.csv").exists()


def test_a_lost_items_root_is_found_again_by_the_files_content(tmp_path, capsys) -> None:
    """The items table's root page destroyed: every row of it unreadable, and max(rowid) too.
    It said "16777216 rows could not be read" after three minutes and saved no label; the
    hash index still pairs each item id with its content, and the pool's files are hashed."""
    import hashlib

    pool = tmp_path / "pool"
    (pool / "sub").mkdir(parents=True)
    files = {f"sub/f{i:03d}.png": f"content {i}".encode() for i in range(200)}
    for rel, data in files.items():
        (pool / rel).write_bytes(data)
    with ProjectStore.create(tmp_path / "p", pool_root=pool, kind="image",
                             classes=["cat", "dog"]) as store:  # fmt: skip
        ids = store.add_items(
            NewItem(hashlib.sha256(data).hexdigest(), rel, "image", len(data), 1)
            for rel, data in files.items()
        )
        cat, dog = (c.id for c in store.classes())
        store.record_labels([(i, cat if i % 2 else dog, "pool") for i in ids])
        truth = {it.relpath: "cat" if it.id % 2 else "dog" for it in store.items()}
        project = store.path
    conn = sqlite3.connect(project / DB_NAME)
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'items'").fetchone()
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(project / DB_NAME, "r+b") as f:
        f.seek((root - 1) * size)
        f.write(b"\xff" * 2000)

    assert main(["recover", str(project), str(tmp_path / "out.csv")]) == 0
    out = capsys.readouterr().out
    assert _read(tmp_path / "out.csv") == truth
    assert "200 labels whose item row was lost were matched to their files again" in out
    assert "16777216" not in out


def test_a_label_on_a_file_gone_since_is_left_out_and_counted(tmp_path) -> None:
    project, truth = _project(tmp_path)
    with ProjectStore.open(project) as store:
        gone = next(it for it in store.items() if it.relpath == "d/item-00007.png")
        store.update_item(gone.id, status="missing")  # its path may now hold other content
    report = recover_labels(project, tmp_path / "out.csv")
    del truth["d/item-00007.png"]
    assert _read(tmp_path / "out.csv") == truth
    assert report.gone_files == 1 and report.labels == N - 1
