"""A part of a picture at full resolution, for a viewer zoomed into one shown reduced.

``image.load_display_image`` bounds memory by reducing pictures over a size (an 8000 x 6000
PNG is shown at 1/3); zoomed in to "actual size" the user then saw magnified reduced pixels,
never the file's. ``load_region`` decodes only the part in view, as the reduced picture shows
it (the same 8-bit conversion and 16-bit value range), in bounded memory: a PNG a strip of rows
at a time and no further than the part's last row; other formats whole only up to
``WHOLE_DECODE_PIXELS``.
"""

from __future__ import annotations

import os

from PIL import Image

from aldesk.core.media.image import (
    _STRIP_PIXELS,
    MediaError,
    _as_display_strip,
    _decode_reason,
    _display_mode,
    _open,
    _value_range,
    exif_orientation,
)
from aldesk.core.media.png_strips import can_strip, png_strips

WHOLE_DECODE_PIXELS = 100_000_000  # a picture Pillow decodes whole: at most ~300 MB as RGB

Box = tuple[int, int, int, int]  # left, top, right, bottom, in the file's pixels


def load_region(path: str | os.PathLike, box: Box) -> Image.Image | None:
    """The pixels of ``box`` at full resolution in the display's 8-bit mode, or None where that
    cannot be done in bounded memory (an EXIF-rotated picture, a non-PNG over
    ``WHOLE_DECODE_PIXELS``) or the box holds no pixel of the picture.

    Raises:
        MediaError: the file cannot be decoded.
    """
    with _open(path) as img:
        try:
            return _region(img, box)
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise MediaError(_decode_reason(exc), str(path)) from exc


def _region(img: Image.Image, box: Box) -> Image.Image | None:
    w, h = img.size
    left, top, right, bottom = max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])
    if right <= left or bottom <= top or exif_orientation(img) != 1:
        return None
    if not can_strip(img) and w * h > WHOLE_DECODE_PIXELS:
        return None
    mode = _display_mode(img)
    rows = max(1, _STRIP_PIXELS // w)
    value_range = _value_range(img, rows)
    out = Image.new(mode, (right - left, bottom - top))
    if can_strip(img):
        strips = png_strips(img, rows)
    else:
        img.load()
        strips = (img.crop((0, y, w, min(h, y + rows))) for y in range(0, h, rows))
    y = 0
    for strip in strips:
        a, b = max(top, y), min(bottom, y + strip.height)
        if a < b:
            piece = _as_display_strip(strip.crop((left, a - y, right, b - y)), mode, value_range)
            out.paste(piece.convert(mode) if piece.mode != mode else piece, (0, a - top))
        y += strip.height
        if y >= bottom:
            break  # a PNG's rows below the part are never inflated
    return out
