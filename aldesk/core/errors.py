"""Errors a user can cause. Each carries a message a person can act on.

The GUI shows ``str(error)`` in a dialog; the CLI prints it and exits 2.
"""

from __future__ import annotations


class AldeskError(Exception):
    """Base class of every error the user can cause (bad folder, bad file, locked project)."""


class ProjectLocked(AldeskError):
    """Another live aldesk process holds the project's write lock."""


class ProjectTooNew(AldeskError):
    """The project was written by a newer aldesk (higher schema version)."""


class ProjectExists(AldeskError):
    """A project already exists where a new one was to be created."""


class ProjectNotFound(AldeskError):
    """The path is not an aldesk project."""


class ProjectDamaged(AldeskError):
    """The project's database or lock file is damaged, foreign or edited; it is never repaired
    in place (the message says how to restore it or save what it still holds)."""


class ProjectReadOnly(AldeskError):
    """The project cannot be written (read-only disk, permissions, full disk); it can be read.

    ``reason`` is the short why, shown next to a project opened read-only.
    """

    def __init__(self, message: str, reason: str = "it cannot be written") -> None:
        super().__init__(message)
        self.reason = reason


class PoolMissing(AldeskError):
    """The pool folder does not exist (moved, unmounted, deleted)."""


class NoMedia(AldeskError):
    """The pool folder holds no image or audio file aldesk can read."""


class UnknownClass(AldeskError):
    """A label names a class the project does not have."""


class BadLabelsFile(AldeskError):
    """A labels file (CSV/JSON) cannot be read or has the wrong columns."""


class MediaError(AldeskError):
    """One media file cannot be decoded; ``reason`` is short and shown next to the item."""

    def __init__(self, reason: str, path: str | None = None) -> None:
        super().__init__(f"{path}: {reason}" if path else reason)
        self.reason = reason
        self.path = path


class StoreWriteError(AldeskError):
    """The project database could not be written (disk full, read-only medium)."""


class FeaturesNotSaved(AldeskError):
    """The feature cache could not be written (disk full, read-only medium); no label is lost."""


class ItemUnreadable(AldeskError):
    """The item cannot be shown, so it cannot be labelled (it can be skipped)."""


# The reason of items lost with a crashed feature worker, not found unreadable: they are read
# again next time (an environment fault crashed every worker and 34 good photos were flagged)
WORKER_FAILED = "extraction failed"
