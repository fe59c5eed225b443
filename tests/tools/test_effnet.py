"""EfficientNet-Lite0 conversion: the ONNX graph equals the numpy reference; ImageNet sanity."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from PIL import Image

from aldesk.core.features import onnx_models
from tools.convert_models.effnet import OUTPUTS, blocks, build_effnet_lite0, reference_forward
from tools.convert_models.onnx_build import fold_bn, same_pads

KERNELS = (3, 3, 5, 3, 5, 5, 3)
REPEATS = (1, 2, 2, 3, 3, 4, 1)


def _bn(rng, prefix: str, c: int) -> dict[str, np.ndarray]:
    return {
        f"{prefix}.weight": rng.uniform(0.5, 1.5, c),
        f"{prefix}.bias": rng.normal(0, 0.1, c),
        f"{prefix}.running_mean": rng.normal(0, 0.1, c),
        f"{prefix}.running_var": rng.uniform(0.5, 1.5, c),
    }


def _conv(rng, name: str, c_out: int, c_in: int, k: int) -> dict[str, np.ndarray]:
    return {f"{name}.weight": rng.normal(0, (c_in * k * k) ** -0.5, (c_out, c_in, k, k))}


def tiny_state(seed: int = 0) -> dict[str, np.ndarray]:
    """The Lite0 key layout with few channels (the builder reads widths from the shapes)."""
    rng = np.random.default_rng(seed)
    s = {**_conv(rng, "_conv_stem", 8, 3, 3), **_bn(rng, "_bn0", 8)}
    c_in, i = 8, 0
    for stage, (k, reps) in enumerate(zip(KERNELS, REPEATS, strict=True)):
        c_out = 4 + 2 * stage
        for _ in range(reps):
            p = f"_blocks.{i}."
            mid = c_in if i == 0 else 2 * c_in
            if i > 0:
                s.update(_conv(rng, p + "_expand_conv", mid, c_in, 1) | _bn(rng, p + "_bn0", mid))
            s.update(_conv(rng, p + "_depthwise_conv", mid, 1, k) | _bn(rng, p + "_bn1", mid))
            s.update(_conv(rng, p + "_project_conv", c_out, mid, 1) | _bn(rng, p + "_bn2", c_out))
            c_in, i = c_out, i + 1
    s.update(_conv(rng, "_conv_head", 24, c_in, 1) | _bn(rng, "_bn1", 24))
    s.update({"_fc.weight": rng.normal(0, 0.2, (10, 24)), "_fc.bias": rng.normal(0, 0.1, 10)})
    return {k: v.astype(np.float32) for k, v in s.items()}


def test_graph_matches_reference_on_small_random_network() -> None:
    state = tiny_state()
    assert [b.stride for b in blocks(state)].count(2) == 4 and blocks(state)[1].skip is False
    sess = ort.InferenceSession(
        build_effnet_lite0(state).SerializeToString(), providers=["CPUExecutionProvider"]
    )
    assert [o.name for o in sess.get_outputs()] == list(OUTPUTS)
    widths = {"embedding": 24, "stage4": 10, "stage5": 12, "stage6": 14, "stage7": 16, "logits": 10}
    for side in (64, 96):  # any multiple of 32: the SAME pads are exact for both
        x = np.random.default_rng(side).uniform(-1, 1, (2, 3, side, side)).astype(np.float32)
        got = dict(zip(OUTPUTS, sess.run(list(OUTPUTS), {"images": x}), strict=True))
        want = reference_forward(state, x)
        assert list(want) == list(OUTPUTS)
        assert np.abs(want["embedding"]).max() > 0.1  # activations survive 16 blocks
        for name in OUTPUTS:
            assert got[name].shape == (2, widths[name]), name
            np.testing.assert_allclose(got[name], want[name], atol=1e-5, rtol=1e-4, err_msg=name)


def test_same_pads_follow_tensorflow() -> None:
    assert same_pads(3, 2, 224) == (0, 1)  # the extra pixel goes after
    assert same_pads(5, 2, 14) == (1, 2)
    assert same_pads(3, 2, 7) == (1, 1)
    assert same_pads(5, 1, 7) == (2, 2)


def test_fold_bn_equals_conv_then_bn() -> None:
    rng = np.random.default_rng(1)
    w, x = rng.normal(size=(4, 3)), rng.normal(size=3)
    gamma, beta, mean, var = (
        rng.uniform(0.5, 2, 4),
        rng.normal(size=4),
        rng.normal(size=4),
        rng.uniform(0.5, 2, 4),
    )
    fw, fb = fold_bn(w, None, gamma, beta, mean, var, 1e-3)
    want = (w @ x - mean) / np.sqrt(var + 1e-3) * gamma + beta
    np.testing.assert_allclose(fw @ x + fb, want, rtol=1e-5)


def _imagenet_input(name: str) -> np.ndarray:
    """ImageNet evaluation preprocessing: 87.5 % centre crop, bicubic to 224, (x - 127) / 128."""
    from sklearn.datasets import load_sample_image

    img = Image.fromarray(load_sample_image(name))
    w, h = img.size
    c = 0.875 * min(w, h)
    box = ((w - c) / 2, (h - c) / 2, (w + c) / 2, (h + c) / 2)
    img = img.resize((224, 224), Image.Resampling.BICUBIC, box=box)
    return ((np.asarray(img, np.float32) - 127) / 128).transpose(2, 0, 1)


def test_shipped_model_recognises_sample_photos() -> None:
    if not onnx_models.available("effnet"):
        pytest.skip(
            "aldesk/models has no efficientnet-lite0.onnx: run python3 -m tools.convert_models"
        )
    x = np.stack([_imagenet_input("china.jpg"), _imagenet_input("flower.jpg")])
    logits = onnx_models.session("effnet").run(["logits"], {"images": x})[0]
    top5 = np.argsort(-logits, axis=1)[:, :5]
    # 698 palace, 442 bell cote, 663 monastery, 483 castle, 975 lakeside
    assert top5[0, 0] == 698 and set(top5[0]) == {698, 442, 663, 483, 975}
    # 985 daisy, 947 mushroom, 309 bee, 108 sea anemone, 310 ant
    assert top5[1, 0] == 985 and set(top5[1]) == {985, 947, 309, 108, 310}
