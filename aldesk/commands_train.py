"""``aldesk train``: retrain on the labels as they are and record the round, as the app does.

A project labeled from scripts (``import-labels``) has no model until the app opens it, so
``status`` could never show its test accuracy; this trains and measures it headless.
"""

from __future__ import annotations

import argparse
import sys

from aldesk.cli_types import PROJECT, PROJECT_HELP
from aldesk.core.errors import AldeskError


def add_parser(sub) -> None:
    """Register the sub-command on the CLI's sub-parsers."""
    p = sub.add_parser(
        "train",
        help="retrain on the current labels and record the round (test accuracy), as the app does",
    )
    p.add_argument("project", type=PROJECT, help=PROJECT_HELP)


def trained_session(store, what: str):
    """A session on ``store`` with a model trained on its labels as they are (a round, as the
    app's retrain). ``what`` names the need in the refusal ("Predictions", "Training").

    Raises:
        AldeskError: Fewer than two classes are labeled.
    """
    from aldesk.commands import _progress_line
    from aldesk.core.project import compute_representation
    from aldesk.core.rounds import run_round
    from aldesk.core.session import Session

    _, matrix, layout = compute_representation(
        store,
        progress=_progress_line("features", in_logs=True),
        log=lambda m: print(m, file=sys.stderr),
    )
    session = Session(store)
    session.set_features(matrix, layout)
    job = session.training_job(force=True)
    if job is None:
        raise AldeskError(f"{what} needs labels of at least two classes.")
    session.apply_result(run_round(job))
    return session


def cmd_train(args: argparse.Namespace) -> int:
    from aldesk.commands_status import _status_of, advice_line
    from aldesk.core.pool_sync import rescan_store
    from aldesk.core.session_status import accuracy_text, macro_f1_text
    from aldesk.core.store import ProjectStore
    from aldesk.core.wording import count

    with ProjectStore.open(args.project) as store:
        # files added, deleted or replaced since the last open count as opening would count
        # them (status promised "aldesk train rescans the folder"; it trained on the old scan)
        rescan = rescan_store(store)
        if rescan is not None and rescan.summary():
            print(rescan.summary())
        session = trained_session(store, "Training")
        latest = session.model.latest_round()
        status = session.status()
        print(f"Round {latest.round} trained on {count(latest.n_labels, 'label')} "
              f"(features: {latest.representation or 'the project’s'}); test accuracy "
              f"{accuracy_text(status)}; macro-F1 {macro_f1_text(status)}")  # fmt: skip
        # the same closing line as status: an ended stream is not "keep going"
        line = advice_line(*_status_of(store)[::2])
        if line:
            print(line)
    return 0
