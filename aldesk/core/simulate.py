"""Headless active learning with a labels file as the oracle: benchmarks and ``aldesk simulate``.

It runs the same code the app runs: a real project store, ``Session`` choosing each item,
``run_round`` retraining after every ``batch`` labels. Differences, by design: the oracle answers
every held-out test item up front (so every round has an honest test accuracy), retraining is
synchronous (the app serves from the previous ranking while a retrain runs), and the throwaway
project is written without fsync.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from aldesk.core.errors import AldeskError, BadLabelsFile, PoolMissing
from aldesk.core.evaluation import compute_metrics
from aldesk.core.features.types import FeatureSet
from aldesk.core.labels_file import read_oracle_csv
from aldesk.core.learner import TrainingSnapshot, train
from aldesk.core.project import (
    ProjectSettings,
    compute_representation,
    draw_test_split,
)
from aldesk.core.representation import Layout, choose
from aldesk.core.rounds import run_round
from aldesk.core.session import Session
from aldesk.core.simulate_blends import answer_of, blends_text
from aldesk.core.simulate_pool import base_project, log_contradictory
from aldesk.core.store import ProjectStore
from aldesk.core.validation import cv_accuracy
from aldesk.core.wording import count

Log = Callable[[str], None]


def simulate(
    pool: str | Path,
    oracle: str | Path,
    *,
    strategy: str | None = None,
    features: str | None = None,
    budget: int = 300,
    batch: int | None = None,
    seed_size: int | None = None,
    test_fraction: float = 0.2,
    repeats: int = 1,
    mode: str = "pool",
    model: str = "logreg",
    cache: str | Path | None = None,
    log: Log | None = None,
    stream_share: float | None = None,
    synthesis_every: int | None = None,
) -> dict:
    """Run ``repeats`` active-learning runs and return the learning curves (``curve.json``).

    ``strategy``, ``features`` (the representation), ``batch`` and ``seed_size`` default to what
    a new project in the app gets.

    Raises:
        AldeskError: a bad labels file or setting (settings are checked before any feature is
            extracted).
    """
    log = log or (lambda _msg: None)
    if not Path(pool).expanduser().is_dir():  # before any work is said to start
        raise PoolMissing(f"The folder {pool} does not exist.")
    contradictory: list[str] = []
    twofold: set[str] = set()
    labels = read_oracle_csv(oracle, contradictory, twofold)
    log_contradictory(contradictory, log)
    classes = sorted(set(labels.values()), key=_natural)
    _need_two_classes(classes, "The oracle file")
    if mode not in ("pool", "stream", "synthesis"):
        raise AldeskError(f"Unknown mode {mode!r}; use pool, stream or synthesis.")
    defaults = ProjectSettings.for_classes(len(classes))
    strategy = strategy or defaults.strategy
    features = features or defaults.representation
    batch_given, seed_given = batch is not None, seed_size is not None
    seed_size = defaults.seed_size if seed_size is None else seed_size
    batch = defaults.batch if batch is None else batch
    template = ProjectSettings(
        strategy=strategy, representation=features, scenario=mode, model=model,
        batch=batch, seed_size=seed_size,
        stream_budget=defaults.stream_budget if stream_share is None else stream_share,
        synthesis_every=synthesis_every or defaults.synthesis_every,
    )  # fmt: skip
    template.validate()  # a typo fails now, not after minutes of feature extraction
    if stream_share is not None and mode != "stream":
        log(f"note: --stream-share is for the stream mode; a {mode} run does not use it")
    if synthesis_every is not None and mode != "synthesis":
        log(f"note: --synthesis-every is for the synthesis mode; a {mode} run does not use it")
    _note_budget(budget, seed_size, batch if batch_given else None, log)
    with tempfile.TemporaryDirectory(prefix="aldesk-sim-") as tmp:
        base, labels = base_project(Path(tmp), pool, classes, labels, cache, log, twofold)
        if len(set(labels.values())) < len(classes):  # classes of files not in the pool
            classes = sorted(set(labels.values()), key=_natural)
            _need_two_classes(classes, "The oracle file, on this pool's files,")
            template = _defaults_for(template, len(classes), batch_given, seed_given)
            seed_size, batch = template.seed_size, template.batch
        matrix, layout = _load_features(base, features, log)
        runs, full, chosen = [], [], []
        for r in range(repeats):
            settings = dataclasses.replace(template, random_state=r)
            store = _repeat_project(base, Path(tmp) / f"run{r}", settings, test_fraction)
            try:
                _answer_tests(store, labels)
                runs.append(_run(store, matrix, layout, labels, budget, r, log))
                chosen.append(store.rounds()[-1].representation if store.rounds() else None)
                full.append(_full_accuracy(store, matrix, layout, features, labels, model, r))
            finally:
                store.close()
        n_items = sum(1 for it in _items_of(base) if it.status == "ok")
    stream = mode == "stream"  # it queries by a threshold, not the strategy: say so
    return {
        "strategy": "stream quantile filter" if stream else strategy, "mode": mode,
        "n_items": n_items, "classes": classes,
        "features": matrix.extractor_id, "representation": features,
        "layout": layout.to_json(), "chosen_at_end": chosen,
        "seed_size": seed_size, "stream_share": template.stream_budget if stream else None,
        "synthesis_every": template.synthesis_every if mode == "synthesis" else None,
        "budget": budget, "batch": batch,
        "full_accuracy": _mean([f for f in full if f is not None]), "runs": runs,
    }  # fmt: skip


def _note_budget(budget: int | None, seed_size: int, batch: int | None, log) -> None:
    """Settings that leave the strategy nothing to do: "--seed-size 500 --budget 50" was
    reported as the strategy's accuracy, a curve of random picks."""
    if budget is None:
        return
    if seed_size >= budget:
        log(f"note: the seed set ({seed_size} labels, drawn at random) is the whole budget "
            f"({budget}): no item is chosen by the strategy")  # fmt: skip
    elif batch is not None and batch >= budget - seed_size:
        log(f"note: a batch of {batch} is all the budget leaves after the seed set "
            f"({budget} - {seed_size}): one round of the strategy")  # fmt: skip


