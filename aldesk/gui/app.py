"""Application entry: QApplication, the exception hook, and which window opens first.

``run_gui`` is what the CLI calls (``aldesk``, ``aldesk open P``, ``aldesk demo``). With no
project it shows the welcome window; errors a user can cause (locked project, missing folder)
become dialogs with the core's message, and any other uncaught exception becomes a dialog with
the traceback under "Show Details…" instead of a silent crash.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QProgressDialog, QWidget

from aldesk import __version__, crash_log
from aldesk.core.errors import AldeskError
from aldesk.core.wording import copies_text
from aldesk.gui import recent, style
from aldesk.gui.workers import JobContext, Lane

APP_NAME = "aldesk"


GIL_SWITCH_SECONDS = 0.001


def create_app(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication (reused if one exists, e.g. under pytest-qt), styled."""
    # The GUI thread gives the GIL up in every PySide call and must win it back from whatever
    # worker thread runs Python meanwhile; at the default 5 ms it could wait up to that long
    # per call. 1 ms: key press -> next item painted at 100k items / 50,000 answers, p95 12.4,
    # 13.9, 15.4, 14.2, 14.7 ms against 15.7, 14.4, 21.6, 16.5, 14.3 (benchmarks/README.md).
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("aldesk")
    style.apply_style(app)
    return app


# -- exception hook -------------------------------------------------------------------------
class _ErrorRelay(QObject):
    """Moves exceptions raised in other threads to the GUI thread (dialogs live there)."""

    raised = Signal(object, object, object)


