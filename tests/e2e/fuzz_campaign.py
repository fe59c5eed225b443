"""The fuzz campaign of issue 12: the command line and the viewers' decode paths over hostile
pools (see ``fuzz_files``). Used by ``test_fuzz.py`` and ``benchmarks/bench_fuzz.py``.

Each run counts files tried, crashes (a command that raised instead of returning, a viewer
decode that raised something no lane would say in words) and flagged files, and lists every
broken promise in ``problems``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aldesk.cli import main
from aldesk.core.store import ProjectStore
from tests.e2e.fuzz_files import Pool, audio_pool, image_pool

CLASSES = ("left", "right")


@dataclass
class Figures:
    files: int = 0
    commands: int = 0
    viewed: int = 0
    crashes: int = 0
    flagged: int = 0
    good_used: int = 0
    shown_bad: int = 0  # bad files the viewer still decoded when asked directly
    problems: list[str] = field(default_factory=list)

    def add(self, other: Figures) -> None:
        for name in ("files", "commands", "viewed", "crashes", "flagged", "good_used", "shown_bad"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems += other.problems


def run_campaign(workdir: Path, seed: int, scale: int = 1, *, features: str = "auto") -> Figures:
    """Both pools, every command, every viewer decode; returns the figures."""
    total = Figures()
    for make in (image_pool, audio_pool):
        pool = make(workdir / f"{make.__name__}-{seed}", seed, scale)
        try:
            total.add(_campaign(pool, workdir / f"{make.__name__}-{seed}.out", features))
        finally:
            pool.close()
    return total


def _campaign(pool: Pool, out: Path, features: str) -> Figures:
    fig = Figures(files=len(pool.expected))
    out.mkdir(parents=True)
    project, oracle = out / "p", out / "labels.csv"
    _write_oracle(pool, oracle)
    runs = [
        ["new", str(project), "--pool", str(pool.root), "--classes", ",".join(CLASSES),
         "--features", features],
        ["status", str(project)],
        ["status", str(project), "--json"],
        ["simulate", "--pool", str(pool.root), "--oracle", str(oracle), "--budget", "16",
         "--batch", "4", "--seed-size", "4", "--features", features,
         "--out", str(out / "curve.json")],
        ["import-labels", str(project), str(oracle)],
        ["export", str(project), "--out", str(out / "labels-out.csv"), "--predictions"],
        ["export", str(project), "--out", str(out / "labels-out.json"), "--format", "json"],
    ]  # fmt: skip
    for args in runs:
        fig.commands += 1
        _command(args, fig)
    _check_project(pool, project, fig)
    _check_round_trip(project, out / "labels-out.csv", out / "labels-out.json", fig)
    _check_viewers(pool, fig)
    return fig


def _write_oracle(pool: Pool, path: Path) -> None:
    """A label for every entry (odd names included), written the way export writes names."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["path", "label"])
    for i, relpath in enumerate(sorted(pool.expected)):
        writer.writerow([relpath, CLASSES[i % 2]])
    path.write_bytes(buf.getvalue().encode("utf-8", "surrogateescape"))


def _command(args: list[str], fig: Figures) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(args)
    except BaseException:  # a crash: anything main did not turn into an exit code
        fig.crashes += 1
        fig.problems.append(f"aldesk {args[0]} crashed:\n{traceback.format_exc(limit=6)}")
        return
    if code != 0:
        fig.problems.append(f"aldesk {args[0]} exited {code}: {stderr.getvalue().strip()}")
    if "Traceback" in stderr.getvalue():
        fig.problems.append(f"aldesk {args[0]} printed a traceback: {stderr.getvalue()}")


def _items_by_path(store: ProjectStore) -> dict[str, object]:
    by_path = {}
    for item in store.items():
        for relpath in [item.relpath, *store.item_paths(item.id)]:
            by_path[relpath] = item
    return by_path


