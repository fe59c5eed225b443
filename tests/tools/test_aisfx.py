"""The aiSFX converter: the ONNX graph of a small random state dict of the aiSFX layout matches
the plain-numpy reference forward pass (no torch, no download)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from tools.convert_models import aisfx

CHANNELS = (4, 8, 8, 16)  # the real network has 64, 128, 256, 512


def random_state(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``embedding_net.*`` arrays of the aiSFX layout with small channel counts."""
    state, c_in = {}, 1
    for b, c in enumerate(CHANNELS, start=1):
        for i, fan_in in ((1, c_in), (2, c)):
            p = f"embedding_net.conv_block{b}."
            state[p + f"conv{i}.weight"] = rng.normal(
                0, (2 / (9 * fan_in)) ** 0.5, (c, fan_in, 3, 3)
            )
            state[p + f"bn{i}.weight"] = rng.uniform(0.5, 1.5, c)
            state[p + f"bn{i}.bias"] = rng.normal(0, 0.1, c)
            state[p + f"bn{i}.running_mean"] = rng.normal(0, 0.1, c)
            state[p + f"bn{i}.running_var"] = rng.uniform(0.5, 2.0, c)
            state[p + f"bn{i}.num_batches_tracked"] = np.array(7)
        c_in = c
    state["fc.0.0.weight"] = rng.normal(size=(3, CHANNELS[-1]))  # a head, to be ignored
    return {k: v.astype(np.float32) for k, v in state.items()}


def run(model, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(["embedding"], {"mel": x})[0]


@pytest.mark.parametrize("fp16", [False, True])
def test_graph_matches_reference(fp16):
    rng = np.random.default_rng(0)
    state = aisfx.embedding_state((random_state(rng), {"set": (np.int64(0), 3)}))
    x = rng.uniform(0, 1, (3, 1, aisfx.FRAMES, aisfx.BANDS)).astype(np.float32)
    got = run(aisfx.build_model(state, fp16=fp16), x)
    want = aisfx.reference_forward(state, x)
    assert got.shape == (3, CHANNELS[-1])
    # float32 weights: rounding only (measured ~2e-7 of the largest output on the real model);
    # float16 weights: ~5e-4.
    tol = 1e-2 if fp16 else 1e-5
    assert np.abs(got - want).max() <= tol * np.abs(want).max()


def test_reference_pools_as_cnn2d():
    """Block 4 does not pool: 100 x 96 -> 12 x 12, then mean over mel, max over time."""
    rng = np.random.default_rng(1)
    state = aisfx.embedding_state(random_state(rng))
    x = np.zeros((1, 1, aisfx.FRAMES, aisfx.BANDS), dtype=np.float32)
    x[0, 0, 40:44, 10:20] = 1.0
    out = aisfx.reference_forward(state, x)
    assert out.shape == (1, CHANNELS[-1]) and np.isfinite(out).all()


def test_missing_arrays_are_named():
    state = random_state(np.random.default_rng(2))
    del state["embedding_net.conv_block3.bn2.running_var"]
    with pytest.raises(ValueError, match="lacks 1"):
        aisfx.embedding_state(state)


def test_model_info_names_source_and_licence():
    info = aisfx.MODEL_INFO
    assert info["file"] == "aisfx.onnx" and info["dim"] == 512
    assert info["license"] == "CC BY 4.0"
    assert all(s in info["attribution"] for s in ("Ma", "Lerch", "ISMIR 2022", "aisfx"))
    assert len(info["wheel_sha256"]) == 64
