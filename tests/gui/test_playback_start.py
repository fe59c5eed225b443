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
