"""PCM playback through QtMultimedia's QAudioSink, with an honest "no device" mode.

The clip is decoded once (float32, native rate), converted to interleaved int16 and played from a
QBuffer. The position is read from ``processedUSecs()`` on a timer, minus what still sits in the
sink's buffer, so the playhead follows what is heard rather than what was written.

Without an output device (no audio server, headless machine) ``QMediaDevices.audioOutputs()`` is
empty, or ``start()`` returns at once in StoppedState with an error; the player then reports
``unavailable`` and keeps a silent state: play/pause and seeking still work, nothing advances.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QTimer, Signal, Slot
from PySide6.QtMultimedia import QAudio, QAudioFormat, QAudioSink, QMediaDevices

# PySide6 6.x cannot convert QAudio::State in stateChanged until the enum was touched once.
_ = QAudio.State

NO_DEVICE_MESSAGE = "No audio output device — playback unavailable"
POSITION_INTERVAL_MS = 30
MAX_CHANNELS = 2


def state_name(state: object) -> str:
    """Name of a QAudio/QtAudio state; the two enums do not compare equal to each other."""
    return getattr(state, "name", str(state)).split(".")[-1]


def to_int16_pcm(samples: np.ndarray) -> np.ndarray:
    """(n, channels) float32 in [-1, 1] -> interleaved int16, at most two channels."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1:
        x = x[:, None]
    if x.shape[1] > MAX_CHANNELS:
        x = x.mean(axis=1, keepdims=True)
    return (np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2")


def resample_linear(pcm: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Cheap resampling for playback when the device refuses the clip's rate."""
    if sr_in == sr_out or len(pcm) == 0:
        return pcm
    n_out = max(1, int(round(len(pcm) * sr_out / sr_in)))
    t_out = np.linspace(0, len(pcm) - 1, n_out)
    cols = [np.interp(t_out, np.arange(len(pcm)), pcm[:, c]) for c in range(pcm.shape[1])]
    return np.stack(cols, axis=1).astype("<i2")


class PcmPlayer(QObject):
    """Plays one clip at a time.

    Signals:
        position_changed(float): seconds from the start of the clip.
        playing_changed(bool): play / pause (also in the silent no-device mode).
        ended(): playback reached the end of the clip.
        unavailable(str): no output device, or the device failed to open.
    """

    position_changed = Signal(float)
    playing_changed = Signal(bool)
    ended = Signal()
    unavailable = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pcm = np.zeros((0, 1), dtype="<i2")
        self._rate = 16000
        self._channels = 1
        self._duration = 0.0
        self._offset = 0.0  # seconds where the current sink run started
        self._position = 0.0
        self._playing = False
        self._volume = 1.0
        self._available: bool | None = None  # unknown until the first play
        self._sink: QAudioSink | None = None
        self._buffer: QBuffer | None = None
        self._data = QByteArray()
        self._bytes_per_second = 1
        self._timer = QTimer(self)
        self._timer.setInterval(POSITION_INTERVAL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

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

    # -- commands ------------------------------------------------------------------------------
    def load(self, samples: np.ndarray, samplerate: int) -> None:
        """Take a new clip: float32 (n, channels), or int16 from ``to_int16_pcm`` (no copy)."""
        self._stop_sink()
        self._pcm = samples if samples.dtype == np.dtype("<i2") else to_int16_pcm(samples)
        self._rate = int(samplerate)
        self._channels = self._pcm.shape[1]
        self._duration = len(self._pcm) / self._rate if self._rate else 0.0
        self._set_position(0.0)
        self._set_playing(False)

    def play(self) -> None:
        if self._duration <= 0:
            return
        if self._position >= self._duration - 1e-3:
            self._set_position(0.0)
        self._set_playing(True)
        if self._ensure_device():
            self._start_sink(self._position)

    def pause(self) -> None:
        self._stop_sink()
        self._set_playing(False)

    def toggle(self) -> None:
        self.pause() if self._playing else self.play()

    def seek(self, seconds: float) -> None:
        seconds = float(min(max(0.0, seconds), self._duration))
        restart = self._playing and self._sink is not None
        self._stop_sink()
        self._set_position(seconds)
        if restart:
            self._start_sink(seconds)

    def set_volume(self, volume: float) -> None:
        self._volume = float(min(max(volume, 0.0), 1.0))
        if self._sink is not None:
            self._sink.setVolume(self._volume)

    def stop(self) -> None:
        """Stop and release the device (call before the widget goes away)."""
        self._stop_sink()
        self._set_playing(False)

    # -- device handling ---------------------------------------------------------------------
    def _ensure_device(self) -> bool:
        if self._available is False:
            return False
        if not QMediaDevices.audioOutputs():
            self._mark_unavailable(NO_DEVICE_MESSAGE)
            return False
        return True

    def _mark_unavailable(self, message: str) -> None:
        if self._available is not False:
            self._available = False
            self.unavailable.emit(message)

    def _format_for(self, device) -> tuple[QAudioFormat, np.ndarray]:
        fmt = QAudioFormat()
        fmt.setSampleRate(self._rate)
        fmt.setChannelCount(self._channels)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        if device.isFormatSupported(fmt):
            return fmt, self._pcm
        rate = device.preferredFormat().sampleRate() or 48000
        fmt.setSampleRate(rate)
        return fmt, resample_linear(self._pcm, self._rate, rate)

    def _start_sink(self, start_seconds: float) -> None:
        device = QMediaDevices.defaultAudioOutput()
        fmt, pcm = self._format_for(device)
        rate = fmt.sampleRate()
        first = int(start_seconds * rate)
        self._data = QByteArray(pcm[first:].tobytes())
        self._buffer = QBuffer(self)
        self._buffer.setData(self._data)
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self._sink = QAudioSink(device, fmt, self)
        self._sink.setVolume(self._volume)
        self._sink.stateChanged.connect(self._on_sink_state_changed)
        self._offset = start_seconds
        self._bytes_per_second = rate * fmt.channelCount() * 2
        self._sink.start(self._buffer)
        if state_name(self._sink.state()) == "StoppedState" and _has_error(self._sink):
            self._stop_sink()
            self._mark_unavailable(NO_DEVICE_MESSAGE)
            return
        self._available = True
        self._timer.start()

    def _stop_sink(self) -> None:
        self._timer.stop()
        sink, self._sink = self._sink, None
        if sink is not None:
            sink.stateChanged.disconnect(self._on_sink_state_changed)
            sink.stop()
            sink.deleteLater()
        if self._buffer is not None:
            self._buffer.close()
            self._buffer.deleteLater()
            self._buffer = None

    def _heard_seconds(self) -> float:
        sink = self._sink
        if sink is None:
            return self._position
        queued = max(0, sink.bufferSize() - sink.bytesFree()) / max(1, self._bytes_per_second)
        played = sink.processedUSecs() / 1e6 - queued
        return min(self._duration, self._offset + max(0.0, played))

    def _set_position(self, seconds: float) -> None:
        self._position = seconds
        self.position_changed.emit(seconds)

    def _set_playing(self, playing: bool) -> None:
        if playing != self._playing:
            self._playing = playing
            self.playing_changed.emit(playing)

    # -- slots ----------------------------------------------------------------------------------
    @Slot()
    def _on_timer_timeout(self) -> None:
        self._set_position(self._heard_seconds())

    @Slot(object)
    def _on_sink_state_changed(self, state: object) -> None:
        sink = self._sink
        if sink is None:
            return
        name = state_name(state)
        if name == "IdleState":  # the buffer ran dry: the clip has been played to its end
            self._stop_sink()
            self._set_position(self._duration)
            self._set_playing(False)
            self.ended.emit()
        elif name == "StoppedState" and _has_error(sink):
            self._stop_sink()
            self._set_playing(False)
            self._mark_unavailable(NO_DEVICE_MESSAGE)


def _has_error(sink: QAudioSink) -> bool:
    return state_name(sink.error()) != "NoError"
