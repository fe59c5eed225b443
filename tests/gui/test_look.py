"""Class colours that stay distinct, CJK class names that render, the dark palette, and the
window's size and splitter remembered per project."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontDatabase, QFontMetrics, QPalette, QRawFont
from PySide6.QtWidgets import QApplication

from aldesk.core.classes import PALETTE
from aldesk.core.demo import make_demo_pool
from aldesk.core.project import ProjectSettings, create_project
from aldesk.core.records import ClassInfo
from aldesk.core.store import ProjectStore
from aldesk.gui import style, window_state
from aldesk.gui.controller import LabelingController
from aldesk.gui.main_window import MainWindow
from aldesk.gui.panels.curve_panel import CurvePanel
from aldesk.gui.panels.label_bar import LabelBar

# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])  # fmt: skip
PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                       [-0.003882, -0.048116, 1.051998]])  # fmt: skip


def _lab(hex_colour: str, seen_by: np.ndarray | None = None) -> np.ndarray:
    """CIELAB (D65) of an sRGB colour, as a colour-vision deficiency ``seen_by`` sees it."""
    rgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    if seen_by is not None:
        lin = np.clip(seen_by @ lin, 0, 1)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = m @ lin / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_the_first_30_class_colours_are_clearly_different() -> None:
    labs = [_lab(c) for c in PALETTE[:30]]
    closest = min(np.linalg.norm(a - b) for a, b in itertools.combinations(labs, 2))
    assert closest >= 20  # Delta-E76; 2.3 is barely noticeable, 20+ is another colour


def test_the_first_10_class_colours_stay_apart_for_colour_blind_users() -> None:
    """Tableau's order put red and green (classes 3 and 5) at Delta-E 0.9 for deuteranopes."""
    for seen_by in (DEUTERANOPIA, PROTANOPIA):
        labs = [_lab(c, seen_by) for c in PALETTE[:10]]
        closest = min(np.linalg.norm(a - b) for a, b in itertools.combinations(labs, 2))
        assert closest >= 15


def test_a_30_class_project_gets_30_different_colours(tmp_path) -> None:
    make_demo_pool("images", tmp_path / "pool", per_class=1)
    names = [f"c{i}" for i in range(30)]
    store, _ = create_project(tmp_path / "p.aldesk", tmp_path / "pool", names, ProjectSettings())
    colours = style.class_colours(store.classes())
    store.close()
    assert len(set(colours.values())) == 30


def test_repeated_stored_colours_of_old_projects_are_shown_distinct() -> None:
    # projects made with the 10-colour palette stored class 11 with class 1's colour
    old = [ClassInfo(i, f"c{i}", None, PALETTE[i % 10], i) for i in range(25)]
    colours = style.class_colours(old)
    assert len(set(colours.values())) == 25
    assert [colours[i] for i in range(10)] == list(PALETTE[:10])  # the first ten keep theirs


def test_chinese_and_japanese_class_names_have_glyphs(qapp) -> None:
    if not QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese):
        pytest.skip("no CJK font installed (setup.sh installs fonts-noto-cjk)")
    style.apply_style(qapp, "light")
    assert set(style.cjk_fallback_families()) & set(qapp.font().families())
    bar = LabelBar()
    bar.set_classes([ClassInfo(1, "麻雀", "1", None, 0), ClassInfo(2, "すずめ", "2", None, 1)])
    for class_id, text in ((1, "麻雀"), (2, "すずめ")):
        font = bar.button(class_id).font()
        assert all(QFontMetrics(font).inFont(ch) for ch in text)
        raw = QRawFont.fromFont(font, QFontDatabase.WritingSystem.SimplifiedChinese)
        assert raw.isValid() and all(raw.supportsCharacter(ch) for ch in text)


@pytest.fixture
def dark(qapp):
    style.apply_style(qapp, "dark")
    yield qapp
    style.apply_style(qapp, "light")


def test_dark_palette_reaches_style_sheet_chart_and_viewers(dark, qtbot) -> None:
    assert dark.palette().color(QPalette.ColorRole.Window).lightness() < 60
    assert dark.palette().color(QPalette.ColorRole.WindowText).lightness() > 200
    assert "#2a2d32" in dark.styleSheet()  # the dark group-box background
    assert style.WAVE_BG.lightness() < 60  # the audio canvas paints with style.WAVE_BG
    curve = CurvePanel()
    qtbot.addWidget(curve)
    assert curve.chart().backgroundBrush().color().lightness() < 60
    assert curve.x_axis.labelsBrush().color().lightness() > 200


def _ink(icon) -> int:
    """The lightness of an icon's darkest-to-lightest drawn pixels: their mean."""
    image = icon.pixmap(32, 32).toImage()
    drawn = [image.pixelColor(x, y) for x in range(32) for y in range(32)]
    drawn = [c.lightness() for c in drawn if c.alpha() > 200]
    return sum(drawn) // len(drawn)


def test_icons_are_drawn_in_the_themes_ink(dark, qapp) -> None:
    """The icons' grey was dark on the dark theme (1.6:1); the dark theme inks them light."""
    assert _ink(style.icon("play")) > 180
    style.apply_style(qapp, "light")
    assert _ink(style.icon("play")) < 100


