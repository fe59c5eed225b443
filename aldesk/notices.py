"""Third-party components aldesk carries, with their licences (the About dialog's list).

A frozen build reads ``licenses/components.json``, written into the bundle by
``packaging/collect_licenses.py`` from what PyInstaller actually collected (with the licence
files beside it). Run from source, the list is worked out here from the installed distributions
aldesk requires, so the dialog shows the same kind of list either way. No Qt, no network.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

NOTICES_DIR = "licenses"  # in the bundle: <bundle>/_internal/licenses/
COMPONENTS_FILE = "components.json"
_REQUIREMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_LICENCE_FILE = re.compile(r"(LICEN[CS]E|COPYING|NOTICE|AUTHORS|ThirdPartyNotices)", re.I)

# Distributions whose metadata carries no licence file; the notice says where the terms are.
QT_NOTE = (
    "Qt 6 and Qt for Python (PySide6, shiboken6) are used under the GNU Lesser General Public "
    "License v3 (LGPL-3.0; its text and that of the GPL-3.0 it builds on are in the licence folder of the packages). The Qt "
    "libraries are separate shared libraries in the application folder and can be replaced "
    "with compatible builds of your own. Source: https://code.qt.io and https://download.qt.io."
)


@dataclass(frozen=True)
class Component:
    """One third-party part: a Python distribution, Python itself, or a model's weights."""

    name: str
    version: str
    license: str
    note: str = ""
    files: list[str] = field(default_factory=list)  # licence files, relative to the notices dir


def licence_of(dist: metadata.Distribution) -> str:
    """The licence in a few words: the SPDX expression, else the short License field or the
    trove classifier (some projects put the whole text in License; that is not a name)."""
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return expression
    text = (meta.get("License") or "").strip()
    if text and "\n" not in text and len(text) <= 80:
        return text
    classifiers = [c.rsplit("::", 1)[-1].strip() for c in meta.get_all("Classifier") or []
                   if c.startswith("License ::")]  # fmt: skip
    return "; ".join(classifiers) or "see the licence files"


def licence_files(dist: metadata.Distribution) -> list[Path]:
    """The licence and notice files a distribution installed (absolute paths)."""
    found = []
    for entry in dist.files or []:
        if _LICENCE_FILE.search(entry.name) and not entry.name.endswith((".py", ".pyc")):
            path = Path(str(dist.locate_file(entry)))
            if path.is_file():
                found.append(path)
    return sorted(found)


def requirement_closure(root: str = "aldesk") -> list[str]:
    """The installed distributions ``root`` needs at run time, ``root`` excluded.

    Requirements behind an extra are left out; other environment markers are not evaluated
    (a requirement for another platform is listed only if it is installed here).
    """
    seen: dict[str, str] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        key = _canonical(name)
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[key] = dist.metadata["Name"]
        for line in dist.requires or []:
            name_part, _, marker = line.partition(";")
            if "extra" not in marker:
                todo.append(_REQUIREMENT_NAME.match(name_part.strip()).group(0))
    seen.pop(_canonical(root), None)
    return sorted(seen.values(), key=str.lower)


def component_of(name: str) -> Component:
    dist = metadata.distribution(name)
    note = QT_NOTE if _canonical(name).startswith(("pyside6", "shiboken6")) else ""
    return Component(dist.metadata["Name"], dist.version, licence_of(dist), note)


def python_component() -> Component:
    return Component("Python", sys.version.split()[0], "PSF-2.0",
                     "The Python interpreter and standard library.")  # fmt: skip


def model_components(models_dir: Path | None = None) -> list[Component]:
    """The pretrained encoders' weights, from the manifest the converter wrote."""
    folder = models_dir or Path(__file__).resolve().parent / "models"
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [
        Component(f"{key} model weights ({entry.get('file', '')})", "",
                  entry.get("license", "see NOTICE.md"), entry.get("attribution", ""))
        for key, entry in sorted(manifest.items()) if isinstance(entry, dict)
    ]  # fmt: skip


def bundled_components(base: Path | None = None) -> list[Component] | None:
    """The list a frozen build carries, or None when there is none (run from source)."""
    folder = notices_dir(base)
    if folder is None:
        return None
    try:
        rows = json.loads((folder / COMPONENTS_FILE).read_text(encoding="utf-8"))
        return [Component(**row) for row in rows]
    except (OSError, ValueError, TypeError):
        return None


def notices_dir(base: Path | None = None) -> Path | None:
    """Where the licence files are: the bundle's ``licenses`` folder, if there is one."""
    base = base or Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[1]))
    folder = base / NOTICES_DIR
    return folder if (folder / COMPONENTS_FILE).is_file() else None


def components() -> list[Component]:
    """What the About dialog lists: the bundle's list, else the installed requirements."""
    bundled = bundled_components()
    if bundled is not None:
        return bundled
    return [python_component(), *map(component_of, requirement_closure()), *model_components()]


def to_json(items: list[Component]) -> str:
    return json.dumps([asdict(c) for c in items], indent=1, sort_keys=True) + "\n"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
