"""Default audio extractor: time-normalised cepstral segments of the active part of a clip.

A clip is decoded to 16 kHz mono (at most its most energetic ``MAX_SECONDS`` window, see
``aldesk.core.media.audio``), turned into a 64-band log-mel spectrogram (32 ms window, 10 ms hop)
and trimmed to its *active* span: frames within ``ACTIVE_DB`` of the loudest frame. The span's
cepstrum (DCT of log-mel, first ``N_CEPS`` coefficients) is averaged over ``SEGMENTS`` equal
parts, a fixed-length, speaking-rate-normalised picture of how the sound evolves (the classic
template idea for isolated words and short events), plus the spread of the cepstrum and its
deltas and the log length. 131 features.

On the spoken-digit set this reaches 0.82-0.83 5-fold accuracy against 0.67 for MFCC
mean/std/delta statistics, because the order of sounds survives the pooling.

``prepare`` only decodes; ``compute`` does the rest for a whole batch with a few large array
operations: the clips are laid end to end (each padded as ``log_mel_spectrogram`` pads it), all
their frames go through one FFT call and one mel product, and the per-clip steps (dB floor,
active span, segment means, spreads) are segment reductions over the frame axis.
:func:`compute_one` is the plain per-clip formulation; both agree to float32 rounding.
"""

from __future__ import annotations

import os

import numpy as np

from aldesk.core.media.audio import (
    ANALYSIS_RATE,
    load_audio,
    log_mel_spectrogram,
    mel_filterbank,
)

BASE_ID = "audio-cepseg8x13-v1"
MAX_SECONDS = 10.0
N_MELS = 64
N_CEPS = 13
SEGMENTS = 8
ACTIVE_DB = 25.0
TOP_DB = 200.0  # dB floor below each clip's loudest band (matters only for digital silence)
DIM = N_CEPS * SEGMENTS + 2 * N_CEPS + 1
N_FFT = 512  # log_mel_spectrogram's window at 16 kHz: 32 ms rounded up to a power of two
HOP = 160  # 10 ms
FRAME_BLOCK = 512  # frames per FFT call: the (block, 257) spectra stay in cache


def prepare(item: str | os.PathLike | np.ndarray) -> np.ndarray:
    """Mono float32 samples at 16 kHz (at most MAX_SECONDS) of a path, or of such an array."""
    if isinstance(item, np.ndarray):
        return np.asarray(item, dtype=np.float32).ravel()[: int(MAX_SECONDS * ANALYSIS_RATE)]
    return load_audio(item, sr=ANALYSIS_RATE, max_seconds=MAX_SECONDS)


def spectrogram(x: np.ndarray) -> np.ndarray:
    """Log-mel spectrogram (N_MELS, frames) of prepared samples, the per-clip way."""
    # A high top_db: the floor matters only for digital silence, and the active-span trim
    # below does the real work of ignoring quiet parts.
    return log_mel_spectrogram(x, ANALYSIS_RATE, n_mels=N_MELS, top_db=TOP_DB)


def active_span(spec_db: np.ndarray) -> np.ndarray:
    """Frames within ACTIVE_DB of the loudest frame (first to last such frame)."""
    frame_db = 10.0 * np.log10(np.mean(10.0 ** (spec_db / 10.0), axis=0) + 1e-10)
    keep = np.flatnonzero(frame_db >= frame_db.max() - ACTIVE_DB)
    return spec_db[:, keep[0] : keep[-1] + 1]


def compute_one(spec_db: np.ndarray) -> np.ndarray:
    """Feature vector (DIM,) float32 from a log-mel spectrogram (the reference formulation)."""
    from scipy.fft import dct  # imported here: ~0.4 s, and image-only workers never need it

    span = active_span(spec_db)
    ceps = dct(span, axis=0, norm="ortho")[:N_CEPS]
    n = ceps.shape[1]
    edges = np.linspace(0, n, SEGMENTS + 1).astype(np.int64)
    # Spans shorter than SEGMENTS frames reuse a frame rather than leave a segment empty.
    segments = [
        ceps[:, a : max(b, a + 1)].mean(axis=1) for a, b in zip(edges[:-1], edges[1:], strict=True)
    ]
    delta = np.diff(ceps, axis=1) if n > 1 else np.zeros((N_CEPS, 1), dtype=ceps.dtype)
    parts = [*segments, ceps.std(axis=1), delta.std(axis=1), [np.log(n)]]
    return np.concatenate(parts).astype(np.float32)


