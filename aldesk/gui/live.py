"""The labeling window's live side: the stream view, synthesized items and the watched folder.

``install(window)`` adds, without touching how the window lays out the rest:

* a Stream panel at the top of the side column (stream projects only): seen / queried /
  discarded, the arrivals waiting and the threshold, refreshed with every status;
* a Synthesized-item panel above "Why this item?", shown while a blend is on screen: its badge
  and the two items it was made from;
* Project ▸ Watch the pool folder (checkable, saved in the project's settings): while on, a
  :class:`FolderWatcher` asks the controller for a rescan when the folder settles, so new files
  join the pool (or the stream) and removed ones are marked missing while the app runs.
  While off, coming back to the app from another one rescans (files deleted or added in a
  file manager meanwhile: a deleted file on screen was labeled with nothing said).
"""

from __future__ import annotations

import contextlib
import time

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QMainWindow, QMenu

from aldesk.core.errors import AldeskError
from aldesk.core.session import Query
from aldesk.core.synth_flow import sources_of
from aldesk.gui.panels.stream_panel import StreamPanel
from aldesk.gui.panels.synth_panel import SynthPanel
from aldesk.gui.watch import FolderWatcher

WATCH_KEY = "watch_folder"
AWAY_SECONDS = 2.0  # away from the app this long (in another one): rescan on coming back


class LiveView(QObject):
    """Stream panel, synthesized-item panel and the folder watcher of one labeling window."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.controller = window.controller
        self.store = window.store
        self.stream_panel = StreamPanel()
        self.stream_panel.setVisible(self._scenario() == "stream")
        self.synth_panel = SynthPanel(self.store)
        self._pause_each_other(window.viewer)
        column = window.side_scroll.widget().layout()
        column.insertWidget(0, self.synth_panel)
        column.insertWidget(1, self.stream_panel)
        self.watcher = FolderWatcher(self)
        self.watcher.settled.connect(self._on_folder_settled)
        self.watch_action = self._build_action(window)
        self.controller.query_changed.connect(self._on_query_changed)
        self.controller.status_changed.connect(self._on_status_changed)
        self.controller.scanner.done.connect(self._follow_pool_root)
        if self.controller.session.settings.watch_folder:
            self.watcher.start(self.store.pool_root)
        self._left_at: float | None = None
        QGuiApplication.instance().applicationStateChanged.connect(self._on_app_state)

    def _pause_each_other(self, viewer) -> None:
        """A source clip and the blend never play over each other."""
        if hasattr(viewer, "playing_changed") and hasattr(viewer, "pause"):
            self.synth_panel.source_playing.connect(viewer.pause)
            viewer.playing_changed.connect(
                lambda playing: playing and self.synth_panel.pause_source()
            )

    # ------------------------------------------------------------------ watching
    def _build_action(self, window: QMainWindow) -> QAction:
        action = QAction("&Watch the pool folder", window)
        action.setObjectName("action_watch_folder")
        action.setCheckable(True)
        action.setChecked(bool(self.controller.session.settings.watch_folder))
        action.setStatusTip("Files added to the pool folder join while the app runs; removed "
                            "ones are marked missing.")  # fmt: skip
        action.setEnabled(not getattr(self.store, "readonly", False))
        action.toggled.connect(self.set_watching)
        menu = _project_menu(window)
        if menu is not None:
            menu.addSeparator()
            menu.addAction(action)
        if isinstance(getattr(window, "actions_by_name", None), dict):
            window.actions_by_name["watch_folder"] = action
        return action

    def set_watching(self, on: bool) -> None:
        """Turn watching on or off, and keep the choice in the project's settings."""
        try:
            self.store.set(WATCH_KEY, bool(on))
        except AldeskError as exc:  # e.g. a full disk: the choice is not kept, say so
            self.controller.error.emit(str(exc))
        self.controller.session.settings.watch_folder = bool(on)
        if on:
            self.watcher.start(self.store.pool_root)
            self.controller.rescan()  # what changed while it was off joins now
        else:
            self.watcher.stop()
        if self.watch_action.isChecked() != on:
            self.watch_action.setChecked(on)
        self.window.statusBar().showMessage(
            "Watching the pool folder: new files join as they arrive."
            if on
            else "No longer watching the pool folder.",
            6000,
        )
        self._on_status_changed(None)

    def _on_folder_settled(self) -> None:
        """The watched folder changed: rescan, unless the whole folder went away (unmounted,
        moved): its items are not flagged then, and the window asks to locate it on reopen
        or on the next rescan, not once per file-system event."""
        if not self.store.pool_root.is_dir():
            self.window.statusBar().showMessage(
                f"The pool folder {self.store.pool_root} is not found; its items are kept as "
                "they were until it is back.",
                10000,
            )
            return
        self.controller.rescan()

    def _on_app_state(self, state: Qt.ApplicationState) -> None:
        """Back from another application with the folder not watched: rescan (incremental,
        on a worker: one stat per file), as the watcher would have."""
        if state != Qt.ApplicationState.ApplicationActive:
            self._left_at = self._left_at or time.monotonic()
            return
        left, self._left_at = self._left_at, None
        if left is None or self.watcher.watching or getattr(self.store, "readonly", False):
            return
        if time.monotonic() - left >= AWAY_SECONDS and self.store.pool_root.is_dir():
            self.controller.rescan()

    def _follow_pool_root(self, _result: object) -> None:
        """After a rescan: a relocated pool folder is the one watched from now on."""
        if self.watcher.watching and self.watcher.root != self.store.pool_root:
            self.watcher.start(self.store.pool_root)

    # ------------------------------------------------------------------ panels
    def _on_query_changed(self, query: Query | None) -> None:
        sources = None
        if query is not None and query.item.origin == "synth":
            sources = sources_of(self.store, query.item.id, self.controller.session.index.items)
        self.synth_panel.show_query(query, sources)

    def _on_status_changed(self, _status: object) -> None:
        if self._scenario() != "stream":
            return
        summary = self.controller.session.stream_summary()
        self.stream_panel.show_summary(summary, self.watcher.watching)

    def _scenario(self) -> str:
        return self.controller.session.settings.scenario

    def shutdown(self) -> None:
        """Stop watching and wait for the workers (window closing)."""
        with contextlib.suppress(RuntimeError, TypeError):  # closed once already
            QGuiApplication.instance().applicationStateChanged.disconnect(self._on_app_state)
        self.watcher.shutdown()
        self.synth_panel.shutdown()


def _project_menu(window: QMainWindow) -> QMenu | None:
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == "Project" and action.menu() is not None:
            return action.menu()
    return None


def install(window: QMainWindow) -> LiveView:
    """Add the live side (stream panel, synthesized-item panel, watched folder) to ``window``."""
    return LiveView(window)
