"""How long does the GUI thread stall while the app works in the background?

A 5 ms QTimer on the GUI thread records the gap between its ticks; the longest gap is the worst
freeze a user could feel (typing, a key press that should show the next item). Scenarios:

* idle                  the baseline of this machine
* image-decode          ImageView showing large JPEGs one after another (draft, then full)
* audio-analysis        AudioView decoding and analysing 30-second clips
* training              Trainer fitting logistic regression (scikit-learn, releases the GIL)
* effnet-extraction     the feature lane extracting EfficientNet-Lite0 features of real images
                        (its first chunk in this process, the rest in worker processes)
* aisfx-extraction      the same for aiSFX on real clips (needs /work/data or ALDESK_DATA sets)
* project               ``--project 100k:50000``: the labeling window on a bench_ui case, by
                        phase: opening, until the rescan / page check / features are done,
                        answering, retraining and applying each round (``_stall_project.py``)

Usage: ``python benchmarks/bench_ui_stall.py [--quick] [--project POOL:ANSWERS [--rounds N]
[--gil-probe MS]]``; prints one line per scenario (the project scenario: one JSON line, with the
load average; ``--gil-probe`` also prints, to stderr, every thread's stack after each GIL hold
over MS and every garbage-collector pass over MS/4, see ``_gil_probe.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

import numpy as np  # noqa: E402
from PySide6.QtCore import QEventLoop, QObject, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

TICK_MS = 5


class StallMeter(QObject):
    """Records the gaps between ticks of a fast timer on the GUI thread."""

    def __init__(self) -> None:
        super().__init__()
        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _on_timer_timeout(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000.0)
        self._last = now


def wait_for(signal, timeout_ms: int = 60_000) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)


def run(name: str, meter: StallMeter, body) -> None:
    meter.start()
    started = time.perf_counter()
    body()
    elapsed = time.perf_counter() - started
    meter.stop()
    gaps = np.array(meter.gaps or [0.0])
    print(f"{name:16s} wall {elapsed:6.2f} s   ticks {len(gaps):5d}   "
          f"p50 {np.percentile(gaps, 50):5.1f} ms   p99 {np.percentile(gaps, 99):6.1f} ms   "
          f"max stall {gaps.max():6.1f} ms")  # fmt: skip


def make_images(folder: Path, n: int, size=(4000, 3000)) -> list[Path]:
    from PIL import Image

    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        noise = rng.integers(0, 255, (size[1] // 8, size[0] // 8, 3), dtype=np.uint8)
        img = Image.fromarray(noise).resize(size)
        path = folder / f"photo_{i}.jpg"
        img.save(path, quality=90)
        paths.append(path)
    return paths


def make_clips(folder: Path, n: int, seconds: float = 30.0) -> list[Path]:
    import soundfile as sf

    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        x = 0.1 * rng.standard_normal(int(seconds * 44100)).astype(np.float32)
        path = folder / f"clip_{i}.wav"
        sf.write(path, np.stack([x, x], axis=1), 44100)
        paths.append(path)
    return paths


def scenario_images(paths: list[Path]):
    from aldesk.gui.viewers.image_view import ImageView

    view = ImageView()
    view.resize(1000, 700)
    view.show()

    def body() -> None:
        for path in paths:
            view.show_image(path)
            wait_for(view.loaded)
        view.shutdown()

    return body


def scenario_audio(paths: list[Path]):
    from aldesk.gui.viewers.audio_view import AudioView

    view = AudioView()
    view.resize(1000, 400)
    view.show()

    def body() -> None:
        for path in paths:
            view.show_audio(path)
            wait_for(view.loaded)
        view.shutdown()

    return body


def scenario_training(rounds: int):
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    from aldesk.gui.workers import Trainer

    X, y = make_classification(3000, 128, n_informative=30, n_classes=5, random_state=0)

    def fit(request, should_stop):
        model = LogisticRegression(max_iter=100, tol=1e-2).fit(X[:request], y[:request])
        return model.predict_proba(X)

    trainer = Trainer(fit)

    def body() -> None:
        for i in range(rounds):
            trainer.request(500 + i * 250)
            wait_for(trainer.ranked)
        trainer.shutdown()

    return body


def scenario_extraction(key: str, files: list[tuple[str, Path]], cache: Path):
    from aldesk.gui.workers import FeatureLane

    lane = FeatureLane()

    def body() -> None:
        lane.start(cache, key, files)
        wait_for(lane.finished, 300_000)
        lane.shutdown()

    return body


def data_files(name: str, n: int) -> list[tuple[str, Path]]:
    import csv
    import hashlib

    root = Path(os.environ.get("ALDESK_DATA", "/work/data")) / name
    if not (root / "labels.csv").exists():
        return []
    with open(root / "labels.csv", newline="") as fp:
        rows = list(csv.DictReader(fp))[:n]
    return [(hashlib.sha256(r["path"].encode()).hexdigest(), root / r["path"]) for r in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer files and rounds")
    parser.add_argument("--project", default=None, help="POOL:ANSWERS, e.g. 100k:50000")
    parser.add_argument("--rounds", type=int, default=5, help="retrains in --project")
    parser.add_argument(
        "--gil-probe",
        type=float,
        default=0,
        metavar="MS",
        help="--project: print the stacks of every GIL hold over MS (stderr)",
    )
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=None,
        metavar="S",
        help="experiment: sys.setswitchinterval(S) instead of the app's setting",
    )
    args = parser.parse_args()
    from aldesk.gui.app import GIL_SWITCH_SECONDS

    sys.setswitchinterval(args.switch_interval or GIL_SWITCH_SECONDS)  # as the app runs
    n = 3 if args.quick else 8
    app = QApplication.instance() or QApplication([])
    if args.project:
        import json

        from _pools import environment
        from _stall_project import project_stalls

        pool, answers = args.project.split(":")
        before = environment()["loadavg"]
        out = project_stalls(app, pool, int(answers), args.rounds, args.gil_probe)
        out["switch_interval_s"] = sys.getswitchinterval()
        print(json.dumps({**out, "loadavg_start": before, "loadavg_end": environment()["loadavg"]}))
        return 0
    meter = StallMeter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        images = make_images(folder, n)
        clips = make_clips(folder, n)
        print(f"PySide6 UI-thread stalls ({n} files each; timer every {TICK_MS} ms)")
        run("idle", meter, lambda: wait_for(QTimer(app).destroyed, 1000))
        run("image-decode", meter, scenario_images(images))
        run("audio-analysis", meter, scenario_audio(clips))
        run("training", meter, scenario_training(n))
        for label, key, name in (("effnet-extraction", "image-effnet", "clipart"),
                                 ("aisfx-extraction", "audio-aisfx", "spoken")):  # fmt: skip
            files = data_files(name, 60 if args.quick else 400)
            if files:
                run(label, meter, scenario_extraction(key, files, folder / f"cache-{key}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
