"""Membership query synthesis: build a new item where the model is least certain.

Two confidently-predicted items of different classes are blended, ``(1 - r) * a + r * b``, and
the ratio ``r`` whose blend the model finds hardest is kept. The blend is a real image or clip a
person can label, which is what makes the query useful (Angluin 1988 posed queries on arbitrary
points; Lang & Baum 1992 showed those are often unlabelable, so we stay between real items).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from aldesk.core.strategies.pool import margin_scores

# Each item of the pair is drawn from the most confident tenth of its class, at most this many.
_CONFIDENT_SHORTLIST = 10


class ProbabilisticModel(Protocol):
    """Anything with ``predict_proba`` (a :class:`aldesk.core.learner.FittedModel`)."""

    def predict_proba(self, X: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True, eq=False)
class SynthesisResult:
    """The synthesized item, its mixing ratio, margin uncertainty score and predicted proba."""

    mix: np.ndarray
    ratio: float
    score: float
    proba: np.ndarray


def choose_pair(proba: np.ndarray, random_state: int | None) -> tuple[int, int]:
    """Two confidently-predicted rows of different predicted classes.

    Two predicted classes are drawn at random; from each, one of its most confident rows
    (confident items are clear examples, so the blend between them crosses the boundary).

    Args:
        proba: ``(n, n_classes)`` probabilities of the candidate items.
        random_state: Seed for the draws.

    Returns:
        Row indices ``(i, j)`` with different predicted classes.

    Raises:
        ValueError: The model predicts fewer than two classes on these items.
    """
    predicted = proba.argmax(axis=1)
    present = np.unique(predicted)
    if len(present) < 2:
        raise ValueError(
            "synthesis needs items predicted as two different classes; "
            "label a few items of another class first"
        )
    rng = np.random.default_rng(random_state)
    class_a, class_b = rng.choice(present, size=2, replace=False)
    conf = proba.max(axis=1)
    return _confident_row(predicted, conf, class_a, rng), _confident_row(
        predicted, conf, class_b, rng
    )


def least_certain_mix(
    a: np.ndarray,
    b: np.ndarray,
    featurize: Callable[[np.ndarray], np.ndarray],
    model: ProbabilisticModel,
    ratios: np.ndarray | None = None,
) -> SynthesisResult:
    """The blend of ``a`` and ``b`` on which ``model`` is least certain.

    Args:
        a: Decoded image (uint8 ``HxW`` or ``HxWxC``) or audio (float32 mono).
        b: Same kind as ``a``; resized (images) or zero-padded (audio) to match.
        featurize: Turns one decoded blend into a feature vector ``(d,)``.
        model: Scores the features.
        ratios: Mixing ratios to try; default ``0.1, 0.2, ..., 0.9``.

    Returns:
        The most uncertain blend (margin score), with its ratio and probabilities.
    """
    ratios = np.linspace(0.1, 0.9, 9) if ratios is None else np.asarray(ratios, dtype=float)
    a, b = _common_shape(a, b)
    mixes = [_mix(a, b, r) for r in ratios]
    features = np.stack([np.asarray(featurize(m), dtype=np.float32).ravel() for m in mixes])
    proba = np.asarray(model.predict_proba(features), dtype=np.float32)
    scores = margin_scores(proba)
    best = int(np.argmax(scores))
    return SynthesisResult(mixes[best], float(ratios[best]), float(scores[best]), proba[best])


def _confident_row(
    predicted: np.ndarray, conf: np.ndarray, cls: int, rng: np.random.Generator
) -> int:
    """A random row among the most confident tenth of the rows predicted as ``cls``."""
    rows = np.flatnonzero(predicted == cls)
    n_top = min(_CONFIDENT_SHORTLIST, max(1, len(rows) // 10))
    top = rows[np.argsort(-conf[rows], kind="stable")[:n_top]]
    return int(rng.choice(top))


def _common_shape(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bring two decoded items to one shape: images to ``a``'s size, audio to the longer length."""
    if a.ndim == 1 and b.ndim == 1:
        n = max(len(a), len(b))
        return (
            np.pad(a.astype(np.float32), (0, n - len(a))),
            np.pad(b.astype(np.float32), (0, n - len(b))),
        )
    if a.ndim in (2, 3) and b.ndim in (2, 3):
        return _as_image(a, a), _as_image(b, a)
    raise ValueError(f"cannot mix arrays of shapes {a.shape} and {b.shape}")


def _as_image(x: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``x`` as a uint8 image with the size and channel layout of ``like``."""
    from PIL import Image  # here, not at the top: reading a project's settings needs no decoder

    image = Image.fromarray(_to_uint8(x))
    mode = "L" if like.ndim == 2 else {1: "L", 3: "RGB", 4: "RGBA"}.get(like.shape[2], "RGB")
    image = image.convert(mode)
    if image.size != (like.shape[1], like.shape[0]):
        image = image.resize((like.shape[1], like.shape[0]), Image.Resampling.BILINEAR)
    out = np.asarray(image)
    if like.ndim == 3 and out.ndim == 2:
        out = out[:, :, None]
    return out


def _to_uint8(x: np.ndarray) -> np.ndarray:
    """Squeeze a single channel and make sure Pillow gets uint8."""
    if x.ndim == 3 and x.shape[2] == 1:
        x = x[:, :, 0]
    return x if x.dtype == np.uint8 else np.clip(x, 0, 255).astype(np.uint8)


def _mix(a: np.ndarray, b: np.ndarray, ratio: float) -> np.ndarray:
    """``(1 - ratio) * a + ratio * b`` in the dtype of the inputs (uint8 images are rounded)."""
    blend = (1.0 - ratio) * a.astype(np.float32) + ratio * b.astype(np.float32)
    if a.dtype == np.uint8:
        return np.clip(np.rint(blend), 0, 255).astype(np.uint8)
    return blend.astype(np.float32)
