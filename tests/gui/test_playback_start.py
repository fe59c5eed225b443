"""Playback starts where the playhead is: a click on a clip not played yet, then Space, played
it from 0:00 (QMediaPlayer drops a position set before the file is loaded)."""

from __future__ import annotations

import numpy as np
import soundfile as sf
from PySide6.QtMultimedia import QMediaPlayer

from aldesk.gui.viewers import playback
from aldesk.gui.viewers.playback import ClipPlayer


class OneDevice:
    """Stands in for QMediaDevices with one output: the player is made and used."""

    @staticmethod
    def audioOutputs():  # noqa: N802 (Qt's name)
        return [object()]


def test_a_seek_before_the_first_play_is_where_playback_starts(qtbot, monkeypatch, tmp_path):
    monkeypatch.setattr(playback, "QMediaDevices", OneDevice)
    path = tmp_path / "take.wav"
    sf.write(path, 0.1 * np.sin(np.arange(16000 * 20) / 7).astype(np.float32), 16000)
    player = ClipPlayer()
    player.load(path, 20.0)
    player.seek(12.0)  # a click on the waveform
    player.play()  # then Space
    loaded = (QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferedMedia)
    qtbot.waitUntil(lambda: player.media_player().mediaStatus() in loaded, timeout=10_000)
    qtbot.waitUntil(lambda: player.media_player().position() > 0, timeout=10_000)
    assert player.media_player().position() >= 11_900
    assert player.position >= 11.9  # the playhead never went back to 0:00 meanwhile
    player.stop()


_WAITS_FOR_AUDIO_THREAD = ("stop", "setSource", "play", "pause", "setPosition", "setPlaybackRate")


def _tripwire(cls: type, names: tuple[str, ...]) -> type:
    """A subclass whose Python spelling of each named method fails: a call that reaches it came
    through the binding, which holds the GIL while Qt waits for its audio thread (a hang when
    that thread needs the GIL). Qt's own slot, reached by ``QMetaObject.invokeMethod``, is not
    the Python attribute and runs."""

    def refuse(name: str):
        def method(self, *args):
            raise AssertionError(f"{cls.__name__}.{name} called through Python, GIL held")

        return method

    return type(f"Tripwire{cls.__name__}", (cls,), {n: refuse(n) for n in names})


def test_the_player_is_driven_without_holding_the_gil(qtbot, monkeypatch, tmp_path):
    from PySide6.QtMultimedia import QAudioOutput

    monkeypatch.setattr(playback, "QMediaDevices", OneDevice)
    monkeypatch.setattr(playback, "QMediaPlayer", _tripwire(QMediaPlayer, _WAITS_FOR_AUDIO_THREAD))
    monkeypatch.setattr(playback, "QAudioOutput", _tripwire(QAudioOutput, ("setVolume",)))
    path = tmp_path / "take.wav"
    sf.write(path, 0.1 * np.sin(np.arange(16000 * 3) / 7).astype(np.float32), 16000)
    player = ClipPlayer()
    player.load(path, 3.0)
    player.set_rate(2.0)
    player.set_volume(0.25)
    player.play()
    media = player.media_player()
    loaded = (QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferedMedia)
    qtbot.waitUntil(lambda: media.mediaStatus() in loaded, timeout=10_000)  # loads on a pool thread
    player.seek(1.0)
    player.pause()
    # The calls reached Qt: the source, speed and volume are what the player was told.
    assert media.source().toLocalFile() == str(path)
    assert media.playbackRate() == 2.0
    assert media.audioOutput().volume() == 0.25
    player.load(path, 3.0)  # stop() and setSource(QUrl()) on the way
    assert media.source().isEmpty()
    player.stop()


def test_a_flac_played_to_its_end_plays_again_from_its_last_moments(qtbot, monkeypatch, tmp_path):
    """Once at the end, FFmpeg's FLAC demuxer refused a seek into the last ~0.3 s: Space there
    said "Failed to seek: Operation not permitted" and playback stayed stuck (QA, 8 of 8)."""
    monkeypatch.setattr(playback, "QMediaDevices", OneDevice)
    path = tmp_path / "call.flac"
    sf.write(path, 0.1 * np.sin(np.arange(48000 * 12) / 7).astype(np.float32), 48000)
    player = ClipPlayer()
    failed, ended = [], []
    player.failed.connect(failed.append)
    player.ended.connect(lambda: ended.append(player.position))
    player.load(path, 12.0)
    player.seek(11.94)
    player.play()
    qtbot.waitUntil(lambda: len(ended) == 1 or bool(failed), timeout=15_000)
    heard = []
    player.position_changed.connect(heard.append)
    player.seek(11.94)  # a click on the waveform's last moments, then Space
    player.play()
    qtbot.waitUntil(lambda: len(ended) == 2 or bool(failed), timeout=15_000)
    assert failed == [] and ended == [12.0, 12.0]
    assert min(heard) >= 11.9  # from there, not from 0:00 (the file is opened afresh)
    player.stop()
