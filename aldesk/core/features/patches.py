"""Coates & Ng (2011) single-layer patch features: a k-means dictionary of whitened patches.

Learning: random patches from the unlabeled pool are brightness/contrast normalised, ZCA
whitened and clustered with k-means. Encoding: every patch on a grid gets the "triangle"
activation ``max(0, mean_k(z) - z_k)`` (``z_k`` = distance to centroid k), summed over the four
quadrants of the image. Coates & Ng show this simple recipe rivals deep features of its day on
CIFAR/MNIST; here it lifts 5-fold logistic regression on MNIST from 0.88 (16×16 thumbnail) to 0.96.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

NORM_EPS = 10.0  # Coates & Ng: variance regulariser for 0..255 pixel patches
ZCA_EPS = 0.1


@dataclass(frozen=True)
class PatchDictionary:
    """A learned patch dictionary: patch mean, ZCA matrix and centroids (all float32)."""

    patch: int
    stride: int
    mean: np.ndarray  # (p,)
    whiten: np.ndarray  # (p, p)
    centroids: np.ndarray  # (k, p)

    @property
    def k(self) -> int:
        return int(self.centroids.shape[0])

    def fingerprint(self) -> str:
        """Short digest of the dictionary's contents (part of the extractor id)."""
        h = hashlib.sha256()
        h.update(f"{self.patch}/{self.stride}".encode())
        for a in (self.mean, self.whiten, self.centroids):
            h.update(np.ascontiguousarray(a, dtype=np.float32).tobytes())
        return h.hexdigest()[:12]

    def arrays(self) -> dict[str, np.ndarray]:
        """Numeric arrays for ``np.savez`` (no pickled objects)."""
        return {
            "geometry": np.array([self.patch, self.stride], dtype=np.int64),
            "mean": self.mean,
            "whiten": self.whiten,
            "centroids": self.centroids,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> PatchDictionary:
        patch, stride = (int(v) for v in arrays["geometry"])
        return cls(
            patch,
            stride,
            np.asarray(arrays["mean"], dtype=np.float32),
            np.asarray(arrays["whiten"], dtype=np.float32),
            np.asarray(arrays["centroids"], dtype=np.float32),
        )


def extract_patches(images: np.ndarray, patch: int, stride: int) -> np.ndarray:
    """All ``patch``×``patch`` patches on a grid: (n, H, W, C) -> (n, g, g, patch*patch*C)."""
    view = sliding_window_view(images, (patch, patch), axis=(1, 2))[:, ::stride, ::stride]
    n, gh, gw, c = view.shape[:4]
    return view.transpose(0, 1, 2, 4, 5, 3).reshape(n, gh, gw, patch * patch * c)


def normalise(p: np.ndarray) -> np.ndarray:
    """Per-patch brightness and contrast normalisation (last axis)."""
    p = p - p.mean(axis=-1, keepdims=True)
    return p / np.sqrt(p.var(axis=-1, keepdims=True) + NORM_EPS)


def learn_dictionary(
    images: np.ndarray,
    *,
    k: int,
    patch: int,
    stride: int,
    n_patches: int = 60000,
    random_state: int = 0,
) -> PatchDictionary:
    """Learn a dictionary from float32 images (n, H, W, C) in 0..255.

    Deterministic for given images and random_state.
    """
    rng = np.random.default_rng(random_state)
    p = extract_patches(images, patch, 1).reshape(-1, patch * patch * images.shape[-1])
    if p.shape[0] > n_patches:
        p = p[np.sort(rng.choice(p.shape[0], n_patches, replace=False))]
    p = normalise(p.astype(np.float64))
    mean = p.mean(axis=0)
    evals, evecs = np.linalg.eigh(np.cov(p - mean, rowvar=False))
    whiten = (evecs / np.sqrt(np.maximum(evals, 0.0) + ZCA_EPS)) @ evecs.T
    pw = (p - mean) @ whiten
    k = min(k, pw.shape[0])
    from sklearn.cluster import KMeans  # imported here: extraction workers never need it

    km = KMeans(n_clusters=k, n_init=1, max_iter=50, random_state=random_state).fit(pw)
    return PatchDictionary(
        patch,
        stride,
        mean.astype(np.float32),
        whiten.astype(np.float32),
        km.cluster_centers_.astype(np.float32),
    )


def encode(images: np.ndarray, d: PatchDictionary) -> np.ndarray:
    """Triangle-activation features pooled over quadrants: (n, H, W, C) -> (n, 4k) float32."""
    p = normalise(extract_patches(images.astype(np.float32, copy=False), d.patch, d.stride))
    n, gh, gw, dim = p.shape
    x = (p.reshape(-1, dim) - d.mean) @ d.whiten
    c = d.centroids
    sq = (x * x).sum(axis=1, keepdims=True) - 2.0 * (x @ c.T) + (c * c).sum(axis=1)
    z = np.sqrt(np.maximum(sq, 0.0))
    f = np.maximum(0.0, z.mean(axis=1, keepdims=True) - z).reshape(n, gh, gw, d.k)
    h, w = (gh + 1) // 2, (gw + 1) // 2
    quadrants = (f[:, :h, :w], f[:, :h, w:], f[:, h:, :w], f[:, h:, w:])
    return np.concatenate([q.sum(axis=(1, 2)) for q in quadrants], axis=1).astype(np.float32)
