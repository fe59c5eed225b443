"""The answer log of a project: appending answers and reading them back.

``ProjectStore`` inherits ``AnswerLog``. The log is append-only (label, skip, cannot_label,
undo, discard); an item's current answer is derived from it, so undo appends and never deletes.
Every ``record`` commits before it returns.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from aldesk.core.db import transaction as _transaction
from aldesk.core.db import write_error as _write_error
from aldesk.core.records import Event, current_answers
from aldesk.core.store_rows import EVENT_COLS, event_from_row

ACTIONS = ("label", "skip", "cannot_label", "undo", "discard")


class AnswerLog:
    """Answers appended to, and read from, the ``events`` table."""

    # set by ProjectStore (class_resolver by ClassTable)
    _conn: sqlite3.Connection
    _write: Callable[[str, Sequence[Any]], sqlite3.Cursor]
    _write_many: Callable[[str, Iterable[Sequence[Any]]], None]
    _refuse_if_readonly: Callable[[], None]
    class_resolver: Callable[[], dict[int, int]]

    def record(
        self,
        item_id: int,
        action: str,
        *,
        class_id: int | None = None,
        strategy: str | None = None,
        score: float | None = None,
        model_round: int | None = None,
        split: str = "pool",
        undoes: int | None = None,
    ) -> int:
        """Append one answer to the log and commit it before returning its event id."""
        if action != "discard":  # a stream's discard is the session's bookkeeping
            self._refuse_if_readonly()
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        if (action == "label") != (class_id is not None):
            raise ValueError("a class is given with, and only with, a 'label' answer")
        cur = self._write(
            "INSERT INTO events(at, item_id, action, class_id, strategy, score, model_round,"
            " split, undoes) VALUES (?,?,?,?,?,?,?,?,?)",
            (time.time(), item_id, action, class_id, strategy,
             None if score is None else float(score), model_round, split, undoes),
        )  # fmt: skip
        return cur.lastrowid

    def record_labels(
        self, labels: Iterable[tuple[int, int, str]], *, strategy: str | None = None
    ) -> None:
        """Append many ``(item_id, class_id, split)`` labels in one committed transaction."""
        self._refuse_if_readonly()
        now = time.time()
        self._write_many(
            "INSERT INTO events(at, item_id, action, class_id, strategy, split)"
            " VALUES (?, ?, 'label', ?, ?, ?)",
            [(now, item, cls, strategy, split) for item, cls, split in labels],
        )

    def record_many(self, rows: Sequence[tuple]) -> list[int]:
        """Append ``(item_id, action, class_id, split, undoes, strategy[, score])`` events in one
        committed transaction (a batch edit of the review view); returns their event ids."""
        self._refuse_if_readonly()
        for _, action, class_id, *_ in rows:
            if action not in ACTIONS or (action == "label") != (class_id is not None):
                raise ValueError(f"bad event {action!r} with class {class_id!r}")
        now, ids = time.time(), []
        try:
            with _transaction(self._conn):
                for item, action, class_id, split, undoes, strategy, *score in rows:
                    cur = self._conn.execute(
                        "INSERT INTO events(at, item_id, action, class_id, strategy, split,"
                        " undoes, score) VALUES (?,?,?,?,?,?,?,?)",
                        (now, item, action, class_id, strategy, split, undoes, *(score or [None])),
                    )
                    ids.append(cur.lastrowid)
        except sqlite3.OperationalError as exc:
            raise _write_error(exc) from exc
        return ids

    def events(self, since_id: int = 0) -> list[Event]:
        rows = self._conn.execute(
            f"SELECT {EVENT_COLS} FROM events WHERE id > ? ORDER BY id", (since_id,)
        ).fetchall()
        return [event_from_row(r) for r in rows]

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """The rows of one read-only query (an aggregate, rather than replaying the log)."""
        return self._conn.execute(sql, params).fetchall()

    def answers(self) -> dict[int, Event]:
        """Each answered item's current answer: its latest event not withdrawn by an undo."""
        return current_answers(self.events())

    def labels(self, split: str | None = None) -> dict[int, int]:
        """Item id -> active class id, for items whose current answer is a label."""
        resolve = self.class_resolver()
        return {
            item: resolve.get(ev.class_id, ev.class_id)
            for item, ev in self.answers().items()
            if ev.action == "label" and (split is None or ev.split == split)
        }
