"""The labeling loop as seen from the GUI thread: session + background lanes, no widgets.

The controller is the only object that calls the session. It answers on the GUI thread (each
answer committed before the next item is announced), hands frozen training jobs to the trainer
lane (newest wins), and applies finished rounds in one step. Feature extraction runs in its own
lane; until it finishes the seed items are served from a random order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from aldesk.core import train_process
from aldesk.core.errors import AldeskError, ItemUnreadable, ProjectReadOnly, StoreWriteError
from aldesk.core.rounds import RoundResult
from aldesk.core.session import Query, Session
from aldesk.core.store import ProjectStore
from aldesk.gui import heap
from aldesk.gui.feature_flow import FeatureFlow
from aldesk.gui.pool_folder import PoolFolder
from aldesk.gui.similar_flow import SimilarFlow
from aldesk.gui.workers import FeatureLane, Lane, Trainer

T = TypeVar("T")


class LabelingController(FeatureFlow, PoolFolder, QObject):
    """Drives one open project. Signals carry core objects for the views to show."""

    query_changed = Signal(object)  # Query | None
    view_changed = Signal(object)  # Query: the item on screen as a newly applied model sees it
    status_changed = Signal(object)  # Status
    # list[RoundRecord], every round so far: on open, and after each applied model (the same
    # list, kept in memory and appended to: nothing is re-read; listeners must not change it)
    rounds_changed = Signal(object)
    remeasured = Signal(object)  # the rounds, after test labels changed the newest's accuracy
    # the item after the one on screen may have changed (a seed set drawn, a round applied)
    upcoming_changed = Signal()
    message = Signal(str)  # one-line notices for the status bar
    error = Signal(str)  # something the user must read (a failed save)
    features_progressed = Signal(int, int, float, float)  # done, total, rate, eta
    features_busy = Signal(bool)
    pool_missing = Signal(str)  # the pool folder is gone: the window offers to locate it

    def __init__(
        self, store: ProjectStore, parent: QObject | None = None, *,
        train_work: Callable | None = None, feature_work: Callable | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.store = store
        heap.settle()  # reading 100k items sets off full GC passes: they skip the modules
        self.session = Session(store)
        self._feature_stage = "pool"  # which extraction the feature lane is running
        self._pool_features = None  # the pool-learned FeatureSet, once extracted
        self._idle = False  # nothing was on screen at the last announcement
        self._latest_round = None  # the newest round the curve was given (see _emit_status)
        self.session.queue.inline_seed = False  # k-means seed drawing runs on a worker
        # The fit runs in the app's training process: in a thread it held the GIL the GUI
        # thread needs (key presses of 40-110 ms while 50,000 labels were fitted)
        self._train_in_process = train_work is None
        self.trainer = Trainer(train_work or train_process.run_round, self)
        self.features = FeatureLane(feature_work, self)
        self.trainer.ranked.connect(self._on_ranked)
        self.trainer.failed.connect(self._on_train_failed)
        self.trainer.busy_changed.connect(lambda _busy: self._emit_status())
        self.features.progressed.connect(self.features_progressed)
        self.features.progressed.connect(self._note_progress)
        self.features.finished.connect(self._on_features_finished)
        self.features.failed.connect(self._on_features_failed)
        self.features.busy_changed.connect(self.features_busy)
        self.features.busy_changed.connect(lambda _busy: self._emit_status())
        self.seeder = Lane(self, name="aldesk-seed")
        self.seeder.done.connect(self._on_seed_drawn)
        self.seeder.failed.connect(lambda text: self.message.emit(f"Seed set: {text}"))
        # Features arrive with a walk of every item (which row is whose): it runs here, and
        # the GUI thread only swaps the result in (0.3 s at 100k items when it did it itself)
        self.rows = Lane(self, name="aldesk-rows")
        self.rows.done.connect(self._on_rows_built)
        self.rows.failed.connect(lambda text: self.message.emit(f"Features: {text}"))
        self._then_features: Callable | None = None
        # A retrain due after an answer starts once the next item is on screen (the window calls
        # item_shown), so the fit never competes with that paint; the timer is the fallback.
        self._training_timer = QTimer(self, singleShot=True, interval=150)
        self._training_timer.timeout.connect(self.item_shown)
        # scikit-learn is imported on a worker once the features are in (FeatureFlow), not at
        # open: beside the rescan and the feature cache it made a fourth thread taking turns
        # at the GIL with the GUI thread (50,000 answers: stalls of 40-130 ms against 20-30)
        self.warmer = Lane(self, name="aldesk-preload")
        self._preloading = False
        self.scanner = Lane(self, name="aldesk-rescan")
        self.scanner.done.connect(self._on_rescanned)
        self.scanner.failed.connect(self._on_rescan_failed)
        # SQLite's page check, left out of opening (a second at 100k items): run on a worker
        # once the first item is shown; damage it finds is said like damage found on open
        self.checker = Lane(self, name="aldesk-check")
        self.checker.failed.connect(self.error)
        self.similar = SimilarFlow(self)  # Label → More like this
        self._pages_checked = False
        self._folder_gone_item: int | None = None  # shown while the pool folder was away
        self._offered_locate = False  # the window offered to locate the vanished folder
        self._unverified_item: int | None = None  # changed on disk, being rescanned
        self._rescanned_for: int | None = None  # the last item a rescan was started for
        self._told_crash = self._told_upgrade = False
        self._write_failing = False  # the last answer could not be saved (said in a dialog)
        self.destroyed.connect(heap.release_soon)  # start() froze this window's objects

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Show the first item at once; rescan the folder, then load or extract features.

        A moved pool folder is located first (``rescan`` asks), so no item is loaded from
        where the folder used to be. The rescan, the feature bookkeeping and the database's
        page check all run on workers: the GUI thread walks no list of items.
        """
        heap.settle()  # the session and window are built: full GC passes need not walk them
        self.rescan()
        self._announce()
        self.rounds_changed.emit(self.rounds)
        if self.current() is None:
            self._check_pages()  # nothing to show: no first paint to wait for

    def _check_pages(self) -> None:
        if self._pages_checked or self.store.readonly:  # a read-only open checked them
            return
        from aldesk.core.opening import check_pages_of

        self._pages_checked = True
        db = self.store.db_file
        self.checker.submit(lambda ctx: check_pages_of(db))

    def shutdown(self) -> None:
        """Stop both lanes and wait for them (called from the window's closeEvent)."""
        self._training_timer.stop()
        try:
            self.session.save_position()
        except AldeskError as exc:  # e.g. a full disk: only the bookmark of the item on screen
            self.error.emit(str(exc))  # is lost, and the lanes below must still stop
        self.scanner.shutdown()
        self.checker.shutdown()
        self.similar.shutdown()
        self.seeder.shutdown()
        self.rows.shutdown()
        self.warmer.shutdown()
        self.features.shutdown()
        self.trainer.shutdown()

    @property
    def rounds(self) -> list:
        """The learning curve's rounds: the session's own list (read on open, appended to as
        rounds are applied; read only)."""
        return self.session.model.rounds()

    # ------------------------------------------------------------------ answering
    def answer(self, class_id: int) -> None:
        query = self.current()
        if self.refused_blind(query) or self.refused_unverified(query):
            return
        self._act(lambda: self.session.answer(class_id))
        if query is not None and query.answer is not None:  # changed, going back: say so
            now = self.session.state.current.get(query.item.id)
            if now is not None and now.id != query.answer.id:
                self.message.emit(changed_text(query, class_id, self.session.classes))

    def skip(self) -> None:
        self._act(self.session.skip)

    def cannot_label(self) -> None:
        if self.refused_unverified(self.current()):
            return
        self._act(self.session.cannot_label)

    def undo(self) -> None:
        """Ctrl+Z: withdraw the newest change, an import or review edit included."""
        if self.session.step_is_newest():
            self.undo_step()
            return
        target = self.session.state.undo_target()
        if self._act(self.session.undo, retrain=False) and target is not None:
            # a fast undo, pressed again and again, had only the picture to go by
            now = self.session.state.current.get(target.item_id)
            self.message.emit(undone_text(target, self.store, now))

    def back(self) -> None:
        self._act(self.session.back, retrain=False)

    def forward(self) -> None:
        self._act(self.session.forward, retrain=False)

    def show_item(self, item_id: int) -> None:
        """Show one item (picked in the review window) for labeling; the next answer or
        Alt+←/→ returns to the loop."""
        self.session.show_item(item_id)
        self._announce()

    def more_like_this(self) -> None:
        """Label → More like this: the items most like the one on screen are asked next."""
        self.similar.request()

    def stop_similar(self) -> None:
        self.similar.stop()

    def similar_queued(self) -> None:
        """Similar items were queued: the next item may change; if none was on screen, ask."""
        self.upcoming_changed.emit()
        self._announce_if_idle()

    def classes_changed(self) -> None:
        """A class was added, renamed or merged: answers now count differently; retrain."""
        self.session.classes_changed()
        self._announce()
        self._request_training(force=True)

    def retrain_now(self) -> None:
        self._request_training(force=True)

    def append_edits(self, rows: list[tuple], name: str) -> list[int] | None:
        """A batch from the review window or an import, in one transaction and one undoable
        step (``name`` says what it was); None if it could not be saved (shown to the user).
        The labeling view and the model follow it."""
        return self._edit(lambda: self.session.append_step(rows, name))

    def undo_step(self) -> str | None:
        """Withdraw the newest review edit or import; what it was, None if none or not saved."""
        name = self._edit(self.session.undo_step)
        if name is not None:
            self.message.emit(f"Undid {name}.")
        return name

    def _edit(self, change: Callable[[], T]) -> T | None:
        try:
            result = change()
        except AldeskError as exc:
            self.error.emit(str(exc))
            return None
        self._announce()
        view = self.session.current_view()
        if view is not None:  # as the model in memory sees it: the query as first served
            self.view_changed.emit(view)  # showed an old round, or "being rebuilt" for good
        self._request_training(force=True)  # a correction is learned now, not a batch later
        return result

    def settings_changed(self, retrain: bool) -> None:
        """Project settings changed (settings dialog): they apply from the next item on."""
        self.session.reload_settings()
        if retrain:  # a new strategy, model or features: rank with it now, not a batch later
            self._request_training(force=True)
        self._emit_status()

    def _act(self, action: Callable, retrain: bool = True) -> bool:
        """Run a session action; whether it ran (a refusal or failure has been said)."""
        if self.current() is None and action not in (self.session.undo, self.session.back):
            return False
        try:
            action()
        except (ItemUnreadable, ProjectReadOnly) as exc:  # a key that cannot answer here: a
            self.message.emit(str(exc))  # line in the status bar, not a dialog per key press
            return False
        except AldeskError as exc:  # e.g. disk full: the answer was not saved, say so: in a
            failing = isinstance(exc, StoreWriteError)  # dialog once, then in the status bar
            (self.message if failing and self._write_failing else self.error).emit(str(exc))
            self._write_failing = failing
            return False
        self._write_failing = False
        self._announce()
        if retrain:
            self._training_timer.start()
        return True

    def training_pending(self) -> bool:
        """A retrain is scheduled or running, or features are being swapped in (which ends in
        a forced retrain)."""
        return self._training_timer.isActive() or self.trainer.busy or self.rows.busy

    def item_shown(self) -> None:
        """The new item is on screen: start the retrain an answer made due, if any."""
        self._training_timer.stop()
        self._request_training()
        self._check_pages()

    def _announce(self) -> None:
        try:
            # As the model in memory sees it: the item returned to after changing an earlier
            # answer is the query served before the model was rebuilt ("being rebuilt").
            query = self.session.current_view()
        except AldeskError as exc:  # a failed save while choosing: the item on screen stays
            self.error.emit(str(exc))
            return
        self._idle = query is None
        if query is None or query.item.id != self._unverified_item:
            self.check_on_disk(query)  # replaced while the folder was not watched?
        self.query_changed.emit(query)
        self._emit_status()

    def _announce_if_idle(self) -> None:
        """Nothing is on screen: an arrival scored since (a watched folder) may be asked now."""
        if self._idle:
            self._announce()

    def current(self) -> Query | None:
        """The item on screen. Choosing one can write (the seed queue, a stream's discards):
        a failed save (disk full) is shown and no item is served until the next try."""
        try:
            return self.session.current()
        except AldeskError as exc:
            self.error.emit(str(exc))
            return None

    def likely_next_path(self) -> str | None:
        """Where the item after the one on screen probably is, for the viewer to decode ahead
        (a guess; a wrong one costs a wasted decode, never a wrong item)."""
        try:
            item = self.session.likely_next()
        except AldeskError:  # a settings read failed: nothing is decoded ahead
            return None
        return None if item is None else str(self.store.abspath(item))

    def done_text(self) -> str:
        """Why nothing is asked (every item answered, or the label budget spent)."""
        return self.session.done_text()

    def _emit_status(self) -> None:
        rounds = self.rounds
        latest = rounds[-1] if rounds else None
        if latest is not self._latest_round:  # a test answer measured the model again
            self._latest_round = latest
            self.remeasured.emit(rounds)
        self.status_changed.emit(self.session.status())

    # ------------------------------------------------------------------ background results
    def _request_training(self, force: bool = False) -> None:
        if not force and self.trainer.busy:
            # The round in flight lands first (``_on_ranked`` asks again). A new request per
            # batch would cancel it: on a 100k pool at a brisk pace no round ever landed.
            return
        job = self.session.training_job(force=force)
        if job is not None:
            self.trainer.request(job)
            self._emit_status()

    @Slot(object)
    def _on_ranked(self, result: RoundResult) -> None:
        try:
            applied = self.session.apply_result(result)
        except AldeskError as exc:  # its round could not be recorded (disk full, read-only)
            self.message.emit(f"The new model is in use, but its round was not saved: {exc}")
            applied = True  # the model is in memory: the rest follows it
        if not applied:
            return
        if result.failure:
            self.message.emit(result.failure)
        self.rounds_changed.emit(self.rounds)  # the curve adds what was appended, if anything
        current = self.current()
        if current is not None and (current.item.origin == "synth" or self._idle):
            self._announce()  # a fresh membership query goes first; or a first item since idle
        elif current is not None:  # "Why this item?" follows the model now in memory
            self.view_changed.emit(self.session.current_view())
        self._emit_status()
        self.upcoming_changed.emit()
        self._request_training()  # answers given while it trained may make the next one due

    @Slot(str)
    def _on_train_failed(self, text: str) -> None:
        self.message.emit(f"Training failed: {text}")
        self._emit_status()


