"""What the new-project dialog produces, and its validation: plain Python, no Qt.

``validate_spec`` returns the problems by field so the dialog can show each next to its field,
and so it can be tested without a GUI.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

PROJECT_SUFFIX = ".aldesk"

_FALLBACK_STRATEGIES = {
    "random": "Random: items in random order, a baseline",
    "least_confidence": "Least confidence: the model's top class is least probable",
    "margin": "Margin: the two most probable classes are closest",
    "entropy": "Entropy: the predicted distribution is most spread out",
}
_FALLBACK_SEED_METHODS = {
    "random": "Random: items in random order",
    "representative": "Representative: the most central item of each k-means cluster",
}
SCENARIOS = {
    "pool": "Pool: the model picks the most useful items from the whole folder",
    "stream": "Stream: items arrive one by one; the model decides whether to ask for each",
    "synthesis": "Synthesis: the model also makes new items (mixes) where it is least sure",
}
_FALLBACK_RESERVED = frozenset("srxz")


def pool_strategies() -> dict[str, str]:
    try:
        from aldesk.core.strategies import POOL_STRATEGIES
    except ImportError:
        return dict(_FALLBACK_STRATEGIES)
    return dict(POOL_STRATEGIES)


def seed_methods() -> dict[str, str]:
    try:
        from aldesk.core.strategies import SEED_STRATEGIES
    except ImportError:
        return dict(_FALLBACK_SEED_METHODS)
    return dict(SEED_STRATEGIES)


def reserved_keys() -> frozenset[str]:
    try:
        from aldesk.core.hotkeys import RESERVED
    except ImportError:
        return _FALLBACK_RESERVED
    return frozenset(RESERVED)


def default_hotkeys(n: int) -> list[str | None]:
    try:
        from aldesk.core.hotkeys import assign_hotkeys
    except ImportError:
        order = "1234567890" + "".join(c for c in "abcdefghijklmnopqrstuvwxyz" if c not in "srxz")
        return [order[i] if i < len(order) else None for i in range(n)]
    return assign_hotkeys(n)


@dataclass(frozen=True)
class MediaCounts:
    images: int
    audio: int
    other: int


def count_media(root: Path) -> MediaCounts:
    """Files by kind, by extension only (the core's ``pool.count_media``)."""
    from aldesk.core.pool import count_media as core_count_media

    c = core_count_media(root)
    return MediaCounts(c.images, c.audio, c.other)


@dataclass
class NewProjectSpec:
    """Everything the user chose; the lead's code turns it into a project."""

    folder: Path
    project_path: Path
    classes: list[str]
    hotkeys: list[str | None]
    strategy: str = "margin"
    scenario: str = "pool"
    batch: int = 5
    seed_size: int = 10
    seed_method: str = "representative"
    test_size: int = 50
    budget: int | None = None
    target_accuracy: float | None = None  # fraction, 0..1
    stable_predictions: bool = True
    extra: dict = field(default_factory=dict)

    def settings(self) -> dict:
        """The learning settings as keyword arguments for ``core.project.ProjectSettings``."""
        d = asdict(self)
        for key in ("folder", "project_path", "classes", "hotkeys", "extra"):
            d.pop(key)
        return d


def validate_spec(
    spec: NewProjectSpec, counts: MediaCounts | None, folder_error: str | None
) -> dict[str, str]:
    """Problems by field ('folder', 'project', 'classes'); empty when the spec can be created."""
    problems: dict[str, str] = {}
    folder_problem = _folder_problem(spec.folder, counts, folder_error)
    if folder_problem:
        problems["folder"] = folder_problem
    project_problem = _project_problem(spec.project_path)
    if project_problem:
        problems["project"] = project_problem
    class_problem = _class_problem(spec.classes, spec.hotkeys)
    if class_problem:
        problems["classes"] = class_problem
    return problems


def _folder_problem(folder: Path | None, counts: MediaCounts | None, error: str | None) -> str:
    if folder is None or not str(folder).strip() or str(folder) == ".":
        return "Choose a folder of images or audio clips."
    if error:
        return error
    if not folder.is_dir():
        return f"The folder {folder} does not exist."
    if not os.access(folder, os.R_OK | os.X_OK):
        return f"The folder {folder} cannot be read (permission denied)."
    if counts is None:
        return "Counting files…"
    if counts.images + counts.audio == 0:
        other = f" ({counts.other} other files)" if counts.other else ""
        return f"The folder holds no images or audio clips{other}."
    return ""


def _project_problem(path: Path | None) -> str:
    if path is None or path.name in ("", PROJECT_SUFFIX):
        return "Give the project a name."
    if path.exists() and (path / "project.sqlite").exists():
        return f"A project already exists at {path}. Choose another name or open it instead."
    if path.exists() and any(path.iterdir()):
        return f"{path} already exists and is not empty."
    parent = path.parent
    if not parent.is_dir():
        return f"The location {parent} does not exist."
    if not os.access(parent, os.W_OK):
        return f"The location {parent} is not writable."
    return ""


def _class_problem(classes: list[str], hotkeys: list[str | None]) -> str:
    names = [c.strip() for c in classes]
    if not names:
        return "Add at least one class (two or more to learn anything)."
    if any(not n for n in names):
        return "A class has an empty name."
    seen: dict[str, str] = {}
    for n in names:
        if n.casefold() in seen:
            return f"The class “{n}” appears twice."
        seen[n.casefold()] = n
    reserved = reserved_keys()
    used: dict[str, str] = {}
    for name, key in zip(names, hotkeys, strict=False):
        if not key:
            continue
        if len(key) != 1:
            return f"The key of “{name}” must be a single letter or digit."
        if key.lower() in reserved:
            return (
                f"The key {key.upper()} of “{name}” is reserved (S skip, X can't label, R replay)."
            )
        if key.lower() in used:
            return f"“{used[key.lower()]}” and “{name}” have the same key {key.upper()}."
        used[key.lower()] = name
    return ""
