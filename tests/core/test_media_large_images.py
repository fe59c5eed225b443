"""Display decodes of images in bounded memory: reduce factors, strip-by-strip PNG decoding,
16-bit PNGs, huge and truncated files."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin

from aldesk.core.errors import MediaError
from tests.core.pool_files import png_chunk


def _png16_rgb(path: Path, rgb: np.ndarray) -> Path:
    """A 48-bit colour PNG (Pillow cannot write one)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\0" + rgb[y].astype(">u2").tobytes() for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(raw, 1))
        + png_chunk(b"IEND", b"")
    )
    return path


@pytest.mark.parametrize(
    ("size", "bound", "factor"),
    [((7, 5), 1, 7), ((10_000, 10_000), 16_000_000, 3), ((6000, 4000), 24_000_000, 1),
     ((9000, 9000), 8_000_000, 4), ((1, 100_000), 10, 10_000)],
)  # fmt: skip
def test_reduce_factor_is_the_smallest_that_fits(size, bound, factor):
    from aldesk.core.media.image import reduce_factor

    assert reduce_factor(*size, bound) == factor
    w, h = size
    assert -(-w // factor) * -(-h // factor) <= bound
    if factor > 1:
        assert -(-w // (factor - 1)) * -(-h // (factor - 1)) > bound


def test_display_decode_of_a_16_bit_gray_png_is_scaled_not_clipped(tmp_path):
    from aldesk.core.media.image import load_display_image

    ramp = np.linspace(0, 65535, 600)[None, :].repeat(40, 0).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "g16.png")
    out = np.asarray(load_display_image(tmp_path / "g16.png", 10**6))
    assert out.shape == (40, 600) and out.dtype == np.uint8
    assert out[0, 0] == 0 and out[0, -1] == 255 and abs(int(out[0, 300]) - 128) <= 1


@pytest.mark.parametrize("suffix", ["png", "tif"])
def test_a_12_bit_image_in_16_bits_is_stretched_for_features_and_display(
    tmp_path, monkeypatch, suffix
):
    """Cameras and microscopes store 12-bit values (0-4095) in 16-bit files: clipped at 255
    the features saw a white square, scaled by 65535 the viewer showed black. Both now stretch
    the image's own range, whole or read in strips."""
    from aldesk.core.media import image as media_image

    ramp = np.linspace(100, 4095, 600)[None, :].repeat(40, 0).astype(np.uint16)
    path = tmp_path / f"cells.{suffix}"
    Image.fromarray(ramp).save(path)
    features = np.asarray(media_image.load_image(path).convert("L"))
    shown = np.asarray(media_image.load_display_image(path, 10**6))
    monkeypatch.setattr(media_image, "_STRIP_PIXELS", 3_000)
    reduced = np.asarray(media_image.load_display_image(path, 6_000))
    for out in (features, shown, reduced):
        row = out[0].astype(int)
        assert row[0] <= 2 and row[-1] >= 253 and abs(row[len(row) // 2] - 128) <= 3


def test_a_float_image_with_no_data_values_keeps_its_range(tmp_path):
    """Float scans and maps mark missing pixels NaN: the range is the finite values' (the
    whole picture went black when one NaN made the range NaN); missing pixels show black."""
    from aldesk.core.media import image as media_image

    ramp = np.linspace(-1, 1, 600, dtype=np.float32)[None, :].repeat(40, 0)
    ramp[5, 5], ramp[6, 6] = np.nan, np.inf
    path = tmp_path / "depth.tif"
    Image.fromarray(ramp, "F").save(path)
    for out in (media_image.load_image(path), media_image.load_display_image(path, 10**6)):
        pixels = np.asarray(out.convert("L")).astype(int)
        assert pixels[0, 0] <= 2 and pixels[0, -1] >= 253 and abs(pixels[0, 300] - 128) <= 3
        assert pixels[5, 5] == 0 and pixels[6, 6] == 255


def test_huge_image_is_box_reduced_strip_by_strip(tmp_path, monkeypatch):
    """No whole-image copy: every convert() and reduce() sees a strip, not the picture."""
    from aldesk.core.media import image as media_image

    rgb = np.zeros((300, 500, 3), dtype=np.uint16)
    rgb[:, :250, 0] = 65535  # left half red, right half blue
    rgb[:, 250:, 2] = 65535
    path = _png16_rgb(tmp_path / "rgb16.png", rgb)
    converted: list[int] = []
    for name in ("convert", "reduce"):
        original = getattr(Image.Image, name)

        def spy(self, *args, _original=original, **kwargs):
            converted.append(self.width * self.height)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Image.Image, name, spy)
    monkeypatch.setattr(media_image, "_STRIP_PIXELS", 10_000)
    out = media_image.load_display_image(path, 20_000)
    assert out.mode == "RGB" and out.size == (167, 100)  # factor 3
    assert out.getpixel((10, 10)) == (255, 0, 0) and out.getpixel((120, 70)) == (0, 0, 255)
    assert converted and max(converted) <= 10_000 + 500 * 3


def test_huge_png_gets_the_smaller_bound_a_jpeg_the_draft(tmp_path, monkeypatch):
    from aldesk.core.media.image import load_display_image

    big = Image.new("RGB", (1600, 1200), (30, 120, 200))
    big.save(tmp_path / "big.png")
    png = load_display_image(tmp_path / "big.png", 500_000, whole_decode_max_pixels=50_000)
    assert png.width * png.height <= 50_000
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    big.save(tmp_path / "big.jpg", exif=exif)
    drafts = []
    original = JpegImagePlugin.JpegImageFile.draft
    monkeypatch.setattr(
        JpegImagePlugin.JpegImageFile,
        "draft",
        lambda self, mode, size: drafts.append(size) or original(self, mode, size),
    )
    jpg = load_display_image(tmp_path / "big.jpg", 500_000, whole_decode_max_pixels=50_000)
    assert drafts and jpg.width * jpg.height <= 500_000
    assert jpg.height > jpg.width  # upright: the EXIF rotation is applied to the small image


def _strip_sources(rng) -> dict[str, Image.Image]:
    noise = rng.integers(0, 256, (53, 41, 4), dtype=np.uint8)
    palette = Image.fromarray(noise[..., :3]).convert("P", palette=Image.Palette.ADAPTIVE)
    return {
        "RGB": Image.fromarray(noise[..., :3]),
        "RGBA": Image.fromarray(noise),
        "L": Image.fromarray(noise[..., 0]),
        "LA": Image.fromarray(noise[..., :2].copy(), "LA"),
        "I;16": Image.fromarray(rng.integers(0, 65536, (53, 41)).astype(np.uint16)),
        "P": palette,
    }


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "I;16", "P"])
def test_png_strips_give_exactly_what_pillow_decodes(tmp_path, mode):
    """Strips of 7 rows (each decoded after the row above it) join into Pillow's whole image:
    the adaptive filters of noise use every PNG filter type across the rows."""
    from aldesk.core.media.png_strips import can_strip, png_strips

    src = _strip_sources(np.random.default_rng(3))[mode]
    path = tmp_path / "n.png"
    src.save(path, transparency=5) if mode == "P" else src.save(path)
    with Image.open(path) as img:
        assert can_strip(img)
        strips = list(png_strips(img, 7))
    with Image.open(path) as ref:
        whole = ref.convert("RGBA") if mode == "P" else ref.copy()
    assert [s.height for s in strips] == [7] * 7 + [4]
    joined = np.concatenate([np.asarray(s.convert("RGBA") if mode == "P" else s) for s in strips])
    np.testing.assert_array_equal(joined, np.asarray(whole))


