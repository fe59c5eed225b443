"""A WAV whose header was never finished (a recorder that lost power mid-take): the data chunk
claims 0 bytes, or the length at its last update, and the whole take follows it. It was
flagged "no audio frames" (or read as the claimed part) though every sample was on disk."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import soundfile as sf

from aldesk.core.errors import MediaError
from aldesk.core.media import audio
from aldesk.core.media.analysis_window import analysis_span
from aldesk.core.media.overview import audio_overview
from aldesk.core.media.wav_header import data_chunk, unclaimed_frames, unfinished_data

RATE = 16000


def take(path, seconds: float, rate: int = RATE, channels: int = 1, subtype: str = "PCM_16"):
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * 440 * t) * np.linspace(0.2, 1.0, len(t))
    sf.write(path, np.repeat(tone[:, None], channels, 1).astype(np.float32), rate, subtype=subtype)
    return path


def claim(path, dst, data_bytes: int, riff: int | None = None):
    """A copy of ``path`` whose data chunk claims ``data_bytes`` (and RIFF size ``riff``)."""
    raw = bytearray(path.read_bytes())
    at = raw.index(b"data")
    raw[at + 4 : at + 8] = struct.pack("<I", data_bytes)
    if riff is not None:
        raw[4:8] = struct.pack("<I", riff)
    dst.write_bytes(bytes(raw))
    return dst


@pytest.mark.parametrize(
    ("seconds", "rate", "channels", "subtype"),
    [(2.0, RATE, 1, "PCM_16"), (1.5, 48000, 2, "PCM_24"), (70.0, 8000, 1, "PCM_16")],
)
def test_a_take_whose_header_claims_nothing_is_read_whole(
    tmp_path, seconds, rate, channels, subtype
):
    """Short 16-bit (the standard-library reader), 24-bit stereo and a 70-s clip (libsndfile)."""
    good = take(tmp_path / "good.wav", seconds, rate, channels, subtype)
    lost = claim(good, tmp_path / "lost.wav", 0, riff=0)
    before = lost.read_bytes()
    audio.probe_audio(lost)
    info = audio.audio_info(lost)
    assert info.duration == pytest.approx(seconds) and info.unfinished_header
    assert not audio.audio_info(good).unfinished_header
    np.testing.assert_array_equal(audio.load_audio(lost), audio.load_audio(good))
    np.testing.assert_array_equal(audio.load_audio(lost, max_seconds=1.0),
                                  audio.load_audio(good, max_seconds=1.0))  # fmt: skip
    np.testing.assert_array_equal(
        audio.load_audio_native(lost)[0], audio.load_audio_native(good)[0]
    )
    assert audio_overview(lost).frames == audio_overview(good).frames == int(seconds * rate)
    assert analysis_span(lost, 1.0) == analysis_span(good, 1.0)
    assert lost.read_bytes() == before  # read through a patched view: the file is not written


def test_a_header_updated_part_way_is_read_as_it_claims(tmp_path):
    """A recorder that rewrote its header every few seconds claims the length at the last one:
    the player (FFmpeg) stops there, so the clip analysed is that length too, and how much
    follows is measured (the viewer says it)."""
    good = take(tmp_path / "good.wav", 3.0)
    part = claim(good, tmp_path / "part.wav", RATE * 2)  # 1 s of the 3 s
    assert unfinished_data(part) is None
    assert unclaimed_frames(data_chunk(part)) == 2 * RATE
    assert unclaimed_frames(data_chunk(good)) == 0
    info = audio.audio_info(part)
    assert info.duration == pytest.approx(1.0) and not info.unfinished_header


def test_a_half_written_last_frame_is_left_out(tmp_path):
    good = take(tmp_path / "good.wav", 1.0, channels=2)
    lost = claim(good, tmp_path / "lost.wav", 0)
    lost.write_bytes(lost.read_bytes() + b"\x01\x02\x03")  # 3 of a frame's 4 bytes
    samples, rate = audio.load_audio_native(lost)
    np.testing.assert_array_equal(samples, audio.load_audio_native(good)[0])


def test_whole_cut_short_and_chunk_followed_files_are_left_as_they_are(tmp_path):
    good = take(tmp_path / "good.wav", 1.0)
    raw = good.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(raw[: len(raw) // 2])
    tagged = tmp_path / "tagged.wav"  # a LIST chunk after the samples is metadata, not audio
    tagged.write_bytes(raw + b"LIST\x04\x00\x00\x00INFO")
    empty = claim(good, tmp_path / "empty.wav", 0)  # a 0-byte take with metadata after it
    empty.write_bytes(empty.read_bytes()[:44] + b"LIST\x04\x00\x00\x00INFO")
    growing = claim(good, tmp_path / "growing.wav", 0xFFFFFFFF)  # libsndfile reads it to the end
    for path in (good, cut, tagged, empty, growing):
        assert unfinished_data(path) is None, path.name
    assert audio.audio_info(tagged).duration == pytest.approx(1.0)
    with pytest.raises(MediaError, match="no audio frames"):
        audio.probe_audio(empty)


def test_the_repaired_file_is_closed_with_the_clip(tmp_path):
    """Reading goes through an open file of our own: every open of it is closed again."""
    import os

    lost = claim(take(tmp_path / "good.wav", 1.0), tmp_path / "lost.wav", 0)
    fds = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        audio.audio_info(lost)
        audio.load_audio_native(lost)
    assert len(os.listdir("/proc/self/fd")) == fds


def test_a_take_whose_first_samples_spell_letters_is_still_read(tmp_path):
    """The first four sample bytes of a loud 16-bit take ("AAAA": 0x4141 per sample) or of an
    8-bit one just under its midpoint (0x7e) were taken for a chunk after the data."""
    loud = np.full((RATE, 2), 0x4141 / 32768, dtype=np.float32)
    sf.write(tmp_path / "loud.wav", loud, RATE, subtype="PCM_16")
    low = np.full(RATE, (0x7E - 128) / 128, dtype=np.float32)
    sf.write(tmp_path / "low.wav", low, RATE, subtype="PCM_U8")
    for name in ("loud", "low"):
        lost = claim(tmp_path / f"{name}.wav", tmp_path / f"{name}_lost.wav", 0)
        assert lost.read_bytes()[44:48] in (b"AAAA", b"~~~~")
        info = audio.audio_info(lost)
        assert info.unfinished_header and info.duration == pytest.approx(1.0), name
