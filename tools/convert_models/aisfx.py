"""aiSFX sound-effects embedding CNN (Ma & Lerch, ISMIR 2022) from its PyPI wheel to ONNX.

The wheel ``aisfx==0.1.2`` ships the trained ``CrossNet`` as ``aisfx/models/checkpoint.pth``:
a tuple ``(state_dict, dataset dict)`` whose dataset dict holds numpy integers, so it is read
with :func:`tools.convert_models.torch_pickle.load_checkpoint` (``allow_numpy=True``). Only the
embedding network is kept (the per-dataset classifier heads are dropped). Its layout, from the
wheel's ``aisfx/models/cnn2d.py`` (``EmbeddingNet('max', ks=3, strd=1, hl1=64)``):

    input (N, 1, frames, 96 mel bands)
    4 conv blocks, channels 64, 128, 256, 512; each: [3x3 conv (pad 1, no bias), BN, ReLU] x 2,
    then a 2x2 max-pool for blocks 1-3 (block 4 pools 1x1, i.e. not at all)
    mean over the mel axis, max over the time axis -> (N, 512)

BatchNorm (eval mode, eps 1e-5) is folded into the convolutions. The shipped graph is that
float graph statically quantised to int8 (:func:`quantize`, calibrated on generated sounds run
through the app's front end, ``aldesk.core.features.aisfx_features``): 4.7 MB instead of 18.7,
and ~2.2x faster on an AVX2 core (a block is ~1.9 GMAC: 70 ms in float32, 31 ms in int8). Its
embeddings keep a cosine >= 0.992 to the float ones on the spoken-digit, word and instrument
sets; ``verify`` checks the float graph against :func:`reference_forward` and the int8 one by
cosine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx

from tools.convert_models.onnx_build import GraphBuilder, float_input, fold_bn
from tools.convert_models.torch_pickle import load_checkpoint

MODEL_INFO: dict[str, Any] = {
    "name": "aisfx",
    "file": "aisfx.onnx",
    "wheel": "aisfx==0.1.2",
    "wheel_sha256": "bfe219950715af179e9a1653e7117cc1852baef267cd6596c42cad74afe1d194",
    "weights": "aisfx/models/checkpoint.pth",
    "license_file": "aisfx-0.1.2.dist-info/licenses/LICENSE",
    "license": "CC BY 4.0",
    "attribution": (
        "aiSFX sound-effects embedding model (X-Sequential-CE) by Alison B. Ma and Alexander "
        'Lerch, "Representation Learning for the Automatic Indexing of Sound Effects '
        'Libraries", ISMIR 2022; weights from the aisfx 0.1.2 package '
        "(https://github.com/alisonbma/aisfx), CC BY 4.0"
    ),
    "changes": (
        "embedding network only (classifier heads dropped), converted from PyTorch to ONNX; "
        "BatchNorm folded into the convolutions; static int8 quantisation (onnxruntime, "
        "calibrated on generated sounds)"
    ),
    "dim": 512,
    "input": (
        "mel: float32 (N, 1, 100, 96), blocks of 100 frames x 96 HTK-mel bands of 44.1 kHz "
        "audio (2048-sample Hann frames, hop 1024), log10(1e4 * power + 1) / 9.4578"
    ),
    "output": "embedding float32 (N, 512)",
}

FRAMES = 100
BANDS = 96
CHANNELS = (64, 128, 256, 512)
POOLED = (True, True, True, False)  # block 4 pools 1x1 in cnn2d.py
BN_EPS = 1e-5
PREFIX = "embedding_net."
# Max abs difference, float graph vs reference, relative to the largest output: float32
# weights measured 2e-7, float16 weights 5e-4.
CHECK_TOLERANCE = 1e-4
MIN_INT8_COSINE = 0.98  # measured >= 0.992 per clip on the spoken, words and instruments sets
CALIBRATION_CLIPS = 48


def convert(weight_path: Path) -> onnx.ModelProto:
    """The ONNX model of the checkpoint at ``weight_path`` (the wheel's checkpoint.pth)."""
    state = embedding_state(load_checkpoint(weight_path, allow_numpy=True))
    return quantize(build_model(state, fp16=False), calibration_blocks(CALIBRATION_CLIPS, seed=0))


def calibration_blocks(n: int, seed: int) -> np.ndarray:
    """Mel blocks (n, 1, FRAMES, BANDS) of generated sounds through the app's front end:
    harmonic tones, decaying noise bursts, chirps and noisy tremolo tones of random pitch and
    level (the activation ranges int8 quantisation is calibrated on)."""
    from aldesk.core.features.aisfx_features import SAMPLE_RATE, mel_blocks

    rng = np.random.default_rng(seed)
    t = np.arange(int(1.5 * SAMPLE_RATE)) / SAMPLE_RATE
    clips = []
    for i in range(n):
        f0 = 60.0 * 2.0 ** rng.uniform(0, 6)
        kind = i % 4
        if kind == 0:
            x = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8))
        elif kind == 1:
            x = rng.standard_normal(t.size) * np.exp(-t * rng.uniform(1, 10))
        elif kind == 2:
            x = np.sin(2 * np.pi * np.cumsum(np.linspace(f0, 8 * f0, t.size)) / SAMPLE_RATE)
        else:
            x = np.sin(2 * np.pi * f0 * t) * (1 + np.sin(8 * np.pi * t))
            x += 0.1 * rng.standard_normal(t.size)
        clips.append((x * rng.uniform(0.05, 1.0)).astype(np.float32))
    return mel_blocks(clips)[0]


