"""Counts said in words: "1 label", "2 labels", never "1 labels"."""

from __future__ import annotations


def count(n: int, one: str, many: str | None = None) -> str:
    """``n`` and the noun that agrees with it, with thousands separators ("1,204 items").

    Args:
        n: The count.
        one: The singular noun ("label", "test item").
        many: The plural, when it is not ``one + "s"`` ("classes").
    """
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def be(n: int) -> str:
    """The verb that agrees with ``n``: "1 file is", "2 files are"."""
    return "is" if n == 1 else "are"
