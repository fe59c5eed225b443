"""ProjectStore: schema, answer log, lock, migrations, durability."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aldesk.core.errors import (
    AldeskError,
    ProjectExists,
    ProjectLocked,
    ProjectNotFound,
    ProjectTooNew,
    StoreWriteError,
)
from aldesk.core.migrations import MIGRATIONS, SCHEMA_VERSION, migrate
from aldesk.core.store import NewItem, ProjectStore, RoundRecord


@pytest.fixture
def store(tmp_path: Path):
    s = ProjectStore.create(
        tmp_path / "proj", pool_root=tmp_path, kind="image", classes=["cat", "dog", "bird"]
    )
    yield s
    s.close()


def _items(store: ProjectStore, n: int) -> list[int]:
    return store.add_items(
        NewItem(f"h{i}", f"f{i}.png", "image", 10 + i, 1000 + i) for i in range(n)
    )


def test_create_makes_project_folder_with_wal_database(store: ProjectStore) -> None:
    assert store.path.name == "proj.aldesk"
    assert (store.path / "project.sqlite").exists()
    mode = sqlite3.connect(store.path / "project.sqlite").execute("PRAGMA journal_mode")
    assert mode.fetchone()[0] == "wal"
    assert [c.name for c in store.classes()] == ["cat", "dog", "bird"]
    assert [c.hotkey for c in store.classes()] == ["1", "2", "3"]


def test_create_refuses_existing_project(store: ProjectStore, tmp_path: Path) -> None:
    with pytest.raises(ProjectExists):
        ProjectStore.create(tmp_path / "proj", pool_root=tmp_path, kind="image", classes=["a"])


@pytest.mark.parametrize("classes", [[], ["a", "A"], ["a", " "]])
def test_create_rejects_bad_class_lists(tmp_path: Path, classes: list[str]) -> None:
    with pytest.raises(AldeskError):
        ProjectStore.create(tmp_path / "p", pool_root=tmp_path, kind="image", classes=classes)


def test_open_missing_project_is_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectNotFound, match="No aldesk project"):
        ProjectStore.open(tmp_path / "nothing")


def test_label_log_is_append_only_and_undo_withdraws(store: ProjectStore) -> None:
    a, b = _items(store, 2)
    cat, dog = store.classes()[0].id, store.classes()[1].id
    first = store.record(a, "label", class_id=cat, strategy="margin", score=0.1, model_round=2)
    second = store.record(a, "label", class_id=dog)  # changed answer
    store.record(b, "cannot_label")
    assert store.labels() == {a: dog}
    store.record(a, "undo", undoes=second)
    assert store.labels() == {a: cat}
    store.record(a, "undo", undoes=first)
    assert store.labels() == {}
    assert store.answers()[b].action == "cannot_label"
    assert len(store.events()) == 5  # nothing was deleted
    assert store.events()[0].strategy == "margin" and store.events()[0].model_round == 2


def test_labels_by_split(store: ProjectStore) -> None:
    a, b = _items(store, 2)
    cat = store.classes()[0].id
    store.record(a, "label", class_id=cat, split="test")
    store.record(b, "label", class_id=cat)
    assert store.labels(split="test") == {a: cat}
    assert store.labels(split="pool") == {b: cat}


def test_record_rejects_inconsistent_answers(store: ProjectStore) -> None:
    (a,) = _items(store, 1)
    with pytest.raises(ValueError):
        store.record(a, "label")
    with pytest.raises(ValueError):
        store.record(a, "skip", class_id=1)
    with pytest.raises(ValueError):
        store.record(a, "guess")


def test_classes_add_rename_merge_keep_history(store: ProjectStore) -> None:
    (a, b) = _items(store, 2)
    cat, dog, _bird = (c.id for c in store.classes())
    store.record(a, "label", class_id=cat)
    store.record(b, "label", class_id=dog)
    store.rename_class(cat, "kitten")
    assert store.classes()[0].name == "kitten"
    store.merge_classes(dog, cat)
    assert [c.name for c in store.classes()] == ["kitten", "bird"]
    assert store.labels() == {a: cat, b: cat}
    fish = store.add_class("fish")
    assert fish.hotkey == "2"  # the merged class's key is free again
    assert fish.order == 3
    with pytest.raises(AldeskError, match="A class named 'fish' already exists"):
        store.add_class("Fish")  # it said "listed twice", as of a file


def test_a_merged_class_is_restored_with_its_labels_and_a_free_key(store: ProjectStore) -> None:
    (a, b) = _items(store, 2)
    cat, dog, _bird = (c.id for c in store.classes())
    store.record(a, "label", class_id=cat)
    store.record(b, "label", class_id=dog)
    store.merge_classes(dog, cat)
    fish = store.add_class("fish")  # takes the merged class's key "2"
    assert [(c.name, into) for c, into in store.merged_classes()] == [("dog", cat)]
    restored = store.restore_class(dog)
    assert [c.name for c in store.classes()] == ["cat", "dog", "bird", "fish"]
    assert store.labels() == {a: cat, b: dog}
    assert restored.hotkey not in {fish.hotkey, "1", "3"}
    assert store.merged_classes() == []
    with pytest.raises(AldeskError, match="not merged"):
        store.restore_class(dog)


def test_a_merged_class_whose_name_was_taken_since_is_not_restored(store: ProjectStore) -> None:
    cat, dog, _bird = (c.id for c in store.classes())
    store.merge_classes(dog, cat)
    store.add_class("Dog")
    with pytest.raises(AldeskError, match="“dog” cannot be restored: a class named “Dog”"):
        store.restore_class(dog)


def test_settings_and_rounds_round_trip(store: ProjectStore, tmp_path: Path) -> None:
    store.set("strategy", "entropy")
    store.set("stopping", {"budget": 300, "target_accuracy": 0.9})
    store.add_round(RoundRecord(round=1, n_labels=20, n_test=10, accuracy=0.5))
    path = store.path
    store.close()
    with ProjectStore.open(path) as again:
        assert again.get("strategy") == "entropy"
        assert again.get("stopping")["budget"] == 300
        assert again.get("missing", 7) == 7
        assert again.rounds()[0].accuracy == 0.5
        assert again.pool_root == tmp_path.resolve()


def test_second_open_is_refused_naming_the_holder(store: ProjectStore) -> None:
    with pytest.raises(ProjectLocked, match=f"pid {os.getpid()}"):
        ProjectStore.open(store.path)


def test_lock_held_by_another_process_is_refused(store: ProjectStore) -> None:
    path = store.path
    store.close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from aldesk.core.store import ProjectStore
            s = ProjectStore.open({str(path)!r})
            print("ready", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(ProjectLocked, match=f"pid {holder.pid}"):
            ProjectStore.open(path)
    finally:
        holder.kill()
        holder.wait()
    # the holder died without releasing: its lock is recovered
    with ProjectStore.open(path) as again:
        assert again._lock.recovered_stale


def test_answers_survive_sigkill_of_the_writer(tmp_path: Path) -> None:
    store = ProjectStore.create(tmp_path / "p", pool_root=tmp_path, kind="image", classes=["a"])
    ids = _items(store, 200)
    path = store.path
    store.close()
    writer = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            from aldesk.core.store import ProjectStore
            s = ProjectStore.open({str(path)!r})
            cls = s.classes()[0].id
            for item in {ids!r}:
                s.record(item, "label", class_id=cls)
                print(item, flush=True)   # acknowledged only after the commit returned
        """)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    acknowledged = []
    for line in writer.stdout:
        acknowledged.append(int(line))
        if len(acknowledged) == 50:
            os.kill(writer.pid, signal.SIGKILL)
            break
    writer.wait()
    with ProjectStore.open(path) as again:
        assert set(acknowledged) <= set(again.labels())