def changed_text(query: Query, class_id: int, classes) -> str:
    """The status bar after going back and answering: labeling goes on where it was (further
    keys do not change the answers after it), and the same class is "kept", not "X → X"."""
    names = {c.id: c.name for c in classes}
    old = names.get(query.answer.class_id, query.answer.action.replace("_", " "))
    name, new = query.item.relpath.rsplit("/", 1)[-1], names.get(class_id, "?")
    same = query.answer.class_id == class_id
    said = f"Kept {name}: still {old}" if same else f"Changed {name}: {old} → {new}"
    return f"{said}. Back to labeling (Alt+← steps back again)."


def undone_text(event, store, now=None) -> str:
    """ "Undid “cat” on img_042.png: it is asked again." for the answer an undo withdrew;
    "…: it is “dog” again." when it withdrew a change and the earlier answer stands (that
    read "it is asked again" though the item kept its first answer)."""
    from aldesk.core.pool import shown_path

    classes = [*store.classes(), *(c for c, _ in store.merged_classes())]
    names = {c.id: c.name for c in classes}

    def said(ev) -> str:
        what = {"skip": "the skip", "cannot_label": "“can't label”"}.get(ev.action)
        return what or f"“{names.get(ev.class_id, '?')}”"

    where = shown_path(store.item(event.item_id).relpath)
    after = "it is asked again" if now is None else f"it is {said(now)} again"
    after = after.replace("it is the skip", "it is skipped")
    return f"Undid {said(event)} on {where}: {after}."
