"""Export and import of labels as CSV or JSON, and the labels file a headless simulation reads.

Paths in every file are relative to the pool folder, with ``/`` separators. A CSV file has a
header row naming at least the ``path`` and ``label`` columns (other columns are ignored on
import); a JSON file is a list of ``{"path": ..., "label": ...}`` objects. A row with an empty
label is an unlabelled item (an export with predictions writes such rows) and is not imported.

Imported labels go through the store's append-only log with ``strategy='import'``, so they can
be undone and told apart from answers given in the app.
"""

from __future__ import annotations

import csv
import io
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aldesk.core.errors import AldeskError, BadLabelsFile, UnknownClass
from aldesk.core.store import Item, ProjectStore

FORMATS = ("csv", "json")
EXPORT_COLUMNS = ("path", "label", "split", "answered_at")
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
    """

    imported: int
    unchanged: int
    unknown_paths: list[str]
    unknown_classes: list[str]


@dataclass(frozen=True)
class _Row:
    line: int
    path: str
    label: str


# ------------------------------------------------------------------ export


def export_labels(
    store: ProjectStore,
    out_path: str | os.PathLike[str],
    fmt: str = "csv",
    predictions: Predictions | None = None,
) -> int:
    """Write the project's current labels to a CSV or JSON file.

    Every labelled pool file gets a row ``path, label, split, answered_at`` (UTC, ISO 8601).
    With ``predictions``, the file gains ``prediction, confidence`` columns and every unlabelled
    readable item gets a row too (with an empty label). The file is written under a temporary
    name and moved into place, so a crash never leaves half a file.

    Args:
        store: An open project.
        out_path: The file to write.
        fmt: ``'csv'`` or ``'json'``.
        predictions: item id -> (class name, confidence) from the current model.

    Returns:
        The number of rows written.

    Raises:
        AldeskError: The file cannot be written (no such folder, no permission, disk full).
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
    rows = _export_rows(store, predictions)
    columns = EXPORT_COLUMNS + (PREDICTION_COLUMNS if predictions is not None else ())
    text = _to_csv(rows, columns) if fmt == "csv" else _to_json(rows, columns)
    _write_atomically(Path(out_path), text)
    return len(rows)


def _export_rows(store: ProjectStore, predictions: Predictions | None) -> list[dict[str, Any]]:
    names = {c.id: c.name for c in store.classes()}
    labels, answers = store.labels(), store.answers()
    rows = []
    for item in sorted(store.items(), key=lambda it: it.relpath):
        labelled = item.id in labels
        wanted = labelled or (predictions is not None and item.status == "ok")
        if item.origin != "file" or not wanted:
            continue
        row: dict[str, Any] = {
            "path": item.relpath,
            "label": names[labels[item.id]] if labelled else None,
            "split": item.split,
            "answered_at": _iso(answers[item.id].at) if labelled else None,
        }
        if predictions is not None:
            predicted, confidence = predictions.get(item.id, (None, None))
            # The model may hand numpy scalars, which json cannot write.
            row["prediction"] = None if predicted is None else str(predicted)
            row["confidence"] = None if confidence is None else float(confidence)
        rows.append(row)
    return rows


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat(timespec="seconds")