def _check_project(pool: Pool, project: Path, fig: Figures) -> None:
    from aldesk.core.features import ensure_features

    try:
        store = ProjectStore.open(project)
    except Exception as exc:  # the project is not there: `new` failed, already counted
        fig.problems.append(f"cannot open the project: {exc}")
        return
    with store:
        by_path = _items_by_path(store)
        ok = [it for it in store.items() if it.status == "ok"]
        cached = ensure_features(store.cache_dir, store.kind, [(it.hash, store.abspath(it))
                                 for it in ok], workers=0)  # fmt: skip
        with_features = set(cached.features.hashes)
        for relpath, expect in sorted(pool.expected.items()):
            item = by_path.get(relpath)
            shown = ascii(relpath)
            if item is None:
                fig.problems.append(f"{shown} ({expect}) is not in the project")
                continue
            usable = item.status == "ok" and item.hash in with_features
            flagged = item.status == "unreadable" and bool(item.reason)
            fig.flagged += flagged
            fig.good_used += expect == "good" and usable
            if expect == "good" and not usable:
                fig.problems.append(f"good file {shown} not used: {item.status} {item.reason}")
            elif expect in ("bad", "special") and not flagged:
                fig.problems.append(f"{expect} file {shown} not flagged: {item.status}")
            elif expect == "maybe" and not (usable or flagged):
                fig.problems.append(f"{shown} neither used nor flagged: {item.status}")


def _check_round_trip(project: Path, out_csv: Path, out_json: Path, fig: Figures) -> None:
    """Every item labelled by the import is in both exports under its exact name (one row per
    item: byte-identical copies share their item's row)."""
    import json

    if not out_csv.exists() or not out_json.exists():
        fig.problems.append("an export file is missing")
        return
    text = out_csv.read_bytes().decode("utf-8", "surrogateescape")
    in_csv = {row["path"] for row in csv.DictReader(io.StringIO(text, newline=""))}
    in_json = {row["path"] for row in json.loads(out_json.read_text(encoding="utf-8"))}
    with ProjectStore.open(project) as store:
        labelled = [it.relpath for it in store.items() if it.id in store.labels()]
    if not labelled:
        fig.problems.append("the import labelled nothing")
    for relpath in labelled:
        if relpath not in in_csv or relpath not in in_json:
            fig.problems.append(f"{ascii(relpath)} lost in the export round trip")


def _check_viewers(pool: Pool, fig: Figures) -> None:
    """The decode path each viewer runs on its lane, and what the lane would say on failure."""
    from aldesk.gui.workers import JobContext, describe_error

    decode = _image_decoder() if pool.kind == "image" else _audio_decoder()
    ctx = JobContext(should_stop=lambda: False, report=lambda _payload: None)
    for relpath, expect in sorted(pool.expected.items()):
        if expect == "special":
            continue  # never shown: the scan flagged them (a FIFO would block any reader)
        fig.viewed += 1
        try:
            result = decode(pool.root / relpath, ctx)
        except Exception as exc:  # the lane turns this into the placeholder's text
            said = describe_error(exc)
            if expect == "good":
                fig.problems.append(f"viewer refused good file {ascii(relpath)}: {said}")
            if said.startswith(f"{type(exc).__name__}:") or not said:
                fig.crashes += 1
                fig.problems.append(f"viewer said raw text for {ascii(relpath)}: {said}")
            continue
        if result is None:
            fig.problems.append(f"viewer decode of {ascii(relpath)} returned nothing")
        fig.shown_bad += expect == "bad"  # e.g. NaN audio drawn; the app never serves these


def _image_decoder() -> Callable:
    from aldesk.gui.viewers.image_decode import decode_for_view

    return decode_for_view


def _audio_decoder() -> Callable:
    from aldesk.gui.viewers.audio_view import analyse_clip

    return analyse_clip


def environment_ok() -> bool:
    """FIFOs and Unix sockets are needed (not on Windows)."""
    return hasattr(os, "mkfifo")
