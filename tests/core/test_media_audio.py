"""Audio decoding (resampling, long clips, WAV reader) and the analysis views (waveform
envelope, log-mel spectrogram, overviews of long clips)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from memory_trace import traced

from aldesk.core import media
from aldesk.core.errors import MediaError
from aldesk.core.media import audio as media_audio
from aldesk.core.media import spectra
from aldesk.core.media.analysis_window import analysis_span


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_resampling_equals_scipy_default_filter(rate):
    # The filter is designed once per rate pair; the samples must not change because of it.
    from scipy.signal import resample_poly

    from aldesk.core.media.audio import resample

    x = np.random.default_rng(rate).standard_normal(rate // 2).astype(np.float32)
    g = np.gcd(rate, media.ANALYSIS_RATE)
    expected = resample_poly(x, media.ANALYSIS_RATE // g, rate // g)
    for _ in range(2):  # designed, then cached
        assert np.array_equal(resample(x, rate, media.ANALYSIS_RATE), expected)


def test_load_audio_resamples_to_16k_mono(tmp_path):
    sr = 44100
    t = np.arange(sr) / sr
    left = 0.5 * np.sin(2 * np.pi * 440 * t)
    stereo = np.stack([left, left], axis=1).astype(np.float32)
    sf.write(tmp_path / "s.flac", stereo, sr)

    x = media.load_audio(tmp_path / "s.flac")
    assert x.dtype == np.float32 and x.ndim == 1
    assert abs(x.size - media.ANALYSIS_RATE) <= 1
    spectrum = np.abs(np.fft.rfft(x))
    peak_hz = np.argmax(spectrum) * media.ANALYSIS_RATE / x.size
    assert abs(peak_hz - 440) < 2
    assert abs(np.max(np.abs(x[1000:-1000])) - 0.5) < 0.02


def test_load_audio_native_keeps_channels_and_rate(tmp_path):
    data = np.random.default_rng(0).uniform(-0.5, 0.5, (2205, 2)).astype(np.float32)
    sf.write(tmp_path / "n.wav", data, 22050, subtype="FLOAT")
    out, sr = media.load_audio_native(tmp_path / "n.wav")
    assert sr == 22050 and out.shape == (2205, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out, data)
    info = media.audio_info(tmp_path / "n.wav")
    assert (info.samplerate, info.channels, info.format) == (22050, 2, "WAV")
    assert info.duration == pytest.approx(0.1)


@pytest.mark.parametrize("in_memory_seconds", [60.0, 10.0])  # read once / scanned in blocks
@pytest.mark.parametrize("channels", [1, 2])
def test_long_clip_uses_most_energetic_window(tmp_path, monkeypatch, in_memory_seconds, channels):
    from aldesk.core.media import analysis_window, audio

    monkeypatch.setattr(audio, "IN_MEMORY_SCAN_SECONDS", in_memory_seconds)
    monkeypatch.setattr(analysis_window, "IN_MEMORY_SCAN_SECONDS", in_memory_seconds)
    monkeypatch.setattr(analysis_window, "SCAN_READ_HOPS", 7)  # blocks that do not divide the file
    sr = 16000
    x = np.zeros((sr * 30 + 123, channels), np.float32)
    x[sr * 20 : sr * 22] = 0.8  # the only loud part: seconds 20-22
    sf.write(tmp_path / "long.wav", x, sr)
    out = media.load_audio(tmp_path / "long.wav", max_seconds=5)
    assert out.size == 5 * sr
    assert np.count_nonzero(np.abs(out) > 0.5) == 2 * sr
    start, end = analysis_window.analysis_span(tmp_path / "long.wav", 5)
    assert start <= 20 and end >= 22 and end - start == 5  # the viewer's shading says so too
    assert media.load_audio(tmp_path / "long.wav").size == 30 * sr + 123


def test_long_clip_window_is_found_after_five_minutes(tmp_path):
    """A field recording's one event 5.5 minutes in is what the features hear (the scan had
    stopped at 5 minutes and handed them silence)."""
    sr = 8000
    x = np.zeros(sr * 340, np.int16)
    x[sr * 330 : sr * 331] = 20000  # one second of sound, 5:30 in
    sf.write(tmp_path / "field.wav", x, sr, subtype="PCM_16")
    out = media.load_audio(tmp_path / "field.wav", max_seconds=10)
    assert out.size == 10 * media.ANALYSIS_RATE
    assert np.count_nonzero(np.abs(out) > 0.3) > 0.9 * media.ANALYSIS_RATE
    assert analysis_span(tmp_path / "field.wav", 10) is not None
    start, end = analysis_span(tmp_path / "field.wav", 10)
    assert start <= 330 and end >= 331


def _soundfile_analysis(path: Path) -> np.ndarray:
    """What load_audio returns when libsndfile decodes the file."""
    data, rate = sf.read(path, dtype="float32", always_2d=True)
    return media_audio.resample(media_audio._mono(data), rate, media.ANALYSIS_RATE)


@pytest.mark.parametrize("rate,channels", [(16000, 1), (44100, 2), (8000, 3)])
def test_pcm16_wav_is_read_without_libsndfile_and_gives_its_samples(
    tmp_path, monkeypatch, rate, channels
):
    noise = np.random.default_rng(channels).uniform(-1, 1, (rate // 3, channels))
    noise[:4] = [[-1.0], [1.0], [0.0], [-0.5]]  # the int16 extremes and zero
    path = tmp_path / "clip.wav"
    sf.write(path, noise, rate, subtype="PCM_16")
    expected = _soundfile_analysis(path)
    samples, got_rate = media_audio._read_pcm16_wav(path)
    assert got_rate == rate
    assert np.array_equal(samples, sf.read(path, dtype="float32", always_2d=True)[0])

    def no_libsndfile(*args, **kwargs):
        raise AssertionError("a plain PCM WAV went through libsndfile")

    monkeypatch.setattr(media_audio.sf, "SoundFile", no_libsndfile)
    assert np.array_equal(media.load_audio(path), expected)


@pytest.mark.parametrize(
    "fmt,subtype", [("WAV", "FLOAT"), ("WAV", "PCM_24"), ("WAV", "PCM_U8"), ("WAVEX", "PCM_16")]
)
def test_other_wavs_are_decoded_by_soundfile(tmp_path, fmt, subtype):
    noise = np.random.default_rng(1).uniform(-0.9, 0.9, (4000, 2))
    path = tmp_path / "clip.wav"
    sf.write(path, noise, 16000, format=fmt, subtype=subtype)
    assert media_audio._read_pcm16_wav(path) is None
    assert np.array_equal(media.load_audio(path), _soundfile_analysis(path))


def test_cut_off_pcm16_wav_keeps_what_libsndfile_reads(tmp_path):
    path = tmp_path / "cut.wav"
    sf.write(path, np.random.default_rng(2).uniform(-1, 1, 16000), 16000, subtype="PCM_16")
    path.write_bytes(path.read_bytes()[:20000])
    assert media_audio._read_pcm16_wav(path) is None
    out = media.load_audio(path)
    assert 0 < out.size < 16000 and np.array_equal(out, _soundfile_analysis(path))


@pytest.mark.parametrize(
    "content,reason",
    [
        (b"", "empty file (0 bytes)"),
        (b"RIFF\x00\x00 not a wave at all " * 9, "not an audio file"),
        (None, "file not found"),
    ],
)
def test_analysis_decode_of_a_bad_wav_names_the_reason(tmp_path, content, reason):
    path = tmp_path / "bad.wav"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(MediaError) as info:
        media.load_audio(path)
    assert info.value.reason == reason


def test_waveform_envelope_min_max_per_bin():
    x = np.array([0, 1, -1, 2, -3, 0.5, 0, 0], np.float32)
    mins, maxs = media.waveform_envelope(x, 4)
    np.testing.assert_array_equal(mins, [0, -1, -3, 0])
    np.testing.assert_array_equal(maxs, [1, 2, 0.5, 0])
    assert mins.dtype == np.float32 and maxs.dtype == np.float32


def test_waveform_envelope_more_bins_than_samples():
    mins, maxs = media.waveform_envelope(np.array([0.1, -0.2, 0.3], np.float32), 7)
    assert mins.shape == (7,) and maxs.shape == (7,)
    np.testing.assert_array_equal(mins, maxs)  # one sample per bin, repeated to fill gaps
    np.testing.assert_allclose(maxs, [0.1, 0.1, 0.1, -0.2, -0.2, 0.3, 0.3])


def test_log_mel_spectrogram_shape_and_peak_band():
    sr = 16000
    t = np.arange(sr) / sr
    x = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    spec = media.log_mel_spectrogram(x, sr, n_mels=64)
    assert spec.dtype == np.float32 and spec.shape == (64, 101)  # 10 ms hop, centred frames
    # The 1 kHz tone lands in the band whose centre is nearest to 1 kHz.
    centres = spectra._mel_to_hz(np.linspace(0, spectra._hz_to_mel(sr / 2), 66))[1:-1]
    loudest = int(np.argmax(spec[:, 50]))
    assert loudest == int(np.argmin(np.abs(centres - 1000)))
    assert spec.max() - spec.min() <= 80.0 + 1e-3  # top_db floor


def test_log_mel_of_silence_is_flat_not_nan():
    spec = media.log_mel_spectrogram(np.zeros(1600, np.float32), 16000)
    assert np.isfinite(spec).all() and spec.shape[0] == 64


# -- what the viewer draws, in bounded blocks -------------------------------------------------
def test_overview_of_a_short_clip_equals_the_whole_clip_analysis(tmp_path):
    from aldesk.core.media.overview import audio_overview

    rng = np.random.default_rng(1)
    x = (rng.standard_normal((int(16000 * 3.3), 2)) * 0.2).astype(np.float32)
    sf.write(tmp_path / "s.wav", x, 16000, subtype="FLOAT")
    ov = audio_overview(tmp_path / "s.wav", n_bins=512)
    mono = x.mean(axis=1)
    assert ov.exact and ov.channels == 2 and ov.frames == x.shape[0]
    np.testing.assert_allclose(ov.mel_db, spectra.log_mel_spectrogram(mono, 16000, 64), atol=1e-3)
    # the envelope spans every channel's samples
    np.testing.assert_array_equal(ov.mins, spectra.waveform_envelope(x.min(axis=1), 512)[0])
    np.testing.assert_array_equal(ov.maxs, spectra.waveform_envelope(x.max(axis=1), 512)[1])


def _silent_flac(path: Path, rate: int, seconds: int) -> Path:
    with sf.SoundFile(path, "w", rate, 1, subtype="PCM_16") as f:
        minute = np.zeros(rate * 60, dtype=np.int16)
        for _ in range(seconds // 60):
            f.write(minute)
    return path


_SLOW = pytest.mark.skipif(not os.environ.get("ALDESK_SLOW"), reason="long: ALDESK_SLOW=1")


@pytest.mark.parametrize(
    ("rate", "seconds"),
    [(8000, 3600), (44100, 300), pytest.param(44100, 3600, marks=_SLOW)],
)
def test_hour_long_clip_is_drawn_from_bounded_blocks(tmp_path, monkeypatch, rate, seconds):
    """A one-hour silent FLAC (490 KB) took 16 GB to display: the viewer decoded it whole.
    The overview reads blocks of BLOCK_FRAMES and returns fixed-size arrays."""
    from aldesk.core.media import overview

    path = _silent_flac(tmp_path / "long.flac", rate, seconds)
    reads: list[int] = []
    original_read = sf.SoundFile.read

    def spy(self, frames=-1, *args, **kwargs):
        out = original_read(self, frames, *args, **kwargs)
        reads.append(len(out))
        return out

    monkeypatch.setattr(sf.SoundFile, "read", spy)
    ov, _, peak = traced(lambda: overview.audio_overview(path))
    assert ov.frames == rate * seconds and ov.duration == pytest.approx(seconds)
    assert ov.mins.shape == ov.maxs.shape == (4096,)
    assert ov.mel_db.shape == (64, 2048) and not ov.exact
    assert np.isfinite(ov.mel_db).all() and not ov.maxs.any()
    assert reads and max(reads) <= overview.BLOCK_FRAMES
    # Whole-clip float32 samples alone would be 115 MB (8 kHz) / 53 MB (5 min at 44.1 kHz).
    assert peak < 40_000_000, f"{peak / 1e6:.0f} MB traced"


def test_overview_finds_a_click_in_a_long_clip_and_can_be_stopped(tmp_path):
    from aldesk.core.media.overview import audio_overview

    rate = 8000
    x = np.zeros(rate * 120, dtype=np.float32)
    x[rate * 90 + 17] = 0.9  # one sample at 1:30
    sf.write(tmp_path / "click.wav", x, rate, subtype="FLOAT")
    ov = audio_overview(tmp_path / "click.wav", n_bins=1000)
    assert int(np.argmax(ov.maxs)) == 750 and ov.maxs.max() == pytest.approx(0.9)
    calls = []
    stopped = audio_overview(tmp_path / "click.wav", should_stop=lambda: calls.append(1) or True)
    assert stopped is None and len(calls) == 1


def test_overview_draws_nan_and_inf_samples_as_silence(tmp_path):
    from aldesk.core.media.overview import audio_overview

    x = np.full(16000, 0.25, dtype=np.float32)
    x[100:200], x[300] = np.nan, np.inf
    sf.write(tmp_path / "nan.wav", x, 16000, subtype="FLOAT")
    ov = audio_overview(tmp_path / "nan.wav")
    assert np.isfinite(ov.mel_db).all() and np.isfinite(ov.mins).all()
    assert ov.maxs.max() == pytest.approx(0.25)


def test_overview_of_a_float_file_with_absurd_samples_keeps_its_spectrogram(tmp_path):
    """A damaged float WAV can hold ±3e38: the spectrum's power overflowed float32, the
    spectrogram became one value (and NaN once drawn). Such samples are drawn at a limit."""
    import warnings

    from aldesk.core.media.audio import MAX_SAMPLE
    from aldesk.core.media.overview import audio_overview

    t = np.arange(16000, dtype=np.float32) / 16000
    x = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    x[5000], x[12000] = 3e38, -3e38
    sf.write(tmp_path / "huge.wav", x, 16000, subtype="FLOAT")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow is a failure, not a warning
        ov = audio_overview(tmp_path / "huge.wav")
    assert np.isfinite(ov.mel_db).all() and ov.mel_db.std() > 1.0
    assert ov.maxs.max() == pytest.approx(MAX_SAMPLE)


def test_frequency_axis_positions_follow_the_mel_bands():
    from aldesk.core.media.overview import format_hz, frequency_ticks, mel_axis_fraction

    # A band's centre frequency sits at the middle of its row.
    fb = spectra.mel_filterbank(16000, 512, 64)
    centre_bin = int(np.argmax(fb[20]))
    centre_hz = centre_bin * 16000 / 512
    assert mel_axis_fraction(centre_hz, 16000, 64) == pytest.approx(20.5 / 64, abs=0.5 / 64)
    ticks = frequency_ticks(16000, 64, height=200)
    assert [format_hz(hz) for hz, _ in ticks] == ["5 kHz", "2 kHz", "1 kHz", "500 Hz", "200 Hz"]
    fracs = [f for _, f in ticks]
    assert fracs == sorted(fracs, reverse=True)
    assert all(a - b >= 16 / 200 for a, b in zip(fracs, fracs[1:], strict=False))
    assert format_hz(1500) == "1.5 kHz" and format_hz(50) == "50 Hz"


@pytest.mark.parametrize(("samplerate", "top"), [(96000, 30000), (8000, 3000), (44100, 15000)])
def test_the_top_of_a_spectrogram_has_a_label_too(samplerate, top):
    """A 96 kHz clip's axis stopped at 20 kHz: its ultrasonic calls (20-48 kHz, the reason to
    record at 96 kHz) had no scale; an 8 kHz clip's stopped at 2 of its 4 kHz, and a 44.1 kHz
    clip's at 10 of its 22 kHz."""
    from aldesk.core.media.overview import frequency_ticks

    ticks = frequency_ticks(samplerate, 64, height=250)
    assert ticks[0][0] >= top
    fracs = [f for _, f in ticks]
    assert all(a - b >= 16 / 250 for a, b in zip(fracs, fracs[1:], strict=False))
    assert fracs[0] <= 1 - 8 / 250  # clear of the top edge


