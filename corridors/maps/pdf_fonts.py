"""
The printed notice's fonts, registered with ReportLab: DejaVu Sans, and Noto Naskh Arabic.

An I/O edge: reads the TrueType files once per process. DejaVu Sans, as matplotlib ships it,
covers the Latin, Greek and Cyrillic scripts (the left-to-right languages of
:data:`corridors.maps.NOTICE_TEXT`). Noto Naskh Arabic, vendored in ``corridors/assets/fonts``
(SIL OFL 1.1, see its ``PROVENANCE.md``), covers Arabic and Urdu letters and Latin; it is
registered for shaping (``corridors.maps.rtl``) and sets a right-to-left notice's whole page.
"""

from __future__ import annotations

import functools
from pathlib import Path

#: ReportLab names of the notice's regular and bold fonts.
NOTICE_FONT = "NoticeSans"
NOTICE_FONT_BOLD = "NoticeSans-Bold"
#: ReportLab names of the right-to-left notice's regular and bold fonts.
RTL_FONT = "NoticeNaskh"
RTL_FONT_BOLD = "NoticeNaskh-Bold"
#: The vendored Noto Naskh Arabic files.
FONT_DIR = Path(__file__).parent.parent / "assets" / "fonts"


@functools.cache
def notice_fonts(direction: str = "ltr") -> tuple[str, str]:
    """Register the fonts for ``direction`` ("ltr" or "rtl") once; return (regular, bold)."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if direction == "rtl":
        names, files = (RTL_FONT, RTL_FONT_BOLD), (
            FONT_DIR / "NotoNaskhArabic-Regular.ttf", FONT_DIR / "NotoNaskhArabic-Bold.ttf"
        )  # fmt: skip
    else:
        import matplotlib

        folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        names, files = (NOTICE_FONT, NOTICE_FONT_BOLD), (
            folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        )  # fmt: skip
    for name, path in zip(names, files, strict=True):
        pdfmetrics.registerFont(TTFont(name, str(path)))  # shapable: ReportLab's default
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(names[0], bold, italic, names[1] if bold else names[0])
    return names
