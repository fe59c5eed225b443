"""The PySide6 front end: the only package that imports Qt."""

import os

# QtMultimedia probes for PipeWire when its module loads and logs when it is absent; PulseAudio
# (or no device at all) is handled by the audio view itself. Its FFmpeg backend prints its
# version at start and a stream dump ("Input #0, wav, ...") for every clip played: developer
# information, not the user's; its warnings still show.
os.environ.setdefault(
    "QT_LOGGING_RULES",
    "qt.multimedia.symbolsresolver=false;qt.multimedia.ffmpeg*.info=false;"
    "qt.multimedia.ffmpeg*.debug=false",
)
# Qt's raster engine splits every fill or image draw of 96+ lines over its own thread pool and
# waits for it; on a busy machine the GUI thread then waits for those threads to get a CPU.
# Scrolling the review grid: 25% less GUI-thread CPU per step, shorter stalls, without it. Read
# once, at the first such draw, so it is set here, before any window paints.
os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")

from aldesk.gui.pyside_scan import skip_source_scan  # noqa: E402  (after the settings above)

skip_source_scan()