def _stereo(tmp_path: Path, left: np.ndarray, right: np.ndarray, name: str) -> Path:
    sf.write(tmp_path / name, np.stack([left, right], axis=1).astype(np.float32), 16000,
             subtype="FLOAT")  # fmt: skip
    return tmp_path / name


def test_channels_in_reverse_phase_are_heard_not_cancelled(tmp_path):
    """The right channel the left one inverted: the channel mean was silence, so the viewer
    read -96 dBFS over a black spectrogram and the model called a strings clip brass."""
    from aldesk.core.media.overview import audio_overview

    t = np.arange(16000) / 16000
    tone = 0.9 * np.sin(2 * np.pi * 440 * t)
    path = _stereo(tmp_path, tone, -tone, "antiphase.wav")
    x = media.load_audio(path)
    assert abs(float(np.abs(x[1000:-1000]).max()) - 0.9) < 0.02  # the left channel, not 0
    ov = audio_overview(path)
    assert ov.maxs.max() > 0.85 and ov.mins.min() < -0.85
    assert ov.mel_db.max() - ov.mel_db.min() > 40  # a tone, not a flat black picture
    together = media.load_audio(_stereo(tmp_path, tone, tone * 0.5, "inphase.wav"))
    assert abs(float(np.abs(together[1000:-1000]).max()) - 0.675) < 0.02  # still the mean


