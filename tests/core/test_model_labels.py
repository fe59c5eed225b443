"""The model's own labels (auto-label, source "model") are kept apart from the user's: the
learning curve neither counts them nor takes one as a test item's truth, and every export names
each label's source and can leave the model's out."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_classification

from aldesk.cli import main
from aldesk.core.export_folders import plan_folder_export
from aldesk.core.features.types import FeatureSet
from aldesk.core.interop import export_labels
from aldesk.core.project import ProjectSettings
from aldesk.core.review_auto import MODEL_STRATEGY
from aldesk.core.rounds import run_round
from aldesk.core.session import Session
from aldesk.core.store import NewItem, ProjectStore

N_ITEMS = 120


@pytest.fixture
def project(tmp_path: Path):
    """16 user answers (some on test items), then model labels on 10 pool items and, planted
    by hand, on one unlabelled test item (auto-label itself only takes pool items)."""
    X, y = make_classification(n_samples=N_ITEMS, n_features=12, n_informative=6,
                               n_classes=3, random_state=0)  # fmt: skip
    settings = asdict(ProjectSettings(batch=4, seed_size=6, test_size=12))
    store = ProjectStore.create(tmp_path / "p", pool_root=tmp_path / "pool", kind="image",
                                classes=["a", "b", "c"], settings=settings)  # fmt: skip
    (tmp_path / "pool").mkdir()
    for i in range(N_ITEMS):
        (tmp_path / "pool" / f"f{i:04d}.png").write_bytes(b"x")
        os.utime(tmp_path / "pool" / f"f{i:04d}.png", ns=(i, i))  # as scanned: size 1, time i
    store.add_items(NewItem(f"h{i:04d}", f"f{i:04d}.png", "image", 1, i, arrival=i)
                    for i in range(N_ITEMS))  # fmt: skip
    store.set_split(list(range(1, 13)), "test")
    features = FeatureSet("test-v1", X.astype(np.float32), [f"h{i:04d}" for i in range(N_ITEMS)])
    session = Session(store, features)
    classes = [c.id for c in store.classes()]
    for _ in range(16):
        q = session.current()
        session.answer(classes[y[q.item.id - 1]])
    answered = set(store.answers())
    items = store.items()
    pool = [it for it in items if it.split == "pool" and it.id not in answered][:10]
    test = next(it for it in items if it.split == "test" and it.id not in answered)
    store.record_labels([(it.id, classes[0], "pool") for it in pool], strategy=MODEL_STRATEGY)
    store.record_labels([(test.id, classes[1], "test")], strategy=MODEL_STRATEGY)
    yield store, features, {it.id for it in pool} | {test.id}
    store.close()


def test_the_learning_curve_counts_only_the_users_labels(project) -> None:
    store, features, by_model = project
    answers = store.answers()
    user_pool = sum(1 for e in answers.values()
                    if e.action == "label" and e.split == "pool" and e.item_id not in by_model)  # fmt: skip
    user_test = sum(1 for e in answers.values()
                    if e.action == "label" and e.split == "test" and e.item_id not in by_model)  # fmt: skip
    session = Session(store, features)
    job = session.training_job(force=True)
    assert len(job.request.snapshot.y) == user_pool + 10  # the model's labels are trained on
    assert session.apply_result(run_round(job))
    point = store.rounds()[-1]
    assert point.n_labels == user_pool  # ... but the curve counts the user's
    assert point.n_test == user_test  # and a model label is never a test item's truth


def test_exports_name_the_source_and_can_leave_model_labels_out(project, tmp_path) -> None:
    store, _, by_model = project
    out = tmp_path / "all.csv"
    n_all = export_labels(store, out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert n_all == len(rows) and "source" in rows[0]
    model_paths = {it.relpath for it in store.items() if it.id in by_model}
    assert {r["path"] for r in rows if r["source"] == "model"} == model_paths
    assert {r["source"] for r in rows} == {"user", "model"}
    kept = tmp_path / "user.jsonl"
    assert export_labels(store, kept, fmt="jsonl", model_labels=False) == n_all - len(by_model)
    objects = [json.loads(line) for line in kept.read_text().splitlines()]
    assert {o["source"] for o in objects} == {"user"}
    folders = plan_folder_export(store, tmp_path / "folders", model_labels=False)
    assert not {src.name for src, _ in folders.files} & model_paths


def test_cli_export_no_model_labels(project, tmp_path, capsys) -> None:
    store, _, _ = project
    store.close()  # the CLI opens the project itself
    out = tmp_path / "cli.csv"
    assert main(["export", str(tmp_path / "p"), "--out", str(out), "--no-model-labels"]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows and {r["source"] for r in rows} == {"user"}


def test_the_label_budget_counts_the_users_answers_never_the_models(project) -> None:
    store, features, by_model = project
    answers = store.answers()
    user_pool = sum(1 for e in answers.values()
                    if e.action == "label" and e.split == "pool" and e.item_id not in by_model)  # fmt: skip
    store.set("budget", user_pool + 2)  # 10 model labels on the pool would overspend it
    session = Session(store, features)
    assert not session.budget_spent() and session.current() is not None
    budget = next(a for a in session.status().advice.criteria if "budget" in a.reason)
    assert not budget.stop and budget.reason.startswith("2 labels left")
    first = store.classes()[0].id
    for _ in range(20):  # the user answers until the budget is spent (test items cost nothing)
        if session.budget_spent():
            break
        session.answer(first)
    users = sum(1 for e in store.answers().values()
                if e.action == "label" and e.split == "pool" and e.item_id not in by_model)  # fmt: skip
    assert users == user_pool + 2 and session.current() is None
    assert f"spent: {users} of {users} labels" in session.done_text()


def test_the_doubt_check_judges_the_users_labels_and_a_withdrawal_retrains(project) -> None:
    """The check judged the model's own labels too ("checked 771 labels" of 63 given), and
    withdrawing them made no retrain: the model kept learning from them."""
    from aldesk.core.review import judged_labels
    from aldesk.core.review_auto import withdraw_model_edits

    store, features, by_model = project
    judged = judged_labels(store.labels(), store.answers())
    assert judged and not (judged.keys() & by_model)
    assert judged.keys() | by_model == store.labels().keys()
    session = Session(store, features)
    job = session.training_job()
    if job is not None:  # the reopened session's first round
        session.apply_result(run_round(job))
    assert session.training_job() is None
    session.append_edits([e.as_row() for e in withdraw_model_edits(store.answers())])
    assert not (store.labels().keys() & by_model)
    assert session.training_job() is not None  # the model's labels leave the model too
