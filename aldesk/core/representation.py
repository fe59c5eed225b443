"""Which features a project's model sees: learned from the pool, a pretrained encoder, or both.

No single representation wins everywhere: a pretrained image or sound encoder knows what objects
and sound sources look and sound like, while the features aldesk learns from the pool itself
(patch dictionaries, cepstra) are better at speech and digits. So the session holds one matrix
with both blocks side by side (:func:`combine`), and each round the model is trained on the
columns of one candidate, chosen by cross-validation on the labels given so far
(:func:`choose`) unless the user pinned one.

Columns of an unused block get weight zero; a used block is scaled so that every used block
carries the same total variance after standardisation (a 1,280-d embedding would otherwise
drown a 111-d cepstral block), while the total over the used columns stays what it was, so the
model's regularisation means the same for every candidate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from aldesk.core import shared_pool

if TYPE_CHECKING:  # the features package loads the extractors: only when features are combined
    from aldesk.core.features.types import FeatureSet

REPRESENTATIONS: dict[str, str] = {
    "auto": "Chosen from your labels (cross-validated each few rounds)",
    "pool": "Learned from this pool (best for speech, digits, simple shapes)",
    "pretrained": "Pretrained encoder (objects, scenes, sound sources)",
    "both": "Both side by side",
}
DEFAULT_REPRESENTATION = "auto"
CANDIDATES = ("pool", "pretrained", "both")
POOL, PRETRAINED = "pool", "pretrained"
# Re-run the choice once the labels have grown by this factor since the last one: the winner
# rarely changes between a handful of labels, and a choice costs a few dozen small fits.
RECHOOSE_GROWTH = 1.25
# Below this many labels a cross-validated comparison is noise; the richest candidate is used.
MIN_LABELS_TO_CHOOSE = 8
# Above this many labels the comparison is made on a random subset of them: its accuracy is
# then known to ~±1 %, while the cross-validation's copies and fits of 50,000 labels would hold
# hundreds of MB and minutes of CPU for the same answer.
MAX_LABELS_TO_SCORE = 4000


@dataclass(frozen=True)
class Layout:
    """Column ranges of each block in a combined feature matrix (``end`` exclusive)."""

    blocks: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return max((end for _, end in self.blocks.values()), default=0)

    def candidates(self) -> list[str]:
        """The representations this matrix can give: each block alone, and both if both exist."""
        names = [n for n in (POOL, PRETRAINED) if n in self.blocks]
        return names + ["both"] if len(names) == 2 else names

    def resolve(self, name: str) -> str:
        """``name`` if this matrix has it, else the closest one it has ("both" -> the one)."""
        have = self.candidates()
        if name in have:
            return name
        return have[-1] if have else POOL

    def weights(self, name: str) -> np.ndarray:
        """Per-column weights for representation ``name``: 0 outside it, block-balanced inside."""
        used = [POOL, PRETRAINED] if name == "both" else [name]
        used = [b for b in used if b in self.blocks]
        w = np.zeros(self.dim, dtype=np.float64)
        total = sum(self.blocks[b][1] - self.blocks[b][0] for b in used)
        for b in used:
            start, end = self.blocks[b]
            # Each block's standardised columns sum to (end - start) in variance; rescale every
            # block to total / len(used) so they count equally and the overall total is kept.
            w[start:end] = np.sqrt(total / (len(used) * (end - start)))
        return w

    def to_json(self) -> dict:
        return {name: list(span) for name, span in self.blocks.items()}


def blank_rows(features: FeatureSet | None, layout: Layout | None, kind: str, n: int) -> np.ndarray:
    """Which of the first ``n`` feature rows are of items with nothing in them (a clip with
    every sample 0: the pool-learned audio features tell); a guess on one says nothing."""
    blank = np.zeros(n, dtype=bool)
    if features is None or layout is None or kind != "audio" or POOL not in layout.blocks:
        return blank
    from aldesk.core.features.audio_features import DIM, silent_rows

    start, end = layout.blocks[POOL]
    rows = min(n, len(features.X))
    if end - start == DIM:
        blank[:rows] = silent_rows(features.X[:rows], start)
    return blank


def single_layout(features: FeatureSet) -> Layout:
    """The layout of a matrix that holds the pool-learned block only."""
    return Layout({POOL: (0, features.X.shape[1])})


def combine(pool: FeatureSet, pretrained: FeatureSet | None) -> tuple[FeatureSet, Layout]:
    """One matrix with both blocks side by side, for the items that have both.

    Items still missing their pretrained row (extraction under way, or failed) are left out:
    a partial pretrained block would bias the model towards the items that happen to have it.
    Callers use the pool set alone until the pretrained one covers the pool.
    """
    from aldesk.core.features.types import FeatureSet

    if pretrained is None or len(pretrained) == 0:
        return pool, single_layout(pool)
    shared = [h for h in pool.hashes if pretrained.row(h) is not None]
    d_pool, d_pretrained = pool.X.shape[1], pretrained.X.shape[1]
    X = shared_pool.empty((len(shared), d_pool + d_pretrained))  # read by the training process
    X[:, :d_pool] = pool.X[[pool.row(h) for h in shared]]
    X[:, d_pool:] = pretrained.X[[pretrained.row(h) for h in shared]]
    layout = Layout({POOL: (0, d_pool), PRETRAINED: (d_pool, d_pool + d_pretrained)})
    return FeatureSet(f"{pool.extractor_id}+{pretrained.extractor_id}", X, shared), layout


@dataclass(frozen=True)
class Choice:
    """The representation a round uses, and how the candidates scored (CV accuracy)."""

    name: str
    n_labels: int
    scores: dict[str, float] = field(default_factory=dict)
    pinned: bool = False
    recorded: bool = False  # read from the latest round's record, not measured in this process

    def accuracy(self) -> float | None:
        """Cross-validated accuracy of the chosen representation, if it was measured."""
        return self.scores.get(self.name)

    def describe(self, budget: int | None = None) -> str:
        """One line for "Why this item?" and Progress (``budget``: the label budget, past
        which no comparison comes)."""
        label = {"pool": "pool-learned features", "pretrained": "pretrained encoder",
                 "both": "pool-learned + pretrained"}[self.name]  # fmt: skip
        if self.pinned:
            return f"Features: {label} (set in the project settings)"  # its score: accuracy
        if self.recorded:  # "the latest round's" read as the latest round's label count
            again = math.ceil(self.n_labels * RECHOOSE_GROWTH)
            if budget is not None and again > budget:  # "again at 43" with the budget at 34
                return f"Features: {label} (chosen at {self.n_labels} labels)"
            return (f"Features: {label} (chosen at {self.n_labels} labels; compared again at "
                    f"{again})")  # fmt: skip
        if not self.scores:
            return f"Features: {label} (too few labels to compare the candidates yet)"
        if len(self.scores) > 1 and len({round(s, 2) for s in self.scores.values()}) == 1:
            # "pool 0%, pretrained 0%, both 0%" beside "both" chosen read as a fault
            score = next(iter(self.scores.values()))
            return (f"Features: {label} (cross-validated on {self.n_labels} labels, the "
                    f"candidates tie at {score:.0%}: this one until another is ahead)")  # fmt: skip
        parts = ", ".join(f"{n} {s:.0%}" for n, s in self.scores.items())
        return f"Features: {label} (cross-validated on {self.n_labels} labels: {parts})"


Scorer = Callable[[np.ndarray, np.ndarray, np.ndarray], float]


def recorded(name: str | None, n_labels: int, layout: Layout, setting: str) -> Choice | None:
    """The latest recorded round's choice, for a model rebuilt with none in memory: choosing
    afresh from the same labels could pick another (a tie, another fold split), and the
    rebuilt model, or an export's predictions, was then not the one the app had used."""
    if setting != "auto" or name not in layout.candidates():
        return None
    return Choice(name, n_labels, recorded=True)