def test_migrates_version_one_project_keeping_data(tmp_path: Path) -> None:
    folder = tmp_path / "old.aldesk"
    folder.mkdir()
    conn = sqlite3.connect(folder / "project.sqlite", isolation_level=None)
    migrate(conn, target=1)
    conn.execute("INSERT INTO settings VALUES ('kind', '\"audio\"')")
    conn.execute("INSERT INTO settings VALUES ('pool_root', '\"/tmp\"')")
    conn.close()
    with ProjectStore.open(folder) as store:
        assert store.kind == "audio"
        assert store.rounds() == []  # table added by migration 2
        version = store._conn.execute("PRAGMA user_version").fetchone()[0]
        assert store.upgraded_from == 1  # the window says so, once
    assert version == SCHEMA_VERSION == len(MIGRATIONS)
    # the older aldesk cannot read the new format: the database as it was is kept beside it
    kept = sqlite3.connect(folder / "before-upgrade-format1.sqlite")
    assert kept.execute("PRAGMA user_version").fetchone()[0] == 1
    assert kept.execute("SELECT value FROM settings WHERE key = 'kind'").fetchone() == ('"audio"',)
    kept.close()
    with ProjectStore.open(folder) as store:
        assert store.upgraded_from is None  # upgraded once, told once


def test_newer_project_is_refused(store: ProjectStore) -> None:
    path = store.path
    store.close()
    conn = sqlite3.connect(path / "project.sqlite")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ProjectTooNew, match="newer aldesk"):
        ProjectStore.open(path)
    # the refused open released its lock
    conn = sqlite3.connect(path / "project.sqlite")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.close()
    ProjectStore.open(path).close()


def test_full_disk_is_a_clear_error_and_keeps_earlier_answers(store: ProjectStore) -> None:
    a, b = _items(store, 2)
    cat = store.classes()[0].id
    store.record(a, "label", class_id=cat)
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is now "full"
    with pytest.raises(StoreWriteError, match="disk is full"):
        store.add_items(NewItem(f"x{i}", f"x{i}.png", "image", 1, 1) for i in range(5000))
    assert store.labels() == {a: cat}


