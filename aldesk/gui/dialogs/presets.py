"""Ways of working the new-project dialog offers first, in the user's words (no Qt).

A preset is a named set of learning settings; the dialog's Advanced section shows what it
chose and any change there turns the choice into "Custom". Stopping rules are not part of a
preset: they are asked in plain words next to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aldesk.core.learner import DEFAULT_MODEL
from aldesk.core.representation import DEFAULT_REPRESENTATION
from aldesk.core.strategies import DEFAULT_STRATEGY
from aldesk.core.strategies.seed import DEFAULT_SEED_STRATEGY

# The settings a preset fixes (the Advanced section's fields, seed size aside: it follows the
# class count until the user sets it).
ADVANCED_FIELDS = ("strategy", "representation", "model", "scenario", "batch", "seed_method",
                   "test_size")  # fmt: skip
DEFAULTS = {
    "strategy": DEFAULT_STRATEGY, "representation": DEFAULT_REPRESENTATION,
    "model": DEFAULT_MODEL, "scenario": "pool", "batch": 5,
    "seed_method": DEFAULT_SEED_STRATEGY, "test_size": 50,
}  # fmt: skip
CUSTOM = "custom"


@dataclass(frozen=True)
class Preset:
    title: str
    text: str  # one line: what the user gets
    changes: dict = field(default_factory=dict)  # departures from DEFAULTS

    def values(self) -> dict:
        return {**DEFAULTS, **self.changes}


PRESETS: dict[str, Preset] = {
    "just_label": Preset(
        "Just label (recommended)",
        "aldesk asks about the items that teach the model most, keeps up to 50 items aside "
        "to measure it, and says when more labels stop helping.",
    ),
    "measure": Preset(
        "Label and measure carefully",
        "As above, with up to 100 items kept aside: the accuracy shown is more trustworthy, "
        "and costs 50 more labels.",
        {"test_size": 100},
    ),
    "random_order": Preset(
        "Label in random order",
        "Items come in random order, as if you went through the folder yourself: a baseline "
        "to compare with.",
        {"strategy": "random"},
    ),
}
DEFAULT_PRESET = "just_label"
CUSTOM_TEXT = "Your own settings (see Advanced)."


def matching_preset(values: dict) -> str:
    """The preset whose settings ``values`` has, or CUSTOM."""
    chosen = {k: values.get(k) for k in ADVANCED_FIELDS}
    for name, preset in PRESETS.items():
        if chosen == preset.values():
            return name
    return CUSTOM
