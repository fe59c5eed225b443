"""One clip as the audio view shows it: what is computed off the GUI thread (bounded in size
whatever the clip's length) and the info line that describes it."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage

from aldesk.core.features.audio_features import MAX_SECONDS
from aldesk.core.media.analysis_window import analysis_span
from aldesk.gui import style
from aldesk.gui.workers import JobContext
from aldesk.gui.wrapping import breakable

ENVELOPE_BINS = 4096
N_MELS = 64
MAX_COLUMNS = 2048  # spectrogram columns: wider than the canvas on most screens
_LUT = None


@dataclass(frozen=True)
class AudioClip:
    """Everything the view needs about one clip, computed off the GUI thread (bounded size)."""

    path: Path
    samplerate: int
    frames: int
    file_size: int
    mins: np.ndarray  # envelope, at most ENVELOPE_BINS long
    maxs: np.ndarray
    spectrogram: QImage  # colour-mapped log-mel, low frequencies at the bottom
    n_mels: int
    exact: bool  # one spectrogram column per 10 ms hop (False: a block-wise overview)
    channels: int
    encoding: str = ""  # "WAV 24-bit", "OGG Vorbis"...: the info line's (empty if unknown)
    header_duration: float = 0.0  # what the file's header says (more: the file is cut short)
    mean: float = 0.0  # the mean sample (a DC offset)
    analysed: tuple[float, float] | None = None  # seconds the features use (None: all of it)
    unfinished_header: bool = False  # a WAV header that claims no samples: read to the end
    unclaimed: float = 0.0  # seconds of samples after what a WAV header claims (not read)
    colour_top: float = 0.0  # the dB drawn brightest: a zoomed span's picture uses it too

    @property
    def duration(self) -> float:
        return self.frames / self.samplerate if self.samplerate else 0.0

    @property
    def silent(self) -> bool:
        """Every sample is 0."""
        return not (np.abs(self.mins).max(initial=0.0) or np.abs(self.maxs).max(initial=0.0))


@dataclass(frozen=True)
class ClipHeader:
    """Reported before the analysis: enough to play a long clip while it is being drawn."""

    path: Path
    duration: float


def _lut() -> np.ndarray:
    global _LUT
    if _LUT is None:
        _LUT = style.colormap_lut("magma")
    return _LUT


def analyse_clip(path: Path, ctx: JobContext | None = None) -> AudioClip | None:
    """Decode ``path`` in blocks and compute what the view draws (numpy apart from the QImage)."""
    from aldesk.core.media.audio import audio_info
    from aldesk.core.media.overview import audio_overview

    stop = ctx.should_stop if ctx is not None else None
    info = audio_info(path)
    if ctx is not None:  # an hour's overview takes seconds; playback need not wait for it
        ctx.report(ClipHeader(path, info.duration))
    ov = audio_overview(
        path, n_bins=ENVELOPE_BINS, n_mels=N_MELS, max_columns=MAX_COLUMNS, should_stop=stop
    )
    if ov is None:
        return None
    top = colour_top(ov)
    image = spectrogram_image(ov.mel_db, top)
    size = os.stat(path).st_size
    return AudioClip(
        path, ov.samplerate, ov.frames, size, ov.mins, ov.maxs, image, N_MELS, ov.exact,
        ov.channels, encoding_text(info.format, info.subtype), _claimed(path, info), ov.mean,
        analysis_span(path, MAX_SECONDS), info.unfinished_header, _unclaimed(path, info), top,
    )  # fmt: skip


def colour_top(ov) -> float:
    """The dB a clip's spectrogram draws brightest: its loudest, lifted for a quiet clip."""
    top = float(ov.mel_db.max()) if ov.mel_db.size else 0.0
    if ov.mel_db.size and top - float(ov.mel_db.min()) < 1.0:
        top += 80.0  # a flat picture (digital silence) is drawn dark, not at full brightness
    return top + quiet_shift_db(ov.mins, ov.maxs)


def spectrogram_image(mel_db: np.ndarray, top: float) -> QImage:
    """The colour-mapped picture, low frequencies at the bottom, 80 dB under ``top`` black."""
    return style.colormap_image(mel_db[::-1], _lut(), top - 80.0, top)


def info_line(clip: AudioClip, name: str | None = None) -> str:
    channels = {1: "mono", 2: "stereo"}.get(clip.channels, f"{clip.channels} channels")
    parts = [
        breakable(name or clip.path.name),
        style.human_size(clip.file_size),
        duration_text(clip.duration),
        f"{clip.samplerate / 1000:g} kHz",
        channels,
        *([clip.encoding] if clip.encoding else []),
        peak_text(clip),
        *([f"DC offset {clip.mean:+.2f}"] if abs(clip.mean) >= DC_OFFSET else []),
        *([cut_short_text(clip)] if cut_short_text(clip) else []),
        *([header_text(clip)] if header_text(clip) else []),
    ]
    return "  ·  ".join(parts)