def test_project_files_hold_no_pickles(store: ProjectStore) -> None:
    (a,) = _items(store, 1)
    store.record(a, "label", class_id=store.classes()[0].id)
    for f in store.path.rglob("*"):
        if f.is_file():
            assert b"\x80\x04\x95" not in f.read_bytes()  # pickle protocol 4 header


def test_a_batch_commits_its_writes_together_or_none_of_them(tmp_path):
    from aldesk.core.store import NewItem, ProjectStore

    store = ProjectStore.create(tmp_path / "p", pool_root=tmp_path, kind="image", classes=["a"])
    store.add_items([NewItem("h1", "f1.png", "image", 1, 1)])
    other = sqlite3.connect(store.db_file)  # what another reader sees
    with store.batch():
        store.set("one", 1)
        store.set("two", 2)
        assert other.execute("SELECT count(*) FROM settings WHERE key = 'one'").fetchone() == (0,)
    assert (store.get("one"), store.get("two")) == (1, 2)
    with pytest.raises(RuntimeError), store.batch():
        store.set("three", 3)
        raise RuntimeError("a failure half-way")
    assert store.get("three") is None  # rolled back with the batch
    store.set("four", 4)  # the connection is usable again, one write one commit
    assert other.execute("SELECT value FROM settings WHERE key = 'four'").fetchone() == ("4",)
    other.close()
    store.close()


def test_the_class_list_is_read_once_and_follows_every_change(store: ProjectStore) -> None:
    statements: list[str] = []
    store.classes()
    store._conn.set_trace_callback(statements.append)
    first = store.classes()
    assert store.classes() == first and not statements  # served from memory
    cat, dog = first[0], first[1]
    store.rename_class(cat.id, "kitten")
    store.set_hotkeys({dog.id: "x"})
    store.add_class("fish")
    store.merge_classes(first[2].id, dog.id)
    store._conn.set_trace_callback(None)
    with sqlite3.connect(store.db_file) as reader:
        on_disk = reader.execute(
            "SELECT name, hotkey FROM classes WHERE merged_into IS NULL ORDER BY ord, id"
        ).fetchall()
    assert [(c.name, c.hotkey) for c in store.classes()] == on_disk
    assert [name for name, _ in on_disk] == ["kitten", "dog", "fish"]
    assert on_disk[1][1] == "x"


def test_a_class_change_rolled_back_with_its_batch_is_not_remembered(store: ProjectStore) -> None:
    cat = store.classes()[0]
    with pytest.raises(RuntimeError), store.batch():
        store.rename_class(cat.id, "kitten")
        assert store.classes()[0].name == "kitten"  # inside the batch, the change is seen
        raise RuntimeError("abandon the batch")
    assert store.classes()[0].name == "cat"


def test_the_projects_database_named_means_the_project(tmp_path) -> None:
    """`aldesk status p.aldesk/project.sqlite` looked for "p.aldesk/project.sqlite.aldesk"."""
    from aldesk.core.store import project_path

    folder = tmp_path / "p.aldesk"
    assert project_path(folder / "project.sqlite") == folder
    assert project_path(tmp_path / "p") == folder
    assert project_path(tmp_path / "project.sqlite") == tmp_path / "project.sqlite.aldesk"


def test_classes_past_the_last_free_key_get_none_and_no_key_is_shared(tmp_path: Path) -> None:
    """52 classes (A-Z, 0-9, 16 words): L, R, S, X and Z got no key in the first pass, and
    adding them chose again from the classes added so far, taking the keys of "1".."5", which
    came later in the list; the shared keys then did nothing, silently."""
    names = [*"ABCDEFGHIJKLMNOPQRSTUVWXYZ", *"0123456789", *(f"subject{i}" for i in range(16))]
    with ProjectStore.create(tmp_path / "p", pool_root=tmp_path, kind="image",
                             classes=names) as store:  # fmt: skip
        keys = {c.name: c.hotkey for c in store.classes()}
    given = [k for k in keys.values() if k]
    assert len(given) == len(set(given)) == 31  # 1-9, 0 and the 21 letters commands leave
    assert keys["1"] == "1" and keys["A"] == "a"
    assert keys["L"] is None and keys["subject0"] is None


def test_a_key_two_classes_share_is_taken_from_one_on_open(tmp_path: Path) -> None:
    """Projects made before the fix above have "L" and "1" both on 1; the key did nothing."""
    with ProjectStore.create(tmp_path / "p", pool_root=tmp_path, kind="image",
                             classes=["L", "1", "cat"]) as store:  # fmt: skip
        ids = {c.name: c.id for c in store.classes()}
        store.set_hotkeys({ids["L"]: "1", ids["cat"]: "c"})  # as the old code saved them
    with ProjectStore.open(tmp_path / "p") as store:
        assert store.unshared_keys == ["L"]  # "1" is named like the key: it keeps it
        assert {c.name: c.hotkey for c in store.classes()} == {"L": None, "1": "1", "cat": "c"}
    with ProjectStore.open(tmp_path / "p") as store:
        assert store.unshared_keys == []
