"""What Progress and ``aldesk status`` show: counts that add up, and a test accuracy that says
how far it can be trusted.

Both read one ``Status`` and the text functions here, so the window and the command line give
the same numbers in the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from aldesk.core.item_columns import TEST
from aldesk.core.stopping import Advice
from aldesk.core.store import ClassInfo, Event, RoundRecord
from aldesk.core.wording import count

if TYPE_CHECKING:  # ``aldesk status`` reads Status without loading the session's modules
    from aldesk.core.answer_state import AnswerState
    from aldesk.core.item_columns import ItemColumns
    from aldesk.core.item_index import ItemIndex
    from aldesk.core.session_state import ModelState
    from aldesk.core.stream_status import StreamSummary

# Below this many labelled test items an accuracy is shown as "k of n right" with its interval,
# and the number of test labels still needed, never as a bare percentage.
MIN_TEST_ITEMS = 10


@dataclass(frozen=True)
class Status:
    """The session's numbers at one moment.

    Attributes:
        n_labeled: Labels on pool items: what the model learns from and the budget counts.
        n_pool: Readable pool items.
        per_class: Class name -> labels of that class, pool and test items together, so the
            counts add up to ``n_labeled + n_test_labeled``.
        n_test_labeled: Labels on held-out test items.
        n_test: Readable held-out test items.
        n_unreadable: Items that cannot be shown (unreadable or missing).
        round: Recorded rounds (a round is a model trained on new labels).
        accuracy: Test accuracy of the last recorded round.
        macro_f1: Macro-F1 of the last recorded round.
        training: A retrain is running or queued.
        advice: The stopping criteria's advice.
        features: The representation the current model uses, and why.
        accuracy_n: Test items ``accuracy`` was measured on (the same round).
        accuracy_ci: The 95% interval of ``accuracy`` (the same round).
        macro_f1_ci: The 95% interval of ``macro_f1`` (the same round).
        model_loaded: A model is in memory (after a reopen it is rebuilt from the labels).
        budget: The label budget, if one is set.
        n_labeled_away: Of ``n_labeled``, labels on pool files now missing or unreadable
            (kept, and counted, but outside ``n_pool``: the user is told, or the counts do
            not add up).
        n_by_model: Of ``n_labeled``, the labels the model gave (auto-label): counted apart,
            they are not the user's (the budget and the learning curve leave them out).
        n_test_labeled_away: Of ``n_test_labeled``, labels on test files now missing or
            unreadable (outside ``n_test``, as ``n_labeled_away`` is outside ``n_pool``).
        labels_since_model: Labels the latest recorded model has not seen (given or imported
            since; ``aldesk status`` says so, as its accuracy predates them).
        n_synth, n_synth_labeled: Of ``n_pool`` and ``n_labeled``, the blends the learner made
            (synthesis scenario): counted apart, they are not files of the user's folder.
    """

    n_labeled: int
    n_pool: int
    per_class: dict[str, int]
    n_test_labeled: int
    n_test: int
    n_unreadable: int
    round: int
    accuracy: float | None
    macro_f1: float | None
    training: bool
    advice: Advice | None
    features: str | None = None
    accuracy_n: int = 0
    accuracy_ci: tuple[float, float] | None = None
    macro_f1_ci: tuple[float, float] | None = None
    model_loaded: bool = False
    budget: int | None = None
    n_labeled_away: int = 0
    n_test_labeled_away: int = 0
    n_by_model: int = 0
    labels_since_model: int = 0
    n_synth: int = 0
    n_synth_labeled: int = 0

    @property
    def n_labels(self) -> int:
        """Every label, pool and test: the sum of ``per_class``."""
        return self.n_labeled + self.n_test_labeled


def per_class_counts(
    label_counts: Mapping[tuple[str, int], int], classes: list[ClassInfo], resolve: dict[int, int]
) -> dict[str, int]:
    """Class name -> labels, from counts by (item split, class id); merged classes resolved."""
    names = {c.id: c.name for c in classes}
    per_class = dict.fromkeys(names.values(), 0)
    for (_, cid), n in label_counts.items():
        name = names.get(resolve.get(cid, cid))
        if name is not None:
            per_class[name] += n
    return per_class


def split_total(label_counts: Mapping[tuple[str, int], int], split: str) -> int:
    return sum(n for (s, _), n in label_counts.items() if s == split)


def build_status(
    state: AnswerState,
    index: ItemIndex,
    model: ModelState,
    classes: list[ClassInfo],
    resolve: dict[int, int],
) -> Status:
    """The status of a session (see :class:`Status`); ``resolve`` maps merged classes."""
    latest: RoundRecord | None = model.latest_round()
    measured = latest is not None and latest.accuracy is not None
    return Status(
        n_labeled=split_total(state.label_counts, "pool"),
        n_pool=index.n_pool_ok,
        per_class=per_class_counts(state.label_counts, classes, resolve),
        n_test_labeled=split_total(state.label_counts, "test"),
        n_test=index.n_test,
        n_unreadable=index.n_unreadable,
        round=model.round,
        accuracy=latest.accuracy if measured else None,
        macro_f1=latest.macro_f1 if measured else None,
        training=model.pending,
        advice=model.advice(state, index),
        features=model.features_text(),
        accuracy_n=latest.n_test if measured else 0,
        accuracy_ci=_interval(latest) if measured else None,
        macro_f1_ci=f1_interval(latest) if measured else None,
        model_loaded=model.loaded,
        budget=model.settings.budget,
        n_labeled_away=_labeled_away(state, index),
        n_by_model=state.n_model_train,
        n_test_labeled_away=_test_labeled_away(state, index),
        labels_since_model=0 if model.pending else model.labels_since,
        n_synth=len(index.synth),
        n_synth_labeled=sum(_is_label(state.current.get(i)) for i in index.synth),
    )


def _is_label(answer: Event | None) -> bool:
    return answer is not None and answer.action == "label"


def _labeled_away(state: AnswerState, index: ItemIndex) -> int:
    """Pool labels whose file is now missing or unreadable (one numpy pass over the labels)."""
    ids, _ = state.train_items()
    ok = index.items.ok
    return int(np.count_nonzero(~ok[ids[ids < len(ok)]]))


def _test_labeled_away(state: AnswerState, index: ItemIndex) -> int:
    """Test labels whose file is now missing or unreadable (such files are few)."""
    items = index.items
    ids = items.ids[(items.split[items.ids] == TEST) & ~items.ok[items.ids]]
    return sum(_is_label(state.current.get(i)) for i in ids.tolist())


def away_text(n: int, sep: str = " ") -> str:
    """``+ 2 on files now missing or unreadable``: labels kept on files gone since, counted
    apart from the readable items' (within them, "73 of 649" put 73 against a total that
    left their files out: what is left to label came out 2 short)."""
    files = "a file" if n == 1 else "files"
    return f"{sep}+ {n} on {files} now missing or unreadable" if n else ""


def held_out_labeled_text(s: Status, sep: str = " ") -> str:
    """``10 of 48 + 1 on a file now missing or unreadable``: test labels on readable items,
    of those items, then those on files gone."""
    readable = s.n_test_labeled - s.n_test_labeled_away
    return f"{readable} of {s.n_test}{away_text(s.n_test_labeled_away, sep)}"


def _interval(r: RoundRecord) -> tuple[float, float] | None:
    if r.accuracy_lo is None or r.accuracy_hi is None:
        return None
    return (r.accuracy_lo, r.accuracy_hi)


def budget_room(s: Status) -> int | None:
    """Pool labels the budget still allows (None: no budget)."""
    return None if s.budget is None else max(0, s.budget - s.n_labeled)


def f1_interval(r: RoundRecord) -> tuple[float, float] | None:
    if r.macro_f1_lo is None or r.macro_f1_hi is None:
        return None
    return (r.macro_f1_lo, r.macro_f1_hi)


def labeled_text(s: Status, sep: str = " ") -> str:
    """``56 of 250 pool items + 12 test = 68``: which count is which, and that they add up.

    ``sep`` goes before the ``+`` (a line break in a narrow panel).
    """
    yours = max(0, s.n_labeled - s.n_synth_labeled - s.n_labeled_away - s.n_by_model)
    text = f"{yours} of {s.n_pool - s.n_synth} pool items{away_text(s.n_labeled_away, sep)}"
    if s.n_by_model:  # auto-label's: "156 of 856" counted 39 of them as the user's
        text += f"{sep}+ {s.n_by_model} by the model (auto-label)"
    if s.n_synth:  # blends are not files of the pool folder: "of 260" for a folder of 250
        text += f"{sep}+ {s.n_synth_labeled} of {count(s.n_synth, 'synthesized blend')}"
    text += f"{sep}+ {s.n_test_labeled} test = {s.n_labels}"
    if s.budget is not None:
        text += f" (budget {s.budget} pool labels)"
    return text


def accuracy_text(s: Status) -> str:
    """The last round's test accuracy with its own item count, and how far it can be trusted.

    With fewer than :data:`MIN_TEST_ITEMS` labeled test items it reads "3 of 8 test items
    right (95% interval 10%-70%); 2 more test labels needed", never a bare percentage.
    """
    if s.accuracy is None:
        if not s.n_test:
            return "no test items in this project"
        if s.n_test_labeled:  # labelled, but no model has been trained and scored on them yet
            n = s.n_test_labeled
            return f"not measured yet: no model yet ({n} test item{'s' if n > 1 else ''} labeled)"
        return "no test items labeled yet"
    n = s.accuracy_n
    interval = (
        f"95% interval {s.accuracy_ci[0]:.0%}–{s.accuracy_ci[1]:.0%}" if s.accuracy_ci else ""
    )
    if n < MIN_TEST_ITEMS:
        right = round(s.accuracy * n)
        more = MIN_TEST_ITEMS - n
        where = f" ({interval})" if interval else ""
        return (
            f"{right} of {n} test items right{where}; {more} more test label"
            f"{'s' if more > 1 else ''} needed for a usable figure"
        )
    return f"{s.accuracy:.1%} on {n} test items" + (f" ({interval})" if interval else "")


def macro_f1_text(s: Status) -> str:
    """Macro-F1 of the last round; not given on too few test items to mean anything."""
    if s.macro_f1 is None:
        return "—"
    if s.accuracy_n < MIN_TEST_ITEMS:
        return f"— (needs {MIN_TEST_ITEMS} test items)"
    if s.macro_f1_ci is None:  # shown beside an accuracy with its interval, it read as exact
        return f"{s.macro_f1:.1%}"
    lo, hi = s.macro_f1_ci
    return f"{s.macro_f1:.1%} (95% interval {lo:.0%}–{hi:.0%})"


def model_text(s: Status, extracting: bool = False) -> str:
    """The model's state in words; "up to date" only when a model is really in memory."""
    if extracting:
        return "waiting for features…"
    if not s.round:
        return "training…" if s.training else "not trained yet"
    if not s.model_loaded:
        return f"rebuilding round {s.round} from your labels…"
    if s.training:
        return "training…"
    if s.labels_since_model:  # "up to date" beside an accuracy that predates them misled
        if s.labels_since_model == 1:
            return "up to date but for the last label (it joins it at the next retrain)"
        newer = count(s.labels_since_model, "label")
        return f"up to date but for the last {newer} (they join it at the next retrain)"
    return "up to date"


