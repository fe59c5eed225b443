"""The Classes menu: one labeling action per class, plus add, rename, merge, restore and remove.

Classes change through the store (history is kept: a renamed class keeps its labels, a merged
class's labels count as the target's until it is restored); the menu, label bar and shortcuts
are then rebuilt.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QInputDialog,
    QMenu,
    QMessageBox,
    QWidget,
)

from aldesk.core.errors import AldeskError
from aldesk.core.store import ProjectStore


class ClassMenu(QObject):
    """Owns the Classes menu of a window; emits ``changed`` after a class edit."""

    changed = Signal()
    answered = Signal(int)  # class id chosen from the menu or its hotkey
    failed = Signal(str)
    said = Signal(str)  # what an edit did that the user would not see (a new class's key)

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
            act = QAction(c.name.replace("&", "&&"), self.window)  # "&" is not a mnemonic
            if c.hotkey:
                act.setShortcut(QKeySequence(c.hotkey.upper()))
            act.triggered.connect(lambda _=False, cid=c.id: self.answered.emit(cid))
            self.menu.addAction(act)
            self.window.addAction(act)
            self._actions.append(act)
        self.menu.addSeparator()
        for text, slot in (("&Add class…", self.add_class), ("&Rename class…", self.rename_class),
                           ("&Merge classes…", self.merge_classes),
                           ("Res&tore merged class…", self.restore_class),
                           ("Re&move class…", self.remove_class)):  # fmt: skip
            act = self.menu.addAction(text, slot)
            if slot == self.restore_class:
                act.setEnabled(bool(self.store.merged_classes()))

    def add_class(self, name: str | None = None) -> None:
        name = name if name is not None else self._ask_text("Add class", "Name of the new class:")
        if name:
            added = self._edit(lambda: self.store.add_class(name))
            if added is not None:
                self.said.emit(f"Added the class “{added.name}”{key_text(added.hotkey)}.")

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

    def restore_class(self, name: str | None = None) -> None:
        """Undo a merge: the class is listed again and its labels count as itself."""
        merged = self.store.merged_classes()
        if not merged:
            return
        names = {c.id: c.name for c in self.store.classes()}
        choices = {restore_choice(c.name, names.get(self._root(c.id), "?"),
                                  self._label_count(c.id, resolved=False)): c
                   for c, _ in merged}  # fmt: skip
        if name is None:
            picked = self._ask_item("Restore merged class", "Class to restore (its labels will "
                                    "count as itself again):", list(choices))  # fmt: skip
            found = choices.get(picked) if picked else None
        else:
            found = next((c for c in choices.values() if c.name == name), None)
        if found is not None:
            back = self._edit(lambda: self.store.restore_class(found.id))
            if back is not None:
                moved = back.hotkey != found.hotkey and found.hotkey
                taken = f" (its key {found.hotkey.upper()} is another class's now)" if moved else ""
                self.said.emit(f"Restored “{back.name}”{key_text(back.hotkey)}{taken}.")

    def remove_class(self, name: str | None = None) -> None:
        """Delete a class no answer ever named (added by mistake); one that was used is
        merged instead (the store says so)."""
        name = name or self._ask_class("Remove class", "Class to remove:")
        if name is not None:
            self._edit(lambda: self.store.remove_class(self.store.class_by_name(name).id))

    def confirm(self, text: str) -> bool:
        """Ask before a merge; Merge or Cancel."""
        box = QMessageBox(QMessageBox.Icon.Question, "Merge classes", text, parent=self.window)
        merge = box.addButton("Merge", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is merge

    def _label_count(self, class_id: int, resolved: bool = True) -> int:
        """Labels that count as ``class_id`` now, or (``resolved`` False) that were given as it."""
        if resolved:
            return sum(1 for c in self.store.labels().values() if c == class_id)
        answers = self.store.answers().values()
        return sum(1 for ev in answers if ev.action == "label" and ev.class_id == class_id)

    def _root(self, class_id: int) -> int:
        return self.store.class_resolver().get(class_id, class_id)

    def _other_class_named(self, name: str, old: str) -> str | None:
        """The existing class (not ``old``) whose name equals ``name`` ignoring case, if any."""
        wanted = name.strip().casefold()
        return next(
            (c.name for c in self.store.classes() if c.name != old and c.name.casefold() == wanted),
            None,
        )

    def _edit(self, change):
        """Run a store change; its result, or None when refused (``failed`` says why)."""
        try:
            result = change()
        except AldeskError as exc:
            self.failed.emit(str(exc))
            return None
        self.rebuild()
        self.changed.emit()
        return result

    def _ask_text(self, title: str, label: str, text: str = "") -> str | None:
        value, ok = QInputDialog.getText(self.window, title, label, text=text)
        return value.strip() if ok and value.strip() else None

    def _ask_class(self, title: str, label: str, exclude: str | None = None) -> str | None:
        names = [c.name for c in self.store.classes() if c.name != exclude]
        return self._ask_item(title, label, names)

    def _ask_item(self, title: str, label: str, names: list[str]) -> str | None:
        """One of ``names``, typed (any part of it, spaces included) or picked from the list.

        A plain drop-down jumped on each typed letter and opened its list on a space: typing
        "icon w" chose "icon animal", and Enter renamed the wrong class."""
        dialog = class_chooser(self.window, title, label, names)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        name = chosen_name(dialog.textValue(), names)
        if name is None:
            self.failed.emit(not_chosen_text(dialog.textValue(), names))
        return name


def class_chooser(parent: QWidget, title: str, label: str, names: list[str]) -> QInputDialog:
    """An input dialog whose editable list completes on any part of a name, ignoring case."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setComboBoxItems(names)
    dialog.setComboBoxEditable(True)
    combo = dialog.findChild(QComboBox)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    completer = QCompleter(names, combo)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    combo.setCompleter(completer)
    combo.lineEdit().selectAll()  # typing replaces the first name instead of adding to it
    return dialog


