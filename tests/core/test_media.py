"""Media decoding: kinds, image orientation and draft decode, the reasons bad files are refused.

Audio decoding and analysis views: ``test_media_audio.py``; display decodes of huge images in
bounded memory: ``test_media_large_images.py``."""

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
from aldesk.core.media import format_samples
from tests.core.pool_files import png_chunk


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height (RGB); decoding it would need GBs."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
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
    unsupported = media.UNSUPPORTED_EXTS.get(suffix, (None, ""))[0]
    expected = (
        "image" if suffix in media.IMAGE_EXTS
        else "audio" if suffix in media.AUDIO_EXTS else unsupported
    )  # fmt: skip
    assert media.media_kind(name) == expected


def test_every_accepted_extension_has_a_sample_the_selfcheck_decodes():
    assert set(format_samples.IMAGE_SAMPLES) == media.IMAGE_EXTS
    assert set(format_samples.AUDIO_SAMPLES) == media.AUDIO_EXTS


def test_every_accepted_format_decodes(tmp_path):
    written = format_samples.write_image_samples(tmp_path) + format_samples.write_audio_samples(
        tmp_path
    )
    for path in written:
        kind = media.media_kind(path)
        media.probe(path, kind)
        if kind == "image":
            assert media.load_image(path).size == (48, 40), path.name
        else:
            clip = media.load_audio(path)
            assert clip.shape[0] == pytest.approx(1.5 * media.ANALYSIS_RATE, abs=400), path.name
            assert 0.05 < np.abs(clip).max() < 0.5, path.name  # the tone, not silence or noise


@pytest.mark.parametrize(("name", "kind", "what"), [("voice.M4A", "audio", "AAC / M4A"),
                         ("phone.heic", "image", "HEIC"), ("shot.CR2", "image", "camera raw"),
                         ("web.avif", "image", "AVIF")])  # fmt: skip
def test_unreadable_formats_are_listed_with_what_to_do(tmp_path, name, kind, what):
    """A common format neither decoder reads is an item flagged with the reason, never skipped
    in silence: a folder of phone recordings must not look empty."""
    path = tmp_path / name
    path.write_bytes(b"\0\0\0\x18ftypheic" + bytes(200))
    assert media.media_kind(path) == kind
    reason = _reason(path, kind)
    assert what in reason and "not supported: convert to" in reason


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


def test_truncated_mp3(tmp_path):
    noise = np.random.default_rng(0).normal(0, 0.1, 32000).astype(np.float32)
    sf.write(tmp_path / "good.mp3", noise, 16000, format="MP3")
    data = (tmp_path / "good.mp3").read_bytes()
    (tmp_path / "cut.mp3").write_bytes(data[: len(data) // 2])
    assert _reason(tmp_path / "cut.mp3", "audio") == "truncated file"


def test_good_mp3_probes_quietly(tmp_path, capfd):
    """libmpg123 prints decode errors when libsndfile reads an MP3 on after a partial read or
    a seek; probing a good file must not fill the user's terminal with them."""
    rng = np.random.default_rng(0)
    for i, length in enumerate((9000, 13726, 20000)):
        t = np.arange(length) / 16000
        voiced = 0.3 * np.sin(2 * np.pi * 150 * t) * (1 + np.sin(2 * np.pi * 3 * t))
        for j, clip in enumerate(
            (rng.normal(0, 0.1, length), voiced + rng.normal(0, 0.05, length))
        ):
            path = tmp_path / f"{i}-{j}.mp3"
            sf.write(path, clip.astype(np.float32), 16000)
            media.probe(path, "audio")
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("length", [8000, 9009, 12345])
def test_ogg_ending_in_silence_is_whole(tmp_path, length):
    """Vorbis seeks land late after trailing silence, so the tail probe reads a little short
    of the end; a good clip must not be flagged "truncated" for that."""
    rng = np.random.default_rng(length)
    clip = np.concatenate([rng.normal(0, 0.1, length - 2000), np.zeros(2000)]).astype(np.float32)
    path = tmp_path / "speech.ogg"
    sf.write(path, clip, 16000)
    media.probe(path, "audio")
    assert media.audio_info(path).duration == pytest.approx(length / 16000)


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
