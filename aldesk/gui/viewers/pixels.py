"""Pillow images into QImages the screen can take as they are, in bounded memory."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtGui import QImage

_STRIP_BYTES = 4 << 20  # rows converted at a time


def pil_to_qimage(img: Image.Image) -> tuple[QImage, object]:
    """A QImage in the screen's own format (RGB32 / premultiplied ARGB32), and its buffer.

    Built off the GUI thread, without ``QImage.copy()`` or ``convertToFormat``: both hold the
    GIL for the whole image (about 90 ms for 12 megapixels), stalling the GUI thread, and
    RGBA8888 would make ``QPixmap.fromImage`` convert every pixel on the GUI thread. Filled a
    strip at a time: a whole-image ``tobytes`` holds its chunks and their join (twice the
    picture), the premultiplication a uint16 copy (twice again). The QImage borrows the returned
    buffer, which must stay referenced while the QImage is used.
    """
    w, h = img.size
    alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
    out = np.empty((h, w, 4), dtype=np.uint8)
    rows = max(1, _STRIP_BYTES // (w * 4))
    for y in range(0, h, rows):
        part = img.crop((0, y, w, min(h, y + rows)))
        out[y : y + part.height] = _premultiplied_bgra(part) if alpha else _bgrx(part)
    fmt = QImage.Format.Format_ARGB32_Premultiplied if alpha else QImage.Format.Format_RGB32
    return QImage(out.data, w, h, w * 4, fmt), out


def _bgrx(part: Image.Image) -> np.ndarray:
    rgb = part if part.mode == "RGB" else part.convert("RGB")
    return np.frombuffer(rgb.tobytes("raw", "BGRX"), np.uint8).reshape(part.height, part.width, 4)


def _premultiplied_bgra(part: Image.Image) -> np.ndarray:
    rgba = np.asarray(part.convert("RGBA"), dtype=np.uint16)
    alpha = rgba[..., 3:4]
    bgra = np.empty(rgba.shape, dtype=np.uint8)
    bgra[..., :3] = (rgba[..., 2::-1] * alpha + 127) // 255  # premultiplied, B G R order
    bgra[..., 3] = rgba[..., 3]
    return bgra
