"""Classes: valid names, default hotkeys (1-9, 0, then free letters) and colours."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aldesk.core.errors import AldeskError

# S skip, X can't label, R replay, L loop, Z undo (with Ctrl) stay free for the commands.
RESERVED = frozenset("lrsxz")
_ORDER = "1234567890" + "".join(c for c in "abcdefghijklmnopqrstuvwxyz" if c not in RESERVED)
# Spoken-digit sets name their classes in words; "one" on key 2 would be a trap at every press.
_NUMBER_WORDS = dict(
    zip(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
        "0123456789",
        strict=True,
    )
)


def own_key(name: str) -> str | None:
    """The key a class's name asks for: the name itself if it is one key ("3", "a"), the digit
    of an English number word ("seven" -> "7"), else None."""
    own = name.strip().lower()
    own = _NUMBER_WORDS.get(own, own)
    return own if len(own) == 1 and own in _ORDER else None


def hotkeys_for(names: Sequence[str], taken: Iterable[str | None] = ()) -> list[str | None]:
    """Hotkeys for the classes ``names``, none of them in ``taken``.

    A class whose name is itself a free key gets that key (classes "0".."9" get their own
    digit, not 1-9 then 0), as does one named by a number word ("zero".."nine"); the others get the remaining keys in order (1-9, 0, then letters).
    Classes beyond the available keys get None.
    """
    used = {k.lower() for k in taken if k}
    keys: list[str | None] = [None] * len(names)
    # Names that are a key claim it before number words do: "1" beats "one" to key 1.
    for exact in (True, False):
        for i, name in enumerate(names):
            own = own_key(name)
            spelled = len(name.strip()) == 1
            if keys[i] is None and own is not None and own not in used and spelled == exact:
                keys[i] = own
                used.add(own)
    free = (k for k in _ORDER if k not in used)
    for i, key in enumerate(keys):
        if key is None:
            keys[i] = next(free, None)
    return keys


# Mid-lightness, moderately saturated sRGB colours (Tableau 10 and colours picked to be far
# apart in CIELAB), ordered so that each is the farthest from all before it as seen with normal
# vision and simulated deuteranopia and protanopia (Machado et al. 2009): the first 10 differ by
# Delta-E76 >= 19 in all three (Tableau's own order put two at 0.9 for deuteranopes: red and
# green), any two of the first 30 by >= 23 with normal vision. Each class's key and name are
# shown beside its colour too, so 40+ classes stay distinguishable.
PALETTE = (
    "#4e79a7", "#edc948", "#88d0a0", "#706800", "#387050",
    "#7868e0", "#00d8d8", "#a8a8f8", "#f88860", "#989800",
    "#c01880", "#00a078", "#f870a8", "#48d878", "#98c0f0",
    "#c80858", "#f8b880", "#59a14f", "#008090", "#76b7b2",
    "#9c755f", "#808850", "#00a8f8", "#7868b0", "#00e0b0",
    "#a84060", "#b07aa1", "#bab0ac", "#c0c880", "#f28e2b",
    "#b08000", "#0078d8", "#9848a0", "#a05018", "#f890f8",
    "#00c8f8", "#a8d048", "#f0b0f0", "#ff9da7", "#e15759",
)  # fmt: skip


def twice_text(first: str, again: str) -> str:
    """Why two names cannot both be classes: the same, or the same but for case ("Fibula"
    and "fibula" were "listed twice", which neither was)."""
    if first == again:
        return f"The class “{again}” is listed twice."
    return (f"The classes “{first}” and “{again}” differ only in case (class names match "
            "ignoring case): give them names that differ in more.")  # fmt: skip


def parse_class_list(text: str) -> list[str]:
    """Class names from "a, b, c"; a name holding a comma is written in double quotes
    ('"Oil lamp (Roman, volute nozzle)", Scarab'): split at every comma, it made two
    classes of it without a word. Text of several lines is one name a line, as a classes
    file (``--classes @FILE``) is read: ``--classes "$(cat classes.txt)"`` gives the same
    classes as ``@classes.txt``, Windows line ends and byte-order mark included."""
    import csv

    text = text.lstrip("\ufeff")
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > 1:
        return names_per_line(lines)
    rows = csv.reader(lines, skipinitialspace=True)
    return [name.strip() for row in rows for name in row if name.strip()]


def names_per_line(lines: Sequence[str]) -> list[str]:
    """One class name a line (a classes file): blank lines skipped, a leading or trailing
    comma and surrounding double quotes dropped ("cat," and '"Oil lamp, Roman"' as a list's
    lines; ",dog" from "cat\r,dog", a list joined from a Windows file's lines)."""
    names = []
    for line in lines:
        name = line.strip().lstrip("\ufeff").strip()
        if name.endswith(","):
            name = name[:-1].strip()
        if name.startswith(","):
            name = name[1:].strip()
        if len(name) > 1 and name[0] == name[-1] == '"':
            name = name[1:-1].strip()
        if name:
            names.append(name)
    return names


def check_class_names(names: Sequence[str]) -> None:
    """Raise an AldeskError for no classes, an empty name, or a name given twice."""
    cleaned = [n.strip() for n in names]
    if not cleaned:
        raise AldeskError("A project needs at least one class.")
    if any(not n for n in cleaned):
        raise AldeskError("Class names cannot be empty.")
    seen: dict[str, str] = {}
    for n in cleaned:
        if n.casefold() in seen:
            raise AldeskError(twice_text(seen[n.casefold()], n))
        seen[n.casefold()] = n
