"""Hostile projects: a damaged, foreign, edited or unwritable project gives one clear line.

Every case is refused with what is wrong and what to do, exits 2 from the command line, and
leaves the file exactly as it was (never migrated or repaired in place).
"""

from __future__ import annotations

import errno
import os
import random
import sqlite3
from pathlib import Path

import pytest

from aldesk.cli import main
from aldesk.core import lock as lock_module
from aldesk.core.errors import ProjectDamaged, ProjectLocked, ProjectReadOnly, StoreWriteError
from aldesk.core.project import ProjectSettings
from aldesk.core.store import DB_NAME, NewItem, ProjectStore

N_ITEMS = 300  # enough rows for several pages per table


def make_project(folder: Path) -> Path:
    """A closed project with items, two classes and a label on every third item."""
    store = ProjectStore.create(  # its files are not made: the pool folder is away (unmounted)
        folder / "p", pool_root=folder / "photos", kind="image", classes=["cat", "dog"],
        settings={"batch": 5},
    )  # fmt: skip
    with store:
        ids = store.add_items(
            NewItem(f"{i:064x}", f"dir/item-{i:04d}.png", "image", 100 + i, i)
            for i in range(N_ITEMS)
        )
        cat = store.class_by_name("cat").id
        store.record_labels([(i, cat, "pool") for i in ids[::3]])
    return store.path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def _sql(project: Path, *statements: str) -> None:
    conn = sqlite3.connect(project / DB_NAME, isolation_level=None)
    for s in statements:
        conn.execute(s)
    conn.close()


