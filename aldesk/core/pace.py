"""Session feedback for Progress: labels per hour, time spent, and labels still needed to reach
the target accuracy.

Time is measured from the answer log: the time between two consecutive answers counts as work
when it is at most ``IDLE_GAP`` (a longer gap is a break, and the answer after it gets no
time). Imported labels are not work done in the app and are left out; the answers of one batch
edit share a timestamp and count as one action.

The projection fits an inverse power law to the recorded rounds' test error,
``1 - accuracy = a * n ** -b`` (a straight line in log-log; learning curves of classifiers
follow it closely, Figueroa et al. 2012), and solves it for the target. It is a rough guide:
with fewer than ``MIN_ROUNDS`` measured rounds, or a curve that is not rising, it says so
instead of guessing.
"""

from __future__ import annotations

import dataclasses
import math
from bisect import bisect_right
from collections import namedtuple
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import numpy as np

from aldesk.core.errors import AldeskError
from aldesk.core.records import Event, RoundRecord
from aldesk.core.stopping import TRUSTED_TEST_ITEMS
from aldesk.core.store import ProjectStore
from aldesk.core.wording import count

IDLE_GAP = 300.0  # seconds; a longer pause between answers is a break, not labelling time
MIN_ROUNDS = 3  # measured rounds (distinct label counts) before a curve is fitted
MIN_TEST_ITEMS = 10  # a round measured on fewer test items is too noisy to fit
MIN_SECONDS = 60.0  # below this much work a rate is noise
UNTIMED = frozenset({"import"})  # strategies whose labels were not given in the app
WORK = frozenset({"label", "skip", "cannot_label", "undo"})


@dataclass(frozen=True)
class Projection:
    """Labels still needed for the target: ``needed`` is None when there is no estimate."""

    needed: int | None
    text: str


@dataclass(frozen=True)
class Feedback:
    session_labels: int = 0
    session_seconds: float = 0.0
    overall_labels: int = 0
    overall_seconds: float = 0.0
    projection: Projection | None = None  # None when no target accuracy is set

    @property
    def session_rate(self) -> float | None:
        return _rate(self.session_labels, self.session_seconds)

    @property
    def overall_rate(self) -> float | None:
        return _rate(self.overall_labels, self.overall_seconds)


def _rate(labels: int, seconds: float) -> float | None:
    return labels * 3600.0 / seconds if seconds >= MIN_SECONDS else None


