"""What the stream view shows: arrivals seen, queried and discarded, and the threshold now.

Counted from the answer log (the truth, kept up to date by ``AnswerState``), not from the query
rule's own counters: those miss the arrivals queried before a model existed, and a reopened
project would count a decision twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aldesk.core.strategies.stream import AdaptiveRule, StreamRule
from aldesk.core.wording import count


@dataclass(frozen=True)
class StreamSummary:
    """The stream at one moment.

    Attributes:
        seen: Arrivals decided so far (queried + discarded).
        queried: Arrivals put to the user (answered, or on screen now).
        discarded: Arrivals passed over (see :func:`discard_reason`).
        waiting: Readable arrivals not decided yet (later in the stream, or still being read).
        threshold: The confidence an arrival must reach to be discarded.
        adaptive: The threshold adapts so that about ``budget`` of arrivals are queried.
        budget: Share of arrivals the adaptive rule may query.
        ruled: ``(queried, seen)`` of the arrivals the rule decided: not the seed set's, asked
            before any model could (the share the rule keeps to is of these).
    """

    seen: int
    queried: int
    discarded: int
    waiting: int
    threshold: float | None
    adaptive: bool
    budget: float | None
    ruled: tuple[int, int] = (0, 0)  # (queried, seen) by the rule, once a model decided


def summarize_stream(
    decided: Sequence[int],
    n_arrivals: int,
    on_screen_open: bool,
    rule: StreamRule,
) -> StreamSummary:
    """Count the arrivals (readable pool files) by what the stream did with them.

    Kept counts, not a walk over the arrivals: this runs after every answer.

    Args:
        decided: Answered arrivals: ``[queried, discarded]`` (``AnswerState.arrivals_decided``).
        n_arrivals: All arrivals so far (the session's ``index.arrivals``).
        on_screen_open: An arrival is asked now and not answered yet (queried, not waiting).
        rule: The stream's query rule, for its threshold.
    """
    queried, discarded = decided[0] + on_screen_open, decided[1]
    waiting = n_arrivals - queried - discarded
    adaptive = isinstance(rule, AdaptiveRule)
    return StreamSummary(
        seen=queried + discarded, queried=queried, discarded=discarded, waiting=waiting,
        threshold=None if rule.threshold is None else float(rule.threshold), adaptive=adaptive,
        budget=rule.budget_fraction if adaptive else None,
        ruled=(rule.n_queried, rule.n_seen),
    )  # fmt: skip


def threshold_text(summary: StreamSummary) -> str:
    """The threshold in words: when an arrival is put to the user."""
    if summary.threshold is None:
        return "—"
    if summary.threshold >= 1.0:
        text = "asks about every arrival"
    else:
        text = f"asks below {summary.threshold:.0%} confidence"
    if summary.adaptive and summary.budget is not None:
        text += f" (adapts to ask about {summary.budget:.0%} of arrivals)"
    return text


def ended_text(summary: StreamSummary, watched: bool) -> str | None:
    """Why a stream asks nothing more once every arrival is decided (None if some wait): the
    passed-over arrivals are not "answered", and the user may still want to label some."""
    if summary.waiting > 0 or not summary.discarded:
        return None
    when = "as they arrive" if watched else "when the project is opened again"
    why = discard_reason(summary.adaptive, summary.budget)
    return (f"The stream has ended: all {count(summary.seen, 'arrival')} were seen; "
            f"{summary.queried} queried, {summary.discarded} discarded ({why}). To label some "
            "of those too, open View → Review labels… and choose “Not yet seen”. Files added "
            f"to the pool folder join the stream {when}.")  # fmt: skip


def discard_reason(adaptive: bool, budget: float | None) -> str:
    """Why arrivals were passed over. The adaptive rule also passes over unsure ones once its
    share of arrivals is asked: "the model was sure" alone was wrong for half of them."""
    if not adaptive or budget is None:
        return "the model was sure enough of them"
    return (
        f"the model was sure enough of them, or {budget:.0%} of the arrivals had already "
        "been asked, the share the adaptive threshold keeps to"
    )


def queried_text(summary: StreamSummary) -> str:
    """``34 (37 %; 19 % of the 73 the threshold decided)``: the seed set's arrivals (and any
    asked before a model could decide) are all asked, so the whole share read as a broken
    budget beside "adapts to ask about 20 %"."""
    if not summary.seen:
        return str(summary.queried)
    text = f"{summary.queried} ({summary.queried / summary.seen:.0%}"
    ruled_queried, ruled_seen = summary.ruled
    if summary.adaptive and ruled_seen and ruled_seen < summary.seen:
        text += f"; {ruled_queried / ruled_seen:.0%} of the {ruled_seen} the threshold decided"
    return text + ")"
