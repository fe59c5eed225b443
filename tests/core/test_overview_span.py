"""A span of a clip drawn on its own (a zoomed view): the file's own samples, a spectrogram
column per hop, whatever the clip's length."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from aldesk.core.media.overview import audio_overview

RATE = 8000


@pytest.mark.parametrize(
    ("first", "frames"), [(RATE * 100, RATE // 2), (0, 300), (RATE * 119, RATE * 5)]
)
def test_a_span_holds_the_file_s_samples_and_a_column_per_hop(tmp_path, first, frames) -> None:
    x = np.random.default_rng(1).uniform(-0.5, 0.5, RATE * 120).astype(np.float32)
    sf.write(tmp_path / "long.wav", x, RATE, subtype="FLOAT")
    ov = audio_overview(
        tmp_path / "long.wav", n_bins=frames, max_columns=2048, span=(first, frames)
    )
    part = x[first : first + frames]  # the last span runs past the end: cut at it
    assert ov.frames == len(part)
    np.testing.assert_array_equal(ov.mins, part[: len(ov.mins)])  # one bin a sample
    np.testing.assert_array_equal(ov.maxs, part[: len(ov.maxs)])
    assert ov.exact and 2 <= ov.mel_db.shape[1] <= 2048
    whole = audio_overview(tmp_path / "long.wav", n_bins=4096, max_columns=2048)
    assert not whole.exact  # the whole two minutes: an overview
