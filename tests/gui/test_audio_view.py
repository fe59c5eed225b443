"""Audio viewer: drawing (frequency axis, bounded overview of long clips), play/pause with and
without an output device, seeking, looping, playback speed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from audio_clips import RATE, TIMEOUT_MS
from audio_clips import clip as _clip
from audio_clips import load as _load
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from aldesk.gui import style
from aldesk.gui.viewers import playback
from aldesk.gui.viewers.audio_clip import MAX_COLUMNS
from aldesk.gui.viewers.playback import NO_DEVICE_MESSAGE
from tests.gui.conftest import NoDevices

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def view(audio_viewer):
    return audio_viewer


def _distinct_colours(image, rect) -> int:
    colours = set()
    for x in range(rect.left(), rect.right(), 7):
        for y in range(rect.top(), rect.bottom(), 5):
            colours.add(image.pixel(x, y))
    return len(colours)


def test_renders_waveform_and_spectrogram(qtbot, view, tmp_path):
    _load(qtbot, view, _clip(tmp_path / "tone.wav", stereo=True))
    canvas = view.canvas()
    image = canvas.grab().toImage()
    h = canvas.height()
    waveform = image.copy(0, 0, canvas.width(), int(h * 0.3))
    spectrogram = image.copy(0, int(h * 0.45), canvas.width(), int(h * 0.4))
    assert _distinct_colours(waveform, waveform.rect()) >= 2  # envelope drawn over background
    assert _distinct_colours(spectrogram, spectrogram.rect()) > 20  # a colour map, not a fill
    info = view.info_text()
    assert "tone.wav" in info and "1.00 s" in info and "stereo" in info and "16 kHz" in info


def _tone(path: Path, hz: float, seconds: float = 1.0, rate: int = RATE) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    sf.write(path, (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32), rate)
    return path


def test_spectrogram_has_a_frequency_axis_where_the_tone_is(qtbot, view, tmp_path):
    _load(qtbot, view, _tone(tmp_path / "khz.wav", 1000.0))
    canvas = view.canvas()
    labels = dict(canvas.frequency_labels())
    assert {"500 Hz", "1 kHz", "2 kHz", "5 kHz"} <= set(labels)
    ys = [y for _text, y in canvas.frequency_labels()]
    assert ys == sorted(ys)  # highest frequency at the top
    image = canvas.grab().toImage()
    # The 1 kHz tone's bright band sits at the "1 kHz" label (within a band's height).
    column = canvas.plot_left() + canvas.width() // 2
    spec = canvas.spectrogram_rect()
    assert spec.top() < min(ys) and max(ys) < spec.bottom()
    brightest = max(
        range(int(spec.top()) + 1, int(spec.bottom()) - 1),
        key=lambda y: QColor(image.pixel(column, y)).lightness(),
    )
    assert brightest == pytest.approx(labels["1 kHz"], abs=4)
    # The label is drawn: dark text pixels in the gutter left of the plot at that height.
    y = int(labels["1 kHz"])
    gutter = [QColor(image.pixel(x, yy)).lightness() for x in range(canvas.plot_left() - 6)
              for yy in range(y - 4, y + 5)]  # fmt: skip
    assert min(gutter) < 160


def test_long_clip_is_drawn_from_a_bounded_overview(qtbot, view, tmp_path):
    path = tmp_path / "ten-minutes.flac"
    with sf.SoundFile(path, "w", 8000, 1, subtype="PCM_16") as f:
        for minute in range(10):
            block = np.zeros(8000 * 60, dtype=np.int16)
            block[: 8000 * 5] = 8000 if minute == 7 else 0  # a loud stretch at 7:00
            f.write(block)
    _load(qtbot, view, path)
    clip = view.canvas()._clip
    assert clip.spectrogram.width() == MAX_COLUMNS and clip.spectrogram.height() == 64
    assert clip.mins.size <= 4096 and not clip.exact
    assert clip.duration == pytest.approx(600.0)
    assert view.duration() == pytest.approx(600.0)
    loud = np.flatnonzero(clip.maxs > 0.1)
    assert loud.size and abs(loud[0] / clip.maxs.size * 600 - 420) < 1
    assert "600 s (0:10:00)" in view.info_text()


def test_speed_control_and_methods_without_device(qtbot, view, tmp_path):
    _load(qtbot, view, _clip(tmp_path / "a.wav"))
    combo = view.speed_control()
    assert [combo.itemText(i) for i in range(combo.count())] == ["0.5×", "1×", "2×"]
    assert view.rate() == 1.0 and combo.currentText() == "1×"
    with qtbot.waitSignal(view.rate_changed) as blocker:
        view.faster()
    assert blocker.args == [2.0] and combo.currentText() == "2×"
    view.faster()  # already the fastest
    assert view.rate() == 2.0
    view.slower()
    view.slower()
    assert view.rate() == 0.5 and combo.currentText() == "0.5×"
    combo.activated.emit(1)  # what a click on "1×" in the list does
    assert view.rate() == 1.0 and view.player().rate == 1.0
    view.toggle_play()  # the rate survives play without a device
    assert view.rate() == 1.0 and view.position() == 0.0


def test_play_pause_without_device_says_so_once(qtbot, view, tmp_path):
    _load(qtbot, view, _clip(tmp_path / "a.wav"))
    told: list[str] = []
    view.playback_unavailable.connect(told.append)
    with qtbot.waitSignal(view.playback_unavailable, timeout=TIMEOUT_MS):
        view.toggle_play()
    assert view.is_playing()  # the state still toggles (seek, speed and loop keep working)
    button = view._play_button
    # but the button does not claim to play: no Pause icon over a frozen clock
    assert not button.isEnabled() and button.toolTip() == NO_DEVICE_MESSAGE
    assert button.icon().cacheKey() != style.icon("pause").cacheKey()
    view.toggle_play()
    assert not view.is_playing()
    view.toggle_play()
    view.toggle_play()
    view.replay()
    assert told == [NO_DEVICE_MESSAGE]


def test_click_seeks_and_moves_playhead(qtbot, view, tmp_path):
    _load(qtbot, view, _clip(tmp_path / "a.wav", seconds=2.0))
    canvas = view.canvas()
    x = canvas.plot_left() + (canvas.width() - 1 - canvas.plot_left()) // 2
    with qtbot.waitSignal(view.position_changed, timeout=TIMEOUT_MS) as blocker:
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(x, canvas.height() // 2))
    assert blocker.args[0] == pytest.approx(1.0, abs=0.01)
    assert view.position() == pytest.approx(1.0, abs=0.01)
    assert canvas.playhead_x() == pytest.approx(x, abs=1.5)


def test_seek_works_while_playing_without_device(qtbot, view, tmp_path):
    _load(qtbot, view, _clip(tmp_path / "a.wav", seconds=2.0))
    view.toggle_play()
    view.seek(1.5)
    assert view.position() == pytest.approx(1.5)
    assert view.is_playing()


def test_loop_and_autoplay_toggles(qtbot, view, tmp_path):
    assert not view.is_looping()
    view.toggle_loop()
    assert view.is_looping()
    view.set_autoplay(True)
    with qtbot.waitSignal(view.playing_changed, timeout=TIMEOUT_MS) as blocker:
        view.show_audio(_clip(tmp_path / "a.wav"))
    assert blocker.args == [True]


def test_unreadable_clip_shows_placeholder(qtbot, view, tmp_path):
    _load(qtbot, view, _clip(tmp_path / "a.wav", seconds=1.5))  # the clip shown before
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF....WAVEfmt nonsense")
    with qtbot.waitSignal(view.load_failed, timeout=TIMEOUT_MS) as blocker:
        view.show_audio(bad)
    assert blocker.args[0] == bad
    assert view.is_showing_error()
    assert blocker.args[1] in view.error_text()
    # the clock is not the clip before's ("0:00.0 / 0:00.1.5" over a file that cannot play)
    assert view.duration() == 0.0 and view._time.text() == "0:00.0 / 0:00.0"


# -- with a real (null) output device ---------------------------------------------------------
# Qt's audio backend connects to the sound server once per process, so playback through a
# device is checked in a child process that sees the null sink from its first Qt call.
_PLAY_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtCore import QTimer
    from PySide6.QtMultimedia import QMediaDevices
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from aldesk.gui.viewers.audio_view import AudioView
    view = AudioView()
    media = view.player().media_player()
    out = {"devices": [d.description() for d in QMediaDevices.audioOutputs()],
           "unavailable": [], "positions": [], "playing": [], "heard": [], "rate": None}

    def on_position(seconds):
        out["positions"].append(seconds)
        # What the player had played when the playhead moved there.
        out["heard"].append(media.position() / 1000.0)

    view.playback_unavailable.connect(out["unavailable"].append)
    view.position_changed.connect(on_position)
    view.playing_changed.connect(out["playing"].append)

    def on_loaded(_path):
        view.faster()  # 2x
        view.toggle_play()
        out["rate"] = media.playbackRate()

    view.loaded.connect(on_loaded)
    view.player().ended.connect(app.quit)
    QTimer.singleShot(15000, app.quit)
    view.show_audio(sys.argv[1])
    app.exec()
    view.shutdown()
    print(json.dumps(out))
    """
)


