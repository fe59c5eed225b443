"""``aldesk new``: a project on a folder, with what the scan found said in a few lines."""

from __future__ import annotations

import argparse
import shlex
import sys

from aldesk.commands import _progress_line
from aldesk.core.errors import AldeskError
from aldesk.core.wording import copies_text, count


def _classes(text: str) -> list[str]:
    """--classes "a,b,c", a name with a comma in double quotes, or @FILE: one name a line."""
    from pathlib import Path

    from aldesk.core.classes import names_per_line, parse_class_list

    if text.startswith("@"):
        try:
            lines = Path(text[1:]).read_text(encoding="utf-8-sig").splitlines()
        except OSError as exc:
            raise AldeskError(f"Cannot read the classes file {text[1:]}: {exc.strerror}.") from exc
        names = names_per_line(lines)
    else:
        names = parse_class_list(text)
    if not names:
        raise AldeskError("Give at least two classes, e.g. --classes cat,dog.")
    if len(names) == 1:
        raise AldeskError(
            f"Give a second class: with only {names[0]!r} there is nothing to tell apart "
            f"(for a yes/no question, add e.g. 'not {names[0]}')."
        )
    return names


def _copies_text(duplicates: dict[str, list[str]]) -> str:
    return copies_text(sum(len(paths) - 1 for paths in duplicates.values()))


def _print_copies(duplicates: dict[str, list[str]], shown: int = 5) -> None:
    """Name the files that share their content (one item, one label, for every copy)."""
    from aldesk.core.pool import shown_path

    groups = sorted(duplicates.values())
    if groups:
        print("  copies are one item: asked once, and the label is theirs too")
    for paths in groups[:shown]:
        print(f"  same content: {' = '.join(shown_path(p) for p in paths)}")
    if len(groups) > shown:
        print(f"  ... and {len(groups) - shown} more groups of copies")


def _print_test_split(store, asked: int) -> None:
    """How many items are held out to measure the model, and why fewer than asked."""
    n = sum(1 for it in store.items() if it.split == "test")
    if not asked:
        return
    text = f"  {count(n, 'test item')} held out (never trained on: they measure the model)"
    if n < asked:  # the default 50 is cut down on a small pool: the user may never have asked
        text += (f", rather than {asked} (--test-size): at most a fifth of the readable files "
                 "are, so the rest stays to learn from")  # fmt: skip
    print(text)


def cmd_new(args: argparse.Namespace) -> int:
    from aldesk.core.pool import shown_path
    from aldesk.core.project import ProjectSettings, compute_representation, create_project
    from aldesk.core.store import project_path
    from aldesk.core.wording import count

    classes = _classes(args.classes)
    chosen = dict(
        strategy=args.strategy, representation=args.features, scenario=args.scenario,
        model=args.model, batch=args.batch, seed_size=args.seed_size,
        seed_method=args.seed_method, test_size=args.test_size, budget=args.budget,
        target_accuracy=args.target_accuracy, stream_budget=args.stream_share,
        synthesis_every=args.synthesis_every,
    )  # fmt: skip
    settings = ProjectSettings.for_classes(
        len(classes), **{k: v for k, v in chosen.items() if v is not None}
    )
    for option, value, scenario in (("--stream-share", args.stream_share, "stream"),
                                    ("--synthesis-every", args.synthesis_every, "synthesis")):  # fmt: skip
        if value is not None and args.scenario != scenario:  # kept without a word, unused
            print(f"note: {option} is for the {scenario} scenario; a {args.scenario} project "
                  "does not use it", file=sys.stderr)  # fmt: skip
    if args.strategy is not None and args.scenario == "stream":  # as simulate says it
        print(f"note: a stream asks by its threshold; --strategy {args.strategy} is not used",
              file=sys.stderr)  # fmt: skip
    folder = project_path(args.project).absolute().parent
    if not folder.is_dir():  # it was made, parents and all, without a word
        raise AldeskError(f"Cannot create the project in {folder}: that folder does not exist.")
    scanning = _progress_line("scanning")  # one printer: a new one per file drew every file
    store, scan = create_project(
        args.project, args.pool, classes, settings, kind=args.kind,
        progress=lambda d, t: scanning((d, t)),
    )  # fmt: skip
    with store:
        print(f"Created {store.path}: {len(scan.entries)} {scan.kind} files "
              f"({len(scan.unreadable)} unreadable, {len(scan.other_kind)} of another kind "
              f"ignored, {_copies_text(scan.duplicates)}).")  # fmt: skip
        _print_copies(scan.duplicates)
        if scan.notes.text():
            print(f"  {scan.notes.text()}")
        _print_test_split(store, settings.test_size)
        for entry in scan.unreadable[:10]:
            print(f"  unreadable: {shown_path(entry.relpath)}: {entry.error}")
        if len(scan.unreadable) > 10:
            print(f"  ... and {len(scan.unreadable) - 10} more unreadable files")
        if scan.unreadable and len(scan.unreadable) == len(scan.entries):
            print("  None of them can be read, so there is nothing to label yet: convert or "
                  "replace them in the pool folder; they are picked up when the project is "
                  "opened.")  # fmt: skip
        _hint_folder_labels(store)
        keyless = [c.name for c in store.classes() if not c.hotkey]
        if keyless:  # past 1-9, 0 and the 21 letters the commands leave
            print(f"  {count(len(keyless), 'class', 'classes')} with no key (e.g. {keyless[0]}): “/” in "
                  "the window picks a class by name.")  # fmt: skip
        if not args.no_features:
            result, matrix, layout = compute_representation(
                store, progress=_progress_line("features", in_logs=True),
                log=lambda m: print(f"  {m}"),
            )  # fmt: skip
            if len(layout.blocks) > 1:
                print(f"  features: {', '.join(layout.blocks)} ({matrix.X.shape[1]} columns)")
            paths = {it.hash: it.relpath for it in store.items()}
            if result.failed:  # the scan read headers only: "0 unreadable" above is not all
                print(f"  {count(len(result.failed), 'more file')} flagged unreadable while "
                      "their features were read (the review window's Missing or unreadable "
                      "filter lists them):")  # fmt: skip
            for h, reason in list(result.failed.items())[:10]:
                print(f"  no features for {shown_path(paths.get(h, h[:12]))}: {reason}")
            if len(result.failed) > 10:
                print(f"  ... and {len(result.failed) - 10} more without features")
    print(f"Open it with: aldesk open {shlex.quote(str(store.path))}")
    return 0


def _hint_folder_labels(store) -> None:
    """Say so when files already sit in folders named like the classes (sorted by hand)."""
    from aldesk.core.folder_labels import in_class_folders_text, plan_folder_import

    n = len(plan_folder_import(store).plan.labels)
    if n:
        print(f"  {in_class_folders_text(n)}: label them with: "
              f"aldesk import-labels {shlex.quote(str(store.path))} --from-folders")  # fmt: skip
