"""The headless sub-commands behind ``aldesk``: thin wrappers over ``aldesk.core``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from aldesk.cli_files import (
    EXIT_SOME_FAILED,
    check_writable,
    format_of,
    report_stream,
    write_json,
)
from aldesk.core.errors import AldeskError
from aldesk.core.wording import count


def _progress_line(label: str, in_logs: bool = False):
    """A progress printer for a terminal: one rewritten line, at most 5 updates a second.

    With ``in_logs``, into a log (not a terminal) it writes two plain lines, at the start and
    at the end of each run, so a script waiting minutes for an extraction can tell the run is
    working, not hung.
    """
    last = [0.0]
    started = [False]

    def show(p) -> None:
        done, total = (p.done, p.total) if hasattr(p, "done") else p
        name = f"{label} ({_stage(p.kind)})" if getattr(p, "kind", "") else label
        finished = done >= total
        if not sys.stderr.isatty():
            if in_logs and (
                finished or not started[0]
            ):  # each run (pool, then pretrained) starts and ends
                print(f"{name}: {done}/{total}", file=sys.stderr, flush=True)
            started[0] = not finished
            return
        if time.monotonic() - last[0] < 0.2 and not finished:
            return
        last[0] = time.monotonic()
        rate = getattr(p, "rate", None)
        extra = f" ({rate:.0f}/s)" if rate else ""
        print(f"\r{name}: {done}/{total}{extra}   ", end="", file=sys.stderr, flush=True)
        if finished:
            print(file=sys.stderr)

    return show


def _stage(kind: str) -> str:
    """Which features a run extracts: the log said "features: 0/259 … 259/259" twice."""
    from aldesk.core.features.extractors import PRETRAINED

    return "pretrained encoder" if kind in PRETRAINED.values() else "pool-learned"


def cmd_simulate(args: argparse.Namespace) -> int:
    from aldesk.core.simulate import simulate

    check_writable(args.out)  # before the run, not after it: a failed write loses the curve
    if args.mode == "stream" and args.strategy:  # it was ignored without a word
        print(f"note: a stream asks by its threshold; --strategy {args.strategy} is not used",
              file=sys.stderr)  # fmt: skip
    curve = simulate(
        args.pool, args.oracle, strategy=args.strategy, features=args.features,
        budget=args.budget, batch=args.batch,
        seed_size=args.seed_size, test_fraction=args.test_fraction, repeats=args.repeats,
        mode=args.mode, model=args.model, cache=args.cache, stream_share=args.stream_share,
        synthesis_every=args.synthesis_every, log=lambda m: print(m, file=sys.stderr),
    )  # fmt: skip
    write_json(args.out, curve)
    print(_final_summary(curve, args.out))
    if any(r["accuracy"] for r in curve["runs"]):
        print(_stop_advice_summary(curve["runs"]))
    return 0


def _final_summary(curve: dict, out: Path) -> str:
    """The final test accuracy (mean over the runs), on how many test items, against the same
    model trained on every labeled pool item ("all labels")."""
    from aldesk.core.simulate import final_text

    runs = curve["runs"]
    finals = [r["accuracy"][-1] for r in runs if r["accuracy"] and r["accuracy"][-1] is not None]
    n_test = runs[0].get("n_test", 0) if runs else 0
    mean = sum(finals) / len(finals) if finals else None
    text = f"{curve['strategy']}: final accuracy {final_text(mean, n_test)}"
    if len(finals) > 1:
        text += f" (mean of {len(finals)} runs)"
    if curve["full_accuracy"] is not None:
        text += f"; with every pool item labeled {curve['full_accuracy']:.3f}"
        text += " (mean)" if len(runs) > 1 else ""
    return f"{text}; curve written to {out}"


def _stop_advice_summary(runs: list[dict]) -> str:
    """When the stopping advice (Progress panel) first said stop, over the runs."""
    from statistics import median

    from aldesk.core.simulate import first_stop_advice

    firsts = [first_stop_advice(r) for r in runs]
    said = [f for f in firsts if f is not None]
    if not said:
        return "stopping advice: never said stop within the budget"
    accuracies = [a for _, a in said if a is not None]
    mean = sum(accuracies) / len(accuracies) if accuracies else None
    there = (f", test accuracy there {mean:.3f}" + (" (mean)" if len(accuracies) > 1 else "")
             if accuracies else "")  # fmt: skip
    when = (f"after {said[0][0]} labels" if len(said) == 1  # not "a median" of one run
            else f"after a median of {round(median(n for n, _ in said))} labels")  # fmt: skip
    return f"stopping advice: said stop in {len(said)} of {count(len(runs), 'run')}, {when}{there}"


def cmd_export(args: argparse.Namespace) -> int:
    from aldesk.core.labels_export import (
        copy_rows,
        export_labels,
        gone_since_scan,
        labels_left_out,
        left_out_text,
        rowless_files,
    )
    from aldesk.core.store import ProjectStore

    args.format = args.format or format_of(args.out, ("csv", "json", "jsonl"))
    if args.format == "folders":
        return _export_folders(args)
    if args.link:
        raise AldeskError("--link goes with --format folders (files cannot be linked into a CSV).")
    check_writable(args.out)
    # a reader: the predictions' model and round stay in its in-memory snapshot
    with ProjectStore.open(args.project, readonly="aldesk export only reads it") as store:
        predictions = _predictions(store) if args.predictions else None
        gone = gone_since_scan(store)  # files deleted or replaced since the app last looked
        n = export_labels(store, args.out, fmt=args.format, predictions=predictions,
                          model_labels=args.model_labels, gone=gone)  # fmt: skip
        unreadable = rowless_files(store, predictions is not None, args.model_labels, gone)
        copies = copy_rows(store, predictions is not None, args.model_labels, gone)
        left_out = labels_left_out(store, args.model_labels, gone)
    text = f"Wrote {count(n, 'row')} to {args.out}"
    if copies:  # more rows than labels: say why, or they look like duplicated answers
        text += f"; {copies} of them for copies of a file, which share its item and label"
    text += left_out_text(left_out)
    if predictions is not None and unreadable:  # every readable file has a row: say who not
        text += (f" ({count(unreadable, 'missing or unreadable file')} without a row: the review "
                 "window's Missing or unreadable filter lists them)")  # fmt: skip
    print(text, file=report_stream(args.out))
    return 0


def _export_folders(args: argparse.Namespace) -> int:
    from aldesk.core.export_folders import describe, plan_folder_export, write_folder_export
    from aldesk.core.labels_export import gone_since_scan
    from aldesk.core.store import ProjectStore

    if args.predictions:
        raise AldeskError("--predictions goes with a file format; folders hold labeled files only.")
    with ProjectStore.open(args.project, readonly="aldesk export only reads it") as store:
        # files deleted or replaced since the app last looked: a replaced file was copied
        # into its old label's folder (the file formats left it out)
        plan = plan_folder_export(store, args.out, model_labels=args.model_labels,
                                  gone=gone_since_scan(store))  # fmt: skip
    show = _progress_line("exporting")
    report = write_folder_export(plan, link=args.link, progress=lambda d, t: show((d, t)))
    print("\n".join(describe(report, plan.out_dir)))
    return EXIT_SOME_FAILED if report.missing else 0  # a script must see files went missing


def _predictions(store) -> dict[int, tuple[str, float]]:
    """Train on the current labels (the model is a cache, never saved) and predict the rest."""
    from aldesk.commands_train import trained_session

    session = trained_session(store, "Predictions")
    names = {c.id: c.name for c in store.classes()}
    return {i: (names[c], p) for i, (c, p) in session.predictions().items()}


def cmd_import_labels(args: argparse.Namespace) -> int:
    from aldesk.core.interop import by_tail_text, import_labels, split_differs_text
    from aldesk.core.pool import shown_path
    from aldesk.core.store import ProjectStore

    if (args.file is None) == (not args.from_folders):
        raise AldeskError("Give a labels file or --from-folders (one of the two).")
    if args.from_folders:
        return _import_folder_names(args)
    if args.dry_run:
        return _preview_import(args)
    with ProjectStore.open(args.project) as store:
        report = import_labels(
            store, args.file, add_classes=args.add_classes, keep_yours=args.keep_existing,
            leave_out_unknown=args.leave_out_unknown_classes,
        )  # fmt: skip
    print(report.result())
    if report.unknown_paths:
        print(f"  {count(len(report.unknown_paths), 'path')} not in the pool, e.g. "
              f"{shown_path(report.unknown_paths[0])}")  # fmt: skip
    if report.unreadable:
        print(f"  {count(len(report.unreadable), 'row')} name items that cannot be read (not "
              f"labeled), e.g. {shown_path(report.unreadable[0])}")  # fmt: skip
    if report.unlabeled_rows:
        print(f"  {count(report.unlabeled_rows, 'row')} with no label (not imported)")
    if report.split_differs:
        print(f"  {split_differs_text(report.split_differs)}")
    if report.by_tail:
        print(f"  {by_tail_text(report.by_tail)}")
    _print_by_content(report.moved, report.changed)
    if report.left_out:
        print(f"  {count(report.left_out, 'label')} of classes the project lacks left out")
    _print_contradictory(report.contradictory)
    return 0


def _print_contradictory(contradictory: list[str], shown: int = 10) -> None:
    """Name the items a labels file gives two labels (left out: no row is trusted over another)."""
    if not contradictory:
        return
    print(f"  {count(len(contradictory), 'item')} left out: rows of the file give "
          f"{'them' if len(contradictory) > 1 else 'it'} different labels (the same path "
          "twice, or copies of one file):")  # fmt: skip
    _print_some(contradictory, shown)


def _print_by_content(moved: list[str], changed: list[str]) -> None:
    """Name the files found by their content under another name, and the paths that hold
    other content than the file labelled (each in full: a wrong label is worse than a lost one)."""
    from aldesk.core.interop import changed_text, moved_text

    if moved:
        print(f"  {moved_text(moved).split(', e.g.')[0]}:")
        _print_some(moved)
    if changed:
        print(f"  {changed_text(changed).split(', e.g.')[0]}:")
        _print_some(changed)


def _print_some(lines: list[str], shown: int = 10) -> None:
    for line in lines[:shown]:
        print(f"    {line}")
    if len(lines) > shown:
        print(f"    ... and {len(lines) - shown} more")


def _import_folder_names(args: argparse.Namespace) -> int:
    from aldesk.core.folder_labels import import_folder_labels, plan_folder_import
    from aldesk.core.store import ProjectStore

    readonly = "a dry run only reads it" if args.dry_run else ""
    with ProjectStore.open(args.project, readonly=readonly) as store:
        if args.dry_run:
            folders = plan_folder_import(store, add_classes=args.add_classes)
            print(f"Dry run, nothing written: {folders.summary()}.")
            return 0
        folders = import_folder_labels(store, add_classes=args.add_classes)
    print(f"Imported {count(len(folders.plan.labels), 'label')} from folder names: "
          f"{folders.summary()}.")  # fmt: skip
    return 0


def _preview_import(args: argparse.Namespace) -> int:
    from aldesk.core.interop import plan_import
    from aldesk.core.pool import shown_path
    from aldesk.core.store import ProjectStore

    with ProjectStore.open(args.project, readonly="a dry run only reads it") as store:
        plan = plan_import(store, args.file)
    if args.leave_out_unknown_classes:
        plan = plan.leaving_out_unknown()
    if args.keep_existing:
        plan = plan.keeping_yours()
    print(f"Dry run, nothing written: {plan.summary()}.")
    if plan.conflicting:
        print(f"  importing would replace {count(plan.conflicting, 'label')} with the file's "
              "(--keep-existing keeps the project's):")  # fmt: skip
        _print_some(list(plan.replacing.values()))
    if plan.kept:
        print(f"  {count(plan.kept, 'label')} of the project kept where the file's differs")
    if plan.unknown_paths:
        print(f"  e.g. not in the pool: {shown_path(plan.unknown_paths[0])}")
    _print_by_content(plan.moved, plan.changed)
    _print_contradictory(plan.contradictory)
    if plan.left_out:
        print(f"  {count(plan.left_out, 'label')} of classes the project lacks would be left out")
    if plan.unknown_classes and not args.add_classes:
        print("  importing needs --add-classes or --leave-out-unknown-classes (or add the "
              "classes in the app first)")  # fmt: skip
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    from aldesk.core.recover import describe, recover_labels

    fmt = args.format or format_of(args.out, ("csv", "json"))
    report = recover_labels(args.project, args.out, fmt=fmt)
    print(describe(report, args.out))
    return 0
