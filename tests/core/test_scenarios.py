"""Membership query synthesis and simulate, end to end on small generated pools."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aldesk.core.demo import make_demo_pool
from aldesk.core.project import ProjectSettings, compute_features, create_project
from aldesk.core.rounds import RoundResult, run_round
from aldesk.core.session import Session
from aldesk.core.simulate import simulate
from aldesk.core.store import ProjectStore


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("digits")
    make_demo_pool("images", root / "pool", labels_out=root / "labels.csv", per_class=12)
    return root / "pool", root / "labels.csv"


def _truth(labels: Path) -> dict[str, str]:
    with labels.open() as f:
        return {r["path"]: r["label"] for r in csv.DictReader(f)}


def _synthesis_session(tmp_path: Path, digits, batch: int) -> tuple:
    """``(store, session, class ids by name, true label by path)`` of a synthesis project."""
    pool, labels = digits
    classes = [str(d) for d in range(10)]
    settings = ProjectSettings(scenario="synthesis", batch=batch, seed_size=10, test_size=0)
    store, _ = create_project(tmp_path / "p", pool, classes, settings)
    session = Session(store, compute_features(store).features)
    return store, session, {c.name: c.id for c in store.classes()}, _truth(labels)


def test_synthesized_query_is_a_real_file_and_cannot_label_is_never_trained(
    tmp_path, digits
) -> None:
    store, session, ids, truth = _synthesis_session(tmp_path, digits, batch=5)
    synthesized = None
    for _ in range(40):
        q = session.current()
        if q.item.origin == "synth":
            synthesized = q
            # not before the seed set's labels are in: a blend of a 2-label model was asked
            assert len(store.labels()) >= session.settings.seed_size
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
    # blends are counted apart: "of 101 pool items" for a folder of 100 files
    from aldesk.core.log_status import read_status
    from aldesk.core.session_status import labeled_text

    n_files = sum(it.origin == "file" and it.split == "pool" for it in store.items())
    for status in (session.status(), read_status(store)):
        assert (status.n_synth, status.n_synth_labeled) == (1, 0)
        assert f"of {n_files} pool items + 0 of 1 synthesized blend" in labeled_text(status)
    store.close()


def test_answers_on_blends_are_exported_and_imported_back(tmp_path, digits) -> None:
    """Labels on blends are trained on and counted, but exports left them (and the can't-label
    answers on blends) out: the per-class counts could not be rebuilt from the file."""
    from aldesk.core.interop import plan_import
    from aldesk.core.labels_export import export_labels

    store, session, ids, truth = _synthesis_session(tmp_path, digits, batch=5)
    blends = []
    for _ in range(80):
        q = session.current()
        if q is None or len(blends) == 2:
            break
        if q.item.origin == "synth":
            blends.append(q.abspath)
            (session.answer(ids["3"]) if len(blends) == 1 else session.cannot_label())
        else:
            session.answer(ids[truth[q.item.relpath]])
        job = session.training_job()
        if job is not None:
            session.apply_result(run_round(job))
    assert len(blends) == 2, "two membership queries were not synthesized"
    out = tmp_path / "labels.csv"
    export_labels(store, out)
    with out.open() as f:
        rows = {r["path"]: r for r in csv.DictReader(f)}
    labeled, cannot = (rows[p.as_posix()] for p in blends)
    assert (labeled["label"], labeled["answer"]) == ("3", "label")
    assert (cannot["label"], cannot["answer"]) == ("", "cannot_label")
    per_class = session.status().per_class
    exported = {c.name: sum(r["label"] == c.name for r in rows.values()) for c in store.classes()}
    assert exported == {name: n for name, n in per_class.items()}
    plan = plan_import(store, out)  # the project's own export reads back onto its items
    assert not plan.unknown_paths and plan.same == len(store.labels())
    project = store.path
    store.close()
    # the command line opens the project read-only: its blends were written as the paths of a
    # scratch copy gone on close, and an import or --dry-run found none of them
    from aldesk.cli import main

    cli_out = tmp_path / "cli.csv"
    assert main(["export", str(project), "--out", str(cli_out)]) == 0
    with cli_out.open() as f:
        paths = {r["path"] for r in csv.DictReader(f)}
    assert {p.resolve().as_posix() for p in blends} <= paths
    assert all(Path(p).exists() for p in paths if p.startswith("/"))
    with ProjectStore.open(project, readonly="a look") as again:
        assert not plan_import(again, cli_out).unknown_paths


def test_blends_cross_more_than_one_class_boundary_and_a_repeat_never_breaks_a_round(
    tmp_path, digits
) -> None:
    """Each round draws its own pair: the project's seed alone drew the same two classes every
    round, and once the model settled the very same blend, whose second copy failed the round
    (UNIQUE constraint on the content hash) instead of being left out."""
    store, session, ids, truth = _synthesis_session(tmp_path, digits, batch=2)
    relpath = {it.id: it.relpath for it in store.items()}
    pairs = []
    for _ in range(70):
        q = session.current()
        if q is None:
            break
        if q.item.origin == "synth":
            session.cannot_label()
        else:
            session.answer(ids[truth[q.item.relpath]])
        job = session.training_job()
        if job is None:
            continue
        result = run_round(job)
        if result.synthesized is not None:
            rows = result.synthesized.parents
            items = [int(session.model.item_of_row[r]) for r in rows]
            pairs.append(frozenset(truth[relpath[i]] for i in items))
        assert session.apply_result(result)  # never raises, even for a blend made before
    assert len(pairs) >= 5 and len(set(pairs)) >= 2
    for item in store.items():  # a blend waiting to be asked: no new one is made meanwhile
        if item.origin == "synth" and item.id not in store.answers():
            session.show_item(item.id)
            session.cannot_label()
    # The same blend offered twice is left out the second time, not added again.
    result = next(r for r in (run_round(session.training_job(force=True)),) if r.synthesized)
    assert session.apply_result(result)
    n = len(store.items())
    copy = result.synthesized.path.with_name("again.png")
    copy.write_bytes(result.synthesized.path.read_bytes())
    newer = run_round(session.training_job(force=True)).ranking
    twin = RoundResult(newer, dataclasses.replace(result.synthesized, path=copy))
    assert session.apply_result(twin)
    assert len(store.items()) == n and not copy.exists()
    store.close()


def test_simulate_margin_is_not_behind_random_on_average(tmp_path) -> None:
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
    n_test = round(0.2 * curves["random"]["n_items"])  # simulate's default test fraction
    # The features differ run to run by float rounding of batch sizes (worker timing), and
    # margin's picks follow them: the same code gave margin an area of 0.875 on a quiet machine,
    # 0.866 under load and 0.832 in a full test run (random 0.846-0.847 in all three). A broken
    # strategy loses by far more than the one test item allowed here.
    gap = area(curves["margin"]) - area(curves["random"])
    assert gap > -1.0 / n_test, {s: area(c) for s, c in curves.items()}
    # At 80 labels both are near the ceiling, where the same rounding can flip test items:
    # allow a mean of two of each repeat's 60.
    assert final["margin"] >= final["random"] - 2.0 / n_test, (final, n_test)
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


def test_a_stream_that_ends_before_the_budget_still_trains_on_its_last_labels(
    tmp_path, digits
) -> None:
    """The stream queries a share of its arrivals, so it can run out before the budget: the
    labels since the last round are trained on, and the log says why the run stopped short."""
    pool, labels = digits
    said: list[str] = []
    curve = simulate(pool, labels, budget=200, batch=5, mode="stream", cache=tmp_path / "c",
                     log=said.append)  # fmt: skip
    run = curve["runs"][0]
    given = next(int(m.split(": ")[1].split(" ")[0]) for m in said if m.startswith("repeat 0"))
    assert given < 200 and run["n_labels"][-1] == given
    assert any("the stream ended" in m for m in said)
    # it reported the pool strategy a stream does not use ("tcm"); its seed set it now uses
    assert curve["strategy"] == "stream quantile filter" and curve["stream_share"] == 0.2
    line = next(m for m in said if "passed over; it asked " in m)
    asked = int(line.split("it asked ")[1].split("%")[0])  # what it did, and the share set
    assert 0 < asked < 100 and "the share set, 20%, is kept to from the first model on" in line
    half = simulate(pool, labels, budget=200, batch=5, mode="stream", cache=tmp_path / "c",
                    stream_share=0.5, log=said.append)  # fmt: skip
    assert half["stream_share"] == 0.5  # a larger share asks more before the stream ends
    assert half["runs"][0]["n_labels"][-1] > given
    short = simulate(pool, labels, budget=20, batch=5, mode="stream", cache=tmp_path / "c",
                     log=said.append)  # fmt: skip
    assert short["runs"][0]["passed_over"] >= 0  # the budget ran out first: still said
    arrivals = half["n_items"] - round(0.2 * half["n_items"])  # the pool: all but the test items
    assert f" of {arrivals} arrivals seen, " in said[-1]  # how far the stream got: never said
    assert said[-1].startswith("repeat 0: 20 labels (") and "first model on)" in said[-1]


def test_a_blend_s_score_is_said_to_be_of_the_model_that_made_it(tmp_path, digits) -> None:
    """The first blend, made by the seed set's 2-class model, is asked a round later: its score
    read "74 % apart" beside the newer model's bars of >99 % and <1 %, with no word that the
    two came from different models."""
    from aldesk.core.strategies.pool import margin_scores

    store, session, ids, truth = _synthesis_session(tmp_path, digits, batch=2)
    seen = []
    for _ in range(40):
        q = session.current()
        if q.item.origin == "synth":
            proba = np.array([list(q.proba.values())], dtype=np.float32)
            seen.append((q.asked_round, q.round, q.score, float(margin_scores(proba)[0])))
            session.cannot_label()
        else:
            session.answer(ids[truth[q.item.relpath]])
        job = session.training_job()
        if job is not None:
            session.apply_result(run_round(job))
    assert seen
    for asked, now, score, of_bars in seen:
        assert asked is None and score == pytest.approx(of_bars, abs=1e-4) or asked < now
    store.close()


def test_a_blend_written_but_never_recorded_is_removed_on_reopen(tmp_path, digits) -> None:
    """Killed between writing a blend and recording its round, the file stayed in the project
    for good: never an item, never asked."""
    store, session, ids, truth = _synthesis_session(tmp_path, digits, batch=2)
    for _ in range(30):
        q = session.current()
        session.answer(ids[truth[q.item.relpath]]) if q.item.origin != "synth" else session.skip()
        job = session.training_job()
        if job is not None:
            session.apply_result(run_round(job))
    blends = sorted(p.name for p in store.synth_dir.iterdir())
    assert blends  # recorded ones
    orphan = store.synth_dir / "synth_20261207-101010_123456.png"
    orphan.write_bytes((store.synth_dir / blends[0]).read_bytes())
    path = store.path
    store.close()
    store = ProjectStore.open(path)
    Session(store)
    assert sorted(p.name for p in store.synth_dir.iterdir()) == blends
    store.close()
