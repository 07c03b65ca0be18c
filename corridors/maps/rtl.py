"""
Right-to-left lines for the printed notice: bidi order (python-bidi), Arabic shaping (HarfBuzz).

ReportLab lays text out left to right and draws characters as they come, so an Arabic or
Urdu line would print with its letters isolated and its words backwards. Here a line in
logical order (as typed) is drawn as follows:

1. the Unicode bidi algorithm (python-bidi, paragraph direction right to left) gives the
   line's visual order: Arabic words from the right, an English name or a time kept left to
   right inside it, brackets mirrored. Callers mark a time or a name as an isolate
   (:data:`LRI` or :data:`FSI` ... :data:`PDI`, as the shared page's ``<bdi>``), so
   "15:15–15:45" stays whole; python-bidi's pure-Python algorithm (``bidi.algorithm``) is
   used as it mirrors brackets (its Rust one does not), and it predates isolates, so they
   are given to it as the embeddings they stand for (LRE, or RLE when the isolated text
   starts right to left);
2. each run of Arabic-script letters is put back in logical order and shaped by HarfBuzz
   (uharfbuzz): letters join (initial, medial and final forms), dots and marks sit on their
   letters; the other runs are shaped left to right;
3. the glyphs are drawn as their outlines (from the same font file; a form XObject per
   glyph, made once per document), and the line's
   characters in visual order are written over them as invisible text in the same font,
   stretched to the same width: the page's text layer (copy, search, ``pypdf``) holds the
   real letters, which a PDF reader puts back in logical order.

Why outlines and not the shaped glyphs as text: Noto Naskh draws a dotted letter as a dotless
shape plus its dots, glyphs no character maps to, so a text layer of shaped glyphs would read
as private-use characters. Nothing here opens a file: the font's bytes come from ReportLab's
registered font.
"""

# ruff: noqa: RUF002  (times are written with an en dash)
from __future__ import annotations

import dataclasses
import functools
import io
import itertools
import unicodedata
from typing import Any, cast

import uharfbuzz
from bidi.algorithm import get_display
from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTFont
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable

#: Left-to-right and first-strong isolates, and their end: wrap a time or a name in them.
LRI, FSI, PDI = "\u2066", "\u2068", "\u2069"
_CONTROLS = dict.fromkeys(
    map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)
_NON_ZERO = 1  # PDF fill rule for TrueType outlines (reportlab.pdfgen.canvas.FILL_NON_ZERO)
_LRE, _RLE, _PDF, _RLM = "\u202a", "\u202b", "\u202c", "\u200f"


@dataclasses.dataclass(frozen=True)
class ShapedLine:
    """A line ready to draw: glyphs (id, x, y in font units from its left end) and its text."""

    font_name: str
    size: float
    glyphs: tuple[tuple[int, float, float], ...]
    advance: float  # font units
    visual: str  # the characters left to right, for the invisible text layer

    @property
    def width(self) -> float:
        """The line's width in points."""
        return self.advance * self.size / _face(self.font_name).upem


@dataclasses.dataclass(frozen=True)
class _Face:
    hb_font: Any
    glyph_set: Any
    order: list[str]
    upem: int


@functools.cache
def _face(font_name: str) -> _Face:
    """Return the HarfBuzz font and outlines of a font registered with ReportLab (no file)."""
    data = cast("Any", pdfmetrics.getFont(font_name)).face._ttf_data
    tt = TTFont(io.BytesIO(data))
    hb_font = uharfbuzz.Font(uharfbuzz.Face(uharfbuzz.Blob(data)))
    return _Face(hb_font, tt.getGlyphSet(), tt.getGlyphOrder(), int(tt["head"].unitsPerEm))


