"""The simulated oracle's answer to a blend (``simulate --mode synthesis``).

The labels file names the pool's files, not the blends the model makes of them. A person shown
a blend names its larger source when it clearly dominates and cannot say otherwise: the oracle
answers the label of the source that makes up at least ``MAJORITY`` of the blend, and "can't
label" for a blend nearer the middle (Lang & Baum 1992: queries between classes are often ones
a person cannot answer).
"""

from __future__ import annotations

from aldesk.core.store import Item, ProjectStore
from aldesk.core.synth_flow import sources_of

MAJORITY = 75  # percent of the blend its larger source must make up to be named


def answer_of(store: ProjectStore, session, item: Item, labels: dict[int, str], curve: dict):
    """The class name the oracle gives ``item`` (a pool file's label, or a blend's by the rule
    above), None for "can't label"; counts blends asked in ``curve``."""
    if item.origin != "synth":
        return labels[item.id]
    name = blend_label(store, item.id, session.index.items, labels)
    key = "blends_labeled" if name is not None else "blends_unlabelable"
    curve[key] = curve.get(key, 0) + 1
    return name


def blend_label(store: ProjectStore, item_id: int, items, labels: dict[int, str]) -> str | None:
    """The label of the source making up at least MAJORITY percent of a blend, else None."""
    sources = sources_of(store, item_id, items)
    if sources is None or sources.first is None or sources.second is None:
        return None
    first, second = sources.shares()
    larger, share = (sources.first, first) if first >= second else (sources.second, second)
    return labels.get(larger.id) if share >= MAJORITY else None


def blends_text(curve: dict) -> str:
    """``; 6 blends asked: 4 labeled, 2 "can't label"``, or "" when none was."""
    labeled, unlabelable = curve.get("blends_labeled", 0), curve.get("blends_unlabelable", 0)
    if not labeled + unlabelable:
        return ""
    return (f"; {labeled + unlabelable} blends asked: {labeled} labeled, {unlabelable} "
            "“can't label”")  # fmt: skip
