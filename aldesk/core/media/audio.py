"""Audio decoding with soundfile (bundled libsndfile), analysis resampling and GUI views.

Analysis audio is mono float32 at ``ANALYSIS_RATE`` (16 kHz): channels are averaged and the
signal is resampled with ``scipy.signal.resample_poly`` (polyphase, anti-aliased).

Long clips: ``load_audio(path, max_seconds=N)`` returns at most N seconds, the clip's **most
energetic N-second window** wherever it is (:mod:`aldesk.core.media.analysis_window`), not
leading silence. Playback uses :func:`load_audio_native` (whole file, native rate and channels); what the app
draws of a clip (waveform envelope, log-mel spectrogram) is in :mod:`aldesk.core.media.spectra`.

Plain 16-bit PCM WAV files up to ``IN_MEMORY_SCAN_SECONDS`` long, the common case, are read for
analysis with the standard library's ``wave`` reader: it returns the same samples as libsndfile
(int16 × 2⁻¹⁵, exact in float32) in under half the time on a 1-s clip (70-90 µs against
150-210 µs), where libsndfile's open and read cost more than the features' whole FFT. Everything else, and every WAV ``wave`` cannot
read in full (extensible headers, other sample widths, truncated or corrupt files), is decoded
by soundfile, which also gives the reason when a file is bad.
"""

from __future__ import annotations

import os
import wave
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf

from aldesk.core.errors import MediaError
from aldesk.core.media.analysis_window import (
    IN_MEMORY_SCAN_SECONDS,
    analysis_window,
    read_all,
    read_analysis_frames,
)
from aldesk.core.media.files import check_file
from aldesk.core.media.sound_file import RepairedSoundFile, open_sound
from aldesk.core.media.wav_header import unfinished_data

ANALYSIS_RATE = 16000
# Under this a clip holds no sound a listener or the features can judge: a WAV header and a few
# samples (a recorder cut off at once). A 20-ms click is a sound.
MIN_SECONDS = 0.005
_PROBE_FRAMES = 2048
_MPEG_FORMATS = ("MP3", "MPEG")  # libsndfile's major format name for MPEG audio
_MPEG_SLACK_FRAMES = 2 * 1152  # two MP3 frames: encoder delay and padding
# Full scale is 1.0; a float file may overshoot it, but a sample 1000x over it (60 dB) is
# garbage, and squared it overflows the float32 spectra.
MAX_SAMPLE = 1000.0
_PCM16_SCALE = np.float32(1.0 / 32768.0)  # libsndfile's int16 -> float normalisation


@dataclass(frozen=True)
class AudioInfo:
    """Header facts about an audio file."""

    duration: float
    samplerate: int
    channels: int
    format: str
    subtype: str = ""  # libsndfile's sample encoding: PCM_16, PCM_24, FLOAT, VORBIS...
    # A WAV whose header was never finished (it claims no samples) is read to its end.
    unfinished_header: bool = False


def _reason(exc: Exception) -> str:
    """Short human reason from a libsndfile / OS error."""
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    text = str(exc).lower()
    if "format not recognised" in text or "unknown format" in text or "not recognised" in text:
        return "not an audio file"
    if "unsupported" in text or "codec" in text or "encoding" in text:
        return "unsupported codec"
    if "truncated" in text or "end of file" in text or "short" in text:
        return "truncated file"
    return "corrupt audio file"


def _open(path: str | os.PathLike) -> sf.SoundFile:
    """Open ``path`` with libsndfile, mapping every failure to a MediaError. The file-level
    checks (missing, a folder, empty, unreadable) run only when that fails: they give the
    clearer reason, and a good file is not stat'ed twice."""
    try:
        return open_sound(path)
    except (sf.LibsndfileError, RuntimeError, OSError, TypeError, ValueError) as exc:
        check_file(Path(path))
        raise MediaError(_reason(exc), str(path)) from exc


def audio_info(path: str | os.PathLike) -> AudioInfo:
    """Return duration (s), sample rate, channel count and container format of ``path``.

    Raises:
        MediaError: if the file cannot be opened as audio.
    """
    with _open(path) as f:
        duration = f.frames / f.samplerate if f.samplerate else 0.0
        return AudioInfo(duration, int(f.samplerate), int(f.channels), str(f.format),
                         str(f.subtype or ""), isinstance(f, RepairedSoundFile))  # fmt: skip


