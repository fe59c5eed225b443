"""No exception may leave a Qt event override: PySide6 6.11 segfaults when one does."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import aldesk.gui
from aldesk.gui.guard import guarded


def test_a_guarded_override_hands_its_exception_to_the_excepthook(monkeypatch) -> None:
    seen: list[type] = []
    monkeypatch.setattr(sys, "excepthook", lambda etype, value, tb: seen.append(etype))

    class Widget:
        @guarded
        def resizeEvent(self, event) -> None:  # noqa: N802
            _ = "huge" > 1  # the TypeError that crashed the app from showEvent

    Widget().resizeEvent(None)  # does not raise
    assert seen == [TypeError]


def _event_overrides(path: Path) -> list[ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node
        for cls in ast.walk(tree)
        if isinstance(cls, ast.ClassDef)
        for node in cls.body
        if isinstance(node, ast.FunctionDef) and node.name.endswith("Event")
    ]


def _is_guarded(fn: ast.FunctionDef) -> bool:
    if any(isinstance(d, ast.Name) and d.id == "guarded" for d in fn.decorator_list):
        return True
    # Or every statement after the super() call runs inside ``with reported_errors()``.
    return "reported_errors" in ast.unparse(fn)


GUI_FILES = sorted(Path(aldesk.gui.__file__).parent.rglob("*.py"))


@pytest.mark.parametrize("path", GUI_FILES, ids=lambda p: p.name)
def test_every_qt_event_override_is_guarded(path: Path) -> None:
    unguarded = [fn.name for fn in _event_overrides(path) if not _is_guarded(fn)]
    assert not unguarded, f"{path.name}: {unguarded} may let an exception reach Qt (segfault)"