def test_confusion_counts_are_dark_on_their_pale_cells_in_the_dark_theme(dark, qtbot) -> None:
    from aldesk.core.records import ClassInfo
    from aldesk.gui.review.confusion import ConfusionTable

    matrix = ConfusionTable()
    qtbot.addWidget(matrix)
    classes = [ClassInfo(1, "a", "1", "#000000", 0), ClassInfo(2, "b", "2", "#000000", 1)]
    matrix.show_matrix([[5, 1], [0, 3]], classes)
    for i, j in ((0, 0), (0, 1), (1, 1)):
        cell = matrix.item(i, j)
        assert cell.background().color().lightness() - cell.foreground().color().lightness() > 80


def test_an_open_chart_follows_a_switch_to_dark(qapp, qtbot) -> None:
    curve = CurvePanel()
    qtbot.addWidget(curve)
    curve.show()
    assert curve.chart().backgroundBrush().color().lightness() > 200
    try:
        style.apply_style(qapp, "dark")
        qtbot.waitUntil(lambda: curve.chart().backgroundBrush().color().lightness() < 60)
    finally:
        style.apply_style(qapp, "light")
    qtbot.waitUntil(lambda: curve.chart().backgroundBrush().color().lightness() > 200)


def test_the_theme_follows_the_desktop(qapp, monkeypatch) -> None:
    assert style.scheme_name(Qt.ColorScheme.Dark) == "dark"
    assert style.scheme_name(Qt.ColorScheme.Light) == "light"
    assert style.scheme_name(Qt.ColorScheme.Unknown) == "light"
    dark = QPalette()
    dark.setColor(QPalette.ColorRole.Window, QColor("#202020"))  # a dark palette was set
    assert style.scheme_name(Qt.ColorScheme.Unknown, dark) == "dark"
    assert style.scheme_name(Qt.ColorScheme.Light, dark) == "light"  # the desktop said light
    monkeypatch.setattr(style, "desktop_scheme", lambda _app: "dark")
    try:
        style.apply_style(qapp)  # no scheme given: the desktop's, and it keeps following
        assert style.current_scheme() == "dark"
        monkeypatch.setattr(style, "desktop_scheme", lambda _app: "light")
        qapp.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert style.current_scheme() == "light"
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 200
    finally:
        style.apply_style(QApplication.instance(), "light")


def _open(qtbot, path, pool) -> MainWindow:
    store = ProjectStore.open(path) if (path / "project.sqlite").exists() else None
    if store is None:
        settings = ProjectSettings(batch=4, seed_size=4, test_size=0)
        store, _ = create_project(path, pool, ["a", "b", "c"], settings)
    controller = LabelingController(store)
    window = MainWindow(store, controller)
    controller.setParent(window)
    qtbot.addWidget(window)
    with qtbot.waitSignal(controller.features.finished, timeout=120_000):
        window.show()
    return window


def test_window_size_and_splitter_are_remembered_per_project(qtbot, tmp_path) -> None:
    make_demo_pool("images", tmp_path / "pool", per_class=1)
    first, second = tmp_path / "first.aldesk", tmp_path / "second.aldesk"
    window = _open(qtbot, first, tmp_path / "pool")
    window.resize(700, 520)
    window.splitter.setSizes([300, 380])
    qtbot.waitUntil(lambda: window.width() == 700)
    sizes = window.splitter.sizes()
    window.close()

    other = _open(qtbot, second, tmp_path / "pool")
    assert other.size() == window_state.default_size()  # not the first project's size
    other.close()

    again = _open(qtbot, first, tmp_path / "pool")
    assert (again.width(), again.height()) == (700, 520)
    assert again.splitter.sizes() == sizes
    again.close()


def test_the_learning_curve_grows_with_the_font(qapp, qtbot) -> None:
    """At 15 pt a fixed 180 px left no room for the axes: every label read "…"."""
    from PySide6.QtGui import QFont, QFontInfo

    usual = qapp.font()
    big = QFont(usual)
    big.setPointSizeF(15)
    qapp.setFont(big)
    try:
        panel = CurvePanel()
        qtbot.addWidget(panel)
        assert panel.minimumHeight() >= 14 * QFontInfo(big).pixelSize() > 180
    finally:
        qapp.setFont(usual)
    assert CurvePanel().minimumHeight() == 180  # the usual font: as before


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_tooltips_are_readable_in_both_themes(qapp, qtbot, scheme) -> None:
    """The tooltip was drawn in the window colour under the palette's tooltip text: near-white
    on light grey, dark on dark; with 40 classes every count is in one."""
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QApplication, QPushButton, QToolTip

    style.apply_style(qapp, scheme)
    try:
        button = QPushButton("hover me")
        qtbot.addWidget(button)
        button.show()
        QToolTip.showText(button.mapToGlobal(QPoint(5, 5)), "adipose: 14  ·  debris: 24", button)
        tip = next(w for w in QApplication.topLevelWidgets()
                   if w.inherits("QTipLabel") and w.isVisible())  # fmt: skip
        image = tip.grab().toImage()
        lightness = sorted(QColor(image.pixel(x, y)).lightnessF()
                           for x in range(0, image.width(), 2)
                           for y in range(0, image.height(), 2))  # fmt: skip
        background, ink = lightness[len(lightness) // 2], (lightness[0], lightness[-1])
        text = ink[0] if abs(ink[0] - background) > abs(ink[1] - background) else ink[1]
        assert abs(text - background) > 0.6, (background, text)
    finally:
        QToolTip.hideText()
        style.apply_style(qapp, "light")
