"""Decoding an image for the viewer, off the GUI thread: a quick draft of a large JPEG, the
picture at full resolution or reduced in bounded memory, and the next image decoded ahead.

Memory is bounded: images up to ``FULL_PIXELS`` are shown at full resolution; larger ones are
shown reduced (``load_display_image``: JPEG draft decoding, a strip-wise box filter for the
rest), at most ``WHOLE_DECODE_PIXELS`` when Pillow has to decode them whole first. Peak memory
to show any image stays under 500 MB (measured by ``benchmarks/bench_viewer_memory.py``; an
81-megapixel 16-bit PNG took 2.4 GB before). An image decoded ahead is kept only up to
``AHEAD_PIXELS``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from PySide6.QtGui import QImage

from aldesk.gui.viewers.pixels import pil_to_qimage
from aldesk.gui.workers import JobContext

DRAFT_SIDE = 1024  # images larger than this are first shown from a downscaled decode
FULL_PIXELS = 24_000_000  # a 24-megapixel camera photo is shown pixel for pixel
# Next to the decoder's whole-image buffer (up to 358 MB at Pillow's pixel limit).
WHOLE_DECODE_PIXELS = 8_000_000
# The next image is decoded ahead up to this size: a 12-megapixel photo held as RGB is 36 MB.
AHEAD_PIXELS = 12_000_000


@dataclass
class DecodedImage:
    """What the decode lane hands to the view (QImage is safe to build off the GUI thread)."""

    path: Path
    image: QImage
    full_size: tuple[int, int]
    file_size: int
    is_draft: bool
    buffer: object = None  # the pixels ``image`` borrows
    reduced: QImage | None = None  # a smaller copy for painting while zoomed out
    reduced_buffer: object = None
    shown_size: tuple[int, int] | None = None  # smaller than full_size for a huge image
    stretched: tuple[float, float] | None = None  # 16/32-bit values shown as black to white
    frames: str = ""  # "first of 3 pages" (a TIFF) or "… frames" (an animation); else ""


def load_image(path: Path, max_side: int | None) -> Image.Image:
    """EXIF-corrected decode; the one place that knows which decoder is used."""
    from aldesk.core.media.image import load_image as core_load_image

    return core_load_image(path, max_side)


def load_for_display(path: Path) -> Image.Image:
    """The picture to show, EXIF-corrected, at full resolution or reduced (bounded memory)."""
    from aldesk.core.media.image import load_display_image

    return load_display_image(path, FULL_PIXELS, whole_decode_max_pixels=WHOLE_DECODE_PIXELS)


def image_header(path: Path) -> tuple[int, int, str]:
    """(width, height, format) after EXIF orientation, from the header only."""
    from aldesk.core.media.image import image_info

    return image_info(path)


def decode_for_view(path: Path, ctx: JobContext) -> DecodedImage | None:
    """Decode ``path`` for the view: a quick draft first when that is cheap, then the full image.

    JPEGs decode a reduced draft several times faster than the full image, so a large one is
    first reported (``ctx.report``) as a draft. For other formats a draft costs a full decode,
    so there is none. A large full image also carries a reduced copy that the view paints
    while zoomed out (painting 12 megapixels scaled down costs the GUI thread ~50 ms a frame).
    """
    w, h, fmt = image_header(path)
    file_size = os.stat(path).st_size
    if max(w, h) > DRAFT_SIDE and fmt == "JPEG":
        qimage, buffer = pil_to_qimage(load_image(path, DRAFT_SIDE))
        ctx.report(DecodedImage(path, qimage, (w, h), file_size, True, buffer))
        if ctx.should_stop():
            return None
    full = load_for_display(path)
    if ctx.should_stop():
        return None
    reduced = reduced_buffer = None
    if max(full.size) > 2 * DRAFT_SIDE:
        reduced, reduced_buffer = pil_to_qimage(full.reduce(max(full.size) // DRAFT_SIDE))
    qimage, buffer = pil_to_qimage(full)
    shown, stretched = full.size, full.info.get("stretched")
    if (shown[0] > shown[1]) != (w > h) and shown[0] != shown[1]:
        w, h = h, w  # the decoder applied an EXIF rotation the header did not show
    del full  # before the GUI thread makes its pixmap: one full-size copy at a time
    decoded = DecodedImage(path, qimage, (w, h), file_size, False, buffer)
    decoded.reduced, decoded.reduced_buffer = reduced, reduced_buffer
    decoded.shown_size, decoded.stretched = shown, stretched
    if fmt in ("TIFF", "GIF", "PNG", "WEBP", "MPO"):  # the formats that hold several pictures
        from aldesk.core.media.image import frame_count

        n = frame_count(path)
        word = "pages" if fmt == "TIFF" else "frames"
        decoded.frames = f"first of {n} {word}" if n > 1 else ""
    return decoded


def decode_ahead(path: Path, ctx: JobContext) -> DecodedImage | None:
    """``path`` decoded for the view if it is small enough to hold ahead (``AHEAD_PIXELS``)."""
    w, h, _ = image_header(path)
    return decode_for_view(path, ctx) if w * h <= AHEAD_PIXELS else None
