"""Thumbnails as raw screen pixels, made in a decode process (no Qt here).

The review grid decodes its thumbnails in a separate, lower-priority process: a decode on a
thread of the GUI process competes with the GUI thread for the GIL and for the CPU, and the
GUI thread then waits (measured: 30-80 ms stalls while scrolling 10,000 thumbnails on a busy
2-core machine, most of them spent waiting for the GIL). The process hands back bytes in the
layout Qt paints without converting: BGRX (``Format_RGB32``) or premultiplied BGRA
(``Format_ARGB32_Premultiplied``).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import numpy as np

from aldesk.core.media.image import load_image

NICENESS = 10  # the decode process yields the CPU to the GUI thread


@dataclass(frozen=True)
class ThumbnailPixels:
    """One thumbnail: ``height`` rows of ``width * 4`` bytes; ``alpha``: premultiplied BGRA,
    else BGRX."""

    width: int
    height: int
    alpha: bool
    data: bytes


def thumbnail_pixels(path: str, side: int) -> ThumbnailPixels:
    """A ``side``-bounded thumbnail of an image file (JPEGs decoded in draft mode).

    Raises:
        MediaError: The file cannot be decoded (the reason is for a person).
    """
    img = load_image(path, side)
    alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
    if alpha:
        rgba = np.asarray(img.convert("RGBA"), dtype=np.uint16)
        out = np.empty(rgba.shape, dtype=np.uint8)
        out[..., :3] = (rgba[..., 2::-1] * rgba[..., 3:4] + 127) // 255  # premultiplied B G R
        out[..., 3] = rgba[..., 3]
        data = out.tobytes()
    else:
        rgb = img if img.mode == "RGB" else img.convert("RGB")
        data = rgb.tobytes("raw", "BGRX")
    return ThumbnailPixels(img.width, img.height, alpha, data)


def init_decoder(app_alive=None) -> None:
    """Decode-process initializer: run below the GUI (a no-op where ``os.nice`` is missing),
    and end with the app however it ends (``app_alive``: the app's liveness pipe; killed with
    the review window open, the app had left this process and its fork server running)."""
    with contextlib.suppress(AttributeError, OSError):
        os.nice(NICENESS)
    if app_alive is not None:
        from aldesk.core.features.processes import exit_when_closed

        exit_when_closed(app_alive)


def process_id() -> int:
    """The decode process's id (tests check that decoding left the GUI process)."""
    return os.getpid()