def _is_arabic(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in {"AL", "R", "NSM"}


def visual_runs(text: str) -> list[tuple[str, bool]]:
    """
    Return a line's runs left to right on the page: ``(text, arabic)``.

    An Arabic run is in logical order (HarfBuzz shapes it right to left); the others are in
    the order they are drawn.

    Examples
    --------
    >>> visual_runs("من " + LRI + "15:15–15:45" + PDI)
    [('15:15–15:45 ', False), ('من', True)]
    """
    display = str(get_display(_embeddings(text), base_dir="R")).translate(_CONTROLS)
    runs = []
    for arabic, group in itertools.groupby(display, _is_arabic):
        piece = "".join(group)
        runs.append((piece[::-1], True) if arabic else (piece, False))
    return runs


def _embeddings(text: str) -> str:
    """
    Return ``text`` with isolates as embeddings: LRI -> LRE, FSI -> LRE or RLE, PDI -> PDF.

    A right-to-left mark on each side keeps the embedded text from steering its neighbours
    (an English name would otherwise pull a following number into its run), as an isolate
    does in a right-to-left paragraph.
    """
    out = []
    for i, ch in enumerate(text):
        if ch == LRI:
            ch = _RLM + _LRE
        elif ch == FSI:
            strong = (unicodedata.bidirectional(c) for c in text[i + 1 :].split(PDI, 1)[0])
            first = next((b for b in strong if b in {"L", "R", "AL"}), "L")
            ch = _RLM + (_LRE if first == "L" else _RLE)
        elif ch == PDI:
            ch = _PDF + _RLM
        out.append(ch)
    return "".join(out)


def shape_line(text: str, font_name: str, size: float) -> ShapedLine:
    """Shape a line (logical order) for :func:`draw_line`."""
    face = _face(font_name)
    glyphs: list[tuple[int, float, float]] = []
    pen_x = 0.0
    visual = []
    for piece, arabic in visual_runs(text):
        visual.append(piece[::-1] if arabic else piece)
        buf = uharfbuzz.Buffer()
        buf.add_str(piece)
        buf.guess_segment_properties()
        if not arabic:
            buf.direction = "ltr"
        uharfbuzz.shape(face.hb_font, buf, {})
        for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
            glyphs.append((info.codepoint, pen_x + pos.x_offset, float(pos.y_offset)))
            pen_x += pos.x_advance
    return ShapedLine(font_name, size, tuple(glyphs), pen_x, "".join(visual))


class _PathPen(BasePen):  # type: ignore[misc]
    """A fontTools pen drawing into a ReportLab path (quadratic curves as cubic)."""

    def __init__(self, glyph_set: Any, path: Any, dx: float, dy: float) -> None:
        super().__init__(glyph_set)
        self.path, self.dx, self.dy = path, dx, dy

    def _moveTo(self, pt: tuple[float, float]) -> None:  # noqa: N802
        self.path.moveTo(pt[0] + self.dx, pt[1] + self.dy)

    def _lineTo(self, pt: tuple[float, float]) -> None:  # noqa: N802
        self.path.lineTo(pt[0] + self.dx, pt[1] + self.dy)

    def _curveToOne(self, p1: Any, p2: Any, p3: Any) -> None:  # noqa: N802
        dx, dy = self.dx, self.dy
        self.path.curveTo(p1[0] + dx, p1[1] + dy, p2[0] + dx, p2[1] + dy, p3[0] + dx, p3[1] + dy)

    def _closePath(self) -> None:  # noqa: N802
        self.path.close()


def _glyph_form(canvas: Any, font_name: str, gid: int) -> str:
    """Return the name of the document's form (XObject) of a glyph's outline, made once."""
    name = f"{font_name}-glyph{gid}"
    if not canvas.hasForm(name):
        face = _face(font_name)
        canvas.beginForm(name, -2 * face.upem, -2 * face.upem, 4 * face.upem, 3 * face.upem)
        path = canvas.beginPath()
        face.glyph_set[face.order[gid]].draw(_PathPen(face.glyph_set, path, 0.0, 0.0))
        canvas.drawPath(path, stroke=0, fill=1, fillMode=_NON_ZERO)
        canvas.endForm()
    return name


def draw_line(canvas: Any, line: ShapedLine, x: float, y: float, colour: Any) -> None:
    """Draw ``line`` with its left end at ``x`` on baseline ``y``: outlines, then its text."""
    face = _face(line.font_name)
    forms = [(_glyph_form(canvas, line.font_name, gid), gx, gy) for gid, gx, gy in line.glyphs]
    canvas.saveState()
    canvas.setFillColor(colour)
    canvas.translate(x, y)
    canvas.scale(line.size / face.upem, line.size / face.upem)
    for form, gx, gy in forms:
        canvas.saveState()
        canvas.translate(gx, gy)
        canvas.doForm(form)
        canvas.restoreState()
    canvas.restoreState()
    plain = pdfmetrics.stringWidth(line.visual, line.font_name, line.size)
    if not plain or not line.visual.strip():
        return
    text = canvas.beginText(x, y)
    text.setTextRenderMode(3)  # invisible: the text layer only
    text.setFont(line.font_name, line.size)
    text.setHorizScale(100.0 * line.width / plain)
    text.textOut(line.visual)
    canvas.drawText(text)


def wrap_words(text: str, font_name: str, size: float, width: float) -> list[ShapedLine]:
    """Break ``text`` (logical order) into shaped lines no wider than ``width``, at spaces."""
    lines: list[tuple[str, ShapedLine]] = []
    isolates = ""  # isolates open before this word: reopened on the next line
    for word in text.split():
        if lines:
            trial = f"{lines[-1][0]} {word}"
            shaped = shape_line(trial, font_name, size)
            if shaped.width <= width:
                lines[-1] = (trial, shaped)
                isolates = _still_open(isolates + word)
                continue
        lines.append((isolates + word, shape_line(isolates + word, font_name, size)))
        isolates = _still_open(isolates + word)
    # a word wider than the line (an address) is set smaller to fit
    fitted = [
        dataclasses.replace(sh, size=sh.size * width / sh.width) if sh.width > width else sh
        for _text, sh in lines
    ]
    return fitted or [shape_line("", font_name, size)]


def _still_open(text: str) -> str:
    """Return the isolates (LRI, FSI) ``text`` opens and does not close, in order."""
    stack: list[str] = []
    for ch in text:
        if ch in (LRI, FSI):
            stack.append(ch)
        elif ch == PDI and stack:
            stack.pop()
    return "".join(stack)


class RtlParagraph(Flowable):
    """
    A paragraph set right to left: lines broken in logical order, each shaped and aligned.

    ``style`` is a ReportLab ``ParagraphStyle`` (its font, size, leading, colour and space
    after); the lines are set flush right (the start of a right-to-left line).
    """

    def __init__(self, text: str, style: Any) -> None:
        super().__init__()
        self.text, self.style = text, style
        self.lines: list[ShapedLine] = []

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        """Break the text into lines for ``availWidth``; return the space taken."""
        st = self.style
        self.width = availWidth
        self.lines = wrap_words(self.text, st.fontName, st.fontSize, availWidth)
        self.height = st.leading * len(self.lines) + st.spaceAfter
        return self.width, self.height

    def draw(self) -> None:
        """Draw the lines flush right."""
        st = self.style
        y = self.height - st.spaceAfter - st.fontSize
        for line in self.lines:
            draw_line(self.canv, line, self.width - line.width, y, st.textColor)
            y -= st.leading
