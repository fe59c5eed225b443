"""Export and import of labels as CSV or JSON, and the labels file a headless simulation reads.

Paths in every file are relative to the pool folder, with ``/`` separators. A CSV file has a
header row naming at least the ``path`` and ``label`` columns (other columns are ignored on
import); a JSON file is a list of ``{"path": ..., "label": ...}`` objects. A row with an empty
label is an unlabelled item (an export with predictions writes such rows) and is not imported.

Reading a labels file (bounded, lossless for odd names) is :mod:`aldesk.core.labels_file`.
Imported labels go through the store's append-only log with ``strategy='import'``, so they can
be undone and told apart from answers given in the app.
"""

from __future__ import annotations

import csv
import io
import json
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aldesk.core.errors import AldeskError, UnknownClass
from aldesk.core.labels_file import Row, normalise, read_oracle_csv, read_rows  # noqa: F401
from aldesk.core.review_rows import source_of
from aldesk.core.store import Item, ProjectStore
from aldesk.core.wording import count

FORMATS = ("csv", "json", "jsonl")
EXPORT_COLUMNS = ("path", "label", "split", "source", "answered_at")  # a labels file
ANSWER_COLUMN = ("answer",)  # an export's too: label, cannot_label, skip or discard
EXPORTED_ANSWERS = frozenset({"cannot_label", "skip"})  # rows beside the labels
PREDICTION_COLUMNS = ("prediction", "confidence")
IMPORT_STRATEGY = "import"

Predictions = dict[int, tuple[str, float]]


@dataclass(frozen=True)
class ImportReport:
    """What an import did.

    Attributes:
        imported: Labels recorded (new, or different from the item's current label).
        unchanged: Rows whose item already had that label (nothing recorded).
        unknown_paths: Paths in the file that match no item of the project, in file order.
        unknown_classes: Class names the file used that the project lacked (added when
            ``add_classes=True``).
        unreadable: Paths of items that cannot be read (flagged, or missing): not labelled,
            as a key press on them is not; a label there would be a guess nothing learns from.
        contradictory: Items the file gives different labels (the same path twice, or two
            copies of one file), as "path: label, label": left out, whichever row came last.
    """

    imported: int
    unchanged: int
    unknown_paths: list[str]
    unknown_classes: list[str]
    unreadable: list[str] = field(default_factory=list)
    contradictory: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportPlan:
    """What importing a file would do, worked out before anything is written (the preview).

    Attributes:
        labels: ``(item_id, class name as written, split)`` to record, one per item, in
            the order of the items' first rows.
        new: Items that have no label yet.
        same: Items that already have that label (nothing to record).
        conflicting: Items whose different label the file's would replace.
        unknown_paths / unknown_classes / unreadable / contradictory: as in
            :class:`ImportReport`.
    """

    labels: list[tuple[int, str, str]]
    new: int
    same: int
    conflicting: int
    unknown_paths: list[str]
    unknown_classes: list[str]
    unreadable: list[str]
    contradictory: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The counts in one line for a person."""
        text = f"{self.new} new, {self.same} same, {self.conflicting} conflicting"
        if self.unknown_paths:
            text += f", {len(self.unknown_paths)} paths not in the project"
        if self.unreadable:
            text += f", {count(len(self.unreadable), 'unreadable item')}"
        if self.contradictory:
            text += f", {count(len(self.contradictory), 'item')} labeled two ways (left out)"
        if self.unknown_classes:
            text += f"; classes the project lacks: {', '.join(self.unknown_classes)}"
        return text


# ------------------------------------------------------------------ export


def export_labels(
    store: ProjectStore,
    out_path: str | os.PathLike[str],
    fmt: str = "csv",
    predictions: Predictions | None = None,
    model_labels: bool = True,
) -> int:
    """Write the project's current labels to a CSV, JSON or JSON Lines file.

    Every labelled pool file gets a row ``path, label, split, source, answered_at`` (source:
    ``user``, ``import`` or ``model`` for auto-labels; time in UTC, ISO 8601); copies of one
    file (one item) get a row each.
    With ``predictions``, the file gains ``prediction, confidence`` columns and every unlabelled
    readable item gets a row too (with an empty label). The file is written under a temporary
    name and moved into place, so a crash never leaves half a file.

    Args:
        store: An open project.
        out_path: The file to write.
        fmt: ``'csv'``, ``'json'`` or ``'jsonl'`` (one JSON object per line).
        predictions: item id -> (class name, confidence) from the current model.
        model_labels: False leaves out the model's own labels (auto-label): those items are
            written as unlabelled.

    Returns:
        The number of rows written.

    Raises:
        AldeskError: The file cannot be written (no such folder, no permission, disk full).
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
    rows = _export_rows(store, predictions, model_labels)
    columns = EXPORT_COLUMNS + ANSWER_COLUMN
    columns += PREDICTION_COLUMNS if predictions is not None else ()
    write = {"csv": _to_csv, "json": _to_json, "jsonl": _to_jsonl}[fmt]
    text = write(rows, columns)
    _write_atomically(Path(out_path), text)
    return len(rows)


