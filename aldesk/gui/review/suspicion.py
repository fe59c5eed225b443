"""The suspicious-label check, re-run off the GUI thread after each retrain (newest wins)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from aldesk.core.review import ReviewRequest, judged_labels, labelled_rows
from aldesk.core.session import Session
from aldesk.gui.workers import Lane


def review_request(session: Session) -> ReviewRequest | None:
    """The labels as they are now, on the features and columns the current model uses.

    Built on the GUI thread from the session (cheap: ids and row numbers); the worker gathers
    the feature rows and fits. None until features exist.
    """
    model = session.model
    if session.features is None:
        return None
    class_ids = [c.id for c in session.store.classes()]
    # the session's answers, in memory: the store's would read the whole log on this thread
    judged = judged_labels(session.store.labels(), session.state.current)
    ids, rows, y = labelled_rows(judged, class_ids, model.row_of)
    weights = None
    ranking = model.ranking
    if ranking is not None and ranking.choice is not None and model.layout is not None:
        weights = model.layout.weights(ranking.choice.name)
    st = session.settings
    return ReviewRequest(
        ids, session.features.X, rows, y, len(class_ids), st.model, weights, st.random_state
    )


def _run(request: ReviewRequest, pool: tuple, should_stop) -> tuple:
    """Worker: the doubtful labels, then near-duplicates and outliers of the whole pool."""
    from aldesk.core.review import find_suspicious
    from aldesk.core.review_space import scan_space

    result = find_suspicious(request, should_stop)
    if result is None or should_stop() or pool is None:
        return result, None
    ids, rows = pool
    space = scan_space(ids, request.X[rows], request.feature_weights,
                       random_state=request.random_state)  # fmt: skip
    return result, space


def _weights_key(request: ReviewRequest) -> bytes | None:
    w = request.feature_weights
    return None if w is None else np.asarray(w).tobytes()


def _pool_rows(session: Session) -> tuple[np.ndarray, np.ndarray]:
    """Item ids and feature rows of the readable pool and test files (not synthesized ones)."""
    row_of = session.model.row_of
    ids, rows = row_of.ids(), row_of.rows().astype(np.intp)
    keep = session.index.items.readable_files_mask(ids)
    return ids[keep], rows[keep]


class SuspicionLane(QObject):
    """Scores the labels on a worker; ``scored`` carries the newest result.

    Signals:
        scored(object, object, object): the SuspicionResult, the class ids its indices refer
            to, and the pool's near-duplicates and outliers (a SpaceReport).
        failed(str): too few labels, or the check failed (one line for the user).
        busy_changed(bool)
    """

    scored = Signal(object, object, object)
    failed = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lane = Lane(self, name="aldesk-review")
        self._lane.done.connect(self._on_done)
        self._lane.failed.connect(self.failed)
        self._lane.busy_changed.connect(self.busy_changed)
        self._space = None  # the newest scan, and the features it was made on:
        self._space_key: tuple | None = None  # it only changes when the features do

    @property
    def busy(self) -> bool:
        return self._lane.busy

    def request(self, session: Session) -> bool:
        """Start a check of the current labels; False when there are no features yet."""
        request = review_request(session)
        if request is None:
            return False
        class_ids = [c.id for c in session.store.classes()]
        key = (id(session.features), len(session.model.row_of), _weights_key(request))
        pool = _pool_rows(session) if key != self._space_key else None
        self._pending_key = key
        self._lane.submit(lambda ctx: (_run(request, pool, ctx.should_stop), class_ids))
        return True

    def _on_done(self, payload) -> None:
        (result, space), class_ids = payload
        if space is not None:
            self._space, self._space_key = space, self._pending_key
        if result is not None:
            self.scored.emit(result, class_ids, self._space)

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        return self._lane.shutdown(timeout_ms)

    def wait(self, timeout_ms: int = 30_000) -> bool:
        return self._lane.wait(timeout_ms)
