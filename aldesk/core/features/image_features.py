"""Default image extractor: k-means patch dictionary (Coates & Ng 2011) plus a colour layout.

Every image (digits or RGB photos of any size) is decoded with a draft-mode downscale, EXIF
transposed, composited on white if it has alpha, and resized to 32×32 RGB (aspect ratio is not
kept: squashing keeps the whole scene, which a crop would not). Features, 448 in all:

- 400: triangle activations of 6×6×3 whitened patches (stride 2) against a 100-word dictionary
  learned from the project's own pool, summed over the 4 image quadrants (see ``patches``);
- 48: a 4×4 RGB thumbnail, the colour layout that patch normalisation removes.

``prepare`` returns the 32×32 image as uint8, (32, 32) for a grayscale source (its RGB form has
three equal channels) or (32, 32, 3); ``compute`` encodes a whole batch at once, grayscale
images (R = G = B, whatever the source) with a third of the arithmetic.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from aldesk.core.features.patches import PatchDictionary, encode_batch, learn_dictionary
from aldesk.core.media.image import as_uint8, load_image, to_array

BASE_ID = "image-coates6x100s2q4+rgb4-v2"  # v2: 16/32-bit images stretched, not clipped to white
SIDE = 32
PATCH, STRIDE, WORDS = 6, 2, 100
THUMB = 4
DIM = 4 * WORDS + THUMB * THUMB * 3
DECODE_SIDE = 2 * SIDE  # draft-decode bound: a 2x margin before the final antialiased resize


def prepare(item: str | os.PathLike | np.ndarray) -> np.ndarray:
    """Decode a path, or take a uint8 HxW / HxWxC array, as uint8 (32, 32) or (32, 32, 3).

    (32, 32) is a grayscale image: its RGB form (what the features see) repeats it 3 times.
    """
    if isinstance(item, np.ndarray):
        img = Image.fromarray(as_uint8(item))
    else:
        img = load_image(item, max_side=DECODE_SIDE)
    if img.mode not in ("L", "RGB"):
        img = Image.fromarray(to_array(img))  # alpha composited on white
    # Resampling is per channel, so resizing L equals resizing its RGB form channel by channel.
    small = img.resize((SIDE, SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(small, dtype=np.uint8)


def check_dictionary(d: PatchDictionary) -> None:
    """Raise ValueError unless ``d`` has this extractor's geometry (patch, stride, words)."""
    expected = (PATCH, STRIDE, WORDS, PATCH * PATCH * 3)
    found = (d.patch, d.stride, d.k, d.mean.shape[0])
    if found != expected:
        raise ValueError(f"patch, stride, words, patch size are {found}, expected {expected}")


def as_rgb(prepared: np.ndarray) -> np.ndarray:
    """A prepared image as float32 (32, 32, 3) in 0..255."""
    a = np.asarray(prepared, dtype=np.float32)
    return np.repeat(a[:, :, None], 3, axis=2) if a.ndim == 2 else a


def learn(prepared: np.ndarray | list[np.ndarray], random_state: int = 0) -> PatchDictionary:
    """Learn the patch dictionary from prepared images (n, 32, 32, 3), or a list of them."""
    if not isinstance(prepared, np.ndarray) or prepared.ndim != 4:
        prepared = np.stack([as_rgb(a) for a in prepared])
    return learn_dictionary(
        prepared.astype(np.float32, copy=False),
        k=WORDS,
        patch=PATCH,
        stride=STRIDE,
        random_state=random_state,
    )


def compute(prepared: np.ndarray | list[np.ndarray], dictionary: PatchDictionary) -> np.ndarray:
    """Features (n, DIM) float32 for prepared images: a list, or an (n, 32, 32[, 3]) array."""
    n = len(prepared)
    out = np.empty((n, DIM), dtype=np.float32)
    if n == 0:
        return out
    gray_idx, gray, rgb_idx, rgb = _split_gray(prepared)
    for idx, imgs, is_gray in ((gray_idx, gray, True), (rgb_idx, rgb, False)):
        if len(idx):
            out[idx, : 4 * WORDS] = encode_batch(imgs, dictionary, gray=is_gray)
            out[idx, 4 * WORDS :] = _thumbnail(imgs)
    return out


def _split_gray(prepared) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Indices and stacked float32 images of the grayscale ones (g, 32, 32) and the others."""
    items = list(prepared)
    flat = [i for i, a in enumerate(items) if a.ndim == 2]
    colour = [i for i, a in enumerate(items) if a.ndim != 2]
    rgb = np.stack([items[i] for i in colour]) if colour else np.empty((0, SIDE, SIDE, 3))
    equal = ((rgb[..., 0] == rgb[..., 1]) & (rgb[..., 1] == rgb[..., 2])).all(axis=(1, 2))
    parts = [np.stack([items[i] for i in flat])] if flat else []
    if equal.any():
        parts.append(rgb[equal, :, :, 0])
    gray = np.concatenate(parts) if parts else np.empty((0, SIDE, SIDE))
    gray_idx = np.array(flat + [i for i, e in zip(colour, equal, strict=True) if e], dtype=np.int64)
    rgb_idx = np.array([i for i, e in zip(colour, equal, strict=True) if not e], dtype=np.int64)
    return gray_idx, gray.astype(np.float32), rgb_idx, rgb[~equal].astype(np.float32)


def _thumbnail(imgs: np.ndarray) -> np.ndarray:
    """The 4×4 colour thumbnail, (n, 48) in 0..1 (block means; exact for 0..255 integers)."""
    n = imgs.shape[0]
    b = SIDE // THUMB
    if imgs.ndim == 3:
        imgs = imgs[..., None]
    sums = imgs.reshape(n, THUMB, b, THUMB, b, imgs.shape[-1]).sum(axis=(2, 4), dtype=np.float64)
    means = (sums / (b * b)).astype(np.float32)
    if means.shape[-1] == 1:
        means = np.repeat(means, 3, axis=-1)
    return means.reshape(n, -1) / np.float32(255.0)
