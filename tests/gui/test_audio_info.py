"""The audio view's info line (encoding, level, long names) and its keys through a clip."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from audio_clips import RATE, clip, load


@pytest.fixture
def view(audio_viewer):
    return audio_viewer


def test_left_right_and_home_walk_a_longclip(qtbot, view, tmp_path):
    """A 3-minute clip could only be sought with the mouse: Left / Right / Home did nothing."""
    from aldesk.gui.viewers.audio_clip import seek_step

    load(qtbot, view, clip(tmp_path / "long.wav", seconds=60.0))
    view.step_forward()
    view.step_forward()
    assert view.position() == pytest.approx(2 * seek_step(60.0)) == pytest.approx(6.0)
    view.step_back()
    assert view.position() == pytest.approx(3.0)
    view.to_start()
    assert view.position() == 0.0
    view.step_back()  # never before the start
    assert view.position() == 0.0
    assert seek_step(1.0) == pytest.approx(0.1) and seek_step(600.0) == 5.0


def test_the_info_line_gives_the_level_and_the_encoding(qtbot, view, tmp_path):
    """The drawing is scaled to each clip's peak: a -80 dBFS noise floor looked like a full
    clip, digital silence like a quiet one, and 16-bit, 24-bit and float clips looked alike."""
    rng = np.random.default_rng(0)
    quiet = tmp_path / "floor.wav"
    sf.write(quiet, (1e-4 * np.clip(rng.standard_normal(RATE), -1, 1)).astype(np.float32), RATE,
             subtype="PCM_24")  # fmt: skip
    load(qtbot, view, quiet)
    assert "WAV 24-bit" in view.info_text() and "peak -80 dBFS" in view.info_text()
    silent = tmp_path / "zero.flac"
    sf.write(silent, np.zeros(RATE, dtype=np.int16), RATE, subtype="PCM_16")
    load(qtbot, view, silent)
    assert "FLAC 16-bit" in view.info_text() and "silent (every sample 0)" in view.info_text()
    loud = tmp_path / "loud.wav"
    sf.write(loud, np.ones(RATE, dtype=np.float32), RATE, subtype="FLOAT")
    load(qtbot, view, loud)
    assert "WAV 32-bit float" in view.info_text() and "peak 0 dBFS (clipped?)" in view.info_text()


def test_a_very_long_file_name_does_not_widen_the_view(qtbot, view, tmp_path):
    long = clip(tmp_path / ("a_very_long_name_" + "x" * 180 + ".wav"))
    load(qtbot, view, long)
    assert view.minimumSizeHint().width() < 700  # the name wraps (it held the window 1,465 px)


def test_no_time_label_is_cut_at_the_axis_end(qtbot, view, tmp_path):
    """A clip whose last tick sits near the edge: its label read "900 r"."""
    from aldesk.gui.viewers.time_view import tick_step, time_label

    load(qtbot, view, clip(tmp_path / "short.wav", seconds=0.92))
    canvas = view.canvas()
    metrics = canvas.fontMetrics()
    dropped = 0
    for width in range(560, 1100, 9):
        view.resize(width, 360)
        view.layout().activate()  # the canvas takes its new width now
        right = float(canvas.width())
        ticks = canvas.axis_ticks(right - canvas.gutter, right)
        assert ticks[0][1] and all(label for _, label in ticks[:-1])  # only the last may go
        step = tick_step(0.92, right - canvas.gutter)
        last = time_label((len(ticks) - 1) * step, 0.92)
        x, label = ticks[-1]
        assert bool(label) == (x + 3 + metrics.horizontalAdvance(last) <= right)
        dropped += not label
    assert dropped  # some widths put the last label past the edge: it is left out there


def test_the_frequency_labels_fit_their_margin_at_a_large_font(qtbot) -> None:
    """A fixed 52 px margin cut "500 Hz" to "00 Hz" at a 15 pt font."""
    from PySide6.QtGui import QFont, QFontMetrics

    from aldesk.gui.viewers.audio_canvas import AudioCanvas

    canvas = AudioCanvas()
    qtbot.addWidget(canvas)
    usual = canvas.gutter
    font = QFont(canvas.font())
    font.setPointSizeF(15)
    canvas.setFont(font)
    wide = QFontMetrics(canvas._axis_font()).horizontalAdvance("12.5 kHz")
    assert canvas.gutter - 6 >= wide and canvas.gutter > usual
    assert canvas.axis_height >= QFontMetrics(canvas._axis_font()).height()


def test_a_20_ms_clip_has_a_clock_and_steps_of_its_own_size(qtbot, view, tmp_path):
    """A 20-ms clip's clock read "0:00.0 / 0:00.0" and one Right went to its end."""
    from aldesk.gui.style import clock_pair

    load(qtbot, view, clip(tmp_path / "blip.wav", seconds=0.02))
    assert view._time.text() == "0:00.000 / 0:00.020"
    view.step_forward()
    assert 0.0 < view.position() <= 0.0025
    assert (
        clock_pair(3.25, 4.0) == "0:03.25 / 0:04.00" and clock_pair(65.0, 90.0) == "1:05.0 / 1:30.0"
    )


