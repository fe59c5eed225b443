"""The item that probably comes next is prepared ahead (an image decoded, a clip analysed) and
shown without a decode or an analysis of its own."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
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


def _shown_then_ahead(qtbot, viewer, show, first, second) -> None:
    """``first`` on screen (``show`` is the viewer's show method), ``second`` prepared ahead."""
    with qtbot.waitSignal(viewer.loaded, timeout=TIMEOUT_MS):
        show(first)
    viewer.prefetch(second)
    qtbot.waitUntil(lambda: viewer.prepared_ahead() == second, timeout=TIMEOUT_MS)


def _centre_colour(view) -> tuple[int, int, int]:
    image = view.canvas().grab().toImage()
    c = image.pixelColor(image.width() // 2, image.height() // 2)
    return c.red(), c.green(), c.blue()


def _calls_recorded(monkeypatch, module, name: str) -> list:
    """Record the path of every call of ``module.name`` (a viewer's own lane looks it up when
    it runs; the prepare-ahead lane holds its own reference and is not counted)."""
    calls = []
    real = getattr(module, name)

    def spy(path, ctx=None):
        calls.append(path)
        return real(path, ctx)

    monkeypatch.setattr(module, name, spy)
    return calls


def _decodes_on_show(monkeypatch) -> list:
    return _calls_recorded(monkeypatch, image_view, "decode_for_view")


def test_an_image_decoded_ahead_shows_without_a_decode_of_its_own(
    qtbot, view, tmp_path, monkeypatch
):
    first = _picture(tmp_path / "first.png", (300, 200), (200, 40, 40))
    second = _picture(tmp_path / "second.png", (120, 240), (30, 160, 40))
    _shown_then_ahead(qtbot, view, view.show_image, first, second)
    decodes = _decodes_on_show(monkeypatch)
    _show(qtbot, view, second)
    assert decodes == []
    assert view.image_size() == (120, 240)
    assert "second.png" in view.info_text() and "120 × 240 px" in view.info_text()
    qtbot.waitUntil(lambda: _centre_colour(view) == (30, 160, 40), timeout=TIMEOUT_MS)
    assert view.prepared_ahead() is None  # handed over, not kept twice


def test_a_file_changed_after_its_decode_ahead_is_decoded_again(qtbot, view, tmp_path, monkeypatch):
    first = _picture(tmp_path / "first.png", (300, 200), (200, 40, 40))
    second = _picture(tmp_path / "second.png", (120, 240), (30, 160, 40))
    _shown_then_ahead(qtbot, view, view.show_image, first, second)
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
    _shown_then_ahead(qtbot, view, view.show_image, first, second)
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
    with qtbot.waitSignal(view._ahead._lane.done, timeout=TIMEOUT_MS) as blocker:
        view.prefetch(big)
    assert blocker.args == [None] and view.prepared_ahead() is None
    _show(qtbot, view, big)  # shown by its own decode, as before
    assert view.image_size() == (200, 200)


def _presses_are_served_ahead(qtbot, kind: str, tmp_path, spy: Callable[[], list], presses: int):
    """In the real window on a demo project of ``kind``: before each key press the likely next
    item is prepared ahead, and the press shows exactly it, with no work of the viewer's own
    lane (``spy()``, called once the window is open, records that lane's decodes or analyses;
    the viewer's prepare-ahead lane holds its own reference to the work, made before)."""
    from tests.gui.test_main_window import _key_for
    from tests.gui.windows import demo_project, open_window

    store, truth = demo_project(tmp_path, kind, per_class=4)
    window = open_window(qtbot, store, activate=True)
    viewer, controller = window.viewer, window.controller
    # settled first: a rescan that finds changes, or the pretrained features arriving, may
    # show the item on screen again, which is work of the viewer's own lane
    lanes = (controller.scanner, controller.checker, controller.features, controller.rows)
    qtbot.waitUntil(lambda: not any(lane.busy for lane in lanes), timeout=120_000)
    own_work = spy()
    for _ in range(presses):
        ahead = controller.likely_next_path()
        assert ahead is not None
        qtbot.waitUntil(lambda a=ahead: viewer.prepared_ahead() == Path(a), timeout=TIMEOUT_MS)
        own_work.clear()
        with qtbot.waitSignal(viewer.loaded, timeout=TIMEOUT_MS) as blocker:
            qtbot.keyClick(window, _key_for(window, truth))
        assert blocker.args == [Path(ahead)] == [Path(controller.current().abspath)]
        assert own_work == []
    window.close()


def test_the_window_decodes_the_next_item_ahead_and_shows_it_on_the_key_press(
    qtbot, tmp_path, monkeypatch
):
    _presses_are_served_ahead(qtbot, "images", tmp_path, lambda: _decodes_on_show(monkeypatch), 3)


# ---------------------------------------------------------------- audio
@pytest.fixture
def audio(audio_viewer):
    return audio_viewer


def _two_tones(tmp_path):
    """A 1-s clip and a 2-s one."""
    from tests.gui.test_audio_view import _tone

    return _tone(tmp_path / "a.wav", 440.0), _tone(tmp_path / "b.wav", 880.0, 2.0)


def _analyses_on_show(monkeypatch) -> list:
    from aldesk.gui.viewers import audio_view

    return _calls_recorded(monkeypatch, audio_view, "analyse_clip")


def test_a_clip_analysed_ahead_shows_without_an_analysis_of_its_own(
    qtbot, audio, tmp_path, monkeypatch
):
    first, second = _two_tones(tmp_path)
    _shown_then_ahead(qtbot, audio, audio.show_audio, first, second)
    analyses = _analyses_on_show(monkeypatch)
    with qtbot.waitSignal(audio.loaded, timeout=TIMEOUT_MS) as blocker:
        audio.show_audio(second)
    assert blocker.args == [second] and analyses == []
    assert audio.duration() == pytest.approx(2.0, abs=0.01)
    assert "b.wav" in audio.info_text() and "2.00 s" in audio.info_text()
    assert audio.prepared_ahead() is None


def test_a_clip_changed_after_its_analysis_ahead_is_analysed_again(
    qtbot, audio, tmp_path, monkeypatch
):
    first, second = _two_tones(tmp_path)
    _shown_then_ahead(qtbot, audio, audio.show_audio, first, second)
    from tests.gui.test_audio_view import _tone

    _tone(second, 880.0, 0.5)  # re-recorded meanwhile: a different size
    analyses = _analyses_on_show(monkeypatch)
    with qtbot.waitSignal(audio.loaded, timeout=TIMEOUT_MS):
        audio.show_audio(second)
    assert analyses == [second]
    assert "0.50 s" in audio.info_text()


def test_the_audio_window_analyses_the_next_clip_ahead(qtbot, tmp_path, monkeypatch):
    from aldesk.gui.viewers import playback
    from tests.gui.conftest import NoDevices

    monkeypatch.setattr(playback, "QMediaDevices", NoDevices)
    _presses_are_served_ahead(qtbot, "audio", tmp_path, lambda: _analyses_on_show(monkeypatch), 2)
