"""Project ▸ Watch the pool folder: files dropped in (or removed) while the app runs join live.

A ``QFileSystemWatcher`` sees the pool folder and its sub-folders (listed by
``core.watch.folders_to_watch`` on a worker). Changes come in bursts (a copy of 50 files is 50
events), so a debounce timer waits until the folder is quiet and then asks the controller for
one rescan: the scan and its comparison with the store run on the controller's scan lane, the
features of new files are extracted on the feature lane, never on this thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal, Slot

from aldesk.gui.workers import Lane

DEBOUNCE_MS = 500  # the folder is "settled" after this long without a change
RECHECK_MS = 3000  # one more look later: a large file may still have been copied at the first


class FolderWatcher(QObject):
    """Watches one folder tree; ``settled`` fires once per burst of changes.

    Signals:
        settled(): the watched folders changed and have been quiet for ``DEBOUNCE_MS``.
        watching_changed(bool): watching started or stopped.
    """

    settled = Signal()
    watching_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root: Path | None = None
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._on_directory_changed)
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.on_settled)
        self._recheck = QTimer(self, singleShot=True, interval=RECHECK_MS)
        self._recheck.timeout.connect(self.settled)
        self._lister = Lane(self, name="aldesk-watch")
        self._lister.done.connect(self._on_listed)

    @property
    def root(self) -> Path | None:
        """The folder watched (with its sub-folders), or None."""
        return self._root

    @property
    def watching(self) -> bool:
        return self._root is not None

    def folders(self) -> list[str]:
        """The folders watched now (the pool folder first)."""
        return self._watcher.directories()

    def start(self, root: str | Path) -> None:
        """Watch ``root`` and its sub-folders (listed on a worker)."""
        was = self.watching
        self._root = Path(root)
        self._list_folders()
        if not was:
            self.watching_changed.emit(True)

    def stop(self) -> None:
        """Stop watching; nothing pending fires afterwards."""
        was = self.watching
        self._root = None
        self._debounce.stop()
        self._recheck.stop()
        self._lister.cancel()
        if self._watcher.directories():
            self._watcher.removePaths(self._watcher.directories())
        if was:
            self.watching_changed.emit(False)

    def shutdown(self) -> None:
        """Stop and wait for the folder listing (window closing)."""
        self.stop()
        self._lister.shutdown()

    @Slot()
    def on_settled(self) -> None:
        """The folder is quiet: one rescan now, one more a little later, and the folder list
        follows new or removed sub-folders. (Tests call this to skip the debounce.)"""
        self._debounce.stop()
        if not self.watching:
            return
        self.settled.emit()
        self._recheck.start()
        self._list_folders()

    @Slot(str)
    def _on_directory_changed(self, _path: str) -> None:
        if self.watching:
            self._debounce.start()  # restarted by every event of a burst

    def _list_folders(self) -> None:
        from aldesk.core.watch import folders_to_watch

        root = self._root
        self._lister.submit(lambda ctx: folders_to_watch(root))

    @Slot(object)
    def _on_listed(self, folders: list[str]) -> None:
        if not self.watching:
            return
        current = set(self._watcher.directories())
        gone = sorted(current - set(folders))
        new = [f for f in folders if f not in current]
        if gone:
            self._watcher.removePaths(gone)
        if new:
            self._watcher.addPaths(new)
