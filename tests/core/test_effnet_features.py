"""Pretrained image features: preprocessing, the ONNX session, and refusing a damaged model."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from onnx import TensorProto, helper
from PIL import Image

from aldesk.core.features import effnet_features, onnx_models
from aldesk.core.features.onnx_models import ModelUnavailable

SIDE = effnet_features.SIDE


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    """An empty models folder in place of aldesk/models, with the per-process caches reset."""
    monkeypatch.setenv(onnx_models.ENV_DIR, str(tmp_path))
    onnx_models.clear_cache()
    yield tmp_path
    onnx_models.clear_cache()


def _write_model(folder, name="effnet", file="m.onnx", sha=None) -> bytes:
    node = helper.make_node("Identity", ["images"], ["embedding"])
    value = helper.make_tensor_value_info
    graph = helper.make_graph(
        [node], "g", [value("images", TensorProto.FLOAT, [1])], [value("embedding", 1, [1])]
    )
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    data.ir_version = 8
    data = data.SerializeToString()
    (folder / file).write_bytes(data)
    digest = sha or hashlib.sha256(data).hexdigest()
    (folder / "manifest.json").write_text(json.dumps({name: {"file": file, "sha256": digest}}))
    return data


def test_missing_manifest_or_file_is_unavailable(models_dir) -> None:
    with pytest.raises(ModelUnavailable, match="image model is missing or damaged"):
        onnx_models.session("effnet")
    assert onnx_models.available("effnet") is False
    _write_model(models_dir)
    (models_dir / "m.onnx").unlink()
    with pytest.raises(ModelUnavailable, match="cannot read"):
        onnx_models.session("effnet")
    with pytest.raises(ModelUnavailable, match="not in"):
        onnx_models.session("other")


def test_wrong_hash_is_refused(models_dir) -> None:
    _write_model(models_dir, sha="0" * 64)
    with pytest.raises(ModelUnavailable, match="does not match its manifest hash") as err:
        onnx_models.session("effnet")
    assert "\n" not in str(err.value) and "features it learns from your pool" in str(err.value)
    assert onnx_models.available("effnet") is False


def test_session_is_cached_and_runs(models_dir) -> None:
    _write_model(models_dir)
    sess = onnx_models.session("effnet")
    assert onnx_models.session("effnet") is sess and onnx_models.available("effnet")
    assert sess.run(None, {"images": np.array([2.5], np.float32)})[0][0] == 2.5
    (models_dir / "m.onnx").write_bytes(b"tampered")  # hashed once per process: still cached
    assert onnx_models.session("effnet") is sess


def test_prepare_letterboxes_on_white() -> None:
    wide = np.zeros((50, 100, 3), np.uint8)  # black, twice as wide as high
    out = effnet_features.prepare(wide)
    assert out.shape == (SIDE, SIDE, 3) and out.dtype == np.uint8
    band = SIDE // 4
    assert (out[: band - 2] == 255).all() and (out[-band + 2 :] == 255).all()  # white bars
    assert (out[band + 2 : -band - 2] == 0).all()  # the whole image, uncut, in the middle
    rgba = np.zeros((8, 8, 4), np.uint8)  # fully transparent: white after compositing
    assert (effnet_features.prepare(rgba) == 255).all()
    gray = effnet_features.prepare(np.full((40, 40), 7, np.uint8))
    assert gray.shape == (SIDE, SIDE, 3) and (gray == 7).all()


def test_prepare_decodes_a_file(tmp_path) -> None:
    path = tmp_path / "tall.png"
    Image.new("RGB", (30, 90), (200, 10, 10)).save(path)
    out = effnet_features.prepare(path)
    assert out.shape == (SIDE, SIDE, 3)
    assert tuple(out[SIDE // 2, SIDE // 2]) == (200, 10, 10) and (out[:, :5] == 255).all()


def test_compute_embeds_with_the_shipped_model() -> None:
    onnx_models.clear_cache()  # a previous test may have pointed the cache at a tmp folder
    if not onnx_models.available("effnet"):
        pytest.skip(
            "aldesk/models has no efficientnet-lite0.onnx: run python3 -m tools.convert_models"
        )
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 256, (SIDE, SIDE, 3), dtype=np.uint8) for _ in range(18)]
    emb = effnet_features.compute(imgs)  # two batches: 16 + 2
    assert emb.shape == (18, effnet_features.DIM) == (18, 1984) and emb.dtype == np.float32
    head = emb[:, :1280]
    assert (head >= 0).all() and (head <= 6).all()  # the mean of ReLU6 activations
    x = ((np.stack(imgs[-2:]).astype(np.float32) - 127) / 128).transpose(0, 3, 1, 2)
    outputs = onnx_models.session("effnet").run(list(effnet_features.OUTPUTS), {"images": x})
    assert [o.shape[1] for o in outputs] == list(effnet_features.WIDTHS)
    np.testing.assert_allclose(emb[-2:], np.concatenate(outputs, 1), rtol=1e-5, atol=1e-6)
    assert effnet_features.compute([]).shape == (0, effnet_features.DIM)
