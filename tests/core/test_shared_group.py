"""A project in a folder shared by a group (umask 002): a colleague's read must not lock the
owner out, and a project that cannot be written says whose it is and what to do."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from aldesk.core import opening
from aldesk.core.errors import ProjectReadOnly
from aldesk.core.lock import lock_error
from aldesk.core.store import ProjectStore


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("umask", "files"), [(0o002, 0o664), (0o022, 0o644), (0o077, 0o600)])
def test_the_database_and_its_side_files_follow_the_umask(tmp_path, umask, files) -> None:
    """SQLite made project.sqlite 0644 whatever the umask, and its -wal and -shm files copy that
    mode: a colleague's `aldesk status` left files the owner could not write."""
    before = os.umask(umask)
    try:
        store = ProjectStore.create(tmp_path / "p", pool_root=tmp_path, kind="image",
                                    classes=["a", "b"])  # fmt: skip
    finally:
        os.umask(before)
    try:
        for name in ("project.sqlite", "project.sqlite-wal", "project.sqlite-shm", "lock"):
            assert _mode(store.path / name) == files, name
    finally:
        store.close()


def test_another_users_side_files_are_named_instead_of_failing_every_answer(
    tmp_path, monkeypatch
) -> None:
    store = ProjectStore.create(tmp_path / "p", pool_root=tmp_path, kind="image",
                                classes=["a", "b"])  # fmt: skip
    path = store.path
    store.close()
    (path / "project.sqlite-shm").touch()  # as a reader leaves it (tests run as root: the
    shm = path / "project.sqlite-shm"  # permission is simulated)
    monkeypatch.setattr(opening.os, "access", lambda p, mode: os.fspath(p) != os.fspath(shm))
    with pytest.raises(ProjectReadOnly) as refused:
        ProjectStore.open(path)
    assert "project.sqlite-shm belongs to" in str(refused.value)
    assert "delete project.sqlite-wal and project.sqlite-shm" in str(refused.value)
    assert refused.value.reason.startswith("project.sqlite-shm belongs to")


def test_a_lock_file_of_another_user_in_a_writable_folder_names_the_owner(tmp_path) -> None:
    """A colleague's window said "its folder is read-only" of a folder open to the group."""
    lock = tmp_path / "p.aldesk" / "lock"
    lock.parent.mkdir()
    lock.touch()
    os.chmod(tmp_path / "p.aldesk", 0o755)
    error = lock_error(lock, PermissionError(errno.EACCES, "Permission denied"))  # no database
    assert isinstance(error, ProjectReadOnly)  # here: the project is not one we can write
    assert "belongs to" in str(error) and "folder is read-only" not in error.reason


def test_a_shared_project_whose_lock_file_alone_is_another_users_says_so(tmp_path) -> None:
    """Only the lock file was a colleague's; the message said the whole project was theirs and
    advised sharing it with the group, which it already was."""
    folder = tmp_path / "p.aldesk"
    folder.mkdir()
    (folder / "project.sqlite").touch()  # writable by us (root)
    (folder / "lock").touch()
    error = lock_error(folder / "lock", PermissionError(errno.EACCES, "Permission denied"))
    assert "its lock file belongs to" in str(error) and "delete the file “lock”" in str(error)
    assert error.reason.startswith("its lock file belongs to")
