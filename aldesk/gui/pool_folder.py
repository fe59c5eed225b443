"""The controller's pool folder: rescans, a moved folder located, and items that fail to show.

``PoolFolder`` is a part of ``LabelingController`` (a mixin, as ``FeatureFlow`` is: the same
object, its lanes and signals); kept here so the controller reads as the labeling loop.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from aldesk.core.errors import AldeskError
from aldesk.core.pool_walk import WalkNotes

if TYPE_CHECKING:
    from PySide6.QtCore import Signal

    from aldesk.core.session import Query, Session
    from aldesk.core.store import ProjectStore
    from aldesk.gui.workers import Lane


# Said at the open after a session that ended without closing: labellers fear the worst then.
CRASH_NOTE = ("The last session ended without closing (a crash, a kill or a power cut); every "
              "answer it saved is here.")  # fmt: skip


def upgrade_note(version: int) -> str:
    return (f"This project was saved by an older aldesk and is now in this version's format; "
            f"older versions cannot open it. A copy as it was is kept in the project folder: "
            f"before-upgrade-format{version}.sqlite.")  # fmt: skip


def opening_notes(store: ProjectStore) -> list[str]:
    """What this open changed in the project: its format, keys two classes shared."""
    notes = [upgrade_note(store.upgraded_from)] if store.upgraded_from else []
    if store.unshared_keys:
        names = ", ".join(f"“{n}”" for n in store.unshared_keys)
        notes.append(f"{names} shared a key with another class and now have none: “/” picks "
                     "them by name, Project ▸ Settings gives them keys.")  # fmt: skip
    return notes


class PoolFolder:
    """Rescans and the vanished folder, for ``LabelingController``."""

    # set by LabelingController.__init__
    store: ProjectStore
    session: Session
    scanner: Lane
    message: Signal
    error: Signal
    pool_missing: Signal
    _folder_gone_item: int | None
    _offered_locate: bool
    _unverified_item: int | None
    _rescanned_for: int | None
    _told_crash: bool
    _told_upgrade: bool

    def rescan(self) -> None:
        """Look for new, moved and deleted files off the GUI thread (incremental: size+mtime).

        The worker reads the items through its own connection and returns only what to write.
        """
        from aldesk.core.pool_sync import rescan_plan

        root, kind, db = self.store.pool_root, self.store.kind, self.store.db_file
        if self.store.pool_followed_project and not self.store.readonly:
            self._follow_moved_pool(root)
        if not root.is_dir():
            self._offered_locate = True
            self.pool_missing.emit(str(root))  # the window may locate it: relocate_pool rescans
            if not self.store.pool_root.is_dir():
                self._start_features()  # cached features still work for what is on screen
            return
        self.scanner.submit(lambda ctx: rescan_plan(db, root, kind))

    def _follow_moved_pool(self, root: Path) -> None:
        """The project and its pool folder moved together: the project points at the new
        place from now on (and says so), not at the old one, should it come back."""
        from aldesk.core.pool_sync import relocate

        try:
            relocate(self.store, root)
        except AldeskError:
            return  # still found from the project at each open; nothing lost
        self.store.pool_followed_project = False
        self.message.emit(f"The pool folder moved with the project: now {root}.")

    def relocate_pool(self, folder: str) -> bool:
        """The user located the moved pool folder: rebase every item path on it, then rescan."""
        from aldesk.core.pool_sync import relocate

        try:
            relocate(self.store, folder)
        except AldeskError as exc:  # not the pool (or unwritable): nothing changed, say why
            self.error.emit(str(exc))
            return False
        self.session.reload_items()  # the item on screen now points into the new folder
        self._offered_locate = False
        self.rescan()
        return True

    def check_on_disk(self, query: Query | None) -> None:
        """The item about to be shown: a file whose size or time differ from the last scan
        may hold other content now (replaced while the folder was not watched). Rescan, and
        refuse answers on it until the rescan has said what it holds: the answer would go to
        the content scanned, the screen would show the new one."""
        self._unverified_item = None
        if query is None or query.item.origin != "file" or query.item.status != "ok":
            return
        if self.store.readonly or query.item.id == self._rescanned_for:
            return  # nothing can be answered; or checked once, and the scan's word stands
        try:
            now = query.abspath.stat()
        except OSError:
            return  # gone: the viewer's failed load flags it
        if (now.st_size, now.st_mtime_ns) != (query.item.size, query.item.mtime_ns):
            self._unverified_item = self._rescanned_for = query.item.id
            self.rescan()

    def refused_unverified(self, query: Query | None) -> bool:
        """An answer on an item whose file changed since the last scan, before the rescan
        has said what it holds: refused, and said (True)."""
        if query is None or query.item.id != self._unverified_item:
            return False
        self.message.emit(
            "This file changed on disk since the pool was last scanned; aldesk is checking "
            "what it holds now. Answer again in a moment."
        )
        return True

    def _on_rescanned(self, rescan) -> None:
        """Write what the rescan found (batched; nothing when the pool is unchanged)."""
        from aldesk.core.pool_sync import apply_plan

        checked = self._unverified_item is not None
        self._unverified_item = None
        if not rescan.plan.empty:
            try:
                apply_plan(self.store, rescan.plan)
            except AldeskError as exc:
                self.error.emit(str(exc))
            self.session.reload_items()
        said = rescan.summary()
        if self.store.recovered_after_crash and not self._told_crash:  # once, after the open's
            self._told_crash = True  # own rescan, which would otherwise say over it
            said = f"{said} {CRASH_NOTE}".strip()
        if not self._told_upgrade:  # once, after the open's own rescan
            self._told_upgrade = True
            said = " ".join(filter(None, [said, *opening_notes(self.store)]))
        if said:
            self.message.emit(said)
        if rescan.notes.unlisted:  # its files are not in the pool: say so at each open
            self.message.emit(WalkNotes(unlisted=rescan.notes.unlisted).text())
        if not rescan.plan.empty or self._pool_features is None:  # a watched folder's
            self._start_features()  # quiet re-checks change nothing: no features to read
        if not rescan.plan.empty or checked:
            self._announce()

    def _on_rescan_failed(self, text: str) -> None:
        self._unverified_item = None  # not known to be changed: the user may answer
        self.message.emit(f"Could not rescan the pool folder: {text}")
        self._start_features()

    def refused_blind(self, query: Query | None) -> bool:
        """A class key on an item that failed to show because its folder is away: refused,
        and said (True); it would label what the user has not seen."""
        if query is None or not self._blind(query):
            return False
        self.message.emit(
            f"The pool folder {self.store.pool_root} is not found, so this item cannot be "
            "shown or labeled: put the folder back or locate it, or press S."
        )
        return True

    def _blind(self, query: Query) -> bool:
        """The item on screen failed to show because its whole folder is away: a class key
        would label what the user has not seen (it is not flagged: it is not damaged)."""
        gone = query.item.id == self._folder_gone_item
        return gone and not self.store.pool_root.is_dir()

    # ------------------------------------------------------------------ bad items
    def flag_unreadable(self, query: Query, reason: str, path: object = None) -> bool:
        """The viewer could not decode the item: flag it in the store with the reason.

        Nothing is flagged when the whole pool folder is away (its items are not damaged, the
        folder is to be located) or when the failed load was of a path the item no longer has.
        Returns whether the failure was the shown item's (False: a stale path's).
        """
        if path is not None and Path(path) != query.abspath:
            return False
        if query.item.origin == "file" and not self.store.pool_root.is_dir():
            self._folder_gone_item = query.item.id
            self.message.emit(f"The pool folder {self.store.pool_root} is not found.")
            if not self._offered_locate:  # moved mid-session: offer to find it, once
                self._offered_locate = True
                root = str(self.store.pool_root)
                QTimer.singleShot(0, lambda: self.pool_missing.emit(root))
            return True
        status = "missing" if not query.abspath.exists() else "unreadable"
        try:
            self.store.update_item(query.item.id, status=status, reason=reason)
        except AldeskError as exc:
            self.error.emit(str(exc))
            return True
        self.session.item_flagged(query.item.id)  # one item followed, not 100k re-read
        self._emit_status()
        return True
