"""Renders the app icon, resources/icons/boxoffice.svg, into the files each platform wants.

- ``boxoffice.png`` (256 px): the window icon and the Linux ``.desktop`` icon;
- ``boxoffice.ico`` (16–256 px): the Windows executable's icon;
- ``boxoffice.icns``: the macOS app bundle's icon.

Run once after editing the SVG, and commit the results:
``QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icon.py``.
Qt's SVG renderer draws it; Pillow (installed with reportlab, a dependency)
writes the ICO and ICNS containers.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(svg: Path, size: int) -> Image.Image:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not an SVG file Qt can draw.")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGBA")


def main() -> None:
    QGuiApplication([])
    svg = ICONS / "boxoffice.svg"
    big = render(svg, 1024)
    render(svg, 256).save(ICONS / "boxoffice.png", optimize=True)
    # Each ICO size from the SVG itself, so the small ones stay sharp rather than shrunk.
    images = [render(svg, s) for s in SIZES]
    images[-1].save(ICONS / "boxoffice.ico", sizes=[(s, s) for s in SIZES], append_images=images[:-1])
    big.save(ICONS / "boxoffice.icns")
    for name in ("boxoffice.png", "boxoffice.ico", "boxoffice.icns"):
        print(ICONS / name, (ICONS / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
