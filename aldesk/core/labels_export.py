"""Export of a project's labels as CSV, JSON or JSON Lines (``aldesk export``, File → Export).

Paths are relative to the pool folder, with ``/`` separators. Every labelled pool file gets a
row, and so do the items answered "can't label" or skipped (the ``answer`` column); with
predictions, every readable item. A synthesized item (a membership query) that was answered
gets a row with the absolute path of its file in the project's ``synth`` folder: its label is
trained on and counted like the others. Importing such a file is :mod:`aldesk.core.interop`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aldesk.core.errors import AldeskError
from aldesk.core.leftovers import remove_dead
from aldesk.core.review_rows import source_of
from aldesk.core.store import ProjectStore, project_holding
from aldesk.core.wording import count

FORMATS = ("csv", "json", "jsonl")
EXPORT_COLUMNS = ("path", "label", "split", "source", "answered_at")  # a labels file
ANSWER_COLUMN = ("answer",)  # an export's too: label, cannot_label, skip or discard
# the labelled content's SHA-256: an import into a copy of the folder finds a renamed file by
# it, and refuses a label for a name that now holds other content
HASH_COLUMN = ("sha256",)
EXPORTED_ANSWERS = frozenset({"cannot_label", "skip"})  # rows beside the labels
PREDICTION_COLUMNS = ("prediction", "confidence")

Predictions = dict[int, tuple[str, float]]


@dataclass(frozen=True)
class SinceScan:
    """What became of the pool's files since the project last scanned it (an export from the
    command line, between sessions, sees the folder as the user left it, not as recorded).

    ``item_id in since`` is true for an item whose file was deleted or replaced: left out, as a
    path that holds other content now would label it wrongly. A renamed or moved file is
    exported under the path it has now; the recorded one names nothing.
    """

    gone: frozenset[int] = frozenset()
    moved: Mapping[int, str] = field(default_factory=dict)  # item id -> its path now
    copies: Mapping[int, list[str]] = field(default_factory=dict)  # id -> its copies' paths now

    def __contains__(self, item_id: object) -> bool:
        return item_id in self.gone

    def relpath(self, item: Any) -> str:
        """The item's path in the pool folder now."""
        return self.moved.get(item.id, item.relpath)

    def all_copies(self, recorded: dict[int, list[str]]) -> dict[int, list[str]]:
        """The recorded copies' paths (``store.all_item_paths()``), brought up to date."""
        return {**recorded, **self.copies}


NOTHING_SINCE = SinceScan()  # the pool as last scanned (the app's own exports: it rescans)


