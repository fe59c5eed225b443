"""The image that probably comes next is decoded ahead and shown without a decode of its own."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from PIL import Image

from aldesk.gui.viewers import image_decode, image_view

TIMEOUT_MS = 10_000


@pytest.fixture
def view(image_viewer):
    return image_viewer


def _picture(path, size, colour):
    Image.new("RGB", size, colour).save(path)
    return path


def _show(qtbot, view, path):
    with qtbot.waitSignal(view.loaded, timeout=TIMEOUT_MS) as blocker:
        view.show_image(path)
    assert blocker.args == [path]


def _centre_colour(view) -> tuple[int, int, int]:
    image = view.canvas().grab().toImage()
    c = image.pixelColor(image.width() // 2, image.height() // 2)
    return c.red(), c.green(), c.blue()


def _decodes_on_show(monkeypatch) -> list:
    """Record every decode the view's own lane starts (the decode-ahead lane is not counted)."""
    calls = []
    real = image_view.decode_for_view

    def spy(path, ctx):
        calls.append(path)
        return real(path, ctx)

    monkeypatch.setattr(image_view, "decode_for_view", spy)
    return calls


def test_an_image_decoded_ahead_shows_without_a_decode_of_its_own(
    qtbot, view, tmp_path, monkeypatch
):
    first = _picture(tmp_path / "first.png", (300, 200), (200, 40, 40))
    second = _picture(tmp_path / "second.png", (120, 240), (30, 160, 40))
    _show(qtbot, view, first)
    view.prefetch(second)
    qtbot.waitUntil(lambda: view.decoded_ahead() == second, timeout=TIMEOUT_MS)
    decodes = _decodes_on_show(monkeypatch)
    _show(qtbot, view, second)
    assert decodes == []
    assert view.image_size() == (120, 240)
    assert "second.png" in view.info_text() and "120 × 240 px" in view.info_text()
    qtbot.waitUntil(lambda: _centre_colour(view) == (30, 160, 40), timeout=TIMEOUT_MS)
    assert view.decoded_ahead() is None  # handed over, not kept twice


def test_a_file_changed_after_its_decode_ahead_is_decoded_again(qtbot, view, tmp_path, monkeypatch):
    first = _picture(tmp_path / "first.png", (300, 200), (200, 40, 40))
    second = _picture(tmp_path / "second.png", (120, 240), (30, 160, 40))
    _show(qtbot, view, first)
    view.prefetch(second)
    qtbot.waitUntil(lambda: view.decoded_ahead() == second, timeout=TIMEOUT_MS)
    _picture(second, (250, 50), (20, 20, 200))  # replaced on disk meanwhile
    st = os.stat(second)
    os.utime(second, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    decodes = _decodes_on_show(monkeypatch)
    _show(qtbot, view, second)
    assert decodes == [second]
    assert view.image_size() == (250, 50)


def test_shown_before_its_decode_ahead_ends_it_is_taken_from_that_decode(
    qtbot, view, tmp_path, monkeypatch
):
    first = _picture(tmp_path / "first.png", (300, 200), (200, 40, 40))
    second = _picture(tmp_path / "second.png", (120, 240), (30, 160, 40))
    _show(qtbot, view, first)
    shown, release = threading.Event(), threading.Event()
    real = image_decode.decode_for_view

    def ahead_waits_for_the_show(path, ctx):
        shown.wait(TIMEOUT_MS / 1000)
        return real(path, ctx)

    def own_decode_never_ends(path, ctx):
        release.wait(TIMEOUT_MS / 1000)
        return None

    monkeypatch.setattr(image_decode, "decode_for_view", ahead_waits_for_the_show)
    monkeypatch.setattr(image_view, "decode_for_view", own_decode_never_ends)
    view.prefetch(second)
    try:
        with qtbot.waitSignal(view.loaded, timeout=TIMEOUT_MS) as blocker:
            view.show_image(second)
            shown.set()
        assert blocker.args == [second]
        assert view.image_size() == (120, 240)
    finally:
        release.set()


def test_a_hand_over_still_queued_at_close_shows_nothing(qtbot, view, tmp_path):
    first = _picture(tmp_path / "first.png", (300, 200), (200, 40, 40))
    second = _picture(tmp_path / "second.png", (120, 240), (30, 160, 40))
    _show(qtbot, view, first)
    view.prefetch(second)
    qtbot.waitUntil(lambda: view.decoded_ahead() == second, timeout=TIMEOUT_MS)
    loaded = []
    view.loaded.connect(loaded.append)
    view.show_image(second)
    view.shutdown()
    qtbot.wait(50)  # let the queued hand-over run: it must find the view shut down
    assert loaded == []


def test_a_picture_too_large_to_hold_is_not_decoded_ahead(qtbot, view, tmp_path, monkeypatch):
    monkeypatch.setattr(image_decode, "AHEAD_PIXELS", 100 * 100)
    first = _picture(tmp_path / "first.png", (300, 200), (200, 40, 40))
    big = _picture(tmp_path / "big.png", (200, 200), (30, 160, 40))
    _show(qtbot, view, first)
    with qtbot.waitSignal(view._ahead_lane.done, timeout=TIMEOUT_MS) as blocker:
        view.prefetch(big)
    assert blocker.args == [None] and view.decoded_ahead() is None
    _show(qtbot, view, big)  # shown by its own decode, as before
    assert view.image_size() == (200, 200)


def test_the_window_decodes_the_next_item_ahead_and_shows_it_on_the_key_press(
    qtbot, tmp_path, monkeypatch
):
    from tests.gui.test_main_window import _key_for
    from tests.gui.windows import demo_project, open_window

    store, truth = demo_project(tmp_path, "images", per_class=4)
    window = open_window(qtbot, store, activate=True)
    viewer, controller = window.viewer, window.controller
    for _ in range(3):
        ahead = controller.likely_next_path()
        assert ahead is not None
        qtbot.waitUntil(lambda a=ahead: viewer.decoded_ahead() == Path(a), timeout=TIMEOUT_MS)
        decodes = _decodes_on_show(monkeypatch)
        with qtbot.waitSignal(viewer.loaded, timeout=TIMEOUT_MS) as blocker:
            qtbot.keyClick(window, _key_for(window, truth))
        assert blocker.args == [Path(ahead)] == [Path(controller.current().abspath)]
        assert decodes == []
        monkeypatch.undo()
    window.close()
