"""Import of labels from CSV or JSON, and the labels file a headless simulation reads.

Paths in every file are relative to the pool folder, with ``/`` separators. A CSV file has a
header row naming at least the ``path`` and ``label`` columns (other columns are ignored on
import); a JSON file is a list of ``{"path": ..., "label": ...}`` objects. A row with an empty
label is an unlabelled item (an export with predictions writes such rows) and is not imported.
Export is :mod:`aldesk.core.labels_export` (its names are importable from here too).

Reading a labels file (bounded, lossless for odd names) is :mod:`aldesk.core.labels_file`.
Imported labels go through the store's append-only log with ``strategy='import'``, so they can
be undone and told apart from answers given in the app.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field, replace

from aldesk.core.errors import UnknownClass
from aldesk.core.import_paths import PathIndex
from aldesk.core.import_words import (  # noqa: F401 (importable from here, as before)
    ANSWER_WORDS,
    IMPORTED_ANSWERS,
    by_tail_text,
    changed_text,
    imported_text,
    lookalike_text,
    moved_text,
    split_differs_text,
)
from aldesk.core.labels_export import (  # noqa: F401 (the export API, as before)
    EXPORT_COLUMNS,
    FORMATS,
    copy_rows,
    export_labels,
    gone_since_scan,
    labels_left_out,
    left_out_text,
)
from aldesk.core.labels_file import Row, normalise, read_oracle_csv, read_rows  # noqa: F401
from aldesk.core.store import Item, ProjectStore
from aldesk.core.wording import count

IMPORT_STRATEGY = "import"


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
        replaced: Of ``imported``, labels that replaced a different one.
        kept: Labels of the project kept where the file's differed (``keep_yours``).
    """

    imported: int
    unchanged: int
    unknown_paths: list[str]
    unknown_classes: list[str]
    unreadable: list[str] = field(default_factory=list)
    contradictory: list[str] = field(default_factory=list)
    replaced: int = 0
    kept: int = 0
    answers: int = 0  # can't-label and skip answers recorded for items with none
    unlabeled_rows: int = 0  # rows with no label: not imported (the dry run said so; this did not)
    split_differs: int = 0  # rows held out otherwise in the file's project (see ImportPlan)
    by_tail: list[str] = field(default_factory=list)  # rows matched by their path's end
    left_out: int = 0  # labels of classes the project lacks, left out on request
    moved: list[str] = field(default_factory=list)  # rows found by content under another name
    changed: list[str] = field(default_factory=list)  # paths holding other content now

    def result(self) -> str:
        """What was recorded, in one sentence."""
        return imported_text(self.imported, self.replaced, self.unchanged, self.kept,
                             self.answers)  # fmt: skip


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
    unlabeled_rows: int = 0  # rows with no label (an export's skipped / can't-label items)
    # rows whose split ("pool" / "test") in the project they came from differs from this one's:
    # this project's is kept (merged silently, its test items were trained on elsewhere)
    split_differs: int = 0
    # "file path → pool path" of rows matched by the end of their path: written on another
    # machine or mount (D:\annot\digits\img_042.png, digits/img_042.png) they matched nothing
    by_tail: list[str] = field(default_factory=list)
    left_out: int = 0  # labels of classes the project lacks, left out (leaving_out_unknown)
    # "file path → pool path" of rows found by their content's hash under another name
    moved: list[str] = field(default_factory=list)
    # rows whose path now holds other content than the one labelled (not imported)
    changed: list[str] = field(default_factory=list)
    replacing: dict[int, str] = field(default_factory=dict)  # conflicting item -> "path: a → b"
    # a class the project lacks -> (the project's class most of its items have, how many,
    # of how many): a class renamed in the copy the file came from
    lookalikes: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    kept: int = 0  # conflicting labels left as they are (``keeping_yours``)
    # ``(item_id, action, split)``: can't-label / skip answers of rows with no label, for
    # items the project has no answer for (a colleague's "can't label" was asked again)
    answers: list[tuple[int, str, str]] = field(default_factory=list)

    def leaving_out_unknown(self) -> ImportPlan:
        """This plan without the rows of classes the project lacks: a typo in a hand-edited
        file ("banana") need not stop the rest, nor become a class."""
        lacking = {name.casefold() for name in self.unknown_classes}
        labels = [row for row in self.labels if row[1].casefold() not in lacking]
        kept = {row[0] for row in labels}
        replacing = {i: text for i, text in self.replacing.items() if i in kept}
        return replace(self, labels=labels, unknown_classes=[], lookalikes={},
                       replacing=replacing, conflicting=len(replacing),
                       new=len(labels) - len(replacing),
                       left_out=self.left_out + len(self.labels) - len(labels))  # fmt: skip

    def keeping_yours(self) -> ImportPlan:
        """This plan with the conflicting rows left out: where the file's label differs from
        the one given in the project, the project's stays."""
        labels = [row for row in self.labels if row[0] not in self.replacing]
        return replace(self, labels=labels, conflicting=0, replacing={},
                       kept=self.kept + self.conflicting)  # fmt: skip

    def notes(self) -> list[str]:
        """What else the import should say once done (the preview said it; the window's
        message after the import had dropped it)."""
        notes = [split_differs_text(self.split_differs)] if self.split_differs else []
        if self.unknown_paths:
            notes.append(f"{count(len(self.unknown_paths), 'path')} not in the pool (not "
                         f"imported), e.g. {self.unknown_paths[0]}")  # fmt: skip
        if self.moved:
            notes.append(moved_text(self.moved))
        if self.changed:
            notes.append(changed_text(self.changed))
        if self.by_tail:
            notes.append(by_tail_text(self.by_tail))
        if self.unlabeled_rows:
            notes.append(f"{count(self.unlabeled_rows, 'row')} with no label (not imported)")
        if self.left_out:
            notes.append(f"{count(self.left_out, 'label')} of classes the project lacks left out")
        return notes

    def result(self) -> str:
        """What applying the plan records, in one sentence (said once it is done)."""
        return imported_text(len(self.labels), self.conflicting, self.same, self.kept,
                             len(self.answers))  # fmt: skip

    def summary(self) -> str:
        """The counts in one line for a person."""
        text = f"{self.new} new, {self.same} same, {self.conflicting} conflicting"
        if self.kept:
            text += f" ({self.kept} more kept as they are)"
        if self.unknown_paths:
            text += f", {count(len(self.unknown_paths), 'path')} not in the project"
        if self.unreadable:
            text += f", {count(len(self.unreadable), 'unreadable item')}"
        if self.contradictory:
            text += f", {count(len(self.contradictory), 'item')} labeled two ways (left out)"
        if self.answers:
            text += f", {count(len(self.answers), ANSWER_WORDS)} for items with no answer"
        if self.unlabeled_rows:
            text += f", {count(self.unlabeled_rows, 'row')} with no label (not imported)"
        if self.split_differs:
            text += f", {split_differs_text(self.split_differs)}"
        if self.by_tail:
            text += f", {by_tail_text(self.by_tail)}"
        if self.moved:
            text += f", {moved_text(self.moved)}"
        if self.changed:
            text += f", {changed_text(self.changed)}"
        if self.unknown_classes:
            text += f"; classes the project lacks: {self.lacking_text()}"
        return text

    def lacking_text(self) -> str:
        """The classes the project lacks, each with the class its items mostly have here."""
        return ", ".join(
            f"{name} ({lookalike_text(*self.lookalikes[name])})" if name in self.lookalikes
            else name for name in self.unknown_classes
        )  # fmt: skip


