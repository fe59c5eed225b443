"""Look and feel: palette, style sheet, icons, colour maps and small display formatters."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QLocale, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontInfo,
    QIcon,
    QImage,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QStyleFactory

from aldesk.core.classes import PALETTE
from aldesk.core.records import ClassInfo

ACCENT = QColor("#2f6fde")
WAVE_FILL = QColor("#3b6fb6")
WAVE_BG = QColor("#f7f8fa")  # follows the theme (apply_style); painters read style.WAVE_BG
PLAYHEAD = QColor("#e4572e")
MUTED_TEXT = QColor("#6b7280")  # these two follow the theme too
ERROR_TEXT = QColor("#b42318")

# 11 evenly spaced stops of matplotlib's perceptually uniform maps (van der Walt & Smith);
# linear interpolation between them is indistinguishable from the full 256-entry tables.
_STOPS = {
    "magma": (
        "#000004", "#140e36", "#3b0f70", "#641a80", "#8c2981", "#b73779",
        "#de4968", "#f7705c", "#fe9f6d", "#fecf92", "#fcfdbf",
    ),
    "viridis": (
        "#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c",
        "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725",
    ),
}  # fmt: skip


def resource_path(name: str) -> Path:
    """Path of a file in ``resources/``, installed (``aldesk.resources``) or in a checkout."""
    try:
        root = resources.files("aldesk.resources")
        candidate = Path(str(root.joinpath(name)))
        if candidate.exists():
            return candidate
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "resources" / name


ICON_INK = b"#374151"  # the colour the icons are drawn in (light theme)


def icon(name: str) -> QIcon:
    """Icon ``resources/icons/<name>.svg`` in the current theme's ink; an empty icon if it does
    not exist. In the dark theme the icons' grey ink is the theme's button text (drawn as
    they are, 21 of 22 icons were dark on dark: 1.6:1)."""
    return _icon(name, _current["scheme"])


@cache
def _icon(name: str, scheme: str) -> QIcon:
    path = resource_path(f"icons/{name}.svg")
    if not path.exists():
        return QIcon()
    data = path.read_bytes()
    if scheme == "light" or ICON_INK not in data:
        return QIcon(str(path))
    inked = _icon_folder() / f"{name}-{scheme}.svg"  # an SVG file keeps QIcon's scalable engine
    inked.write_bytes(data.replace(ICON_INK, _THEMES[scheme]["ButtonText"].encode()))
    return QIcon(str(inked))


@cache
def _icon_folder() -> Path:
    """A folder of this process's recoloured icons, removed at exit."""
    import atexit
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="aldesk-icons-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def svg_pixmap(name: str, size: int, color: QColor | None = None) -> QPixmap:
    """Render an icon at ``size`` px, optionally recoloured (for large placeholder glyphs)."""
    data = resource_path(f"icons/{name}.svg").read_bytes()
    if color is not None:
        data = data.replace(ICON_INK, color.name().encode())
    renderer = QSvgRenderer(QByteArray(data))
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter)
    painter.end()
    return pixmap


def colormap_lut(name: str = "magma") -> np.ndarray:
    """A (256, 3) uint8 lookup table of a perceptual colour map."""
    stops = np.array([QColor(c).getRgb()[:3] for c in _STOPS[name]], dtype=np.float64)
    pos = np.linspace(0.0, 1.0, len(stops))
    x = np.linspace(0.0, 1.0, 256)
    lut = np.stack([np.interp(x, pos, stops[:, i]) for i in range(3)], axis=1)
    return np.round(lut).astype(np.uint8)


def colormap_image(values: np.ndarray, lut: np.ndarray, vmin: float, vmax: float) -> QImage:
    """Map a 2-D array (row 0 drawn at the top) through ``lut`` into an RGB32 QImage."""
    span = max(vmax - vmin, 1e-9)
    idx = np.clip((values - vmin) / span * 255.0, 0, 255).astype(np.uint8)
    rgb = lut[idx]
    h, w = idx.shape
    argb = np.empty((h, w), dtype=np.uint32)
    argb[:] = (
        0xFF000000
        | (rgb[..., 0].astype(np.uint32) << 16)
        | (rgb[..., 1].astype(np.uint32) << 8)
        | rgb[..., 2].astype(np.uint32)
    )
    image = QImage(argb.data, w, h, w * 4, QImage.Format.Format_RGB32)
    return image.copy()  # own the pixels; ``argb`` dies with this function


