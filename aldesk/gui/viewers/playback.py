"""Playback streamed from the file by QMediaPlayer, at 0.5x / 1x / 2x, with an honest "no device"
mode.

The player decodes as it plays (FFmpeg reads the file a little ahead), so an hour-long clip costs
no more memory than a second-long one; the old player decoded the whole clip into one buffer.

The playhead follows the player: ``position_changed`` carries the positions QMediaPlayer
reports, which only start to advance once the audio output is playing the first samples (on a
PulseAudio null sink about two seconds after ``play()``). Nothing runs on a free timer. How
close that is to the sound is Qt's (measured against what a null sink played: WAV at 1x within
0.1 s; FLAC at 16 kHz reported in 0.26-s steps, up to 0.4 s behind; at 2x up to 0.25 s ahead).

Without an output device (no audio server, headless machine) ``QMediaDevices.audioOutputs()`` is
empty; the player then reports ``unavailable`` once and keeps a silent state: play/pause,
seeking and the speed still work, nothing advances.

Every call into QMediaPlayer / QAudioOutput goes through ``_call`` (``QMetaObject.invokeMethod``,
direct, which lets go of the GIL), never through the Python binding, which holds it: ``stop()``
and ``setSource()`` wait for FFmpeg's audio thread, and that thread, tearing down its renderer,
calls ``disconnectNotify`` on our objects, which PySide routes through Python to look for an
override. Holding the GIL while waiting hung the window (1 in 80 test runs under load).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PySide6.QtCore import Q_ARG, QMetaObject, QObject, Qt, QUrl, Signal, Slot
from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer

NO_DEVICE_MESSAGE = "No audio output device — playback unavailable"
RATES: tuple[float, ...] = (0.5, 1.0, 2.0)


def rate_label(rate: float) -> str:
    """``0.5×``, ``1×``, ``2×``."""
    return f"{rate:g}×"


def _url_for(path: Path) -> tuple[QUrl, tempfile.TemporaryDirectory | None]:
    """A file URL Qt can open. A name that is not valid UTF-8 (kept by Python as surrogate
    escapes) has no QString spelling, so it is reached through a symlink with a plain name."""
    try:
        os.fsencode(path).decode("utf-8")
        return QUrl.fromLocalFile(os.fspath(path)), None
    except UnicodeDecodeError:
        tmp = tempfile.TemporaryDirectory(prefix="aldesk-play-")
        link = Path(tmp.name) / ("clip" + path.suffix.encode("ascii", "replace").decode())
        os.symlink(os.path.abspath(path), link)
        return QUrl.fromLocalFile(str(link)), tmp


def _call(target: QObject, slot: str, *args: object) -> None:
    """Run a slot of a Qt-made object at once, without the GIL (see the module docstring)."""
    if not QMetaObject.invokeMethod(target, slot, Qt.ConnectionType.DirectConnection, *args):
        raise RuntimeError(f"{type(target).__name__} has no slot {slot} for these arguments")


def _ignore(*_args: object) -> None:
    pass


def _settle_notify_lookups(obj: QObject, signal) -> None:
    """Connect and disconnect once here, on the GUI thread, so PySide caches that
    ``connectNotify``/``disconnectNotify`` have no Python override; a Qt thread then calls them
    without waiting for the GIL (also while the object is being destroyed)."""
    signal.connect(_ignore)
    signal.disconnect(_ignore)


class ClipPlayer(QObject):
    """Plays one clip at a time from its file.

    Signals:
        position_changed(float): seconds from the start of the clip (what is being heard).
        playing_changed(bool): play / pause (also in the silent no-device mode).
        rate_changed(float): the playback speed changed.
        ended(): playback reached the end of the clip.
        unavailable(str): no output device.
        failed(str): the player could not play this clip (a sentence for a person).
    """

    position_changed = Signal(float)
    playing_changed = Signal(bool)
    rate_changed = Signal(float)
    ended = Signal()
    unavailable = Signal(str)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._path: Path | None = None
        self._link_dir: tempfile.TemporaryDirectory | None = None
        self._source_set = False
        # The clip played to its end, or the player failed: the next play opens the file afresh.
        # FFmpeg's FLAC demuxer, once at the end, refused a seek into the last ~0.3 s ("Failed
        # to seek: Operation not permitted") and the player stayed stuck until another clip.
        self._reopen = False
        self._start_at: float | None = None  # a start position waiting for the file to load
        self._duration = 0.0
        self._position = 0.0
        self._playing = False
        self._volume = 1.0
        self._rate = 1.0
        self._available: bool | None = None  # unknown until the first play
        self._player: QMediaPlayer | None = None
        self._output: QAudioOutput | None = None

    # -- state --------------------------------------------------------------------------------
    @property
    def duration(self) -> float:
        return self._duration

    @property
    def position(self) -> float:
        return self._position

    @property
    def is_playing(self) -> bool:
        return self._playing

    @property
    def available(self) -> bool | None:
        return self._available

    @property
    def rate(self) -> float:
        return self._rate

    @property
    def path(self) -> Path | None:
        """The clip loaded (None after ``stop()``)."""
        return self._path

    # -- commands ------------------------------------------------------------------------------
    def load(self, path: str | os.PathLike, duration: float) -> None:
        """Take a new clip; the file is opened by the player on the first ``play()``."""
        self._release_source()
        self._path = Path(path)
        self._duration = max(0.0, float(duration))
        self._set_position(0.0)
        self._set_playing(False)

    def play(self) -> None:
        if self._path is None or self._duration <= 0:
            return
        if self._reopen:  # before playing: stop() reports 0:00 on its way out
            self._release_source()
        if self._position >= self._duration - 1e-3:
            self._set_position(0.0)
        self._set_playing(True)
        if self._ensure_device():
            player = self.media_player()
            if not self._source_set:
                url, self._link_dir = _url_for(self._path)
                _call(player, "setSource", Q_ARG(QUrl, url))
                self._source_set = True
                # A position set before the file is loaded is dropped: a click on a clip not
                # played yet, then Space, played it from 0:00. Applied once it is loaded.
                self._start_at = self._position
            _call(player, "setPosition", Q_ARG("qint64", round(self._position * 1000)))
            _call(player, "play")

    def pause(self) -> None:
        if self._player is not None and self._source_set:
            _call(self._player, "pause")
        self._set_playing(False)

    def toggle(self) -> None:
        self.pause() if self._playing else self.play()

    def seek(self, seconds: float) -> None:
        seconds = float(min(max(0.0, seconds), self._duration))
        if self._start_at is not None:
            self._start_at = seconds  # still loading: where it starts once loaded
        if self._player is not None and self._source_set:
            _call(self._player, "setPosition", Q_ARG("qint64", round(seconds * 1000)))
        self._set_position(seconds)

    def set_volume(self, volume: float) -> None:
        self._volume = float(min(max(volume, 0.0), 1.0))
        if self._output is not None:
            _call(self._output, "setVolume", Q_ARG("float", self._volume))

    def set_rate(self, rate: float) -> None:
        """Play at ``rate`` (one of RATES; the nearest is taken), pitch kept where Qt can."""
        rate = min(RATES, key=lambda r: abs(r - float(rate)))
        if rate == self._rate:
            return
        self._rate = rate
        if self._player is not None:
            _call(self._player, "setPlaybackRate", Q_ARG(float, rate))
        self.rate_changed.emit(rate)

    def faster(self) -> None:
        self.set_rate(RATES[min(len(RATES) - 1, RATES.index(self._rate) + 1)])

    def slower(self) -> None:
        self.set_rate(RATES[max(0, RATES.index(self._rate) - 1)])

    def stop(self) -> None:
        """Stop and let go of the file (call before the widget goes away). Length and position
        go back to 0 without a signal: the view resets its clock where it shows no clip."""
        self._release_source()
        self._path = None
        self._duration = self._position = 0.0
        self._set_playing(False)

    # -- device handling ---------------------------------------------------------------------
    def _ensure_device(self) -> bool:
        if self._available is False:
            return False
        if not QMediaDevices.audioOutputs():
            self._available = False
            self.unavailable.emit(NO_DEVICE_MESSAGE)
            return False
        self._available = True
        return True

    def media_player(self) -> QMediaPlayer:
        """The QMediaPlayer behind this player, made on first use (only where a device exists)."""
        if self._player is None:
            self._output = QAudioOutput(self)
            _call(self._output, "setVolume", Q_ARG("float", self._volume))
            _settle_notify_lookups(self._output, self._output.volumeChanged)
            self._player = QMediaPlayer(self)
            _settle_notify_lookups(self._player, self._player.positionChanged)
            self._player.setAudioOutput(self._output)
            if self._player.pitchCompensationAvailability() != (
                QMediaPlayer.PitchCompensationAvailability.Unavailable
            ):
                self._player.setPitchCompensation(True)  # 2x sounds faster, not higher
            _call(self._player, "setPlaybackRate", Q_ARG(float, self._rate))
            self._player.positionChanged.connect(self._on_player_position_changed)
            self._player.mediaStatusChanged.connect(self._on_media_status_changed)
            self._player.errorOccurred.connect(self._on_error_occurred)
        return self._player

    def _release_source(self) -> None:
        if self._player is not None and self._source_set:
            _call(self._player, "stop")
            _call(self._player, "setSource", Q_ARG(QUrl, QUrl()))
        self._source_set = False
        self._reopen = False
        self._start_at = None
        if self._link_dir is not None:
            self._link_dir.cleanup()
            self._link_dir = None

    def _set_position(self, seconds: float) -> None:
        self._position = seconds
        self.position_changed.emit(seconds)

    def _set_playing(self, playing: bool) -> None:
        if playing != self._playing:
            self._playing = playing
            self.playing_changed.emit(playing)

    # -- slots ----------------------------------------------------------------------------------
    @Slot("qlonglong")
    def _on_player_position_changed(self, ms: int) -> None:
        # Positions only while playing: stop() and setSource() report 0 on their way out, and
        # loading reports 0 before the start position is applied.
        if self._playing and self._source_set and self._start_at is None:
            self._set_position(min(self._duration, ms / 1000.0))

    @Slot(QMediaPlayer.MediaStatus)
    def _on_media_status_changed(self, status: QMediaPlayer.MediaStatus) -> None:
        loaded = (QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferedMedia)
        if status in loaded and self._start_at is not None and self._player is not None:
            _call(self._player, "setPosition", Q_ARG("qint64", round(self._start_at * 1000)))
            self._start_at = None
        if status == QMediaPlayer.MediaStatus.EndOfMedia:
            self._reopen = True
        if status == QMediaPlayer.MediaStatus.EndOfMedia and self._playing:
            self._set_position(self._duration)
            self._set_playing(False)
            self.ended.emit()

    @Slot(QMediaPlayer.Error, str)
    def _on_error_occurred(self, error: QMediaPlayer.Error, text: str) -> None:
        if error == QMediaPlayer.Error.NoError:
            return
        self._reopen = True
        self._set_playing(False)
        name = self._path.name if self._path else "this clip"
        self.failed.emit(f"Cannot play “{name}”: {text or 'the player refused it'}")
