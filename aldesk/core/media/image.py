"""Image decoding with Pillow: EXIF orientation, fast downscaled decode, size limits.

Limits: Pillow's ``Image.MAX_IMAGE_PIXELS`` (about 89 megapixels) is the decompression-bomb
limit. Pillow itself only *refuses* images over twice that and merely warns in between; aldesk
refuses everything over the limit, from the header alone, so a hostile or absurd file never
reaches the decoder.

Display: :func:`load_display_image` bounds what a viewer holds. A JPEG is decoded at a reduced
DCT scale (draft); most PNGs are decoded a strip of rows at a time (:mod:`png_strips`); other
images can only be decoded whole by Pillow, so the decoder's own buffer (at most 4 bytes a pixel:
358 MB at the pixel limit) is the one full-size copy. Either way the picture is box-averaged
strip by strip, converted to 8 bits (16- and 32-bit images stretched from their darkest to
their brightest value, as for the features: never clipped) and EXIF-rotated only
once small. An 81-megapixel 16-bit PNG took 2.4 GB to show before.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from aldesk.core.errors import MediaError
from aldesk.core.media.files import check_file
from aldesk.core.media.png_strips import can_strip, png_strips

# Formats whose ``verify()`` checks the compressed data (chunk CRCs up to IEND). For the others
# verify() reads little, so probe decodes a reduced version to catch truncation and bad codecs.
_VERIFY_IS_ENOUGH = frozenset({"PNG"})
_PROBE_SIDE = 64
_STRIP_PIXELS = 1 << 18  # pixels of the source converted at a time by the strip reducer
_SIXTEEN_BIT = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
_EIGHT_BIT = frozenset({"L", "LA", "RGB", "RGBA"})
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}  # EXIF orientation -> the transposition that shows the image upright (as exif_transpose)


def _too_large_reason(width: int, height: int) -> str:
    return f"image too large ({width}×{height} pixels)"


def _open(path: str | os.PathLike) -> Image.Image:
    """Open ``path`` lazily (header only) and map every failure to a MediaError.

    The file-level checks (missing, a folder, empty, unreadable) run only when Pillow fails:
    they give the clearer reason, and a good file is not stat'ed twice.
    """
    try:
        with warnings.catch_warnings():
            # Between 1x and 2x the limit Pillow only warns; the check below refuses those.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise MediaError(_bomb_reason(Path(path)), str(path)) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        check_file(Path(path))
        raise MediaError(_open_reason(exc), str(path)) from exc
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and img.width * img.height > limit:
        img.close()
        raise MediaError(_too_large_reason(img.width, img.height), str(path))
    return img


def _open_reason(exc: Exception) -> str:
    if isinstance(exc, UnidentifiedImageError):
        return "not an image"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return _decode_reason(exc)


def _decode_reason(exc: Exception) -> str:
    text = str(exc).lower()
    if "truncated" in text or "end of file" in text or "broken data stream" in text:
        return "truncated file"
    if "decoder" in text and "not available" in text:
        return "unsupported codec"
    if "cannot identify" in text:
        return "not an image"
    return "corrupt image"


def _bomb_reason(path: Path) -> str:
    """Reason for an image Pillow refused as a bomb, naming its size read from the header."""
    size = _header_size(path)
    return _too_large_reason(*size) if size else "image too large"


def _header_size(path: Path) -> tuple[int, int] | None:
    # Image.open runs the bomb check after parsing the header; calling the format plugins'
    # factories directly reads the header alone, without touching the global limit (which
    # other threads rely on).
    Image.init()
    with open(path, "rb") as fp:
        prefix = fp.read(16)
        for fmt in Image.ID:
            factory, accept = Image.OPEN[fmt]
            if accept is not None and not accept(prefix):
                continue
            fp.seek(0)
            try:
                return factory(fp, str(path)).size
            except Exception:
                continue
    return None


def probe_image(path: str | os.PathLike) -> None:
    """Check that ``path`` is a decodable image, cheaply.

    Reads the header, refuses images over Pillow's pixel limit without decoding, runs
    ``verify()`` and, for formats where verify checks little (JPEG, GIF, WebP, ...), decodes a
    reduced version (JPEG draft mode makes this cheap).

    Raises:
        MediaError: with a short human reason ("truncated file", "not an image", ...).
    """
    with _open(path) as img:
        fmt = img.format
        try:
            img.verify()
        except Exception as exc:
            raise MediaError(_decode_reason(exc), str(path)) from exc
    if fmt in _VERIFY_IS_ENOUGH:
        return
    load_image(path, max_side=_PROBE_SIDE)


def load_image(path: str | os.PathLike, max_side: int | None = None) -> Image.Image:
    """Decode an image, EXIF-transposed, optionally downscaled so neither side exceeds max_side.

    JPEGs are decoded in draft mode (DCT scaling by 1/2, 1/4 or 1/8), which makes a downscaled
    decode of a large photo several times faster than a full decode; the result is then
    resized with a good filter to the exact bound.

    Args:
        path: image file.
        max_side: if given, the longest side of the result is at most this many pixels.

    Returns:
        A loaded ``PIL.Image.Image`` in mode L, LA, RGB or RGBA (palette images converted).

    Raises:
        MediaError: if the file cannot be decoded.
    """
    with _open(path) as img:
        try:
            out = _decode(img, max_side)
        except MediaError:
            raise
        except Image.DecompressionBombError as exc:
            raise MediaError(_bomb_reason(Path(path)), str(path)) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise MediaError(_decode_reason(exc), str(path)) from exc
    return out


def _decode(img: Image.Image, max_side: int | None) -> Image.Image:
    if max_side is not None and img.format == "JPEG":
        # Draft sizes refer to the stored (pre-rotation) orientation; a square bound is the
        # same either way.
        img.draft("RGB" if img.mode not in ("L", "CMYK") else img.mode, (max_side, max_side))
    img.load()
    # In place: without an orientation tag, exif_transpose would return a full copy.
    ImageOps.exif_transpose(img, in_place=True)
    out = img
    if out.mode in _SIXTEEN_BIT or out.mode in ("I", "F"):
        out = _as_display_strip(out, "L", _value_range(out)).convert("L")
    elif out.mode not in ("L", "LA", "RGB", "RGBA"):
        out = out.convert("RGBA" if _has_alpha(out) else "RGB")
    if max_side is not None and max(out.size) > max_side:
        out = _shrink(out, max_side)
    return out


def load_display_image(
    path: str | os.PathLike, max_pixels: int, *, whole_decode_max_pixels: int | None = None
) -> Image.Image:
    """Decode an image for display with at most ``max_pixels`` pixels, in bounded memory.

    Images within the bound come back whole (as ``load_image(path)``); larger ones are reduced
    by the smallest integer factor that fits (a box filter), JPEGs through draft decoding.
    16-bit and 32-bit images are scaled to 8 bits. The result is EXIF-transposed, in mode L,
    LA, RGB or RGBA.

    Args:
        path: image file.
        max_pixels: the most pixels the result may have.
        whole_decode_max_pixels: a smaller bound for images that Pillow must decode whole at
            more than ``max_pixels`` (not JPEG): their decode buffer and the result are held
            together, so the result is kept small there.

    Raises:
        MediaError: if the file cannot be decoded.
    """
    with _open(path) as img:
        try:
            return _decode_bounded(img, max_pixels, whole_decode_max_pixels or max_pixels)
        except MediaError:
            raise
        except Image.DecompressionBombError as exc:
            raise MediaError(_bomb_reason(Path(path)), str(path)) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise MediaError(_decode_reason(exc), str(path)) from exc


def reduce_factor(width: int, height: int, max_pixels: int) -> int:
    """The smallest integer f with ceil(width / f) * ceil(height / f) <= max_pixels."""
    f = max(1, math.isqrt(max(0, width * height - 1) // max(1, max_pixels)))
    while math.ceil(width / f) * math.ceil(height / f) > max_pixels:
        f += 1
    return f


def _decode_bounded(img: Image.Image, max_pixels: int, whole_max_pixels: int) -> Image.Image:
    orientation = exif_orientation(img)
    factor = reduce_factor(*img.size, max_pixels)
    if factor > 1 and img.format == "JPEG":
        w, h = img.size  # draft picks the smallest DCT scale still at least this size
        img.draft("RGB" if img.mode not in ("L", "CMYK") else img.mode, (w // factor, h // factor))
        factor = reduce_factor(*img.size, max_pixels)  # what the DCT scaling left
    elif factor > 1:
        factor = reduce_factor(*img.size, whole_max_pixels)
    if factor == 1 and img.mode not in _SIXTEEN_BIT | {"I", "F"}:
        return _decode(img, None)  # the common case: whole, as load_image
    out = _reduce_in_strips(img, factor)
    method = _TRANSPOSE.get(orientation)
    return out.transpose(method) if method is not None else out


def _reduce_in_strips(img: Image.Image, factor: int) -> Image.Image:
    """Box-average ``img`` by ``factor`` into an 8-bit image a strip at a time (Pillow's
    ``reduce`` on each converted strip): no second full-size copy, as ``convert`` or ``reduce``
    of the whole image would make."""
    w, h = img.size
    mode = _display_mode(img)
    rows = max(factor, _STRIP_PIXELS // max(1, w) // factor * factor)
    value_range = _value_range(img, rows)
    out = Image.new(mode, (math.ceil(w / factor), math.ceil(h / factor)))
    strips = png_strips(img, rows) if can_strip(img) else _crops(img, rows)
    y0 = 0
    for piece in strips:
        strip = _as_display_strip(piece, mode, value_range)
        small = strip.reduce(factor) if factor > 1 else strip
        out.paste(small.convert(mode) if small.mode != mode else small, (0, y0 // factor))
        y0 += piece.height
    if value_range != (0.0, 255.0):  # a viewer says so: an empty 16-bit field looked like noise
        out.info["stretched"] = value_range
    return out


def _crops(img: Image.Image, rows: int) -> Iterator[Image.Image]:
    """Strips of a picture Pillow decodes whole (every format but the PNGs png_strips reads)."""
    img.load()
    w, h = img.size
    for y0 in range(0, h, rows):
        yield img.crop((0, y0, w, min(h, y0 + rows)))


def _display_mode(img: Image.Image) -> str:
    if img.mode in _SIXTEEN_BIT or img.mode in ("I", "F", "1", "L"):
        return "L"
    if img.mode in _EIGHT_BIT:
        return img.mode
    return "RGBA" if _has_alpha(img) else "RGB"


def _value_range(img: Image.Image, rows: int | None = None) -> tuple[float, float]:
    """The source values that map to 0 and 255: a 16- or 32-bit image's own darkest and
    brightest values. A 12-bit camera or microscope image is stored in 16 bits with values up
    to 4095: scaled by 65535 it shows nearly black, clipped at 255 nearly white (and its
    features see a blank square)."""
    if img.mode in _SIXTEEN_BIT or img.mode in ("I", "F"):
        lo, hi = _extrema(img, rows)
        return float(lo), float(hi) if hi > lo else float(lo) + 1.0
    return 0.0, 255.0


def _extrema(img: Image.Image, rows: int | None) -> tuple[float, float]:
    """Darkest and brightest value; a PNG read in strips is read once more for them, a strip
    at a time, rather than decoded whole."""
    if rows is not None and can_strip(img):
        ranges = [piece.getextrema() for piece in png_strips(img, rows)]
        return min(r[0] for r in ranges), max(r[1] for r in ranges)
    if img.mode == "F":  # NaN marks "no data" in float scans and maps: the range skips it
        values = np.asarray(img)
        finite = values[np.isfinite(values)]
        return (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    return img.getextrema()


def _as_display_strip(strip: Image.Image, mode: str, value_range: tuple[float, float]):
    """A strip ready to reduce: 16/32-bit values as mode F on the 0-255 scale (reduced before
    the rounding to 8 bits), anything else converted to ``mode``."""
    if strip.mode in _SIXTEEN_BIT or strip.mode in ("I", "F"):
        lo, hi = value_range
        a = np.asarray(strip).astype(np.float32)
        a -= np.float32(lo)
        a *= np.float32(255.0 / (hi - lo))
        a += np.float32(0.5)  # F -> L truncates: this makes it round
        np.nan_to_num(a, copy=False, nan=0.0, posinf=255.5, neginf=0.0)  # no data: black
        return Image.fromarray(a, "F")
    return strip if strip.mode == mode else strip.convert(mode)


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info


def _shrink(img: Image.Image, max_side: int) -> Image.Image:
    w, h = img.size
    scale = max_side / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    # reducing_gap: integer pre-reduction first, then a proper filter (fast and antialiased).
    return img.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def image_info(path: str | os.PathLike) -> tuple[int, int, str]:
    """Return ``(width, height, format)`` from the header, after EXIF orientation.

    Raises:
        MediaError: if the file is missing, not an image or over the pixel limit.
    """
    with _open(path) as img:
        w, h = img.size
        orientation = exif_orientation(img)
        if orientation in (5, 6, 7, 8):  # these EXIF orientations swap width and height
            w, h = h, w
        return w, h, img.format or "unknown"


def frame_count(path: str | os.PathLike) -> int:
    """Pages of a multi-page TIFF, frames of an animation (1 for most pictures): only the first
    is shown and learned from, so a viewer says how many there are."""
    try:
        with _open(path) as img:
            return int(getattr(img, "n_frames", 1))
    except (MediaError, OSError, SyntaxError, ValueError, EOFError):
        return 1


def exif_orientation(img: Image.Image) -> int:
    """The EXIF orientation tag (1 when there is none), read without decoding the picture.

    Pillow's ``getexif()`` on a PNG without an eXIf chunk before its image data decodes the
    whole image to look for one after it (an 89-megapixel PNG: 358 MB, seconds). The PNG
    specification puts eXIf before the image data; such a PNG is taken as upright.
    """
    if img.format == "PNG" and "exif" not in img.info:
        return 1
    return int(img.getexif().get(0x0112, 1))


def to_array(img: Image.Image) -> np.ndarray:
    """Return the image as a uint8 array, HxW (gray) or HxWx3 (RGB; alpha composited on white)."""
    if img.mode in ("RGBA", "LA"):
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img.convert("RGBA")).convert("RGB")
    elif img.mode not in ("L", "RGB"):
        img = img.convert("RGB")
    return np.asarray(img, dtype=np.uint8)


def as_uint8(a: np.ndarray) -> np.ndarray:
    """An image array as uint8 (rounded and clipped), a single channel as HxW."""
    if a.dtype != np.uint8:
        a = np.clip(np.rint(a), 0, 255).astype(np.uint8)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    return a