@dataclass
class PaceTracker:
    """Follows the answer log incrementally (each update reads only the new events, and each
    ``feedback`` adds up only the gaps since the last: the same cost at 50 answers or 50,000).
    """

    session_start: float
    moments: list[tuple[float, bool]] = field(default_factory=list)  # (at, holds a label)
    last_id: int = 0
    opens: list[float] = field(default_factory=list)  # when the project was opened, ascending
    # running totals of the gaps ending before the last moment (which a batch edit may still
    # merge into), overall and this session: [labels, seconds]; and the rounds' curve points
    _settled: int = field(default=1, repr=False)
    _overall: list = field(default_factory=lambda: [0, 0.0], repr=False)
    _session: list = field(default_factory=lambda: [0, 0.0], repr=False)
    _rounds_seen: int = field(default=0, repr=False)
    _by_n: dict = field(default_factory=dict, repr=False)

    def add(self, events: Iterable[Event]) -> None:
        for ev in events:
            self.last_id = max(self.last_id, ev.id)
            if ev.action not in WORK or ev.strategy in UNTIMED:
                continue
            self._add_moment(ev.at, ev.action == "label")

    def _add_moment(self, at: float, label: bool) -> None:
        if self.moments and self.moments[-1][0] == at:  # one batch edit: one action
            self.moments[-1] = (at, self.moments[-1][1] or label)
        else:
            self.moments.append((at, label))

    def followed_by(self, newer: PaceTracker) -> PaceTracker:
        """This tracker (the log read up to some event, e.g. on a worker) with the moments of
        ``newer`` (the events after it) appended; ``newer`` is left as it was."""
        for at, label in newer.moments:
            self._add_moment(at, label)
        self.last_id = max(self.last_id, newer.last_id)
        return self

    def feedback(self, rounds: list[RoundRecord], target: float | None, n_pool: int) -> Feedback:
        """The pace so far; ``rounds`` may be the same list again, grown (only the new rounds
        are read) or another one (read whole)."""
        self._settle()
        overall, session = list(self._overall), list(self._session)
        if len(self.moments) >= 2:  # the newest gap, counted afresh: it may still change
            self._count(self.moments[-2], self.moments[-1], overall, session)
        rate = _rate(*overall)
        projection = None
        if target is not None:
            projection = project_points(self._curve(rounds), target, n_pool, rate)
        return Feedback(session[0], session[1], overall[0], overall[1], projection)

    def _settle(self) -> None:
        for k in range(self._settled, len(self.moments) - 1):
            self._count(self.moments[k - 1], self.moments[k], self._overall, self._session)
        self._settled = max(self._settled, len(self.moments) - 1)

    def _count(self, before: tuple, moment: tuple, overall: list, session: list) -> None:
        gap = moment[0] - before[0]
        if 0 <= gap <= IDLE_GAP and not _reopened_between(self.opens, before[0], moment[0]):
            for totals in (overall, session) if before[0] >= self.session_start else (overall,):
                totals[0] += moment[1]
                totals[1] += gap

    def _curve(self, rounds: list[RoundRecord]) -> list[tuple[int, float, int]]:
        if len(rounds) < self._rounds_seen:  # not the list read before: start again
            self._rounds_seen, self._by_n = 0, {}
        # the newest round again too: test answers measure it again in place
        _add_points(rounds[max(0, self._rounds_seen - 1) :], self._by_n)
        self._rounds_seen = len(rounds)
        return sorted(self._by_n.values())


OPENS_KEY = "opened_at"  # project setting: when the app opened the project, ascending
MAX_OPENS = 5000


def note_open(store: ProjectStore, at: float) -> list[float]:
    """Record that the app opened the project at ``at``; every open so far, ascending. The
    time between closing and reopening is not work: 215 s between two sittings made "809/h
    overall" of a pace of about 40/h."""
    opens = [float(t) for t in store.get(OPENS_KEY, [])]
    if store.readonly:
        return opens
    opens = [*opens, at][-MAX_OPENS:]
    with suppress(AldeskError):  # a full disk: the answers say so when they fail
        store.set(OPENS_KEY, opens)
    return opens


def _reopened_between(opens: list[float], start: float, end: float) -> bool:
    """The project was opened after ``start`` and by ``end``: the gap spans a closed spell."""
    k = bisect_right(opens, start)
    return k < len(opens) and opens[k] <= end


def project(
    rounds: list[RoundRecord], target: float, n_pool: int, rate: float | None = None
) -> Projection:
    """Labels still needed to reach ``target`` test accuracy, from the inverse power law."""
    return project_points(_points(rounds), target, n_pool, rate)


def project_points(
    points: list[tuple[int, float, int]], target: float, n_pool: int, rate: float | None = None
) -> Projection:
    """``project`` from the curve's points, as ``_points`` gives them."""
    if points and points[-1][1] >= target:
        n_test = points[-1][2]
        if n_test < TRUSTED_TEST_ITEMS:  # the stop advice waits for more: no "reached" alone
            return Projection(0, f"target {target:.0%} reached on only {n_test} test items "
                              "(too few to trust: the stopping advice waits for more)")  # fmt: skip
        return Projection(0, f"target {target:.0%} reached")
    if len(points) < MIN_ROUNDS:
        return Projection(None, f"not enough rounds yet ({len(points)} of {MIN_ROUNDS} measured)")
    n = np.array([p[0] for p in points], dtype=float)
    error = np.array([max(1.0 - p[1], 0.5 / p[2]) for p in points])  # 0 errors: half a miss
    slope, intercept = np.polyfit(np.log(n), np.log(error), 1)
    if slope >= -0.01:
        return Projection(None, "accuracy is not rising yet; no projection")
    log_n = (math.log(1.0 - target) - intercept) / slope
    latest = int(n[-1])
    if log_n > math.log(max(n_pool, 1)):
        return Projection(None, f"{target:.0%} looks out of reach within this pool "
                                f"({n_pool} items) at the current learning rate")  # fmt: skip
    needed = max(1, math.ceil(math.exp(log_n)) - latest)
    text = f"≈ {count(needed, 'more label')} to reach {target:.0%}"
    if rate:
        spent = duration_text(needed / rate * 3600)
        text += f" ({'' if spent.startswith('under') else '~'}{spent} at your pace)"
    if points[-1][2] < TRUSTED_TEST_ITEMS:  # a curve on a handful of test items is rough
        text += f"; a rough guess on {count(points[-1][2], 'test item')}"
    return Projection(needed, text)