def _need_two_classes(classes: list[str], what: str) -> None:
    """A run on one class trained no model yet printed "with every pool item labeled 1.000"
    (``aldesk new`` refuses one class too)."""
    if len(classes) < 2:
        given = f"only one class ({classes[0]})" if classes else "no class"
        raise BadLabelsFile(f"{what} gives {given}: a model needs two classes at least.")


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def _defaults_for(
    template: ProjectSettings, n_classes: int, batch_given: bool, seed_given: bool
) -> ProjectSettings:
    """``template`` with the defaults that depend on the class count (those not given)."""
    defaults = ProjectSettings.for_classes(n_classes)
    return dataclasses.replace(
        template,
        batch=template.batch if batch_given else defaults.batch,
        seed_size=template.seed_size if seed_given else defaults.seed_size,
    )


def _natural(name: str) -> tuple:
    return (0, int(name), "") if name.isdigit() else (1, 0, name)


def _items_of(path: Path):
    with ProjectStore.open(path) as store:
        return store.items()


def _load_features(base: Path, representation: str, log: Log) -> tuple[FeatureSet, Layout]:
    with ProjectStore.open(base) as store:
        store.set("representation", representation)
        _, matrix, layout = compute_representation(store, log=log)
    blocks = ", ".join(f"{name} {end - start}" for name, (start, end) in layout.blocks.items())
    n, d = matrix.X.shape
    log(f"features: {n} items x {d} columns ({blocks}; {matrix.extractor_id})")
    return matrix, layout