def scoring_rows(y: np.ndarray, cap: int) -> np.ndarray | None:
    """Rows (ascending) of a random subset of about ``cap`` labels that keeps at least a few
    of every class; None when there are no more than ``cap`` labels (all are used)."""
    if len(y) <= cap:
        return None
    rng = np.random.default_rng(len(y))  # the same labels give the same subset
    keep = np.zeros(len(y), dtype=bool)
    keep[rng.choice(len(y), cap, replace=False)] = True
    for c in np.unique(y):  # a rare class is still held out and scored
        keep[np.flatnonzero(y == c)[:3]] = True
    return np.flatnonzero(keep)


def choose(
    X: np.ndarray,
    y: np.ndarray,
    layout: Layout,
    setting: str,
    previous: Choice | None,
    scorer: Scorer,
) -> Choice:
    """The representation for this round.

    Args:
        X: Labelled rows of the combined matrix.
        y: Their class indices.
        layout: Where each block lives in ``X``.
        setting: The project's setting: ``auto`` or a pinned candidate.
        previous: The last round's choice; kept until the labels grow by RECHOOSE_GROWTH.
        scorer: ``scorer(X, y, weights) -> CV accuracy``, the same model the rounds train.
    """
    pinned = setting != "auto"
    # A pinned setting (or a matrix with one block) is scored alone: its accuracy still tells
    # the adaptive strategy how far to trust the model.
    have = [layout.resolve(setting)] if pinned else layout.candidates()
    if len(y) < MIN_LABELS_TO_CHOOSE or len(np.unique(y)) < 2:
        return Choice(have[-1] if len(have) == 1 or pinned else "both", len(y), pinned=pinned)
    measured = previous is not None and bool(previous.scores) and set(previous.scores) == set(have)
    if (
        previous is not None
        and previous.name in have  # new files without pretrained rows yet: a pool-only matrix
        and previous.pinned == pinned
        and (measured or previous.recorded)
        and len(y) < RECHOOSE_GROWTH * previous.n_labels
    ):
        return previous
    rows = scoring_rows(y, MAX_LABELS_TO_SCORE)
    Xs, ys = (X, y) if rows is None else (X[rows], y[rows])
    scores = {name: scorer(Xs, ys, layout.weights(name)) for name in have}
    # Ties go to the candidate listed later ("both" uses the most information).
    best = max(reversed(have), key=lambda n: scores[n])
    rounded = {n: round(float(s), 4) for n, s in scores.items()}
    return Choice(best, len(y), rounded, pinned=pinned)