_SUBTYPES = {"PCM_S8": "8-bit", "PCM_U8": "8-bit", "PCM_16": "16-bit", "PCM_24": "24-bit",
             "PCM_32": "32-bit", "FLOAT": "32-bit float", "DOUBLE": "64-bit float",
             "VORBIS": "Vorbis", "OPUS": "Opus", "MPEG_LAYER_III": "", "ALAC_16": "ALAC"}  # fmt: skip


def encoding_text(container: str, subtype: str) -> str:
    """``WAV 24-bit``, ``OGG Vorbis``, ``MP3``: 16-bit, 24-bit and float clips looked alike."""
    name = {"MPEG": "MP3", "OGG": "OGG", "WAVEX": "WAV"}.get(container, container)
    return " ".join(p for p in (name, _SUBTYPES.get(subtype, subtype.lower())) if p)


# Each clip is drawn scaled to its own level, but never more than this much louder than it
# is: a clip at -84 dBFS was a full-height band over a solid red spectrogram, like loud noise.
MAX_GAIN_DB = 40.0
QUIET_PEAK = 10.0 ** (-MAX_GAIN_DB / 20.0)  # the smallest peak a waveform is scaled up to


def quiet_shift_db(mins: np.ndarray, maxs: np.ndarray) -> float:
    """dB by which the spectrogram's colours are lifted for a clip quieter than -MAX_GAIN_DB
    dBFS (so it is drawn dark), 0 for any other."""
    peak = float(max(np.abs(mins).max(initial=0.0), np.abs(maxs).max(initial=0.0)))
    if peak <= 0.0:
        return 0.0
    return max(0.0, -MAX_GAIN_DB - 20.0 * math.log10(peak))


def peak_text(clip: AudioClip) -> str:
    """The loudest sample in dBFS: the drawing is scaled to each clip's own peak, so a noise
    floor at -80 dBFS looked like a full-scale clip."""
    if clip.silent:
        return "silent (every sample 0)"
    peak = float(max(np.abs(clip.mins).max(initial=0.0), np.abs(clip.maxs).max(initial=0.0)))
    level = round(20.0 * math.log10(peak)) or 0  # never "-0 dBFS"
    return f"peak {level} dBFS" + (" (clipped?)" if peak >= 0.999 else "")


def _claimed(path: Path, info) -> float:
    """The duration the file's header claims (a WAV's own; others: what libsndfile reads)."""
    from aldesk.core.media.wav_header import header_frames

    frames = header_frames(path) if info.format in ("WAV", "WAVEX") else None
    return frames / info.samplerate if frames and info.samplerate else info.duration


# A mean sample this far from 0 (-40 dBFS) is said: a clip riding on a DC offset read as loud
# ("peak 0 dBFS") with nothing to tell the offset from the sound
DC_OFFSET = 0.01


def cut_short_text(clip: AudioClip) -> str:
    """``cut short: its header says 0.83 s`` for a file shorter than its header says (a copy
    broken off, a recorder's lost power), else "": it was drawn as a shorter clip, unsaid."""
    header, got = clip.header_duration, clip.duration
    if header - got > max(0.01, 0.01 * header):  # an encoder's estimate may be a frame off
        return f"cut short: its header says {duration_text(header)}"
    return ""


def header_text(clip: AudioClip) -> str:
    """Where a WAV's header and its samples disagree in a way the clip shown does not say."""
    if clip.unfinished_header:  # other programs may read it as empty
        return "header unfinished (it says 0 s): read to the end of the file"
    if clip.unclaimed >= 0.01:  # a header updated part-way: the player stops where it says
        return f"{duration_text(clip.unclaimed)} more after what its header says (not read)"
    return ""


def _unclaimed(path: Path, info) -> float:
    """Seconds of samples after the end a WAV's header claims."""
    from aldesk.core.media.wav_header import data_chunk, unclaimed_frames

    if info.format not in ("WAV", "WAVEX") or info.unfinished_header or not info.samplerate:
        return 0.0
    chunk = data_chunk(path)
    return unclaimed_frames(chunk) / info.samplerate if chunk is not None else 0.0


def duration_text(seconds: float) -> str:
    """``1.00 s`` for a short clip, ``3600 s (1:00:00)`` for a long one."""
    if seconds < 60:
        return f"{seconds:.2f} s"
    whole = int(round(seconds))
    return f"{whole} s ({whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d})"


def seek_step(duration: float) -> float:
    """How far Left / Right move the playhead: 5 % of the clip, between 0.1 s (a tenth of a
    clip shorter than 1 s: a 20-ms clip's one step went to its end) and 5 s."""
    return min(max(duration / 20.0, min(0.1, duration / 10.0)), 5.0)
