"""The plain "60-line peer": what a modAL / scikit-activeml user would write, for comparison.

Features: images -> a 16x16 RGB thumbnail (Pillow, aspect squashed) flattened, plus 8-bin
histograms of each channel of PIL's HSV conversion (792 dims); audio -> 16 kHz mono
(``aldesk.core.media.audio.load_audio``, whole clip), a small numpy MFCC (25 ms frames, 10 ms
hop, 512-point FFT, 40 mel bands, 13 coefficients), their mean and std over frames plus the mean
and std of their deltas (52 dims). Model: StandardScaler + LogisticRegression(C=0.1,
max_iter=1000). Sampling: random. Repeat r: a random 20 % held-out test split and a random
labelling order, both seeded with r; the accuracy at n labels is the model trained on the first
n items of that order. Also the 5-fold CV accuracy on the whole set (StratifiedKFold, shuffled,
random_state 0).

Features are cached in ``/tmp/aldesk-bench/peer-<set>.npz``, the CV and per-repeat accuracies in
``peer-<set>.results.json`` beside it (``ALDESK_BENCH_DIR`` moves both; the fits take minutes
on the image sets).

Run: ``cd /work/main && python benchmarks/peer_baseline.py [--datasets digits spoken]
[--repeats 10] [--labels 100 200]``; prints one JSON object per set.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.fft import dct

_HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(_HERE.parent), str(_HERE)]
from _pools import BENCH_DIR, DATA  # noqa: E402

from aldesk.core.media.audio import load_audio  # noqa: E402

FEATURE_VERSION = "peer-v1"  # bump when a feature changes: cached files are rebuilt
IMAGE_EXT = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
SR = 16_000
FRAME, HOP, N_FFT, N_MELS, N_MFCC = 400, 160, 512, 40, 13  # 25 ms / 10 ms at 16 kHz
LABELS = (100, 200)
MODEL = "scaler+logreg-C0.1-it1000"  # part of the cache key: change it with make_model


def read_labels(root: Path) -> tuple[list[str], np.ndarray]:
    with open(root / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["path"] for r in rows], np.array([r["label"] for r in rows])


def image_features(path: Path) -> np.ndarray:
    img = Image.open(path).convert("RGB")
    thumb = np.asarray(img.resize((16, 16), Image.Resampling.BILINEAR), np.float32) / 255.0
    hsv = np.asarray(img.convert("HSV"))
    hists = [np.histogram(hsv[..., c], bins=8, range=(0, 256))[0] for c in range(3)]
    hist = np.concatenate(hists).astype(np.float32) / hsv[..., 0].size
    return np.concatenate([thumb.ravel(), hist])


@lru_cache(maxsize=1)
def mel_filterbank() -> np.ndarray:
    """HTK-style triangular filters, 0 Hz to Nyquist, shape (N_MELS, N_FFT // 2 + 1)."""

    def mel(f):
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    def hz(m):
        return 700.0 * (10.0 ** (np.asarray(m) / 2595.0) - 1.0)

    edges = hz(np.linspace(mel(0.0), mel(SR / 2), N_MELS + 2))
    freqs = np.linspace(0.0, SR / 2, N_FFT // 2 + 1)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    up = (freqs - lo) / (mid - lo)
    down = (hi - freqs) / (hi - mid)
    return np.maximum(0.0, np.minimum(up, down))


def mfcc(x: np.ndarray) -> np.ndarray:
    """(N_MFCC, frames) MFCCs of a 16 kHz mono signal."""
    x = np.append(x[:1], x[1:] - 0.97 * x[:-1])  # pre-emphasis
    if len(x) < FRAME:  # a clip shorter than one frame still gets one
        x = np.pad(x, (0, FRAME - len(x)))
    n = 1 + (len(x) - FRAME) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(x, FRAME)[::HOP][:n] * np.hamming(FRAME)
    power = np.abs(np.fft.rfft(frames, N_FFT)) ** 2 / N_FFT
    logmel = np.log(power @ mel_filterbank().T + 1e-10)
    return dct(logmel, type=2, axis=1, norm="ortho")[:, :N_MFCC].T


def deltas(c: np.ndarray, width: int = 2) -> np.ndarray:
    """The usual regression deltas over +/- ``width`` frames (edges repeated)."""
    padded = np.pad(c, ((0, 0), (width, width)), mode="edge")
    n = c.shape[1]
    num = sum(k * (padded[:, width + k : width + k + n] - padded[:, width - k : width - k + n])
              for k in range(1, width + 1))  # fmt: skip
    return num / (2 * sum(k * k for k in range(1, width + 1)))


def audio_features(path: Path) -> np.ndarray:
    c = mfcc(load_audio(path, sr=SR).astype(np.float64))
    d = deltas(c)
    return np.concatenate([c.mean(1), c.std(1), d.mean(1), d.std(1)]).astype(np.float32)


def kind_of(paths: list[str]) -> str:
    return "image" if Path(paths[0]).suffix.lower() in IMAGE_EXT else "audio"


def load_features(root: Path, name: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels of a labels.csv folder, cached per set (rebuilt if the list changed)."""
    name = name or root.name
    paths, y = read_labels(root)
    cache = BENCH_DIR / f"peer-{name}.npz"
    if cache.exists():
        with np.load(cache, allow_pickle=False) as z:
            if str(z["version"]) == FEATURE_VERSION and z["paths"].tolist() == paths:
                return z["X"], y
    extract = image_features if kind_of(paths) == "image" else audio_features
    X = np.stack([extract(root / p) for p in paths]).astype(np.float32)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(cache.stem + ".tmp.npz")
    np.savez(tmp, X=X, paths=np.array(paths), version=np.array(FEATURE_VERSION))
    tmp.replace(cache)
    return X, y


def make_model():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=1000))


def random_sampling_curve(X: np.ndarray, y: np.ndarray, repeat: int, labels) -> list[float]:
    """Test accuracy after ``n`` randomly sampled labels, for each n in labels (one repeat)."""
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(np.arange(len(y)), test_size=0.2, random_state=repeat)
    order = np.random.default_rng(repeat).permutation(train)
    out = []
    for n in labels:
        picked = order[:n]
        if len(np.unique(y[picked])) < 2:  # nothing to fit yet
            out.append(float(np.mean(y[test] == y[picked[0]])))
            continue
        model = make_model().fit(X[picked], y[picked])
        out.append(float(np.mean(model.predict(X[test]) == y[test])))
    return out


def cv_accuracy(X: np.ndarray, y: np.ndarray) -> float:
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    return float(cross_val_score(make_model(), X, y, cv=cv).mean())


def data_key(X: np.ndarray, y: np.ndarray) -> str:
    """Identifies the features, labels and model: cached numbers are valid while it matches."""
    digest = hashlib.blake2b(X.tobytes() + "\n".join(y.tolist()).encode(), digest_size=16)
    return f"{FEATURE_VERSION}/{MODEL}/{digest.hexdigest()}"


def load_results(name: str, key: str) -> dict:
    """Cached CV and per-repeat accuracies (the fits take minutes on the image sets)."""
    path = BENCH_DIR / f"peer-{name}.results.json"
    if path.exists():
        saved = json.loads(path.read_text())
        if saved.get("key") == key:
            return saved["results"]
    return {}


def save_results(name: str, key: str, results: dict) -> None:
    path = BENCH_DIR / f"peer-{name}.results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"key": key, "results": results}) + "\n")


def band(values: list[float]) -> tuple[float, float | None]:
    """Mean and 95 % t-interval half-width (None from a single repeat)."""
    from scipy.stats import t

    a = np.asarray(values, dtype=float)
    if a.size < 2:
        return float(a.mean()), None
    return float(a.mean()), float(t.ppf(0.975, a.size - 1) * a.std(ddof=1) / np.sqrt(a.size))


def peer_baseline(root: Path, repeats: int = 10, labels=LABELS, name: str | None = None) -> dict:
    """The peer's numbers on one set: 5-fold CV and the random-sampling accuracy at ``labels``."""
    start = time.perf_counter()
    X, y = load_features(root, name)
    feature_seconds = time.perf_counter() - start
    name = name or root.name
    key = data_key(X, y)
    cache = load_results(name, key)
    if "cv5" not in cache:
        cache["cv5"] = cv_accuracy(X, y)
    curves = []
    for r in range(repeats):
        slot = f"r{r}@{','.join(map(str, labels))}"
        if slot not in cache:
            cache[slot] = random_sampling_curve(X, y, r, labels)
        curves.append(cache[slot])
    save_results(name, key, cache)
    out: dict = {
        "n_items": int(len(y)),
        "n_classes": int(len(set(y.tolist()))),
        "dims": int(X.shape[1]),
        "cv5_accuracy": round(cache["cv5"], 4),
        "repeats": repeats,
        "at": {},
    }
    for k, n in enumerate(labels):
        per_repeat = [c[k] for c in curves]
        mean, half = band(per_repeat)
        out["at"][str(n)] = {
            "mean": round(mean, 4),
            "ci95": None if half is None else round(half, 4),
            "per_repeat": [round(v, 4) for v in per_repeat],
        }
    out["seconds"] = {"features": round(feature_seconds, 1),
                      "total": round(time.perf_counter() - start, 1)}  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--datasets",
        nargs="+",
        default=["mnist", "digits", "clipart", "spoken", "words", "instruments"],
    )
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--labels", type=int, nargs="+", default=list(LABELS))
    args = p.parse_args(argv)
    for name in args.datasets:
        root = DATA / name
        if not (root / "labels.csv").exists():
            print(f"{name}: no {root / 'labels.csv'}; skipped", file=sys.stderr)
            continue
        print(
            json.dumps({"dataset": name, **peer_baseline(root, args.repeats, args.labels, name)}),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
