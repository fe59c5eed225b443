"""The aiSFX extractor: its mel front end, block layout and padding, and (when the model is
shipped) its embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from aldesk.core.features import aisfx_features as A
from aldesk.core.features import onnx_models
from aldesk.core.media.audio import ANALYSIS_RATE

SR = A.SAMPLE_RATE


def tone(freq: float, seconds: float, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    x = 0.3 * np.sin(2 * np.pi * freq * t)
    x += noise * np.random.default_rng(seed).standard_normal(t.size)
    return x.astype(np.float32)


def mel_of(hz: float) -> float:
    return 2595.0 * np.log10(1.0 + hz / 700.0)


def test_filterbank_columns_sum_to_one():
    fb = A.mel_filterbank()
    assert fb.shape == (A.N_FFT // 2 + 1, A.N_MELS)
    np.testing.assert_allclose(fb.sum(axis=0), 1.0, rtol=1e-5)


@pytest.mark.parametrize("freq", [300.0, 1000.0, 5000.0])
def test_tone_lands_in_its_mel_band(freq):
    mel, frames = A.log_mel([tone(freq, 2.0)])
    assert frames.tolist() == [int(2.0 * SR) // A.HOP + 1]
    edges = np.linspace(0.0, mel_of(SR / 2), A.N_MELS + 2)
    nearest = int(np.argmin(np.abs(edges[1:-1] - mel_of(freq))))
    loudest = np.argmax(mel[5:-5].mean(axis=0))  # frames away from the edges
    assert abs(int(loudest) - nearest) <= 1
    assert mel.min() >= 0.0 and mel.max() <= 1.0  # the package's fixed scale


def test_short_clip_is_padded_to_one_block():
    blocks, owner = A.mel_blocks([tone(1000.0, 0.3), tone(1000.0, 2.0)])
    assert blocks.shape == (2, 1, A.FRAMES, A.N_MELS) and owner.tolist() == [0, 1]
    short = blocks[0, 0]
    assert abs(A.MIN_SECONDS - 1.161) < 1e-3
    # 0.3 s of tone, silence up to MIN_SECONDS (MIN_FRAMES frames), zero frames after that.
    assert short[:10].max() > 0.3 and short[20 : A.MIN_FRAMES].max() < 1e-3
    assert not short[A.MIN_FRAMES :].any()


def test_blocks_cover_the_whole_clip():
    assert A.block_starts(40).tolist() == [0]
    assert A.block_starts(100).tolist() == [0]
    assert A.block_starts(150).tolist() == [0, 50]
    assert A.block_starts(151).tolist() == [0, 50, 51]  # the tail is not dropped
    _, owner = A.mel_blocks([tone(500.0, 5.0), tone(500.0, 1.0)])
    assert owner.tolist() == [0, 0, 0, 0, 1]  # 216 frames: starts 0, 50, 100, 116


def test_prepare_resamples_arrays_and_caps_length():
    x = np.zeros(int(ANALYSIS_RATE * (A.MAX_SECONDS + 0.5)), dtype=np.float32)
    assert A.prepare(x).size == int(A.MAX_SECONDS * SR)
    assert A.compute([]).shape == (0, A.DIM)


@pytest.mark.skipif(not onnx_models.available(A.MODEL), reason="aisfx.onnx not built")
def test_shipped_model_embeds_similar_clips_nearer():
    clips = [tone(440.0, 1.0, 0.02, 1), tone(494.0, 1.0, 0.02, 2)]
    clips.append(0.3 * np.random.default_rng(3).standard_normal(SR).astype(np.float32))
    emb = A.compute(clips)
    assert emb.shape == (3, A.DIM) and emb.dtype == np.float32 and np.isfinite(emb).all()
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    assert unit[0] @ unit[1] > unit[0] @ unit[2] and unit[0] @ unit[1] > unit[1] @ unit[2]
    # Batching does not change a clip's embedding.
    np.testing.assert_allclose(A.compute(clips[:1])[0], emb[0], rtol=1e-4, atol=1e-4)
