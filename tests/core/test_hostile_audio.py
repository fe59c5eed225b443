"""Issue 12 point 1: a float WAV holding NaN, infinity or 1e38 is flagged; its neighbours are not.

Also: a GSM 6.10 WAV (which libsndfile cannot seek in) decodes, and feature rows that are not
finite are never cached.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from aldesk.cli import main
from aldesk.core.features import ensure_features, extractors
from aldesk.core.features.cache import FeatureCache
from aldesk.core.media import load_audio, probe
from aldesk.core.store import ProjectStore
from tests.core.feature_files import audio_files

RATE = 16000


def _tone(freq: float, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def hostile_wavs(folder: Path) -> dict[str, Path]:
    """Float WAVs that decode, each holding one kind of invalid sample."""
    bad = {}
    for name, value in (("nan", np.nan), ("inf", np.inf), ("neginf", -np.inf), ("huge", 1e38)):
        x = _tone(440.0)
        x[1000:1100] = value
        bad[name] = folder / f"{name}.wav"
        sf.write(bad[name], x, RATE, subtype="FLOAT")
    return bad


def test_invalid_samples_are_flagged_and_their_batch_is_extracted(tmp_path: Path) -> None:
    good = [p for _, p in audio_files(tmp_path, n=6)]
    bad = hostile_wavs(tmp_path)
    items = [good[0], bad["nan"], good[1], bad["inf"], good[2], bad["huge"], *good[3:]]
    items.insert(4, bad["neginf"])

    ok, X, failed = extractors.extract_batch("audio", items, None)

    assert [items[i] for i in ok] == good
    assert X.shape == (len(good), extractors.dim("audio")) and np.isfinite(X).all()
    assert {items[i].stem: reason for i, reason in failed.items()} == {
        "nan": "the audio holds invalid samples (NaN or infinite values)",
        "inf": "the audio holds invalid samples (NaN or infinite values)",
        "neginf": "the audio holds invalid samples (NaN or infinite values)",
        "huge": "the audio holds invalid samples (values far out of range)",
    }


def test_one_item_the_batch_computation_fails_on_costs_only_itself() -> None:
    # Arrays skip the decoder's check: the batched computation meets the NaN itself.
    clips = [_tone(300.0), _tone(500.0), _tone(700.0)]
    clips[1][100:200] = np.nan

    ok, X, failed = extractors.extract_batch("audio", clips, None)

    assert ok == [0, 2] and np.isfinite(X).all() and list(failed) == [1]


def test_rows_that_are_not_finite_are_flagged_not_returned(monkeypatch) -> None:
    real = extractors.compute

    def one_nan_row(kind, prepared, state):
        X = real(kind, prepared, state)
        X[1, 3] = np.nan
        return X

    monkeypatch.setattr(extractors, "compute", one_nan_row)
    ok, X, failed = extractors.extract_batch("audio", [_tone(300.0), _tone(500.0)], None)

    assert ok == [0] and X.shape[0] == 1 and failed == {1: extractors.NOT_FINITE}


def test_the_cache_refuses_rows_that_are_not_finite(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path / "c", dim=3)
    with pytest.raises(ValueError, match="NaN"):
        cache.append(["a"], np.array([[1.0, np.inf, 0.0]], dtype=np.float32))
    assert len(FeatureCache(tmp_path / "c", dim=3)) == 0


def test_ensure_features_caches_the_good_clips_and_flags_the_bad(tmp_path: Path) -> None:
    files = audio_files(tmp_path, n=5)
    bad = hostile_wavs(tmp_path)
    files += [(f"bad-{name}", path) for name, path in bad.items()]

    result = ensure_features(tmp_path / "cache", "audio", files, workers=0)

    assert result.features.hashes == [h for h, _ in files[:5]]
    assert set(result.failed) == {f"bad-{name}" for name in bad}
    again = ensure_features(tmp_path / "cache", "audio", files, workers=0)
    assert np.isfinite(again.features.X).all() and len(again.features) == 5


def test_a_gsm610_wav_is_read(tmp_path: Path) -> None:
    path = tmp_path / "gsm.wav"
    sf.write(path, _tone(440.0, seconds=2.0)[::2], 8000, subtype="GSM610", format="WAV")
    probe(path, "audio")
    x = load_audio(path, max_seconds=10.0)
    assert x.shape == (32000,) and np.abs(x).max() > 0.05  # 2 s at 16 kHz, not silence


def _tone_pool(tmp_path: Path) -> tuple[Path, list[str]]:
    """A pool of 12 tones, low and high, and the rows of its labels file (header first)."""
    pool = tmp_path / "pool"
    pool.mkdir()
    rows = ["path,label"]
    for i in range(12):
        sf.write(pool / f"c{i:02d}.wav", _tone(250.0 + 400 * (i % 2) + 10 * i), RATE)
        rows.append(f"c{i:02d}.wav,{'low' if i % 2 == 0 else 'high'}")
    return pool, rows


def test_cli_new_simulate_and_export_work_on_a_pool_with_invalid_samples(
    tmp_path: Path, capsys
) -> None:
    pool, rows = _tone_pool(tmp_path)
    for path in hostile_wavs(pool).values():
        rows.append(f"{path.name},low")
    labels = tmp_path / "labels.csv"
    labels.write_text("\n".join(rows) + "\n")
    project = tmp_path / "p"
    common = ["--features", "pool"]

    assert main(["new", str(project), "--pool", str(pool), "--classes", "low,high", *common]) == 0
    out = capsys.readouterr().out
    assert out.count("invalid samples") == 4

    with ProjectStore.open(project) as store:
        flagged = {it.relpath: it.reason for it in store.items() if it.status != "ok"}
    assert sorted(flagged) == ["huge.wav", "inf.wav", "nan.wav", "neginf.wav"]
    assert all("invalid samples" in reason for reason in flagged.values())

    some = tmp_path / "some.csv"
    some.write_text("\n".join(rows[:9]) + "\n")  # 8 of the good clips
    assert main(["import-labels", str(project), str(some)]) == 0
    out_csv = tmp_path / "out.csv"
    assert main(["export", str(project), "--out", str(out_csv), "--predictions"]) == 0
    lines = out_csv.read_text().splitlines()
    assert len(lines) == 13  # header + 12 readable clips, the flagged ones left out
    at = lines[0].split(",").index("prediction")
    assert all(line.split(",")[at] in ("low", "high") for line in lines[9:])

    curve = tmp_path / "curve.json"
    args = ["simulate", "--pool", str(pool), "--oracle", str(labels), "--budget", "6"]
    assert main([*args, "--batch", "2", "--seed-size", "4", *common, "--out", str(curve)]) == 0
    assert curve.exists()


def test_a_clip_whose_name_is_not_utf8_decodes(tmp_path: Path) -> None:
    import os

    path = Path(os.fsdecode(bytes(tmp_path) + b"/bad\xff\xfe.wav"))
    sf.write(os.fsencode(path), _tone(440.0), RATE, subtype="FLOAT")
    probe(path, "audio")
    assert load_audio(path).shape == (RATE // 2,)


def test_a_decoder_bug_while_the_dictionary_is_learned_flags_only_that_image(
    tmp_path: Path, monkeypatch
) -> None:
    from aldesk.core.features import image_features
    from tests.core.feature_files import image_files

    files = image_files(tmp_path, n=10)
    real = image_features.prepare

    def buggy(item):
        if str(item).endswith("img003.png"):
            raise OSError("decoder error -2")  # what a Pillow plugin bug looks like
        return real(item)

    monkeypatch.setattr(image_features, "prepare", buggy)
    result = ensure_features(tmp_path / "cache", "image", files, workers=0)

    assert result.failed == {"hash003": "cannot decode (OSError)"}
    assert len(result.features) == 9


def test_a_silent_clip_gets_no_prediction_and_rowless_files_are_counted_right(
    tmp_path: Path, capsys
) -> None:
    """A clip of zeros was exported as "click_slow 0.999" (the window says its guess means
    nothing); an unreadable file the user skipped has its row, yet "2 missing or unreadable
    files without a row" counted it."""
    pool, rows = _tone_pool(tmp_path)
    sf.write(pool / "silent.wav", np.zeros(RATE, dtype=np.float32), RATE)
    (pool / "notes.wav").write_text("field notes, not audio\n")
    (pool / "empty.wav").write_bytes(b"")
    labels = tmp_path / "labels.csv"
    labels.write_text("\n".join(rows[:9]) + "\n")
    project = tmp_path / "p"
    assert main(["new", str(project), "--pool", str(pool), "--classes", "low,high",
                 "--features", "pool", "--test-size", "0"]) == 0  # fmt: skip
    assert main(["import-labels", str(project), str(labels)]) == 0
    with ProjectStore.open(project) as store:
        notes = next(it.id for it in store.items() if it.relpath == "notes.wav")
        store.record(notes, "skip")
    capsys.readouterr()
    out_csv = tmp_path / "out.csv"
    assert main(["export", str(project), "--out", str(out_csv), "--predictions"]) == 0
    assert "(1 missing or unreadable file without a row" in capsys.readouterr().out
    import csv

    exported = {r["path"]: r for r in csv.DictReader(out_csv.open())}
    assert "notes.wav" in exported and "empty.wav" not in exported
    assert exported["silent.wav"]["prediction"] == exported["silent.wav"]["confidence"] == ""
    assert all(exported[f"c{i:02d}.wav"]["prediction"] in ("low", "high") for i in range(8, 12))
