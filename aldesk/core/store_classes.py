"""The classes table of a project: adding, renaming, re-keying, merging and restoring classes.

``ProjectStore`` inherits ``ClassTable``. A merged class stays in the table (its past labels
count as the class it was merged into, see ``class_resolver``), so a merge can be
undone by ``restore_class``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from aldesk.core.classes import PALETTE, check_class_names, hotkeys_for, own_key
from aldesk.core.errors import AldeskError, UnknownClass
from aldesk.core.records import ClassInfo


class ClassTable:
    """The project's classes, in display order."""

    # set by ProjectStore
    _conn: sqlite3.Connection
    _write: Callable[[str, Sequence[Any]], sqlite3.Cursor]
    _write_many: Callable[[str, Iterable[Sequence[Any]]], None]
    _refuse_if_readonly: Callable[[], None]
    # The committed class list, read once: a key press asks for it several times, and only this
    # connection (the project's single writer) changes it, through the methods below.
    _classes_cache: tuple[ClassInfo, ...] | None = None

    def classes(self) -> list[ClassInfo]:
        """The active classes (merged ones excluded), in display order."""
        if self._classes_cache is not None:
            return list(self._classes_cache)
        rows = self._conn.execute(
            "SELECT id, name, hotkey, colour, ord FROM classes WHERE merged_into IS NULL "
            "ORDER BY ord, id"
        ).fetchall()
        found = [ClassInfo(*r) for r in rows]
        if not self._conn.in_transaction:  # inside one, a rollback could still undo a change
            self._classes_cache = tuple(found)
        return found

    def _change_classes(self, write: Callable[[], Any]) -> Any:
        """Run a write to the classes table; the cached list is read again afterwards."""
        self._classes_cache = None
        try:
            return write()
        finally:
            self._classes_cache = None

    def class_by_name(self, name: str) -> ClassInfo:
        for c in self.classes():
            if c.name == name:
                return c
        raise UnknownClass(f"Unknown class {name!r}; the project has: "
                           f"{', '.join(c.name for c in self.classes())}.")  # fmt: skip

    def add_class(
        self, name: str, hotkey: str | None = None, colour: str | None = None
    ) -> ClassInfo:
        self._refuse_if_readonly()
        name = name.strip()
        existing = self.classes()
        taken = next((c.name for c in existing if c.name.casefold() == name.casefold()), None)
        if taken is not None:  # "listed twice" read like a file's error
            raise AldeskError(f"A class named {taken!r} already exists.")
        check_class_names([c.name for c in existing] + [name])
        order = max((c.order for c in existing), default=-1) + 1
        if hotkey is None:  # "" is no key: a new project's classes past the last free key
            hotkey = hotkeys_for([name], taken=[c.hotkey for c in existing])[0]
        hotkey = hotkey or None
        colour = colour or PALETTE[order % len(PALETTE)]
        cur = self._change_classes(lambda: self._write(
            "INSERT INTO classes(name, hotkey, colour, ord, created_at) VALUES (?,?,?,?,?)",
            (name, hotkey, colour, order, time.time()),
        ))  # fmt: skip
        return ClassInfo(cur.lastrowid, name, hotkey, colour, order)

    def rename_class(self, class_id: int, name: str) -> None:
        self._refuse_if_readonly()
        others = [c.name for c in self.classes() if c.id != class_id]
        check_class_names([*others, name.strip()])
        sql = "UPDATE classes SET name = ? WHERE id = ?"
        self._change_classes(lambda: self._write(sql, (name.strip(), class_id)))

    def set_hotkeys(self, keys: dict[int, str | None]) -> None:
        """Give classes new label keys (class id -> key, or None for no key) in one transaction."""
        rows = [(k, cid) for cid, k in keys.items()]
        self._change_classes(
            lambda: self._write_many("UPDATE classes SET hotkey = ? WHERE id = ?", rows)
        )

    def unshare_keys(self) -> list[str]:
        """Take a shared key from all but one of its classes (the one named like it, else the
        first); returns their names. Projects of over 31 classes were made with five keys
        given twice ("L" and "1" on 1): those keys did nothing, silently."""
        holders: dict[str, list[ClassInfo]] = {}
        for c in self.classes():
            if c.hotkey:
                holders.setdefault(c.hotkey.lower(), []).append(c)
        freed = [c for key, cs in holders.items() if len(cs) > 1
                 for c in sorted(cs, key=lambda c: own_key(c.name) != key)[1:]]  # fmt: skip
        if freed and not self.readonly:
            self.set_hotkeys({c.id: None for c in freed})
        return [c.name for c in freed] if not self.readonly else []

    def merge_classes(self, src_id: int, dst_id: int) -> None:
        """Fold class ``src`` into ``dst``; past labels of ``src`` now count as ``dst``."""
        self._refuse_if_readonly()
        if src_id == dst_id:
            raise AldeskError("A class cannot be merged into itself.")
        sql = "UPDATE classes SET merged_into = ? WHERE id = ?"
        self._change_classes(lambda: self._write(sql, (dst_id, src_id)))

    def merged_classes(self) -> list[tuple[ClassInfo, int]]:
        """Classes merged away, newest first, each with the id of the class it was merged into."""
        rows = self._conn.execute(
            "SELECT id, name, hotkey, colour, ord, merged_into FROM classes "
            "WHERE merged_into IS NOT NULL ORDER BY id DESC"
        ).fetchall()
        return [(ClassInfo(*r[:5]), r[5]) for r in rows]

    def restore_class(self, class_id: int) -> ClassInfo:
        """Undo a merge: the class is listed again and its past labels count as itself.

        Its key comes back unless a class took it since, in which case it gets a free one.

        Raises:
            AldeskError: The class is not merged, or an active class now has its name.
        """
        self._refuse_if_readonly()
        merged = {c.id: c for c, _ in self.merged_classes()}
        if class_id not in merged:
            raise AldeskError("That class is not merged into another.")
        info = merged[class_id]
        active = self.classes()
        clash = next((c.name for c in active if c.name.casefold() == info.name.casefold()), None)
        if clash is not None:
            raise AldeskError(f"“{info.name}” cannot be restored: a class named “{clash}” is "
                              "in the list now. Rename that one first.")  # fmt: skip
        keys = [c.hotkey for c in active]
        hotkey = info.hotkey
        if hotkey is None or hotkey.lower() in {k.lower() for k in keys if k}:
            hotkey = hotkeys_for([info.name], taken=keys)[0]
        sql = "UPDATE classes SET merged_into = NULL, hotkey = ? WHERE id = ?"
        self._change_classes(lambda: self._write(sql, (hotkey, class_id)))
        return ClassInfo(info.id, info.name, hotkey, info.colour, info.order)

    def remove_class(self, class_id: int) -> None:
        """Delete a class no answer ever named (added by mistake). The log keeps every answer,
        withdrawn ones too, so a class that was used is merged into another instead.

        Raises:
            AldeskError: The class was used, another was merged into it, or only two are left.
        """
        self._refuse_if_readonly()
        name = next((c.name for c in self.classes() if c.id == class_id), None)
        if name is None:
            raise AldeskError("That class is not in the project.")
        ((used,),) = self._conn.execute("SELECT COUNT(*) FROM events WHERE class_id = ?",
                                        (class_id,)).fetchall()  # fmt: skip
        ((folded,),) = self._conn.execute("SELECT COUNT(*) FROM classes WHERE merged_into = ?",
                                          (class_id,)).fetchall()  # fmt: skip
        if used or folded:
            why = (f"{used} answer{'s' if used != 1 else ''} in the project's log (withdrawn ones "
                   "count: the log keeps them) name it" if used else "another class was merged "
                   "into it")  # fmt: skip
            raise AldeskError(f"“{name}” cannot be removed: {why}. Merge it into another class "
                              "instead (Classes → Merge classes…).")  # fmt: skip
        if len(self.classes()) <= 2:
            raise AldeskError(f"“{name}” cannot be removed: a project keeps two classes at least.")
        sql = "DELETE FROM classes WHERE id = ?"
        self._change_classes(lambda: self._write(sql, (class_id,)))

    def class_resolver(self) -> dict[int, int]:
        """Map every class id (merged ones too) to the active class it now counts as."""
        parent = dict(self._conn.execute("SELECT id, merged_into FROM classes").fetchall())

        def root(cid: int) -> int:
            seen = set()
            while parent.get(cid) is not None and cid not in seen:
                seen.add(cid)
                cid = parent[cid]
            return cid

        return {cid: root(cid) for cid in parent}
