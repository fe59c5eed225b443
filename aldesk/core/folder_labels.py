"""Labels from folder names: a pool already partly sorted into a folder per class.

An expert often starts from a folder where some files were sorted by hand (``rust/``,
``healthy/``) and the rest wait in ``unsorted/`` or at the top. Each file in a sub-folder whose
name is a class of the project (compared case-insensitively) gets that class as an imported
label, through the same merge, preview and undoable log as a labels file. Files in other
folders are left unlabelled and counted per folder; with ``add_classes`` every folder name
becomes a class instead. The folder is the one a file is directly in.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import PurePosixPath

from aldesk.core.export_folders import class_folder_name
from aldesk.core.interop import ImportPlan, apply_plan, plan_rows
from aldesk.core.labels_file import Row
from aldesk.core.store import ProjectStore
from aldesk.core.wording import be, count

SOURCE = "the folder names"


@dataclass(frozen=True)
class FolderPlan:
    """An import from folder names, and the folders that were not classes (name -> files)."""

    plan: ImportPlan
    other_folders: dict[str, int]

    def summary(self) -> str:
        """The counts in one line for a person."""
        text = self.plan.summary()
        if self.other_folders:
            text += f"; left unlabeled, in folders that are not classes: {self.folders_text()}"
        return text

    def folders_text(self, shown: int = 5) -> str:
        """'unsorted (412), misc (3) and 2 more': the folders left out, largest first."""
        names = ", ".join(f"{name} ({n})" for name, n in list(self.other_folders.items())[:shown])
        more = len(self.other_folders) - shown
        return names + (f" and {more} more" if more > 0 else "")


def plan_folder_import(store: ProjectStore, *, add_classes: bool = False) -> FolderPlan:
    """What labelling each file by its folder's name would do; writes nothing."""
    # a class by its name, or by the folder an export wrote it to ("Coleoptera： Carabidae")
    names = [c.name for c in store.classes()]
    classes = {class_folder_name(n).casefold(): n for n in names}
    classes.update({n.casefold(): n for n in names})
    rows, others = [], Counter()
    for item in store.items():
        folder = PurePosixPath(item.relpath).parent.name
        if item.origin != "file" or not folder:
            continue
        if folder.casefold() in classes:
            rows.append(Row(0, item.relpath, classes[folder.casefold()]))
        elif add_classes:
            rows.append(Row(0, item.relpath, folder))
        else:
            others[folder] += 1
    return FolderPlan(plan_rows(store, rows), dict(others.most_common()))


def in_class_folders_text(n: int) -> str:
    """'3 files are in folders named like classes' (said by ``aldesk new`` and the window)."""
    return f"{count(n, 'file')} {be(n)} in folders named like classes"


def import_folder_labels(store: ProjectStore, *, add_classes: bool = False) -> FolderPlan:
    """Label each file in a class-named folder with that class (one transaction).

    Returns:
        The plan that was applied (its ``plan.labels`` were recorded).
    """
    folders = plan_folder_import(store, add_classes=add_classes)
    apply_plan(store, folders.plan, SOURCE, add_classes=add_classes)
    return folders


__all__ = ["FolderPlan", "import_folder_labels", "in_class_folders_text", "plan_folder_import"]
