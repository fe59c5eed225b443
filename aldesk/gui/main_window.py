"""The labeling window: composes the viewer, panels and label bar and wires them to the controller.

No labeling logic lives here: key presses become controller calls, its signals what we show.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from aldesk.core.pace import PaceTracker, note_open, read_feedback, read_history, within_budget
from aldesk.core.session import Query, Status
from aldesk.core.session_status import budget_room
from aldesk.core.store import ProjectStore
from aldesk.gui import window_state
from aldesk.gui.class_menu import ClassMenu, unassigned_key_text
from aldesk.gui.class_picker import ClassPicker
from aldesk.gui.controller import LabelingController
from aldesk.gui.feature_flow import progress_text
from aldesk.gui.guard import guarded, reported_errors
from aldesk.gui.live import install as install_live
from aldesk.gui.panels import side_column
from aldesk.gui.panels.curve_panel import CurvePanel
from aldesk.gui.panels.label_bar import LabelBar
from aldesk.gui.panels.status_panel import StatusPanel
from aldesk.gui.panels.why_panel import WhyPanel
from aldesk.gui.review import install as install_review
from aldesk.gui.shortcuts import MENUS, ShortcutSheet, labeling_actions, window_keys
from aldesk.gui.viewers.audio_view import AudioView
from aldesk.gui.viewers.image_view import ImageView
from aldesk.gui.workers import Lane


class MainWindow(QMainWindow):
    """``PROJECT — aldesk``: the window a domain expert labels in."""

    open_requested = Signal()
    new_requested = Signal()

    def __init__(self, store: ProjectStore, controller: LabelingController | None = None) -> None:
        super().__init__()
        self.store = store
        self._last_status: Status | None = None
        self.controller = controller or LabelingController(store, self)
        self.setWindowTitle(f"{store.name} — aldesk")
        self._audio = store.kind == "audio"
        self._build_widgets()
        self.actions_by_name = labeling_actions(self)
        self._build_menus()
        install_review(self)  # View ▸ Review labels… (Ctrl+R)
        self.live = install_live(self)  # stream panel, synthesized items, watched folder
        self.panel_actions = side_column.install_toggles(self)  # View ▸ Show Progress, …
        self._wire()
        self._told_no_audio = False
        self._restore_geometry()

    # ------------------------------------------------------------------ layout
    def _build_widgets(self) -> None:
        self.viewer = AudioView() if self._audio else ImageView()
        self.done_label = QLabel()
        self.done_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.done_label.setWordWrap(True)
        self.done_label.setContentsMargins(64, 0, 64, 0)  # a paragraph, not a line edge to edge
        self.stack = QStackedWidget()
        self.stack.addWidget(self.viewer)
        self.stack.addWidget(self.done_label)
        self.why = WhyPanel()
        self.status_panel = StatusPanel()
        self._read_pace_history()  # Progress: labels per hour
        self.curve = CurvePanel()
        split = QSplitter()
        split.addWidget(self.stack)
        self.side_scroll = side_column.build((self.why, self.status_panel, self.curve))
        split.addWidget(self.side_scroll)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 1)
        self.splitter = split
        self.label_bar = LabelBar()
        self.label_bar.set_classes(self.store.classes())
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(split, 1)
        layout.addWidget(self.label_bar)
        self.setCentralWidget(central)
        self._build_progress()

    def _build_progress(self) -> None:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        self.progress_label = QLabel("Features:")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for w in (self.progress_label, self.progress, self.cancel_button):
            row.addWidget(w)
        self.progress_box = box
        self.statusBar().addPermanentWidget(box)
        box.setVisible(False)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        for title, names in MENUS:
            menu = bar.addMenu(title)
            for name in names:
                if name is None:
                    menu.addSeparator()
                elif name in self.actions_by_name:
                    menu.addAction(self.actions_by_name[name])
        self._build_project_menu(bar)
        self.class_menu = ClassMenu(bar.addMenu("&Classes"), self, self.store)

    def _build_project_menu(self, bar) -> None:
        """Project ▸ Settings…, placed right after File."""
        from aldesk.gui.dialogs.project_settings import settings_markers

        menu = QMenu("&Project", self)
        self.settings_action = menu.addAction("&Settings…", self.edit_settings)
        bar.insertMenu(bar.actions()[1] if len(bar.actions()) > 1 else None, menu)
        self.curve.set_markers(settings_markers(self.store))
        self.curve.set_target(self.controller.session.settings.target_accuracy)

    def _wire(self) -> None:
        c = self.controller
        c.query_changed.connect(self._on_query_changed)
        c.status_changed.connect(self._on_status_changed)
        c.rounds_changed.connect(self.curve.show_rounds)
        c.remeasured.connect(self.curve.show_rounds)
        c.view_changed.connect(lambda query: self.why.show_query(query, self.store.classes()))
        for said in (c.message, self.class_menu.said):  # a retrain's news, a new class's key
            said.connect(lambda text: self.statusBar().showMessage(text, 8000))
        c.error.connect(self._on_error)
        self.class_menu.answered.connect(self._answer_by_key)
        self.class_menu.failed.connect(self._on_error)
        self.class_menu.changed.connect(self._on_classes_changed)
        c.features_progressed.connect(self._on_features_progressed)
        c.features.failed.connect(self.why.set_features_failed)
        c.features_busy.connect(self.progress_box.setVisible)
        c.features_busy.connect(self.actions_by_name["stop_features"].setEnabled)
        c.pool_missing.connect(self._on_pool_missing)
        self.cancel_button.clicked.connect(c.cancel_features)
        self.label_bar.label_clicked.connect(c.answer)
        self.label_bar.skip_clicked.connect(c.skip)
        self.label_bar.cannot_label_clicked.connect(c.cannot_label)
        self.label_bar.undo_clicked.connect(c.undo)
        self.label_bar.back_clicked.connect(c.back)
        self.label_bar.forward_clicked.connect(c.forward)
        self.label_bar.picker_requested.connect(self.pick_class)
        self.viewer.load_failed.connect(self._on_load_failed)
        self.viewer.loaded.connect(lambda _path: c.item_shown())
        self.viewer.loaded.connect(self._prepare_ahead)
        c.upcoming_changed.connect(lambda: self._prepare_ahead(None))
        if self._audio:
            self.viewer.playback_unavailable.connect(self._on_playback_unavailable)
            self.viewer.loaded.connect(lambda p: self.why.set_silent(self.viewer.is_silent() and p))

    # ------------------------------------------------------------------ slots
    def _on_query_changed(self, query: Query | None) -> None:
        self.why.show_query(query, self.store.classes())
        if query is None:
            self.stack.setCurrentWidget(self.done_label)
            self.done_label.setText(f"<h2>Nothing left to ask</h2><p>{self.controller.done_text()}"
                                    "</p><p>Export the labels with File → Export.</p>")  # fmt: skip
            self.label_bar.set_enabled(False)
            self._update_navigation()
            return
        self.stack.setCurrentWidget(self.viewer)
        self.label_bar.set_enabled(not self.store.readonly)  # a read-only project is looked at
        self._update_navigation()
        self.label_bar.set_answer(query.answer.class_id if query.answer else None)
        if query.item.status != "ok":
            self.viewer.show_error(query.item.relpath, query.item.reason or query.item.status)
        elif self._audio:
            self.viewer.show_audio(query.abspath, query.item.relpath)
        else:
            self.viewer.show_image(query.abspath, query.item.relpath)

    def _prepare_ahead(self, _path: object) -> None:
        """This item is on screen: decode (or analyse) the one that probably comes next."""
        path = self.controller.likely_next_path()
        if path is not None:
            self.viewer.prefetch(path)

    def _update_navigation(self) -> None:
        """◀, Undo and ▶ (buttons and menu items) are enabled whenever they would act."""
        session = self.controller.session
        undo = session.can_undo() and not self.store.readonly  # nothing can be withdrawn there
        state = {"back": session.can_go_back(), "undo": undo, "forward": session.can_go_forward()}
        self.label_bar.set_navigation(**state)
        for name, enabled in state.items():
            self.actions_by_name[name].setEnabled(enabled)

    def _on_classes_changed(self) -> None:
        self.label_bar.set_classes(self.store.classes())
        self.controller.classes_changed()

    def _read_pace_history(self) -> None:
        """The pace follows the log from its newest event on; the events before it are read on
        a worker (at 50,000 answers that read alone stalled the first paint) and joined here."""
        start = time.time()
        ((up_to,),) = self.store.read("SELECT coalesce(max(id), 0) FROM events")
        opens = note_open(self.store, start)
        self.pace = PaceTracker(session_start=start, last_id=up_to, opens=opens)
        self._pace_lane = Lane(self, name="aldesk-pace")
        self._pace_lane.done.connect(self._on_pace_history)
        db = self.store.db_file
        self._pace_lane.submit(lambda ctx: read_history(db, start, up_to, opens))

    def _on_pace_history(self, history: PaceTracker) -> None:
        self.pace = history.followed_by(self.pace)
        if self._last_status is not None:
            self._on_status_changed(self._last_status)

    def _answer_by_key(self, class_id: int) -> None:
        """Answer; a key of a class whose button is scrolled away gave no sign it was taken
        (40 classes, 6 buttons in view): then the status bar says which class was given."""
        state = self.controller.session.state
        before = state.newest_loop_answer()
        self.controller.answer(class_id)
        changed = self.statusBar().currentMessage().startswith(("Changed ", "Kept "))  # said
        taken = state.newest_loop_answer() is not before
        if taken and not changed and not self.label_bar.in_view(class_id):
            name = next((c.name for c in self.store.classes() if c.id == class_id), "?")
            self.statusBar().showMessage(f"Labeled: {name}", 3000)

    def _on_status_changed(self, status: Status) -> None:
        self._last_status = status
        self.status_panel.show_status(status, extracting=self.controller.extracting)
        target = self.controller.session.settings.target_accuracy
        rounds = self.controller.rounds  # kept in memory: not read again per answer
        feedback = read_feedback(self.pace, self.store, target, status.n_pool, rounds)
        self.status_panel.show_feedback(within_budget(feedback, budget_room(status)))

    def _on_features_progressed(self, done: int, total: int, rate: float, eta: float) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        what = "Pretrained features" if self.controller.extracting_pretrained else "Features"
        self.progress_label.setText(progress_text(what, done, total, rate, eta))

    def _on_load_failed(self, path: object, reason: str) -> None:
        query = self.controller.current()
        if query is not None:
            if self.controller.flag_unreadable(query, reason, path):
                self.why.show_unreadable(reason)
            self.statusBar().showMessage(
                f"{query.item.relpath}: {reason.rstrip('.')} — press S to skip"
            )

    def _on_playback_unavailable(self, text: str) -> None:
        if not self._told_no_audio:
            self._told_no_audio = True
            self.statusBar().showMessage(text, 15000)

    def _on_pool_missing(self, folder: str) -> None:
        answer = QMessageBox.question(
            self, "Pool folder not found",
            f"The folder of this project's items was not found:\n{folder}\n\n"
            "If it was moved or renamed, locate it now. Your labels are safe either way.",
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
        )  # fmt: skip
        if answer != QMessageBox.StandardButton.Open:
            return
        # a folder without the project's files is refused (the error says why): ask again
        # until the user finds the right one or cancels the file dialog
        while chosen := QFileDialog.getExistingDirectory(self, "Locate the pool folder"):
            if self.controller.relocate_pool(chosen):
                return

    def _on_error(self, text: str) -> None:
        QMessageBox.warning(self, "aldesk", text)

    # ------------------------------------------------------------------ actions
    def export_labels(self) -> None:
        """File ▸ Export: labels, optionally with the model's predictions and confidence."""
        from aldesk.gui.dialogs.export import ask_and_export

        self.exporter = ask_and_export(self)

    def import_labels(self) -> None:
        """File ▸ Import labels…: a labels file, a preview of the merge, then the labels."""
        from aldesk.gui.dialogs.import_labels import ask_and_import

        ask_and_import(self)

    def import_folder_names(self) -> None:
        """File ▸ Labels from folder names…: files in class-named folders, previewed, labelled."""
        from aldesk.gui.dialogs.import_labels import import_folder_names

        import_folder_names(self)

    def edit_settings(self) -> None:
        """Project ▸ Settings…: strategy, batch, stopping rules, model, features and keys."""
        from aldesk.gui.dialogs.project_settings import edit_project_settings

        edit_project_settings(self)

    def show_shortcuts(self) -> None:
        ShortcutSheet(window_keys(self.actions_by_name, self.store.classes()), self).exec()

    def show_about(self) -> None:
        from aldesk.gui.dialogs.about import AboutDialog

        AboutDialog(self).exec()

    def pick_class(self) -> ClassPicker | None:
        """The type-to-filter class picker ("/"); Enter answers the item on screen."""
        if self.controller.current() is None:
            self.statusBar().showMessage("There is no item to label right now.", 5000)
            return None
        picker = ClassPicker(self.store.classes(), self)
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.picked.connect(self.controller.answer)
        self.class_picker = picker
        picker.open_beside_item(self)
        return picker

    @guarded
    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """A key no class or action took: said, not silently ignored."""
        plain = event.modifiers() in (Qt.KeyboardModifier.NoModifier,
                                      Qt.KeyboardModifier.KeypadModifier)  # fmt: skip
        text = unassigned_key_text(event.text(), plain, self)
        if text is not None:
            self.statusBar().showMessage(text, 5000)
        super().keyPressEvent(event)

    # ------------------------------------------------------------------ lifecycle
    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if not getattr(self, "_started", False):
            self._started = True
            with reported_errors():  # nothing may escape a Qt override (see gui.guard)
                self.controller.start()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        # Each step runs whatever failed before it (a full disk refuses the last bookmark):
        # the lanes stop, the store closes and its lock is released; nothing escapes the
        # override (see gui.guard).
        for step in (
            lambda: window_state.save(self, self.splitter, self.store.path),
            self.viewer.shutdown,
            self._pace_lane.shutdown,
            self.live.shutdown,
            self.controller.shutdown,
            self.store.close,
        ):
            with reported_errors():
                step()
        super().closeEvent(event)

    def _restore_geometry(self) -> None:
        window_state.restore(self, self.splitter, self.store.path)
