"""Watching the pool folder while a project is open: which folders to watch.

The GUI's file-system watcher sees one folder at a time (not its sub-folders), so it is given
the pool folder and every sub-folder the scan would enter. A change in any of them asks for a
rescan (``pool.scan`` on a worker, compared with what the store knows; ``pool_sync`` applies
it): new files join the pool or the stream, removed ones are marked missing. Walking the folders
reads directories only, so it is cheap, and it runs on a worker too.
"""

from __future__ import annotations

import os
from pathlib import Path

from aldesk.core.records import PROJECT_SUFFIX

# inotify allows 8192 watches per user by default; a pool deeper than this is rescanned on a
# change in its first folders only (and on reopen, as always).
MAX_WATCHED = 2000


def folders_to_watch(root: str | os.PathLike[str], limit: int = MAX_WATCHED) -> list[str]:
    """The pool folder and its sub-folders, as the scan enters them (hidden folders, project
    folders and links to folders are not), breadth first, at most ``limit``.

    A folder that does not exist gives an empty list (the window offers to locate it).
    """
    root = Path(root)
    if not root.is_dir():
        return []
    found, queue = [str(root)], [root]
    while queue and len(found) < limit:
        folder = queue.pop(0)
        try:
            with os.scandir(folder) as it:
                children = sorted((c for c in it if _entered(c)), key=lambda c: c.name)
        except OSError:
            continue  # an unlistable folder is passed over, as the scan does
        for child in children[: limit - len(found)]:
            found.append(child.path)
            queue.append(Path(child.path))
    return found


def _entered(entry: os.DirEntry[str]) -> bool:
    if entry.name.startswith(".") or entry.name.endswith(PROJECT_SUFFIX):
        return False
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False
