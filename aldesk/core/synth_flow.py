"""Membership queries in the flow: how often one is asked, and what each was made from.

In the synthesis scenario a retrain may build one blend of two pool items
(``aldesk.core.rounds``). ``synthesis_every = N`` asks one of them in every N items; the two
sources of each blend are kept in the project's settings (plain JSON, item ids and the mixing
ratio) so the window can show them beside the blend, also after a reopen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aldesk.core.store import Item, ProjectStore

SOURCES_KEY = "synth_sources"


@dataclass(frozen=True)
class SynthSources:
    """The two pool items a synthesized one blends: ``(1 - ratio) * first + ratio * second``."""

    first: Item | None  # None: the item is no longer in the project
    second: Item | None
    ratio: float

    def shares(self) -> tuple[int, int]:
        """How much of each source is in the blend, in percent."""
        second = round(self.ratio * 100)
        return 100 - second, second


def synth_due(history: Sequence[int], items: dict[int, Item], every: int) -> bool:
    """Whether a synthesized item may be asked now: none among the last ``every - 1`` asked.

    Args:
        history: Item ids answered, oldest first.
        items: The project's items by id.
        every: One synthesized item in this many asked (1: whenever one is ready).
    """
    recent = history[-(every - 1) :] if every > 1 else ()
    if every > 1 and len(history) < every - 1:
        return False  # the first N-1 items are the user's own files
    return not any(getattr(items.get(i), "origin", None) == "synth" for i in recent)


def record_sources(store: ProjectStore, item_id: int, parents: Sequence[int], ratio: float) -> None:
    """Remember which two items ``item_id`` was blended from (ids; negative: unknown)."""
    saved = dict(store.get(SOURCES_KEY, {}) or {})
    saved[str(int(item_id))] = {"parents": [int(p) for p in parents], "ratio": float(ratio)}
    store.set(SOURCES_KEY, saved)


def sources_of(store: ProjectStore, item_id: int, items: dict[int, Item]) -> SynthSources | None:
    """The sources of a synthesized item, or None when they were not recorded."""
    entry = (store.get(SOURCES_KEY, {}) or {}).get(str(int(item_id)))
    if not isinstance(entry, dict) or len(entry.get("parents", ())) != 2:
        return None
    first, second = (items.get(int(p)) for p in entry["parents"])
    return SynthSources(first, second, float(entry.get("ratio", 0.5)))


@dataclass(frozen=True)
class RowPaths:
    """The file behind each pool row, read when asked: a blend needs two of them, and the
    session must not build 100,000 paths per retrain for it. Safe on a worker (it reads the
    database through a connection of its own)."""

    db: Path
    pool_root: Path
    item_of_row: np.ndarray

    def __len__(self) -> int:
        return len(self.item_of_row)

    def __getitem__(self, row: int) -> Path:
        from aldesk.core.opening import connect_reader
        from aldesk.core.store_rows import py_path

        conn = connect_reader(self.db)
        try:
            found = conn.execute(
                "SELECT relpath FROM items WHERE id = ?", (int(self.item_of_row[row]),)
            ).fetchone()
        finally:
            conn.close()
        if found is None:
            raise IndexError(f"pool row {row} has no item")
        return self.pool_root / py_path(found[0])


def remove_unasked_blends(store: ProjectStore, held: Sequence[str]) -> int:
    """Remove the blend files of the project's synth folder that no item holds (``held``: the
    synthesized items' file names): a round killed between writing its blend and recording
    it left a file that is never asked and never removed. Returns how many went."""
    if store.readonly or not store.synth_dir.is_dir():
        return 0
    keep, removed = set(held), 0
    for path in store.synth_dir.iterdir():
        if path.name.startswith("synth_") and path.name not in keep and path.is_file():
            try:
                path.unlink()
            except OSError:  # e.g. a read-only folder: left, as before
                continue
            removed += 1
    return removed
