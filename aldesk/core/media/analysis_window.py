"""Which part of a long clip the features analyse: its most energetic ``max_seconds`` window.

The RMS energy of every ``WINDOW_HOP_SECONDS`` hop is summed over ``max_seconds`` windows and
the loudest window wins, searched over the whole clip (its first ``LONG_CLIP_SCAN_SECONDS``, 4
hours, bounds a day-long logger file). Files up to ``IN_MEMORY_SCAN_SECONDS`` are read once and
the window sliced out; longer ones are scanned in blocks at their native rate and only the
window is read again. The scan had stopped at 5 minutes, so a field recording whose one event
comes 6:40 in was analysed as silence; scanning the rest costs what reading it does (a
10-minute 96 kHz stereo WAV 0.6 s instead of 0.3 s, a 7-minute FLAC 0.2 s instead of 0.1 s).

:func:`analysis_span` gives the viewer the same window in seconds, so it can show what the
model hears.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
import soundfile as sf

from aldesk.core.media.sound_file import open_sound

LONG_CLIP_SCAN_SECONDS = 4 * 3600.0
WINDOW_HOP_SECONDS = 0.1
SCAN_READ_HOPS = 100
# Files up to this long are read once and the window sliced out; longer ones are scanned in
# blocks and only the window is read again (a 5-minute stereo scan would hold 100 MB).
IN_MEMORY_SCAN_SECONDS = 60.0


def read_analysis_frames(f: sf.SoundFile, max_seconds: float | None) -> np.ndarray:
    """(frames, channels) float32 to analyse: everything, or the most energetic window."""
    total, rate = f.frames, f.samplerate
    if max_seconds is None or total <= max_seconds * rate:
        return read_all(f)
    if not f.seekable() or total <= IN_MEMORY_SCAN_SECONDS * rate:
        return analysis_window(_first_frames(f), rate, max_seconds)
    f.seek(_scanned_start(f, max_seconds))
    return f.read(int(max_seconds * rate), dtype="float32", always_2d=True)


def analysis_span(path: str | os.PathLike, max_seconds: float) -> tuple[float, float] | None:
    """(start, end) in seconds of the window :func:`read_analysis_frames` analyses, or None
    when the whole clip is analysed or the file cannot be read."""
    try:
        with open_sound(path) as f:
            total, rate = f.frames, f.samplerate
            if total <= max_seconds * rate:
                return None
            if not f.seekable() or total <= IN_MEMORY_SCAN_SECONDS * rate:
                start = window_start(_first_frames(f), rate, max_seconds)
            else:
                start = _scanned_start(f, max_seconds)
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError):
        return None
    return start / rate, min(total, start + int(max_seconds * rate)) / rate


def read_all(f: sf.SoundFile) -> np.ndarray:
    """Every frame as (frames, channels) float32. A file libsndfile cannot seek in (GSM 6.10
    WAV) must be told how many frames to read; its header says."""
    return f.read(-1 if f.seekable() else f.frames, dtype="float32", always_2d=True)


def _first_frames(f: sf.SoundFile) -> np.ndarray:
    """The whole file, or for one libsndfile cannot seek in (e.g. GSM 6.10) its first
    IN_MEMORY_SCAN_SECONDS: the window is then chosen from those."""
    if f.seekable():
        return read_all(f)
    frames = min(f.frames, int(IN_MEMORY_SCAN_SECONDS * f.samplerate))
    return f.read(frames, dtype="float32", always_2d=True)


def analysis_window(data: np.ndarray, rate: int, max_seconds: float | None) -> np.ndarray:
    """The most energetic max_seconds window of whole (frames, channels) samples (all of them
    when they are no longer than that)."""
    length = data.shape[0] if max_seconds is None else int(max_seconds * rate)
    if data.shape[0] <= length:
        return data
    start = window_start(data, rate, max_seconds)
    return data[start : start + length]


def window_start(data: np.ndarray, rate: int, max_seconds: float) -> int:
    """First frame of the most energetic max_seconds window of in-memory samples."""
    hop = max(1, int(WINDOW_HOP_SECONDS * rate))
    scan = int(LONG_CLIP_SCAN_SECONDS * rate)
    return _best_window(_hop_energies([data[:scan]], hop), max_seconds) * hop


def _scanned_start(f: sf.SoundFile, max_seconds: float) -> int:
    """First frame of the most energetic window of a seekable file, read in blocks."""
    hop = max(1, int(WINDOW_HOP_SECONDS * f.samplerate))
    scan = min(f.frames, int(LONG_CLIP_SCAN_SECONDS * f.samplerate))
    f.seek(0)
    blocks = f.blocks(blocksize=hop * SCAN_READ_HOPS, frames=scan, dtype="float32", always_2d=True)
    return _best_window(_hop_energies(blocks, hop), max_seconds) * hop


def _best_window(energy: np.ndarray, max_seconds: float) -> int:
    """First hop of the max_seconds window with the most energy (0 if the scan is shorter)."""
    width = max(1, int(round(max_seconds / WINDOW_HOP_SECONDS)))
    if energy.size <= width:
        return 0
    return int(np.argmax(np.convolve(energy, np.ones(width), mode="valid")))


def _hop_energies(blocks: Iterable[np.ndarray], hop: int) -> np.ndarray:
    """Mean square of every ``hop`` frames (all channels) of consecutive (frames, channels)
    blocks, each a whole number of hops long except the last.

    Files are scanned SCAN_READ_HOPS hops per read: one soundfile call per 0.1-s hop cost
    ~0.1 ms each in Python, 3x the decode itself on a 30-s recording.
    """
    energies = []
    for block in blocks:
        whole = block.shape[0] // hop * hop
        rows = block[:whole].reshape(-1, hop * block.shape[1])
        # float32 sums of squares (einsum: no float64 copy of the block); ranking windows
        # needs far less precision than that.
        energies.append(np.einsum("ij,ij->i", rows, rows) / rows.shape[1])
        if whole < block.shape[0]:  # the final, shorter hop
            tail = block[whole:].ravel()
            energies.append([float(tail @ tail) / tail.size])
    return np.concatenate(energies) if energies else np.empty(0)
