"""The waveform's time axis reads in a unit a person can take in, whatever the clip's length."""

from __future__ import annotations

import pytest

from aldesk.gui.viewers.audio_canvas import _tick_step, _time_label


@pytest.mark.parametrize(
    ("duration", "width", "expected"),
    [
        (2.3e-5, 700, ["0 ms", "0.005 ms", "0.01 ms"]),  # one sample at 44.1 kHz: "5e-06 s"
        (0.3, 700, ["0 ms", "50 ms", "100 ms"]),
        (12.0, 700, ["0 s", "2 s", "4 s"]),
        (200.0, 700, ["0:00", "0:20", "0:40"]),
    ],
)
def test_ticks_are_labelled_in_a_readable_unit(duration, width, expected) -> None:
    step = _tick_step(duration, width)
    assert [_time_label(k * step, duration) for k in range(3)] == expected
