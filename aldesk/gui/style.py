"""Look and feel: palette, style sheet, icons, colour maps and small display formatters."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QStyleFactory

ACCENT = QColor("#2f6fde")
WAVE_FILL = QColor("#3b6fb6")
WAVE_BG = QColor("#f7f8fa")
PLAYHEAD = QColor("#e4572e")
MUTED_TEXT = QColor("#6b7280")
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


@cache
def icon(name: str) -> QIcon:
    """Icon ``resources/icons/<name>.svg``; an empty icon if it does not exist."""
    path = resource_path(f"icons/{name}.svg")
    return QIcon(str(path)) if path.exists() else QIcon()


def svg_pixmap(name: str, size: int, color: QColor | None = None) -> QPixmap:
    """Render an icon at ``size`` px, optionally recoloured (for large placeholder glyphs)."""
    data = resource_path(f"icons/{name}.svg").read_bytes()
    if color is not None:
        data = data.replace(b"#374151", color.name().encode())
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
    size = float(n_bytes)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def clock(seconds: float) -> str:
    """``m:ss.s`` for a playback position."""
    seconds = max(0.0, seconds)
    minutes = int(seconds // 60)
    return f"{minutes}:{seconds - 60 * minutes:04.1f}"


def heading_font(delta: int = 4, bold: bool = True) -> QFont:
    font = QFont(QApplication.font())
    font.setPointSize(font.pointSize() + delta)
    font.setBold(bold)
    return font


def apply_style(app: QApplication) -> None:
    """Fusion with a light palette and the app's style sheet; independent of the desktop theme."""
    app.setStyle(QStyleFactory.create("Fusion"))
    app.setPalette(_light_palette())
    qss = resource_path("light.qss")
    if qss.exists():
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
    app_icon = icon("aldesk")
    if not app_icon.isNull():
        app.setWindowIcon(app_icon)


def _light_palette() -> QPalette:
    pal = QPalette()
    role = QPalette.ColorRole
    pal.setColor(role.Window, QColor("#f3f4f6"))
    pal.setColor(role.WindowText, QColor("#111827"))
    pal.setColor(role.Base, QColor("#ffffff"))
    pal.setColor(role.AlternateBase, QColor("#f9fafb"))
    pal.setColor(role.Text, QColor("#111827"))
    pal.setColor(role.Button, QColor("#ffffff"))
    pal.setColor(role.ButtonText, QColor("#111827"))
    pal.setColor(role.Highlight, ACCENT)
    pal.setColor(role.HighlightedText, QColor("#ffffff"))
    pal.setColor(role.ToolTipBase, QColor("#111827"))
    pal.setColor(role.ToolTipText, QColor("#f9fafb"))
    pal.setColor(role.PlaceholderText, MUTED_TEXT)
    pal.setColor(role.Link, ACCENT)
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(disabled, r, QColor("#9ca3af"))
    return pal