def probe_audio(path: str | os.PathLike) -> None:
    """Check that ``path`` decodes: header, then a few frames at the start and at the end.

    Raises:
        MediaError: with a short reason ("not an audio file", "truncated file", ...).
    """
    with _open(path) as f:
        try:
            if f.frames == 0:
                raise MediaError("no audio frames", str(path))
            if f.format in _MPEG_FORMATS:
                _probe_mpeg(f, path)
                return
            head = f.read(_PROBE_FRAMES, dtype="float32", always_2d=True)
            if head.shape[0] == 0:
                raise MediaError("truncated file", str(path))
            if f.seekable() and f.frames > 2 * _PROBE_FRAMES:
                _probe_tail(f, path)
        except MediaError:
            raise
        except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as exc:
            raise MediaError(_reason(exc), str(path)) from exc


def _probe_tail(f: sf.SoundFile, path: str | os.PathLike) -> None:
    """The last frames decode too; a failure here, after a good start, means a cut-off file.

    (libsndfile shortens a truncated WAV's or Ogg's length to what is there, so those pass as
    the shorter clip they are; a cut FLAC fails to seek.) A short read is not a cut: Vorbis
    seeks land a page late after trailing silence, and the read then stops at the true end a
    few hundred frames early.
    """
    try:
        f.seek(f.frames - _PROBE_FRAMES)
        tail = f.read(_PROBE_FRAMES, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as exc:
        raise MediaError("truncated file", str(path)) from exc
    if tail.shape[0] == 0:
        raise MediaError("truncated file", str(path))


def _probe_mpeg(f: sf.SoundFile, path: str | os.PathLike) -> None:
    """An MP3 decodes to the length its header declares; a cut one ends early.

    It is read in one call: libsndfile's MP3 decoder, read on after a partial read or a seek,
    makes libmpg123 print decode errors to the terminal for a good file. A file declared
    longer than ``IN_MEMORY_SCAN_SECONDS`` has only its start read (the header is trusted).
    """
    whole = f.frames <= IN_MEMORY_SCAN_SECONDS * f.samplerate
    want = f.frames if whole else _PROBE_FRAMES
    got = f.read(want, dtype="float32", always_2d=True).shape[0]
    if got == 0 or (whole and got < f.frames - _MPEG_SLACK_FRAMES):
        raise MediaError("truncated file", str(path))


def load_audio_native(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Decode the whole file at its native rate, for playback.

    Returns:
        ``(samples, samplerate)`` with samples float32 of shape ``(n, channels)``.

    Raises:
        MediaError: if the file cannot be decoded.
    """
    with _open(path) as f:
        try:
            data = read_all(f)
        except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as exc:
            raise MediaError(_reason(exc), str(path)) from exc
        return data, int(f.samplerate)


def load_audio(
    path: str | os.PathLike, sr: int = ANALYSIS_RATE, max_seconds: float | None = None
) -> np.ndarray:
    """Decode to mono float32 at ``sr``; long clips keep their most energetic window.

    Args:
        path: audio file.
        sr: output sample rate.
        max_seconds: if given, return at most this many seconds (see the module docstring for
            how the window is chosen).

    Returns:
        1-D float32 array.

    Raises:
        MediaError: if the file cannot be decoded.
    """
    pcm = _read_pcm16_wav(path)
    if pcm is not None:
        samples, native = pcm
        data = analysis_window(samples, native, max_seconds)
    else:
        with _open(path) as f:
            native = int(f.samplerate)
            try:
                data = read_analysis_frames(f, max_seconds)
            except (sf.LibsndfileError, RuntimeError, OSError, ValueError) as exc:
                raise MediaError(_reason(exc), str(path)) from exc
    if data.shape[0] == 0:
        raise MediaError("no audio frames", str(path))
    if data.shape[0] < MIN_SECONDS * native:  # a header and a few samples: cut off at once
        ms = 1000 * data.shape[0] / native
        raise MediaError(f"too short to hold a sound ({ms:.1f} ms)", str(path))
    if pcm is None:  # 16-bit PCM cannot hold a bad value; float formats can
        check_samples(data, path)
    return resample(_mono(data), native, sr)


def check_samples(data: np.ndarray, path: str | os.PathLike | None = None) -> None:
    """Raise MediaError if decoded samples hold NaN, infinity or absurd magnitudes.

    Float WAV/AIFF files store any float: one NaN or 1e38 sample would turn a clip's
    spectrum (and the features of the clips batched with it) into NaN or infinity.
    """
    if not data.size:
        return
    # max and min, not abs: no temporary the size of the clip; a NaN fails both comparisons.
    high, low = float(data.max()), float(data.min())
    if high <= MAX_SAMPLE and low >= -MAX_SAMPLE:
        return
    finite = np.isfinite(high) and np.isfinite(low)
    what = "values far out of range" if finite else "NaN or infinite values"
    raise MediaError(
        f"the audio holds invalid samples ({what})", None if path is None else str(path)
    )


def _read_pcm16_wav(path: str | os.PathLike) -> tuple[np.ndarray, int] | None:
    """(frames, channels) float32 samples and rate of a whole 16-bit PCM WAV of at most
    IN_MEMORY_SCAN_SECONDS, or None for any other file: soundfile then decodes it, or names
    what is wrong with it."""
    if not os.fspath(path).lower().endswith(".wav"):
        return None  # opening FLAC, OGG or MP3 to find that out cost 29 µs a file
    try:
        with open(path, "rb") as file, wave.open(file, "rb") as w:
            channels, rate, frames = w.getnchannels(), w.getframerate(), w.getnframes()
            if w.getsampwidth() != 2 or rate <= 0 or frames > IN_MEMORY_SCAN_SECONDS * rate:
                return None
            if _more_than_claimed(file, frames * channels * 2) and unfinished_data(path):
                return None
            raw = w.readframes(frames)
    except (wave.Error, EOFError, OSError, ValueError, TypeError):
        return None
    if len(raw) != frames * channels * 2:  # cut short: libsndfile decides what is there
        return None
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float32)
    samples *= _PCM16_SCALE
    return samples.reshape(frames, channels), rate


def _more_than_claimed(file, claimed: int) -> bool:
    """Whether bytes follow the ``claimed`` sample bytes of a WAV ``file`` positioned at its
    first sample (a chunk after them, or samples an unfinished header leaves out)."""
    return os.fstat(file.fileno()).st_size > file.tell() + claimed + claimed % 2


def _mono(data: np.ndarray) -> np.ndarray:
    """Channel mean of (frames, channels) samples, column by column (``mean(axis=1)`` reduces
    along the short strided axis and took 17x as long on a 10-s stereo clip); the loudest
    channel instead where the channels cancel in the mean."""
    if data.shape[1] == 1:
        return data[:, 0]
    mono = data[:, 0].copy()
    for c in range(1, data.shape[1]):
        mono += data[:, c]
    mono *= np.float32(1.0 / data.shape[1])
    return _uncancelled(data, mono)


# The mean of C unrelated channels keeps 1/C of their mean energy; a mean under CANCEL_RATIO of
# that has mostly cancelled out (a channel wired in reverse phase).
CANCEL_RATIO = 0.1


def _uncancelled(data: np.ndarray, mono: np.ndarray) -> np.ndarray:
    """``mono``, or the loudest channel of ``data`` when the channels cancel in the mean: a
    stereo clip whose right channel was the left one inverted read as silence (-96 dBFS) to the
    viewer and as another class to the model."""
    energies = [float(np.dot(data[:, c], data[:, c])) for c in range(data.shape[1])]
    if float(np.dot(mono, mono)) >= CANCEL_RATIO * float(np.mean(energies)) / data.shape[1]:
        return mono
    return np.ascontiguousarray(data[:, int(np.argmax(energies))])


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Resample 1-D ``x`` from sr_in to sr_out with a polyphase filter; returns float32."""
    x = np.asarray(x, dtype=np.float32)
    if sr_in == sr_out:
        return x
    # Imported here: scipy.signal takes ~1 s to import, and clips already at the target
    # rate (and every extraction worker that only sees them) never need it.
    from scipy.signal import resample_poly

    g = np.gcd(int(sr_in), int(sr_out))
    up, down = sr_out // g, sr_in // g
    return resample_poly(x, up, down, window=_resample_filter(up, down)).astype(
        np.float32, copy=False
    )


@lru_cache(maxsize=8)
def _resample_filter(up: int, down: int) -> np.ndarray:
    """The anti-aliasing filter ``resample_poly`` designs by default (Kaiser, beta 5, half
    length 10 × max(up, down)), as float32 like the samples: designed once per rate pair
    rather than per clip (0.9 ms of 8 ms for 10 s at 44.1 kHz). Same output, bit for bit."""
    from scipy.signal import firwin

    max_rate = max(up, down)
    h = firwin(2 * 10 * max_rate + 1, 1.0 / max_rate, window=("kaiser", 5.0))
    h = h.astype(np.float32)
    h.setflags(write=False)
    return h
