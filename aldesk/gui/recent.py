"""Recently opened projects, kept as JSON in the user's config folder (no Qt, never pickled).

The folder is ``platformdirs.user_config_dir("aldesk")``; ``ALDESK_CONFIG_DIR`` overrides it
(tests, portable installs). A damaged file is treated as an empty list: losing the list of recent
projects must never stop the app from starting.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

FILE_NAME = "recent.json"
MAX_RECENT = 12


@dataclass(frozen=True)
class RecentProject:
    path: Path
    opened_at: float  # seconds since the epoch

    @property
    def name(self) -> str:
        name = self.path.name
        return name[: -len(".aldesk")] if name.endswith(".aldesk") else name

    @property
    def exists(self) -> bool:
        return self.path.is_dir()


def config_dir() -> Path:
    override = os.environ.get("ALDESK_CONFIG_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir("aldesk"))


def _file() -> Path:
    return config_dir() / FILE_NAME


def load_recent() -> list[RecentProject]:
    """Recent projects, newest first; missing projects included (the caller shows them)."""
    try:
        data = json.loads(_file().read_text(encoding="utf-8"))
        rows = data["projects"]
        return [RecentProject(Path(r["path"]), float(r.get("opened_at", 0.0))) for r in rows]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def add_recent(path: str | os.PathLike, *, now: float | None = None) -> list[RecentProject]:
    """Put ``path`` first in the list (moving it if present) and save."""
    path = _normal(path)
    entry = RecentProject(path, time.time() if now is None else now)
    rest = [r for r in load_recent() if r.path != path]
    return _save([entry, *rest][:MAX_RECENT])


def remove_recent(path: str | os.PathLike) -> list[RecentProject]:
    path = _normal(path)
    return _save([r for r in load_recent() if r.path != path])


def _normal(path: str | os.PathLike) -> Path:
    """Absolute, without ``..`` ("/tmp/trial/aldesk/../st.aldesk" was listed so, and twice if
    opened both ways); symbolic links are kept as the user named them."""
    return Path(os.path.normpath(Path(path).absolute()))


def _save(entries: list[RecentProject]) -> list[RecentProject]:
    target = _file()
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "version": 1,
        "projects": [{"path": str(r.path), "opened_at": r.opened_at} for r in entries],
    }
    fd, tmp = tempfile.mkstemp(prefix=".recent-", suffix=".json", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=1)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return entries
