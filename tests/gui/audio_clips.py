"""Clips the audio view tests make, and loading one into the view."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

TIMEOUT_MS = 10_000
RATE = 16_000


def clip(path: Path, seconds: float = 1.0, stereo: bool = False) -> Path:
    t = np.arange(int(seconds * RATE)) / RATE
    tone = 0.5 * np.sin(2 * np.pi * 440 * t) * (t > seconds / 3)  # silence, then a tone
    data = np.stack([tone, tone * 0.5], axis=1) if stereo else tone
    sf.write(path, data.astype(np.float32), RATE)
    return path


def load(qtbot, view, path):
    with qtbot.waitSignal(view.loaded, timeout=TIMEOUT_MS) as blocker:
        view.show_audio(path)
    assert blocker.args == [path]
