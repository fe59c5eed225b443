"""Small helpers to write inference-only CNNs as ONNX graphs with ``onnx.helper``.

Shared by the converters (EfficientNet-Lite0, a plain conv-BN-ReLU/max-pool CNN, ...):

- ``fold_bn`` merges an inference-mode BatchNorm into the preceding convolution or linear layer;
- ``same_pads`` gives TensorFlow's "SAME" padding, which is asymmetric (one more pixel at the
  bottom/right) when the padding needed is odd, e.g. a stride-2 3×3 conv on an even size;
- ``GraphBuilder`` accumulates initializers and nodes under unique names, with one method per
  layer kind (``conv``, ``relu``, ``relu6``, ``max_pool``, ``global_avg_pool``, ``linear``,
  ``add``) and ``model()`` to finish a checked ``ModelProto``.

Weights can be stored as float16 (``GraphBuilder(float16_weights=True)``), half the file size,
with a ``Cast`` to float32 in the graph (onnxruntime folds it at load time, so inference runs in
float32); each converter measures whether its outputs stay close enough before using that.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17  # onnxruntime >= 1.14 runs it
IR_VERSION = 8


def fold_bn(
    weight: np.ndarray,
    bias: np.ndarray | None,
    gamma: np.ndarray,
    beta: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    eps: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Fold ``BN(conv(x))`` into one conv: returns float32 ``(weight', bias')``.

    ``weight`` has the output channels first (conv OIHW or linear (out, in)); the arithmetic is
    done in float64 so folding adds no rounding of its own.
    """
    scale = np.asarray(gamma, np.float64) / np.sqrt(np.asarray(var, np.float64) + eps)
    w = np.asarray(weight, np.float64) * scale.reshape((-1,) + (1,) * (weight.ndim - 1))
    b = np.zeros(weight.shape[0]) if bias is None else np.asarray(bias, np.float64)
    b = (b - np.asarray(mean, np.float64)) * scale + np.asarray(beta, np.float64)
    return w.astype(np.float32), b.astype(np.float32)


def same_pads(kernel: int, stride: int, size: int) -> tuple[int, int]:
    """TensorFlow "SAME" padding of one axis: (before, after), the extra pixel after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def same_pads_2d(kernel: int, stride: int, height: int, width: int) -> list[int]:
    """ONNX ``pads`` ([top, left, bottom, right]) for TF "SAME" on a height×width input."""
    top, bottom = same_pads(kernel, stride, height)
    left, right = same_pads(kernel, stride, width)
    return [top, left, bottom, right]


class GraphBuilder:
    """Collects the nodes and initializers of one graph; every method returns its output name."""

    def __init__(self, float16_weights: bool = False) -> None:
        self.float16_weights = float16_weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._names: set[str] = set()

    def unique(self, base: str) -> str:
        """``base``, or ``base_2``, ``base_3``... if taken."""
        name, i = base, 1
        while name in self._names:
            i += 1
            name = f"{base}_{i}"
        self._names.add(name)
        return name

    def const(self, array: np.ndarray, name: str, exact: bool = False) -> str:
        """An initializer; float arrays go through float16 when enabled (unless ``exact``)."""
        array = np.asarray(array)
        if array.dtype == np.float64:
            array = array.astype(np.float32)
        if not (self.float16_weights and array.dtype == np.float32 and not exact):
            self.initializers.append(numpy_helper.from_array(array, self.unique(name)))
            return self.initializers[-1].name
        stored = numpy_helper.from_array(array.astype(np.float16), self.unique(f"{name}_f16"))
        self.initializers.append(stored)
        return self.op("Cast", [stored.name], name, to=TensorProto.FLOAT)

    def op(self, op_type: str, inputs: Sequence[str], name: str | None = None, **attrs) -> str:
        """Append one single-output node; ``name`` defaults to the op type."""
        out = self.unique(name or op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], name=out, **attrs))
        return out

    def conv(
        self,
        x: str,
        weight: np.ndarray,
        bias: np.ndarray | None,
        name: str,
        stride: int = 1,
        groups: int = 1,
        pads: Sequence[int] = (0, 0, 0, 0),
    ) -> str:
        """2-D convolution, weight OIHW; ``pads`` is [top, left, bottom, right]."""
        inputs = [x, self.const(weight, f"{name}.weight")]
        if bias is not None:
            inputs.append(self.const(bias, f"{name}.bias"))
        return self.op(
            "Conv",
            inputs,
            name,
            kernel_shape=list(weight.shape[2:]),
            strides=[stride, stride],
            group=groups,
            pads=list(pads),
        )

    def relu(self, x: str, name: str | None = None) -> str:
        return self.op("Relu", [x], name or f"{x}.relu")

    def relu6(self, x: str, name: str | None = None) -> str:
        """min(max(x, 0), 6) as a Clip (onnxruntime fuses Conv + Clip)."""
        lo = self.const(np.array(0.0, np.float32), "zero", exact=True)
        hi = self.const(np.array(6.0, np.float32), "six", exact=True)
        return self.op("Clip", [x, lo, hi], name or f"{x}.relu6")

    def max_pool(
        self, x: str, kernel: int, stride: int, name: str, pads: Sequence[int] = (0, 0, 0, 0)
    ) -> str:
        return self.op(
            "MaxPool",
            [x],
            name,
            kernel_shape=[kernel, kernel],
            strides=[stride, stride],
            pads=list(pads),
        )

    def global_avg_pool(self, x: str, name: str) -> str:
        """Mean over the spatial axes, flattened to (N, C)."""
        pooled = self.op("GlobalAveragePool", [x], f"{name}.pool")
        return self.op("Flatten", [pooled], name, axis=1)

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray | None, name: str) -> str:
        """``x @ weight.T + bias`` with weight (out, in), as PyTorch stores it."""
        inputs = [x, self.const(weight, f"{name}.weight")]
        if bias is not None:
            inputs.append(self.const(bias, f"{name}.bias"))
        return self.op("Gemm", inputs, name, transB=1)

    def add(self, a: str, b: str, name: str) -> str:
        return self.op("Add", [a, b], name)

    def identity(self, x: str, name: str) -> str:
        """Give an internal value a public (output) name."""
        return self.op("Identity", [x], name)

    def model(
        self,
        inputs: Sequence[onnx.ValueInfoProto],
        outputs: Sequence[onnx.ValueInfoProto],
        graph_name: str,
        doc: str = "",
    ) -> onnx.ModelProto:
        """The finished model, run through ``onnx.checker`` (full check, with shapes)."""
        graph = helper.make_graph(
            self.nodes, graph_name, list(inputs), list(outputs), self.initializers
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="aldesk-convert-models",
            doc_string=doc,
        )
        model.ir_version = IR_VERSION
        onnx.checker.check_model(model, full_check=True)
        return model


def float_input(name: str, shape: Sequence[int | str]) -> onnx.ValueInfoProto:
    """A float32 graph input/output; strings in ``shape`` are dynamic (named) dimensions."""
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))
