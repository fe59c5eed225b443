"""What the new-project dialog produces, and its validation: plain Python, no Qt.

``validate_spec`` returns the problems by field so the dialog can show each next to its field,
and so it can be tested without a GUI.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from aldesk.core.classes import RESERVED, twice_text
from aldesk.core.pool import MediaCounts, count_media
from aldesk.core.project import ProjectSettings
from aldesk.core.records import PROJECT_SUFFIX
from aldesk.core.wording import count

__all__ = ["MediaCounts", "NewProjectSpec", "count_media", "validate_spec"]


@dataclass
class NewProjectSpec:
    """Everything the user chose: where, which classes and keys, and the project's settings."""

    folder: Path
    project_path: Path
    classes: list[str]
    hotkeys: list[str | None]
    settings: ProjectSettings = field(default_factory=ProjectSettings)
    kind: str | None = None  # 'image' or 'audio' for a mixed folder; None: the majority


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
        other = f" ({count(counts.other, 'other file')})" if counts.other else ""
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
        return "Add at least two classes: the model learns to tell them apart."
    if any(not n for n in names):
        return "A class has an empty name."
    if len(names) == 1:
        return (
            f"Add a second class: with only “{names[0]}” there is nothing to tell apart "
            f"(for a yes/no question, add e.g. “not {names[0]}”)."
        )
    seen: dict[str, str] = {}
    for n in names:
        if n.casefold() in seen:
            return twice_text(seen[n.casefold()], n)
        seen[n.casefold()] = n
    reserved = RESERVED
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