@pytest.fixture
def null_sink(tmp_path_factory):
    """A private PulseAudio server with a null sink; skipped when pulseaudio is not installed."""
    if shutil.which("pulseaudio") is None:
        pytest.skip("pulseaudio is not installed: playback through a device cannot be tested")
    runtime = tmp_path_factory.mktemp("pulse-runtime")
    os.chmod(runtime, 0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(runtime)}
    proc = subprocess.Popen(
        ["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "--system=false", "-n",
         "--load=module-null-sink", "--load=module-native-protocol-unix", "--log-level=0"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    socket = runtime / "pulse" / "native"
    deadline = time.monotonic() + 10
    while not socket.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # an external daemon starting: nothing to wait on but its socket
    if not socket.exists():
        proc.kill()
        proc.wait()
        pytest.skip("pulseaudio did not start here")
    yield env
    proc.terminate()
    proc.wait(timeout=10)


def test_plays_through_a_null_device_at_2x_and_the_playhead_follows_the_sound(null_sink, tmp_path):
    clip = _clip(tmp_path / "a.wav", seconds=0.6)
    env = {**null_sink, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", _PLAY_SCRIPT, str(clip)],
        env=env, capture_output=True, text=True, timeout=60, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["devices"], "Qt saw no output device on the null sink"
    assert out["unavailable"] == []
    assert out["playing"] == [True, False]  # started, then stopped at the end of the clip
    assert out["rate"] == 2.0  # the speed reached the player
    positions = out["positions"]
    assert any(0.0 < p < 0.6 for p in positions)  # the playhead moved during playback
    assert positions[-1] == pytest.approx(0.6, abs=0.01)
    # The playhead follows the player: it never moved before the player had played that far
    # (a free-running timer started at play() led the sound by the output's start-up delay).
    during = [(p, h) for p, h in zip(positions, out["heard"], strict=True) if 0.0 < p < 0.6]
    assert all(p <= h + 1e-3 for p, h in during), during


def test_speed_keys_in_the_labeling_window_and_the_f1_sheet(qtbot, tmp_path, monkeypatch):
    from aldesk.core.demo import make_demo_pool
    from aldesk.core.project import ProjectSettings, create_project
    from aldesk.gui import shortcuts
    from aldesk.gui.main_window import MainWindow
    from aldesk.gui.workers import Lane

    monkeypatch.setattr(playback, "QMediaDevices", NoDevices)
    classes = make_demo_pool("audio", tmp_path / "pool", per_class=2)
    settings = ProjectSettings(batch=4, seed_size=4, test_size=2)
    store, _ = create_project(tmp_path / "proj", tmp_path / "pool", classes, settings)
    window = MainWindow(store)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.controller.features.finished, timeout=120_000):
        window.show()
        window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    viewer = window.viewer
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    assert viewer.rate() == 2.0 and viewer.speed_control().currentText() == "2×"
    qtbot.keyClick(window, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(window, Qt.Key.Key_BracketLeft)
    assert viewer.rate() == 0.5
    sheets = []
    monkeypatch.setattr(shortcuts.ShortcutSheet, "exec", lambda self: sheets.append(self) or 0)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    table = sheets[0].table
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["Play faster (0.5× / 1× / 2×)"] == "]"
    assert rows["Play slower (0.5× / 1× / 2×)"] == "["
    for lane in window.controller.findChildren(Lane):  # start-up work (model preload) ends
        assert lane.wait(60_000)
    window.close()


def test_a_file_name_that_is_not_utf8_reaches_the_player_through_a_link(qtbot, view, tmp_path):
    clip = tmp_path / os.fsdecode(b"bad\xff\xfe.wav")  # surrogate escapes: no QString spelling
    os.rename(_clip(tmp_path / "plain.wav"), clip)  # (soundfile.write cannot take such a name)
    _load(qtbot, view, clip)
    url, link_dir = playback._url_for(clip)
    try:
        target = Path(url.toLocalFile())
        assert link_dir is not None and target.suffix == ".wav"
        assert os.path.samefile(target, clip)
    finally:
        link_dir.cleanup()
    plain, none = playback._url_for(_clip(tmp_path / "plain é.wav"))
    assert none is None and Path(plain.toLocalFile()).name == "plain é.wav"


def test_a_silent_clip_is_drawn_dark(qtbot, view, tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(RATE, dtype=np.float32), RATE)
    _load(qtbot, view, path)
    canvas = view.canvas()
    spec = canvas.spectrogram_rect()
    image = canvas.grab().toImage()
    middle = QColor(image.pixel(int(spec.center().x()), int(spec.center().y())))
    assert middle.lightness() < 40  # the bottom of the colour map, not its brightest end


def test_a_near_silent_clip_is_drawn_quiet_not_like_loud_noise(qtbot, view, tmp_path):
    """A recorder's noise floor at -84 dBFS was a full-height band over a solid red
    spectrogram: each clip was scaled to its own peak, however quiet."""
    noise = np.random.default_rng(0).standard_normal(RATE).astype(np.float32)
    loud, quiet = tmp_path / "loud.wav", tmp_path / "quiet.wav"
    sf.write(loud, 0.3 * noise / np.abs(noise).max(), RATE)
    sf.write(quiet, 10 ** (-84 / 20) * noise / np.abs(noise).max(), RATE, subtype="FLOAT")
    seen = {}
    for name, path in (("loud", loud), ("quiet", quiet)):
        _load(qtbot, view, path)
        canvas = view.canvas()
        image = canvas.grab().toImage()
        spec = canvas.spectrogram_rect().toRect()
        seen[name] = (
            np.mean(
                [
                    QColor(image.pixel(x, spec.center().y())).lightness()
                    for x in range(spec.left() + 5, spec.right() - 5, 9)
                ]
            ),  # fmt: skip
            sum(
                QColor(image.pixel(spec.center().x(), y)) == style.WAVE_FILL
                for y in range(0, spec.top())
            ),  # waveform pixels in one column
        )
    assert seen["quiet"][0] < seen["loud"][0] - 40  # dark, not the colour map's bright end
    assert seen["quiet"][1] < seen["loud"][1] / 4  # a flat line, not a full-height band


def test_a_long_clip_plays_before_its_picture_is_drawn(qtbot, view, tmp_path):
    path = tmp_path / "long.flac"
    with sf.SoundFile(path, "w", 8000, 1, subtype="PCM_16") as f:
        for _ in range(5):
            f.write(np.zeros(8000 * 60, dtype=np.int16))
    events: list[str] = []
    view.playing_changed.connect(lambda playing: events.append(f"playing={playing}"))
    view.loaded.connect(lambda _p: events.append("loaded"))
    view.set_autoplay(True)
    with qtbot.waitSignal(view.loaded, timeout=TIMEOUT_MS):
        view.show_audio(path)
    assert events == ["playing=True", "loaded"]  # the drawing did not restart playback
    assert view.is_playing() and view.duration() == pytest.approx(300.0)


def test_the_controls_wrap_so_a_narrow_window_fits(qtbot, view, tmp_path):
    """In one row they set the labeling window's minimum width to 845 px: wider than a
    1024-px screen at 125 % (819 px)."""
    _load(qtbot, view, _clip(tmp_path / "a.wav"))
    assert view.minimumSizeHint().width() < 400
    view.resize(380, 360)
    qtbot.waitUntil(lambda: view._autoplay.mapTo(view, QPoint(0, 0)).y()
                    > view._play_button.mapTo(view, QPoint(0, 0)).y())  # fmt: skip
    view.resize(900, 360)  # wide: one row again
    qtbot.waitUntil(lambda: abs(view._autoplay.mapTo(view, QPoint(0, 0)).y()
                                - view._play_button.mapTo(view, QPoint(0, 0)).y()) < 10)  # fmt: skip
