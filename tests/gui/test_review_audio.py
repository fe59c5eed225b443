"""The review window on an audio pool: mini waveforms in the list, playback and relabelling."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from aldesk.gui.review import waveforms
from tests.gui.test_review_window import _select_all
from tests.gui.windows import demo_project, open_window


def test_an_audio_list_draws_mini_waveforms_plays_and_relabels(
    qtbot, tmp_path, monkeypatch
) -> None:
    store, truth = demo_project(tmp_path, "audio", per_class=3, batch=4)
    window = open_window(qtbot, store)
    threads = set()
    original = waveforms.audio_envelope

    def spy(path, n_bins):
        threads.add(threading.get_ident())
        return original(path, n_bins)

    monkeypatch.setattr(waveforms, "audio_envelope", spy)
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)  # View ▸ Review
    review = window.review_window
    qtbot.waitUntil(review.isVisible)
    assert review.view.viewMode() == review.view.ViewMode.ListMode
    assert review.model.rowCount() == len(truth)
    first = review.model.rows()[0].item_id
    review.model.data(review.model.index(0), Qt.ItemDataRole.DecorationRole)
    qtbot.waitUntil(lambda: review.loader.pixmap(first) is not None)
    assert threads and threading.get_ident() not in threads  # envelopes read on the worker
    wave = review.loader.pixmap(first).toImage()
    assert wave.size() == waveforms.WAVE_SIZE
    ink = QColor(waveforms.WAVE_COLOUR).rgb()
    columns = {x for x in range(wave.width()) for y in range(wave.height())
               if wave.pixel(x, y) == ink}  # fmt: skip
    assert len(columns) == wave.width()  # a line in every column: the clip's envelope
    assert review.loader.durations[first] > 0
    # Space plays the current clip, again pauses it; a click plays the clicked one
    review.view.setCurrentIndex(review.model.index(0))
    review.view.setFocus()
    qtbot.keyClick(review.view, Qt.Key.Key_Space)
    player = review.player.player
    assert review.player.item_id == first and player.is_playing
    assert player.path == review.store.abspath(review.store.item(first))
    qtbot.keyClick(review.view, Qt.Key.Key_Space)
    assert not player.is_playing
    qtbot.waitUntil(lambda: review.view.visualRect(review.model.index(2)).isValid())
    rect = review.view.visualRect(review.model.index(2))
    qtbot.mouseClick(review.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert review.player.item_id == review.model.rows()[2].item_id and player.is_playing
    _select_all(qtbot, review)
    qtbot.mouseClick(review.skip_button, Qt.MouseButton.LeftButton)
    assert {ev.action for ev in store.answers().values()} == {"skip"}
    assert len(store.answers()) == len(truth)
    window.close()


def test_a_quiet_clips_mini_waveform_is_drawn_small(qtbot) -> None:
    """A -61 dBFS clip was drawn as tall as a loud one; the viewer lifts a clip by 40 dB at
    most, and the list now does too."""
    import numpy as np

    from aldesk.gui.review.waveforms import WAVE_SIZE, draw_waveform

    def drawn_rows(peak: float) -> int:
        high = np.full(400, peak, dtype=np.float32)
        image = draw_waveform(-high, high)
        return sum(any(image.pixelColor(x, y).alpha() for x in range(WAVE_SIZE.width()))
                   for y in range(WAVE_SIZE.height()))  # fmt: skip

    loud, quiet = drawn_rows(0.5), drawn_rows(10 ** (-61 / 20))
    assert loud == WAVE_SIZE.height() and quiet <= 0.15 * loud  # 9 % of full scale


def test_a_list_row_names_the_clip_by_its_path_in_the_pool(qtbot) -> None:
    """Only the file's name was shown, though the list is sorted by path: recorders restart
    at ZOOM0001 in every folder, and "sort by name" looked unsorted."""
    from pathlib import Path

    from aldesk.core.review_rows import ReviewRow
    from aldesk.gui.review.model import ReviewModel

    model = ReviewModel(lambda _id: Path("/nowhere"), loader=None)
    model.set_rows([ReviewRow(1, "site B/2024-06-01/ZOOM0001.WAV", "pool", "unseen")])
    assert model.data(model.index(0)).splitlines()[0] == "site B/2024-06-01/ZOOM0001.WAV"


def test_mini_waveforms_keep_their_size_on_a_scaled_screen(qtbot, monkeypatch) -> None:
    """Thumbnails follow the window's pixel ratio; the waveforms, drawn at a fixed size in the
    window's own pixels, must not (at 200 % they would show at half size)."""
    from PySide6.QtWidgets import QWidget

    from aldesk.gui.review.waveforms import WaveformLoader

    host = QWidget()
    qtbot.addWidget(host)
    monkeypatch.setattr(host, "devicePixelRatioF", lambda: 2.0)
    assert WaveformLoader(host).scale == 1.0
