"""Feature extraction for images and audio, with a versioned on-disk cache and parallel runs.

Public API (see docs/architecture.md)::

    default_extractor_id(kind) -> str
    ensure_features(cache_dir, kind, files, *, progress=None, should_stop=None, workers=None)
        -> FeatureResult
    load_cached(cache_dir, kind, hashes) -> FeatureSet
    extract_one(kind, path_or_array, cache_dir) -> np.ndarray
    prepare_extraction(kind, items, workers=None)   # warm the worker processes up early
    FeatureSet, FeatureResult, Progress

Default extractors: ``image_features`` (k-means patch dictionary learned from the pool + colour
layout, 448 dims) and ``audio_features`` (noise-robust cepstral segments of the active span,
111 dims).
Cache files are float32 ``.npy`` + text hash lists; nothing is pickled.
"""

from aldesk.core.features.run import (
    default_extractor_id,
    ensure_features,
    extract_one,
    load_cached,
    prepare_extraction,
)
from aldesk.core.features.types import FeatureResult, FeatureSet, Progress

__all__ = [
    "FeatureResult",
    "FeatureSet",
    "Progress",
    "default_extractor_id",
    "ensure_features",
    "extract_one",
    "load_cached",
    "prepare_extraction",
]
