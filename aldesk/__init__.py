"""aldesk: an offline active-learning labeler for folders of images and audio clips."""

import os as _os

__version__ = "0.1.0"

# onnxruntime 1.29+ on Linux and macOS writes a device id under ~/.cache/Microsoft and sends a
# process-information event to Microsoft unless this is set before it is first imported, in
# every process (the feature workers inherit it). Nothing of the user's may leave the machine.
_os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
