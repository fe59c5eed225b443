"""Image viewer: decoding (EXIF, draft then full), zoom / fit / pan, the error placeholder."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from aldesk.gui.viewers.image_decode import DRAFT_SIDE, decode_for_view
from aldesk.gui.workers import JobContext

TIMEOUT_MS = 10_000
EXIF_ORIENTATION = 0x0112


@pytest.fixture
def view(image_viewer):
    return image_viewer


def _photo(path, size=(300, 200), colour=(200, 40, 40), exif_orientation=None):
    img = Image.new("RGB", size, colour)
    img.paste((20, 20, 220), (0, 0, size[0] // 3, size[1] // 3))  # a marked corner
    if exif_orientation is None:
        img.save(path)
    else:
        exif = Image.Exif()
        exif[EXIF_ORIENTATION] = exif_orientation
        img.save(path, exif=exif)
    return path


def _show(qtbot, view, path):
    with qtbot.waitSignal(view.loaded, timeout=TIMEOUT_MS) as blocker:
        view.show_image(path)
    assert blocker.args == [path]


def test_shows_image_with_info_line(qtbot, view, tmp_path):
    path = _photo(tmp_path / "red.png")
    _show(qtbot, view, path)
    assert view.image_size() == (300, 200)
    info = view.info_text()
    assert "red.png" in info and "300 × 200 px" in info
    assert any(unit in info for unit in ("bytes", "kB"))
    assert not view.is_showing_error()


def test_exif_rotated_photo_is_upright(qtbot, view, tmp_path):
    # stored 300 wide, 100 high; orientation 6 means "rotate 90° clockwise to display"
    path = _photo(tmp_path / "phone.jpg", size=(300, 100), exif_orientation=6)
    _show(qtbot, view, path)
    assert view.image_size() == (100, 300)
    assert view.pixmap_size() == (100, 300)
    assert "100 × 300 px" in view.info_text()


def test_large_image_arrives_as_draft_then_full(tmp_path):
    path = _photo(tmp_path / "big.jpg", size=(4000, 3000))
    reports = []
    ctx = JobContext(should_stop=lambda: False, report=reports.append)
    full = decode_for_view(path, ctx)
    assert len(reports) == 1 and reports[0].is_draft
    assert max(reports[0].image.width(), reports[0].image.height()) <= DRAFT_SIDE
    assert reports[0].full_size == (4000, 3000)  # the draft is placed in full-size coordinates
    assert not full.is_draft
    assert (full.image.width(), full.image.height()) == (4000, 3000)
    assert max(full.reduced.width(), full.reduced.height()) <= 2 * DRAFT_SIDE


def test_large_png_gets_no_draft(tmp_path):
    # a PNG "draft" would cost a full decode: the view waits for the full image instead
    path = _photo(tmp_path / "big.png", size=(2500, 1200))
    reports = []
    full = decode_for_view(path, JobContext(should_stop=lambda: False, report=reports.append))
    assert reports == []
    assert (full.image.width(), full.image.height()) == (2500, 1200)


def test_zoomed_out_paints_a_reduced_copy_and_1_to_1_the_full_image(qtbot, view, tmp_path):
    _show(qtbot, view, _photo(tmp_path / "big.jpg", size=(4000, 3000)))
    canvas = view.canvas()
    assert canvas.shown_pixmap().width() < 4000  # fit: 400 px of screen need no 4000 px image
    view.actual_size()
    assert canvas.shown_pixmap().width() == 4000
    assert view.pixmap_size() == (4000, 3000)


def test_stale_decode_stops_after_draft(tmp_path):
    path = _photo(tmp_path / "big.jpg", size=(3000, 2000))
    reports = []
    result = decode_for_view(path, JobContext(should_stop=lambda: True, report=reports.append))
    assert result is None and len(reports) == 1


def test_zoom_fit_and_actual_size_change_the_transform(qtbot, view, tmp_path):
    _show(qtbot, view, _photo(tmp_path / "a.png", size=(1600, 1200)))
    assert view.is_fit()
    fit_zoom = view.zoom()
    assert fit_zoom < 0.5  # 1600 px wide in a 400 px window
    view.zoom_in()
    assert view.zoom() == pytest.approx(fit_zoom * 1.25)
    assert not view.is_fit()
    view.zoom_out()
    view.zoom_out()
    assert view.zoom() == pytest.approx(fit_zoom / 1.25)
    view.actual_size()
    assert view.zoom() == pytest.approx(1.0)
    view.fit()
    assert view.zoom() == pytest.approx(fit_zoom)
    assert view.is_fit()


def test_plus_minus_keys_zoom_when_the_view_has_focus(qtbot, view, tmp_path):
    _show(qtbot, view, _photo(tmp_path / "a.png"))
    before = view.zoom()
    qtbot.keyClick(view.canvas(), Qt.Key.Key_Plus)
    assert view.zoom() == pytest.approx(before * 1.25)
    qtbot.keyClick(view.canvas(), Qt.Key.Key_Minus)
    assert view.zoom() == pytest.approx(before)


def test_digit_keys_are_left_to_the_main_window(qtbot, view, tmp_path):
    _show(qtbot, view, _photo(tmp_path / "a.png"))
    before = view.zoom()
    qtbot.keyClick(view.canvas(), Qt.Key.Key_1)
    qtbot.keyClick(view.canvas(), Qt.Key.Key_0)
    assert view.zoom() == pytest.approx(before)


def test_wheel_zooms(qtbot, view, tmp_path):
    _show(qtbot, view, _photo(tmp_path / "a.png"))
    before = view.zoom()
    viewport = view.canvas().viewport()
    centre = QPointF(viewport.width() / 2, viewport.height() / 2)
    event = QWheelEvent(
        centre, viewport.mapToGlobal(centre), QPoint(0, 0), QPoint(0, 120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
        False,
    )  # fmt: skip
    QApplication.sendEvent(viewport, event)
    assert view.zoom() == pytest.approx(before * 1.25)


def test_drag_pans(qtbot, view, tmp_path):
    _show(qtbot, view, _photo(tmp_path / "a.png", size=(2000, 1500)))
    view.actual_size()
    canvas = view.canvas()
    bar = canvas.horizontalScrollBar()
    start = bar.value()
    viewport = canvas.viewport()
    _drag(viewport, QPointF(300, 150), QPointF(100, 150))
    assert bar.value() == start + 200


def _drag(widget, start: QPointF, end: QPointF) -> None:
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    mods = Qt.KeyboardModifier.NoModifier
    for etype, pos, button, buttons in (
        (QMouseEvent.Type.MouseButtonPress, start, left, left),
        (QMouseEvent.Type.MouseMove, (start + end) / 2, none, left),
        (QMouseEvent.Type.MouseMove, end, none, left),
        (QMouseEvent.Type.MouseButtonRelease, end, left, none),
    ):
        global_pos = widget.mapToGlobal(pos)
        QApplication.sendEvent(widget, QMouseEvent(etype, pos, global_pos, button, buttons, mods))


def test_fit_follows_window_resize(qtbot, view, tmp_path):
    _show(qtbot, view, _photo(tmp_path / "a.png", size=(1600, 1200)))
    before = view.zoom()
    view.resize(800, 600)
    qtbot.waitUntil(lambda: view.zoom() > before * 1.5, timeout=TIMEOUT_MS)


def test_error_placeholder_shows_reason(qtbot, view):
    view.show_error("IMG_0042.jpg", "truncated file")
    assert view.is_showing_error()
    text = view.error_text()
    assert "IMG_0042.jpg" in text and "truncated file" in text
    assert "truncated file" in view.info_text()


def test_unreadable_file_falls_back_to_placeholder(qtbot, view, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"this is not a picture")
    with qtbot.waitSignal(view.load_failed, timeout=TIMEOUT_MS) as blocker:
        view.show_image(bad)
    path, reason = blocker.args
    assert path == bad and reason
    assert view.is_showing_error()
    assert reason in view.error_text()


def test_newer_image_replaces_older_one(qtbot, view, tmp_path):
    first = _photo(tmp_path / "first.png", size=(50, 40))
    second = _photo(tmp_path / "second.png", size=(60, 30))
    with qtbot.waitSignal(view.loaded, timeout=TIMEOUT_MS) as blocker:
        view.show_image(first)
        view.show_image(second)
    assert blocker.args == [second]
    assert view.image_size() == (60, 30)


def test_huge_image_is_shown_reduced_in_full_size_coordinates(qtbot, view, tmp_path, monkeypatch):
    """An 81-megapixel 16-bit PNG took 2.4 GB to show: images past the bounds are decoded
    reduced (here the bounds are scaled down so a small file stands for a huge one)."""
    import numpy as np

    from aldesk.gui.viewers import image_decode

    monkeypatch.setattr(image_decode, "FULL_PIXELS", 200_000)
    monkeypatch.setattr(image_decode, "WHOLE_DECODE_PIXELS", 50_000)
    ramp = np.linspace(0, 65535, 1200)[None, :].repeat(900, 0).astype(np.uint16)
    path = tmp_path / "scan16.png"
    Image.fromarray(ramp).save(path)  # 16-bit grayscale, 1.08 megapixels
    _show(qtbot, view, path)
    assert view.image_size() == (1200, 900)  # zoom and pan keep full-resolution coordinates
    w, h = view.pixmap_size()
    assert w * h <= 50_000 and w == 240 and h == 180  # reduced 5x, in one piece
    assert "1200 × 900 px" in view.info_text() and "shown at 1/5 (240 × 180 px)" in view.info_text()
    assert "values 0–65535 shown black to white" in view.info_text()  # its own range, said
    pixels = view.canvas().largest_pixmap().toImage()
    # 16-bit values are scaled to 8 bits, not clipped to white past 255.
    left, middle = pixels.pixelColor(2, 90).red(), pixels.pixelColor(120, 90).red()
    assert left < 10 and 118 < middle < 138


def test_the_next_image_opens_fitted_and_the_info_line_says_the_zoom(qtbot, view, tmp_path):
    """A zoom kept from one photo showed only a crop of the next ones (the labeller answered
    from a corner of the picture); the same image shown again keeps its zoom."""
    first = _photo(tmp_path / "first.jpg", size=(1600, 1200))
    _show(qtbot, view, first)
    fit_zoom = view.zoom()
    assert view.info_text().endswith(f"zoom {fit_zoom * 100:.0f}%, fitted")
    view.zoom_in()
    view.zoom_in()
    assert view.info_text().endswith(f"zoom {fit_zoom * 156.25:.0f}%")
    _show(qtbot, view, _photo(tmp_path / "second.jpg", size=(1600, 1200)))
    assert view.is_fit() and view.zoom() == pytest.approx(fit_zoom)
    assert view.info_text().startswith("second.jpg") and view.info_text().endswith(", fitted")
    view.zoom_in()
    _show(qtbot, view, tmp_path / "second.jpg")  # the same item again (say, after undo)
    assert not view.is_fit() and view.zoom() == pytest.approx(fit_zoom * 1.25)


def test_actual_size_is_one_screen_pixel_per_image_pixel_on_a_scaled_screen(
    qtbot, view, tmp_path, monkeypatch
):
    """At 200 % scaling Ctrl+1 said "zoom 100%" but drew each image pixel 2 × 2, smoothed."""
    _show(qtbot, view, _photo(tmp_path / "a.png", size=(1600, 1200)))
    monkeypatch.setattr(view.canvas(), "devicePixelRatioF", lambda: 2.0)
    view.actual_size()
    assert view.zoom() == pytest.approx(0.5)  # half a window pixel: one screen pixel
    assert view.info_text().endswith("zoom 100%")
    assert view.canvas().shown_pixmap().width() == 1600  # the full picture, not a smaller one


def test_actual_size_of_a_reduced_picture_shows_the_files_own_pixels(
    qtbot, view, tmp_path, monkeypatch
):
    """At "actual size" an 8000 x 6000 scan shown at 1/3 magnified the reduced pixels: a
    1-pixel checkerboard was flat grey at 100 %, a coarse checker the file lacks at 400 %."""
    import numpy as np

    from aldesk.gui.viewers import image_decode

    monkeypatch.setattr(image_decode, "FULL_PIXELS", 200_000)
    monkeypatch.setattr(image_decode, "WHOLE_DECODE_PIXELS", 50_000)
    checker = (np.indices((900, 1200)).sum(0) % 2 * 255).astype(np.uint8)
    path = tmp_path / "checker.png"
    Image.fromarray(checker).save(path)
    view.resize(400, 300)
    view.show()
    _show(qtbot, view, path)
    assert view.pixmap_size()[0] < 1200  # shown reduced
    assert "black to white" not in view.info_text()  # 8 bits: shown as stored
    view.actual_size()
    qtbot.waitUntil(
        lambda: view.info_text().endswith("full resolution in view"), timeout=TIMEOUT_MS
    )
    canvas = view.canvas()
    shot = canvas.viewport().grab().toImage()
    centre = [shot.pixelColor(shot.width() // 2 + dx, shot.height() // 2).red() for dx in range(8)]
    assert min(centre) < 30 and max(centre) > 225  # black and white pixels, not a grey blur
    bar = canvas.horizontalScrollBar()
    bar.setValue(bar.maximum())  # past the decoded part: not said to be full resolution until
    assert not view.info_text().endswith("full resolution in view")  # that part is decoded
    qtbot.waitUntil(
        lambda: view.info_text().endswith("full resolution in view"), timeout=TIMEOUT_MS
    )
    while view.zoom() * 1200 / view.pixmap_size()[0] > 1:  # the reduced picture is enough again
        view.zoom_out()
    qtbot.waitUntil(lambda: "full resolution" not in view.info_text(), timeout=TIMEOUT_MS)


def test_a_multi_page_tiff_says_only_its_first_page_is_shown(qtbot, view, tmp_path):
    """A three-page z-stack read as one plain picture: nothing said the other pages exist."""
    path = tmp_path / "stack.tif"
    pages = [Image.new("L", (64, 48), v) for v in (10, 120, 240)]
    pages[0].save(path, save_all=True, append_images=pages[1:])
    _show(qtbot, view, path)
    assert "first of 3 pages" in view.info_text()
    _show(qtbot, view, _photo(tmp_path / "plain.png"))
    assert "first of" not in view.info_text()