def probability_text(p: float) -> str:
    """A probability as a whole percent that never reads as a certainty: 0.9996 (or a float32
    1.0, whose rivals underflowed) reads ">99%"; only a class with no training label gets 0%."""
    if p >= 0.995:
        return ">99%"
    if 0.0 < p < 0.005:
        return "<1%"
    return f"{p:.0%}"


def nothing_readable_text(index: ItemIndex, items: ItemColumns, watched: bool) -> str | None:
    """Why nothing is asked when no item of the project can be read at all, with one file's
    reason (a folder of .m4a files is not "every readable item answered"); None otherwise."""
    if index.n_pool_ok or index.tests or index.synth or not index.n_unreadable:
        return None
    first = items[int(items.ids[~items.ok[items.ids]][0])]
    when = "as they change" if watched else "when the project is opened again"
    return (f"No file of this project can be read ({count(index.n_unreadable, 'file')} "
            f"flagged, e.g. {first.relpath}: {first.reason or first.status}), so there is "
            f"nothing to ask. Convert or replace them in the pool folder: they are picked "
            f"up {when}.")  # fmt: skip


def nothing_left_text(
    spent: int | None,
    budget: int | None,
    index: ItemIndex,
    items: ItemColumns,
    stream: StreamSummary | None,
    watched: bool,
) -> str:
    """Why nothing is asked, for the window's "Nothing left to ask".

    Args:
        spent: Labels counted against the budget when it is spent, else None.
        budget: The project's label budget.
        stream: The stream's counts in the stream scenario, else None.
        watched: The pool folder is watched.
    """
    from aldesk.core.stream_status import ended_text

    if spent is not None:
        return (f"The label budget is spent: {spent} of {budget} labels on pool items (test "
                "items are not counted). Raise the budget in Project → Settings to go on.")  # fmt: skip
    unreadable = nothing_readable_text(index, items, watched)
    if unreadable is not None:
        return unreadable
    ended = ended_text(stream, watched) if stream is not None else None
    if ended is not None:
        return ended
    if watched:
        return ("Every readable item so far is labeled, skipped or marked can't label (the "
                "review window lists the skipped ones). The pool folder is watched: new "
                "files are asked about as they arrive.")  # fmt: skip
    return ("Every readable item is labeled, skipped or marked can't label (the review window "
            "lists the skipped ones). Files added to the pool folder are picked up when the "
            "project is opened again.")  # fmt: skip
