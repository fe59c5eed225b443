"""Welcome window and the recent-projects list behind it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from aldesk.gui import recent
from aldesk.gui.welcome import WelcomeWindow

# -- recent.py (no Qt) -----------------------------------------------------------------------


def test_recent_list_is_newest_first_without_duplicates(tmp_path):
    a, b = tmp_path / "a.aldesk", tmp_path / "b.aldesk"
    recent.add_recent(a, now=1)
    recent.add_recent(b, now=2)
    recent.add_recent(a, now=3)
    assert [r.path for r in recent.load_recent()] == [a, b]
    assert recent.load_recent()[0].name == "a"


def test_a_project_named_through_dotdot_is_listed_once_and_plainly(tmp_path):
    (tmp_path / "sub").mkdir()
    recent.add_recent(tmp_path / "sub" / ".." / "p.aldesk", now=1)
    recent.add_recent(tmp_path / "p.aldesk", now=2)
    assert [r.path for r in recent.load_recent()] == [tmp_path / "p.aldesk"]


def test_recent_list_is_bounded(tmp_path):
    for i in range(recent.MAX_RECENT + 5):
        recent.add_recent(tmp_path / f"p{i}.aldesk", now=i)
    assert len(recent.load_recent()) == recent.MAX_RECENT


def test_damaged_recent_file_reads_as_empty():
    recent.config_dir().mkdir(parents=True, exist_ok=True)
    (recent.config_dir() / recent.FILE_NAME).write_text("{not json", encoding="utf-8")
    assert recent.load_recent() == []
    recent.add_recent("/somewhere/x.aldesk")  # and writing over it works
    assert len(recent.load_recent()) == 1


def test_config_dir_honours_override(tmp_path, monkeypatch):
    monkeypatch.setenv("ALDESK_CONFIG_DIR", str(tmp_path / "cfg"))
    recent.add_recent(tmp_path / "p.aldesk")
    data = json.loads((tmp_path / "cfg" / "recent.json").read_text())
    assert data["projects"][0]["path"] == str(tmp_path / "p.aldesk")


# -- the window ------------------------------------------------------------------------------


@pytest.fixture
def projects(tmp_path):
    present = tmp_path / "birds.aldesk"
    present.mkdir()
    missing = tmp_path / "gone.aldesk"
    recent.add_recent(missing, now=1)
    recent.add_recent(present, now=2)
    return present, missing


@pytest.fixture
def window(qtbot):
    w = WelcomeWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_lists_recent_projects_including_missing(window, projects):
    present, missing = projects
    window.refresh()
    entries = window.recent_entries()
    assert entries[0] == (f"birds\n{present}", True)
    assert entries[1] == (f"gone  (missing)\n{missing}", False)
    grey = window.recent_list().item(1).foreground().color()
    assert grey.lightness() > 120  # drawn greyed out, not in the normal text colour


def test_enter_on_recent_project_requests_opening_it(qtbot, window, projects):
    present, _ = projects
    window.refresh()
    window.recent_list().setCurrentRow(0)
    with qtbot.waitSignal(window.open_requested, timeout=2000) as blocker:
        qtbot.keyClick(window.recent_list(), Qt.Key.Key_Return)
    assert blocker.args == [present]


def test_missing_project_cannot_be_opened_but_can_be_removed(qtbot, window, projects):
    _, missing = projects
    window.refresh()
    window.recent_list().setCurrentRow(1)
    with qtbot.assertNotEmitted(window.open_requested):
        qtbot.keyClick(window.recent_list(), Qt.Key.Key_Return)
    assert not window._open_selected.isEnabled()
    qtbot.mouseClick(window._remove_button, Qt.MouseButton.LeftButton)
    assert [r.path for r in recent.load_recent()] == [projects[0]]
    assert len(window.recent_entries()) == 1


def test_new_button_requests_new_project(qtbot, window):
    with qtbot.waitSignal(window.new_requested, timeout=2000):
        qtbot.mouseClick(window._new_button, Qt.MouseButton.LeftButton)


def test_open_button_asks_for_a_folder(qtbot, window, tmp_path, monkeypatch):
    chosen = tmp_path / "x.aldesk"
    monkeypatch.setattr(window, "_ask_project_dir", lambda: str(chosen))
    with qtbot.waitSignal(window.open_requested, timeout=2000) as blocker:
        qtbot.mouseClick(window._open_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [Path(chosen)]


def test_ctrl_o_opens_and_empty_list_shows_hint(qtbot, window, monkeypatch, tmp_path):
    assert window.recent_entries() == []
    assert window._empty.isVisible()
    monkeypatch.setattr(window, "_ask_project_dir", lambda: str(tmp_path))
    with qtbot.waitSignal(window.open_requested, timeout=2000):
        qtbot.keyClick(window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
