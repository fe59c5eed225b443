"""Fuzz campaign (issue 12 "Proof"): hostile image and audio pools, deterministic seeds.

``aldesk new / status / simulate / import-labels / export`` run in-process on each pool, then
the viewers' decode paths on every file: zero crashes, every bad file flagged with a reason,
every good file used (an item with features, exported under its exact name, decoded by the
viewer). The default run is CI-sized; ``ALDESK_SLOW=1`` adds a longer run over more seeds
(``benchmarks/bench_fuzz.py`` prints the same figures).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.fuzz_campaign import environment_ok, run_campaign

pytestmark = pytest.mark.skipif(not environment_ok(), reason="needs FIFOs and Unix sockets")


def _report(figures) -> str:
    problems = "\n".join(figures.problems[:30])
    return (
        f"{figures.files} files, {figures.commands} commands, {figures.viewed} viewed, "
        f"{figures.crashes} crashes, {figures.flagged} flagged\n{problems}"
    )


def test_fuzz_campaign(tmp_path: Path) -> None:
    # Pool-learned features only: the pretrained encoders' paths run in the long campaign.
    figures = run_campaign(tmp_path, seed=12, features="pool")

    assert figures.problems == [], _report(figures)
    assert figures.crashes == 0
    assert figures.files >= 200 and figures.flagged >= 100 and figures.good_used >= 90


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("ALDESK_SLOW"), reason="long run: set ALDESK_SLOW=1")
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fuzz_campaign_long(tmp_path: Path, seed: int) -> None:
    figures = run_campaign(tmp_path, seed=seed, scale=3, features="auto")
    assert figures.problems == [], _report(figures)
