"""Render the first page of a printed notice as a small PNG (for the README).

Usage: python scripts/notice_png.py NOTICE_PDF OUT_PNG [DPI]

Uses ``pdftoppm`` (poppler) when it is installed, else PDFium (``pypdfium2``, a test extra);
the PNG is reduced to 32 colours to stay small.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image


def render(pdf: Path, dpi: int) -> Image.Image:
    """Return the PDF's first page as an image at ``dpi``."""
    if shutil.which("pdftoppm"):
        with tempfile.TemporaryDirectory() as tmp:
            stem = Path(tmp) / "page"
            subprocess.run(
                ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "-f", "1", str(pdf), str(stem)],
                check=True,
            )
            return Image.open(stem.with_suffix(".png")).copy()
    import pypdfium2

    return pypdfium2.PdfDocument(pdf)[0].render(scale=dpi / 72).to_pil()


def main(argv: list[str]) -> None:
    """Render NOTICE_PDF to OUT_PNG."""
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    pdf, png = Path(argv[0]), Path(argv[1])
    image = render(pdf, int(argv[2]) if len(argv) == 3 else 96)
    image.convert("RGB").quantize(colors=32).save(png, optimize=True)
    print(f"{png} ({png.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main(sys.argv[1:])