# ------------------------------------------------------------------ import


def import_labels(
    store: ProjectStore,
    path: str | os.PathLike[str],
    *,
    add_classes: bool = False,
    keep_yours: bool = False,
    leave_out_unknown: bool = False,
) -> ImportReport:
    """Record the labels of a CSV or JSON file in the project.

    The whole file is checked before anything is recorded: a bad file or an unknown class
    leaves the project untouched. Class names match case-insensitively. Paths that match no
    item are reported, not fatal (the file may cover a larger folder).

    Args:
        store: An open project.
        path: The labels file.
        add_classes: Add classes the project lacks instead of refusing the file.
        keep_yours: Where the file's label differs from the project's, keep the project's
            (by default the file's replaces it).
        leave_out_unknown: Leave out the rows of classes the project lacks (instead of
            refusing the file, or adding them with ``add_classes``).

    Returns:
        What was imported.

    Raises:
        BadLabelsFile: The file cannot be read or parsed (the message names the line).
        UnknownClass: The file names classes the project lacks and ``add_classes`` is false.
    """
    plan = plan_import(store, path)
    if leave_out_unknown:
        plan = plan.leaving_out_unknown()
    if keep_yours:
        plan = plan.keeping_yours()
    return apply_plan(store, plan, str(path), add_classes=add_classes)


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
            "Add them to the project first (Classes → Add class…), or import with --add-classes "
            "(or --leave-out-unknown-classes)."
        )
    for name in missing:
        store.add_class(name)
    class_ids = _class_ids(store)
    labels = [(item, class_ids[name.casefold()], split) for item, name, split in plan.labels]
    answers = [(item, action, None, split, None, IMPORT_STRATEGY)
               for item, action, split in plan.answers]  # fmt: skip
    with store.batch():  # one transaction for the file
        store.record_labels(labels, strategy=IMPORT_STRATEGY)
        if answers:
            store.record_many(answers)
    return ImportReport(len(labels), plan.same, plan.unknown_paths, missing, plan.unreadable,
                        plan.contradictory, replaced=plan.conflicting, kept=plan.kept,
                        answers=len(answers), unlabeled_rows=plan.unlabeled_rows,
                        split_differs=plan.split_differs, by_tail=plan.by_tail,
                        left_out=plan.left_out, moved=plan.moved,
                        changed=plan.changed)  # fmt: skip


