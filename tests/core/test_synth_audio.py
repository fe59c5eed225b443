"""A blend of two clips is made and written at their own sample rate: at the analysis rate
(16 kHz) a blend of two 22-kHz bird calls lost everything over 8 kHz, which the user was asked
to label by ear."""

from __future__ import annotations

import numpy as np
import soundfile as sf

from aldesk.core.project import ProjectSettings, compute_features, create_project
from aldesk.core.session import Session

RATE = 22050


def _calls(folder, hz: float, n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    t = np.arange(int(0.5 * RATE)) / RATE
    names = []
    for k in range(n):
        tone = 0.4 * np.sin(2 * np.pi * (hz * (1 + 0.02 * rng.standard_normal())) * t)
        sf.write(folder / f"{hz:.0f}_{k}.wav", (tone * np.hanning(len(t))).astype(np.float32),
                 RATE, subtype="PCM_16")  # fmt: skip
        names.append(f"{hz:.0f}_{k}.wav")
    return names


def test_a_blend_of_22_khz_calls_keeps_their_rate_and_their_high_notes(tmp_path) -> None:
    pool = tmp_path / "calls"
    pool.mkdir()
    truth = {n: "high" for n in _calls(pool, 9500.0, 10, 0)}
    truth |= {n: "low" for n in _calls(pool, 600.0, 10, 1)}
    settings = ProjectSettings(scenario="synthesis", batch=2, seed_size=4, test_size=0,
                               synthesis_every=2)  # fmt: skip
    store, _ = create_project(tmp_path / "p", pool, ["high", "low"], settings)
    session = Session(store, compute_features(store).features)
    ids = {c.name: c.id for c in store.classes()}
    from aldesk.core.rounds import run_round

    blend = None
    for _ in range(20):
        q = session.current()
        if q.item.origin == "synth":
            blend = q
            break
        session.answer(ids[truth[q.item.relpath]])
        job = session.training_job()
        if job is not None:
            session.apply_result(run_round(job))
    assert blend is not None, "no blend was made"
    samples, rate = sf.read(blend.abspath)
    assert rate == RATE
    spectrum = np.abs(np.fft.rfft(samples))
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    assert spectrum[freqs > 8000].max() > 0.1 * spectrum.max()  # the 9.5-kHz call is heard
    store.close()
