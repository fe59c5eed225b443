"""What the audio viewer draws of a clip, decoded in bounded blocks whatever its length.

A clip is read once, ``BLOCK_FRAMES`` frames at a time (``SoundFile.blocks``), and two
accumulators fold every block into fixed-size results: the waveform envelope (min and max in at
most ``n_bins`` bins) and the log-mel spectrogram (at most ``max_columns`` columns). Memory is
bounded by the block and the results, not by the clip: a one-hour 44.1 kHz FLAC is drawn from
the same few megabytes as a one-second WAV (decoding it whole took 16 GB).

Short clips (up to ``max_columns`` STFT hops, about 20 s) get one column per hop, exactly what
:func:`aldesk.core.media.spectra.log_mel_spectrogram` gives. Longer ones get one column per
``duration / max_columns`` seconds, the mean mel power of up to ``MAX_FRAMES_PER_COLUMN``
windows spread across that span: an overview, while the envelope still sees every sample.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from aldesk.core.errors import MediaError
from aldesk.core.media.audio import MAX_SAMPLE, _mono, _open, _reason
from aldesk.core.media.spectra import mel_filterbank

BLOCK_FRAMES = 65536
MAX_FRAMES_PER_COLUMN = 8
_FRAMES_PER_FFT = 256  # STFT windows transformed together: (256, n_fft) float32 at most 2 MB
_TOP_DB = 80.0
_HOP_SECONDS = 0.010  # the spectrogram's hop, as the features' (shorter for a zoomed span)
_TICK_HZ = (50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)
# between the highest of those and Nyquist, where there is room: 20-48 kHz of a 96 kHz clip
# (its ultrasonic calls), 2-4 kHz of an 8 kHz one and 10-22 kHz of a 44.1 kHz one had none
_TOP_TICK_HZ = (3000, 4000, 6000, 8000, 15000, 30000, 40000, 60000, 80000)


@dataclass(frozen=True)
class AudioOverview:
    """Fixed-size pictures of one clip: envelope and log-mel spectrogram.

    Attributes:
        samplerate, channels, frames: from the file (frames as decoded).
        mins, maxs: float32 envelope over every channel, at most ``n_bins`` long (one
            channel clipped or two in reverse phase show as they are).
        mel_db: float32 ``(n_mels, columns)``, dB floored 80 dB under the maximum; band 0 is
            the lowest frequency.
        exact: one column per STFT hop (short clips); False for a block-wise overview.
        mean: the mean sample, over every channel.
    """

    samplerate: int
    channels: int
    frames: int
    mins: np.ndarray
    maxs: np.ndarray
    mel_db: np.ndarray
    exact: bool
    mean: float = 0.0  # the samples' mean: a DC offset (a faulty preamp) reads as loudness

    @property
    def duration(self) -> float:
        return self.frames / self.samplerate if self.samplerate else 0.0


def audio_overview(
    path: str | os.PathLike,
    *,
    n_bins: int = 4096,
    n_mels: int = 64,
    max_columns: int = 2048,
    should_stop: Callable[[], bool] | None = None,
    span: tuple[int, int] | None = None,
) -> AudioOverview | None:
    """Decode ``path`` block by block into its envelope and spectrogram.

    Args:
        path: audio file.
        span: ``(first frame, frames)`` to draw only that part of the file (a zoomed view);
            its spectrogram's hop shrinks (down to a sample) to give it up to
            ``max_columns`` columns. ``frames`` in the result counts the span's.
        n_bins: envelope bins (fewer for a clip with fewer samples).
        n_mels: mel bands.
        max_columns: most spectrogram columns.
        should_stop: polled between blocks; when it returns True the decode stops and None is
            returned (the user moved on).

    Raises:
        MediaError: if the file cannot be decoded, or holds no frames.
    """
    with _open(path) as f:
        total, sr, channels = int(f.frames), int(f.samplerate), int(f.channels)
        if total <= 0 or sr <= 0:
            raise MediaError("no audio frames", str(path))
        hop = _HOP_SECONDS
        if span is not None:
            _, total = _seek_span(f, span, total)
            hop = min(_HOP_SECONDS, math.ceil(total / max(1, max_columns - 1)) / sr)
        envelope = _Envelope(total, n_bins)
        spectrum = _Spectrum(total, sr, n_mels, max_columns, hop)
        start, summed = 0, 0.0
        try:
            for block in f.blocks(BLOCK_FRAMES, frames=total, dtype="float32", always_2d=True):
                if should_stop is not None and should_stop():
                    return None
                block = _finite(block)
                envelope.add_channels(start, block)
                spectrum.add(_mono(block))
                summed += float(block.sum(dtype=np.float64))
                start += len(block)
        except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as exc:
            raise MediaError(_reason(exc), str(path)) from exc
    if start == 0:
        raise MediaError("no audio frames", str(path))
    mins, maxs = envelope.result()
    mean = summed / (start * max(1, channels))
    return AudioOverview(sr, channels, start, mins, maxs, spectrum.result(), spectrum.exact, mean)


def audio_envelope(
    path: str | os.PathLike, n_bins: int = 160
) -> tuple[np.ndarray, np.ndarray, float]:
    """The min / max envelope in ``n_bins`` bins and the duration in seconds, read block by block
    without the spectrogram (the review list's mini waveform).

    Raises:
        MediaError: if the file cannot be decoded, or holds no frames.
    """
    with _open(path) as f:
        total, sr = int(f.frames), int(f.samplerate)
        if total <= 0 or sr <= 0:
            raise MediaError("no audio frames", str(path))
        envelope, start = _Envelope(total, n_bins), 0
        try:
            for block in f.blocks(BLOCK_FRAMES, frames=total, dtype="float32", always_2d=True):
                block = _finite(block)
                envelope.add_channels(start, block)
                start += len(block)
        except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as exc:
            raise MediaError(_reason(exc), str(path)) from exc
    if start == 0:
        raise MediaError("no audio frames", str(path))
    mins, maxs = envelope.result()
    return mins, maxs, start / sr


def _seek_span(f: sf.SoundFile, span: tuple[int, int], total: int) -> tuple[int, int]:
    """Seek ``f`` to a span's first frame; the span's (first frame, frames) inside the file."""
    first = min(max(0, int(span[0])), total - 1)
    f.seek(first)
    return first, max(1, min(int(span[1]), total - first))


def _finite(block: np.ndarray) -> np.ndarray:
    """A (frames, channels) block with NaN and ±Inf (float files) drawn as 0, and samples
    beyond ±MAX_SAMPLE (garbage, which the features refuse) drawn at it: a damaged float file
    can hold 3e38, whose spectrum power overflows float32 and would paint the whole
    spectrogram one colour."""
    if not np.isfinite(block).all():
        block = np.where(np.isfinite(block), block, np.float32(0.0))
    block = np.asarray(block, dtype=np.float32)
    if block.size and float(np.abs(block).max()) > MAX_SAMPLE:
        block = np.clip(block, -MAX_SAMPLE, MAX_SAMPLE)
    return block


class _Envelope:
    """Min and max of the samples in equal bins, folded in block by block."""

    def __init__(self, total: int, n_bins: int) -> None:
        n = max(1, min(int(n_bins), total))
        self._edges = np.linspace(0, total, n + 1).astype(np.int64)  # strictly increasing
        self._mins = np.full(n, np.inf, dtype=np.float32)
        self._maxs = np.full(n, -np.inf, dtype=np.float32)

    def add_channels(self, start: int, block: np.ndarray) -> None:
        """Fold in a (frames, channels) block: each bin spans every channel's samples."""
        if block.shape[1] == 1:
            self.add(start, block[:, 0], block[:, 0])
        else:
            self.add(start, block.min(axis=1), block.max(axis=1))

    def add(self, start: int, low: np.ndarray, high: np.ndarray) -> None:
        if low.size == 0:
            return
        last = len(self._mins) - 1
        b0 = min(int(np.searchsorted(self._edges, start, "right")) - 1, last)
        b1 = min(int(np.searchsorted(self._edges, start + low.size - 1, "right")) - 1, last)
        local = np.maximum(self._edges[b0 : b1 + 1], start) - start
        lo, hi = np.minimum.reduceat(low, local), np.maximum.reduceat(high, local)
        np.minimum(self._mins[b0 : b1 + 1], lo, out=self._mins[b0 : b1 + 1])
        np.maximum(self._maxs[b0 : b1 + 1], hi, out=self._maxs[b0 : b1 + 1])

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        # Bins a short read never reached (a file shorter than its header says) are drawn flat.
        mins = np.where(np.isfinite(self._mins), self._mins, np.float32(0.0))
        maxs = np.where(np.isfinite(self._maxs), self._maxs, np.float32(0.0))
        return mins.astype(np.float32), maxs.astype(np.float32)


class _Spectrum:
    """Mean mel power per column from Hann windows at chosen centres, computed as blocks arrive.

    Window k covers padded samples ``[c_k, c_k + n_fft)``: the signal is padded with half a
    window of zeros at both ends, so window k is centred on sample ``c_k`` (as in
    ``log_mel_spectrogram``). Only the samples from the next window's start on are kept.
    """

    def __init__(
        self, total: int, sr: int, n_mels: int, max_columns: int, hop_seconds: float = 0.010
    ) -> None:
        self.n_fft = 1 << int(math.ceil(math.log2(max(16.0, 0.032 * sr))))
        hop = max(1, int(round(hop_seconds * sr)))
        natural = total // hop + 1
        self.exact = natural <= max_columns
        if self.exact:
            self._starts = np.arange(natural, dtype=np.int64) * hop
            self._columns = np.arange(natural)
        else:
            edges = np.linspace(0, total, max_columns + 1)
            span = total / max_columns
            per = int(min(MAX_FRAMES_PER_COLUMN, max(1, math.ceil(span / hop))))
            offsets = (np.arange(per) + 0.5) * span / per
            self._starts = (edges[:-1, None] + offsets[None, :]).astype(np.int64).ravel()
            self._columns = np.repeat(np.arange(max_columns), per)
        n_columns = int(self._columns[-1]) + 1
        self._fb = mel_filterbank(sr, self.n_fft, n_mels)
        self._window = np.hanning(self.n_fft + 1)[:-1].astype(np.float32)
        self._sum = np.zeros((n_mels, n_columns), dtype=np.float64)
        self._count = np.zeros(n_columns, dtype=np.int64)
        self._buf = np.zeros(self.n_fft // 2, dtype=np.float32)  # the leading half window
        self._buf_start = 0  # padded index of _buf[0]
        self._next = 0  # first window not yet computed

    def add(self, x: np.ndarray) -> None:
        self._buf = np.concatenate([self._buf, x])
        end = self._buf_start + self._buf.size
        ready = int(np.searchsorted(self._starts, end - self.n_fft, "right"))
        self._compute(ready)
        keep = self._buf.size
        if self._next < self._starts.size:
            keep = min(keep, int(self._starts[self._next]) - self._buf_start)
        self._buf = self._buf[keep:]
        self._buf_start += keep

    def result(self) -> np.ndarray:
        self._buf = np.concatenate([self._buf, np.zeros(self.n_fft, dtype=np.float32)])
        self._compute(self._starts.size)
        mel = self._sum / np.maximum(self._count, 1)
        db = 10.0 * np.log10(np.maximum(mel, 1e-10))
        top = float(db.max()) if db.size else 0.0
        db = np.maximum(db, top - _TOP_DB)
        db[:, self._count == 0] = top - _TOP_DB  # columns a short read never reached
        return db.astype(np.float32)

    def _compute(self, stop: int) -> None:
        for first in range(self._next, stop, _FRAMES_PER_FFT):
            last = min(stop, first + _FRAMES_PER_FFT)
            local = self._starts[first:last] - self._buf_start
            frames = self._buf[local[:, None] + np.arange(self.n_fft)] * self._window
            spec = np.fft.rfft(frames, axis=1)
            power = (spec.real**2 + spec.imag**2).astype(np.float32)
            # einsum, not BLAS: a small matmul between block reads woke OpenBLAS's thread
            # pool every time, 16-20 ms a call on a busy machine (10 s for an hour's clip).
            mel = np.einsum("wf,mf->wm", power, self._fb)
            cols = self._columns[first:last]
            np.add.at(self._sum.T, cols, mel)
            np.add.at(self._count, cols, 1)
        self._next = max(self._next, stop)


def mel_axis_fraction(freq: float, samplerate: int, n_mels: int) -> float:
    """Height (0 bottom, 1 top) at which ``freq`` sits in a spectrogram of ``n_mels`` HTK-mel
    bands from 0 Hz to Nyquist drawn as equal rows (band i centred at (i + 0.5) / n_mels)."""
    top = 2595.0 * math.log10(1.0 + samplerate / 2.0 / 700.0)
    mel = 2595.0 * math.log10(1.0 + max(freq, 0.0) / 700.0)
    return min(1.0, max(0.0, (mel * (n_mels + 1) / top - 0.5) / n_mels))


def frequency_ticks(
    samplerate: int, n_mels: int, height: float, min_gap: float = 16.0
) -> list[tuple[float, float]]:
    """Round frequencies to label on a spectrogram ``height`` pixels tall, as (Hz, fraction)
    pairs at least ``min_gap`` pixels apart and clear of the edges, highest first."""
    ticks: list[tuple[float, float]] = []
    last_y = -min_gap / 2  # pixels from the top
    for hz in reversed(_TICK_HZ):
        if hz >= samplerate / 2:
            continue
        frac = mel_axis_fraction(hz, samplerate, n_mels)
        y = (1.0 - frac) * height
        if y - last_y >= min_gap and y <= height - min_gap / 2:
            ticks.append((float(hz), frac))
            last_y = y
    return _top_ticks(samplerate, n_mels, height, min_gap, ticks) + ticks


def _top_ticks(samplerate: int, n_mels: int, height: float, min_gap: float,
               below: list[tuple[float, float]]) -> list[tuple[float, float]]:  # fmt: skip
    """Labels between the top edge and the highest of ``below``, each ``min_gap`` clear of
    the next, highest first."""
    floor_hz, floor_y = below[0] if below else (0.0, 0.0)
    limit_y = (1.0 - floor_y) * height if below else height  # the highest label's y
    ticks: list[tuple[float, float]] = []
    last_y = -min_gap / 2
    for hz in reversed(_TOP_TICK_HZ):
        if not floor_hz < hz < samplerate / 2:
            continue
        frac = mel_axis_fraction(hz, samplerate, n_mels)
        y = (1.0 - frac) * height
        if y - last_y >= min_gap and limit_y - y >= min_gap:
            ticks.append((float(hz), frac))
            last_y = y
    return ticks


def format_hz(hz: float) -> str:
    """``500 Hz``, ``2 kHz``, ``1.5 kHz``."""
    return f"{hz / 1000:g} kHz" if hz >= 1000 else f"{hz:g} Hz"
