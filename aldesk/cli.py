"""The ``aldesk`` command line. Qt is imported only when a window is opened.

Errors a user can cause print one line and exit 2; no traceback reaches the terminal.
"""

from __future__ import annotations

import argparse
import errno
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from aldesk import __version__
from aldesk.cli_types import (
    ACCURACY,
    FILE,
    FOLDER,
    PROJECT,
    PROJECT_HELP,
    TEST_FRACTION,
    Parser,
    count,
)
from aldesk.core.errors import AldeskError

EXIT_USER_ERROR = 2
EXIT_BUG = 70  # EX_SOFTWARE (sysexits.h): an internal error
EXIT_READER_GONE = 141  # what a Unix command killed by SIGPIPE reports: 128 + 13
# Written out rather than imported: the strategies module loads numpy, and --help should not.
STRATEGY_HELP = ("pool query strategy: tcm (the default: typical items first, then margin), "
                 "margin, entropy, least_confidence, qbc, density, adaptive or random")  # fmt: skip
SYNTHESIS_EVERY_HELP = "synthesis scenario: one blend asked in this many items (default 5)"
SCENARIO_HELP = "pool: the model ranks every item; stream: items arrive one at a time"
STREAM_SHARE_HELP = ("stream scenario: the share of arrivals asked about once a model decides, "
                     "in (0, 1] (default 0.2); the threshold adapts to keep to it, and passes "
                     "over arrivals the model is sure of even at 1")  # fmt: skip
