"""What Qt logs to a user's terminal: FFmpeg's per-clip stream dumps are off, its warnings on."""

import os
import subprocess
import sys

PROBE = """
import aldesk.gui
from PySide6.QtCore import QLoggingCategory
ffmpeg = QLoggingCategory("qt.multimedia.ffmpeg")
print(ffmpeg.isInfoEnabled(), ffmpeg.isDebugEnabled(), ffmpeg.isWarningEnabled())
"""


def test_ffmpeg_stream_dumps_are_off_and_its_warnings_on():
    env = {k: v for k, v in os.environ.items() if k != "QT_LOGGING_RULES"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False", "True"]


def test_a_users_own_logging_rules_win():
    env = {**os.environ, "QT_LOGGING_RULES": "qt.multimedia.ffmpeg*=true"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["True", "True", "True"]
