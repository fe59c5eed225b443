"""What an import says: the preview's and the report's wording, shared by the command line
and the import dialog (:mod:`aldesk.core.interop` does the matching)."""

from __future__ import annotations

from aldesk.core.wording import count


def split_differs_text(n: int) -> str:
    """Rows whose pool/test split differs from this project's, said in an import's preview."""
    return (f"{count(n, 'row')} held out as test items in one project and not in the other "
            "(this project's split is kept)")  # fmt: skip


def by_tail_text(matched: list[str]) -> str:
    """Rows matched by the end of their path, said in an import's preview and report."""
    n = len(matched)
    return f"{count(n, 'path')} matched by {'its' if n == 1 else 'their'} end, e.g. {matched[0]}"


def imported_text(
    imported: int, replaced: int, unchanged: int, kept: int = 0, answers: int = 0
) -> str:
    """ "Imported 20 labels (8 of them replace labels given before; 50 unchanged)." """
    notes = []
    if replaced:
        notes.append("1 of them replaces a label given before" if replaced == 1 else
                     f"{replaced} of them replace labels given before")  # fmt: skip
    notes.append(f"{unchanged} unchanged")
    if kept:
        notes.append(f"{kept} of the project's kept where the file's label differs")
    also = f", and {count(answers, ANSWER_WORDS)}" if answers else ""
    return f"Imported {count(imported, 'label')}{also} ({'; '.join(notes)})."


def moved_text(matched: list[str]) -> str:
    """Rows found by their content under another name, said in an import's preview and report."""
    n = len(matched)
    return (f"{count(n, 'file')} found by {'its' if n == 1 else 'their'} content under another "
            f"name, e.g. {matched[0]}")  # fmt: skip


def changed_text(paths: list[str]) -> str:
    """Rows whose path holds other content now, said in an import's preview and report."""
    n = len(paths)
    return (f"{count(n, 'path')} now {'holds' if n == 1 else 'hold'} other content than the "
            f"labelled file (not imported), e.g. {paths[0]}")  # fmt: skip


ANSWER_WORDS = "can't-label or skip answer"
IMPORTED_ANSWERS = ("cannot_label", "skip")  # an export's rows without a label


def lookalike_text(name: str, n: int, total: int) -> str:
    """ "6 of its 9 items are “9” here" """
    return f"{n} of its {total} items are “{name}” here"