def _repeat_project(base: Path, folder: Path, settings: ProjectSettings, test_fraction: float):
    """A fresh copy of the scanned base project with this repeat's settings and test split."""
    folder.mkdir()
    shutil.copy2(base / "project.sqlite", folder / "project.sqlite")
    learned = base / "features" / "dictionaries"  # a blend's features need the pool's dictionary
    if settings.scenario == "synthesis" and learned.is_dir():
        shutil.copytree(learned, folder / "features" / "dictionaries")
    store = ProjectStore.open(folder)
    store.without_fsync()  # a throwaway project
    store.set_many(asdict(settings))
    n_ok = sum(1 for it in store.items() if it.status == "ok")
    size = int(round(test_fraction * n_ok))
    draw_test_split(store, min(size, n_ok // 2), settings.random_state)
    return store


def _class_ids(store: ProjectStore) -> dict[str, int]:
    return {c.name: c.id for c in store.classes()}


def _answer_tests(store: ProjectStore, labels: dict[int, str]) -> None:
    ids = _class_ids(store)
    for it in store.items():
        if it.split == "test" and it.status == "ok":
            cid = ids[labels[it.id]]
            store.record(it.id, "label", class_id=cid, strategy="test", split="test")


def _run(store, features, layout, labels, budget: int, repeat: int, log: Log) -> dict:
    session = Session(store)
    session.set_features(features, layout)
    ids = _class_ids(store)
    curve = {"repeat": repeat, "n_labels": [], "accuracy": [], "macro_f1": [], "round_seconds": [],
             "representation": [], "stop_advised": []}  # fmt: skip
    n_labels = 0
    while n_labels < budget:
        query = session.current()
        if query is None:
            break
        name = answer_of(store, session, query.item, labels, curve)
        if name is None:  # a blend no one could name
            session.cannot_label()
            continue
        session.answer(ids[name])
        n_labels += 1
        _train(session, curve, force=n_labels >= budget)  # the last labels count too
    ended = n_labels < budget  # nothing left to ask: a stream's arrivals all seen, or the pool
    if ended and n_labels and (not curve["n_labels"] or curve["n_labels"][-1] < n_labels):
        _train(session, curve, force=True)  # the labels since the last round count too
    why = " (nothing left to ask)" if ended else ""
    if session.settings.scenario == "stream":  # the share and the discards, ended or not
        summary = session.stream_summary()
        curve["passed_over"] = passed = summary.discarded
        asked = f"{summary.queried / summary.seen:.0%}" if summary.seen else "none"
        share = (f"{summary.seen} of {summary.seen + summary.waiting} arrivals seen, {passed} "
                 f"passed over; it asked {asked} of the arrivals it saw, its seed "
                 f"set included; the share set, {session.settings.stream_budget:.0%}, is kept "
                 "to from the first model on")  # fmt: skip
        why = f" (the stream ended: {share})" if ended else f" ({share})"
    why += blends_text(curve)
    curve["n_test"] = n_test = session.index.n_test
    final = final_text(curve["accuracy"][-1] if curve["accuracy"] else None, n_test)
    log(f"repeat {repeat}: {n_labels} labels{why}, final accuracy {final}")
    return curve


def final_text(accuracy: float | None, n_test: int) -> str:
    """ "0.736 on 72 test items", or why there is no accuracy."""
    if not n_test:
        return "not measured (no test items: --test-fraction 0)"
    if accuracy is None:
        return "none (no model)"
    return f"{accuracy:.3f} on {count(n_test, 'test item')}"


def _train(session: Session, curve: dict, force: bool) -> None:
    """Run the round that is due (or forced) and add its point to the curve."""
    job = session.training_job(force=force)
    if job is None:
        return
    start = time.perf_counter()
    result = run_round(job)
    elapsed = time.perf_counter() - start
    session.apply_result(result)
    _add_point(curve, session, elapsed)


def _add_point(curve: dict, session: Session, seconds: float) -> None:
    latest = session.model.latest_round()
    curve["n_labels"].append(latest.n_labels)
    curve["accuracy"].append(latest.accuracy)
    curve["macro_f1"].append(latest.macro_f1)
    curve["round_seconds"].append(round(seconds, 4))
    curve["representation"].append(latest.representation)
    # What the app's Progress panel would say now (stable predictions, by default): how many
    # labels the advice would have saved, and what they would have cost in accuracy.
    curve["stop_advised"].append(bool(session.status().advice.stop))


def first_stop_advice(run: dict) -> tuple[int, float | None] | None:
    """(labels, test accuracy) at the first round whose stopping advice said stop; None if
    it never did within the run."""
    for n, accuracy, stop in zip(run["n_labels"], run["accuracy"], run.get("stop_advised", ()),
                                 strict=False):  # fmt: skip
        if stop:
            return n, accuracy
    return None


def _full_accuracy(
    store, features: FeatureSet, layout: Layout, setting: str, labels, model: str, seed: int
) -> float | None:
    """The same model trained on every non-test item: the ceiling active learning aims at.
    None without test items.

    With ``auto`` features, the representation is chosen the way the rounds choose it.
    """
    ids = _class_ids(store)
    index = {cid: k for k, cid in enumerate(ids.values())}
    train_rows, train_y, test_rows, test_y = [], [], [], []
    for it in store.items():
        row = features.row(it.hash)
        if row is None or it.id not in labels:  # unreadable, or not a pool file
            continue
        y = index[ids[labels[it.id]]]
        (test_rows if it.split == "test" else train_rows).append(row)
        (test_y if it.split == "test" else train_y).append(y)
    if not test_rows:
        return None
    X, y = features.X[train_rows], np.array(train_y)

    def scorer(Xc: np.ndarray, yc: np.ndarray, w: np.ndarray) -> float:
        return cv_accuracy(Xc, yc, w, random_state=seed)

    choice = choose(X, y, layout, setting, None, scorer)
    snap = TrainingSnapshot(
        X=X, y=y, n_classes=len(ids), model=model, random_state=seed,
        feature_weights=layout.weights(choice.name),
    )  # fmt: skip
    fitted = train(snap)
    pred = fitted.predict(features.X[test_rows])
    return compute_metrics(np.array(test_y), pred, len(ids), random_state=seed).accuracy
