"""Creating a project from a folder: the store, the pool scan, the held-out test split."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from aldesk.core.errors import (
    WORKER_FAILED,
    AldeskError,
    PoolMissing,
    ProjectDamaged,
    ProjectExists,
)
from aldesk.core.leftovers import remove_dead
from aldesk.core.records import PROJECT_SUFFIX
from aldesk.core.setting_types import check_types
from aldesk.core.store import DB_NAME, ProjectStore, project_path
from aldesk.core.strategies.pool import DEFAULT_STRATEGY
from aldesk.core.strategies.seed import DEFAULT_SEED_STRATEGY

if TYPE_CHECKING:  # the scan's modules import the image and audio decoders: only when scanning
    from aldesk.core.pool import ScanResult

SCENARIO_TEXT = {
    "pool": "Pool: the model picks the most useful items from the whole folder",
    "stream": "Stream: items arrive one by one; the model decides whether to ask for each",
    "synthesis": "Synthesis: the model also makes new items (mixes) where it is least sure",
}
SCENARIOS = tuple(SCENARIO_TEXT)
SEED_METHODS = ("random", "representative")
SEED_MIN = 10
SEED_PER_CLASS = 2


@dataclass
class ProjectSettings:
    """What a user chooses for a project; stored as plain JSON settings."""

    strategy: str = DEFAULT_STRATEGY
    representation: str = "auto"
    scenario: str = "pool"
    model: str = "logreg"
    batch: int = 5
    seed_size: int = 10
    seed_method: str = DEFAULT_SEED_STRATEGY
    test_size: int = 50
    budget: int | None = None
    target_accuracy: float | None = None
    stable_predictions: bool = True
    pool_fraction: float | None = None
    max_uncertainty: float | None = None
    stream_threshold: float | None = None  # None: budget-adaptive (variable uncertainty)
    stream_budget: float = 0.2  # fraction of arriving items the stream may query
    synthesis_every: int = 5  # synthesis scenario: one synthesized query in this many asked
    watch_folder: bool = False  # files added to / removed from the pool folder join live
    random_state: int = 0
    extra: dict = field(default_factory=dict)

    def validate(self) -> None:
        if self.scenario not in SCENARIOS:
            raise AldeskError(
                f"Unknown scenario {self.scenario!r}; use one of {', '.join(SCENARIOS)}."
            )
        if self.seed_method not in SEED_METHODS:
            raise AldeskError(f"Unknown seed method {self.seed_method!r}.")
        if self.batch < 1:
            raise AldeskError("The batch size must be at least 1.")
        if self.synthesis_every < 1:
            raise AldeskError("Synthesized queries come one in N items: N must be at least 1.")
        if self.test_size < 0 or self.seed_size < 0:
            raise AldeskError("Seed and test sizes cannot be negative.")
        if not 0 < self.stream_budget <= 1:
            raise AldeskError("A stream asks about a share of its arrivals: above 0 and at most 1.")
        _check_strategy(self.strategy)
        from aldesk.core.representation import REPRESENTATIONS

        if self.representation not in REPRESENTATIONS:
            raise AldeskError(
                f"Unknown features {self.representation!r}; use one of "
                f"{', '.join(REPRESENTATIONS)}."
            )

    @classmethod
    def for_classes(cls, n_classes: int, **overrides) -> ProjectSettings:
        """A new project's defaults for ``n_classes`` classes.

        The seed set (representative items labelled before any query strategy runs) grows with
        the class count: with 10 seeds and 9 classes the first model has seen about one example
        of each class, and its uncertainty is noise that margin sampling then chases.
        """
        values = {"seed_size": max(SEED_MIN, SEED_PER_CLASS * n_classes), **overrides}
        return cls(**values)

    @classmethod
    def from_store(cls, store: ProjectStore) -> ProjectSettings:
        """The stored settings, checked on the way in: a value of the wrong type or out of
        range is named in a ProjectDamaged error, never a crash deep in the loop."""
        known = cls.__dataclass_fields__
        values = {k: v for k, v in store.settings().items() if k in known}
        check_types(values, known.values(), store.path / DB_NAME)
        settings = cls(**values)
        try:
            settings.validate()
        except AldeskError as exc:
            raise ProjectDamaged(
                f"The project's settings are not valid: {exc} Restore {DB_NAME} from a backup."
            ) from None
        return settings


def _check_strategy(name: str) -> None:
    from aldesk.core.strategies import POOL_STRATEGIES

    if name not in POOL_STRATEGIES:
        raise AldeskError(
            f"Unknown strategy {name!r}; choose one of: {', '.join(POOL_STRATEGIES)}."
        )


def create_project(
    path: str | Path,
    pool_root: str | Path,
    classes: Sequence[str],
    settings: ProjectSettings | None = None,
    *,
    kind: str | None = None,
    hotkeys: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[ProjectStore, ScanResult]:
    """Create a project on ``pool_root``, scan it, and draw the random held-out test split.

    Raises:
        PoolMissing / NoMedia: the folder is missing or holds no readable media.
        ProjectExists: a project is already at ``path``.
    """
    from aldesk.core.pool import scan
    from aldesk.core.pool_sync import apply_scan

    settings = settings or ProjectSettings()
    settings.validate()
    pool_root = Path(pool_root).expanduser()
    if not pool_root.is_dir():
        raise PoolMissing(f"The folder {pool_root} does not exist.")
    final = project_path(path)
    _check_writable_parent(final)  # before the scan, which may take minutes
    # Fails before anything is written. The feature workers warm up while files are hashed.
    result = scan(pool_root, kind=kind, progress=progress, on_kind=_prepare_features)
    existed = final.exists() or final.is_symlink()
    # All or nothing: a half-made project would block the next attempt at this path. A new
    # folder is built under a hidden name and renamed into place when complete, so even a
    # killed `new` leaves nothing at the path (and its leftover is removed next time).
    where = final if existed else _staging(final)
    store = ProjectStore.create(
        where, pool_root=pool_root, kind=result.kind, classes=classes,
        settings=asdict(settings), hotkeys=hotkeys,
    )  # fmt: skip
    try:
        apply_scan(store, result)
        draw_test_split(store, settings.test_size, settings.random_state)
    except BaseException:
        store.close()  # ProjectStore.create refuses an existing project: all there is ours
        _undo_create(store.path, existed)
        raise
    if not existed:
        store = _move_into_place(store, final)
    return store, result


def _check_writable_parent(final: Path) -> None:
    """Refuse a project in a folder the user cannot write, naming the folder (``cd / && aldesk
    new x`` said "Permission denied: .x.creating-24966.aldesk", a name of our own)."""
    parent = final.absolute().parent
    if parent.is_dir() and not os.access(parent, os.W_OK | os.X_OK):
        raise AldeskError(f"Cannot create {final.name} in {parent}: you cannot write that "
                          "folder. Give the project a path in a folder of yours (for example "
                          f"~/{final.name}).")  # fmt: skip


def _staging(final: Path) -> Path:
    """A hidden sibling to build ``final`` in, after removing those of `new` runs that died."""
    prefix = f".{final.stem}.creating-"
    remove_dead(final.parent, prefix, PROJECT_SUFFIX)
    return final.with_name(f"{prefix}{os.getpid()}{PROJECT_SUFFIX}")


def _move_into_place(store: ProjectStore, final: Path) -> ProjectStore:
    """Rename the finished project to its own name and open it there."""
    staging = store.path
    store.close()
    try:
        os.rename(staging, final)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if final.exists():
            raise ProjectExists(f"A project already exists at {final}.") from exc
        raise
    return ProjectStore.open(final)


def _undo_create(path: Path, existed: bool) -> None:
    """Remove what a failed create made: the whole folder if it was new, else the database."""
    if not existed:
        shutil.rmtree(path, ignore_errors=True)
        return
    for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm"):
        (path / name).unlink(missing_ok=True)


def _prepare_features(kind: str, files: int) -> None:
    from aldesk.core.features import prepare_extraction  # numpy-heavy: imported when needed

    prepare_extraction(kind, files)


def held_out_size(requested: int, n_readable: int) -> int:
    """The test set a pool of ``n_readable`` items gets: never more than a fifth of it, so the
    rest stays to learn from."""
    return max(0, min(requested, n_readable // 5))


def draw_test_split(store: ProjectStore, size: int, random_state: int = 0) -> list[int]:
    """Mark ``size`` readable items, drawn at random (never by a strategy), as held-out tests."""
    ok = [it.id for it in store.items() if it.status == "ok" and it.origin == "file"]
    size = held_out_size(size, len(ok))
    rng = np.random.default_rng(random_state)
    chosen = sorted(int(i) for i in rng.choice(ok, size=size, replace=False)) if size else []
    store.set_split(chosen, "test")
    return chosen


def compute_features(
    store: ProjectStore,
    progress: Callable | None = None,
    should_stop: Callable[[], bool] | None = None,
    workers: int | None = None,
):
    """Extract (or load from the project's cache) features of every readable item.

    Items whose extraction fails are flagged unreadable with the reason, never skipped silently.
    Returns the core's ``FeatureResult``.
    """
    from aldesk.core.features import ensure_features

    items = [it for it in store.items() if it.status == "ok"]
    files = [(it.hash, store.abspath(it)) for it in items]
    result = ensure_features(
        store.cache_dir, store.kind, files, progress=progress, should_stop=should_stop,
        workers=workers,
    )  # fmt: skip
    flag_failures(store, result.failed)
    return result


def flag_failures(store: ProjectStore, failed: dict[str, str]) -> int:
    """Mark items whose features could not be computed as unreadable, with the reason; not
    those lost with a crashed worker (read again the next time features are extracted).

    A file that is not there is marked missing instead (a rescan brings it back), and nothing
    is flagged while the whole pool folder is away: it is to be located, its items are fine.

    Returns:
        How many items were flagged.
    """
    if not failed or not store.pool_root.is_dir():
        return 0
    changes = []
    for content_hash, reason in failed.items():  # a query per failure, not a walk of the pool
        if reason.startswith(WORKER_FAILED):  # the worker's fault, not the file's: read again
            continue
        it = store.item_by_hash(content_hash)
        if it is not None and it.status == "ok":
            status = "unreadable" if store.abspath(it).exists() else "missing"
            changes.append((it.id, {"status": status, "reason": reason}))
    store.update_items(changes)
    return len(changes)


def wants_pretrained(store: ProjectStore) -> bool:
    """Whether the project's model may use a pretrained encoder (any setting but "pool")."""
    return ProjectSettings.from_store(store).representation != "pool"


def compute_pretrained(
    store: ProjectStore,
    progress: Callable | None = None,
    should_stop: Callable[[], bool] | None = None,
    workers: int | None = None,
):
    """Pretrained-encoder features of every readable item, or why there are none.

    Returns:
        ``(FeatureResult | None, message)``: None with a one-line reason when the encoder is
        unavailable (model file missing or damaged) or the project pinned pool features.
        Items the encoder cannot read are not flagged here: the pool extractor already read
        them, and such an item simply stays out of the combined matrix.
    """
    from aldesk.core.features import ensure_features, extractors

    if not wants_pretrained(store):
        return None, "pool-learned features only (project setting)"
    ok, why = extractors.pretrained_available(store.kind)
    if not ok:
        return None, why
    items = [it for it in store.items() if it.status == "ok"]
    files = [(it.hash, store.abspath(it)) for it in items]
    key = extractors.pretrained_key(store.kind)
    result = ensure_features(
        store.cache_dir, key, files, progress=progress, should_stop=should_stop, workers=workers
    )
    return result, ""


def compute_representation(
    store: ProjectStore,
    progress: Callable | None = None,
    should_stop: Callable[[], bool] | None = None,
    workers: int | None = None,
    log: Callable[[str], None] | None = None,
):
    """Pool-learned features, then the pretrained ones, combined into one matrix.

    Returns:
        ``(FeatureResult of the pool extractor, combined FeatureSet, Layout)``.
    """
    from aldesk.core.representation import combine, single_layout

    result = compute_features(store, progress, should_stop, workers)
    pretrained, why = compute_pretrained(store, progress, should_stop, workers)
    notes = [*result.notes, *(pretrained.notes if pretrained is not None else ())]
    for note in notes if log is not None else ():
        log(note)  # damage found in the feature cache, and repaired
    if pretrained is None:
        if log is not None and why:
            log(f"pretrained features: {why}")
        return result, result.features, single_layout(result.features)
    combined, layout = combine(result.features, pretrained.features)
    return result, combined, layout