class ExceptionHook:
    """Shows uncaught exceptions in a dialog; installed by ``install()``, removed by ``remove()``."""

    def __init__(self, parent_widget: callable | None = None) -> None:
        self._parent_widget = parent_widget or QApplication.activeWindow
        self._showing = False
        self._relay = _ErrorRelay()
        self._relay.raised.connect(self._on_raised, Qt.ConnectionType.QueuedConnection)
        self._previous = (sys.excepthook, threading.excepthook)

    def install(self) -> None:
        sys.excepthook = self.__call__
        threading.excepthook = self._thread_hook

    def remove(self) -> None:
        sys.excepthook, threading.excepthook = self._previous

    def __call__(self, etype: type, value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(etype, KeyboardInterrupt):
            QApplication.quit()
            return
        traceback.print_exception(etype, value, tb)
        crash_log.write(etype, value, tb)
        if threading.current_thread() is threading.main_thread():
            self._show(etype, value, tb)
        else:
            self._relay.raised.emit(etype, value, tb)

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        self(args.exc_type, args.exc_value, args.exc_traceback)

    @Slot(object, object, object)
    def _on_raised(self, etype, value, tb) -> None:
        self._show(etype, value, tb)

    def _show(self, etype: type, value: BaseException, tb: TracebackType | None) -> None:
        if self._showing:  # an error while showing an error: the console has it already
            return
        self._showing = True
        try:
            error_dialog(self._parent_widget(), value, tb).exec()
        finally:
            self._showing = False


def error_dialog(
    parent: QWidget | None, error: BaseException, tb: TracebackType | None = None
) -> QMessageBox:
    """A dialog for ``error``: the plain message for user errors, details for bugs."""
    box = QMessageBox(parent)
    box.setWindowTitle(APP_NAME)
    if type(error) in (sqlite3.DatabaseError, sqlite3.OperationalError):
        error = _database_error(error)
    if isinstance(error, AldeskError):
        box.setIcon(QMessageBox.Icon.Warning)
        box.setText(str(error))
        return box
    box.setIcon(QMessageBox.Icon.Critical)
    box.setText("Something went wrong inside aldesk.")
    box.setInformativeText(
        f"{type(error).__name__}: {error}\n\nYour answers so far are saved. If this keeps "
        "happening, please report it with the details below."
    )
    box.setDetailedText("".join(traceback.format_exception(type(error), error, tb)))
    return box


def _database_error(error: sqlite3.DatabaseError) -> AldeskError:
    """A damaged page or a failing disk met after the checks on open, said for a person."""
    return AldeskError(
        f"The project database could not be read or written ({error}). If this keeps "
        "happening, it is damaged: close the project and restore project.sqlite from a "
        "backup, or save the answers it still holds with: aldesk recover PROJECT OUT.csv"
    )


# -- windows --------------------------------------------------------------------------------
class WindowManager(QObject):
    """Decides which window is on screen: welcome, new-project dialog, labeling windows."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._welcome = None
        self._windows: list[QWidget] = []
        self._lane = Lane(self, name="aldesk-create-project")

    def show_welcome(self) -> None:
        from aldesk.gui.welcome import WelcomeWindow

        if self._welcome is None:
            self._welcome = WelcomeWindow()
            self._welcome.open_requested.connect(self.open_project)
            self._welcome.new_requested.connect(self.new_project)
            self._welcome.quit_requested.connect(QApplication.quit)
        self._welcome.refresh()
        self._welcome.show()
        self._welcome.raise_()

    def open_project(self, path: str | os.PathLike) -> bool:
        """Open ``path`` in a labeling window; a user error becomes a dialog.

        A project that cannot be written (read-only disk, full disk) opens read-only, and says
        so; a damaged one is refused before any window is built.
        """
        shown = self._window_of(path)
        if shown is not None:  # it said "already open in aldesk (pid <this one>)"
            shown.showNormal()
            shown.raise_()
            shown.activateWindow()
            return True
        try:
            store = open_store(path)
        except AldeskError as exc:
            error_dialog(self._active(), exc).exec()
            return False
        recent.add_recent(store.path)
        return self._show_main_window(store)

    def _window_of(self, path: str | os.PathLike):
        """The window this process has open on ``path``'s project, if any."""
        from aldesk.core.store import project_path

        try:
            wanted = project_path(Path(path)).resolve()
        except (OSError, ValueError):
            return None
        open_ = (w for w in self._windows if w.isVisible())  # not one closing
        return next((w for w in open_ if w.store.path.resolve() == wanted), None)

    def new_project(self, folder: str | os.PathLike | None = None) -> None:
        from aldesk.gui.dialogs.new_project import NewProjectDialog

        dialog = NewProjectDialog(self._active(), folder=folder)
        if dialog.exec() == NewProjectDialog.DialogCode.Accepted:
            self.create_project(dialog.spec())

    def create_project(self, spec) -> None:
        """Scan the folder and create the project off the GUI thread, then open it."""
        progress = QProgressDialog("Scanning the folder…", "", 0, 0, self._active())
        progress.setCancelButton(None)
        progress.setWindowTitle("New project")
        progress.setMinimumDuration(300)
        progress.setWindowModality(Qt.WindowModality.ApplicationModal)

        def finished(created: object) -> None:
            progress.close()
            self._disconnect_lane()
            path, in_class_folders, copies = created
            if self.open_project(path) and (in_class_folders or copies):
                self._windows[-1].statusBar().showMessage(_created_text(in_class_folders, copies))

        def failed(message: str) -> None:
            progress.close()
            self._disconnect_lane()
            QMessageBox.warning(self._active(), APP_NAME, message)

        self._lane.done.connect(finished)
        self._lane.failed.connect(failed)
        self._lane.submit(lambda ctx: _create_project(spec, ctx))
        progress.show()

    def run_demo(
        self, kind: str, folder: str | os.PathLike | None = None, fresh: bool = False
    ) -> bool:
        """Open the demo project (``aldesk demo``): the previous one, or a new one if none."""
        from aldesk.core.demo import prepare_demo

        try:
            project = prepare_demo(kind, Path(folder) if folder else None, fresh=fresh)
        except AldeskError as exc:
            error_dialog(None, exc).exec()
            return False
        return self.open_project(project)

    def shutdown(self) -> None:
        self._lane.shutdown()

    def _show_main_window(self, store) -> bool:
        from aldesk.gui.main_window import MainWindow

        try:
            window = MainWindow(store)  # reads the whole answer log: damage can surface here
        except (AldeskError, sqlite3.DatabaseError) as exc:
            store.close()
            error_dialog(self._active(), exc).exec()
            return False
        if store.readonly:
            _mark_read_only(window, store.readonly)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for name, slot in (
            ("open_requested", self._on_window_open),
            ("new_requested", self.new_project),
        ):
            signal = getattr(window, name, None)
            if signal is not None:
                signal.connect(slot)
        window.destroyed.connect(lambda _=None, w=window: self._forget(w))
        self._windows.append(window)
        window.show()
        if self._welcome is not None:
            self._welcome.close()
        return True

    @Slot()
    def _on_window_open(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        chosen = QFileDialog.getExistingDirectory(
            self._active(), "Open project (a NAME.aldesk folder)"
        )
        if chosen:
            self.open_project(chosen)

    def _forget(self, window: QWidget) -> None:
        if window in self._windows:
            self._windows.remove(window)

    def _disconnect_lane(self) -> None:
        for signal in (self._lane.done, self._lane.failed):
            with contextlib.suppress(RuntimeError, TypeError):  # nothing was connected
                signal.disconnect()

    def _active(self) -> QWidget | None:
        return QApplication.activeWindow() or self._welcome


def open_store(path: str | os.PathLike):
    """The project's store for the app: for writing, or read-only when it cannot be written;
    its settings checked before any window reads them (a bad one is named, never a crash)."""
    from aldesk.core.errors import ProjectReadOnly
    from aldesk.core.project import ProjectSettings
    from aldesk.core.store import ProjectStore

    try:
        # SQLite's page check (a second at 100k items) runs on a worker once the first item
        # is shown (LabelingController), not before the window opens
        store = ProjectStore.open(path, deep_check=False)
    except ProjectReadOnly as exc:
        store = ProjectStore.open(path, readonly=exc.reason)
    try:
        ProjectSettings.from_store(store)
    except BaseException:
        store.close()
        raise
    return store


def _mark_read_only(window: QWidget, reason: str) -> None:
    """Say in the title and the status bar that answers cannot be saved, and why."""
    window.setWindowTitle(window.windowTitle().replace(" — ", " (read-only) — ", 1))
    label = QLabel(f"Read-only: {reason}")
    label.setToolTip("Browse and export only: answers and class changes cannot be saved.")
    label.setObjectName("readOnlyNotice")
    window.statusBar().addPermanentWidget(label)


def _created_text(in_class_folders: int, copies: int) -> str:
    """What a new project's window says first: the copies its folder held (the dialog could
    not know them: it counts files without reading them), files sorted into class folders."""
    from aldesk.core.folder_labels import in_class_folders_text

    parts = [f"{copies_text(copies)}: each is one item, labeled once."] if copies else []
    if in_class_folders:
        parts.append(f"{in_class_folders_text(in_class_folders)}: "
                     "File → Labels from folder names… labels them.")  # fmt: skip
    return "  ".join(parts)


def _create_project(spec, ctx: JobContext) -> tuple[Path, int, int]:
    """Worker side of project creation: the store is opened, filled and closed in this thread.

    Returns:
        The project's path, how many of its files sit in folders named like a class (the
        window then points at File ▸ Labels from folder names…), and how many files are
        copies of others.
    """
    from aldesk.core.folder_labels import plan_folder_import
    from aldesk.core.project import create_project

    store, scan = create_project(
        spec.project_path, spec.folder, spec.classes, spec.settings, hotkeys=spec.hotkeys,
        kind=spec.kind,
        progress=lambda done, total: ctx.report((done, total)),
    )  # fmt: skip
    try:
        copies = sum(len(paths) - 1 for paths in scan.duplicates.values())
        return store.path, len(plan_folder_import(store).plan.labels), copies
    finally:
        store.close()


def run_gui(
    argv: Sequence[str] | None = None,
    project: str | os.PathLike | None = None,
    demo: str | None = None,
    demo_dir: str | os.PathLike | None = None,
    demo_fresh: bool = False,
) -> int:
    """Start the GUI; returns the process exit code.

    Args:
        argv: Qt command-line arguments (default: the program name only).
        project: open this project directly instead of the welcome window.
        demo: 'images' or 'audio': generate the sample pool and open it (``aldesk demo``).
        demo_dir: where the demo is kept (default: the user's data folder, reused each run).
        demo_fresh: delete the previous demo project and start a new one.
    """
    app = create_app(argv)
    hook = ExceptionHook()
    hook.install()
    from aldesk.gui import termination

    ending = termination.install(app)  # a logout or kill closes the windows as a click does
    manager = WindowManager()
    try:
        if demo:
            opened = manager.run_demo(demo, demo_dir, fresh=demo_fresh)
        elif project:
            opened = manager.open_project(project)
        else:
            opened = False
        if ending is not None and ending.requested:
            # killed during the opening's dialogs ("already open"): their loop ended, and the
            # welcome window and a fresh loop would have outlived the signal
            return 0
        if not opened:
            manager.show_welcome()
        return app.exec()
    finally:
        manager.shutdown()
        hook.remove()
        if ending is not None:
            ending.remove()
