"""Feature extraction: cache round-trips, no re-extraction, cancellation, failures, parity."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from feature_files import audio_files, image_files
from memory_trace import traced
from PIL import Image

from aldesk.core import features
from aldesk.core.errors import MediaError
from aldesk.core.features import extractors


def test_image_features_cached_and_not_recomputed(tmp_path, counted):
    files = image_files(tmp_path)
    cache = tmp_path / "cache"
    first = features.ensure_features(cache, "image", files, workers=0)
    assert sum(counted) == len(files)
    fs = first.features
    assert fs.X.shape == (24, image_dim()) and fs.X.dtype == np.float32
    assert fs.hashes == [h for h, _ in files] and not first.failed and not first.cancelled
    assert fs.extractor_id.startswith(features.default_extractor_id("image"))
    assert fs.extractor_id == features.default_extractor_id("image", cache)
    assert np.isfinite(fs.X).all() and fs.X.std(axis=0).max() > 0

    counted.clear()
    again = features.ensure_features(cache, "image", files, workers=0)
    assert counted == []  # nothing re-extracted, the dictionary is not re-learned
    np.testing.assert_array_equal(again.features.X, fs.X)

    loaded = features.load_cached(cache, "image", ["hash005", "nope", "hash001"])
    assert loaded.hashes == ["hash005", "hash001"]
    np.testing.assert_array_equal(loaded.X, fs.X[[5, 1]])
    assert loaded.row("hash001") == 1 and loaded.row("nope") is None
    with pytest.raises(ValueError):
        loaded.X[0, 0] = 1.0  # read-only


def image_dim() -> int:
    return extractors.dim("image")


def test_cache_holds_no_pickles(tmp_path):
    cache = tmp_path / "cache"
    features.ensure_features(cache, "image", image_files(tmp_path, 10), workers=0)
    npy = list(cache.rglob("*.npy"))
    npz = list(cache.rglob("*.npz"))
    assert npy and npz
    for path in npy:
        assert np.load(path, allow_pickle=False).dtype == np.float32
    for path in npz:
        with np.load(path, allow_pickle=False) as z:
            assert all(z[name].dtype != object for name in z.files)
    assert not list(cache.rglob("*.tmp*"))


def test_only_new_items_extracted_when_pool_grows(tmp_path, counted):
    files = image_files(tmp_path, 20)
    cache = tmp_path / "cache"
    features.ensure_features(cache, "image", files[:12], workers=0)
    counted.clear()
    result = features.ensure_features(cache, "image", files, workers=0)
    assert sum(counted) == 8
    assert len(result.features) == 20


def test_features_are_deterministic(tmp_path):
    files = image_files(tmp_path, 12)
    a = features.ensure_features(tmp_path / "c1", "image", files, workers=0).features
    b = features.ensure_features(tmp_path / "c2", "image", files[::-1], workers=0).features
    assert a.extractor_id == b.extractor_id  # bit-identical dictionary, whatever the order
    # Rows agree to float32 rounding (BLAS sums in a batch-dependent order).
    np.testing.assert_allclose(a.X, b.X[::-1], rtol=1e-5, atol=1e-5)


def test_cancellation_keeps_finished_chunks(tmp_path, counted):
    files = image_files(tmp_path, 24)
    cache = tmp_path / "cache"
    seen = []

    def stop_after_first_chunk() -> bool:
        return bool(seen) and seen[-1].done > 0

    result = features.ensure_features(
        cache, "image", files, workers=0, progress=seen.append, should_stop=stop_after_first_chunk
    )
    assert result.cancelled
    kept = len(result.features)
    assert 0 < kept < len(files)
    assert seen[-1].done == kept and seen[-1].total == len(files)

    counted.clear()
    done = features.ensure_features(cache, "image", files, workers=0)
    assert not done.cancelled and len(done.features) == len(files)
    assert sum(counted) == len(files) - kept  # the cancelled run's rows were reused


def test_failed_items_are_reported_not_fatal(tmp_path):
    files = image_files(tmp_path, 10)
    broken = tmp_path / "broken.png"
    broken.write_bytes(files[0][1].read_bytes()[:-30])
    empty = tmp_path / "empty.png"
    empty.touch()
    result = features.ensure_features(
        tmp_path / "cache",
        "image",
        [*files, ("bad1", broken), ("bad2", empty), ("bad3", tmp_path / "gone.png")],
        workers=0,
    )
    assert result.failed == {
        "bad1": "truncated file",
        "bad2": "empty file (0 bytes)",
        "bad3": "file not found",
    }
    assert len(result.features) == 10 and result.features.row("bad1") is None


def test_extract_one_matches_cached_rows(tmp_path):
    files = image_files(tmp_path, 12)
    cache = tmp_path / "cache"
    fs = features.ensure_features(cache, "image", files, workers=0).features
    from_path = features.extract_one("image", files[3][1], cache)
    from_array = features.extract_one("image", np.asarray(Image.open(files[3][1])), cache)
    # Equal to float32 rounding (BLAS sums in an order that depends on the batch's size).
    np.testing.assert_allclose(from_path, fs.X[3], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(from_array, fs.X[3], rtol=1e-5, atol=1e-5)


def test_extract_one_before_dictionary_is_an_error(tmp_path):
    with pytest.raises(RuntimeError):
        features.extract_one("image", np.zeros((8, 8), np.uint8), tmp_path / "cache")


def test_images_of_any_size_and_mode(tmp_path):
    files = image_files(tmp_path, 8)
    cache = tmp_path / "cache"
    features.ensure_features(cache, "image", files, workers=0)
    rng = np.random.default_rng(3)
    photo = tmp_path / "photo.jpg"
    Image.fromarray(rng.integers(0, 256, (900, 1300, 3), np.uint8)).save(photo)
    for item in (
        photo,
        rng.integers(0, 256, (3, 5), np.uint8),  # tiny gray
        rng.integers(0, 256, (50, 20, 4), np.uint8),  # RGBA
        rng.integers(0, 256, (40, 40, 1), np.uint8),
    ):
        row = features.extract_one("image", item, cache)
        assert row.shape == (image_dim(),) and np.isfinite(row).all()


def test_audio_features_and_extract_one(tmp_path, counted):
    files = audio_files(tmp_path)
    cache = tmp_path / "cache"
    result = features.ensure_features(cache, "audio", files, workers=0)
    X = result.features.X
    assert X.shape == (12, extractors.dim("audio")) and np.isfinite(X).all()
    assert result.features.extractor_id == features.default_extractor_id("audio")
    # Different tones give different rows.
    assert np.linalg.norm(X[0] - X[5]) > 1.0
    counted.clear()
    features.ensure_features(cache, "audio", files, workers=0)
    assert counted == []

    x, _ = sf.read(files[2][1], dtype="float32")
    np.testing.assert_allclose(features.extract_one("audio", x, cache), X[2], rtol=1e-4, atol=1e-4)


def test_audio_failures_reported(tmp_path):
    fake = tmp_path / "fake.wav"
    fake.write_text("not audio" * 50)
    result = features.ensure_features(
        tmp_path / "cache", "audio", [*audio_files(tmp_path, 3), ("f", fake)], workers=0
    )
    assert result.failed == {"f": "not an audio file"} and len(result.features) == 3
    with pytest.raises(MediaError):
        features.extract_one("audio", fake, tmp_path / "cache")


def test_audio_silence_does_not_break_features():
    row = extractors.compute(
        "audio", [extractors.prepare("audio", np.zeros(800, np.float32))], None
    )
    assert np.isfinite(row).all()


def test_unknown_kind_rejected(tmp_path):
    with pytest.raises(ValueError):
        features.ensure_features(tmp_path, "video", [])


def test_batched_image_path_equals_per_item_path(tmp_path):
    """One batch (gray and colour images, arrays with alpha) == extract_one item by item."""
    files = image_files(tmp_path, 16)
    cache = tmp_path / "cache"
    features.ensure_features(cache, "image", files, workers=0)
    rng = np.random.default_rng(5)
    gray = tmp_path / "gray.png"
    Image.fromarray(rng.integers(0, 256, (28, 28), np.uint8)).save(gray)  # mode L
    gray_rgb = tmp_path / "gray_rgb.png"  # RGB file whose channels are equal
    Image.fromarray(np.repeat(rng.integers(0, 256, (40, 30, 1), np.uint8), 3, axis=2)).save(
        gray_rgb
    )
    flat = tmp_path / "flat.png"  # only flat patches
    Image.fromarray(np.full((32, 32), 200, np.uint8)).save(flat)
    items = [
        files[0][1],
        files[5][1],
        gray,
        gray_rgb,
        flat,
        rng.integers(0, 256, (50, 20, 4), np.uint8),  # RGBA array
        rng.integers(0, 256, (9, 13), np.uint8),  # tiny gray array
    ]
    state = extractors.load_state(cache, "image")
    ok, X, failed = extractors.extract_batch("image", items, state)
    assert ok == list(range(len(items))) and not failed
    for i, item in enumerate(items):
        np.testing.assert_allclose(
            X[i], features.extract_one("image", item, cache), rtol=1e-5, atol=1e-4
        )


def test_batched_encoding_equals_reference_formulation(tmp_path):
    """encode_batch (folded whitening, gray shortcut, flat patches) == the plain encode."""
    from aldesk.core.features import image_features, patches

    rng = np.random.default_rng(1)
    colour = rng.integers(0, 256, (6, 32, 32, 3)).astype(np.float32)
    colour[0, :16, :16] = 17.0  # a flat quadrant
    gray = rng.integers(0, 256, (5, 32, 32)).astype(np.float32)
    gray[1] = 0.0  # an all-flat image
    gray[2, 20:] = 255.0
    d = image_features.learn(np.concatenate([colour, np.repeat(gray[..., None], 3, axis=3)]))

    def assert_same(batched, reference):
        # float32 rounding: on noise images encode itself is off by ~2e-5 of the largest sum
        # from a float64 evaluation, and encode_batch by as much or less.
        atol = 1e-4 * np.abs(reference).max()
        np.testing.assert_allclose(batched, reference, rtol=1e-4, atol=atol)

    assert_same(patches.encode_batch(colour, d), patches.encode(colour, d))
    as_rgb = np.repeat(gray[..., None], 3, axis=3)
    assert_same(patches.encode_batch(gray, d, gray=True), patches.encode(as_rgb, d))


def test_batched_audio_path_equals_per_item_path(tmp_path):
    """Clips of different lengths (one a single frame, one silent) in one batch == per clip."""
    from aldesk.core.features import audio_features

    rng = np.random.default_rng(2)
    clips = [
        0.3 * np.sin(np.arange(12000) / 7.0).astype(np.float32),
        (0.1 * rng.standard_normal(3300)).astype(np.float32),
        np.zeros(800, np.float32),  # silence
        (0.2 * rng.standard_normal(100)).astype(np.float32),  # a single frame
        np.concatenate([np.zeros(4000), 0.5 * rng.standard_normal(900), np.zeros(5000)]).astype(
            np.float32
        ),
    ]
    files = audio_files(tmp_path, 3)
    items = [*clips, *(p for _, p in files)]
    ok, X, failed = extractors.extract_batch("audio", items, None)
    assert ok == list(range(len(items))) and not failed and np.isfinite(X).all()
    cache = tmp_path / "cache"
    for i, item in enumerate(items):
        # float32 rounding, relative to the row's largest value (c0 of a quiet clip is ~ -800)
        one = features.extract_one("audio", item, cache)
        np.testing.assert_allclose(X[i], one, rtol=1e-4, atol=2e-5 * np.abs(one).max())
        # and the plain per-clip formulation (the one the batched code replaced)
        ref = audio_features.compute_one(audio_features.prepare(item))
        np.testing.assert_allclose(X[i], ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())


def test_a_feature_sets_hashes_read_back_as_given_from_one_array_of_bytes():
    """FeatureSet keeps its hashes as bytes (HashList): 100k str objects were 11.7 MB of the
    GUI's memory, the array 6.4 MB; every reader still gets the strings it gave."""
    import pickle

    from aldesk.core.features.types import FeatureSet, HashList

    given = [f"{i:064x}" for i in range(3 * HashList._BLOCK + 5)]
    fs = FeatureSet("x", np.zeros((len(given), 1), np.float32), given)
    assert isinstance(fs.hashes, HashList) and fs.hashes == given and list(fs.hashes) == given
    assert fs.hashes[-1] == given[-1] and fs.hashes[7:9] == given[7:9]
    assert fs.row(given[12345]) == 12345 and fs.row("nope") is None
    assert pickle.loads(pickle.dumps(fs)).hashes == given
    odd = FeatureSet("x", np.zeros((2, 1), np.float32), ["é", "b"])  # kept as given
    assert list(odd.hashes) == ["é", "b"] and odd.row("é") == 0
    compact, kept, _ = traced(lambda: HashList(given))
    assert len(compact) == len(given) and kept < 70 * len(given)  # a list of str: ~120 B each


def test_a_pool_of_near_identical_images_learns_its_dictionary_without_warnings():
    """Six flat colours have fewer distinct patches than the dictionary has atoms: atoms repeat
    (harmless), and no ConvergenceWarning reaches the user's terminal."""
    import warnings

    from aldesk.core.features import image_features

    images = np.stack([np.full((32, 32, 3), 40.0 * k, np.float32) for k in range(6)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = image_features.learn(images)
    assert np.isfinite(image_features.compute(images, d)).all()
