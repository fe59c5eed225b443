"""Quality of the default features: 5-fold CV accuracy vs simple baselines.

usage: python benchmarks/feature_quality.py [--mnist DIR] [--spoken DIR] [--workers N]

Classifier: StandardScaler + LogisticRegression(max_iter=2000), StratifiedKFold(5, shuffle,
random_state=0), the same for every feature set. Baselines: 16×16 gray thumbnail + HSV
histograms (images), MFCC mean/std/delta statistics (audio). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.fft import dct
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from aldesk.core.features import ensure_features
from aldesk.core.media import ANALYSIS_RATE, load_audio, log_mel_spectrogram


def read_labels(root: Path) -> tuple[list[Path], np.ndarray]:
    with open(root / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return [root / r["path"] for r in rows], np.array([r["label"] for r in rows])


def content_hash(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()


def cv_accuracy(X: np.ndarray, y: np.ndarray) -> float:
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    return float(cross_val_score(clf, X, y, cv=cv).mean())


def thumb_hsv_baseline(path: Path) -> np.ndarray:
    img = Image.open(path).convert("RGB")
    thumb = np.asarray(img.convert("L").resize((16, 16), Image.Resampling.BILINEAR), np.float32)
    hsv = np.asarray(img.convert("HSV"))
    hists = [np.histogram(hsv[..., c], bins=16, range=(0, 256))[0] for c in range(3)]
    hist = np.concatenate(hists).astype(np.float32) / hsv[..., 0].size
    return np.concatenate([thumb.ravel() / 255.0, hist])


def mfcc_stats_baseline(path: Path) -> np.ndarray:
    x = load_audio(path, max_seconds=10)
    mfcc = dct(log_mel_spectrogram(x, ANALYSIS_RATE, n_mels=40), axis=0, norm="ortho")[:20]
    delta = np.diff(mfcc, axis=1) if mfcc.shape[1] > 1 else np.zeros_like(mfcc)
    return np.concatenate([mfcc.mean(1), mfcc.std(1), delta.mean(1), delta.std(1)])


def ours(kind: str, paths: list[Path], workers: int | None) -> tuple[np.ndarray, dict]:
    files = [(content_hash(p), p) for p in paths]
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        result = ensure_features(cache, kind, files, workers=workers)
        seconds = time.perf_counter() - start
        fs = result.features
        if result.failed:
            raise SystemExit(f"{len(result.failed)} items failed: {result.failed}")
        X = np.stack([fs.X[fs.row(h)] for h, _ in files])
        return X, {
            "extractor_id": fs.extractor_id,
            "dims": int(X.shape[1]),
            "seconds": round(seconds, 2),
        }


def evaluate(kind: str, root: Path, baseline, baseline_name: str, workers: int | None) -> dict:
    paths, y = read_labels(root)
    X, info = ours(kind, paths, workers)
    B = np.stack([baseline(p) for p in paths])
    return {
        "items": len(paths),
        "classes": int(len(set(y))),
        "ours": round(cv_accuracy(X, y), 4),
        baseline_name: round(cv_accuracy(B, y), 4),
        "baseline_dims": int(B.shape[1]),
        **info,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mnist", type=Path, default=Path("/work/data/mnist"))
    ap.add_argument("--spoken", type=Path, default=Path("/work/data/spoken"))
    ap.add_argument("--workers", type=int, default=None)
    a = ap.parse_args()
    report = {
        "cv": "5-fold stratified, StandardScaler + LogisticRegression",
        "mnist": evaluate("image", a.mnist, thumb_hsv_baseline, "thumb16_hsv", a.workers),
        "spoken": evaluate("audio", a.spoken, mfcc_stats_baseline, "mfcc_stats", a.workers),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
