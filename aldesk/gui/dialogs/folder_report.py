"""What the new-project dialog says about the chosen folder, as plain text (no Qt).

The folder is examined off the GUI thread in two steps: the files are counted by extension
(instant), then every image or audio file's header is opened as the scan will do, so the dialog
can say how many files a project would leave out before it is created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from aldesk.core.pool import MediaCounts, count_media, find_unreadable, shown_path
from aldesk.core.project import held_out_size
from aldesk.core.wording import count

KIND_WORDS = {"image": "image", "audio": "audio clip", "other": "other file"}


@dataclass(frozen=True)
class FolderReport:
    counts: MediaCounts
    unreadable: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # kind -> files

    def total(self, kind: str) -> int:
        return self.counts.images if kind == "image" else self.counts.audio

    def readable(self, kind: str) -> int:
        return self.total(kind) - len(self.unreadable.get(kind, []))

    @property
    def mixed(self) -> bool:
        return self.counts.images > 0 and self.counts.audio > 0

    @property
    def majority(self) -> str:
        """The kind a project gets unless the user chooses (as ``aldesk new`` without --kind)."""
        return "audio" if self.counts.audio > self.counts.images else "image"


def examine_folder(folder: Path, report, should_stop) -> FolderReport:
    """Worker side: the counts (passed to ``report`` at once), then the unreadable files."""
    counts = count_media(folder)
    report(counts)
    return FolderReport(counts, find_unreadable(folder, should_stop=should_stop))


def counts_text(c: MediaCounts) -> str:
    """'Found 155 images · 0 audio · 5 other', then what else was left out, and why."""
    parts = [_plural(c.images, "image"), _plural(c.audio, "audio"), _plural(c.other, "other")]
    notes = c.notes.text() if c.notes is not None else ""
    return "Found " + " · ".join(parts) + (f"\n{notes}" if notes else "")


def _plural(n: int, kind: str) -> str:
    return count(n, KIND_WORDS[kind])


def unreadable_text(report: FolderReport | None, kind: str, shown: int = 3) -> str:
    """'3 images cannot be read: listed as unreadable …', then the first few with their
    reasons (one "e.g." of seven left the other six to be found after the project was made)."""
    if report is None:
        return "Checking that the files open…"
    bad = report.unreadable.get(kind, [])
    if not bad:
        return f"All {_plural(report.total(kind), kind)} open."
    head = (f"{_plural(len(bad), kind)} cannot be read: listed as unreadable with the reason, "
            "never asked:")  # fmt: skip
    more = len(bad) - shown
    tail = [f"… and {more} more (all in this line's tooltip)"] if more > 0 else []
    return "\n".join([head, *unreadable_lines(bad[:shown]), *tail])


def unreadable_lines(bad: list[tuple[str, str]]) -> list[str]:
    return [f"  {shown_path(path)}: {reason}" for path, reason in bad]


def unreadable_tip(report: FolderReport | None, kind: str, shown: int = 40) -> str:
    """Every unreadable file (up to ``shown``) for the note's tooltip."""
    bad = report.unreadable.get(kind, []) if report is not None else []
    if len(bad) <= 3:
        return ""
    lines = unreadable_lines(bad[:shown])
    return "\n".join(lines + ([f"… and {len(bad) - shown} more"] if len(bad) > shown else []))


def other_kind_text(report: FolderReport, kind: str) -> str:
    other = "audio" if kind == "image" else "image"
    n = report.total(other)
    return f"The {_plural(n, other)} will be left out: a project holds one kind." if n else ""


def held_out_text(requested: int, readable: int, kind: str) -> str:
    """Why the test set will be smaller than asked, or '' when it is not cut down."""
    size = held_out_size(requested, readable)
    if size >= requested:
        return ""
    return (f"The test set will be {_plural(size, kind)} rather than the {requested} set under "
            f"Advanced: with {_plural(readable, kind)} "
            "at most a fifth is kept aside, so the rest stays to learn from.")  # fmt: skip