def _flip_bits(project: Path, seed: int = 3) -> None:
    """Flip bits inside the b-tree page headers past the first page (a bad sector)."""
    db = project / DB_NAME
    data = bytearray(db.read_bytes())
    rng = random.Random(seed)
    for page in range(1, len(data) // 4096):
        for offset in (0, 3, 5):  # page type, cell count, cell content start
            data[page * 4096 + offset] ^= 1 << rng.randrange(8)
    db.write_bytes(bytes(data))


def _replace_db(project: Path, content: bytes | None) -> None:
    db = project / DB_NAME
    db.unlink()
    if content is None:
        db.mkdir()
    else:
        db.write_bytes(content)


def _foreign(project: Path) -> None:
    (project / DB_NAME).unlink()
    _sql(project, "CREATE TABLE photos(id INTEGER PRIMARY KEY, path TEXT)")


DAMAGE = {
    "zero bytes": (lambda p: _replace_db(p, b""), "is empty"),
    "random bytes": (lambda p: _replace_db(p, random.Random(1).randbytes(40_000)),
                     "not a SQLite database"),
    "a folder": (lambda p: _replace_db(p, None), "is a folder"),
    "foreign database": (_foreign, "not an aldesk project database"),
    "truncated": (lambda p: os.truncate(p / DB_NAME, 3 * 4096), "is damaged"),
    "bit-flipped pages": (_flip_bits, "is damaged"),
    "user_version 0": (lambda p: _sql(p, "PRAGMA user_version = 0"), "invalid format number (0)"),
    "user_version -1": (lambda p: _sql(p, "PRAGMA user_version = -1"), "invalid format number"),
    "user_version 1": (lambda p: _sql(p, "PRAGMA user_version = 1"), "format number was edited"),
    "dropped table": (lambda p: _sql(p, "DROP TABLE rounds"), "missing tables or columns (rounds)"),
    "non-JSON setting": (lambda p: _sql(p, "UPDATE settings SET value = 'huge' WHERE key = 'batch'"),
                         "setting 'batch' is not valid JSON"),
    "bookkeeping of the wrong shape": (
        lambda p: _sql(p, """INSERT INTO settings VALUES ('current', '"garbage"')"""),
        "setting 'current' is not [item id, strategy, score]",
    ),
    "kind deleted": (lambda p: _sql(p, "DELETE FROM settings WHERE key = 'kind'"),
                     "setting 'kind' is missing"),
    "pool_root deleted": (lambda p: _sql(p, "DELETE FROM settings WHERE key = 'pool_root'"),
                          "setting 'pool_root' is missing"),
}  # fmt: skip


def _snapshot(project: Path) -> bytes | None:
    """The database's bytes (a reader may leave SQLite's empty -wal/-shm files beside it)."""
    db = project / DB_NAME
    return None if db.is_dir() else db.read_bytes()


@pytest.mark.parametrize("case", list(DAMAGE))
@pytest.mark.parametrize("command", ["status", "export", "import-labels"])
def test_damaged_project_is_one_line_and_left_unchanged(project, tmp_path, capsys, case, command):
    damage, expected = DAMAGE[case]
    damage(project)
    before = _snapshot(project)
    labels = tmp_path / "labels.csv"
    labels.write_text("path,label\ndir/item-0001.png,dog\n")
    args = {
        "status": ["status", str(project)],
        "export": ["export", str(project), "--out", str(tmp_path / "out.csv")],
        "import-labels": ["import-labels", str(project), str(labels)],
    }[command]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert _snapshot(project) == before  # never migrated or repaired in place


def test_damage_messages_say_what_to_do(project, capsys) -> None:
    _flip_bits(project)
    main(["status", str(project)])
    err = capsys.readouterr().err
    assert "Restore project.sqlite from a backup" in err
    assert f"aldesk recover {project}" in err


@pytest.mark.parametrize("case", ["zero bytes", "foreign database", "user_version 0"])
def test_a_database_that_is_no_project_is_never_migrated(project, case) -> None:
    DAMAGE[case][0](project)
    before = _snapshot(project)
    with pytest.raises(ProjectDamaged):
        ProjectStore.open(project)
    assert _snapshot(project) == before
    assert not (project / "lock").read_bytes()  # the refused open released the lock


def test_a_bad_setting_stops_only_what_reads_it(project, tmp_path, capsys) -> None:
    _sql(project, """UPDATE settings SET value = '"huge"' WHERE key = 'batch'""")
    assert main(["status", str(project)]) == 2
    err = capsys.readouterr().err
    assert "setting 'batch' is \"huge\", but it must be a whole number" in err
    assert err.count("\n") == 1
    assert main(["export", str(project), "--out", str(tmp_path / "o.csv")]) == 0  # labels out


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"huge"', "'batch' is \"huge\", but it must be a whole number"),
        ("true", "'batch' is true, but it must be a whole number"),
        ("0", "batch size must be at least 1"),
        ("NaN", "'batch' is NaN"),
    ],
)
def test_settings_are_validated_naming_the_setting(project, value, message) -> None:
    _sql(project, f"UPDATE settings SET value = '{value}' WHERE key = 'batch'")
    with (
        ProjectStore.open(project, readonly="a test reads it") as store,
        pytest.raises(ProjectDamaged, match=message.replace("(", r"\(")),
    ):
        ProjectSettings.from_store(store)


def test_an_optional_setting_may_be_null_or_a_number(project) -> None:
    _sql(project, "INSERT INTO settings VALUES ('target_accuracy', '0.9'), ('budget', 'null')")
    with ProjectStore.open(project) as store:
        settings = ProjectSettings.from_store(store)
    assert settings.target_accuracy == 0.9 and settings.budget is None


# ----------------------------------------------------------------------------- the lock path
def test_lock_path_that_is_a_folder_is_named(project, capsys) -> None:
    (project / "lock").unlink()
    (project / "lock").mkdir()
    with pytest.raises(ProjectDamaged, match="lock file .* is a folder"):
        ProjectStore.open(project)
    assert main(["import-labels", str(project), os.devnull]) == 2
    assert "is a folder. Remove that folder" in capsys.readouterr().err
    assert main(["status", str(project)]) == 0  # a reader needs no lock