MODELS = ("logreg", "svm", "forest", "committee")
MODEL_HELP = "logreg (the default, logistic regression), svm, forest or committee (for qbc)"
COMMANDS = ("new", "open", "status", "simulate", "export", "import-labels", "demo",
            "selfcheck", "suspicious", "train")  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="aldesk",
        description="Offline active-learning labeler for folders of images and audio clips. "
        "With no command, opens the welcome window.",
    )
    parser.add_argument("--version", action="version", version=f"aldesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_new(sub)
    p = sub.add_parser("open", help="open a project in the labeling window")
    p.add_argument("project", type=PROJECT, help=PROJECT_HELP)
    p = sub.add_parser("status", help="counts, rounds, latest metrics and stopping advice")
    p.add_argument("project", type=PROJECT, help=PROJECT_HELP)
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    _add_simulate(sub)
    from aldesk.commands_review import add_parser as add_suspicious
    from aldesk.commands_train import add_parser as add_train

    add_suspicious(sub)
    add_train(sub)
    p = sub.add_parser("export", help="export labels (and predictions) to CSV, JSON or JSON "
                       "Lines, or the labeled files as a folder per class")  # fmt: skip
    p.add_argument("project", type=PROJECT, help=PROJECT_HELP)
    p.add_argument("--format", choices=("csv", "json", "jsonl", "folders"), default=None,
                   help="default: by the --out file's ending (.json, .jsonl, else csv); "
                        "folders: OUT/<class>/<file>, as torchvision's ImageFolder reads")  # fmt: skip
    p.add_argument("--out", type=FILE, required=True,
                   help="the file to write (/dev/stdout into a pipe); with --format folders, a "
                        "new folder")  # fmt: skip
    p.add_argument("--link", action="store_true",
                   help="with --format folders: hard links instead of copies (same disk only)")  # fmt: skip
    p.add_argument("--predictions", action="store_true",
                   help="add the model's prediction and confidence for every unlabeled item")  # fmt: skip
    p.add_argument("--no-model-labels", dest="model_labels", action="store_false",
                   help="leave out the labels auto-label gave (source 'model')")  # fmt: skip
    _add_recover(sub)
    p = sub.add_parser("import-labels", help="import path,label rows (or folder names) as answers")
    p.add_argument("project", type=PROJECT, help=PROJECT_HELP)
    p.add_argument("file", type=FILE, nargs="?", help="a CSV, JSON or JSON Lines labels file")
    p.add_argument("--from-folders", action="store_true",
                   help="instead of a file: label each file in a folder named like a class with "
                        "that class (a pool partly sorted by hand)")  # fmt: skip
    p.add_argument("--add-classes", action="store_true",
                   help="create the classes the file (or the folder names) use")  # fmt: skip
    p.add_argument("--leave-out-unknown-classes", action="store_true",
                   help="leave out the rows of classes the project lacks (a typo in a "
                        "hand-edited file) instead of refusing the file")  # fmt: skip
    p.add_argument("--keep-existing", action="store_true",
                   help="where the file's label differs from the project's, keep the project's "
                        "(by default the file's replaces it)")  # fmt: skip
    p.add_argument("--dry-run", action="store_true",
                   help="print how many labels are new, the same or conflicting; write nothing")  # fmt: skip
    p = sub.add_parser("demo", help="make a sample pool and open it in the labeling window")
    p.add_argument("kind", nargs="?", choices=("images", "audio"), default="images")
    p.add_argument("--dir", type=Path, default=None,
                   help="where the demo is kept (default: your data folder; reused next time)")  # fmt: skip
    p.add_argument("--fresh", action="store_true",
                   help="delete the previous demo project and start a new one")  # fmt: skip
    p = sub.add_parser("selfcheck", help="check this installation: label, retrain and reopen "
                       "two small generated projects in an offscreen window")  # fmt: skip
    p.add_argument("--dir", type=Path, default=None,
                   help="make and keep the check's projects here (default: a temporary folder)")  # fmt: skip
    return parser


def _add_new(sub) -> None:
    p = sub.add_parser("new", help="create a project on a folder of images or audio clips")
    p.add_argument("project", type=PROJECT, help=PROJECT_HELP)
    p.add_argument("--pool", type=FOLDER, required=True, help="the folder of unlabeled items")
    p.add_argument("--classes", required=True,
                   help="comma-separated class names; a name with a comma in double quotes "
                        "('\"Oil lamp, Roman\",Scarab'), or @FILE with one name a line")  # fmt: skip
    p.add_argument("--strategy", default=None, help=STRATEGY_HELP)
    _add_features_option(p)
    p.add_argument("--scenario", choices=("pool", "stream", "synthesis"), default="pool",
                   help=SCENARIO_HELP + "; synthesis: now and then an item the model made")  # fmt: skip
    p.add_argument("--stream-share", type=ACCURACY, default=None, help=STREAM_SHARE_HELP)
    p.add_argument("--synthesis-every", type=count(1), default=None, help=SYNTHESIS_EVERY_HELP)
    p.add_argument("--model", default="logreg", choices=MODELS, help=MODEL_HELP)
    p.add_argument(
        "--batch", type=count(1), default=5, help="labels between retrains (k; default 5)"
    )
    p.add_argument("--seed-size", type=count(0), default=None,
                   help="labels before the strategy starts (default: 2 per class, at least 10)")  # fmt: skip
    p.add_argument("--seed-method", choices=("random", "representative"), default=None,
                   help="how the seed set is drawn (default: random)")  # fmt: skip
    p.add_argument(
        "--test-size", type=count(0), default=50, help="random held-out test items (default 50)"
    )
    p.add_argument("--budget", type=count(1), default=None,
                   help="stop asking after this many labels on pool items (held-out test "
                   "items are not counted)")  # fmt: skip
    p.add_argument("--target-accuracy", type=ACCURACY, default=None,
                   help="stop advice at this test accuracy, in (0, 1]")  # fmt: skip
    p.add_argument("--kind", choices=("image", "audio"), default=None,
                   help="for a mixed folder: which kind to label (default: the majority)")  # fmt: skip
    p.add_argument("--no-features", action="store_true",
                   help="skip feature extraction now (the app does it on open)")  # fmt: skip


def _add_features_option(p) -> None:
    p.add_argument(
        "--features", choices=("auto", "pool", "pretrained", "both"), default=None,
        help="what the model sees: auto (chosen from the labels by cross-validation, the "
        "default), pool (features learned from the folder), pretrained (ImageNet / sound "
        "encoder) or both",
    )  # fmt: skip


def _add_simulate(sub) -> None:
    p = sub.add_parser("simulate", help="run the loop headless with a labels file as the oracle")
    p.add_argument("--pool", type=FOLDER, required=True, help="the folder of items")
    p.add_argument("--oracle", type=FILE, required=True, help="CSV with path,label columns")
    p.add_argument("--strategy", default=None, help=STRATEGY_HELP)
    _add_features_option(p)
    p.add_argument("--budget", type=count(1), required=True, help="labels per run")
    p.add_argument("--batch", type=count(1), default=None,
                   help="labels between retrains (default: the app's, 5)")  # fmt: skip
    p.add_argument("--seed-size", type=count(0), default=None,
                   help="labels before the strategy starts (default: 2 per class, at least 10)")  # fmt: skip
    p.add_argument("--test-fraction", type=TEST_FRACTION, default=0.2,
                   help="share of the pool held out for testing, in [0, 1) (default 0.2)")  # fmt: skip
    p.add_argument("--repeats", type=count(1, 10_000), default=1,
                   help="runs, each with its own test split and seed set (default 1)")  # fmt: skip
    p.add_argument("--mode", choices=("pool", "stream", "synthesis"), default="pool",
                   help=SCENARIO_HELP + "; synthesis: pool, and now and then a blend the model "
                   "made, answered with its larger source's label when that source is at least "
                   "75 %% of it, else \"can't label\"")  # fmt: skip
    p.add_argument("--stream-share", type=ACCURACY, default=None, help=STREAM_SHARE_HELP)
    p.add_argument("--synthesis-every", type=count(1), default=None, help=SYNTHESIS_EVERY_HELP)
    p.add_argument("--model", default="logreg", choices=MODELS, help=MODEL_HELP)
    p.add_argument("--cache", type=Path, default=None, help="feature cache to reuse across runs")
    p.add_argument("--out", type=FILE, required=True, help="where to write curve.json")


def run() -> int:
    """The installed command's entry point: ``main``, then an exit that cannot hang."""
    from aldesk import exit_guard

    try:
        code = main()
    except SystemExit as stop:  # argparse's --help, --version and usage errors
        if not isinstance(stop.code, int | None):
            raise
        code = stop.code or 0
    except Exception as exc:  # a bug: one line for the user, the traceback in a file
        code = _report_bug(exc)
    if not _flush_stdout():
        code = EXIT_READER_GONE
    exit_guard.arm(code)
    return code


def _report_bug(exc: Exception) -> int:
    """Say that aldesk failed (not the user), where the details are, and that answers are kept."""
    from aldesk import crash_log

    path = crash_log.write(type(exc), exc, exc.__traceback__)
    where = f"The details are in {path}; please" if path else "Please"
    print(f"aldesk: something went wrong inside aldesk ({type(exc).__name__}: {exc}). Every "
          f"answer given so far is saved. {where} report it.", file=sys.stderr)  # fmt: skip
    return EXIT_BUG


def _flush_stdout() -> bool:
    """Flush standard output; False if its reader has gone (``aldesk status | head``).

    Then the rest of the output goes nowhere, quietly, as with any command whose reader stops
    reading: not an error to report, and nothing is left to fail at interpreter exit."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    if getattr(sys, "frozen", False):  # a frozen app's worker processes start here
        import multiprocessing  # (not imported otherwise: aldesk status starts sooner)

        multiprocessing.freeze_support()
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] not in _command_names(parser) and not argv[0].startswith("-"):
        _refuse_a_misspelt_command(parser, argv[0])
        argv = ["open", *argv]  # `aldesk PROJECT`
    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except AldeskError as exc:
        print(f"aldesk: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except sqlite3.DatabaseError as exc:  # a damaged page met after the checks on open
        if type(exc) not in (sqlite3.DatabaseError, sqlite3.OperationalError):
            raise  # a constraint or API misuse is a bug: keep its traceback
        print(f"aldesk: {_database_message(args, exc)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:  # the reader of our output stopped reading: that is all
        _flush_stdout()
        return EXIT_READER_GONE
    except OSError as exc:  # the disk, or a path the user named: full, read-only, missing
        print(f"aldesk: {os_message(exc)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(f"aldesk: interrupted; {INTERRUPTED.get(args.command, INTERRUPTED[None])}.",
              file=sys.stderr)  # fmt: skip
        return 130


# What an interrupted command leaves (exports write whole files or nothing; the project's
# answers are committed one by one): "everything answered so far is saved" was said of all
INTERRUPTED = {
    "simulate": "the simulation wrote nothing",
    "export": "no export was written",
    "status": "nothing was changed",
    "suspicious": "nothing was changed",
    "train": "no round was recorded; the labels are as they were",
    "import-labels": "no label was imported (the file is recorded in one step or not at all)",
    "new": "a project is made whole or not at all; features not yet extracted are extracted "
    "when it is opened",
    None: "everything answered so far is saved",
}


def _refuse_a_misspelt_command(parser: argparse.ArgumentParser, word: str) -> None:
    """``aldesk staus p`` is a typo, not a project named "staus" to open."""
    import difflib

    if Path(word).exists() or Path(word + ".aldesk").exists():
        return
    close = difflib.get_close_matches(word, sorted(_command_names(parser)), n=1)
    if close:
        parser.error(f"unknown command {word!r}: did you mean {close[0]}?")


def _command_names(parser: argparse.ArgumentParser) -> set[str]:
    """Every sub-command the parser has (anything else first is a project to open)."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(subs[0].choices)


def _add_recover(sub) -> None:
    p = sub.add_parser("recover", help="save the labels a damaged project still holds "
                       "(then import them into a new project)")  # fmt: skip
    p.add_argument("project", type=PROJECT, help=PROJECT_HELP)
    p.add_argument("out", type=FILE, help="the labels file to write (path,label,...)")
    p.add_argument("--format", choices=("csv", "json"), default=None,
                   help="default: by OUT's ending (.json, else csv)")  # fmt: skip


def _database_message(args: argparse.Namespace, exc: sqlite3.DatabaseError) -> str:
    from aldesk.core.db import read_error
    from aldesk.core.store import DB_NAME, project_path

    project = getattr(args, "project", None)
    if project is None:
        return f"A database could not be read: {exc}."
    folder = Path(project) if (Path(project) / DB_NAME).exists() else project_path(project)
    return str(read_error(folder / DB_NAME, exc))


def os_message(exc: OSError) -> str:
    """An OSError in one line: what failed, on which file, and what to do when that is clear."""
    where = f": {exc.filename}" if exc.filename else ""
    text = f"{exc.strerror or exc}{where}."
    if exc.errno == errno.ENOSPC:
        text += " Free some space and try again; nothing already saved is lost."
    elif exc.errno == errno.EROFS:
        text += " That disk is read-only: choose a place you can write to."
    return text


def _dispatch(args: argparse.Namespace) -> int:
    from aldesk import commands, commands_new, commands_review, commands_status, commands_train

    if args.command is None:
        return _gui(project=None)
    if args.command == "open":
        return _gui(project=args.project)
    if args.command == "demo":
        return _gui(demo=args.kind, demo_dir=args.dir, demo_fresh=args.fresh)
    if args.command == "selfcheck":
        from aldesk.selfcheck import run

        return run(args.dir)
    handler = {
        "new": commands_new.cmd_new,
        "status": commands_status.cmd_status,
        "simulate": commands.cmd_simulate,
        "export": commands.cmd_export,
        "import-labels": commands.cmd_import_labels,
        "recover": commands.cmd_recover,
        "suspicious": commands_review.cmd_suspicious,
        "train": commands_train.cmd_train,
    }[args.command]
    return handler(args)


def _gui(**kwargs) -> int:
    _check_display()
    from aldesk.gui.app import run_gui

    return run_gui(**kwargs)


def _check_display() -> None:
    """Qt aborts the process without a display; say so in one line instead."""
    import os

    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    ):  # fmt: skip
        raise AldeskError(
            "No display found (DISPLAY is not set). Run aldesk on a desktop session, or use "
            "the headless commands: aldesk new / status / simulate / export."
        )
