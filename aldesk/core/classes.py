"""Classes: valid names, default hotkeys (1-9, 0, then free letters) and colours."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aldesk.core.errors import AldeskError

# S skip, X can't label, R replay, L loop, Z undo (with Ctrl) stay free for the commands.
RESERVED = frozenset("lrsxz")
_ORDER = "1234567890" + "".join(c for c in "abcdefghijklmnopqrstuvwxyz" if c not in RESERVED)


def hotkeys_for(names: Sequence[str], taken: Iterable[str | None] = ()) -> list[str | None]:
    """Hotkeys for the classes ``names``, none of them in ``taken``.

    A class whose name is itself a free key gets that key (classes "0".."9" get their own
    digit, not 1-9 then 0); the others get the remaining keys in order (1-9, 0, then letters).
    Classes beyond the available keys get None.
    """
    used = {k.lower() for k in taken if k}
    keys: list[str | None] = [None] * len(names)
    for i, name in enumerate(names):
        own = name.strip().lower()
        if len(own) == 1 and own in _ORDER and own not in used:
            keys[i] = own
            used.add(own)
    free = (k for k in _ORDER if k not in used)
    for i, key in enumerate(keys):
        if key is None:
            keys[i] = next(free, None)
    return keys


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
