"""A part of a picture at full resolution, converted as the reduced view converts the whole."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from aldesk.core.media.image import MediaError, load_display_image
from aldesk.core.media.region import load_region


def test_a_part_has_the_files_own_pixels(tmp_path) -> None:
    checker = (np.indices((600, 800)).sum(0) % 2 * 255).astype(np.uint8)
    path = tmp_path / "checker.png"
    Image.fromarray(checker).save(path)
    for box in ((10, 20, 110, 70), (700, 550, 800, 600)):  # near the top; the last rows
        part = np.asarray(load_region(path, box))
        assert np.array_equal(part, checker[box[1] : box[3], box[0] : box[2]])


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_sixteen_bits_are_scaled_by_the_whole_pictures_range(tmp_path, suffix) -> None:
    values = np.random.default_rng(0).integers(200, 4000, (300, 400)).astype(np.uint16)
    path = tmp_path / f"scan{suffix}"
    Image.fromarray(values).save(path)
    whole = np.asarray(load_display_image(path, 10_000_000))
    part = np.asarray(load_region(path, (50, 60, 90, 100)))
    assert np.array_equal(part, whole[60:100, 50:90])


def test_what_it_cannot_do_in_bounded_memory_is_none_and_a_damaged_file_an_error(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: the box would need mapping through the rotation
    Image.new("RGB", (64, 48)).save(tmp_path / "turned.jpg", exif=exif)
    assert load_region(tmp_path / "turned.jpg", (0, 0, 10, 10)) is None
    Image.new("L", (64, 48)).save(tmp_path / "small.png")
    assert load_region(tmp_path / "small.png", (100, 100, 120, 120)) is None  # outside it
    data = (tmp_path / "small.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError):
        load_region(tmp_path / "cut.png", (0, 0, 64, 48))
