"""The audio canvas: the part of a long clip the model hears, the picture drawn once and the
playhead over it, seeking while a clip is being drawn, and the time zoom."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_clips import RATE, TIMEOUT_MS
from audio_clips import load as _load
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from aldesk.gui.viewers.audio_canvas import MIN_SPAN_FRAMES
from tests.gui.test_audio_view import _tone


@pytest.fixture
def view(audio_viewer):
    return audio_viewer


def test_a_long_clip_shades_the_part_the_model_hears(qtbot, view, tmp_path):
    """A clip over 10 s is analysed by its loudest 10 s; the waveform shades where they are."""
    x = np.zeros(RATE * 40, np.float32)
    x[RATE * 30 : RATE * 32] = 0.5 * np.sin(np.arange(2 * RATE) * 0.3)  # the event: 30-32 s
    sf.write(tmp_path / "field.wav", x, RATE)
    _load(qtbot, view, tmp_path / "field.wav")
    canvas = view.canvas()
    rect = canvas.analysed_rect()
    assert rect is not None
    per_second = (canvas.width() - 1 - canvas.plot_left()) / 40
    start, end = ((x - canvas.plot_left()) / per_second for x in (rect.left(), rect.right()))
    assert start <= 30.0 and end >= 32.0 and end - start == pytest.approx(10.0)
    _load(qtbot, view, _tone(tmp_path / "short.wav", 440.0, seconds=3.0))
    assert view.canvas().analysed_rect() is None  # a short clip is heard whole


def test_moving_the_playhead_does_not_redraw_the_clip(qtbot, view, tmp_path):
    _load(qtbot, view, _tone(tmp_path / "tone.wav", 440.0, seconds=4.0))
    canvas = view.canvas()
    before = canvas.grab().toImage()
    layer = canvas._static_layer()
    canvas.set_position(2.0)
    after = canvas.grab().toImage()
    assert canvas._static_layer() is layer  # the picture is kept; only the playhead moved
    assert before != after
    x = round(canvas.playhead_x())
    assert QColor(after.pixel(x, 5)) != QColor(before.pixel(x, 5))


def test_a_click_seeks_while_the_clip_is_still_being_drawn(qtbot, view):
    canvas = view.canvas()
    canvas.set_clip(None, pending_duration=600.0)  # the header is read, the picture is not
    with qtbot.waitSignal(canvas.seek_requested, timeout=TIMEOUT_MS) as sig:
        middle = canvas.plot_left() + (canvas.width() - 1 - canvas.plot_left()) // 2
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(middle, 20))
    assert sig.args[0] == pytest.approx(300.0, abs=3.0)
    canvas.set_position(sig.args[0])  # as the player reports it
    canvas.set_clip(_drawn_clip(600.0))  # the picture arrives: the playhead stays where it was
    assert canvas.playhead_x() == pytest.approx(middle, abs=2.0)
    canvas.set_clip(None)  # the next clip: from its start
    assert canvas.playhead_x() == canvas.plot_left()


def _drawn_clip(seconds: float):
    from PySide6.QtGui import QImage

    from aldesk.gui.viewers.audio_clip import AudioClip

    env = np.zeros(64, np.float32)
    return AudioClip(Path("x.wav"), 1000, int(seconds * 1000), 1, env, env,
                     QImage(8, 8, QImage.Format.Format_RGB32), 64, False, 1)  # fmt: skip


def test_a_long_clip_zooms_in_time_and_pages_with_the_playhead(qtbot, view, tmp_path):
    """On a long recording a short call is a pixel column: + / − / Ctrl+0 zoom the time."""
    x = np.zeros(RATE * 40, np.float32)
    x[RATE * 30 : RATE * 31] = 0.5 * np.sin(np.arange(RATE) * 0.3)
    sf.write(tmp_path / "field.wav", x, RATE)
    _load(qtbot, view, tmp_path / "field.wav")
    canvas = view.canvas()
    whole = canvas.grab().toImage()
    canvas.zoom_in()
    canvas.zoom_in()
    assert (canvas.view.start, canvas.view.width) == pytest.approx((0.0, 10.0))  # about 0 s
    ticks = [x for x, _label in canvas.axis_ticks(canvas.width() - canvas.plot_left(),
                                                  canvas.width())]  # fmt: skip
    assert min(ticks) >= canvas.plot_left() and max(ticks) <= canvas.width()
    middle = canvas.plot_left() + (canvas.width() - 1 - canvas.plot_left()) // 2
    with qtbot.waitSignal(canvas.seek_requested, timeout=TIMEOUT_MS) as sig:
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(middle, 20))
    assert sig.args[0] == pytest.approx(5.0, abs=0.1)  # the middle of the span, not of the clip
    canvas.set_position(30.5)  # playback past the span: it pages along
    assert canvas.view.start <= 30.5 <= canvas.view.end
    assert canvas.analysed_rect() is not None  # the loud second is in view, and shaded
    assert canvas.grab().toImage() != whole
    canvas.zoom_out()
    assert canvas.view.width == pytest.approx(20.0)
    canvas.fit()
    assert (canvas.view.start, canvas.view.end) == (0.0, 40.0)
    for _ in range(20):
        canvas.zoom_in()  # down to a few hundred samples, and no deeper
    assert canvas.view.width == pytest.approx(MIN_SPAN_FRAMES / RATE)


def test_a_deep_zoom_is_drawn_from_the_file_not_the_whole_clip_picture(qtbot, view, tmp_path):
    """A 10-minute picture's envelope bin is 0.15 s: a 50-ms call zoomed to was one block. The
    span in view is decoded at full resolution (a worker), sample-exact, and drawn instead."""
    rate = 8000
    x = np.zeros(rate * 600, np.float32)
    call = slice(rate * 400, rate * 400 + rate // 20)  # 50 ms at 6:40
    x[call] = 0.8 * np.sin(np.arange(rate // 20) * 0.9) * np.hanning(rate // 20)
    sf.write(tmp_path / "night.wav", x, rate, subtype="FLOAT")
    _load(qtbot, view, tmp_path / "night.wav")
    canvas = view.canvas()
    canvas.set_position(400.025)
    for _ in range(13):
        canvas.zoom_in()  # 600 s / 2^13: 73 ms around the call
    assert canvas.view.width < 0.1 and canvas.view.start <= 400.025 <= canvas.view.end
    with qtbot.waitSignal(canvas._detail.ready, timeout=TIMEOUT_MS):
        pass
    span = canvas._detail.shown(canvas.view)
    assert span is not None and span.covers(canvas.view.start, canvas.view.end)
    per_second = len(span.mins) / (span.end - span.start)
    assert per_second * canvas.view.width >= min(canvas.width() - canvas.plot_left(), 0.07 * rate)
    first = int(round(span.start * rate))  # the envelope's bins hold the file's own samples
    assert span.maxs.max() == pytest.approx(x[first : first + int(span.end * rate) - first].max())
    labels = [label for _x, label in canvas.axis_ticks(canvas.width() - canvas.plot_left(),
                                                       canvas.width()) if label]  # fmt: skip
    assert len(set(labels)) == len(labels) and "6:40.00" in labels
    canvas.fit()
    assert canvas._detail.shown(canvas.view) is None  # the whole clip: its own picture


def test_a_zoomed_span_has_a_bin_a_pixel_column_on_a_wide_screen(qtbot, view, tmp_path):
    """4,096 bins over the span and its margins gave a 3,000-pixel canvas 1,365 in view."""
    rate = 44100
    noise = np.random.default_rng(0).uniform(-0.3, 0.3, rate * 60).astype(np.float32)
    sf.write(tmp_path / "wide.wav", noise, rate, subtype="PCM_16")
    view.resize(3300, 400)
    _load(qtbot, view, tmp_path / "wide.wav")
    canvas = view.canvas()
    for _ in range(6):
        canvas.zoom_in()  # 60 s / 64: 0.94 s, 41,000 samples across some 3,200 columns
    with qtbot.waitSignal(canvas._detail.ready, timeout=TIMEOUT_MS):
        pass
    span = canvas._detail.shown(canvas.view)
    columns = canvas.width() - 1 - canvas.plot_left()  # the plot's pixel columns
    assert len(span.mins) / (span.end - span.start) * canvas.view.width >= 0.999 * columns


def test_playing_at_a_deep_zoom_decodes_pages_ahead_of_the_playhead(qtbot, view, tmp_path):
    """Playing pages a zoomed span along: with margins made for panning and a settle delay,
    a page at x1024 was sharp 72-75 % of the time. Playing decodes well ahead at once."""
    rate = 8000
    noise = np.random.default_rng(1).uniform(-0.3, 0.3, rate * 120).astype(np.float32)
    sf.write(tmp_path / "long.wav", noise, rate, subtype="PCM_16")
    _load(qtbot, view, tmp_path / "long.wav")
    canvas, detail = view.canvas(), view.canvas()._detail
    for _ in range(10):
        canvas.zoom_in()  # 120 s / 1024: 0.12 s a page
    page = canvas.view.width
    with qtbot.waitSignal(detail.ready, timeout=TIMEOUT_MS):
        canvas.set_playing(True)  # decoded at once, not after the settle delay
    assert detail.picture.end >= canvas.view.end + 1.0 - 1 / rate  # a second: eight pages
    position, pages = canvas.view.start, 0
    while not detail._lane.busy:  # the playhead moves on until the next span is asked for
        position += page / 3
        pages += canvas.view.follow(position)
        canvas.set_position(position)
        assert detail.shown(canvas.view) is not None  # every page sharp when it turns
    assert pages >= 3 and detail.picture.end - canvas.view.end >= 0.5 - page  # in good time
    running = detail._lane.generation
    canvas.set_position(position + page / 3)
    assert detail._lane.generation == running  # not superseded by each position update
    with qtbot.waitSignal(detail.ready, timeout=TIMEOUT_MS):
        pass
    assert detail.picture.end >= canvas.view.end + 1.0 - 1 / rate


def test_the_playhead_passes_under_the_captions(qtbot, view, tmp_path):
    """A playhead drawn over the captions cut them ("me|spectrogram", QA)."""
    _load(qtbot, view, _tone(tmp_path / "tone.wav", 440.0, seconds=4.0))
    canvas = view.canvas()
    before = canvas.grab().toImage()
    plates = canvas._plates
    assert len(plates) == 2  # "waveform", "mel spectrogram"
    for plate in plates:
        x = round(plate.center().x())
        per_second = (canvas.width() - 1 - canvas.plot_left()) / 4.0
        canvas.set_position((x - canvas.plot_left()) / per_second)
        assert round(canvas.playhead_x()) == pytest.approx(x, abs=1)
        after = canvas.grab().toImage()
        x = round(canvas.playhead_x())
        inside, below = round(plate.center().y()), round(plate.bottom()) + 4
        assert QColor(after.pixel(x, inside)) == QColor(before.pixel(x, inside))
        assert QColor(after.pixel(x, below)) != QColor(before.pixel(x, below))  # drawn there
