"""Small generated media files for the feature tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image

from aldesk.core.media import ANALYSIS_RATE


def image_files(folder: Path, n: int = 24, size: int = 32) -> list[tuple[str, Path]]:
    """n small RGB images with bars and blobs at varying places (varied patch content)."""
    rng = np.random.default_rng(0)
    files = []
    for i in range(n):
        a = np.full((size, size, 3), 240, np.uint8)
        r, c = rng.integers(2, size - 12, 2)
        a[r : r + 10, c : c + 3] = rng.integers(0, 200, 3)
        a[c : c + 3, r : r + 10] = rng.integers(0, 200, 3)
        a += rng.integers(0, 10, a.shape, dtype=np.uint8)
        path = folder / f"img{i:03d}.png"
        Image.fromarray(a).save(path)
        files.append((f"hash{i:03d}", path))
    return files


def audio_files(folder: Path, n: int = 12) -> list[tuple[str, Path]]:
    files = []
    for i in range(n):
        t = np.arange(int(0.4 * ANALYSIS_RATE)) / ANALYSIS_RATE
        tone = 0.3 * np.sin(2 * np.pi * (200 + 100 * i) * t) * np.hanning(t.size)
        x = np.concatenate([np.zeros(1600), tone, np.zeros(1600)]).astype(np.float32)
        path = folder / f"clip{i:03d}.wav"
        sf.write(path, x, ANALYSIS_RATE, subtype="FLOAT")
        files.append((f"a{i:03d}", path))
    return files