def _export_rows(
    store: ProjectStore, predictions: Predictions | None, model_labels: bool = True
) -> list[dict[str, Any]]:
    names = {c.id: c.name for c in store.classes()}
    labels, answers = _exported_labels(store, model_labels)
    copies = store.all_item_paths()
    rows = []
    for item in _exported_items(store, labels, answers, predictions is not None):
        labelled = item.id in labels
        answer = answers.get(item.id)
        said = answer is not None and (labelled or answer.action != "label")  # not a withheld
        row: dict[str, Any] = {  # model label (``model_labels=False``): that is unlabeled
            "label": names[labels[item.id]] if labelled else None,
            "split": item.split,
            "source": source_of(answer) if said else None,
            "answered_at": _iso(answer.at) if said else None,
            "answer": answer.action if said else None,  # "can't label" is an answer too
        }
        if predictions is not None:
            predicted, confidence = predictions.get(item.id, (None, None))
            # The model may hand numpy scalars, which json cannot write.
            row["prediction"] = None if predicted is None else str(predicted)
            row["confidence"] = None if confidence is None else float(confidence)
        # every copy of the content is a file of the user's with that label: one row each,
        # or joining the file back to the folder loses the copies
        for path in sorted({item.relpath, *copies.get(item.id, ())}):
            rows.append({"path": path, **row})
    rows.sort(key=lambda r: r["path"])
    return rows


def copy_rows(store: ProjectStore, predictions: bool, model_labels: bool = True) -> int:
    """Rows an export gives copies of a file beyond the file itself (one item, one label):
    why it can have more rows than the project has labels."""
    labels, answers = _exported_labels(store, model_labels)
    copies = store.all_item_paths()
    return sum(len(set(copies.get(item.id, ())) - {item.relpath})
               for item in _exported_items(store, labels, answers, predictions))  # fmt: skip


def _exported_labels(store: ProjectStore, model_labels: bool) -> tuple[dict, dict]:
    """The labels an export writes (without the model's own if asked), and every answer."""
    labels, answers = store.labels(), store.answers()
    if not model_labels:
        labels = {i: c for i, c in labels.items() if source_of(answers[i]) != "model"}
    return labels, answers


def _exported_items(store: ProjectStore, labels: dict, answers: dict, predictions: bool):
    """The pool files an export has rows for: labelled ones and those answered "can't label"
    or skipped, and with predictions every readable one. Not a file gone since its label: its
    path may now hold other content (a file replaced under the same name), which the row would
    label wrongly."""
    for item in store.items():
        if item.origin != "file" or item.status == "missing":
            continue
        answered = item.id in answers and answers[item.id].action in EXPORTED_ANSWERS
        if item.id in labels or answered or (predictions and item.status == "ok"):
            yield item


def labels_left_out(store: ProjectStore, model_labels: bool = True) -> int:
    """Labels an export leaves out: on files deleted or replaced since (the project keeps them,
    and they come back if the file does)."""
    labels, _ = _exported_labels(store, model_labels)
    return sum(it.status == "missing" and it.id in labels for it in store.items())


def left_out_text(n: int) -> str:
    """The export message's clause for :func:`labels_left_out`."""
    return (f"; {count(n, 'label')} on files deleted or replaced since left out, kept in the "
            "project") if n else ""  # fmt: skip


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat(timespec="seconds")