def within_budget(f: Feedback, room: int | None) -> Feedback:
    """The projection read against the label budget (``room``: the labels it still allows,
    None without one): once it is spent no round can be measured ("not enough rounds yet"
    stayed at the end of a budget), and a target beyond it is said so."""
    p = f.projection
    if p is None or room is None or p.needed == 0:
        return f
    if room == 0:
        text = "the label budget is spent: raise it in Project → Settings to go on"
        return dataclasses.replace(f, projection=Projection(None, text))
    if p.needed is not None and p.needed > room:
        text = f"{p.text}; the budget allows {count(room, 'more label')}"
        return dataclasses.replace(f, projection=Projection(p.needed, text))
    return f


def _points(rounds: list[RoundRecord]) -> list[tuple[int, float, int]]:
    """(labels, accuracy, test items) per measured round; a repeated label count keeps its
    latest measurement."""
    by_n: dict[int, tuple[int, float, int]] = {}
    _add_points(rounds, by_n)
    return sorted(by_n.values())


def _add_points(rounds: Iterable[RoundRecord], by_n: dict) -> None:
    for r in rounds:
        if r.accuracy is not None and r.n_labels > 0 and r.n_test >= MIN_TEST_ITEMS:
            by_n[r.n_labels] = (r.n_labels, r.accuracy, r.n_test)


