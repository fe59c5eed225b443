"""Membership query synthesis and simulate, end to end on small generated pools."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aldesk.core.demo import make_demo_pool
from aldesk.core.project import ProjectSettings, compute_features, create_project
from aldesk.core.rounds import run_round
from aldesk.core.session import Session
from aldesk.core.simulate import simulate


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("digits")
    make_demo_pool("images", root / "pool", labels_out=root / "labels.csv", per_class=12)
    return root / "pool", root / "labels.csv"


def _truth(labels: Path) -> dict[str, str]:
    with labels.open() as f:
        return {r["path"]: r["label"] for r in csv.DictReader(f)}


def test_synthesized_query_is_a_real_file_and_cannot_label_is_never_trained(
    tmp_path, digits
) -> None:
    pool, labels = digits
    truth = _truth(labels)
    classes = [str(d) for d in range(10)]
    settings = ProjectSettings(scenario="synthesis", batch=5, seed_size=10, test_size=0)
    store, _ = create_project(tmp_path / "p", pool, classes, settings)
    session = Session(store, compute_features(store).features)
    ids = {c.name: c.id for c in store.classes()}
    synthesized = None
    for _ in range(40):
        q = session.current()
        if q.item.origin == "synth":
            synthesized = q
            break
        session.answer(ids[truth[q.item.relpath]])
        job = session.training_job()
        if job is not None:
            session.apply_result(run_round(job))
    assert synthesized is not None, "no membership query was synthesized"
    assert synthesized.strategy == "synthesis"
    assert synthesized.abspath.parent == store.synth_dir
    with Image.open(synthesized.abspath) as img:  # a real, readable image file
        img.load()
        assert img.size[0] > 0
    session.cannot_label()
    assert store.answers()[synthesized.item.id].action == "cannot_label"
    job = session.training_job(force=True)
    n_labels = sum(1 for e in store.answers().values() if e.action == "label")
    assert len(job.request.snapshot.y) == n_labels  # the blend is not a training label
    store.close()


def test_simulate_margin_beats_random_on_average(tmp_path) -> None:
    pool, labels = tmp_path / "pool", tmp_path / "labels.csv"
    make_demo_pool("images", pool, labels_out=labels, per_class=30)
    cache = tmp_path / "cache"
    curves = {
        s: simulate(pool, labels, strategy=s, budget=80, batch=5, repeats=3, cache=cache)
        for s in ("random", "margin")
    }

    def area(curve: dict) -> float:  # mean test accuracy once 20 labels are in, over repeats
        return float(np.mean([np.mean([a for n, a in zip(r["n_labels"], r["accuracy"],
                                                          strict=True) if n >= 20])
                              for r in curve["runs"]]))  # fmt: skip

    final = {s: np.mean([r["accuracy"][-1] for r in c["runs"]]) for s, c in curves.items()}
    assert area(curves["margin"]) > area(curves["random"]), {s: area(c) for s, c in curves.items()}
    # At 80 labels both are near the ceiling; features differ run to run by float rounding of
    # batch sizes, which can flip one of the ~30 test items of a repeat: allow that one item.
    n_test = round(0.2 * curves["random"]["n_items"])  # simulate's default test fraction
    assert final["margin"] >= final["random"] - 1.0 / n_test, (final, n_test)
    assert all(r["n_labels"][-1] == 80 for c in curves.values() for r in c["runs"])
    json.dumps(curves)  # the curve is plain JSON data
    assert curves["margin"]["full_accuracy"] > 0.8


def test_a_blend_reads_only_the_paths_of_its_two_rows(tmp_path):
    """The synthesis request carries a lazy path table, not one path per pool row."""
    from aldesk.core.store import NewItem, ProjectStore
    from aldesk.core.synth_flow import RowPaths

    store = ProjectStore.create(tmp_path / "p", pool_root=tmp_path, kind="image", classes=["a"])
    store.add_items(NewItem(f"h{k}", f"sub/f{k}.png", "image", 1, k) for k in range(5))
    rows = RowPaths(store.db_file, store.pool_root, np.array([3, 1, -1, 5]))
    assert len(rows) == 4
    assert rows[0] == tmp_path / "sub" / "f2.png" and rows[3] == tmp_path / "sub" / "f4.png"
    with pytest.raises(IndexError):
        rows[2]  # a row with no item
    store.close()
