"""Label → More like this: the items nearest the one on screen, found on a worker, asked next.

The search reads every pool row (about a second at 100k items of 2,432 columns), so it runs in a
lane of its own; the GUI thread only builds the request (id arrays) and stores the result.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from aldesk.core.errors import AldeskError
from aldesk.core.similar import SimilarRequest, nearest, request_for
from aldesk.gui.workers import Lane


class SimilarFlow(QObject):
    """Finds and queues similar items for a :class:`LabelingController` (its parent)."""

    def __init__(self, controller) -> None:
        super().__init__(controller)
        self._c = controller
        self._lane = Lane(self, name="aldesk-similar")
        self._lane.done.connect(self._on_found)
        self._lane.failed.connect(lambda text: controller.message.emit(f"More like this: {text}"))

    @property
    def busy(self) -> bool:
        return self._lane.busy

    def request(self) -> None:
        """Look for the unlabeled items most like the item on screen."""
        query = self._c.current()
        if query is None:
            self._c.message.emit("More like this: there is no item on screen.")
            return
        request = request_for(self._c.session, query.item.id)
        if isinstance(request, str):
            self._c.message.emit(request)
            return
        name = query.item.relpath
        self._lane.submit(lambda _ctx: (request, name, nearest(request)))
        self._c.message.emit(f"Looking for the items most like {name}…")

    def _on_found(self, result: tuple[SimilarRequest, str, list]) -> None:
        request, name, picks = result
        try:
            self._c.session.queue.set_similar(request.item_id, picks)
        except AldeskError as exc:  # a full disk or a read-only project: nothing was queued
            self._c.error.emit(str(exc))
            return
        self._c.similar_queued()
        self._c.message.emit(
            f"Next: the {len(picks)} unlabeled items most like {name}, most similar first "
            "(Label → Back to the strategy's order ends this early)."
        )

    def stop(self) -> None:
        """Forget the similar items not asked yet: the strategy chooses again."""
        self._lane.cancel()
        queue = self._c.session.queue
        left = len(queue.similar_left(self._c.session.state.current))
        try:
            queue.clear_similar()
        except AldeskError as exc:
            self._c.error.emit(str(exc))
            return
        self._c.upcoming_changed.emit()
        said = (
            f"{left} similar item{'s' if left > 1 else ''} left unasked"
            if left
            else "no similar items were waiting"
        )
        self._c.message.emit(f"Back to the strategy's order ({said}).")

    def shutdown(self) -> None:
        self._lane.shutdown()
