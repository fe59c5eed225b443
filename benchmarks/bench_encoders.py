"""Throughput of the pretrained encoders through the app's own extraction path.

Runs ``ensure_features`` (worker processes, cache, decode included) into a fresh cache on real
files: EfficientNet-Lite0 on clip-art PNGs and mnist digits, aiSFX on spoken-digit and
instrument WAVs, and the pool-learned extractor of the same kind on the same files in the same
run, alternating, so the ratio between them survives a noisy machine. Targets (issue 10): at
least 150 images/s and 50 one-second clips/s on 2 cores.

Run: ``python benchmarks/bench_encoders.py [--runs 3] [--items 600] [--sets ...] [--out FILE]``;
prints JSON and writes ``benchmarks/results/encoders_throughput.json``. ``--sets`` takes any
folder under ``ALDESK_DATA`` with a ``labels.csv``; its media kind is read from its files.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(_HERE.parent), str(_HERE)]
from _pools import DATA, environment, write_json  # noqa: E402

from aldesk.core.features import ensure_features  # noqa: E402
from aldesk.core.features.extractors import pretrained_key  # noqa: E402
from aldesk.core.media import media_kind  # noqa: E402

RESULTS = _HERE / "results" / "encoders_throughput.json"
SETS = ["clipart", "mnist", "spoken", "instruments"]  # the default; any set folder works


def kind_and_key(files: list[tuple[str, Path]]) -> tuple[str, str]:
    """The set's media kind (most of its files) and that kind's pretrained extractor key."""
    kinds = [media_kind(path) for _, path in files]
    kind = max(("image", "audio"), key=kinds.count)
    return kind, pretrained_key(kind)


def files_of(name: str, limit: int) -> list[tuple[str, Path]]:
    root = DATA / name
    with open(root / "labels.csv", newline="") as fp:
        rows = list(csv.DictReader(fp))[:limit]
    return [(hashlib.sha256(r["path"].encode()).hexdigest(), root / r["path"]) for r in rows]


def rate(key: str, files: list, workers: int) -> float:
    """Items per second of one extraction into a fresh cache."""
    cache = Path(tempfile.mkdtemp(prefix="aldesk-enc-"))
    try:
        if key == "image":  # the pool dictionary is learned once per project: not timed here
            ensure_features(cache, key, files[:50], workers=workers)
            shutil.rmtree(cache / next(p.name for p in cache.iterdir() if p.is_dir()
                                       and p.name != "dictionaries"), ignore_errors=True)  # fmt: skip
        start = time.perf_counter()
        result = ensure_features(cache, key, files, workers=workers)
        elapsed = time.perf_counter() - start
        assert len(result.features) == len(files), result.failed
        return len(files) / elapsed
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--items", type=int, default=600)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--sets", nargs="+", default=SETS)
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    report: dict = {"benchmark": "encoders_throughput", "cpus": os.cpu_count(),
                    "environment_start": environment(), "sets": {}}  # fmt: skip
    for name in args.sets:
        if not (DATA / name / "labels.csv").exists():
            print(f"skipping {name}: no {DATA / name}/labels.csv", file=sys.stderr)
            continue
        files = files_of(name, args.items)
        kind, key = kind_and_key(files)
        runs: dict[str, list[float]] = {key: [], kind: []}
        for _ in range(args.runs):  # alternate: both see the same machine load
            for extractor in (key, kind):
                runs[extractor].append(rate(extractor, files, args.workers))
        med = {k: statistics.median(v) for k, v in runs.items()}
        report["sets"][name] = {
            "items": len(files),
            "pretrained_items_per_s": round(med[key], 1),
            "pool_items_per_s": round(med[kind], 1),
            "pretrained_over_pool": round(med[key] / med[kind], 3),
            "runs": {k: [round(x, 1) for x in v] for k, v in runs.items()},
        }
        print(f"{name}: {key} {med[key]:.1f}/s, {kind} {med[kind]:.1f}/s", file=sys.stderr)
    report["environment_end"] = environment()
    write_json(args.out, report)
    print(json.dumps(report["sets"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
