"""Audio viewer: drawing, play/pause with and without an output device, seeking, looping."""

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
from PySide6.QtCore import QPoint, Qt

from aldesk.gui.viewers import playback
from aldesk.gui.viewers.audio_view import AudioView
from aldesk.gui.viewers.playback import NO_DEVICE_MESSAGE

TIMEOUT_MS = 10_000
RATE = 16_000
REPO = Path(__file__).resolve().parents[2]


def _clip(path: Path, seconds: float = 1.0, stereo: bool = False) -> Path:
    t = np.arange(int(seconds * RATE)) / RATE
    tone = 0.5 * np.sin(2 * np.pi * 440 * t) * (t > seconds / 3)  # silence, then a tone
    data = np.stack([tone, tone * 0.5], axis=1) if stereo else tone
    sf.write(path, data.astype(np.float32), RATE)
    return path


class _NoDevices:
    """Stands in for QMediaDevices on a machine without any audio output."""

    @staticmethod
    def audioOutputs():  # noqa: N802 (Qt's name)
        return []

    @staticmethod
    def defaultAudioOutput():  # noqa: N802
        raise AssertionError("no device must be opened when none exists")


@pytest.fixture
def no_device(monkeypatch):
    monkeypatch.setattr(playback, "QMediaDevices", _NoDevices)


@pytest.fixture
def view(qtbot, no_device):
    v = AudioView()
    qtbot.addWidget(v)
    v.resize(700, 360)
    v.show()
    qtbot.waitExposed(v)
    yield v
    v.shutdown()


def _load(qtbot, view, path):
    with qtbot.waitSignal(view.loaded, timeout=TIMEOUT_MS) as blocker:
        view.show_audio(path)
    assert blocker.args == [path]


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


def test_play_pause_without_device_says_so_once(qtbot, view, tmp_path):
    _load(qtbot, view, _clip(tmp_path / "a.wav"))
    told: list[str] = []
    view.playback_unavailable.connect(told.append)
    with qtbot.waitSignal(view.playback_unavailable, timeout=TIMEOUT_MS):
        view.toggle_play()
    assert view.is_playing()  # the UI state still toggles
    view.toggle_play()
    assert not view.is_playing()
    view.toggle_play()
    view.toggle_play()
    view.replay()
    assert told == [NO_DEVICE_MESSAGE]


def test_click_seeks_and_moves_playhead(qtbot, view, tmp_path):
    _load(qtbot, view, _clip(tmp_path / "a.wav", seconds=2.0))
    canvas = view.canvas()
    x = canvas.width() // 2
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
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF....WAVEfmt nonsense")
    with qtbot.waitSignal(view.load_failed, timeout=TIMEOUT_MS) as blocker:
        view.show_audio(bad)
    assert blocker.args[0] == bad
    assert view.is_showing_error()
    assert blocker.args[1] in view.error_text()


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
    out = {"devices": [d.description() for d in QMediaDevices.audioOutputs()],
           "unavailable": [], "positions": [], "playing": []}
    view.playback_unavailable.connect(out["unavailable"].append)
    view.position_changed.connect(out["positions"].append)
    view.playing_changed.connect(out["playing"].append)
    view.loaded.connect(lambda _p: view.toggle_play())
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


def test_plays_through_a_null_device(null_sink, tmp_path):
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
    positions = out["positions"]
    assert any(0.0 < p < 0.6 for p in positions)  # the playhead moved during playback
    assert positions[-1] == pytest.approx(0.6, abs=0.01)