def test_one_clipped_channel_shows_at_full_scale(tmp_path):
    """Left clipped, right silent: the mean peaked at -6 dBFS, and "(clipped?)" never showed."""
    from aldesk.core.media.overview import audio_overview

    t = np.arange(16000) / 16000
    left = np.clip(1.5 * np.sin(2 * np.pi * 220 * t), -1.0, 1.0)
    ov = audio_overview(_stereo(tmp_path, left, np.zeros_like(left), "left.wav"))
    assert ov.maxs.max() >= 0.999 and ov.mins.min() <= -0.999


def test_a_wav_cut_off_after_a_few_samples_is_flagged_and_a_click_is_not(tmp_path) -> None:
    """A 60-byte WAV (its header and 8 samples of a 0.37-s clip) was an item like any other,
    its features those of silence; a 20-ms click is a real sound."""
    load_audio = media_audio.load_audio
    whole = tmp_path / "whole.wav"
    sf.write(whole, np.full(6000, 0.3, np.float32), 16000, subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[:60])
    with pytest.raises(MediaError, match=r"too short to hold a sound \(0\.5 ms\)"):
        load_audio(cut)
    click = tmp_path / "click.wav"
    sf.write(click, np.full(320, 0.3, np.float32), 16000, subtype="PCM_16")
    assert load_audio(click).shape == (320,)


def test_new_says_which_files_the_features_found_unreadable(tmp_path, capsys) -> None:
    """The scan reads headers only: `aldesk new` said "0 unreadable", then listed files it
    had no features for, and status said "missing or unreadable 1"."""
    from aldesk.cli import main

    pool = tmp_path / "pool"
    pool.mkdir()
    rng = np.random.default_rng(0)
    for k in range(4):
        sf.write(pool / f"ok{k}.wav", 0.1 * rng.standard_normal(8000), 16000, subtype="PCM_16")
    sf.write(pool / "tiny.wav", np.full(8, 0.3), 16000, subtype="PCM_16")
    assert main(["new", str(tmp_path / "p"), "--pool", str(pool), "--classes", "a,b",
                 "--features", "pool", "--test-size", "0"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "(0 unreadable" in out  # by its header the file is a WAV...
    assert "1 more file flagged unreadable while their features were read" in out
    assert "no features for tiny.wav: too short to hold a sound (0.5 ms)" in out
