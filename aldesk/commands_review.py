"""``aldesk suspicious``: the labels the model doubts, most doubtful first (a reading command)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from aldesk.cli_types import PROJECT, PROJECT_HELP

FIELDS = ("path", "given", "predicted", "confidence", "given_confidence", "confident", "split")


def add_parser(sub) -> None:
    """Register the sub-command on the CLI's sub-parsers."""
    p = sub.add_parser(
        "suspicious",
        help="labels a cross-validated model contradicts (confident learning), most doubtful first",
    )
    p.add_argument("project", type=PROJECT, help=PROJECT_HELP)
    p.add_argument("--top", type=_positive, default=None, help="print at most N items")
    p.add_argument("--format", choices=("csv", "json"), default="csv")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {text!r}")
    return value


def suspicious_report(project: Path, top: int | None = None) -> dict:
    """Score a project's labels; opened read-only, so the app may have it open meanwhile."""
    from aldesk.core.pool import shown_path
    from aldesk.core.project import compute_representation
    from aldesk.core.review import find_suspicious
    from aldesk.core.review_project import doubt_caveat, project_request, unjudged_text
    from aldesk.core.store import ProjectStore

    with ProjectStore.open(project, readonly="aldesk suspicious only reads it") as store:
        _, matrix, layout = compute_representation(store, log=lambda m: print(m, file=sys.stderr))
        request = project_request(store, matrix, layout)
        result = find_suspicious(request)
        names = [c.name for c in store.classes()]
        items = {it.id: it for it in store.items()}
        rows = [
            {"path": shown_path(items[s.item_id].relpath), "given": names[s.given],
             "predicted": names[s.predicted], "confidence": round(s.confidence, 4),
             "given_confidence": round(s.self_confidence, 4), "confident": s.confident,
             "split": items[s.item_id].split}
            for s in result.suspects[:top]
        ]  # fmt: skip
    return {
        "labels_checked": int(result.judged.sum()),
        "folds": result.folds,
        "estimated_wrong": result.estimated_errors,
        "suspects": len(result.suspects),
        "agreeing": result.agreeing,
        "too_weak": result.too_weak,
        # the labels of classes the model has not learned are not doubted (they added up to
        # neither "suspects" nor "agreeing")
        "classes_not_judged": result.unlearned,
        "labels_not_judged": result.unjudged_labels,
        "classes_not_judged_names": [names[c] for c in result.unlearned_classes],
        "not_judged_text": unjudged_text(result, names) or None,
        "caveat": doubt_caveat(result) or None,
        "items": rows,
    }


def cmd_suspicious(args: argparse.Namespace) -> int:
    report = suspicious_report(args.project, args.top)
    if args.format == "json":
        print(json.dumps(report, indent=1))
        return 0
    writer = csv.DictWriter(sys.stdout, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in report["items"]:
        writer.writerow({**row, "confident": "yes" if row["confident"] else "no"})
    if report["too_weak"]:
        print(f"No label flagged: a {report['folds']}-fold cross-validated model agrees with "
              f"only {report['agreeing']} of {report['labels_checked']} labels, too few to "
              "tell a wrong label from its own mistakes. Label more items and run it again.",
              file=sys.stderr)  # fmt: skip
        return 0
    print(f"{report['suspects']} of {report['labels_checked']} labels contradicted by a "
          f"{report['folds']}-fold cross-validated model; confident learning estimates "
          f"{report['estimated_wrong']} are wrong.", file=sys.stderr)  # fmt: skip
    if report["classes_not_judged"]:
        print(report["not_judged_text"], file=sys.stderr)
    if report["caveat"]:
        print(report["caveat"], file=sys.stderr)
    return 0
