"""A WAV header's own claim of its length (libsndfile reports only what is present)."""

from __future__ import annotations

import numpy as np
import soundfile as sf

from aldesk.core.media.wav_header import header_frames


def test_the_header_is_read_whatever_the_sample_format_and_extra_chunks(tmp_path) -> None:
    for subtype, channels in (("PCM_16", 1), ("PCM_24", 2), ("FLOAT", 6), ("PCM_U8", 1)):
        path = tmp_path / f"{subtype}.wav"
        sf.write(path, np.zeros((300, channels), np.float32), 8000, subtype=subtype)
        assert header_frames(path) == 300
    odd = tmp_path / "list.wav"  # an odd-sized chunk before "data" is padded to even
    sf.write(odd, np.zeros(10, np.float32), 8000, subtype="PCM_16")
    data = odd.read_bytes()
    fmt_end = data.index(b"data")
    odd.write_bytes(data[:fmt_end] + b"LIST\x03\x00\x00\x00abc\x00" + data[fmt_end:])
    assert header_frames(odd) == 10


def test_what_is_not_a_wav_has_no_claim(tmp_path) -> None:
    flac = tmp_path / "a.flac"
    sf.write(flac, np.zeros(10, np.float32), 8000)
    (tmp_path / "text.wav").write_text("RIFF but not really")
    (tmp_path / "short.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt ")
    assert [header_frames(tmp_path / n) for n in ("a.flac", "text.wav", "short.wav")] == [None] * 3
    assert header_frames(tmp_path / "absent.wav") is None