def export_labels(
    store: ProjectStore,
    out_path: str | os.PathLike[str],
    fmt: str = "csv",
    predictions: Predictions | None = None,
    model_labels: bool = True,
    gone: SinceScan = NOTHING_SINCE,
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
        gone: What became of the files since the last scan (:func:`gone_since_scan`): items
            whose files were deleted or replaced are left out as the missing ones are; moved
            files get their new paths.

    Returns:
        The number of rows written.

    Raises:
        AldeskError: The file cannot be written (no such folder, no permission, disk full).
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
    rows = _export_rows(store, predictions, model_labels, gone)
    columns = EXPORT_COLUMNS + ANSWER_COLUMN + HASH_COLUMN
    columns += PREDICTION_COLUMNS if predictions is not None else ()
    write = {"csv": _to_csv, "json": _to_json, "jsonl": _to_jsonl}[fmt]
    text = write(rows, columns)
    _write_atomically(Path(out_path), text)
    return len(rows)


def _export_rows(
    store: ProjectStore, predictions: Predictions | None, model_labels: bool, gone: SinceScan
) -> list[dict[str, Any]]:
    names = {c.id: c.name for c in store.classes()}
    labels, answers = _exported_labels(store, model_labels)
    copies = gone.all_copies(store.all_item_paths())
    rows = []
    for item in _exported_items(store, labels, answers, predictions is not None, gone):
        labelled = item.id in labels
        answer = answers.get(item.id)
        said = answer is not None and (labelled or answer.action != "label")  # not a withheld
        row: dict[str, Any] = {  # model label (``model_labels=False``): that is unlabeled
            "label": names[labels[item.id]] if labelled else None,
            "split": item.split,
            "source": source_of(answer) if said else None,
            "answered_at": _iso(answer.at) if said else None,
            "answer": answer.action if said else None,  # "can't label" is an answer too
            "sha256": item.hash if item.origin == "file" else None,
        }
        if predictions is not None:
            predicted, confidence = predictions.get(item.id, (None, None))
            # The model may hand numpy scalars, which json cannot write.
            row["prediction"] = None if predicted is None else str(predicted)
            row["confidence"] = None if confidence is None else float(confidence)
        # every copy of the content is a file of the user's with that label: one row each,
        # or joining the file back to the folder loses the copies
        for path in _paths_of(store, item, copies, gone):
            rows.append({"path": path, **row})
    rows.sort(key=lambda r: r["path"])
    return rows


def _paths_of(store: ProjectStore, item, copies: dict, since: SinceScan) -> list[str]:
    """The paths an item's rows name: a pool file's and its copies' relative to the pool (where
    they are now); a synthesized item's file where the project keeps it."""
    if item.origin == "synth":
        return [store.synth_file(item).as_posix()]
    return sorted({since.relpath(item), *copies.get(item.id, ())})


def copy_rows(
    store: ProjectStore,
    predictions: bool,
    model_labels: bool = True,
    gone: SinceScan = NOTHING_SINCE,
) -> int:
    """Rows an export gives copies of a file beyond the file itself (one item, one label):
    why it can have more rows than the project has labels."""
    labels, answers = _exported_labels(store, model_labels)
    copies = store.all_item_paths()
    return sum(len(set(copies.get(item.id, ())) - {item.relpath})
               for item in _exported_items(store, labels, answers, predictions, gone))  # fmt: skip


def rowless_files(
    store: ProjectStore,
    predictions: bool,
    model_labels: bool = True,
    gone: SinceScan = NOTHING_SINCE,
) -> int:
    """Missing or unreadable files an export has no row for, labels aside (those are counted
    by :func:`labels_left_out`): an unreadable file the user skipped has its row, and "2
    files without a row" of one was wrong (QA)."""
    labels, answers = _exported_labels(store, model_labels)
    rowed = {it.id for it in _exported_items(store, labels, answers, predictions, gone)}
    return sum(it.origin == "file" and (it.status != "ok" or it.id in gone)
               and it.id not in rowed and it.id not in labels for it in store.items())  # fmt: skip


def _exported_labels(store: ProjectStore, model_labels: bool) -> tuple[dict, dict]:
    """The labels an export writes (without the model's own if asked), and every answer."""
    labels, answers = store.labels(), store.answers()
    if not model_labels:
        labels = {i: c for i, c in labels.items() if source_of(answers[i]) != "model"}
    return labels, answers


def _exported_items(
    store: ProjectStore, labels: dict, answers: dict, predictions: bool, gone: SinceScan
):
    """The items an export has rows for: labelled ones and those answered "can't label" or
    skipped, and with predictions every readable pool file. Not a file gone since its label:
    its path may now hold other content (a file replaced under the same name), which the row
    would label wrongly. Synthesized items only when answered (they are not the user's files)."""
    for item in store.items():
        if item.status == "missing" or item.id in gone:
            continue
        answered = item.id in answers and answers[item.id].action in EXPORTED_ANSWERS
        guessed = predictions and item.status == "ok" and item.origin == "file"
        if item.id in labels or answered or guessed:
            yield item


def labels_left_out(
    store: ProjectStore, model_labels: bool = True, gone: SinceScan = NOTHING_SINCE
) -> int:
    """Labels an export leaves out: on files deleted or replaced since (the project keeps them,
    and they come back if the file does)."""
    labels, _ = _exported_labels(store, model_labels)
    return sum((it.status == "missing" or it.id in gone) and it.id in labels
               for it in store.items())  # fmt: skip


def gone_since_scan(store: ProjectStore) -> SinceScan:
    """What became of the pool's files since the project was last scanned (by the app, or
    ``new``): what a rescan would mark missing or move, found without writing (an export from
    the command line, between sessions, wrote a replaced file's old label, and a renamed
    file's old path). Incremental: an unchanged folder is one walk comparing sizes and times."""
    from aldesk.core.pool_sync import rescan_plan

    if not store.pool_root.is_dir():  # away (unmounted): nothing is known to be gone
        return NOTHING_SINCE
    plan = rescan_plan(store.db_file, store.pool_root, store.kind).plan
    gone = frozenset(i for i, change in plan.updates if change.get("status") == "missing")
    moved = {i: change["relpath"] for i, change in plan.updates if "relpath" in change}
    return SinceScan(gone, moved, dict(plan.paths))


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
    refuse_inside_project(path)
    if written_into(path):  # /dev/stdout, /dev/null, a pipe, a link: never renamed over (as
        _write_into(path, text)  # root that made /dev/null, and the /dev/stdout link, files)
        return
    # A temp name of our own (not mkstemp) so the file gets the user's umask, not mode 0600.
    remove_dead(path.parent, f".{path.name}.", ".tmp", middle=r"(\d+)-\d+")  # killed runs'
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


def refuse_inside_project(path: Path) -> None:
    """An output file is never written inside a project folder (an export to its
    ``project.sqlite`` destroyed the project).

    Raises:
        AldeskError: ``path`` is in a project folder.
    """
    project = project_holding(path)
    if project is not None:
        raise AldeskError(
            f"Cannot write {path}: it is inside the project folder {project}, which holds "
            "aldesk's own files. Choose a place outside it."
        )


def is_special(path: Path) -> bool:
    """An existing path that is not a regular file or a folder: a device, a pipe, a socket."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def written_into(path: Path) -> bool:
    """Whether an output goes into ``path`` as it is, not by a rename over it: a device or
    pipe, or a link (``/dev/stdout`` links to the shell's redirection; a rename made the link
    a plain file, and a user's link to a file would stop being one)."""
    return path.is_symlink() or is_special(path)


def _write_into(path: Path, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
            f.write(text)
    except OSError as exc:
        raise AldeskError(f"Cannot write {path}: {exc.strerror or exc}.") from exc


def write_text(path: Path, text: str) -> None:
    """``text`` to ``path`` whole or not at all (a temporary file renamed over it); a device
    or pipe (``/dev/stdout``) is written into."""
    _write_atomically(Path(path), text)
