"""Fuzz campaign figures (issue 12): hostile image and audio pools through the command line and
the viewers' decode paths.

usage: python benchmarks/bench_fuzz.py [--seeds 1,2,3] [--scale 3] [--features auto]

Prints one JSON object per seed and a total: files tried, commands run, files viewed, crashes,
files flagged unreadable, good files used, bad files the viewer still decoded when asked
directly, and every broken promise (``problems``; empty when all is well). The pools and checks
are those of ``tests/e2e/test_fuzz.py`` (see ``tests/e2e/fuzz_files.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests package


def main() -> None:
    from tests.e2e.fuzz_campaign import Figures, run_campaign

    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--scale", type=int, default=3)
    parser.add_argument("--features", default="auto")
    args = parser.parse_args()
    total = Figures()
    for seed in (int(s) for s in args.seeds.split(",")):
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="aldesk-fuzz-") as tmp:
            figures = run_campaign(Path(tmp), seed, args.scale, features=args.features)
        row = {"seed": seed, "seconds": round(time.perf_counter() - started, 1), **asdict(figures)}
        print(json.dumps(row), flush=True)
        total.add(figures)
    print(json.dumps({"total": asdict(total)}))


if __name__ == "__main__":  # the feature workers' fork server imports this module again
    main()
