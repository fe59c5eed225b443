"""What the loop puts to the oracle: an item, why it was chosen, and what the model thinks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aldesk.core.records import Event, Item


@dataclass(frozen=True)
class Query:
    """An item put to the oracle, with why it was chosen."""

    item: Item
    abspath: Path
    strategy: str  # 'seed', 'test', 'stream', 'stream_early', 'synthesis', or a pool strategy
    score: float | None
    round: int
    is_test: bool
    # class id -> probability, from the model of ``round``; never given for a test item, so
    # the model cannot sway the answers that measure it
    proba: dict[int, float] | None
    answer: Event | None = None  # set when revisiting an answered item
    features: str | None = None  # which representation the model of ``round`` used, and why
    model_loaded: bool = False  # the model of ``round`` is in memory (else being rebuilt)
    trainable: bool = False  # features are in and two classes have labels: a model is coming
    # The round whose model chose the item and gave ``score``, when a newer model (``round``)
    # now shows its probabilities; None while they are the same.
    asked_round: int | None = None
