"""Issue 12 point 6: a damaged feature cache is found on load, rebuilt, and said so.

The image dictionary (``features/dictionaries/*.npz``) pickled, garbage, missing a key, of the
wrong shape or holding NaN; feature chunks holding NaN or garbage; ``features/`` replaced by a
file. Nothing is unpickled on the way (``np.load(..., allow_pickle=False)`` everywhere).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from aldesk.core.features import ensure_features, extractors
from aldesk.core.features.cache import FeatureCache
from aldesk.core.project import ProjectSettings, compute_features, create_project
from aldesk.core.store import ProjectStore
from tests.core.feature_files import image_files

PICKLE_RAN = []


class _Payload:
    """Unpickling this would record that a pickle ran (it must never happen)."""

    def __reduce__(self):
        return (PICKLE_RAN.append, ("ran",))


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """Images and a cache learned from them once (learning takes seconds)."""
    root = tmp_path_factory.mktemp("damage")
    (root / "img").mkdir()
    files = image_files(root / "img", n=16)
    first = ensure_features(root / "cache", "image", files, workers=0)
    assert len(first.features) == 16 and first.notes == ()
    return root / "cache", files, first


@pytest.fixture
def learned(template, tmp_path: Path):
    """A fresh copy of the template's cache for one test to damage."""
    source, files, first = template
    shutil.copytree(source, tmp_path / "cache")
    return tmp_path / "cache", files, first


def _dictionary(cache: Path) -> Path:
    return extractors._dictionary_path(cache, "image")


def _arrays(cache: Path) -> dict[str, np.ndarray]:
    with np.load(_dictionary(cache)) as z:
        return {k: z[k] for k in z.files}


def _damage_pickled(path: Path, arrays: dict) -> None:
    arrays = dict(arrays, mean=np.array([_Payload()], dtype=object))
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def _damage_garbage(path: Path, arrays: dict) -> None:
    path.write_bytes(os.urandom(3000))


def _damage_missing_key(path: Path, arrays: dict) -> None:
    with open(path, "wb") as f:
        np.savez(f, **{k: v for k, v in arrays.items() if k != "whiten"})


def _damage_shape(path: Path, arrays: dict) -> None:
    with open(path, "wb") as f:
        np.savez(f, **dict(arrays, centroids=arrays["centroids"][:, :7]))


def _damage_nan(path: Path, arrays: dict) -> None:
    centroids = arrays["centroids"].copy()
    centroids[3, 3] = np.nan
    with open(path, "wb") as f:
        np.savez(f, **dict(arrays, centroids=centroids))


def _damage_words(path: Path, arrays: dict) -> None:  # consistent, but not this extractor's
    with open(path, "wb") as f:
        np.savez(f, **dict(arrays, centroids=arrays["centroids"][:10]))


@pytest.mark.parametrize(
    "damage",
    [_damage_pickled, _damage_garbage, _damage_missing_key, _damage_shape, _damage_nan,
     _damage_words],
)  # fmt: skip
def test_a_damaged_dictionary_is_learned_again(learned, damage) -> None:
    cache, files, first = learned
    damage(_dictionary(cache), _arrays(cache))

    result = ensure_features(cache, "image", files, workers=0)

    assert PICKLE_RAN == []
    assert len(result.features) == 16 and result.failed == {}
    assert np.isfinite(result.features.X).all()
    assert len(result.notes) == 1 and "damaged" in result.notes[0]
    assert "learned from the pool" in result.notes[0]
    np.testing.assert_allclose(result.features.X, first.features.X, rtol=1e-5, atol=1e-4)
    assert ensure_features(cache, "image", files, workers=0).notes == ()  # repaired for good


def _chunks(cache: Path) -> list[Path]:
    return sorted(cache.glob("image-*/chunk-*.npy"))


def test_a_chunk_holding_nan_is_computed_again(learned) -> None:
    cache, files, first = learned
    (chunk,) = _chunks(cache)
    X = np.load(chunk)
    X[[2, 5]] = np.nan
    np.save(chunk, X)

    result = ensure_features(cache, "image", files, workers=0)

    assert np.isfinite(result.features.X).all() and len(result.features) == 16
    assert len(result.notes) == 1 and "2 rows" in result.notes[0]
    np.testing.assert_allclose(result.features.X, first.features.X, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("what", ["garbage", "pickled", "hashes gone"])
def test_an_unreadable_chunk_is_dropped_and_computed_again(learned, what) -> None:
    cache, files, first = learned
    (chunk,) = _chunks(cache)
    if what == "garbage":
        chunk.write_bytes(b"\x93NUMPY garbage" + os.urandom(100))
    elif what == "pickled":
        np.save(chunk, np.array([_Payload()], dtype=object), allow_pickle=True)
    else:
        chunk.with_suffix(".hashes").unlink()

    result = ensure_features(cache, "image", files, workers=0)

    assert PICKLE_RAN == []
    assert len(result.features) == 16 and "computed again" in result.notes[0]
    np.testing.assert_allclose(result.features.X, first.features.X, rtol=1e-5, atol=1e-4)


def test_the_cache_folder_replaced_by_a_file(learned) -> None:
    cache, files, _ = learned
    shutil.rmtree(cache)
    cache.write_text("not a folder")

    result = ensure_features(cache, "image", files, workers=0)

    assert cache.is_dir() and len(result.features) == 16
    assert "was a file, not a folder" in result.notes[0]


def test_a_project_whose_features_folder_is_a_file_opens(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    image_files(tmp_path / "img", n=12)
    store, _ = create_project(tmp_path / "p", tmp_path / "img", ["a", "b"], ProjectSettings())
    store.close()
    features = tmp_path / "p.aldesk" / "features"
    features.rmdir()
    features.write_text("oops")

    with ProjectStore.open(tmp_path / "p") as store:
        assert store.cache_dir.is_dir()
        assert len(compute_features(store, workers=0).features) == 12


def test_loaded_rows_are_checked_in_blocks(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path / "c", dim=2)
    cache.append([f"h{i}" for i in range(5000)], np.ones((5000, 2), dtype=np.float32))
    (chunk,) = sorted((tmp_path / "c").glob("chunk-*.npy"))
    X = np.load(chunk)
    X[4500, 1] = np.inf
    np.save(chunk, X)
    again = FeatureCache(tmp_path / "c", dim=2)
    assert len(again) == 4999 and "h4500" not in again