def _to_csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    # The writer quotes a field holding "\n" (the line terminator) but not one holding "\r",
    # which readers take for a line end: a file named "a\r.png" then needs every field quoted.
    odd = any("\r" in str(v) for row in rows for v in row.values())
    quoting = csv.QUOTE_ALL if odd else csv.QUOTE_MINIMAL
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", quoting=quoting)
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def _to_json(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    return json.dumps([{c: row[c] for c in columns} for row in rows], indent=1) + "\n"


def _to_jsonl(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    """JSON Lines: one object per line (``ensure_ascii`` keeps a line break in a name escaped)."""
    return "".join(json.dumps({c: row[c] for c in columns}) + "\n" for row in rows)


def _write_atomically(path: Path, text: str) -> None:
    # A temp name of our own (not mkstemp) so the file gets the user's umask, not mode 0600.
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        # A file name that is not UTF-8 is written as its own bytes, so that importing the
        # file finds it again (JSON escapes it instead).
        with open(tmp, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AldeskError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------ import


def import_labels(
    store: ProjectStore, path: str | os.PathLike[str], *, add_classes: bool = False
) -> ImportReport:
    """Record the labels of a CSV or JSON file in the project.

    The whole file is checked before anything is recorded: a bad file or an unknown class
    leaves the project untouched. Class names match case-insensitively. Paths that match no
    item are reported, not fatal (the file may cover a larger folder).

    Args:
        store: An open project.
        path: The labels file.
        add_classes: Add classes the project lacks instead of refusing the file.

    Returns:
        What was imported.

    Raises:
        BadLabelsFile: The file cannot be read or parsed (the message names the line).
        UnknownClass: The file names classes the project lacks and ``add_classes`` is false.
    """
    return apply_plan(store, plan_import(store, path), str(path), add_classes=add_classes)


def apply_plan(
    store: ProjectStore, plan: ImportPlan, source: str, *, add_classes: bool = False
) -> ImportReport:
    """Record a planned import in one transaction (``source`` names it in the refusal).

    Raises:
        UnknownClass: The plan names classes the project lacks and ``add_classes`` is false.
    """
    missing = plan.unknown_classes
    if missing and not add_classes:
        raise UnknownClass(
            f"{source} uses classes the project does not have: {', '.join(missing)}. "
            "Add them to the project first (Classes → Add class…), or import with --add-classes."
        )
    for name in missing:
        store.add_class(name)
    class_ids = _class_ids(store)
    labels = [(item, class_ids[name.casefold()], split) for item, name, split in plan.labels]
    store.record_labels(labels, strategy=IMPORT_STRATEGY)  # one transaction for the file
    return ImportReport(
        len(labels), plan.same, plan.unknown_paths, missing, plan.unreadable, plan.contradictory
    )


def plan_import(store: ProjectStore, path: str | os.PathLike[str]) -> ImportPlan:
    """Read a labels file and work out the merge without writing anything (``--dry-run``,
    the app's preview). Class names compare case-insensitively. Counts are per item: rows
    naming one item (its path twice, or two copies of one file) with one label count once;
    with different labels the item is left out and named, rather than the last row winning.

    Raises:
        BadLabelsFile: The file cannot be read or parsed (the message names the line).
    """
    return plan_rows(store, [r for r in read_rows(path) if r.label])


def plan_rows(store: ProjectStore, rows: list[Row]) -> ImportPlan:
    """The merge of ``rows`` (path, label) into the project, as :func:`plan_import`."""
    names = {c.id: c.name.casefold() for c in store.classes()}
    current = {i: names.get(c) for i, c in store.labels().items()}
    by_path = _items_by_path(store) if rows else {}
    unknown_paths, unreadable = [], []
    given: dict[int, list[Row]] = {}  # item id -> its rows, items in first-row order
    items: dict[int, Item] = {}
    for row in rows:
        item = _lookup(store, by_path, row)
        if item is None:
            unknown_paths.append(row.key)
        elif item.status != "ok":
            unreadable.append(row.path)
        else:
            given.setdefault(item.id, []).append(row)
            items[item.id] = item
    counts = {"new": 0, "same": 0, "conflicting": 0}
    labels, contradictory = [], []
    for item_id, item_rows in given.items():
        said = {r.label.casefold(): r.label for r in item_rows}
        if len(said) > 1:
            contradictory.append(f"{item_rows[0].path}: {', '.join(said.values())}")
            continue
        label = item_rows[0].label
        was = current.get(item_id)
        kind = "new" if was is None else "same" if was == label.casefold() else "conflicting"
        counts[kind] += 1
        if kind != "same":
            labels.append((item_id, label, items[item_id].split))
    # only the classes of rows that would be imported: a row of a file not in the pool (a
    # labels file of a larger folder) does not make its class one the project "lacks"
    used = [r for item_rows in given.values() for r in item_rows]
    return ImportPlan(labels, counts["new"], counts["same"], counts["conflicting"],
                      unknown_paths, _missing_classes(store, used), unreadable,
                      contradictory)  # fmt: skip


def _class_ids(store: ProjectStore) -> dict[str, int]:
    return {c.name.casefold(): c.id for c in store.classes()}


def _missing_classes(store: ProjectStore, rows: list[Row]) -> list[str]:
    known, missing = _class_ids(store), {}
    for row in rows:
        if row.label.casefold() not in known:
            missing.setdefault(row.label.casefold(), row.label)
    return list(missing.values())


def _items_by_path(store: ProjectStore) -> dict[str, Item]:
    """Every path of every pool file, duplicates included, as stored and normalised."""
    by_path: dict[str, Item] = {}
    paths = store.all_item_paths()  # one query, not one per item (1.3 s at 100k items)
    for item in store.items():
        if item.origin == "file":
            for relpath in [item.relpath, *paths.get(item.id, ())]:
                by_path.setdefault(relpath, item)
    for relpath, item in list(by_path.items()):
        by_path.setdefault(normalise(relpath), item)  # exact names win
    return by_path


def _lookup(store: ProjectStore, by_path: dict[str, Item], row: Row) -> Item | None:
    """The item a row names: by its path as written first (a name may hold a backslash),
    then by the normalised path (Windows separators, ``./``), or relative to the pool."""
    for relpath in (row.path, row.key):
        if os.path.isabs(relpath):
            try:
                relpath = Path(relpath).relative_to(store.pool_root).as_posix()
            except ValueError:
                continue
        if relpath in by_path:
            return by_path[relpath]
    return None
