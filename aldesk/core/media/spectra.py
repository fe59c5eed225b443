"""What is computed from decoded samples: the waveform envelope and log-mel spectrogram the app
draws, and the mel filterbank and power STFT the audio features share with them."""

from __future__ import annotations

from functools import lru_cache

import numpy as np


def waveform_envelope(x: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of ``x`` in ``n_bins`` equal bins (what a waveform view draws).

    Args:
        x: 1-D samples (a multi-channel ``(n, c)`` array is averaged to mono first).
        n_bins: number of bins (usually the widget's width in pixels).

    Returns:
        ``(mins, maxs)``, float32 arrays of length n_bins. Bins past the end of a clip shorter
        than n_bins samples repeat the nearest sample, so the drawing has no gaps.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if n_bins <= 0:
        raise ValueError("n_bins must be positive")
    if x.size == 0:
        zeros = np.zeros(n_bins, dtype=np.float32)
        return zeros, zeros.copy()
    # Bin edges as integer sample indices; each bin holds at least one sample.
    edges = np.linspace(0, x.size, n_bins + 1).astype(np.int64)
    starts = np.minimum(edges[:-1], x.size - 1)
    mins = np.minimum.reduceat(x, starts)
    maxs = np.maximum.reduceat(x, starts)
    # reduceat gives x[start] alone where a start repeats (empty bin): that is the wanted value.
    return mins.astype(np.float32), maxs.astype(np.float32)


def _hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


@lru_cache(maxsize=16)
def mel_filterbank(
    sr: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None
) -> np.ndarray:
    """Triangular HTK-mel filterbank, shape ``(n_mels, n_fft // 2 + 1)``, float32, read-only.

    Each filter is area-normalised (Slaney style) so bands of different width are comparable.
    """
    fmax = sr / 2.0 if fmax is None else fmax
    bins_hz = np.linspace(0.0, sr / 2.0, n_fft // 2 + 1)
    mel_pts = np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2)
    hz_pts = _mel_to_hz(mel_pts)
    lower, centre, upper = hz_pts[:-2, None], hz_pts[1:-1, None], hz_pts[2:, None]
    rising = (bins_hz[None, :] - lower) / np.maximum(centre - lower, 1e-9)
    falling = (upper - bins_hz[None, :]) / np.maximum(upper - centre, 1e-9)
    fb = np.maximum(0.0, np.minimum(rising, falling))
    fb *= 2.0 / np.maximum(upper - lower, 1e-9)
    fb = fb.astype(np.float32)
    fb.setflags(write=False)
    return fb


def power_spectrogram(x: np.ndarray, n_fft: int = 512, hop: int = 160) -> np.ndarray:
    """Hann-windowed power STFT, shape ``(n_fft // 2 + 1, frames)``, float32.

    The signal is zero-padded by half a window at both ends so frame i is centred at i * hop.
    """
    x = np.asarray(x, dtype=np.float32).ravel()
    x = np.pad(x, (n_fft // 2, n_fft // 2))
    if x.size < n_fft:
        x = np.pad(x, (0, n_fft - x.size))
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop]
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)  # periodic Hann
    spec = np.fft.rfft(frames * window, axis=1)
    return (spec.real**2 + spec.imag**2).astype(np.float32).T


def log_mel_spectrogram(
    x: np.ndarray,
    sr: int,
    n_mels: int = 64,
    *,
    win_seconds: float = 0.032,
    hop_seconds: float = 0.010,
    top_db: float = 80.0,
) -> np.ndarray:
    """Log-mel spectrogram in dB, shape ``(n_mels, frames)``, float32.

    Args:
        x: 1-D samples.
        sr: their sample rate.
        n_mels: number of mel bands.
        win_seconds: STFT window length (rounded up to a power of two in samples).
        hop_seconds: hop between frames (one frame per hop, centred).
        top_db: values are floored at ``max - top_db`` so silence does not dominate the colours.

    Returns:
        ``10 * log10(mel power)``, floored as above.
    """
    n_fft = 1 << int(np.ceil(np.log2(max(16, win_seconds * sr))))
    hop = max(1, int(round(hop_seconds * sr)))
    power = power_spectrogram(x, n_fft=n_fft, hop=hop)
    mel = mel_filterbank(int(sr), n_fft, int(n_mels)) @ power
    db = 10.0 * np.log10(np.maximum(mel, 1e-10))
    if db.size:
        db = np.maximum(db, db.max() - top_db)
    return db.astype(np.float32, copy=False)
