"""What the review view lists, filters and sorts, and the batch edits it appends to the log.

Pure data, no Qt: one :class:`ReviewRow` per item (its answer, where the answer came from, what
the model thinks), :func:`select` for the view's filters and sort orders, and the edits
(relabel, skip, clear) with their exact inverse, so a batch is undone as one action by
appending to the log, never by deleting from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from aldesk.core.records import Event, Item
from aldesk.core.wording import folded

REVIEW_STRATEGY = "review"  # the strategy recorded with the review view's edits
ANSWER_STATES = ("labeled", "skipped", "cannot_label", "unreadable", "unseen")
SOURCES = ("user", "import", "model")
SORTS = ("name", "confidence", "sure", "disagreement", "suspicion")


@dataclass(frozen=True)
class ReviewRow:
    """One item as the review view shows it.

    Attributes:
        item_id, relpath, split: The item.
        state: One of :data:`ANSWER_STATES`.
        class_id: The (merged-resolved) class of a label, else None.
        source: Who gave the answer: ``user``, ``import`` or ``model`` (None: no answer).
        predicted: The current model's most probable class id (None: no model yet).
        confidence: The model's probability of ``predicted``.
        given_proba: The model's probability of the given label (labelled items only).
        suspicion: The label's normalized margin from the out-of-sample check (negative:
            contradicted), None when the item is not a suspect.
        doubted_as: The class the out-of-sample model says a suspect is, and its probability.
        doubt_confident: Confident learning marks the suspect (the panel's "N of them
            confidently"); the others the model merely prefers another class for.
    """

    item_id: int
    relpath: str
    split: str
    state: str
    class_id: int | None = None
    source: str | None = None
    predicted: int | None = None
    confidence: float | None = None
    given_proba: float | None = None
    suspicion: float | None = None
    doubted_as: tuple[int, float] | None = None
    doubt_confident: bool = False  # confident learning marks it (not just any disagreement)
    strategy: str | None = None  # of the current answer ("confirm": the user confirmed it)
    # the file's trouble, whatever the answer: "missing" or "unreadable" and why (else None)
    trouble: str | None = None

    @property
    def disagreement(self) -> float:
        """How much the model disagrees with the label: ``1 - p(given)`` (0 when unlabelled)."""
        return 0.0 if self.given_proba is None else 1.0 - self.given_proba


def source_of(event: Event) -> str:
    if event.action == "discard":  # passed over by a stream: nobody saw it
        return "stream"
    if event.strategy == "import":
        return "import"
    if event.strategy in ("model", "auto"):
        return "model"
    return "user"


def _state(item: Item, event: Event | None) -> str:
    if event is None:
        return "unreadable" if item.status != "ok" else "unseen"
    return {"label": "labeled", "skip": "skipped", "cannot_label": "cannot_label"}.get(
        event.action, "unseen"
    )


def _trouble(item: Item) -> str | None:
    """``missing: the file is no longer in the pool folder`` for an item whose file is gone
    or cannot be read, answered or not (a labeled file deleted since looked like any other)."""
    if item.status == "ok":
        return None
    return f"{item.status}: {item.reason}" if item.reason else item.status


def build_rows(
    items: Iterable[Item],
    answers: Mapping[int, Event],
    resolve: Mapping[int, int],
    proba: Mapping[int, Sequence[float]] | None = None,
    class_ids: Sequence[int] = (),
) -> list[ReviewRow]:
    """One row per file item (synthesized ones excluded), in item-id order.

    Args:
        items: The project's items.
        answers: Item id -> current answer (``ProjectStore.answers()``).
        resolve: Class id -> active class id (``ProjectStore.class_resolver()``).
        proba: Item id -> the model's probabilities in ``class_ids`` order, if a model exists.
        class_ids: The active classes in column order.
    """
    column = {cid: k for k, cid in enumerate(class_ids)}
    rows = []
    for it in items:
        if it.origin != "file":
            continue
        ev = answers.get(it.id)
        ev = ev if ev is None or ev.action != "discard" else None
        cid = resolve.get(ev.class_id, ev.class_id) if ev is not None and ev.class_id else None
        row = ReviewRow(it.id, it.relpath, it.split, _state(it, ev), cid,
                        source_of(ev) if ev is not None else None,
                        strategy=ev.strategy if ev is not None else None,
                        trouble=_trouble(it))  # fmt: skip
        p = proba.get(it.id) if proba else None
        if p is not None and len(p):
            best = int(np.argmax(p))
            given = float(p[column[cid]]) if cid in column else None
            row = replace(row, predicted=class_ids[best], confidence=float(p[best]),
                          given_proba=given)  # fmt: skip
        rows.append(row)
    return rows


@dataclass(frozen=True)
class Filter:
    """The view's filters; None (or empty) means "any"."""

    text: str = ""
    class_id: int | None = None
    split: str | None = None
    state: str | None = None
    source: str | None = None
    suspicious: bool = False
    given: int | None = None  # a confusion-matrix cell: given label ...
    predicted: int | None = None  # ... and predicted class
    ids: tuple[int, ...] | None = None  # only these items, in this order (duplicates, outliers)


def _keep(row: ReviewRow, f: Filter, text: str) -> bool:
    return (
        (not text or text in folded(row.relpath))
        and (f.class_id is None or row.class_id == f.class_id)
        and (f.split is None or row.split == f.split)
        and (
            f.state is None
            or row.state == f.state
            or (f.state == "unreadable" and row.trouble is not None)
        )
        and (f.source is None or row.source == f.source)
        and (not f.suspicious or row.suspicion is not None)
        and (f.given is None or row.class_id == f.given)
        and (f.predicted is None or row.predicted == f.predicted)
        and (f.ids is None or row.item_id in f.ids)
    )


def select(rows: Sequence[ReviewRow], f: Filter, sort: str = "name") -> list[ReviewRow]:
    """The rows ``f`` keeps, in the ``sort`` order (see :data:`SORTS`).

    ``confidence`` puts the model's least sure items first, ``sure`` its surest first (confirm
    mode); ``disagreement`` the labels it disagrees with most; ``suspicion`` the most strongly
    contradicted labels (others last).
    """
    text = folded(f.text.strip())  # case and accents folded, composed or not (a Mac's names)
    kept = [r for r in rows if _keep(r, f, text)]
    if f.ids is not None:  # a list in its own order (closest pairs, most isolated first)
        position = {i: k for k, i in enumerate(f.ids)}
        kept.sort(key=lambda r: position[r.item_id])
    elif sort == "confidence":
        kept.sort(key=lambda r: (r.confidence is None, r.confidence or 0.0, r.item_id))
    elif sort == "sure":
        kept.sort(key=lambda r: (r.confidence is None, -(r.confidence or 0.0), r.item_id))
    elif sort == "disagreement":
        kept.sort(key=lambda r: (-r.disagreement, r.item_id))
    elif sort == "suspicion" or f.suspicious:
        kept.sort(key=lambda r: (r.suspicion is None, r.suspicion or 0.0, r.item_id))
    else:
        kept.sort(key=lambda r: (r.relpath.lower(), r.item_id))
    return kept


# ---------------------------------------------------------------------- batch edits
@dataclass(frozen=True)
class Edit:
    """One event to append: ``(item_id, action, class_id, split, undoes, strategy, score)``;
    ``score`` keeps the model's confidence in its guess where the user answered that guess."""

    item_id: int
    action: str
    class_id: int | None = None
    split: str = "pool"
    undoes: int | None = None
    strategy: str | None = REVIEW_STRATEGY
    score: float | None = None

    def as_row(self) -> tuple:
        return (self.item_id, self.action, self.class_id, self.split, self.undoes, self.strategy,
                self.score)  # fmt: skip


def plan_edits(
    action: str,
    item_ids: Iterable[int],
    items: Mapping[int, Item],
    answers: Mapping[int, Event],
    class_id: int | None = None,
) -> list[Edit]:
    """The events that relabel (``label``), skip (``skip``) or clear (``clear``) these items.

    Items whose answer would not change are left out (relabelling a label to itself, clearing
    an item without an answer), so a batch only holds real changes. Clearing appends an undo
    of the current answer: the item is then unanswered and may be asked again.
    """
    out = []
    for i in item_ids:
        ev = answers.get(i)
        ev = ev if ev is None or ev.action != "discard" else None
        split = items[i].split
        if action == "clear":
            if ev is not None:
                out.append(Edit(i, "undo", None, ev.split, undoes=ev.id))
        elif action == "label":
            if ev is None or ev.action != "label" or ev.class_id != class_id:
                out.append(Edit(i, "label", class_id, split))
        elif action == "skip":
            if ev is None or ev.action != "skip":
                out.append(Edit(i, "skip", None, split))
        else:
            raise ValueError(f"unknown review edit {action!r}")
    return out


def inverse(appended: Sequence[Event], by_id: Mapping[int, Event]) -> list[Edit]:
    """The edits that undo a batch: an undo of each appended answer, and for each cleared
    answer a copy of it (an undo cannot itself be withdrawn, so the answer is given again)."""
    out = []
    for ev in appended:
        if ev.action == "undo":
            old = by_id[ev.undoes]
            out.append(Edit(old.item_id, old.action, old.class_id, old.split, None, old.strategy,
                            old.score))  # fmt: skip
        else:
            out.append(Edit(ev.item_id, "undo", None, ev.split, undoes=ev.id))
    return out
