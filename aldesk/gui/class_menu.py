"""The Classes menu: one labeling action per class, plus add, rename and merge.

Classes change through the store (history is kept: a renamed class keeps its labels, a merged
class's labels count as the target's); the menu, label bar and shortcuts are then rebuilt.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QInputDialog, QMenu, QMessageBox, QWidget

from aldesk.core.errors import AldeskError
from aldesk.core.store import ProjectStore


class ClassMenu(QObject):
    """Owns the Classes menu of a window; emits ``changed`` after a class edit."""

    changed = Signal()
    answered = Signal(int)  # class id chosen from the menu or its hotkey
    failed = Signal(str)

    def __init__(self, menu: QMenu, window: QWidget, store: ProjectStore) -> None:
        super().__init__(window)
        self.menu, self.window, self.store = menu, window, store
        self._actions: list[QAction] = []
        self.rebuild()

    def rebuild(self) -> None:
        for act in self._actions:
            self.window.removeAction(act)
        self.menu.clear()
        self._actions = []
        for c in self.store.classes():
            act = QAction(c.name, self.window)
            if c.hotkey:
                act.setShortcut(QKeySequence(c.hotkey.upper()))
            act.triggered.connect(lambda _=False, cid=c.id: self.answered.emit(cid))
            self.menu.addAction(act)
            self.window.addAction(act)
            self._actions.append(act)
        self.menu.addSeparator()
        for text, slot in (("&Add class…", self.add_class), ("&Rename class…", self.rename_class),
                           ("&Merge classes…", self.merge_classes),
                           ("Re&move class…", self.remove_class)):  # fmt: skip
            self.menu.addAction(text, slot)

    def add_class(self, name: str | None = None) -> None:
        name = name if name is not None else self._ask_text("Add class", "Name of the new class:")
        if name:
            self._edit(lambda: self.store.add_class(name))

    def rename_class(self, old: str | None = None, new: str | None = None) -> None:
        old = old or self._ask_class("Rename class", "Class to rename:")
        if old is None:
            return
        new = (
            new if new is not None else self._ask_text("Rename class", f"New name for {old}:", old)
        )
        if not new:
            return
        taken = self._other_class_named(new, old)
        if taken is not None:  # the name is taken: merging is probably what was meant
            self.merge_classes(old, taken, reason=f"There is already a class named “{taken}”.")
            return
        self._edit(lambda: self.store.rename_class(self.store.class_by_name(old).id, new))

    def merge_classes(
        self, source: str | None = None, target: str | None = None, reason: str = ""
    ) -> None:
        """Fold ``source`` into ``target`` after the user confirms how many labels move."""
        source = source or self._ask_class("Merge classes", "Merge this class…")
        if source is None:
            return
        target = target or self._ask_class("Merge classes", f"…into this one ({source}'s "
                                           "labels will count as it):", exclude=source)  # fmt: skip
        if target is None:
            return
        src, dst = self.store.class_by_name(source), self.store.class_by_name(target)
        if not self.confirm(merge_question(source, target, self._label_count(src.id), reason)):
            return
        self._edit(lambda: self.store.merge_classes(src.id, dst.id))

    def remove_class(self, name: str | None = None) -> None:
        """Delete a class no answer ever named (added by mistake); one that was used is
        merged instead (the store says so)."""
        name = name or self._ask_class("Remove class", "Class to remove:")
        if name is not None:
            self._edit(lambda: self.store.remove_class(self.store.class_by_name(name).id))

    def confirm(self, text: str) -> bool:
        """Ask before a merge (it cannot be undone from the menu); Merge or Cancel."""
        box = QMessageBox(QMessageBox.Icon.Question, "Merge classes", text, parent=self.window)
        merge = box.addButton("Merge", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is merge

    def _label_count(self, class_id: int) -> int:
        return sum(1 for c in self.store.labels().values() if c == class_id)

    def _other_class_named(self, name: str, old: str) -> str | None:
        """The existing class (not ``old``) whose name equals ``name`` ignoring case, if any."""
        wanted = name.strip().casefold()
        return next(
            (c.name for c in self.store.classes() if c.name != old and c.name.casefold() == wanted),
            None,
        )

    def _edit(self, change) -> None:
        try:
            change()
        except AldeskError as exc:
            self.failed.emit(str(exc))
            return
        self.rebuild()
        self.changed.emit()

    def _ask_text(self, title: str, label: str, text: str = "") -> str | None:
        value, ok = QInputDialog.getText(self.window, title, label, text=text)
        return value.strip() if ok and value.strip() else None

    def _ask_class(self, title: str, label: str, exclude: str | None = None) -> str | None:
        names = [c.name for c in self.store.classes() if c.name != exclude]
        value, ok = QInputDialog.getItem(self.window, title, label, names, 0, False)
        return value if ok else None


def merge_question(source: str, target: str, labels: int, reason: str = "") -> str:
    """The confirmation text: what happens and how many labels move."""
    moved = f"{labels} label{'s' if labels != 1 else ''}"
    lead = f"{reason}\n\n" if reason else ""
    return (
        f"{lead}Merge “{source}” into “{target}”? Its {moved} will count as “{target}”, "
        f"and “{source}” leaves the list of classes. The answer log keeps the history."
    )


def unassigned_key_text(text: str, plain: bool) -> str | None:
    """What to say when a letter or digit typed with no modifier reached the window: no class
    (and no action) has that key, e.g. the key of a class merged away."""
    if not plain or len(text) != 1 or not text.isalnum():
        return None
    return f"No class has the key {text.upper()} (the Classes menu lists the classes' keys)."