def plan_import(store: ProjectStore, path: str | os.PathLike[str]) -> ImportPlan:
    """Read a labels file and work out the merge without writing anything (``--dry-run``,
    the app's preview). Class names compare case-insensitively. Counts are per item: rows
    naming one item (its path twice, or two copies of one file) with one label count once;
    with different labels the item is left out and named, rather than the last row winning.

    Raises:
        BadLabelsFile: The file cannot be read or parsed (the message names the line).
    """
    rows = read_rows(path)
    labeled = [r for r in rows if r.label]
    answered = [r for r in rows if not r.label and r.answer in IMPORTED_ANSWERS]
    answers = _answer_rows(store, answered) if answered else []
    return replace(plan_rows(store, labeled), answers=answers,
                   unlabeled_rows=len(rows) - len(labeled) - len(answers))  # fmt: skip


def _answer_rows(store: ProjectStore, rows: list[Row]) -> list[tuple[int, str, str]]:
    """The can't-label / skip answers of ``rows`` for readable items with no answer yet, one
    per item (an answer given in the project stays)."""
    index, answered = PathIndex(store), store.answers()
    found: dict[int, tuple[int, str, str]] = {}
    for row in rows:
        item = index.match(row).item
        if item is not None and item.status == "ok" and item.id not in answered:
            found.setdefault(item.id, (item.id, row.answer, item.split))
    return list(found.values())


def plan_rows(store: ProjectStore, rows: list[Row]) -> ImportPlan:
    """The merge of ``rows`` (path, label) into the project, as :func:`plan_import`."""
    names = {c.id: c.name.casefold() for c in store.classes()}
    shown_names = {c.name.casefold(): c.name for c in store.classes()}
    current = {i: names.get(c) for i, c in store.labels().items()}
    index = PathIndex(store) if rows else None
    unknown_paths, unreadable, split_differs, by_tail = [], [], 0, []
    moved, changed = [], []
    given: dict[int, list[Row]] = {}  # item id -> its rows, items in first-row order
    items: dict[int, Item] = {}
    for row in rows:
        found = index.match(row)
        item = found.item
        if found.by_end:
            by_tail.append(f"{row.path} → {item.relpath}")
        if found.moved:
            moved.append(f"{row.path} → {item.relpath}")
        if found.changed:
            changed.append(row.key)
        elif item is None:
            unknown_paths.append(row.key)
        elif item.status != "ok":
            unreadable.append(row.path)
        else:
            given.setdefault(item.id, []).append(row)
            items[item.id] = item
            split_differs += row.split in ("pool", "test") and row.split != item.split
    counts = {"new": 0, "same": 0, "conflicting": 0}
    labels, contradictory, replacing = [], [], {}
    for item_id, item_rows in given.items():
        said = {r.label.casefold(): r.label for r in item_rows}
        if len(said) > 1:
            contradictory.append(f"{item_rows[0].path}: {', '.join(said.values())}")
            continue
        label = item_rows[0].label
        was = current.get(item_id)
        kind = "new" if was is None else "same" if was == label.casefold() else "conflicting"
        counts[kind] += 1
        if kind == "conflicting":
            replacing[item_id] = f"{item_rows[0].path}: {shown_names[was]} → {label}"
        if kind != "same":
            labels.append((item_id, label, items[item_id].split))
    # only the classes of rows that would be imported: a row of a file not in the pool (a
    # labels file of a larger folder) does not make its class one the project "lacks"
    used = [r for item_rows in given.values() for r in item_rows]
    missing = _missing_classes(store, used)
    lookalikes = _lookalikes(missing, labels, current, shown_names)
    return ImportPlan(labels, counts["new"], counts["same"], counts["conflicting"],
                      unknown_paths, missing, unreadable, contradictory,
                      replacing=replacing, lookalikes=lookalikes,
                      split_differs=split_differs, by_tail=by_tail, moved=moved,
                      changed=changed)  # fmt: skip


def _lookalikes(
    missing: list[str],
    labels: list[tuple[int, str, str]],
    current: dict[int, str | None],
    shown_names: dict[str, str],
) -> dict[str, tuple[str, int, int]]:
    """For each class the project lacks, the project's class that most (over half, and at
    least 2) of its items labeled here have: the same class under another name."""
    out = {}
    for name in missing:
        items = [item for item, label, _ in labels if label.casefold() == name.casefold()]
        here = Counter(current[i] for i in items if current.get(i) is not None)
        (top, n), *_ = here.most_common(1) or [(None, 0)]
        if n >= 2 and 2 * n > here.total():
            out[name] = (shown_names[top], n, len(items))
    return out


def _class_ids(store: ProjectStore) -> dict[str, int]:
    return {c.name.casefold(): c.id for c in store.classes()}


def _missing_classes(store: ProjectStore, rows: list[Row]) -> list[str]:
    known, missing = _class_ids(store), {}
    for row in rows:
        if row.label.casefold() not in known:
            missing.setdefault(row.label.casefold(), row.label)
    return list(missing.values())
