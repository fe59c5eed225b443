"""Text a word-wrapped label may break: a long word (a file or class name without spaces) gets
zero-width spaces between its characters, so it wraps instead of setting the label's width."""

from __future__ import annotations

ZERO_WIDTH_SPACE = "\u200b"


def breakable(text: str, longest: int = 20) -> str:
    """``text`` with every word longer than ``longest`` characters breakable anywhere."""
    words = text.split(" ")
    return " ".join(ZERO_WIDTH_SPACE.join(w) if len(w) > longest else w for w in words)
