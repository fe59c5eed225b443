"""The new-project dialog's test set-up, shared by its test files: a small pool, the dialog
shown (fixtures ``pool`` and ``dialog``, made fixtures for the folder by ``conftest``), and the
steps a user takes in it."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import Qt

from aldesk.gui.dialogs.new_project import NewProjectDialog

TIMEOUT_MS = 5000


@pytest.fixture
def pool(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(3):
        Image.new("RGB", (8, 8), (i * 40, 0, 0)).save(folder / f"img{i}.png")
    (folder / "notes.txt").write_text("not media")
    return folder


@pytest.fixture
def dialog(qtbot):
    d = NewProjectDialog()
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    yield d
    d.reject()


def _choose_folder(qtbot, dialog, folder):
    with qtbot.waitSignal(dialog.counted, timeout=TIMEOUT_MS) as blocker:
        dialog.set_folder(folder)
    return blocker.args[0]


def _type_classes(qtbot, dialog, text):
    entry = dialog.class_editor().entry()
    qtbot.keyClicks(entry, text)
    qtbot.keyClick(entry, Qt.Key.Key_Return)


def _choose(dialog, key, value):
    box = dialog.options.combos[key]
    box.setCurrentIndex(box.findData(value))


def _click_create(qtbot, dialog):
    qtbot.mouseClick(dialog.create_button(), Qt.MouseButton.LeftButton)
