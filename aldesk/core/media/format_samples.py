"""One small file of every format a pool accepts, written the way its tools write them.

``aldesk selfcheck`` decodes them all, so a build that leaves a decoder or a codec out (an
installer's trimmed Pillow plugin, a libsndfile without Opus) fails the check instead of
flagging a user's whole folder "unreadable". A test keeps the tables equal to the extensions
:mod:`aldesk.core.media` accepts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# extension -> (Pillow format, mode)
IMAGE_SAMPLES: dict[str, tuple[str, str]] = {
    ".png": ("PNG", "RGB"), ".jpg": ("JPEG", "RGB"), ".jpeg": ("JPEG", "RGB"),
    ".jpe": ("JPEG", "RGB"), ".jfif": ("JPEG", "L"), ".bmp": ("BMP", "RGB"),
    ".gif": ("GIF", "P"), ".tif": ("TIFF", "RGB"), ".tiff": ("TIFF", "I;16"),
    ".webp": ("WEBP", "RGB"), ".jp2": ("JPEG2000", "RGB"), ".j2k": ("JPEG2000", "L"),
    ".pgm": ("PPM", "L"), ".ppm": ("PPM", "RGB"), ".pbm": ("PPM", "1"), ".pnm": ("PPM", "RGB"),
    ".tga": ("TGA", "RGB"), ".qoi": ("QOI", "RGBA"),
}  # fmt: skip
# extension -> (libsndfile format, subtype, sample rate)
AUDIO_SAMPLES: dict[str, tuple[str, str, int]] = {
    ".wav": ("WAV", "PCM_16", 16000), ".flac": ("FLAC", "PCM_24", 44100),
    ".ogg": ("OGG", "VORBIS", 22050), ".oga": ("OGG", "VORBIS", 16000),
    ".opus": ("OGG", "OPUS", 48000), ".mp3": ("MP3", "MPEG_LAYER_III", 44100),
    ".aiff": ("AIFF", "PCM_16", 44100), ".aif": ("AIFF", "PCM_24", 48000),
    ".aifc": ("AIFF", "PCM_16", 16000), ".au": ("AU", "PCM_16", 8000),
    ".snd": ("AU", "ULAW", 8000), ".caf": ("CAF", "ALAC_16", 44100),
    ".w64": ("W64", "PCM_16", 16000), ".sph": ("NIST", "PCM_16", 16000),
}  # fmt: skip
SECONDS = 1.5  # longer than the probe's head and tail reads


def write_image_samples(folder: Path) -> list[Path]:
    """A 48 x 40 gradient in every accepted image format; returns the paths."""
    from PIL import Image

    x = np.linspace(0, 1, 48)[None, :] * np.linspace(0.2, 1, 40)[:, None]
    rgb = (np.stack([x, x[::-1], 1 - x], -1) * 255).astype(np.uint8)
    paths = []
    for ext, (fmt, mode) in IMAGE_SAMPLES.items():
        path = folder / f"sample{ext}"
        if mode == "I;16":
            Image.fromarray((x * 4095).astype(np.uint16)).save(path, format=fmt)
        else:
            Image.fromarray(rgb).convert(mode).save(path, format=fmt)
        paths.append(path)
    return paths


def write_audio_samples(folder: Path) -> list[Path]:
    """A decaying 440 Hz tone in every accepted audio format; returns the paths."""
    import soundfile as sf

    paths = []
    for ext, (fmt, subtype, rate) in AUDIO_SAMPLES.items():
        t = np.arange(int(SECONDS * rate)) / rate
        tone = (0.4 * np.sin(2 * np.pi * 440 * t) * np.exp(-2 * t)).astype(np.float32)
        path = folder / f"sample{ext}"
        sf.write(path, tone, rate, format=fmt, subtype=subtype)
        paths.append(path)
    return paths