def test_lock_path_that_is_a_dangling_link_is_named(project, tmp_path, capsys) -> None:
    (project / "lock").unlink()
    (project / "lock").symlink_to(tmp_path / "gone" / "lock")
    with pytest.raises(ProjectDamaged, match="is a link to .*gone/lock, which cannot be opened"):
        ProjectStore.open(project)
    assert main(["import-labels", str(project), os.devnull]) == 2
    err = capsys.readouterr().err
    assert "Remove the link" in err and "Traceback" not in err


# ----------------------------------------------------------------------------- read-only
@pytest.fixture
def read_only_folder(monkeypatch):
    """The project's folder refuses writes (as a read-only mount does): the lock cannot be
    created. Works unprivileged; the bind-mount test below checks the real thing as root."""
    real_open = os.open

    def refusing(path, flags, *args, **kwargs):
        if str(path).endswith("lock") and flags & os.O_RDWR:
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(lock_module.os, "open", refusing)


def test_read_only_project_is_read_but_not_written(project, tmp_path, capsys, read_only_folder):
    assert main(["status", str(project)]) == 0
    assert f"labeled {N_ITEMS // 3} of" in capsys.readouterr().out
    out = tmp_path / "labels.csv"
    assert main(["export", str(project), "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == N_ITEMS // 3 + 1
    labels = tmp_path / "in.csv"
    labels.write_text("path,label\ndir/item-0001.png,dog\n")
    assert main(["import-labels", str(project), str(labels)]) == 2
    err = capsys.readouterr().err
    assert "is read-only (read-only file system)" in err and "Traceback" not in err
    with pytest.raises(ProjectReadOnly) as raised:
        ProjectStore.open(project)
    assert raised.value.reason == "its folder is read-only"


def test_read_only_store_refuses_answers_and_keeps_bookkeeping_in_memory(project) -> None:
    before = _snapshot(project)
    with ProjectStore.open(project, readonly="the disk is read-only") as store:
        item = store.items()[1]
        with pytest.raises(ProjectReadOnly, match="open read-only \\(the disk is read-only\\)"):
            store.record(item.id, "label", class_id=store.classes()[0].id)
        with pytest.raises(ProjectReadOnly):
            store.add_class("bird")
        store.set("seed_queue", [1, 2, 3])  # the session's bookkeeping: in the snapshot only
        assert store.get("seed_queue") == [1, 2, 3]
        (store.cache_dir / "written-by-a-reader").write_text("x")
        scratch = store.cache_dir
    assert _snapshot(project) == before
    assert not (project / "features" / "written-by-a-reader").exists()
    assert not scratch.exists()  # the reader's scratch caches are removed on close


def test_reader_sees_the_writers_answers_while_it_holds_the_lock(project) -> None:
    with ProjectStore.open(project) as writer:
        item = writer.items()[1]
        writer.record(item.id, "label", class_id=writer.class_by_name("dog").id)
        with pytest.raises(ProjectLocked):
            ProjectStore.open(project)
        with ProjectStore.open(project, readonly="another aldesk has it open") as reader:
            assert reader.labels()[item.id] == writer.class_by_name("dog").id
        writer.record(writer.items()[2].id, "skip")  # the writer is not disturbed


def test_read_only_bind_mount(project, tmp_path, capsys) -> None:
    """The real thing: a read-only bind mount (root only)."""
    mount = tmp_path / "mnt"
    mount.mkdir()
    if os.geteuid() != 0 or os.system(f"mount --bind -o ro {project} {mount} 2>/dev/null"):
        pytest.skip("needs root and mount")
    try:
        assert main(["status", str(mount)]) == 0
        assert main(["export", str(mount), "--out", str(tmp_path / "o.csv")]) == 0
        assert main(["import-labels", str(mount), os.devnull]) == 2
        assert "read-only" in capsys.readouterr().err
    finally:
        os.system(f"umount -l {mount}")  # lazy: never leave a mount behind


@pytest.mark.parametrize("argv", [["aldesk", "train", "p"], ["aldesk", "open", "p"], ["aldesk"]])
def test_a_project_held_by_a_command_says_it_ends_by_itself(project, monkeypatch, argv) -> None:
    """While `aldesk train` held it, the window said "Close it there first" of a window that
    is not there."""
    monkeypatch.setattr(lock_module.sys, "argv", argv)
    with ProjectStore.open(project), pytest.raises(ProjectLocked) as refused:
        ProjectStore.open(project)
    said = str(refused.value)
    command = argv[1:2] == ["train"]
    assert ("in use by aldesk train (pid" in said) == command, said
    assert ("ends by itself" in said) == command and ("Close it there" in said) != command


# ----------------------------------------------------------------------------- a full disk
def test_a_full_disk_on_open_leaves_the_lock_usable(project, monkeypatch) -> None:
    """The lock's body (who holds it) cannot be written on a full disk: the flock still works."""

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(lock_module, "_write_holder", no_space)
    with ProjectStore.open(project), pytest.raises(ProjectLocked):
        ProjectStore.open(project)


def test_a_failed_create_leaves_no_half_project(tmp_path, monkeypatch) -> None:
    from aldesk.core import store as store_module

    def full(db, *, existing):
        raise StoreWriteError("Could not save: the disk is full.")

    monkeypatch.setattr(store_module, "open_writer", full)
    with pytest.raises(StoreWriteError):
        ProjectStore.create(tmp_path / "new", pool_root=tmp_path, kind="image", classes=["a"])
    assert not (tmp_path / "new.aldesk").exists()  # a second `new` is not blocked


def test_an_unwritable_output_is_one_line(project, tmp_path, capsys, monkeypatch) -> None:
    from aldesk.core import labels_export

    def full(store, out_path, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(out_path))

    monkeypatch.setattr(labels_export, "export_labels", full)
    assert main(["export", str(project), "--out", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert (
        err == f"aldesk: No space left on device: {tmp_path / 'o.csv'}. Free some space and "
        "try again; nothing already saved is lost.\n"
    )


@pytest.fixture
def full_disk(tmp_path):
    """A 1 MB tmpfs (root only), filled after the project is copied onto it."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or os.system(f"mount -t tmpfs -o size=1M tmpfs {mount} 2>/dev/null"):
        pytest.skip("needs root and mount")
    yield mount
    os.system(f"umount -l {mount}")  # lazy: never leave a mount behind


def _fill(folder: Path) -> None:
    try:
        with open(folder / "filler", "wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
    except OSError as exc:
        assert exc.errno == errno.ENOSPC


def test_full_disk_commands_are_one_line(tmp_path, full_disk, capsys) -> None:
    project = make_project(full_disk)
    pool = tmp_path / "pool"
    pool.mkdir()
    from PIL import Image

    for i in range(3):
        Image.new("RGB", (8, 8), (i * 60, 0, 0)).save(pool / f"{i}.png")
    _fill(full_disk)
    labels = tmp_path / "in.csv"
    labels.write_text("path,label\ndir/item-0001.png,dog\n")
    assert main(["status", str(project)]) == 0
    assert main(["export", str(project), "--out", str(tmp_path / "o.csv")]) == 0
    assert main(["export", str(project), "--out", str(full_disk / "o.csv")]) == 2
    assert main(["import-labels", str(project), str(labels)]) == 2
    new = ["new", str(full_disk / "q"), "--pool", str(pool), "--classes", "a,b", "--no-features"]
    assert main(new) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 3
    assert "full" in err or "No space" in err
    assert not (full_disk / "q.aldesk").exists()


def test_json_of_settings_is_checked_on_open_for_writing_too(project) -> None:
    _sql(project, "UPDATE settings SET value = '{oops' WHERE key = 'pool_root'")
    with pytest.raises(ProjectDamaged, match="'pool_root' is not valid JSON"):
        ProjectStore.open(project)


def test_a_reader_never_closed_leaves_no_scratch_folder(project) -> None:
    import gc

    store = ProjectStore.open(project, readonly="a test reads it")
    scratch = store.cache_dir.parent
    assert scratch.is_dir()
    del store
    gc.collect()
    assert not scratch.exists()