def compute(prepared: list[np.ndarray]) -> np.ndarray:
    """Features (n, DIM) float32 for a list of prepared clips (see the module docstring)."""
    n = len(prepared)
    if n == 0:
        return np.empty((0, DIM), dtype=np.float32)
    mel, frames = _batch_mel(prepared)
    first = np.concatenate([[0], np.cumsum(frames)[:-1]])  # each clip's first frame
    # dB, floored per clip at its maximum - TOP_DB, as log_mel_spectrogram does.
    np.maximum(mel, 1e-10, out=mel)
    db = np.log(mel)
    db *= np.float32(10.0 / np.log(10.0))
    floor = np.maximum.reduceat(db.max(axis=1), first) - np.float32(TOP_DB)
    np.maximum(db, np.repeat(floor, frames)[:, None], out=db)
    # Active span: frames within ACTIVE_DB of the clip's loudest frame (power mean over bands;
    # the floored power is 10 ** (db / 10), taken from mel rather than back from db).
    lin_floor = np.repeat((10.0 ** (floor / 10.0)).astype(np.float32), frames)[:, None]
    power = np.maximum(mel, lin_floor, out=mel)
    frame_db = 10.0 * np.log10(power.mean(axis=1, dtype=np.float64) + 1e-10)
    loudest = np.maximum.reduceat(frame_db, first)
    active = frame_db >= np.repeat(loudest - ACTIVE_DB, frames)
    index = np.arange(frame_db.size)
    a = np.minimum.reduceat(np.where(active, index, frame_db.size), first)
    b = np.maximum.reduceat(np.where(active, index, -1), first) + 1
    length = b - a
    # Cepstra of the span frames only, laid end to end (float64 for the statistics).
    offset = np.concatenate([[0], np.cumsum(length)[:-1]])
    take = np.arange(length.sum()) - np.repeat(offset - a, length)
    ceps = db[take].astype(np.float64) @ _dct_matrix()  # (frames in spans, N_CEPS)
    out = np.empty((n, DIM), dtype=np.float64)
    # Segment means: SEGMENTS equal parts of each span, an empty part taking one frame.
    edges = np.linspace(0, length, SEGMENTS + 1).astype(np.int64).T  # (n, SEGMENTS + 1)
    seg_start = offset[:, None] + edges[:, :-1]
    seg_count = np.maximum(np.diff(edges, axis=1), 1)
    seg_sum = np.add.reduceat(ceps, seg_start.ravel(), axis=0).reshape(n, SEGMENTS, N_CEPS)
    out[:, : SEGMENTS * N_CEPS] = (seg_sum / seg_count[:, :, None]).reshape(n, -1)
    # Spread of the cepstrum over the span.
    col = SEGMENTS * N_CEPS
    out[:, col : col + N_CEPS] = _segment_std(ceps, offset, length)
    # Spread of its frame-to-frame deltas (zero for a one-frame span).
    delta = np.zeros_like(ceps)
    delta[:-1] = ceps[1:] - ceps[:-1]  # the last row of each span is a junction, masked below
    valid = np.ones(len(ceps), dtype=bool)
    valid[offset + length - 1] = False
    out[:, col + N_CEPS : col + 2 * N_CEPS] = _segment_std(delta, offset, length - 1, valid)
    out[:, -1] = np.log(length)
    return out.astype(np.float32)