def _to_csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def _to_json(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    return json.dumps([{c: row[c] for c in columns} for row in rows], indent=1) + "\n"


def _write_atomically(path: Path, text: str) -> None:
    # A temp name of our own (not mkstemp) so the file gets the user's umask, not mode 0600.
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
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


# ------------------------------------------------------------------ reading labels files


def _bad(path: Path, line: int | None, what: str) -> BadLabelsFile:
    where = f"{path}, line {line}" if line is not None else str(path)
    return BadLabelsFile(f"{where}: {what}")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise _bad(path, line, "not UTF-8 text") from exc
    except OSError as exc:
        raise BadLabelsFile(f"Cannot read {path}: {exc.strerror or exc}.") from exc


def _csv_rows(path: Path, text: str) -> Iterator[_Row]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        if "path" not in header or "label" not in header:
            raise _bad(path, 1, "the header must name a 'path' and a 'label' column")
        i_path, i_label = header.index("path"), header.index("label")
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                n = len(header)
                raise _bad(path, reader.line_num, f"{len(row)} fields where the header has {n}")
            yield _Row(reader.line_num, row[i_path], row[i_label])
    except csv.Error as exc:
        raise _bad(path, reader.line_num, f"not valid CSV ({exc})") from exc


def _json_rows(path: Path, text: str) -> Iterator[_Row]:
    """Decode the list element by element, so an error names the line of its element."""
    decoder, ws = json.JSONDecoder(), " \t\r\n"
    pos = len(text) - len(text.lstrip(ws))
    if text[pos : pos + 1] != "[":
        raise _bad(path, text.count("\n", 0, pos) + 1, "expected a list of {path, label} objects")
    pos += 1
    while True:
        pos += len(text[pos:]) - len(text[pos:].lstrip(ws))
        if text[pos : pos + 1] == "]":
            return
        line = text.count("\n", 0, pos) + 1
        try:
            element, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise _bad(path, exc.lineno, f"not valid JSON ({exc.msg})") from exc
        yield _json_row(path, line, element)
        pos += len(text[pos:]) - len(text[pos:].lstrip(ws))
        if text[pos : pos + 1] == ",":
            pos += 1
        elif text[pos : pos + 1] != "]":
            raise _bad(path, text.count("\n", 0, pos) + 1, "expected ',' or ']'")


def _json_row(path: Path, line: int, element: object) -> _Row:
    if not isinstance(element, dict) or not isinstance(element.get("path"), str):
        raise _bad(path, line, 'each entry must be an object with a "path" string')
    label = element.get("label")
    if label is not None and not isinstance(label, str):
        raise _bad(path, line, '"label" must be a string or null')
    return _Row(line, element["path"], label or "")


def _read_rows(path: str | os.PathLike[str]) -> list[_Row]:
    """Parse a labels file (JSON by its .json suffix, CSV otherwise) into clean rows."""
    path = Path(path)
    text = _read_text(path)
    parse = _json_rows if path.suffix.lower() == ".json" else _csv_rows
    rows = []
    for row in parse(path, text):
        clean = _Row(row.line, _normalise(row.path), row.label.strip())
        if not clean.path:
            raise _bad(path, row.line, "empty path")
        rows.append(clean)
    if not rows:
        raise _bad(path, None, "the file holds no labels")
    return rows


def _normalise(relpath: str) -> str:
    relpath = relpath.strip().replace("\\", "/")
    while relpath.startswith("./"):
        relpath = relpath[2:]
    return relpath


def read_oracle_csv(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read the true labels a headless simulation answers from.

    Args:
        path: A CSV (``path,label`` header) or JSON labels file.

    Returns:
        relpath (relative to the pool, ``/`` separators) -> label.

    Raises:
        BadLabelsFile: The file cannot be read, or a row has no path or no label.
    """
    oracle = {}
    for row in _read_rows(path):
        if not row.label:
            raise _bad(Path(path), row.line, f"no label for {row.path!r}")
        oracle[row.path] = row.label
    return oracle


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
    rows = [r for r in _read_rows(path) if r.label]
    missing = _missing_classes(store, rows)
    if missing and not add_classes:
        raise UnknownClass(
            f"{path} uses classes the project does not have: {', '.join(missing)}. "
            "Add them to the project first (Classes → Add class…), or import with --add-classes."
        )
    for name in missing:
        store.add_class(name)
    return _record_rows(store, rows, missing)


def _class_ids(store: ProjectStore) -> dict[str, int]:
    return {c.name.casefold(): c.id for c in store.classes()}


def _missing_classes(store: ProjectStore, rows: list[_Row]) -> list[str]:
    known, missing = _class_ids(store), {}
    for row in rows:
        if row.label.casefold() not in known:
            missing.setdefault(row.label.casefold(), row.label)
    return list(missing.values())


def _items_by_path(store: ProjectStore) -> dict[str, Item]:
    """Every path of every pool file, duplicates included."""
    by_path: dict[str, Item] = {}
    for item in store.items():
        if item.origin == "file":
            for relpath in [item.relpath, *store.item_paths(item.id)]:
                by_path.setdefault(relpath, item)
    return by_path


def _lookup(store: ProjectStore, by_path: dict[str, Item], relpath: str) -> Item | None:
    if os.path.isabs(relpath):
        try:
            relpath = Path(relpath).relative_to(store.pool_root).as_posix()
        except ValueError:
            return None
    return by_path.get(relpath)


def _record_rows(store: ProjectStore, rows: list[_Row], added: list[str]) -> ImportReport:
    by_path, class_ids, current = _items_by_path(store), _class_ids(store), store.labels()
    imported = unchanged = 0
    unknown_paths, labels = [], []
    for row in rows:
        item = _lookup(store, by_path, row.path)
        if item is None:
            unknown_paths.append(row.path)
            continue
        class_id = class_ids[row.label.casefold()]
        if current.get(item.id) == class_id:
            unchanged += 1
            continue
        labels.append((item.id, class_id, item.split))
        current[item.id] = class_id
        imported += 1
    store.record_labels(labels, strategy=IMPORT_STRATEGY)  # one transaction for the file
    return ImportReport(imported, unchanged, unknown_paths, added)
