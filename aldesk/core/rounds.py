"""One retrain round as a pure function: what a worker thread runs for the session.

``run_round(job)`` fits the model on the job's frozen snapshot, ranks the pool and, in the
synthesis scenario, builds one new item to ask about. It touches no store and no widget: the GUI
runs it on a worker (Orange's ``run(data, learner, state)``), ``simulate`` runs it inline, and the
session applies its result on the thread that owns the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from aldesk.core.ranking import Fitter, Ranking, RankRequest, fit_and_rank
from aldesk.core.records import RoundRecord

# Runs a whole round's fit and ranking somewhere (the app's training process); None if stopped.
Ranker = Callable[[RankRequest, Callable[[], bool]], Ranking | None]


@dataclass(frozen=True, eq=False)
class SynthesisSpec:
    """What the worker needs to build a membership query from two pool items."""

    kind: str
    paths: Sequence[Path]  # the file of each pool row (``synth_flow.RowPaths``: read when asked)
    out_dir: Path
    cache_dir: Path
    pretrained: bool = False  # the pool matrix also holds the pretrained encoder's block


@dataclass(frozen=True, eq=False)
class TrainingJob:
    """A frozen retrain request: the rank request plus, optionally, a synthesis request.

    ``prepare`` is the request, or a function that builds it from frozen inputs: it then runs
    on the worker, at the first reading of ``request`` (gathering the labelled items' feature
    rows copies ``labels x dims`` floats: ~100 MB at 50,000 labels, too much for the GUI thread).
    """

    prepare: RankRequest | Callable[[], RankRequest]
    synthesis: SynthesisSpec | None = None

    @cached_property
    def request(self) -> RankRequest:
        return self.prepare() if callable(self.prepare) else self.prepare


@dataclass(frozen=True, eq=False)
class SynthesizedItem:
    """A new instance the learner built: written to ``path``, described by ``features``."""

    path: Path
    features: np.ndarray
    parents: tuple[int, int]  # pool rows it was mixed from
    ratio: float
    score: float


@dataclass(frozen=True, eq=False)
class RoundResult:
    ranking: Ranking
    synthesized: SynthesizedItem | None = None
    # a line for the status bar: synthesis failed alone (a parent file vanished), or the
    # training process had to be restarted (aldesk.core.train_process)
    failure: str | None = None


def curve_points(rounds: list[RoundRecord]) -> list[RoundRecord]:
    """The learning curve's points: one per label count, in label order.

    Where several rounds have the same label count (projects from before reopening stopped
    recording a round each time, or an undo and a relabel), the latest one stands.
    """
    latest = {r.n_labels: r for r in rounds if r.accuracy is not None}
    return [latest[n] for n in sorted(latest)]


def run_round(
    job: TrainingJob,
    should_stop: Callable[[], bool] | None = None,
    fitter: Fitter | None = None,
    ranker: Ranker | None = None,
) -> RoundResult | None:
    """Fit, rank and (optionally) synthesize; ``None`` if cancelled by ``should_stop``.

    ``fitter`` runs the fit (see :func:`aldesk.core.ranking.fit_and_rank`); ``ranker``, if
    given, runs the fit and the ranking instead: the GUI's is the training process
    (:func:`aldesk.core.train_process.run_round`).
    """
    if ranker is not None:
        ranking = ranker(job.request, should_stop or (lambda: False))
    else:
        ranking = fit_and_rank(job.request, should_stop=should_stop, fitter=fitter)
    if ranking is None:
        return None
    if job.synthesis is None or ranking.model is None:
        return RoundResult(ranking)
    try:
        synthesized = _synthesize(job, ranking)
    except Exception as exc:  # a membership query is optional; the ranking still stands
        return RoundResult(ranking, failure=f"Could not synthesize a query: {exc}")
    return RoundResult(ranking, synthesized)


def _synthesize(job: TrainingJob, ranking: Ranking) -> SynthesizedItem | None:
    from aldesk.core.features import extract_one
    from aldesk.core.strategies.synthesis import choose_pair, least_certain_mix

    spec = job.synthesis
    candidates = np.asarray(job.request.candidates)
    if len(candidates) < 2:
        return None
    # The round's own seed: the project's alone drew the same two classes every round (and,
    # once the model settled, the same two items: the same blend, asked again and again).
    i, j = choose_pair(ranking.proba[candidates], random_state=job.request.random_state)
    a_row, b_row = int(candidates[i]), int(candidates[j])
    rate = _blend_rate(spec.kind, spec.paths[a_row], spec.paths[b_row])
    a, b = _decode(spec.kind, spec.paths[a_row], rate), _decode(spec.kind, spec.paths[b_row], rate)

    def featurize(mix: np.ndarray) -> np.ndarray:
        if rate is not None:  # the features hear the analysis rate, as from a file
            from aldesk.core.media.audio import ANALYSIS_RATE, resample

            mix = resample(mix, rate, ANALYSIS_RATE)
        row = extract_one(spec.kind, mix, spec.cache_dir)
        if not spec.pretrained:
            return row
        from aldesk.core.features.extractors import pretrained_key

        extra = extract_one(pretrained_key(spec.kind), mix, spec.cache_dir)
        return np.concatenate([row, extra])  # the same block order as the pool matrix

    result = least_certain_mix(a, b, featurize, ranking.model)
    path = _write_mix(spec, result.mix, rate)
    return SynthesizedItem(
        path, featurize(result.mix), (a_row, b_row), float(result.ratio), float(result.score)
    )


def _blend_rate(kind: str, a: Path, b: Path) -> int | None:
    """The sample rate a blend of two clips is made and written at: the higher of theirs. At
    the analysis rate (16 kHz) a blend of two 22-kHz bird calls lost everything over 8 kHz,
    which the user was asked to label by ear."""
    if kind == "image":
        return None
    from aldesk.core.media.audio import audio_info

    return max(audio_info(a).samplerate, audio_info(b).samplerate)


def _decode(kind: str, path: Path, rate: int | None) -> np.ndarray:
    if kind == "image":
        from aldesk.core.media.image import load_image

        return np.asarray(load_image(path, max_side=256))
    from aldesk.core.media.audio import load_audio

    return load_audio(path, sr=rate)


def _write_mix(spec: SynthesisSpec, mix: np.ndarray, rate: int | None) -> Path:
    """Save the blend as a real file in the project, written to a temp name then renamed."""
    spec.out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"synth_{time.strftime('%Y%m%d-%H%M%S')}_{int(time.time_ns() % 1_000_000):06d}"
    if spec.kind == "image":
        from PIL import Image

        final = spec.out_dir / f"{stem}.png"
        tmp = final.with_suffix(".tmp.png")
        Image.fromarray(np.clip(mix, 0, 255).astype(np.uint8)).save(tmp)
    else:
        import soundfile as sf

        final = spec.out_dir / f"{stem}.wav"
        tmp = final.with_suffix(".tmp.wav")
        sf.write(tmp, np.clip(mix, -1, 1).astype(np.float32), rate, subtype="PCM_16")
    tmp.replace(final)
    return final
