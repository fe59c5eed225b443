"""The next item prepared ahead: an image decoded, or a clip analysed, on a lane of its own
while the user looks at the current one, so the key press that brings it shows it at once.

One result is kept, and only while its file's mtime and size are what they were when it was
read; a guess that misses costs one wasted preparation on this lane, never a wrong item.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from aldesk.gui.workers import JobContext, Lane

Prepare = Callable[[Path, JobContext], object]


def file_signature(path: Path) -> tuple[int, int] | None:
    """(mtime in ns, size) of the file, or None if it cannot be read: what tells a changed file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class PreparedAhead(QObject):
    """Prepares one path at a time in the background and keeps its result until taken.

    Signals:
        ready(Path, object): a preparation finished (failures and refusals are not told: the
            item says why when it is shown).
    """

    ready = Signal(object, object)

    def __init__(self, prepare: Prepare, parent: QObject | None = None, *, name: str) -> None:
        super().__init__(parent)
        self._prepare = prepare
        self._lane = Lane(self, name=name)
        self._lane.done.connect(self._on_done)
        self._lane.failed.connect(lambda _message: None)
        self._asked: Path | None = None
        self._kept: tuple[Path, tuple[int, int], object] | None = None

    def prepare(self, path: str | os.PathLike) -> None:
        """Start preparing ``path`` (unless it is kept or on the way), dropping any other."""
        target = Path(path)
        if target == self._asked:
            return
        self._asked, self._kept = target, None
        prepare = self._prepare
        self._lane.submit(lambda ctx: _prepared(prepare, target, ctx))

    def take(self, path: str | os.PathLike) -> object | None:
        """The result kept for ``path`` if its file is unchanged since; given once. Whatever
        else was kept is dropped (a still running preparation of ``path`` is told by ``ready``)."""
        kept, self._kept, self._asked = self._kept, None, None
        if kept is None or kept[0] != Path(path) or file_signature(kept[0]) != kept[1]:
            return None
        return kept[2]

    def held(self) -> Path | None:
        """The path whose result is kept, if any."""
        return None if self._kept is None else self._kept[0]

    def shutdown(self) -> None:
        self._asked = self._kept = None
        self._lane.shutdown()

    @Slot(object)
    def _on_done(self, done: tuple | None) -> None:
        if done is None:
            return
        self._kept = done
        self.ready.emit(done[0], done[2])


def _prepared(prepare: Prepare, path: Path, ctx: JobContext) -> tuple | None:
    """(path, file signature, result), or None if the file changed or there is no result."""
    before = file_signature(path)
    if before is None:
        return None
    quiet = JobContext(should_stop=ctx.should_stop, report=lambda _payload: None)
    result = prepare(path, quiet)
    if result is None or file_signature(path) != before:
        return None
    return path, before, result
