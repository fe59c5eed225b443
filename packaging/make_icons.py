"""Render the app icon (resources/icons/aldesk.svg) for every platform (build time only).

    python packaging/make_icons.py OUT      # OUT/hicolor/NxN/apps/aldesk.png, aldesk.ico, aldesk.icns

Pillow cannot read SVG, so Qt's SVG renderer (PySide6.QtSvg, already a dependency) draws each
size directly from the vector source (sharper small sizes than scaling one big PNG down);
Pillow then packs the PNGs into the Windows .ico and the macOS .icns. Runs without a display.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "aldesk.svg"
HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)  # freedesktop hicolor theme sizes
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # Windows: 256 is the largest .ico entry
ICNS_SIZE = 1024  # Pillow writes every smaller .icns entry from the largest image


def render_png(svg: Path, size: int, dest: Path) -> None:
    """Draw ``svg`` into a transparent ``size``×``size`` PNG."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(dest), "PNG"):
        raise SystemExit(f"make_icons: could not write {dest}")


def make_icons(out: Path, svg: Path = SVG) -> list[Path]:
    """Write the hicolor PNGs, the .ico and the .icns under ``out``; returns the files."""
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # fonts, image I/O
    written = []
    for size in (*HICOLOR_SIZES, ICNS_SIZE):
        name = f"{size}x{size}"
        dest = out / "hicolor" / name / "apps" / "aldesk.png"
        if size == ICNS_SIZE:
            dest = out / "aldesk-1024.png"
        render_png(svg, size, dest)
        written.append(dest)
    big = Image.open(out / "hicolor" / "256x256" / "apps" / "aldesk.png")
    big.save(out / "aldesk.ico", sizes=[(s, s) for s in ICO_SIZES])
    Image.open(out / "aldesk-1024.png").save(out / "aldesk.icns")
    written += [out / "aldesk.ico", out / "aldesk.icns"]
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python packaging/make_icons.py OUT", file=sys.stderr)
        return 2
    files = make_icons(Path(argv[0]))
    print(f"make_icons: {len(files)} icon files in {argv[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