def test_png_strips_leave_interlaced_and_1_bit_pngs_to_pillow(tmp_path):
    from aldesk.core.media.png_strips import can_strip

    ihdr = struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 1)
    interlaced = (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b"")
    )  # fmt: skip
    (tmp_path / "i.png").write_bytes(interlaced)
    Image.new("1", (64, 64)).save(tmp_path / "b.png")
    for path in (tmp_path / "i.png", tmp_path / "b.png"):
        with Image.open(path) as img:
            assert not can_strip(img)


def test_huge_png_display_decode_never_holds_the_whole_picture(tmp_path, monkeypatch):
    """The strips are decoded one by one: Pillow's whole-image load() is never called (not by
    the header read either: getexif() on a PNG decodes it whole)."""
    from PIL import ImageFile

    from aldesk.core.media import image as media_image

    rng = np.random.default_rng(5)
    big = np.repeat(rng.integers(0, 256, (60, 80, 3), dtype=np.uint8), 10, axis=0)  # 600 × 80
    Image.fromarray(big).save(tmp_path / "tall.png")
    loads = []
    original = ImageFile.ImageFile.load
    monkeypatch.setattr(
        ImageFile.ImageFile, "load", lambda self: loads.append(self.size) or original(self)
    )
    monkeypatch.setattr(media_image, "_STRIP_PIXELS", 4_000)
    assert media_image.image_info(tmp_path / "tall.png") == (80, 600, "PNG")
    out = media_image.load_display_image(tmp_path / "tall.png", 10_000)
    assert out.size == (27, 200)  # factor 3
    assert all(w * h <= 4_000 + 80 * 3 for w, h in loads)  # strips only, never 80 × 600
    expected = Image.fromarray(big).reduce(3)
    assert np.abs(np.asarray(out, dtype=int) - np.asarray(expected, dtype=int)).max() <= 1


