"""Audio viewer: waveform and log-mel spectrogram with a frequency axis, a moving playhead,
click-to-seek, and playback at 0.5x / 1x / 2x.

Decoding and analysis run on a newest-wins lane, block by block with bounded memory
(:func:`aldesk.core.media.overview.audio_overview`); the GUI thread only paints. The clip that
probably comes next (``prefetch``) is analysed ahead on a lane of its own, so the key press that
brings it shows it without waiting (:mod:`aldesk.gui.viewers.ahead`). Playback is
``ClipPlayer`` (QMediaPlayer streaming from the file); when there is no output device the view
says so once (``playback_unavailable``) and everything else keeps working.

The main window binds Space (``toggle_play()``), R, [ and ]; this view binds no keys.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QSlider,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from aldesk.gui import style
from aldesk.gui.guard import guarded
from aldesk.gui.panels.wrap_layout import WrapLayout, kept_together
from aldesk.gui.viewers.ahead import PreparedAhead
from aldesk.gui.viewers.audio_canvas import AudioCanvas
from aldesk.gui.viewers.audio_clip import (
    AudioClip,
    ClipHeader,
    analyse_clip,
    duration_text,
    info_line,
    seek_step,
)
from aldesk.gui.viewers.placeholder import Placeholder
from aldesk.gui.viewers.playback import RATES, ClipPlayer, rate_label
from aldesk.gui.workers import Lane
from aldesk.gui.wrapping import ZERO_WIDTH_SPACE, breakable


class AudioView(QWidget):
    """One audio clip: picture, transport controls and an info line.

    Signals:
        loaded(Path): the clip is analysed and shown (playable if a device exists).
        load_failed(Path, str): it could not be decoded; the placeholder shows the reason.
        playing_changed(bool), position_changed(float)
        playback_unavailable(str): emitted once per view when no output device can be used.
        rate_changed(float): the playback speed changed (0.5, 1 or 2).
    """

    loaded = Signal(object)
    load_failed = Signal(object, str)
    playing_changed = Signal(bool)
    position_changed = Signal(float)
    playback_unavailable = Signal(str)
    rate_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None, *, autoplay: bool = False) -> None:
        super().__init__(parent)
        self._path: Path | None = None
        self._name = ""  # the info line's name of the clip: its path in the pool
        self._clip: AudioClip | None = None
        self._told_unavailable = False
        self._failure_shown = False
        self._player = ClipPlayer(self)
        self._lane = Lane(self, name="aldesk-audio-decode")
        self._ahead = PreparedAhead(analyse_clip, self, name="aldesk-audio-ahead")
        self._shown = 0  # bumped by every show: a deferred hand-over checks it
        self._build(autoplay)
        self._wire()

    # -- construction ----------------------------------------------------------------------
    def _build(self, autoplay: bool) -> None:
        self._canvas = AudioCanvas(self)
        self._placeholder = Placeholder("audio", self)
        self._stack = QStackedWidget(self)
        self._stack.addWidget(self._canvas)
        self._stack.addWidget(self._placeholder)
        self._play_button = _tool_button("play", "Play / pause (Space)")
        self._replay_button = _tool_button("replay", "Play from the start (R)")
        self._loop_button = _tool_button("loop", "Loop", checkable=True)
        self._time = QLabel(style.clock_pair(0.0, 0.0), minimumWidth=110)
        self._autoplay = QCheckBox("Autoplay")
        self._autoplay.setChecked(autoplay)
        self._volume = QSlider(Qt.Orientation.Horizontal, toolTip="Volume", accessibleName="Volume")
        self._volume.setRange(0, 100)
        self._volume.setValue(100)
        self._volume.setFixedWidth(110)
        self._speed = QComboBox()
        for rate in RATES:
            self._speed.addItem(rate_label(rate), rate)
        self._speed.setCurrentIndex(RATES.index(1.0))
        self._speed.setToolTip("Playback speed ([ slower, ] faster)")
        self._speed.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the labeling window
        volume_icon = QLabel()
        volume_icon.setPixmap(style.icon("volume").pixmap(18, 18))
        self._notice = QLabel()
        self._notice.setProperty("role", "error")
        self._notice.hide()
        self._info = QLabel(wordWrap=True)  # a long name, encoding and level: wraps, never
        self._info.setProperty("role", "muted")  # widens the window
        speed_label = QLabel("Speed")
        speed_label.setProperty("role", "muted")
        # groups that wrap onto a second row in a narrow window (one row: 845 px at least)
        controls = QWidget()
        wrap = WrapLayout(controls)
        wrap.setContentsMargins(8, 4, 8, 4)
        wrap.setSpacing(12)
        for group in ((self._play_button, self._replay_button, self._loop_button, self._time),
                      (speed_label, self._speed), (self._autoplay, volume_icon, self._volume)):  # fmt: skip
            wrap.addWidget(kept_together(*group))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self._stack, 1)
        layout.addWidget(controls)
        layout.addWidget(self._notice)
        layout.addWidget(self._info)
        self._notice.setContentsMargins(8, 0, 8, 0)
        self._info.setContentsMargins(8, 0, 8, 4)

    def _wire(self) -> None:
        self._lane.progressed.connect(self._on_header)
        self._lane.done.connect(self._on_analysed)
        self._lane.failed.connect(self._on_analysis_failed)
        self._ahead.ready.connect(self._on_analysed_ahead)
        self._canvas.seek_requested.connect(self._player.seek)
        self._player.position_changed.connect(self._on_position_changed)
        self._player.playing_changed.connect(self._on_playing_changed)
        self._player.ended.connect(self._on_ended)
        self._player.unavailable.connect(self._on_unavailable)
        self._player.failed.connect(self._on_playback_failed)
        self._player.rate_changed.connect(self._on_rate_changed)
        self._speed.activated.connect(lambda i: self._player.set_rate(self._speed.itemData(i)))
        self._play_button.clicked.connect(self.toggle_play)
        self._replay_button.clicked.connect(self.replay)
        self._volume.valueChanged.connect(self._on_volume_changed)

    # -- public API -------------------------------------------------------------------------
    def show_audio(self, path: str | os.PathLike, name: str | None = None) -> None:
        """Start analysing ``path`` (``name``: for the info line); ``loaded`` follows."""
        self._player.stop()
        self._hide_failure()
        self._path = Path(path)
        self._name = name or self._path.name
        self._shown += 1
        self._clip = None
        self._stack.setCurrentWidget(self._canvas)
        clip = self._ahead.take(self._path)
        if clip is not None:
            self._lane.cancel()
            shown = self._shown  # shown on the next turn of the event loop, like an analysis
            QTimer.singleShot(0, self, lambda: self._hand_over(clip, shown))
            return
        self._canvas.set_clip(None)
        self._info.setText(f"{breakable(self._name)} — loading…")
        target = self._path
        self._lane.submit(lambda ctx: analyse_clip(target, ctx))

    def prefetch(self, path: str | os.PathLike) -> None:
        """Analyse ``path`` in the background so that it shows at once if it comes next."""
        if Path(path) != self._path:
            self._ahead.prepare(path)

    def is_silent(self) -> bool:  # the clip on screen is all zeros: a guess on it says nothing
        return self._clip is not None and self._clip.silent

    def prepared_ahead(self) -> Path | None:
        """The path of the clip held analysed for the next show, if any."""
        return self._ahead.held()

    def show_error(self, name: str, reason: str) -> None:
        self._shown += 1
        self._lane.cancel()
        self._player.stop()
        self._clip = None
        self._placeholder.show_message(name, reason, verb="play")
        self._stack.setCurrentWidget(self._placeholder)
        self._info.setText(f"{breakable(name)} — cannot be played: {reason}")
        self._reset_clock()  # not the clip before's length over one that cannot play

    def clear(self) -> None:
        self._shown += 1
        self._lane.cancel()
        self._player.stop()
        self._clip = None
        self._path = None
        self._canvas.set_clip(None)
        self._info.clear()
        self._reset_clock()

    def _reset_clock(self) -> None:
        self._time.setText(style.clock_pair(0.0, 0.0))

    def toggle_play(self) -> None:
        self._player.toggle()

    def play(self) -> None:
        self._player.play()

    def pause(self) -> None:
        self._player.pause()

    def replay(self) -> None:
        self._player.seek(0.0)
        if not self._player.is_playing:
            self._player.play()

    def seek(self, seconds: float) -> None:
        self._player.seek(seconds)

    def step_back(self) -> None:
        """Left: back a twentieth of the clip (0.1-5 s), so a 3-minute clip can be walked
        without the mouse (the keys did nothing)."""
        self._player.seek(self._player.position - seek_step(self._player.duration))

    def step_forward(self) -> None:
        self._player.seek(self._player.position + seek_step(self._player.duration))

    def to_start(self) -> None:
        self._player.seek(0.0)

    def slower(self) -> None:
        self._player.slower()

    def faster(self) -> None:
        self._player.faster()

    def set_rate(self, rate: float) -> None:
        self._player.set_rate(rate)

    def rate(self) -> float:
        return self._player.rate

    def speed_control(self) -> QComboBox:
        return self._speed

    def set_loop(self, loop: bool) -> None:
        self._loop_button.setChecked(loop)

    def toggle_loop(self) -> None:
        self._loop_button.toggle()

    def set_autoplay(self, autoplay: bool) -> None:
        self._autoplay.setChecked(autoplay)

    def set_volume(self, volume: float) -> None:
        self._volume.setValue(round(volume * 100))

    def is_playing(self) -> bool:
        return self._player.is_playing

    def is_looping(self) -> bool:
        return self._loop_button.isChecked()

    def position(self) -> float:
        return self._player.position

    def duration(self) -> float:
        return self._player.duration

    def canvas(self) -> AudioCanvas:
        return self._canvas

    def player(self) -> ClipPlayer:
        return self._player

    def info_text(self) -> str:  # as read: without the zero-width spaces a name breaks at
        return self._info.text().replace(ZERO_WIDTH_SPACE, "")

    def is_showing_error(self) -> bool:
        return self._stack.currentWidget() is self._placeholder

    def error_text(self) -> str:
        return f"{self._placeholder.title.text()}\n{self._placeholder.reason.text()}"

    def shutdown(self) -> None:
        self._shown += 1  # a hand-over still queued must not show (and announce) after close
        self._player.stop()
        self._lane.shutdown()
        self._ahead.shutdown()
        self._canvas.shutdown()

    # -- slots ----------------------------------------------------------------------------------
    @Slot(object)
    def _on_analysed(self, clip: AudioClip | None) -> None:
        if clip is None or clip.path != self._path:
            return
        self._clip = clip
        self._canvas.set_clip(clip)
        self._info.setText(info_line(clip, self._name))
        if self._player.path != clip.path:  # else it may be playing already: leave it be
            self._player.load(clip.path, clip.duration)
            if self._autoplay.isChecked():
                self._player.play()
        self.loaded.emit(clip.path)

    def _hand_over(self, clip: AudioClip, shown: int) -> None:
        if shown == self._shown:  # nothing else was shown meanwhile
            self._on_analysed(clip)

    @Slot(object, object)
    def _on_analysed_ahead(self, path: Path, clip: AudioClip) -> None:
        if path == self._path and self._clip is None and self._lane.busy:
            self._ahead.take(path)  # asked for before its analysis ahead finished
            self._lane.cancel()
            self._on_analysed(clip)

    @Slot(object)
    def _on_header(self, header: ClipHeader) -> None:
        if header.path != self._path or self._clip is not None:
            return
        self._player.load(header.path, header.duration)
        self._canvas.set_clip(None, header.duration)  # a click seeks before the picture is done
        self._info.setText(f"{breakable(self._name)} — {duration_text(header.duration)} — drawing…")
        if self._autoplay.isChecked():
            self._player.play()

    @Slot(str)
    def _on_analysis_failed(self, message: str) -> None:
        path = self._path
        self.show_error(path.name if path else "", message)
        self.load_failed.emit(path, message)

    @Slot(float)
    def _on_position_changed(self, seconds: float) -> None:
        self._canvas.set_position(seconds)
        self._time.setText(style.clock_pair(seconds, self._player.duration))
        self.position_changed.emit(seconds)

    @Slot(bool)
    def _on_playing_changed(self, playing: bool) -> None:
        # without a device nothing plays: no Pause icon over a frozen clock
        audible = playing and self._player.available is not False
        self._play_button.setIcon(style.icon("pause" if audible else "play"))
        self._canvas.set_playing(playing, self._player.rate)
        self.playing_changed.emit(playing)

    @Slot()
    def _on_ended(self) -> None:
        if self._loop_button.isChecked():
            self._player.seek(0.0)
            self._player.play()

    @Slot(str)
    def _on_unavailable(self, message: str) -> None:
        if self._told_unavailable:
            return
        self._told_unavailable = True
        self._notice.setText(f"⚠ {message}")
        self._notice.show()
        self._play_button.setIcon(style.icon("play"))
        self._play_button.setEnabled(False)
        self._play_button.setToolTip(message)
        self.playback_unavailable.emit(message)

    @Slot(str)
    def _on_playback_failed(self, message: str) -> None:
        self._failure_shown = True
        self._notice.setText(f"⚠ {message}")
        self._notice.show()

    def _hide_failure(self) -> None:
        # A clip the player refused says so until the next clip; "no device" stays.
        if self._failure_shown:
            self._failure_shown = False
            self._notice.hide()

    @Slot(float)
    def _on_rate_changed(self, rate: float) -> None:
        self._speed.setCurrentIndex(RATES.index(rate))
        self._canvas.set_playing(self._player.is_playing, rate)
        self.rate_changed.emit(rate)

    @Slot(int)
    def _on_volume_changed(self, value: int) -> None:
        self._player.set_volume(value / 100.0)

    @guarded
    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)


def _tool_button(icon_name: str, tip: str, *, checkable: bool = False) -> QToolButton:
    button = QToolButton(icon=style.icon(icon_name), toolTip=tip, checkable=checkable,
                         autoRaise=True)  # fmt: skip
    button.setIconSize(button.iconSize().expandedTo(button.iconSize()) * 1.3)
    button.setAccessibleName(tip.split(" (")[0])  # a screen reader read icons with no name
    return button
