"""Default label hotkeys: 1-9, 0, then letters not taken by the labeling commands."""

from __future__ import annotations

# S skip, X can't label, R replay, L loop, Z undo (with Ctrl) stay free for the commands.
RESERVED = frozenset("lrsxz")
_ORDER = "1234567890" + "".join(c for c in "abcdefghijklmnopqrstuvwxyz" if c not in RESERVED)


def assign_hotkeys(n: int) -> list[str | None]:
    """Hotkeys for ``n`` classes in order; classes beyond the available keys get None."""
    keys: list[str | None] = list(_ORDER[:n])
    return keys + [None] * (n - len(keys))
