"""
The printed notice's fonts: DejaVu Sans as matplotlib ships it, registered with ReportLab.

An I/O edge: reads the two TrueType files once per process. DejaVu Sans covers the Latin,
Greek and Cyrillic scripts (the left-to-right languages of :data:`corridors.maps.NOTICE_TEXT`); the
notice is not typeset for right-to-left scripts (``maps.dates.text_direction``), which need
shaping.
"""

from __future__ import annotations

import functools
from pathlib import Path

#: ReportLab names of the notice's regular and bold fonts.
NOTICE_FONT = "NoticeSans"
NOTICE_FONT_BOLD = "NoticeSans-Bold"


@functools.cache
def notice_fonts() -> tuple[str, str]:
    """Register DejaVu Sans (regular, bold) with ReportLab once; return their names."""
    import matplotlib
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(NOTICE_FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(NOTICE_FONT_BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(NOTICE_FONT, bold, italic, NOTICE_FONT_BOLD if bold else NOTICE_FONT)
    return NOTICE_FONT, NOTICE_FONT_BOLD
