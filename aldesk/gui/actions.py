"""Application-level actions as a table: name, text, shortcut, slot name, icon.

A window passes itself as ``target``; each action calls ``target.<slot>()``. An action whose slot
the target lacks is created disabled rather than crashing, so one table serves several windows.
(The labeling window's own table — skip, undo, zoom, play — lives in ``gui/shortcuts.py``.)
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

from aldesk.gui import style

Key = QKeySequence.StandardKey


@dataclass(frozen=True)
class ActionSpec:
    name: str
    text: str
    shortcut: QKeySequence.StandardKey | str
    slot: str
    icon: str | None = None
    tip: str = ""


APP_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("new", "&New project from folder…", Key.New, "new_project", "folder-plus"),
    ActionSpec("open", "&Open project…", Key.Open, "open_project", "folder-open"),
    ActionSpec("shortcuts", "&Keyboard shortcuts", "F1", "show_shortcuts", "keyboard"),
    ActionSpec("quit", "&Quit", "Ctrl+Q", "quit", "quit"),
)


def build_actions(
    target: QObject, specs: tuple[ActionSpec, ...], parent: QObject | None = None
) -> dict[str, QAction]:
    """QActions for ``specs`` wired to ``target``'s slots, by name."""
    actions: dict[str, QAction] = {}
    for spec in specs:
        action = QAction(spec.text, parent or target)
        action.setObjectName(f"action_{spec.name}")
        action.setShortcut(QKeySequence(spec.shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if spec.icon:
            action.setIcon(style.icon(spec.icon))
        if spec.tip:
            action.setStatusTip(spec.tip)
        slot = getattr(target, spec.slot, None)
        if callable(slot):
            action.triggered.connect(lambda _checked=False, s=slot: s())
        else:
            action.setEnabled(False)
        actions[spec.name] = action
    return actions
