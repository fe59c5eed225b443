"""Packaging inputs: licences collected, icons rendered, desktop files valid, About lists them.

The builds themselves (PyInstaller, tarball, .deb) run in CI (.ci/run) and packaging/build.sh;
these tests cover the pieces those builds are made of, in seconds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aldesk import notices

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
RESOURCES = ROOT / "resources"
sys.path.insert(0, str(PACKAGING))

import collect_licenses  # noqa: E402


@pytest.fixture(scope="module")
def licences(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / notices.NOTICES_DIR  # as in a frozen build
    names = collect_licenses.distributions_of({"numpy", "PySide6", "sklearn", "PIL", "soundfile"})
    collect_licenses.collect(names, out)
    return out


def test_licences_of_the_bundled_distributions_are_collected(licences: Path) -> None:
    rows = {c["name"]: c for c in json.loads((licences / "components.json").read_text())}
    for name in ("numpy", "scikit-learn", "pillow", "soundfile", "PySide6_Essentials", "Python"):
        assert name in rows, f"{name} missing from {sorted(rows)}"
        assert rows[name]["files"], f"{name} has no licence file"
        for f in rows[name]["files"]:
            assert (licences / f).is_file(), f
    # the PySide6 wheels install no licence file: the Qt LGPL terms come from packaging/
    assert "Qt/LGPL-3.0.txt" in rows["PySide6_Essentials"]["files"]
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in (licences / "Qt" / "LGPL-3.0.txt").read_text()
    assert "LGPL" in rows["PySide6_Essentials"]["note"]
    # libsndfile's terms come with soundfile's wheel, OpenBLAS's with numpy's
    assert "soundfile/_soundfile_data/COPYING" in rows["soundfile"]["files"]
    summary = (licences / "THIRD-PARTY-NOTICES.md").read_text()
    assert "## numpy " in summary and "Licence: BSD-3-Clause" in summary


def test_model_weights_attribution_is_collected(licences: Path) -> None:
    models = ROOT / "aldesk" / "models"
    if not (models / "manifest.json").is_file():
        pytest.skip("no converted models in this checkout (python -m tools.convert_models)")
    rows = json.loads((licences / "components.json").read_text())
    weights = [r for r in rows if "model weights" in r["name"]]
    assert {r["license"] for r in weights} == {"CC BY 4.0", "Apache-2.0"}
    assert all(r["note"] and r["files"] == ["models/NOTICE.md"] for r in weights)
    assert (licences / "models" / "NOTICE.md").read_text() == (models / "NOTICE.md").read_text()


def test_a_frozen_build_reads_the_list_it_carries(licences: Path) -> None:
    bundled = notices.bundled_components(licences.parent)
    assert bundled is not None
    assert {c.name for c in bundled} >= {"numpy", "Python", "PySide6_Essentials"}
    assert notices.bundled_components(licences.parent / "nowhere") is None


def test_icons_are_rendered_for_every_platform(tmp_path: Path) -> None:
    from PIL import Image

    # in its own process, as build.sh runs it (it makes a QGuiApplication)
    subprocess.run([sys.executable, str(PACKAGING / "make_icons.py"), str(tmp_path)], check=True)
    for size in (16, 22, 24, 32, 48, 64, 128, 256, 512):
        image = Image.open(tmp_path / "hicolor" / f"{size}x{size}" / "apps" / "aldesk.png")
        assert image.size == (size, size) and image.mode == "RGBA"
        assert image.getpixel((size // 2, size // 2))[3] == 255  # drawn, not transparent
        assert image.getpixel((0, 0))[3] < 255  # the rounded corner stays transparent
    ico = Image.open(tmp_path / "aldesk.ico")
    assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
    icns = Image.open(tmp_path / "aldesk.icns")
    assert (512, 512, 2) in icns.info["sizes"] and (16, 16, 2) in icns.info["sizes"]


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="desktop-file-utils")
def test_desktop_entry_validates() -> None:
    result = subprocess.run(["desktop-file-validate", str(RESOURCES / "aldesk.desktop")],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout


@pytest.mark.skipif(not shutil.which("appstreamcli"), reason="appstream")
def test_metainfo_validates() -> None:
    metainfo = RESOURCES / "io.github.aldesk.aldesk.metainfo.xml"
    result = subprocess.run(["appstreamcli", "validate", "--no-net", "--pedantic", str(metainfo)],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stdout


def test_desktop_entry_opens_project_folders() -> None:
    entry = (RESOURCES / "aldesk.desktop").read_text()
    mime = (RESOURCES / "aldesk-mime.xml").read_text()
    assert "MimeType=application/x-aldesk-project;" in entry
    assert 'type="application/x-aldesk-project"' in mime and 'pattern="*.aldesk"' in mime
    assert "Exec=aldesk %f" in entry  # `aldesk FOLDER` opens the project


def test_build_tools_are_pinned() -> None:
    pins = (PACKAGING / "constraints.txt").read_text()
    for tool in ("pyinstaller==", "pyinstaller-hooks-contrib==", "altgraph=="):
        assert tool in pins
    build = (PACKAGING / "build.sh").read_text()
    assert '-c "$ROOT/packaging/constraints.txt"' in build


@pytest.mark.parametrize("script", sorted(p.name for p in PACKAGING.glob("*.sh")))
def test_shell_scripts_parse(script: str) -> None:
    result = subprocess.run(["bash", "-n", str(PACKAGING / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_about_dialog_lists_the_components(qtbot, tmp_path: Path) -> None:
    from aldesk.gui.dialogs.about import AboutDialog

    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    shown = {dialog.table.item(r, 0).text(): dialog.table.item(r, 2).text()
             for r in range(dialog.table.rowCount())}  # fmt: skip
    assert shown["numpy"].startswith("BSD-3-Clause")
    assert "LGPL-3.0-only" in shown["PySide6_Essentials"]
    assert {"Python", "scikit-learn", "pillow", "soundfile", "onnxruntime"} <= set(shown)
    row = list(shown).index("PySide6_Essentials")
    assert "LGPL" in dialog.table.item(row, 0).toolTip()


def test_help_menu_opens_about(qtbot, tmp_path: Path, monkeypatch) -> None:
    from aldesk.core.project import create_project
    from aldesk.gui.dialogs import about
    from aldesk.gui.main_window import MainWindow

    (tmp_path / "pool").mkdir()
    from PIL import Image

    for i in range(4):
        Image.new("L", (8, 8), i * 60).save(tmp_path / "pool" / f"{i}.png")
    store, _ = create_project(tmp_path / "p", tmp_path / "pool", ["a", "b"])
    window = MainWindow(store)
    qtbot.addWidget(window)
    opened = []
    monkeypatch.setattr(about.AboutDialog, "exec", lambda self: opened.append(self) or 0)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    next(a for a in help_menu.actions() if a.text() == "&About aldesk").trigger()
    assert len(opened) == 1 and opened[0].table.rowCount() > 5
    window.close()
