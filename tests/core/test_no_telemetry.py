"""Nothing leaves the machine: onnxruntime (1.29+) wrote a device id under ~/.cache/Microsoft and
queued a "ProcessInfo" event for Microsoft's servers the first time a model was loaded."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from aldesk.core.features import onnx_models

LOAD = "from aldesk.core.features import onnx_models; onnx_models.session('effnet')"


def test_loading_a_model_leaves_no_device_id_and_queues_no_event(tmp_path) -> None:
    try:
        onnx_models.model_path("effnet")
    except onnx_models.ModelUnavailable:
        pytest.skip("the encoders are not built here")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORT_", "XDG_"))}
    env["HOME"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-c", LOAD], env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert [p.relative_to(tmp_path) for p in tmp_path.rglob("*")] == []