def test_truncated_huge_png_names_the_reason(tmp_path):
    from aldesk.core.media.image import load_display_image

    rng = np.random.default_rng(6)
    Image.fromarray(rng.integers(0, 256, (400, 300, 3), dtype=np.uint8)).save(tmp_path / "t.png")
    data = (tmp_path / "t.png").read_bytes()
    (tmp_path / "t.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError, match="truncated file"):
        load_display_image(tmp_path / "t.png", 10_000)


def _filtered_png16(path: Path, v: np.ndarray, colour_type: int) -> Path:
    """A 16-bit colour PNG whose rows use filters None, Sub, Up and Average in turn, so each row
    depends on the one above (as an encoder's adaptive filtering makes them)."""
    h, w, ch = v.shape
    bpp, prev, rows = 2 * ch, np.zeros(w * 2 * ch, dtype=np.int32), []
    for y in range(h):
        cur = np.frombuffer(v[y].astype(">u2").tobytes(), np.uint8).astype(np.int32)
        left = np.concatenate([np.zeros(bpp, np.int32), cur[:-bpp]])
        kind = y % 4
        pred = [0, left, prev, (left + prev) // 2][kind]
        rows.append(bytes([kind]) + ((cur - pred) % 256).astype(np.uint8).tobytes())
        prev = cur
    ihdr = struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"".join(rows))) + png_chunk(b"IEND", b"")
    )  # fmt: skip
    return path


@pytest.mark.parametrize(("channels", "colour_type"), [(3, 2), (4, 6)])
def test_png_strips_of_16_bit_colour_match_pillow(tmp_path, channels, colour_type):
    """Pillow keeps the high byte of 16-bit colour; the row carried to the next strip is put
    back together from a second, little-endian decode (any error would spread down the image)."""
    from aldesk.core.media.png_strips import can_strip, png_strips

    rng = np.random.default_rng(8)
    v = np.cumsum(rng.integers(0, 3000, (53, 41, channels)), axis=1) % 65536
    path = _filtered_png16(tmp_path / "c16.png", v, colour_type)
    with Image.open(path) as img:
        assert can_strip(img)
        joined = np.concatenate([np.asarray(s) for s in png_strips(img, 7)])
    with Image.open(path) as ref:
        np.testing.assert_array_equal(joined, np.asarray(ref))
    np.testing.assert_array_equal(joined, (v >> 8).astype(np.uint8))