def embedding_state(checkpoint: Any) -> dict[str, np.ndarray]:
    """The embedding network's arrays of a loaded checkpoint, keyed without ``embedding_net.``."""
    state = checkpoint[0] if isinstance(checkpoint, tuple) else checkpoint
    out = {k[len(PREFIX) :]: np.asarray(v) for k, v in state.items() if k.startswith(PREFIX)}
    missing = [k for k in _expected_keys() if k not in out]
    if missing:
        raise ValueError(f"checkpoint lacks {len(missing)} aiSFX arrays, e.g. {missing[0]}")
    return out


def _expected_keys() -> list[str]:
    keys = []
    for b in range(1, len(CHANNELS) + 1):
        for i in (1, 2):
            keys.append(f"conv_block{b}.conv{i}.weight")
            keys += [
                f"conv_block{b}.bn{i}.{p}"
                for p in ("weight", "bias", "running_mean", "running_var")
            ]
    return keys


def folded_convs(state: dict[str, np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight, bias) float32 of the 8 convolutions with their BatchNorm folded in, in order."""
    convs = []
    for b in range(1, len(CHANNELS) + 1):
        for i in (1, 2):
            bn = f"conv_block{b}.bn{i}."
            convs.append(
                fold_bn(
                    state[f"conv_block{b}.conv{i}.weight"],
                    None,
                    state[bn + "weight"],
                    state[bn + "bias"],
                    state[bn + "running_mean"],
                    state[bn + "running_var"],
                    BN_EPS,
                )
            )
    return convs


def build_model(state: dict[str, np.ndarray], fp16: bool = True) -> onnx.ModelProto:
    """The float graph ``mel`` (N, 1, FRAMES, BANDS) -> ``embedding`` (N, 512)."""
    g = GraphBuilder(float16_weights=fp16)
    x = "mel"
    for k, (w, b) in enumerate(folded_convs(state)):
        x = g.relu(g.conv(x, w, b, f"conv{k + 1}", pads=(1, 1, 1, 1)))
        if k % 2 == 1 and POOLED[k // 2]:
            x = g.max_pool(x, 2, 2, f"pool{k // 2 + 1}")
    x = g.op("ReduceMean", [x], "freq_mean", axes=[3], keepdims=0)
    g.op("ReduceMax", [x], "embedding", axes=[2], keepdims=0)
    return g.model(
        [float_input("mel", ["N", 1, FRAMES, BANDS])],
        [float_input("embedding", ["N", int(state["conv_block4.conv2.weight"].shape[0])])],
        "aisfx",
        doc=MODEL_INFO["attribution"],
    )


def quantize(model: onnx.ModelProto, calibration: np.ndarray) -> onnx.ModelProto:
    """Static int8 quantisation (per-channel int8 weights, uint8 activations, QOperator form)
    of a float32 graph, with activation ranges calibrated on ``calibration`` mel blocks.

    Why: a block costs ~1.9 GMAC; float32 ran ~70 ms a block on one AVX2 core, int8 ~31 ms.
    ``reduce_range`` keeps the u8 x s8 products from saturating on CPUs without VNNI.
    """
    import tempfile

    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    class Blocks(CalibrationDataReader):
        def __init__(self) -> None:
            self._it = iter(np.array_split(calibration, max(1, len(calibration) // 8)))

        def get_next(self) -> dict | None:
            batch = next(self._it, None)
            return None if batch is None else {"mel": batch}

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "int8.onnx"
        quantize_static(
            model,
            out,
            Blocks(),
            quant_format=QuantFormat.QOperator,
            per_channel=True,
            reduce_range=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
        )
        return onnx.load(out)


def verify(model: onnx.ModelProto, weight_path: Path) -> str:
    """Check the float graph against ``reference_forward`` (max difference relative to the
    largest output) and the shipped int8 graph by cosine, on 4 generated blocks not used for
    calibration."""
    state = embedding_state(load_checkpoint(weight_path, allow_numpy=True))
    x = calibration_blocks(4, seed=1)
    want = reference_forward(state, x)
    diff = float(np.abs(run(build_model(state, fp16=False), x) - want).max() / np.abs(want).max())
    got = run(model, x)
    cos = float(
        np.min(np.sum(got * want, 1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1))
    )
    if not (diff <= CHECK_TOLERANCE and cos >= MIN_INT8_COSINE):
        raise ValueError(f"ONNX vs reference: float diff {diff:.3g}, int8 cosine {cos:.4f}")
    return f"float graph diff {diff:.2g} (relative, tol {CHECK_TOLERANCE:g}); int8 cosine {cos:.4f}"


def run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    """The model's embeddings of mel blocks ``x`` (one onnxruntime thread)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return sess.run(["embedding"], {"mel": x})[0]


def reference_forward(state: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Plain-numpy forward pass (float64, BatchNorm unfolded): (N, 1, T, F) -> (N, 512).

    Slow (im2col convolutions); for tests that check the ONNX graph against it.
    """
    h = np.asarray(x, dtype=np.float64)
    for b in range(1, len(CHANNELS) + 1):
        for i in (1, 2):
            bn = f"conv_block{b}.bn{i}."
            h = _conv3x3(h, state[f"conv_block{b}.conv{i}.weight"].astype(np.float64))
            h = (h - state[bn + "running_mean"][:, None, None]) / np.sqrt(
                state[bn + "running_var"][:, None, None] + BN_EPS
            )
            h = np.maximum(
                h * state[bn + "weight"][:, None, None] + state[bn + "bias"][:, None, None], 0.0
            )
        if POOLED[b - 1]:
            n, c, t, f = h.shape
            h = h[:, :, : t // 2 * 2, : f // 2 * 2].reshape(n, c, t // 2, 2, f // 2, 2)
            h = h.max(axis=(3, 5))
    return h.mean(axis=3).max(axis=2)


def _conv3x3(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """3x3 convolution, stride 1, zero padding 1: (N, C, T, F) x (O, C, 3, 3) -> (N, O, T, F)."""
    n, c, t, f = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((n, w.shape[0], t, f))
    for dt in range(3):
        for df in range(3):
            patch = padded[:, :, dt : dt + t, df : df + f]
            out += np.einsum("nctf,oc->notf", patch, w[:, :, dt, df], optimize=True)
    return out
