"""The controller's features: pool-learned first, then the pretrained encoder's, each mapped
to the items on a worker and swapped into the session on the GUI thread.

``FeatureFlow`` is a part of ``LabelingController`` (a mixin: the same object, its lanes and
signals); it is kept here so the controller reads as the labeling loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aldesk.core.project import flag_failures
from aldesk.core.wording import count
from aldesk.gui import heap

if TYPE_CHECKING:
    from PySide6.QtCore import Signal

    from aldesk.core.session import Session
    from aldesk.core.store import ProjectStore
    from aldesk.gui.workers import FeatureLane, Lane


class FeatureFlow:
    """Extraction, the rows lane and the seed set, for ``LabelingController``."""

    # set by LabelingController.__init__
    store: ProjectStore
    session: Session
    features: FeatureLane
    rows: Lane
    seeder: Lane
    warmer: Lane
    _preloading: bool
    _train_in_process: bool
    _feature_stage: str
    _pool_features: object
    _then_features: Callable | None
    message: Signal  # and _request_training, _emit_status, _announce_if_idle: the loop's
    upcoming_changed: Signal

    def _start_features(self) -> None:
        """Pool-learned features first (fast: labeling and the first models use them), then
        the pretrained encoder's, which replace them by the combined matrix when ready."""
        self._feature_stage = "pool"
        self.features.start(self.store.cache_dir, self.store.kind, self._feature_files())

    def _feature_files(self) -> Callable[[], list]:
        """The readable items' (hash, path) list, read on the feature lane's worker."""
        from aldesk.core.features.item_files import readable_files

        db, pool_root, synth = self.store.db_file, self.store.pool_root, self.store.synth_dir
        return lambda: readable_files(db, pool_root, synth)

    def _start_pretrained(self) -> None:
        from aldesk.core.features.extractors import pretrained_available, pretrained_key
        from aldesk.core.project import wants_pretrained

        if not wants_pretrained(self.store):
            return
        ok, why = pretrained_available(self.store.kind)
        if not ok:
            self.message.emit(why)
            return
        self._feature_stage = "pretrained"
        self._pretrained_read = False  # until progress shows items being read, not cached
        key = pretrained_key(self.store.kind)
        self.features.start(self.store.cache_dir, key, self._feature_files())

    def _note_progress(self, done: int, total: int, _rate: float, _eta: float) -> None:
        if self._feature_stage == "pretrained" and done < total:
            self._pretrained_read = True

    def _apply_pretrained(self, result) -> None:
        from aldesk.core.representation import combine

        self._feature_stage = "done"
        if self._pool_features is None or result.cancelled:
            return
        pool = self._pool_features
        if not self.store.readonly:  # both in use are complete: older versions' caches go
            from aldesk.core.features.cache import prune_caches

            prune_caches(self.store.cache_dir, {pool.extractor_id, result.features.extractor_id})
        self._install_features(lambda: combine(pool, result.features), self._pretrained_set)

    def _pretrained_set(self, combined, layout, rows) -> None:
        if len(combined) < len(self._pool_features):
            missing = len(self._pool_features) - len(combined)
            self.message.emit(
                f"The pretrained encoder could not read {count(missing, 'item')}; the model leaves "
                "them out while it uses the pretrained features."
            )
        if len(combined) == 0:
            return
        self.session.set_features(combined, layout, rows)
        if getattr(self, "_pretrained_read", True):  # from the cache (every reopen): unsaid
            # after a rescan only the new files' were read: the model compared the rest already
            again = getattr(self, "_pretrained_in", False)
            self.message.emit("Pretrained features of the new files are ready." if again else
                              "Pretrained features are ready: the model now also compares them.")  # fmt: skip
        self._pretrained_in = True
        self._request_training(force=True)
        self._emit_status()

    def cancel_features(self) -> None:
        self.features.cancel()
        self.message.emit("Feature extraction cancelled; what was extracted is kept.")

    @property
    def extracting(self) -> bool:
        """The features the model needs are still being extracted (the pretrained ones come
        later, in the background, while the model already trains on the pool-learned ones)."""
        return self.features.busy and self._feature_stage == "pool"

    @property
    def extracting_pretrained(self) -> bool:
        return self.features.busy and self._feature_stage == "pretrained"

    def _on_features_finished(self, result) -> None:
        for note in result.notes:  # a damaged feature cache was found and is being rebuilt
            self.message.emit(note)
        if self._feature_stage == "pretrained":
            self._apply_pretrained(result)
            return
        self._pool_features = result.features
        flagged = flag_failures(self.store, result.failed)
        if flagged:
            self.session.reload_items()
            self.message.emit(f"{count(flagged, 'item')} could not be read; they are flagged.")
        pool = result.features
        self._install_features(lambda: (pool, None), lambda *built: self._pool_set(result, *built))

    def _install_features(self, make: Callable[[], tuple], then: Callable) -> None:
        """Make ``(features, layout)`` and map the items to its rows on a worker; ``then(
        features, layout, rows)`` runs here once they are built (a newer call supersedes)."""
        rows_for = self.session.rows_job()

        def build(ctx) -> tuple:
            features, layout = make()
            return features, layout, rows_for(features)

        self._then_features = then
        self.rows.submit(build)

    def _on_rows_built(self, built: tuple) -> None:
        then, self._then_features = self._then_features, None
        if then is not None:
            then(*built)

    def _pool_set(self, result, features, _layout, rows) -> None:
        """Swap in the pool-learned features; then seed, train, and read the pretrained ones."""
        self.session.set_features(features, None, rows)
        heap.settle()  # the features' index and row maps stay: later full GC passes skip them
        self._announce_if_idle()
        self._preload_learner()
        seed = self.session.seed_job()
        if seed is not None:
            from aldesk.core.session_queue import draw_seed

            self.seeder.submit(lambda ctx: _without_full_gc(lambda: draw_seed(*seed())))
        if result.cancelled:
            self.message.emit("Features are incomplete; reopen the project to finish them.")
        self._request_training(force=True)
        self._emit_status()
        if not result.cancelled:
            self._start_pretrained()

    def _preload_learner(self) -> None:
        """Start the training process, or import scikit-learn on a worker (once) before the
        first retrain needs it here."""
        if not self._preloading:
            self._preloading = True
            in_process = self._train_in_process

            def warm(ctx: object) -> None:
                if in_process:  # the training process imports scikit-learn in its own time
                    from aldesk.core import shared_pool, train_process

                    train_process.start()
                    if shared_pool.SHARED:  # it also ranks: the app never needs scikit-learn
                        return
                preload_learner()

            self.warmer.submit(warm)

    def _on_seed_drawn(self, item_ids: list[int]) -> None:
        self.session.set_seed(item_ids)
        self.upcoming_changed.emit()

    def _on_features_failed(self, text: str) -> None:
        self.message.emit(f"Feature extraction failed: {text}")


def preload_learner() -> None:
    """Import scikit-learn on a worker, with no full GC pass over the import until it is done
    (each held the GIL, the GUI thread's included, 40-90 ms at 100k items)."""
    from aldesk.core.learner import preload

    _without_full_gc(preload)


def _without_full_gc(work: Callable):
    """``work()`` with no full GC pass until it is done: a seed set drawn by k-means imports
    scikit-learn, as ``preload_learner`` does."""
    with heap.building():
        return work()


def progress_text(what: str, done: int, total: int, rate: float, eta: float | None) -> str:
    """The status bar's extraction line; a cached run says so (it read "249/249 (0/s)", as if
    stalled, on a project whose features ``aldesk new`` had already made)."""
    if rate <= 0:
        state = "loaded from the project's cache" if done >= total else "starting…"
        return f"{what}: {done}/{total} ({state})"
    eta_text = f", {eta:.0f} s left" if eta and eta > 0 else ""
    return f"{what}: {done}/{total} ({rate:.0f}/s{eta_text})"
