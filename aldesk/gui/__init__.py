"""The PySide6 front end: the only package that imports Qt."""

import os

# QtMultimedia probes for PipeWire when its module loads and logs when it is absent; PulseAudio
# (or no device at all) is handled by the audio view itself.
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.symbolsresolver=false")
