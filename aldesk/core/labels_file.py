"""Reading a labels file (CSV or JSON) safely: bounded, line-numbered, lossless for odd names.

A labels file comes from anywhere, so reading one is bounded: it must be a regular file
(a named pipe would block for ever, ``/dev/zero`` never ends) of at most
``MAX_LABELS_BYTES``, and JSON nested too deeply is refused, not a ``RecursionError``.

Paths are kept as written (``Row.path``) and also normalised (``Row.key``: ``\\`` to ``/``,
``./`` and surrounding spaces dropped), and matched in that order: a file really named
``back\\slash.png`` or ``cr\\r.png`` is found by its own name, a Windows-style
``sub\\a.png`` by the normalised one. A file name that is not UTF-8 (an export writes its
bytes as they are) is read back exactly; labels must be UTF-8.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from aldesk.core.errors import BadLabelsFile

MAX_LABELS_BYTES = 128 << 20  # 128 MB: about two million rows
_WS = re.compile(r"[ \t\r\n]*")


@dataclass(frozen=True)
class Row:
    """One row: its line, the path as written and normalised, and the (stripped) label."""

    line: int
    path: str
    label: str
    answer: str = ""  # an export's answer column: "cannot_label" or "skip" on a row with no label
    split: str = ""  # an export's split column: "pool" or "test" in the project it came from
    sha256: str = ""  # an export's content hash: the labelled file, whatever its name now

    @property
    def key(self) -> str:
        return normalise(self.path)


def bad(path: Path, line: int | None, what: str) -> BadLabelsFile:
    where = f"{path}, line {line}" if line is not None else str(path)
    return BadLabelsFile(f"{where}: {what}")


def normalise(relpath: str) -> str:
    """The usual spelling of a relpath: ``/`` separators, no leading ``./``, no outer spaces."""
    relpath = relpath.strip().replace("\\", "/")
    while relpath.startswith("./"):
        relpath = relpath[2:]
    return relpath


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The whole file, if it is a regular file of at most ``limit`` bytes (MAX_LABELS_BYTES).

    Raises:
        BadLabelsFile: it cannot be opened, is not a regular file, or is too large.
    """
    limit = MAX_LABELS_BYTES if limit is None else limit
    try:
        # Non-blocking: opening a named pipe for reading would otherwise wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise BadLabelsFile(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise BadLabelsFile(f"{path} is {what}; give a CSV or JSON labels file.")
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(limit + 1)  # a file growing while read is still cut at the limit
    except OSError as exc:
        raise BadLabelsFile(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    finally:
        os.close(fd)
    if len(data) > limit:
        raise BadLabelsFile(f"{path} is larger than {limit >> 20} MB; that is not a labels file.")
    return data


def _text(path: Path, data: bytes) -> str:
    """UTF-8 text; bytes that are not UTF-8 become surrogate escapes (a file name's own
    bytes, as an export writes them), which only a path may hold (see _check_text)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", "surrogateescape")


def _check_text(path: Path, row: Row) -> None:
    if _has_surrogates(row.label):
        raise bad(path, row.line, "not UTF-8 text")


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def csv_rows(path: Path, text: str) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        if "path" not in header or "label" not in header:
            if any(_has_surrogates(h) for h in header):
                raise bad(path, 1, "not UTF-8 text")
            raise bad(path, 1, "the header must name a 'path' and a 'label' column")
        i_path, i_label = header.index("path"), header.index("label")
        i_answer = header.index("answer") if "answer" in header else None
        i_split = header.index("split") if "split" in header else None
        i_hash = header.index("sha256") if "sha256" in header else None
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                n = len(header)
                raise bad(path, reader.line_num, f"{len(row)} fields where the header has {n}")
            answer = row[i_answer] if i_answer is not None else ""
            split = row[i_split] if i_split is not None else ""
            sha = row[i_hash] if i_hash is not None else ""
            yield Row(reader.line_num, row[i_path], row[i_label], answer, split, _hash(sha))
    except csv.Error as exc:
        raise bad(path, reader.line_num, f"not valid CSV ({exc})") from exc


def json_rows(path: Path, text: str) -> Iterator[Row]:
    """Decode the list element by element, so an error names the line of its element.

    Positions move forward only (no slicing, no counting from the start), so a large file
    is read in linear time.
    """
    decoder = json.JSONDecoder()
    pos = _WS.match(text, 0).end()
    line, counted = 1 + text.count("\n", 0, pos), pos
    if text[pos : pos + 1] != "[":
        raise bad(path, line, "expected a list of {path, label} objects")
    pos += 1
    while True:
        pos = _WS.match(text, pos).end()
        line, counted = line + text.count("\n", counted, pos), pos
        if text[pos : pos + 1] == "]":
            return
        try:
            element, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise bad(path, exc.lineno, f"not valid JSON ({exc.msg})") from exc
        except RecursionError as exc:
            raise bad(path, line, "not valid JSON (nested too deeply)") from exc
        yield _json_row(path, line, element)
        pos = _WS.match(text, pos).end()
        if text[pos : pos + 1] == ",":
            pos += 1
        elif text[pos : pos + 1] != "]":
            raise bad(path, line + text.count("\n", counted, pos), "expected ',' or ']'")


def jsonl_rows(path: Path, text: str) -> Iterator[Row]:
    """JSON Lines: one ``{path, label}`` object per line; blank lines are allowed."""
    for line, raw in enumerate(text.split("\n"), 1):
        if not raw.strip():
            continue
        try:
            element = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise bad(path, line, f"not valid JSON ({exc.msg})") from exc
        except RecursionError as exc:
            raise bad(path, line, "not valid JSON (nested too deeply)") from exc
        yield _json_row(path, line, element)


def _json_row(path: Path, line: int, element: object) -> Row:
    if not isinstance(element, dict) or not isinstance(element.get("path"), str):
        raise bad(path, line, 'each entry must be an object with a "path" string')
    label = element.get("label")
    if label is not None and not isinstance(label, str):
        raise bad(path, line, '"label" must be a string or null')
    answer, split, sha = element.get("answer"), element.get("split"), element.get("sha256")
    return Row(line, element["path"], label or "", answer if isinstance(answer, str) else "",
               split if isinstance(split, str) else "",
               _hash(sha) if isinstance(sha, str) else "")  # fmt: skip


def _hash(text: str) -> str:
    """A SHA-256 in hex as the project stores it; anything else reads as none given."""
    text = text.strip().lower()
    return text if len(text) == 64 and all(c in "0123456789abcdef" for c in text) else ""


# other tools' words for a split: a "train" row is one of this project's pool items
SPLIT_WORDS = {"train": "pool", "training": "pool", "testing": "test", "held-out": "test"}


def read_rows(path: str | os.PathLike[str]) -> list[Row]:
    """Parse a labels file (JSON by its .json suffix, JSON Lines by .jsonl, CSV otherwise).

    Raises:
        BadLabelsFile: the file cannot be read or parsed (the message names the line).
    """
    path = Path(path)
    text = _text(path, read_bytes(path))
    parse = {".json": json_rows, ".jsonl": jsonl_rows}.get(path.suffix.lower(), csv_rows)
    rows = []
    for row in parse(path, text):
        split = row.split.strip().lower()
        clean = Row(row.line, row.path, row.label.strip(), row.answer.strip(),
                    SPLIT_WORDS.get(split, split), row.sha256)  # fmt: skip
        _check_text(path, clean)
        if not clean.key:
            raise bad(path, row.line, "empty path")
        rows.append(clean)
    if not rows:
        raise bad(path, None, "the file holds no labels")
    return rows


def read_oracle_csv(
    path: str | os.PathLike[str],
    contradictory: list[str] | None = None,
    twofold: set[str] | None = None,
) -> dict[str, str]:
    """Read the true labels a headless simulation answers from.

    A row with an empty label labels nothing (an export with predictions has such rows); a
    path given two different labels is left out and, when ``contradictory`` is a list, named
    there as "path: a, b" (it was the last row's, silently).

    Args:
        path: A CSV (``path,label`` header) or JSON labels file.
        contradictory: Where to name the paths labeled two ways.
        twofold: Where to put those paths' keys (their files are then not "without a label").

    Returns:
        relpath -> label, keyed by the normalised path (see :func:`oracle_label`).

    Raises:
        BadLabelsFile: The file cannot be read, or a row has no path.
    """
    given: dict[str, dict[str, str]] = {}  # key -> the labels its rows give (in order)
    shown: dict[str, str] = {}
    for row in read_rows(path):
        if row.label:
            given.setdefault(row.key, {}).setdefault(row.label, row.label)
            shown.setdefault(row.key, row.path)
    oracle = {}
    for key, said in given.items():
        if len(said) == 1:
            oracle[key] = next(iter(said))
        else:
            if contradictory is not None:
                contradictory.append(f"{shown[key]}: {', '.join(said)}")
            if twofold is not None:
                twofold.add(key)
    return oracle


def oracle_label(labels: dict[str, str], relpath: str) -> str | None:
    """The oracle's label for a pool file, matched as :func:`read_oracle_csv` keyed it."""
    found = labels.get(relpath)
    return found if found is not None else labels.get(normalise(relpath))
