"""Classes: valid names, default hotkeys (1-9, 0, then free letters) and colours."""

from __future__ import annotations

from collections.abc import Sequence

from aldesk.core.errors import AldeskError

# S skip, X can't label, R replay, L loop, Z undo (with Ctrl) stay free for the commands.
RESERVED = frozenset("lrsxz")
_ORDER = "1234567890" + "".join(c for c in "abcdefghijklmnopqrstuvwxyz" if c not in RESERVED)


def assign_hotkeys(n: int) -> list[str | None]:
    """Hotkeys for ``n`` classes in order; classes beyond the available keys get None."""
    keys: list[str | None] = list(_ORDER[:n])
    return keys + [None] * (n - len(keys))


PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip


def check_class_names(names: Sequence[str]) -> None:
    """Raise an AldeskError for no classes, an empty name, or a name given twice."""
    cleaned = [n.strip() for n in names]
    if not cleaned:
        raise AldeskError("A project needs at least one class.")
    if any(not n for n in cleaned):
        raise AldeskError("Class names cannot be empty.")
    seen: set[str] = set()
    for n in cleaned:
        if n.casefold() in seen:
            raise AldeskError(f"The class {n!r} is listed twice.")
        seen.add(n.casefold())