def test_a_wav_cut_short_says_so(qtbot, view, tmp_path):
    """A WAV whose data stops at a third of what its header says was shown as a shorter clip,
    with no sign it was cut short."""
    from aldesk.core.media.wav_header import header_frames

    whole = tmp_path / "take.wav"
    sf.write(whole, (0.3 * np.sin(np.arange(RATE) / 5)).astype(np.float32), RATE,
             subtype="PCM_16")  # fmt: skip
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    assert header_frames(cut) == header_frames(whole) == RATE
    load(qtbot, view, cut)
    assert view.info_text().endswith("cut short: its header says 1.00 s")
    load(qtbot, view, whole)
    assert "cut short" not in view.info_text()


def test_a_peak_just_under_full_scale_is_not_minus_zero(qtbot, view, tmp_path):
    """A clip peaking at 0.95 read "peak -0 dBFS"."""
    path = tmp_path / "offset.wav"
    sf.write(path, np.full(RATE, 0.95, dtype=np.float32), RATE, subtype="FLOAT")
    load(qtbot, view, path)
    assert "peak 0 dBFS" in view.info_text() and "-0" not in view.info_text()


def test_a_dc_offset_is_said(qtbot, view, tmp_path):
    """A quiet tone riding on a 0.45 offset read "peak -0 dBFS", nothing pointing at the offset."""
    t = np.arange(RATE) / RATE
    path = tmp_path / "offset.wav"
    sf.write(path, (0.45 + 0.05 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), RATE,
             subtype="FLOAT")  # fmt: skip
    load(qtbot, view, path)
    assert "DC offset +0.45" in view.info_text()
    centred = tmp_path / "centred.wav"
    sf.write(centred, (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), RATE)
    load(qtbot, view, centred)
    assert "DC offset" not in view.info_text()


def test_a_screen_reader_names_the_audio_controls(view) -> None:
    """Play/pause, Play from the start, Loop and the volume had no name, only tooltips."""
    from PySide6.QtGui import QAccessible
    from PySide6.QtWidgets import QSlider, QToolButton

    controls = view.findChildren(QToolButton) + view.findChildren(QSlider)
    names = {QAccessible.queryAccessibleInterface(w).text(QAccessible.Text.Name) for w in controls}
    assert {"Play / pause", "Play from the start", "Loop", "Volume"} <= names
    assert "" not in names


def test_file_sizes_are_in_decimal_units_as_file_managers_show_them():
    from aldesk.gui.style import human_size

    assert human_size(345_600_044) == "345.6 MB"  # not its size in MiB, 329.6
    assert human_size(999) == "999 bytes" and human_size(1500) == "1.5 kB"


def test_a_take_with_an_unfinished_header_is_drawn_whole_and_says_so(qtbot, view, tmp_path):
    """A recorder that lost power left a header claiming 0 bytes: the clip was "no audio
    frames"; it is drawn and played whole, and the info line says its header differs."""
    whole = tmp_path / "take.wav"
    sf.write(whole, (0.3 * np.sin(np.arange(2 * RATE) / 5)).astype(np.float32), RATE,
             subtype="PCM_16")  # fmt: skip
    raw = bytearray(whole.read_bytes())
    at = raw.index(b"data")
    raw[at + 4 : at + 8] = bytes(4)
    lost = tmp_path / "lost.wav"
    lost.write_bytes(bytes(raw))
    load(qtbot, view, lost)
    assert view._time.text().endswith("/ 0:02.00")
    assert view.info_text().endswith("header unfinished (it says 0 s): read to the end of the file")
    raw[at + 4 : at + 8] = (RATE // 2).to_bytes(4, "little")  # updated at 0.25 s, then lost
    lost.write_bytes(bytes(raw))
    load(qtbot, view, lost)
    assert view._time.text().endswith("/ 0:00.250")
    assert view.info_text().endswith("1.75 s more after what its header says (not read)")
    load(qtbot, view, whole)
    assert "header" not in view.info_text()