def human_size(n_bytes: int) -> str:
    """Decimal units, as file managers and disk makers count (a 345,600,044-byte file is
    345.6 MB; it was shown as "329.6 MB", its size in MiB)."""
    size = float(n_bytes)
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def clock(seconds: float, duration: float | None = None) -> str:
    """``m:ss.s`` for a playback position; finer in a clip under 10 s (``m:ss.ss``) or under
    1 s (``m:ss.sss``): a 20-ms clip read "0:00.0 / 0:00.0"."""
    seconds = max(0.0, seconds)
    minutes = int(seconds // 60)
    places = 1 if not duration or duration >= 10 else 2 if duration >= 1 else 3
    return f"{minutes}:{seconds - 60 * minutes:0{3 + places}.{places}f}"


def clock_pair(position: float, duration: float) -> str:
    """``position / duration``, both as fine as the clip's length needs."""
    return f"{clock(position, duration)} / {clock(duration, duration)}"


def heading_font(delta: int = 4, bold: bool = True) -> QFont:
    font = QFont(QApplication.font())
    font.setPointSize(font.pointSize() + delta)
    font.setBold(bold)
    return font


def class_colours(classes: Sequence[ClassInfo]) -> dict[int, str]:
    """A colour per class id, no two alike: the stored colour unless an earlier class has it.

    Projects made before the palette grew past 10 colours stored repeats (class 11 = class 1);
    those classes get the first palette colour no class uses yet.
    """
    used: set[str] = set()
    out: dict[int, str] = {}
    for c in classes:
        colour = (c.colour or "").lower()
        if not colour or colour in used:
            free = [p for p in PALETTE if p not in used]
            colour = free[0] if free else PALETTE[len(out) % len(PALETTE)]
        used.add(colour)
        out[c.id] = colour
    return out


# -- fonts ----------------------------------------------------------------------------------
_CJK = (  # writing system, preferred family, the locale language that puts it first
    (QFontDatabase.WritingSystem.SimplifiedChinese, "Noto Sans CJK SC", QLocale.Language.Chinese),
    (QFontDatabase.WritingSystem.Japanese, "Noto Sans CJK JP", QLocale.Language.Japanese),
    (QFontDatabase.WritingSystem.TraditionalChinese, "Noto Sans CJK TC", None),
    (QFontDatabase.WritingSystem.Korean, "Noto Sans CJK KR", QLocale.Language.Korean),
)


def cjk_fallback_families(language: QLocale.Language | None = None) -> list[str]:
    """Installed sans-serif families with Chinese, Japanese or Korean glyphs, one per script.

    The family for the user's language comes first: it decides how shared Han characters look.
    """
    language = QLocale().language() if language is None else language
    ordered = sorted(_CJK, key=lambda entry: entry[2] != language)
    found: list[str] = []
    for system, preferred, _language in ordered:
        families = [
            f for f in QFontDatabase.families(system)
            if "serif" not in f.lower() and "mono" not in f.lower()
        ]  # fmt: skip
        if not families:
            continue
        family = preferred if preferred in families else families[0]
        if family not in found:
            found.append(family)
    return found


def add_font_fallbacks(app: QApplication) -> None:
    """Class names in Chinese, Japanese or Korean render with an installed CJK font.

    Qt's own fallback depends on the platform's font configuration (a frozen bundle's
    fontconfig may find none); listing the families makes the fallback explicit. The first
    family stays the one the desktop resolved (not an alias such as "Sans Serif", which Qt
    would skip in a family list).
    """
    font = QFont(app.font())
    primary = QFontInfo(font).family()
    extra = [f for f in cjk_fallback_families() if f != primary]
    if extra:
        font.setFamilies([primary, *extra])
        app.setFont(font)


# -- light and dark themes ------------------------------------------------------------------
_THEMES: dict[str, dict[str, str]] = {
    "light": {
        "Window": "#f3f4f6", "WindowText": "#111827", "Base": "#ffffff",
        "AlternateBase": "#f9fafb", "Text": "#111827", "Button": "#ffffff",
        "ButtonText": "#111827", "ToolTipBase": "#111827", "ToolTipText": "#f9fafb",
        "disabled": "#9ca3af", "wave_bg": "#f7f8fa", "chart_bg": "#ffffff", "grid": "#e5e7eb",
        "muted": "#6b7280", "error": "#b42318",
    },
    "dark": {
        "Window": "#1f2125", "WindowText": "#e5e7eb", "Base": "#2a2d32",
        "AlternateBase": "#303338", "Text": "#e5e7eb", "Button": "#2f3237",
        "ButtonText": "#e5e7eb", "ToolTipBase": "#e5e7eb", "ToolTipText": "#111827",
        "disabled": "#6b7280", "wave_bg": "#26282c", "chart_bg": "#2a2d32", "grid": "#3f434a",
        "muted": "#9ca3af", "error": "#f97066",
    },
}  # fmt: skip


def desktop_scheme(app: QApplication) -> str:
    """'dark' or 'light': ALDESK_THEME if set, else what the desktop reports (Qt 6.5+)."""
    forced = os.environ.get("ALDESK_THEME", "").strip().lower()
    if forced in _THEMES:
        return forced
    return scheme_name(app.styleHints().colorScheme(), app.palette())


def scheme_name(scheme: Qt.ColorScheme, palette: QPalette | None = None) -> str:
    """The app's theme for a desktop colour scheme: dark when the desktop says dark, or says
    nothing (Unknown) while the palette it gave is dark (a dark palette was painted over)."""
    if scheme == Qt.ColorScheme.Unknown and palette is not None:
        return "dark" if palette.color(QPalette.ColorRole.Window).lightness() < 128 else "light"
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def current_scheme() -> str:
    """The theme last applied by ``apply_style``."""
    return _current["scheme"]


def theme_colour(name: str) -> QColor:
    """A colour of the current theme: 'chart_bg', 'grid', 'wave_bg', or a palette role name."""
    return QColor(_THEMES[_current["scheme"]][name])


_current = {"scheme": "light"}


def apply_style(app: QApplication, scheme: str | None = None) -> None:
    """Fusion with the app's light or dark palette and style sheet, and CJK font fallbacks.

    ``scheme`` 'light' / 'dark'; None follows the desktop and keeps following it when the
    desktop switches (QStyleHints.colorSchemeChanged).
    """
    app.setStyle(QStyleFactory.create("Fusion"))
    if scheme is None:
        scheme = desktop_scheme(app)
        if not app.property("aldesk_follows_scheme"):
            app.setProperty("aldesk_follows_scheme", True)
            app.styleHints().colorSchemeChanged.connect(lambda _s: apply_style(app))
    global WAVE_BG, MUTED_TEXT, ERROR_TEXT
    _current["scheme"] = scheme
    WAVE_BG, MUTED_TEXT, ERROR_TEXT = (theme_colour(k) for k in ("wave_bg", "muted", "error"))
    app.setPalette(_palette(scheme))
    qss = resource_path(f"{scheme}.qss")
    app.setStyleSheet(qss.read_text(encoding="utf-8") if qss.exists() else "")
    add_font_fallbacks(app)
    app_icon = icon("aldesk")
    if not app_icon.isNull():
        app.setWindowIcon(app_icon)


def _palette(scheme: str) -> QPalette:
    colours = _THEMES[scheme]
    pal = QPalette()
    role = QPalette.ColorRole
    for name in ("Window", "WindowText", "Base", "AlternateBase", "Text", "Button",
                 "ButtonText", "ToolTipBase", "ToolTipText"):  # fmt: skip
        pal.setColor(getattr(role, name), QColor(colours[name]))
    pal.setColor(role.Highlight, ACCENT)
    pal.setColor(role.HighlightedText, QColor("#ffffff"))
    pal.setColor(role.PlaceholderText, MUTED_TEXT)
    pal.setColor(role.Link, ACCENT if scheme == "light" else QColor("#8fb3f5"))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(disabled, r, QColor(colours["disabled"]))
    return pal
