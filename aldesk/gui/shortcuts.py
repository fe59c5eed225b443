"""The labeling window's actions as one table (text, shortcut, slot), and the F1 sheet."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from aldesk.core.store import ClassInfo
from aldesk.gui.window_state import default_size

# name, menu text, shortcuts, target ('c' controller, 'w' window, 'v' viewer), method, audio-only
ACTIONS: tuple[tuple[str, str, tuple, str, str, bool | None], ...] = (
    ("new", "&New project from folder…", (QKeySequence.StandardKey.New,), "w", "new_requested", None),
    ("open", "&Open project…", (QKeySequence.StandardKey.Open,), "w", "open_requested", None),
    ("export", "&Export labels…", ("Ctrl+E",), "w", "export_labels", None),
    ("import", "&Import labels…", ("Ctrl+I",), "w", "import_labels", None),
    ("import_folders", "&Labels from folder names…", (), "w", "import_folder_names", None),
    ("quit", "&Quit", ("Ctrl+Q",), "w", "close", None),  # StandardKey.Quit is empty on some platforms
    ("skip", "&Skip", ("S",), "c", "skip", None),
    ("cannot_label", "&Can't label", ("X",), "c", "cannot_label", None),
    ("pick_class", "&Find class… (type to filter, Enter answers)", ("/",), "w", "pick_class", None),
    ("undo", "&Undo last answer or import", (QKeySequence.StandardKey.Undo,), "c", "undo", None),
    ("back", "&Back to previous item", ("Alt+Left", "Backspace"), "c", "back", None),
    ("forward", "&Forward", ("Alt+Right",), "c", "forward", None),
    ("retrain", "&Retrain now", ("F5",), "c", "retrain_now", None),
    ("stop_features", "S&top extracting features", (), "c", "cancel_features", None),
    ("similar", "&More like this (ask the most similar items next)", ("Ctrl+M",), "c", "more_like_this", None),
    ("similar_stop", "Back to the &strategy's order", (), "c", "stop_similar", None),
    ("zoom_in", "Zoom &in", ("+", "="), "v", "zoom_in", False),
    ("zoom_out", "Zoom &out", ("-",), "v", "zoom_out", False),
    ("fit", "&Fit to window", ("Ctrl+0",), "v", "fit", False),
    ("actual_size", "&Actual size (1:1)", ("Ctrl+1",), "v", "actual_size", False),
    ("time_zoom_in", "Zoom &in (time; Ctrl+wheel)", ("+", "="), "a", "zoom_in", True),
    ("time_zoom_out", "Zoom &out", ("-",), "a", "zoom_out", True),
    ("whole_clip", "&Whole clip", ("Ctrl+0",), "a", "fit", True),
    ("play", "&Play / pause", ("Space",), "v", "toggle_play", True),
    ("replay", "&Replay", ("R",), "v", "replay", True),
    ("step_back", "Step &back (5 % of the clip, at most 5 s)", ("Left",), "v", "step_back", True),
    ("step_forward", "Step forwar&d", ("Right",), "v", "step_forward", True),
    ("to_start", "To the &start", ("Home",), "v", "to_start", True),
    ("loop", "&Loop", ("L",), "v", "toggle_loop", True),
    ("slower", "Play &slower (0.5× / 1× / 2×)", ("[",), "v", "slower", True),
    ("faster", "Play &faster (0.5× / 1× / 2×)", ("]",), "v", "faster", True),
    ("shortcuts", "&Keyboard shortcuts", ("F1",), "w", "show_shortcuts", None),
    ("about", "&About aldesk", (), "w", "show_about", None),
)  # fmt: skip

# the labeling window's menus, before Project and Classes: action names, None a separator
MENUS: tuple[tuple[str, tuple[str | None, ...]], ...] = (
    ("&File", ("new", "open", "export", "import", "import_folders", None, "quit")),
    ("&Label", ("pick_class", "skip", "cannot_label", None, "undo", "back", "forward", None,
                "similar", "similar_stop", None, "retrain", "stop_features")),
    ("&View", ("zoom_in", "zoom_out", "fit", "actual_size", "time_zoom_in", "time_zoom_out",
               "whole_clip", None, "play", "replay", "step_back",
               "step_forward", "to_start", "loop", "slower", "faster")),
    ("&Help", ("shortcuts", "about")),
)  # fmt: skip


def labeling_actions(window) -> dict[str, QAction]:
    """Create the window's QActions from ACTIONS; each is added to the window so keys work."""
    audio = window.store.kind == "audio"
    targets = {"c": window.controller, "w": window, "v": window.viewer}
    if audio:  # the clip's picture: its time zoom
        targets["a"] = window.viewer.canvas()
    out: dict[str, QAction] = {}
    for name, text, keys, target, method, audio_only in ACTIONS:
        if audio_only is not None and audio_only != audio:
            continue
        action = QAction(text, window)
        action.setShortcuts([QKeySequence(k) for k in keys])
        slot = getattr(targets[target], method)
        action.triggered.connect(
            slot.emit if hasattr(slot, "emit") else (lambda _=False, f=slot: f())
        )
        window.addAction(action)
        out[name] = action
    # the status bar's Cancel takes no focus: this is the keyboard's way to it, while it shows
    out["stop_features"].setEnabled(False)
    return out


def window_keys(actions: dict[str, QAction], classes: list[ClassInfo]) -> list[tuple[str, str]]:
    """The labeling window's (what, keys) rows: each class's key, then each action's."""
    rows = [(f"Label as “{c.name}”", c.hotkey.upper()) for c in classes if c.hotkey]
    rows += [(a.text().replace("&", ""), ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText)
              for s in a.shortcuts())) for a in actions.values() if a.shortcuts()]  # fmt: skip
    return rows


class ShortcutSheet(QDialog):
    """Every shortcut of a window in one table (F1): ``rows`` of (what, keys)."""

    def __init__(self, rows: list[tuple[str, str]], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts — aldesk")
        table = QTableWidget(len(rows), 2)
        table.setHorizontalHeaderLabels(["Action", "Keys"])
        for r, (what, keys) in enumerate(rows):
            table.setItem(r, 0, QTableWidgetItem(what))
            table.setItem(r, 1, QTableWidgetItem(keys))
        # the keys in full, the actions in what is left: a long class name pushed the Keys
        # column behind a horizontal scroll bar
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setTabKeyNavigation(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        # as wide as its longest line at the font in use (a 15 pt font elided "Label as …"
        # in a fixed 460 px), within the screen
        wide = table.sizeHintForColumn(0) + table.sizeHintForColumn(1) + 64
        tall = table.verticalHeader().length() + table.horizontalHeader().height() + 90
        self.resize(default_size(QSize(max(460, wide), max(520, min(tall, 900)))))
        self.table = table
