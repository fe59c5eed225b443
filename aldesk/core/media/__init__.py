"""Decode images (Pillow) and audio (soundfile) into arrays, with limits and clear errors.

``probe`` is what pool scans call on every file: it is cheap (header + verify for images; header
plus a few frames for audio) and turns every failure into ``MediaError(reason)`` with a short,
human reason shown next to the item.
"""

from __future__ import annotations

import os
from typing import Literal

from aldesk.core.errors import MediaError
from aldesk.core.media.audio import (
    ANALYSIS_RATE,
    AudioInfo,
    audio_info,
    load_audio,
    load_audio_native,
    probe_audio,
)
from aldesk.core.media.image import image_info, load_image, probe_image
from aldesk.core.media.spectra import log_mel_spectrogram, waveform_envelope

MediaKind = Literal["image", "audio"]

# What Pillow's wheel reads that people keep pictures in: photo and web formats, JPEG 2000,
# and the Netpbm / Targa / QOI files of scientific and game pipelines. (AVIF is not: the
# package leaves Pillow's 5 MB libavif out, see packaging/aldesk.spec.)
IMAGE_EXTS: frozenset[str] = frozenset(
    {".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".bmp", ".gif", ".tif", ".tiff", ".webp",
     ".jp2", ".j2k", ".pgm", ".ppm", ".pbm", ".pnm", ".tga", ".qoi"}
)  # fmt: skip
# What the libsndfile bundled with the soundfile wheel reads (1.2.x, MP3 and Opus included).
AUDIO_EXTS: frozenset[str] = frozenset(
    {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif", ".aifc", ".au",
     ".snd", ".caf", ".w64", ".sph"}
)  # fmt: skip
# Common media formats neither decoder reads: listed as unreadable with what to do, never
# skipped in silence (a folder of .m4a files would otherwise look empty, or half-used).
UNSUPPORTED_EXTS: dict[str, tuple[MediaKind, str]] = {
    ext: (kind, f"{what} is not supported: convert to {to}")
    for kind, what, to, exts in (
        ("audio", "AAC / M4A audio", "WAV, FLAC or MP3", (".m4a", ".aac", ".mp4a")),
        ("audio", "Windows Media Audio", "WAV, FLAC or MP3", (".wma",)),
        ("audio", "AMR speech audio", "WAV or FLAC", (".amr",)),
        ("audio", "WavPack / Monkey's Audio", "WAV or FLAC", (".wv", ".ape")),
        ("image", "HEIC / HEIF", "JPEG or PNG", (".heic", ".heif")),
        ("image", "AVIF", "JPEG or PNG", (".avif",)),
        ("image", "JPEG XL", "JPEG or PNG", (".jxl",)),
        ("image", "A camera raw file", "JPEG, PNG or TIFF", (".dng", ".cr2", ".cr3", ".nef",
                                                             ".arw", ".orf", ".rw2", ".raf")),
        ("image", "SVG (a vector drawing)", "PNG", (".svg",)),
    )
    for ext in exts
}  # fmt: skip


__all__ = [
    "ANALYSIS_RATE",
    "AUDIO_EXTS",
    "IMAGE_EXTS",
    "UNSUPPORTED_EXTS",
    "AudioInfo",
    "MediaError",
    "audio_info",
    "image_info",
    "load_audio",
    "load_audio_native",
    "load_image",
    "log_mel_spectrogram",
    "media_kind",
    "probe",
    "waveform_envelope",
]


def media_kind(path: str | os.PathLike) -> MediaKind | None:
    """Return ``'image'``, ``'audio'`` or ``None`` from the file extension (case-insensitive).

    A type in ``UNSUPPORTED_EXTS`` has its kind too, so a scan lists it (and ``probe`` flags
    it with what to convert it to) instead of passing over it."""
    # Path(path).suffix's rule without building a Path (a pool walk asks this of every file:
    # 0.37 of its 0.85 s CPU at 100k files)
    ext = _extension(path)
    if ext in IMAGE_EXTS:
        return "image"
    if ext in AUDIO_EXTS:
        return "audio"
    unsupported = UNSUPPORTED_EXTS.get(ext)
    return unsupported[0] if unsupported else None


def _extension(path: str | os.PathLike) -> str:
    name = os.path.basename(os.fspath(path).rstrip(os.sep + (os.altsep or "")))
    dot = name.rfind(".")
    return name[dot:].lower() if 0 < dot < len(name) - 1 else ""


def probe(path: str | os.PathLike, kind: MediaKind) -> None:
    """Check cheaply that ``path`` decodes as ``kind``.

    Args:
        path: the file.
        kind: ``'image'`` or ``'audio'``.

    Raises:
        MediaError: with a short reason: "file not found", "permission denied",
            "empty file (0 bytes)", "truncated file", "not an image", "not an audio file",
            "image too large (W×H pixels)", "unsupported codec", ...
        ValueError: for an unknown kind (a programming error, not the user's).
    """
    unsupported = UNSUPPORTED_EXTS.get(_extension(path))
    if unsupported is not None and unsupported[0] == kind:
        raise MediaError(unsupported[1], str(path))
    if kind == "image":
        probe_image(path)
    elif kind == "audio":
        probe_audio(path)
    else:
        raise ValueError(f"unknown media kind {kind!r}")
