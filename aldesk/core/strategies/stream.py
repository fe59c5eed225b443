"""Stream-based selective sampling: query or discard each arriving item on the spot.

Both strategies compare the model's confidence ``max_c p(c|x)`` with a threshold ``theta`` and
query when the confidence is below it (Žliobaitė, Bifet, Pfahringer & Holmes 2014, "Active
learning with drifting streaming data"). Their state is plain data so it can live in the
project's JSON settings.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class StreamDecision:
    """Whether to query an item, its confidence (``score``) and the threshold it was held to."""

    query: bool
    score: float
    threshold: float
    run: bool = False  # asked only because a long run of arrivals was passed over


def confidence(proba_row: np.ndarray) -> float:
    """The model's confidence in its prediction, ``max_c p(c|x)``."""
    return float(np.max(proba_row))


class _Counted:
    """What every rule shares: its counts, their share, and its state as JSON-able data."""

    KIND = ""
    n_seen: int
    n_queried: int

    def _count(self, query: bool) -> None:
        self.n_seen += 1
        self.n_queried += int(query)

    @property
    def spent_fraction(self) -> float:
        """Share of the items seen so far that were queried."""
        return self.n_queried / self.n_seen if self.n_seen else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The state as JSON-able plain data."""
        return {"kind": self.KIND, **asdict(self)}


@dataclass
class FixedUncertainty(_Counted):
    """Query every item whose confidence is below a fixed ``threshold``.

    Simple, but the share of items queried drifts with the model: a better model queries less.
    """

    KIND = "fixed"
    threshold: float
    n_seen: int = 0
    n_queried: int = 0

    def decide(self, proba_row: np.ndarray) -> StreamDecision:
        """Decide on one arriving item and count it.

        Args:
            proba_row: The model's class probabilities for the item.
        """
        score = confidence(proba_row)
        query = score < self.threshold
        self._count(query)
        return StreamDecision(query, score, self.threshold)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FixedUncertainty:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            float(data["threshold"]), int(data.get("n_seen", 0)), int(data.get("n_queried", 0))
        )


@dataclass
class VariableUncertainty(_Counted):
    """Budget-adaptive threshold (Žliobaitė et al. 2014, Algorithm 3).

    While the share of queried items is under ``budget_fraction``: an item with confidence below
    ``theta`` is queried and ``theta`` shrinks by ``(1 - step)`` (ask only harder items next);
    otherwise ``theta`` grows by ``(1 + step)`` (be less picky). Over a long stream the share of
    queried items settles at the budget and the queried items are the least confident ones.
    """

    KIND = "variable"
    budget_fraction: float
    step: float = 0.01
    initial_threshold: float = 1.0
    threshold: float | None = None
    n_seen: int = 0
    n_queried: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.budget_fraction <= 1.0:
            raise ValueError("budget_fraction must be in (0, 1]")
        if self.threshold is None:
            self.threshold = self.initial_threshold

    def decide(self, proba_row: np.ndarray) -> StreamDecision:
        """Decide on one arriving item, then adapt the threshold.

        Args:
            proba_row: The model's class probabilities for the item.
        """
        score = confidence(proba_row)
        held_to = float(self.threshold)
        query = False
        # The budget check uses the share before this item, as in the paper (u/t < B).
        if self.n_queried < self.budget_fraction * max(self.n_seen, 1):
            query = score < held_to
            self.threshold = held_to * (1.0 - self.step) if query else held_to * (1.0 + self.step)
        self._count(query)
        return StreamDecision(query, score, held_to)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VariableUncertainty:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            float(data["budget_fraction"]),
            float(data.get("step", 0.01)),
            float(data.get("initial_threshold", 1.0)),
            None if data.get("threshold") is None else float(data["threshold"]),
            int(data.get("n_seen", 0)),
            int(data.get("n_queried", 0)),
        )


@dataclass
class QuantileUncertainty(_Counted):
    """Ask an arrival when it is among the least confident ``budget_fraction`` of the recent
    arrivals, the share corrected by how far the stream is over or under its budget (a balanced
    incremental quantile filter, after Kottke, Krempl & Spiliopoulou 2015).

    Why not :class:`VariableUncertainty`: its budget check passes over every arrival while the
    share asked is at the budget, however uncertain, and its threshold starts at 1 and moves 1 %
    a step. On a stream of a hundred or so clips it asked arrivals the model was 98 % sure of and
    passed over ones it was 26 % sure of. Here an arrival is judged against the ones just
    before it, and a share asked ahead of the budget is made up over the next ``window``.

    No run of more than :attr:`max_run` arrivals is passed over: the last is asked. Arrivals of
    a class the model has no label of look sure to it (it calls them the nearest class it
    knows), so a stream whose birds came species by species passed over all 23 of one, each
    as sure as the ones before it, and never learned that species.
    """

    KIND = "quantile"
    budget_fraction: float
    window: int = 50
    recent: list[float] = field(default_factory=list)  # the last ``window`` confidences
    threshold: float | None = None  # the confidence the last arrival was held to
    n_seen: int = 0
    n_queried: int = 0
    passed: int = 0  # arrivals passed over since the last one asked

    def __post_init__(self) -> None:
        if not 0.0 < self.budget_fraction <= 1.0:
            raise ValueError("budget_fraction must be in (0, 1]")

    @property
    def max_run(self) -> int:
        """Arrivals passed over in a row before one is asked whatever its confidence: three
        times the gap the share asks on average. A run that long is rare in a stream in no
        particular order (0.8^15, 3.5 %, at a 20 % share), so it costs the uncertain little;
        at twice the gap the least certain fifth of a 150-arrival stream got 0.70 of its asks,
        not 0.75."""
        return math.ceil(3.0 / self.budget_fraction)

    def decide(self, proba_row: np.ndarray) -> StreamDecision:
        """Decide on one arriving item against the recent ones, then remember it.

        Args:
            proba_row: The model's class probabilities for the item.
        """
        score = confidence(proba_row)
        recent = [*self.recent, score][-self.window :]
        ahead = self.n_queried - self.budget_fraction * (self.n_seen + 1)  # > 0: over budget
        share = min(1.0, self.budget_fraction - ahead / self.window)
        held_to = float(np.quantile(recent, share)) if share > 0 else 0.0
        query = share > 0 and score <= held_to
        run = not query and self.passed >= self.max_run
        self.recent, self.threshold = recent, held_to
        self.passed = 0 if query or run else self.passed + 1
        self._count(query or run)
        return StreamDecision(query or run, score, held_to, run)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuantileUncertainty:
        """Rebuild from :meth:`to_dict` output, or from a :class:`VariableUncertainty`'s (a
        project saved before: its counts carry over, its threshold does not)."""
        threshold = data.get("threshold") if data.get("kind") == "quantile" else None
        return cls(
            float(data["budget_fraction"]),
            int(data.get("window", 50)),
            [float(c) for c in data.get("recent", [])],
            None if threshold is None else float(threshold),
            int(data.get("n_seen", 0)),
            int(data.get("n_queried", 0)),
            int(data.get("passed", 0)),
        )


AdaptiveRule = (VariableUncertainty, QuantileUncertainty)  # isinstance: the share adapts
StreamRule = FixedUncertainty | VariableUncertainty | QuantileUncertainty


def stream_strategy_from_dict(data: dict[str, Any]) -> StreamRule:
    """Rebuild a stream strategy from its ``to_dict`` output (dispatch on ``kind``)."""
    if data.get("kind") == "fixed":
        return FixedUncertainty.from_dict(data)
    if data.get("kind") == "variable":
        return VariableUncertainty.from_dict(data)
    if data.get("kind") == "quantile":
        return QuantileUncertainty.from_dict(data)
    raise ValueError(f"unknown stream strategy kind {data.get('kind')!r}")
