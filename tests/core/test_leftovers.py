"""What killed exports leave behind is removed by the next export of the same output."""

from __future__ import annotations

import os
import subprocess
import sys

from aldesk.core.leftovers import remove_dead


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_the_leftovers_of_runs_that_are_gone_are_removed(tmp_path) -> None:
    dead, live = _dead_pid(), os.getpid()
    (tmp_path / f".out.partial-{dead}").mkdir()
    (tmp_path / f".out.partial-{dead}" / "a.png").write_bytes(b"x")
    (tmp_path / f".out.partial-{live}").mkdir()  # a run still going
    (tmp_path / f".out.partial-{dead}x").mkdir()  # not of our making
    (tmp_path / f".out.csv.{dead}-77.tmp").write_text("half")
    (tmp_path / f".other.csv.{dead}-77.tmp").write_text("another output's")
    remove_dead(tmp_path, ".out.partial-")
    remove_dead(tmp_path, ".out.csv.", ".tmp", middle=r"(\d+)-\d+")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f".out.partial-{live}", f".out.partial-{dead}x", f".other.csv.{dead}-77.tmp"]
    )