def chosen_name(text: str, names: list[str]) -> str | None:
    """The name ``text`` means, matched as the "/" picker matches (any part of a word, case and
    accents aside): equal, else the one name matching; None if none or several do (a guess
    could rename or merge the wrong class)."""
    from aldesk.core.wording import folded
    from aldesk.gui.class_picker import match_rank

    if not text.strip():
        return None
    exact = [n for n in names if folded(n) == folded(text.strip())]
    matching = [n for n in names if match_rank(n, text) is not None]
    found = exact or matching
    return found[0] if len(found) == 1 else None


def not_chosen_text(text: str, names: list[str]) -> str:
    """Why ``text`` chose no class: none matches, or several do (named)."""
    from aldesk.gui.class_picker import match_rank

    matching = [n for n in names if match_rank(n, text) is not None]
    if len(matching) > 1:
        shown = ", ".join(f"“{n}”" for n in matching[:5]) + (", …" if len(matching) > 5 else "")
        return f"“{text.strip()}” matches {len(matching)} classes ({shown}): type more of one."
    return f"No class is named “{text.strip()}”."


def merge_question(source: str, target: str, labels: int, reason: str = "") -> str:
    """The confirmation text: what happens and how many labels move."""
    moved = f"{labels} label{'s' if labels != 1 else ''}"
    lead = f"{reason}\n\n" if reason else ""
    return (
        f"{lead}Merge “{source}” into “{target}”? Its {moved} will count as “{target}”, "
        f"and “{source}” leaves the list of classes. The answer log keeps the history: "
        "Classes → Restore merged class… undoes it."
    )


def key_text(hotkey: str | None) -> str:
    """ " with the key K", or that the class has none (every key was taken)."""
    return f" with the key {hotkey.upper()}" if hotkey else ", with no key (Settings can give one)"


def restore_choice(name: str, into: str, labels: int) -> str:
    """A merged class as the restore question lists it."""
    return f"{name} (merged into {into}; {labels} label{'s' if labels != 1 else ''})"


def unassigned_key_text(text: str, plain: bool, window: QWidget | None = None) -> str | None:
    """What to say when a letter or digit typed with no modifier reached the window: no class
    (and no action) has that key, e.g. the key of a class merged away. A key some action of
    ``window`` has reached it because the window was not active: it said "No class has the
    key 3" of class 3's key, and of S, the Skip key."""
    if not plain or len(text) != 1 or not text.isalnum():
        return None
    if window is not None and text.upper() in _action_keys(window):
        return None
    return f"No class has the key {text.upper()} (the Classes menu lists the classes' keys)."


def _action_keys(window: QWidget) -> set[str]:
    return {k.toString().upper() for a in window.findChildren(QAction) for k in a.shortcuts()}
