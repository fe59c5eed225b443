"""Query strategies as plain functions: seed (cold start), pool, stream and synthesis."""

from aldesk.core.strategies.pool import DEFAULT_STRATEGY, POOL_STRATEGIES, Selection
from aldesk.core.strategies.seed import DEFAULT_SEED_STRATEGY, SEED_STRATEGIES
from aldesk.core.strategies.stream import (
    FixedUncertainty,
    QuantileUncertainty,
    StreamDecision,
    VariableUncertainty,
)
from aldesk.core.strategies.synthesis import SynthesisResult, choose_pair, least_certain_mix

__all__ = [
    "DEFAULT_SEED_STRATEGY",
    "DEFAULT_STRATEGY",
    "POOL_STRATEGIES",
    "SEED_STRATEGIES",
    "FixedUncertainty",
    "QuantileUncertainty",
    "Selection",
    "StreamDecision",
    "SynthesisResult",
    "VariableUncertainty",
    "choose_pair",
    "least_certain_mix",
]
