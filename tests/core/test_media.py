"""Media decoding: orientation, draft decode, bad-file reasons, audio analysis views."""

from __future__ import annotations

import os
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image, JpegImagePlugin

from aldesk.core import media
from aldesk.core.errors import MediaError
from aldesk.core.media import audio as media_audio
from aldesk.core.media import spectra


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(tag + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height (RGB); decoding it would need GBs."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _noise_png(path: Path, w: int = 40, h: int = 30) -> Path:
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(path)
    return path


def _reason(path: Path, kind: str) -> str:
    with pytest.raises(MediaError) as info:
        media.probe(path, kind)
    return info.value.reason


# ---------------------------------------------------------------- kinds


def test_media_kind_by_extension_case_insensitive():
    assert media.media_kind("a/B.JPEG") == "image"
    assert media.media_kind("x.flac") == "audio"
    assert media.media_kind("notes.txt") is None
    assert ".webp" in media.IMAGE_EXTS and ".aif" in media.AUDIO_EXTS


@pytest.mark.parametrize(
    "name",
    ["a.png", "..png", "...jpg", ".png", "a.", ".", "", "dir.png/", "a.tar.gz", "x/.hid.wav",
     "sub/dir.jpg/file", "a..PNG", "a.png.", "/abs/x.flac", Path("p/q.ogg"), "/", "a\\b.png"],
)  # fmt: skip
def test_media_kind_reads_the_extension_as_a_path_suffix(name):
    # Found from the name's text (not by building a Path per file, a pool walk's main cost),
    # with Path.suffix's rule: names that start with dots, trailing slashes, a dot at the end.
    suffix = Path(name).suffix.lower()
    expected = (
        "image" if suffix in media.IMAGE_EXTS else "audio" if suffix in media.AUDIO_EXTS else None
    )
    assert media.media_kind(name) == expected


# ---------------------------------------------------------------- images


def test_exif_orientation_is_applied(tmp_path):
    # Stored 40 wide x 20 high, left half red; EXIF 6 = "rotate 90° clockwise to view".
    a = np.zeros((20, 40, 3), np.uint8)
    a[:, :20] = (255, 0, 0)
    img = Image.fromarray(a)
    exif = img.getexif()
    exif[0x0112] = 6
    path = tmp_path / "rot.jpg"
    img.save(path, exif=exif, quality=95)

    out = media.load_image(path)
    assert out.size == (20, 40)
    px = np.asarray(out)
    assert px[5, 10, 0] > 200 and px[5, 10, 1] < 60  # red moved to the top
    assert px[35, 10, 0] < 60
    assert media.image_info(path) == (20, 40, "JPEG")


def test_draft_mode_downscales_large_jpeg(tmp_path, monkeypatch):
    path = tmp_path / "big.jpg"
    y, x = np.mgrid[0:1200, 0:1600]
    rgb = np.stack([x % 256, y % 256, (x + y) % 256], axis=2).astype(np.uint8)
    Image.fromarray(rgb).save(path, quality=90)

    drafts = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = original(self, mode, size)
        drafts.append((size, self.size))
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    out = media.load_image(path, max_side=100)
    assert max(out.size) == 100 and out.size == (100, 75)
    # The decoder itself produced a reduced image (1/8 scale = 200x150), not the full 1600x1200.
    assert drafts and drafts[0][1] == (200, 150)


def test_load_image_without_limit_keeps_size(tmp_path):
    path = _noise_png(tmp_path / "a.png")
    assert media.load_image(path).size == (40, 30)
    assert media.image_info(path) == (40, 30, "PNG")


@pytest.mark.parametrize(
    "suffix",
    ["png", "jpg", "bmp", "tiff", "webp", "gif", "multi.tiff", "anim.gif", "anim.webp", "anim.png"],
)
def test_decoded_image_outlives_its_file(tmp_path, suffix):
    # load_image returns the decoded image itself when nothing had to change: it must hold
    # its pixels after the file is closed (and gone), animations and multi-page files included.
    rng = np.random.default_rng(0)
    frames = [Image.fromarray(rng.integers(0, 256, (12, 16), dtype=np.uint8)) for _ in range(3)]
    path = tmp_path / f"img.{suffix}"
    if suffix.startswith(("multi", "anim")):
        frames[0].save(path, save_all=True, append_images=frames[1:])
    else:
        frames[0].save(path)
    with Image.open(path) as ref:
        expected = np.asarray(ref.convert("L"))

    out = media.load_image(path)
    path.unlink()
    assert out.size == (16, 12)
    assert np.array_equal(np.asarray(out.convert("L")), expected)
    assert isinstance(out, Image.Image) and out.mode in ("L", "RGB", "RGBA")


def test_probe_accepts_good_files(tmp_path):
    media.probe(_noise_png(tmp_path / "ok.png"), "image")
    sf.write(tmp_path / "ok.wav", np.zeros(8000, np.float32), 8000)
    media.probe(tmp_path / "ok.wav", "audio")


def test_truncated_png(tmp_path):
    good = _noise_png(tmp_path / "good.png", 200, 200).read_bytes()
    bad = tmp_path / "cut.png"
    bad.write_bytes(good[: len(good) // 2])
    assert _reason(bad, "image") == "truncated file"


def test_truncated_jpeg(tmp_path):
    path = tmp_path / "good.jpg"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (300, 300, 3), np.uint8)).save(path)
    data = path.read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    assert _reason(tmp_path / "cut.jpg", "image") == "truncated file"


def test_truncated_flac(tmp_path):
    noise = np.random.default_rng(0).normal(0, 0.1, 48000).astype(np.float32)
    sf.write(tmp_path / "good.flac", noise, 16000)
    data = (tmp_path / "good.flac").read_bytes()
    (tmp_path / "cut.flac").write_bytes(data[: len(data) // 2])
    assert _reason(tmp_path / "cut.flac", "audio") == "truncated file"


def test_text_file_named_wav(tmp_path):
    path = tmp_path / "fake.wav"
    path.write_text("this is not audio at all\n" * 20)
    assert _reason(path, "audio") == "not an audio file"


def test_text_file_named_png(tmp_path):
    path = tmp_path / "fake.png"
    path.write_text("hello")
    assert _reason(path, "image") == "not an image"


@pytest.mark.parametrize("kind,name", [("image", "e.png"), ("audio", "e.wav")])
def test_zero_byte_file(tmp_path, kind, name):
    path = tmp_path / name
    path.touch()
    assert _reason(path, kind) == "empty file (0 bytes)"


@pytest.mark.parametrize("kind,name", [("image", "gone.png"), ("audio", "gone.wav")])
def test_missing_file(tmp_path, kind, name):
    assert _reason(tmp_path / name, kind) == "file not found"


def test_decompression_bomb_rejected_from_header(tmp_path, monkeypatch):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_claiming(30000, 30000))
    # Decoding must never start: a decode of 30000x30000 RGB would allocate 2.7 GB.
    monkeypatch.setattr(Image.Image, "load", lambda self: pytest.fail("decoded a bomb"))
    assert _reason(path, "image") == "image too large (30000×30000 pixels)"
    with pytest.raises(MediaError, match="too large"):
        media.load_image(path, max_side=64)


def test_image_between_one_and_two_times_the_limit_is_refused(tmp_path):
    # Pillow only warns here; aldesk refuses (10000x10000 = 100 Mpx > 89.5 Mpx).
    path = tmp_path / "big.png"
    path.write_bytes(_png_claiming(10000, 10000))
    assert _reason(path, "image") == "image too large (10000×10000 pixels)"


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads anything")
def test_permission_denied(tmp_path):
    path = _noise_png(tmp_path / "locked.png")
    path.chmod(0)
    try:
        assert _reason(path, "image") == "permission denied"
    finally:
        path.chmod(0o644)


def test_permission_error_from_open_is_reported(tmp_path, monkeypatch):
    # Also covers running as root, where chmod 0 does not stop reads.
    path = _noise_png(tmp_path / "locked.png")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(Image, "open", refuse)
    assert _reason(path, "image") == "permission denied"


@pytest.mark.parametrize("kind,name", [("image", "locked.png"), ("audio", "locked.wav")])
def test_unreadable_file_is_named_by_the_file_check(tmp_path, monkeypatch, kind, name):
    # The decoder fails first; the file check then names the cause (as root, chmod 0 does not
    # stop reads, so os.access stands in for it).
    path = tmp_path / name
    path.write_bytes(b"not really media")
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    assert _reason(path, kind) == "permission denied"


@pytest.mark.parametrize("kind,name", [("image", "d.png"), ("audio", "d.wav")])
def test_folder_named_like_media(tmp_path, kind, name):
    (tmp_path / name).mkdir()
    assert _reason(tmp_path / name, kind) == "is a folder"


# ---------------------------------------------------------------- audio


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
    from aldesk.core.media import audio

    monkeypatch.setattr(audio, "IN_MEMORY_SCAN_SECONDS", in_memory_seconds)
    monkeypatch.setattr(audio, "SCAN_READ_HOPS", 7)  # blocks that do not divide the file
    sr = 16000
    x = np.zeros((sr * 30 + 123, channels), np.float32)
    x[sr * 20 : sr * 22] = 0.8  # the only loud part: seconds 20-22
    sf.write(tmp_path / "long.wav", x, sr)
    out = media.load_audio(tmp_path / "long.wav", max_seconds=5)
    assert out.size == 5 * sr
    assert np.count_nonzero(np.abs(out) > 0.5) == 2 * sr
    assert media.load_audio(tmp_path / "long.wav").size == 30 * sr + 123


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
    mins, maxs = spectra.waveform_envelope(mono, 512)
    np.testing.assert_array_equal(ov.mins, mins)
    np.testing.assert_array_equal(ov.maxs, maxs)


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
    import tracemalloc

    from aldesk.core.media import overview

    path = _silent_flac(tmp_path / "long.flac", rate, seconds)
    reads: list[int] = []
    original_read = sf.SoundFile.read

    def spy(self, frames=-1, *args, **kwargs):
        out = original_read(self, frames, *args, **kwargs)
        reads.append(len(out))
        return out

    monkeypatch.setattr(sf.SoundFile, "read", spy)
    tracemalloc.start()
    try:
        ov = overview.audio_overview(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
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


# -- images for display, in bounded memory ----------------------------------------------------
def _png16_rgb(path: Path, rgb: np.ndarray) -> Path:
    """A 48-bit colour PNG (Pillow cannot write one)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\0" + rgb[y].astype(">u2").tobytes() for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(raw, 1))
        + _png_chunk(b"IEND", b"")
    )
    return path


@pytest.mark.parametrize(
    ("size", "bound", "factor"),
    [((7, 5), 1, 7), ((10_000, 10_000), 16_000_000, 3), ((6000, 4000), 24_000_000, 1),
     ((9000, 9000), 8_000_000, 4), ((1, 100_000), 10, 10_000)],
)  # fmt: skip
def test_reduce_factor_is_the_smallest_that_fits(size, bound, factor):
    from aldesk.core.media.image import reduce_factor

    assert reduce_factor(*size, bound) == factor
    w, h = size
    assert -(-w // factor) * -(-h // factor) <= bound
    if factor > 1:
        assert -(-w // (factor - 1)) * -(-h // (factor - 1)) > bound


def test_display_decode_of_a_16_bit_gray_png_is_scaled_not_clipped(tmp_path):
    from aldesk.core.media.image import load_display_image

    ramp = np.linspace(0, 65535, 600)[None, :].repeat(40, 0).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "g16.png")
    out = np.asarray(load_display_image(tmp_path / "g16.png", 10**6))
    assert out.shape == (40, 600) and out.dtype == np.uint8
    assert out[0, 0] == 0 and out[0, -1] == 255 and abs(int(out[0, 300]) - 128) <= 1


def test_huge_image_is_box_reduced_strip_by_strip(tmp_path, monkeypatch):
    """No whole-image copy: every convert() and reduce() sees a strip, not the picture."""
    from aldesk.core.media import image as media_image

    rgb = np.zeros((300, 500, 3), dtype=np.uint16)
    rgb[:, :250, 0] = 65535  # left half red, right half blue
    rgb[:, 250:, 2] = 65535
    path = _png16_rgb(tmp_path / "rgb16.png", rgb)
    converted: list[int] = []
    for name in ("convert", "reduce"):
        original = getattr(Image.Image, name)

        def spy(self, *args, _original=original, **kwargs):
            converted.append(self.width * self.height)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Image.Image, name, spy)
    monkeypatch.setattr(media_image, "_STRIP_PIXELS", 10_000)
    out = media_image.load_display_image(path, 20_000)
    assert out.mode == "RGB" and out.size == (167, 100)  # factor 3
    assert out.getpixel((10, 10)) == (255, 0, 0) and out.getpixel((120, 70)) == (0, 0, 255)
    assert converted and max(converted) <= 10_000 + 500 * 3


def test_huge_png_gets_the_smaller_bound_a_jpeg_the_draft(tmp_path, monkeypatch):
    from aldesk.core.media.image import load_display_image

    big = Image.new("RGB", (1600, 1200), (30, 120, 200))
    big.save(tmp_path / "big.png")
    png = load_display_image(tmp_path / "big.png", 500_000, whole_decode_max_pixels=50_000)
    assert png.width * png.height <= 50_000
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    big.save(tmp_path / "big.jpg", exif=exif)
    drafts = []
    original = JpegImagePlugin.JpegImageFile.draft
    monkeypatch.setattr(
        JpegImagePlugin.JpegImageFile,
        "draft",
        lambda self, mode, size: drafts.append(size) or original(self, mode, size),
    )
    jpg = load_display_image(tmp_path / "big.jpg", 500_000, whole_decode_max_pixels=50_000)
    assert drafts and jpg.width * jpg.height <= 500_000
    assert jpg.height > jpg.width  # upright: the EXIF rotation is applied to the small image


def _strip_sources(rng) -> dict[str, Image.Image]:
    noise = rng.integers(0, 256, (53, 41, 4), dtype=np.uint8)
    palette = Image.fromarray(noise[..., :3]).convert("P", palette=Image.Palette.ADAPTIVE)
    return {
        "RGB": Image.fromarray(noise[..., :3]),
        "RGBA": Image.fromarray(noise),
        "L": Image.fromarray(noise[..., 0]),
        "LA": Image.fromarray(noise[..., :2].copy(), "LA"),
        "I;16": Image.fromarray(rng.integers(0, 65536, (53, 41)).astype(np.uint16)),
        "P": palette,
    }


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "I;16", "P"])
def test_png_strips_give_exactly_what_pillow_decodes(tmp_path, mode):
    """Strips of 7 rows (each decoded after the row above it) join into Pillow's whole image:
    the adaptive filters of noise use every PNG filter type across the rows."""
    from aldesk.core.media.png_strips import can_strip, png_strips

    src = _strip_sources(np.random.default_rng(3))[mode]
    path = tmp_path / "n.png"
    src.save(path, transparency=5) if mode == "P" else src.save(path)
    with Image.open(path) as img:
        assert can_strip(img)
        strips = list(png_strips(img, 7))
    with Image.open(path) as ref:
        whole = ref.convert("RGBA") if mode == "P" else ref.copy()
    assert [s.height for s in strips] == [7] * 7 + [4]
    joined = np.concatenate([np.asarray(s.convert("RGBA") if mode == "P" else s) for s in strips])
    np.testing.assert_array_equal(joined, np.asarray(whole))


def test_png_strips_leave_interlaced_and_1_bit_pngs_to_pillow(tmp_path):
    from aldesk.core.media.png_strips import can_strip

    ihdr = struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 1)
    interlaced = (
        b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _png_chunk(b"IEND", b"")
    )  # fmt: skip
    (tmp_path / "i.png").write_bytes(interlaced)
    Image.new("1", (64, 64)).save(tmp_path / "b.png")
    for path in (tmp_path / "i.png", tmp_path / "b.png"):
        with Image.open(path) as img:
            assert not can_strip(img)


def test_huge_png_display_decode_never_holds_the_whole_picture(tmp_path, monkeypatch):
    """The strips are decoded one by one: Pillow's whole-image load() is never called (not by
    the header read either: getexif() on a PNG decodes it whole)."""
    from PIL import ImageFile

    from aldesk.core.media import image as media_image

    rng = np.random.default_rng(5)
    big = np.repeat(rng.integers(0, 256, (60, 80, 3), dtype=np.uint8), 10, axis=0)  # 600 × 80
    Image.fromarray(big).save(tmp_path / "tall.png")
    loads = []
    original = ImageFile.ImageFile.load
    monkeypatch.setattr(
        ImageFile.ImageFile, "load", lambda self: loads.append(self.size) or original(self)
    )
    monkeypatch.setattr(media_image, "_STRIP_PIXELS", 4_000)
    assert media_image.image_info(tmp_path / "tall.png") == (80, 600, "PNG")
    out = media_image.load_display_image(tmp_path / "tall.png", 10_000)
    assert out.size == (27, 200)  # factor 3
    assert all(w * h <= 4_000 + 80 * 3 for w, h in loads)  # strips only, never 80 × 600
    expected = Image.fromarray(big).reduce(3)
    assert np.abs(np.asarray(out, dtype=int) - np.asarray(expected, dtype=int)).max() <= 1


def test_truncated_huge_png_names_the_reason(tmp_path):
    from aldesk.core.media.image import load_display_image

    rng = np.random.default_rng(6)
    Image.fromarray(rng.integers(0, 256, (400, 300, 3), dtype=np.uint8)).save(tmp_path / "t.png")
    data = (tmp_path / "t.png").read_bytes()
    (tmp_path / "t.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError, match="truncated file"):
        load_display_image(tmp_path / "t.png", 10_000)


def _filtered_png16(path: Path, v: np.ndarray, colour_type: int) -> Path:
    """A 16-bit colour PNG whose rows use filters None, Sub, Up and Average in turn, so each row
    depends on the one above (as an encoder's adaptive filtering makes them)."""
    h, w, ch = v.shape
    bpp, prev, rows = 2 * ch, np.zeros(w * 2 * ch, dtype=np.int32), []
    for y in range(h):
        cur = np.frombuffer(v[y].astype(">u2").tobytes(), np.uint8).astype(np.int32)
        left = np.concatenate([np.zeros(bpp, np.int32), cur[:-bpp]])
        kind = y % 4
        pred = [0, left, prev, (left + prev) // 2][kind]
        rows.append(bytes([kind]) + ((cur - pred) % 256).astype(np.uint8).tobytes())
        prev = cur
    ihdr = struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"".join(rows))) + _png_chunk(b"IEND", b"")
    )  # fmt: skip
    return path


@pytest.mark.parametrize(("channels", "colour_type"), [(3, 2), (4, 6)])
def test_png_strips_of_16_bit_colour_match_pillow(tmp_path, channels, colour_type):
    """Pillow keeps the high byte of 16-bit colour; the row carried to the next strip is put
    back together from a second, little-endian decode (any error would spread down the image)."""
    from aldesk.core.media.png_strips import can_strip, png_strips

    rng = np.random.default_rng(8)
    v = np.cumsum(rng.integers(0, 3000, (53, 41, channels)), axis=1) % 65536
    path = _filtered_png16(tmp_path / "c16.png", v, colour_type)
    with Image.open(path) as img:
        assert can_strip(img)
        joined = np.concatenate([np.asarray(s) for s in png_strips(img, 7)])
    with Image.open(path) as ref:
        np.testing.assert_array_equal(joined, np.asarray(ref))
    np.testing.assert_array_equal(joined, (v >> 8).astype(np.uint8))
