"""The waveform's time axis reads in a unit a person can take in, whatever the clip's length."""

from __future__ import annotations

import pytest

from aldesk.gui.viewers.time_view import tick_step, time_label


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
    step = tick_step(duration, width)
    assert [time_label(k * step, duration) for k in range(3)] == expected


def test_a_zoomed_span_of_a_long_clip_labels_its_ticks_apart() -> None:
    """Zoomed to a second of a 10-minute recording, every tick read "6:40"."""
    step = tick_step(0.5, 700)
    assert [time_label(400 + k * step, 600.0, step) for k in range(3)] == [
        "6:40.00", "6:40.05", "6:40.10"]  # fmt: skip
    assert time_label(3600.5, 4000.0, 0.5) == "1:00:00.5"
    deepest = tick_step(0.0058, 1100)  # 256 samples of a 44.1 kHz clip: ticks 0.5 ms apart
    labels = [time_label(400.194 + k * deepest, 600.0, deepest) for k in range(6)]
    assert len(set(labels)) == 6, labels  # read "6:40.196" three times
    assert time_label(12.0002, 30.0, 0.0002) == "12.0002 s"
    assert time_label(400.0, 600.0, 5.0) == "6:40"
