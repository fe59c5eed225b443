"""``simulate --mode synthesis``: blends are made and asked as in the app; the labels file's
oracle names a blend by its larger source when that makes up 75 % of it, else "can't label"."""

from __future__ import annotations

import json

import pytest

from aldesk.cli import main
from aldesk.core.demo import make_demo_pool
from aldesk.core.errors import AldeskError
from aldesk.core.simulate import simulate
from aldesk.core.simulate_blends import MAJORITY, blend_label


def test_a_synthesis_run_asks_blends_and_counts_only_labels_to_its_budget(tmp_path, capsys):
    pool, labels = tmp_path / "pool", tmp_path / "labels.csv"
    make_demo_pool("images", pool, labels_out=labels, per_class=8)
    out = tmp_path / "curve.json"
    assert main(["simulate", "--pool", str(pool), "--oracle", str(labels), "--mode",
                 "synthesis", "--synthesis-every", "3", "--budget", "45", "--out",
                 str(out)]) == 0  # fmt: skip
    curve = json.loads(out.read_text())
    run = curve["runs"][0]
    assert curve["mode"] == "synthesis" and curve["synthesis_every"] == 3
    asked = run.get("blends_labeled", 0) + run.get("blends_unlabelable", 0)
    assert asked >= 3  # one in three items, once the seed set is in
    assert run["n_labels"][-1] == 45  # "can't label" answers are no labels
    assert f"{asked} blends asked" in capsys.readouterr().err
    with pytest.raises(AldeskError, match="use pool, stream or synthesis"):
        simulate(pool, labels, mode="blend", budget=10)


class _Sources:
    def __init__(self, first, second, ratio):
        self.first, self.second, self.ratio = first, second, ratio

    def shares(self):
        return 100 - round(self.ratio * 100), round(self.ratio * 100)


def test_the_oracle_names_a_blend_only_when_one_source_dominates(monkeypatch):
    from types import SimpleNamespace

    import aldesk.core.simulate_blends as blends

    a, b = SimpleNamespace(id=1), SimpleNamespace(id=2)
    labels = {1: "cat", 2: "dog"}
    for ratio, expected in ((0.2, "cat"), (0.25, "cat"), (0.5, None), (0.7, None), (0.8, "dog")):
        monkeypatch.setattr(blends, "sources_of", lambda *_a, r=ratio: _Sources(a, b, r))
        assert blend_label(None, 9, {}, labels) == expected, ratio
    assert MAJORITY == 75
