"""A small sample pool generated on the spot (nothing is downloaded) for ``aldesk demo``.

Images: scikit-learn's bundled 8×8 handwritten digits, upscaled to 64×64 PNGs (classes 0-9).
Audio: one-second synthetic clips of four kinds of sound (whistle, beeps, hum, noise burst),
with random pitch, timing and background noise so the model has something to learn.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from aldesk.core.media.audio import ANALYSIS_RATE

DEMO_IMAGES_PER_CLASS = 40
DEMO_CLIPS_PER_CLASS = 30
AUDIO_CLASSES = ("whistle", "beeps", "hum", "noise")
DEMO_KINDS = ("images", "audio")


def demo_root(kind: str) -> Path:
    """Where ``aldesk demo KIND`` keeps its project between runs (per user, not in /tmp).

    ``platformdirs.user_data_dir("aldesk")/demo-KIND``; ``ALDESK_DATA_DIR`` overrides the
    parent folder (tests, portable installs).
    """
    override = os.environ.get("ALDESK_DATA_DIR")
    if override:
        return Path(override) / f"demo-{kind}"
    import platformdirs

    return Path(platformdirs.user_data_dir("aldesk", appauthor=False)) / f"demo-{kind}"


def prepare_demo(kind: str, root: Path | None = None, fresh: bool = False) -> Path:
    """The demo project for ``kind``: the previous one if it is there, else a new one.

    ``fresh`` deletes the previous demo project and its sample pool first (only those two
    folders inside ``root``). Returns the project folder.

    Raises:
        ProjectLocked: ``fresh`` while the previous demo is open in aldesk.
    """
    from aldesk.core.project import ProjectSettings, create_project
    from aldesk.core.store import ProjectStore

    if kind not in DEMO_KINDS:
        raise ValueError(f"unknown demo kind {kind!r}")
    root = Path(root) if root is not None else demo_root(kind)
    pool, project = root / f"{kind}-pool", root / f"demo-{kind}.aldesk"
    made = (project / "project.sqlite").exists() and pool.is_dir()
    if made and not fresh:
        return project
    if (project / "project.sqlite").exists():
        ProjectStore.open(project).close()  # refuses while the demo is open in a window
    for folder in (project, pool):
        shutil.rmtree(folder, ignore_errors=True)
    classes = make_demo_pool(kind, pool)
    store, _scan = create_project(project, pool, classes, ProjectSettings.for_classes(len(classes)))
    store.close()
    return project


def make_demo_pool(
    kind: str,
    folder: Path,
    random_state: int = 0,
    labels_out: Path | None = None,
    per_class: int | None = None,
) -> list[str]:
    """Write the sample pool into ``folder``; returns the class names, in hotkey order.

    ``labels_out``, if given, receives the true labels as ``path,label`` (an oracle for
    ``aldesk simulate`` and tests); it is never written inside the pool.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "images":
        classes, truth = _digit_images(folder, random_state, per_class or DEMO_IMAGES_PER_CLASS)
    elif kind == "audio":
        classes, truth = _sound_clips(folder, random_state, per_class or DEMO_CLIPS_PER_CLASS)
    else:
        raise ValueError(f"unknown demo kind {kind!r}")
    if labels_out is not None:
        rows = "".join(f"{name},{label}\n" for name, label in truth)
        Path(labels_out).write_text("path,label\n" + rows)
    return classes


def _digit_images(folder: Path, random_state: int, per_class: int):
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(random_state)
    taken: dict[int, int] = {}
    truth = []
    for n, i in enumerate(rng.permutation(len(digits.target))):
        label = int(digits.target[i])
        if taken.get(label, 0) >= per_class:
            continue
        taken[label] = taken.get(label, 0) + 1
        pixels = (255 - digits.images[i] * 16).clip(0, 255).astype(np.uint8)  # dark ink on white
        img = Image.fromarray(pixels, "L").resize((64, 64), Image.Resampling.BICUBIC)
        img.save(folder / f"digit_{n:04d}.png")
        truth.append((f"digit_{n:04d}.png", str(label)))
    return [str(d) for d in range(10)], truth


def _sound_clips(folder: Path, random_state: int, per_class: int):
    import soundfile as sf

    rng = np.random.default_rng(random_state)
    t = np.arange(ANALYSIS_RATE, dtype=np.float64) / ANALYSIS_RATE
    makers = {"whistle": _whistle, "beeps": _beeps, "hum": _hum, "noise": _burst}
    n = 0
    truth = []
    for _ in range(per_class):
        for name in AUDIO_CLASSES:
            clip = makers[name](t, rng) + 0.02 * rng.standard_normal(t.size)
            clip = 0.8 * clip / max(1e-9, np.abs(clip).max())
            sf.write(folder / f"clip_{n:04d}.wav", clip.astype(np.float32), ANALYSIS_RATE,
                     subtype="PCM_16")  # fmt: skip
            truth.append((f"clip_{n:04d}.wav", name))
            n += 1
    return list(AUDIO_CLASSES), truth


def _whistle(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    f0, f1 = rng.uniform(600, 1200), rng.uniform(1500, 3000)
    phase = 2 * np.pi * (f0 * t + (f1 - f0) * t**2 / 2)
    return np.sin(phase) * np.hanning(t.size)


def _beeps(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    f = rng.uniform(700, 1500)
    gate = (np.sin(2 * np.pi * rng.uniform(3, 7) * t) > 0.3).astype(float)
    return np.sin(2 * np.pi * f * t) * gate


def _hum(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    f = rng.uniform(80, 160)
    return sum(np.sin(2 * np.pi * f * h * t) / h for h in (1, 2, 3, 4))


def _burst(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    start = rng.uniform(0.1, 0.5)
    env = np.exp(-np.clip(t - start, 0, None) * rng.uniform(4, 10)) * (t >= start)
    return rng.standard_normal(t.size) * env
