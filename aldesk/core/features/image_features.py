"""Default image extractor: k-means patch dictionary (Coates & Ng 2011) plus a colour layout.

Every image (digits or RGB photos of any size) is decoded with a draft-mode downscale, EXIF
transposed, composited on white if it has alpha, and resized to 32×32 RGB (aspect ratio is not
kept: squashing keeps the whole scene, which a crop would not). Features, 448 in all:

- 400: triangle activations of 6×6×3 whitened patches (stride 2) against a 100-word dictionary
  learned from the project's own pool, summed over the 4 image quadrants (see ``patches``);
- 48: a 4×4 RGB thumbnail, the colour layout that patch normalisation removes.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from aldesk.core.features.patches import PatchDictionary, encode, learn_dictionary
from aldesk.core.media.image import load_image, to_array

BASE_ID = "image-coates6x100s2q4+rgb4-v1"
SIDE = 32
PATCH, STRIDE, WORDS = 6, 2, 100
THUMB = 4
DIM = 4 * WORDS + THUMB * THUMB * 3
DECODE_SIDE = 2 * SIDE  # draft-decode bound: a 2x margin before the final antialiased resize


def prepare(item: str | os.PathLike | np.ndarray) -> np.ndarray:
    """Decode a path, or take a uint8 HxW / HxWxC array, as float32 (32, 32, 3) in 0..255."""
    if isinstance(item, np.ndarray):
        img = Image.fromarray(_as_uint8(item))
    else:
        img = load_image(item, max_side=DECODE_SIDE)
    rgb = Image.fromarray(to_array(img)).convert("RGB")
    small = rgb.resize((SIDE, SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(small, dtype=np.float32)


def _as_uint8(a: np.ndarray) -> np.ndarray:
    if a.dtype != np.uint8:
        a = np.clip(np.rint(a), 0, 255).astype(np.uint8)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    return a


def learn(prepared: np.ndarray, random_state: int = 0) -> PatchDictionary:
    """Learn the patch dictionary from prepared images (n, 32, 32, 3)."""
    return learn_dictionary(
        prepared, k=WORDS, patch=PATCH, stride=STRIDE, random_state=random_state
    )


def compute(prepared: np.ndarray, dictionary: PatchDictionary) -> np.ndarray:
    """Features (n, DIM) float32 for prepared images (n, 32, 32, 3)."""
    n = prepared.shape[0]
    thumb = prepared.reshape(n, THUMB, SIDE // THUMB, THUMB, SIDE // THUMB, 3).mean(axis=(2, 4))
    coates = encode(prepared, dictionary)
    return np.concatenate([coates, thumb.reshape(n, -1) / 255.0], axis=1).astype(np.float32)