def _segment_std(
    x: np.ndarray, start: np.ndarray, count: np.ndarray, valid: np.ndarray | None = None
) -> np.ndarray:
    """Population std over the valid rows of each segment (segments start at ``start``,
    run to the next start and hold ``count`` valid rows; 0 where count is 0)."""
    if valid is not None:
        x = x * valid[:, None]
    denom = np.maximum(count, 1)[:, None]
    mean = np.add.reduceat(x, start, axis=0) / denom
    dev = x - np.repeat(mean, np.diff(np.append(start, len(x))), axis=0)
    if valid is not None:
        dev *= valid[:, None]
    return np.sqrt(np.add.reduceat(dev * dev, start, axis=0) / denom)


_DCT: np.ndarray | None = None


def _dct_matrix() -> np.ndarray:
    """(N_MELS, N_CEPS): ``spec @ D`` = ``dct(spec, norm="ortho")[:N_CEPS]`` along bands."""
    global _DCT
    if _DCT is None:
        from scipy.fft import dct

        _DCT = dct(np.eye(N_MELS), axis=0, norm="ortho")[:N_CEPS].T.copy()
    return _DCT


def _batch_mel(clips: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Mel power (total frames, N_MELS) float32 of all clips, and each clip's frame count.

    Frame i of a clip is centred at sample i * HOP of the clip zero-padded by N_FFT / 2 at
    both ends, as in ``power_spectrogram``. Each padded clip gets a whole number of hops in one
    long signal, so one strided view holds every clip's frames; the few frames straddling two
    clips are computed and dropped.
    """
    from scipy.fft import rfft  # float32 in, complex64 out: ~2.5x numpy.fft here

    lengths = np.array([x.size for x in clips], dtype=np.int64)
    frames = lengths // HOP + 1
    slots = -(-(lengths + N_FFT) // HOP)  # hops reserved per clip (covers its last frame)
    start = np.concatenate([[0], np.cumsum(slots)[:-1]]) * HOP
    signal = np.zeros(int(slots.sum()) * HOP + N_FFT, dtype=np.float32)
    for s, x in zip(start, clips, strict=True):
        signal[s + N_FFT // 2 : s + N_FFT // 2 + x.size] = x
    view = np.lib.stride_tricks.sliding_window_view(signal, N_FFT)[::HOP]
    window = np.hanning(N_FFT + 1)[:-1].astype(np.float32)  # periodic Hann
    bands = _mel_bands()
    mel = np.empty((len(view), N_MELS), dtype=np.float32)
    buf = np.empty((FRAME_BLOCK, N_FFT), dtype=np.float32)
    power = np.empty((FRAME_BLOCK, N_FFT // 2 + 1), dtype=np.float32)
    for i in range(0, len(view), FRAME_BLOCK):
        m = min(FRAME_BLOCK, len(view) - i)
        np.multiply(view[i : i + m], window, out=buf[:m])
        spec = rfft(buf[:m], axis=1, overwrite_x=True).view(np.float32)  # re, im pairs
        np.multiply(spec, spec, out=spec)
        np.add(spec[:, 0::2], spec[:, 1::2], out=power[:m])
        for cols, lo, hi, fb in bands:  # each band group touches a few FFT bins only
            mel[i : i + m, cols] = power[:m, lo:hi] @ fb
    first = start // HOP
    wanted = np.repeat(first - np.concatenate([[0], np.cumsum(frames)[:-1]]), frames)
    return mel[np.arange(frames.sum()) + wanted], frames


_BANDS: list | None = None


def _mel_bands(group: int = 16) -> list:
    """The mel filterbank as (mel columns, first bin, end bin, (bins, group) matrix) groups."""
    global _BANDS
    if _BANDS is None:
        fb = mel_filterbank(ANALYSIS_RATE, N_FFT, N_MELS)  # (N_MELS, bins)
        _BANDS = []
        for c in range(0, N_MELS, group):
            cols = slice(c, min(N_MELS, c + group))
            nz = np.flatnonzero(fb[cols].any(axis=0))
            lo, hi = (int(nz[0]), int(nz[-1]) + 1) if nz.size else (0, 1)
            _BANDS.append((cols, lo, hi, np.ascontiguousarray(fb[cols, lo:hi].T)))
    return _BANDS
