"""The labels the doubtful-label check flags, kept as a worklist while the review window is open.

The check runs again after every retrain, and every correction retrains: the list was rebuilt
from each new check. Going down it, a user saw it jump from 34 to 68 to 0 rows, and three doubted
labels not reached yet left it unseen (the last check, on a model agreeing with fewer than half
the labels, flagged none). A later check now adds its doubts and keeps the earlier ones the user
has not acted on (relabelled or confirmed); the window's next opening starts a fresh list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from aldesk.core.review_rows import ReviewRow

Hit = tuple  # (class checked, margin, (doubted as, its probability), confident)


class DoubtList:
    """Item id -> the check's doubt about its label, across the checks since the window opened."""

    def __init__(self) -> None:
        self._hits: dict[int, Hit] = {}
        self._carry = False

    def restart(self) -> None:
        """The window opens again: a fresh list, from the check it runs (the last opening's
        stayed listed until then, a second or so in which Enter confirmed a stale doubt)."""
        self._hits, self._carry = {}, False

    def update(self, result, class_ids: list[int], answers: Mapping[int, object]) -> int:
        """Take a check's doubts (``answers``: item id -> its current answer); returns how many
        doubts of earlier checks stay listed."""
        fresh = {
            s.item_id: (class_ids[s.given], s.margin, (class_ids[s.predicted], s.confidence),
                        s.confident)
            for s in result.suspects
        }  # fmt: skip
        kept = {}
        if self._carry:
            kept = {i: hit for i, hit in self._hits.items()
                    if i not in fresh and _untouched(answers.get(i), hit)}  # fmt: skip
        self._hits, self._carry = {**fresh, **kept}, True
        return len(kept)

    def row(self, row: ReviewRow) -> ReviewRow:
        """``row`` with its doubt, unless its label was changed or confirmed since the check."""
        hit = self._hits.get(row.item_id)
        if hit is None or hit[0] != row.class_id or row.strategy == "confirm":
            return row
        return replace(row, suspicion=hit[1], doubted_as=hit[2], doubt_confident=hit[3])


def _untouched(answer, hit: Hit) -> bool:
    """The label the check doubted still stands, neither changed nor confirmed."""
    return (answer is not None and answer.action == "label" and answer.class_id == hit[0]
            and answer.strategy != "confirm")  # fmt: skip


def kept_text(kept: int) -> str:
    """The summary's note on the doubts kept from earlier checks."""
    if not kept:
        return ""
    many = "doubt" if kept == 1 else "doubts"
    return (f" {kept} {many} of an earlier check since this window opened stay in “Suspicious "
            "only” until you relabel or confirm them.")  # fmt: skip