def duration_text(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:  # "~0 min at your pace"
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def pace_text(f: Feedback, sep: str = " · ") -> str:
    """``120/h this session · 95/h overall``; before a minute of work is measured, what is
    awaited (a bare dash beside "Time spent: 1 min" read as broken)."""
    if f.session_rate is None and f.overall_rate is None:
        return "shown after a minute of labelling"

    def one(rate: float | None) -> str:
        return "not measured yet" if rate is None else f"{rate:.0f}/h"  # "– this session"

    return f"{one(f.session_rate)} this session{sep}{one(f.overall_rate)} overall"


def time_text(f: Feedback, sep: str = " · ") -> str:
    return (
        f"{duration_text(f.session_seconds)} this session{sep}"
        f"{duration_text(f.overall_seconds)} overall"
    )


def read_feedback(
    tracker: PaceTracker,
    store: ProjectStore,
    target: float | None,
    n_pool: int,
    rounds: list[RoundRecord] | None = None,
) -> Feedback:
    """Bring ``tracker`` up to date with the store's log (new events only) and measure.

    ``rounds``: the learning curve's rounds if the caller keeps them (the window does), so
    they are not read again per answer.
    """
    rows = store.read(
        "SELECT id, at, action, strategy FROM events WHERE id > ? ORDER BY id", (tracker.last_id,)
    )
    tracker.add(_Moment(*r) for r in rows)  # four columns: no full Event per answer
    return tracker.feedback(store.rounds() if rounds is None else rounds, target, n_pool)


def read_log_feedback(
    store: ProjectStore, target: float | None, n_pool: int, session_start: float
) -> Feedback:
    """What ``read_feedback`` gives with a new tracker, for a one-off look (``aldesk status``):
    the log read as two columns and measured with numpy, the curve's points as SQL picks them;
    no event or round is turned into a Python object (a 50,000-answer log in tens of ms)."""
    rows = store.read(_TIMED_WORK)
    pairs = np.fromiter(chain.from_iterable(rows), dtype=float, count=2 * len(rows))
    opens = np.array(store.get(OPENS_KEY, []), dtype=float)
    overall, session = log_totals(pairs[0::2], pairs[1::2] > 0, session_start, opens)
    projection = None
    if target is not None:
        points = store.read(_CURVE_POINTS, (MIN_TEST_ITEMS,))
        projection = project_points(points, target, n_pool, _rate(*overall))
    return Feedback(*session, *overall, projection)


def log_totals(
    at: np.ndarray, label: np.ndarray, session_start: float, opens: np.ndarray | None = None
) -> tuple[tuple[int, float], tuple[int, float]]:
    """``PaceTracker``'s (labels, seconds) over a whole log at once: overall, and since
    ``session_start``.

    ``at``, ``label``: the events a tracker keeps (``WORK`` actions not of an ``UNTIMED``
    strategy), in log order, and whether each is a label. The same rules, vectorised: a run of
    equal timestamps is one moment (a batch edit) holding a label if any of its events does;
    the gap before a moment counts when it is between 0 and ``IDLE_GAP`` and the project was
    not opened again within it (``opens``, ascending).
    """
    if not len(at):
        return (0, 0.0), (0, 0.0)
    starts = np.flatnonzero(np.concatenate(([True], at[1:] != at[:-1])))
    moment_at = at[starts]
    held = np.logical_or.reduceat(label, starts)[1:]  # the label of the moment after each gap
    gap = np.diff(moment_at)
    counted = (gap >= 0) & (gap <= IDLE_GAP)
    if opens is not None and len(opens):  # an open after a gap's start and by its end
        counted &= np.searchsorted(opens, moment_at[:-1], "right") == np.searchsorted(
            opens, moment_at[1:], "right"
        )
    in_session = counted & (moment_at[:-1] >= session_start)
    return _gap_totals(gap, held, counted), _gap_totals(gap, held, in_session)


def _gap_totals(gap: np.ndarray, label: np.ndarray, kept: np.ndarray) -> tuple[int, float]:
    # cumsum adds the gaps one after another, as the tracker's running total does (np.sum
    # adds pairwise and may differ in the last bits, which ``aldesk status --json`` shows)
    seconds = np.cumsum(gap[kept])
    return int(np.count_nonzero(label[kept])), float(seconds[-1]) if len(seconds) else 0.0


def _sql_list(names: frozenset[str]) -> str:
    return ", ".join(f"'{n}'" for n in sorted(names))


# the events PaceTracker.add keeps, in log order (a NULL strategy is not an UNTIMED one)
_TIMED_WORK = (
    f"SELECT at, action = 'label' FROM events WHERE action IN ({_sql_list(WORK)})"
    f" AND (strategy IS NULL OR strategy NOT IN ({_sql_list(UNTIMED)})) ORDER BY id"
)
# ``_points`` in SQL: per label count the latest round measured on enough test items
_CURVE_POINTS = """
SELECT n_labels, accuracy, n_test FROM rounds WHERE id IN (
    SELECT max(id) FROM rounds WHERE accuracy IS NOT NULL AND n_labels > 0 AND n_test >= ?
    GROUP BY n_labels)
ORDER BY n_labels
"""


def read_history(
    db: Path, session_start: float, up_to: int, opens: list[float] | None = None
) -> PaceTracker:
    """A tracker of the log's events up to ``up_to``, read through a connection of this
    thread's own (the window reads a 50,000-answer log on a worker, not on the GUI thread)."""
    from aldesk.core.opening import connect_reader

    conn = connect_reader(db)
    try:
        rows = conn.execute(
            "SELECT id, at, action, strategy FROM events WHERE id <= ? ORDER BY id", (up_to,)
        ).fetchall()
    finally:
        conn.close()
    tracker = PaceTracker(session_start=session_start, opens=list(opens or []))
    tracker.add(_Moment(*r) for r in rows)
    tracker.last_id = up_to
    return tracker


_Moment = namedtuple("_Moment", "id at action strategy")  # what PaceTracker reads of an event
