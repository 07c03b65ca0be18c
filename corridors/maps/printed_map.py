"""
The printed notice's drawings: the routes on a plain street background, and the QR code.

Vector drawings (ReportLab graphics) in the area's projected CRS scaled to the page: the
streets are the shared page's background (``streets.py``: the streets within
:data:`~corridors.maps.streets.NEAR_SHARED_M` of the walked loops, clipped), the routes are
the walked loops and the meeting points their first points, labelled with their names.
No coordinate is written as text. Nothing here opens a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import segno
import shapely
from reportlab.graphics.shapes import Circle, Drawing, Line, Path, PolyLine, Rect, String
from reportlab.lib.colors import Color, HexColor, black, white
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Table, TableStyle

from corridors.maps.pdf_fonts import notice_fonts
from corridors.maps.rtl import draw_line, shape_line
from corridors.maps.streets import NEAR_SHARED_M, _drawn, _near, _runs, _street_edges

if TYPE_CHECKING:
    from corridors.graph import StreetGraph

#: Space (metres) around the routes on a notice's map.
MAP_MARGIN_M = 120.0
#: Routes further apart than this (metres) are drawn in panels of their own, side by side.
PANEL_GAP_M = 2000.0
#: At most this many panels (more places: one map of them all).
MAX_PANELS = 3
_ROUTE = HexColor("#2166ac")
_POINT = HexColor("#1b7837")
_PAPER = HexColor("#fbfaf7")
_TAG = Color(1, 1, 1, alpha=0.8)
_MAJOR, _MINOR, _FRAME = HexColor("#9a9a9a"), HexColor("#c4c4c4"), HexColor("#666666")


def street_background(
    street: StreetGraph, walked: gpd.GeoDataFrame, *, simplify_m: float
) -> gpd.GeoDataFrame:
    """Return the streets near the walked loops, as the shared page draws them (major, minor)."""
    edges = _street_edges(street)
    near, _whole = _near(edges, _drawn([walked], edges.crs), NEAR_SHARED_M)
    return _runs(near, max(simplify_m, 1.0), merge_first=False) if len(near) else near


def map_panels(
    loops: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    *,
    width: float,
    height: float,
    direction: str = "ltr",
) -> Flowable:
    """
    Draw ``loops`` on ``streets``: one map, or a panel per place when the routes lie apart.

    Routes more than :data:`PANEL_GAP_M` apart (two towns of an area) would leave a map of
    empty country between them; up to :data:`MAX_PANELS` such places get a panel each, west
    to east (a map keeps its compass on a right-to-left page too: only the labels move to
    the dots' left). The key is :func:`legend_drawing`, under the map.
    """
    groups = _places(loops)
    if not 1 < len(groups) <= MAX_PANELS:
        return map_drawing(loops, streets, width=width, height=height, direction=direction)
    gap = 6.0
    each = (width - gap * (len(groups) - 1)) / len(groups)
    panels = [
        map_drawing(loops.iloc[rows], streets, width=each, height=height, direction=direction)
        for rows in groups
    ]
    table = Table([panels], colWidths=[each + (gap if i else 0) for i in range(len(groups))])
    table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)])
    )  # fmt: skip
    return table


def _places(loops: gpd.GeoDataFrame) -> list[list[int]]:
    """Return the loops' positions grouped by place (within :data:`PANEL_GAP_M`), west to east."""
    geoms = np.asarray(loops.geometry.values, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if ok.sum() < 2:
        return [list(range(len(loops)))]
    zones = shapely.get_parts(shapely.union_all(shapely.buffer(geoms[ok], PANEL_GAP_M / 2)))
    where = shapely.STRtree(zones).query(geoms[ok], predicate="intersects")
    positions = np.flatnonzero(ok)
    groups: dict[int, list[int]] = {}
    for loop_i, zone_i in zip(*where, strict=True):
        groups.setdefault(int(zone_i), []).append(int(positions[loop_i]))
    west = {z: shapely.bounds(zones[z])[0] for z in groups}
    return [sorted(set(groups[z])) for z in sorted(groups, key=west.__getitem__)]


def map_drawing(
    loops: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    *,
    width: float,
    height: float,
    direction: str = "ltr",
) -> Drawing:
    """
    Draw ``loops`` on ``streets`` in a box at most ``width`` x ``height`` points.

    The box keeps the routes' shape (north up) with :data:`MAP_MARGIN_M` around them; the
    meeting points' names are in the fonts of ``direction`` ("ltr" or "rtl").
    """
    if streets.crs is not None and loops.crs is not None and loops.crs != streets.crs:
        loops = loops.to_crs(streets.crs)
    x0, y0, x1, y1 = np.asarray(loops.total_bounds, dtype=float)
    x0, y0, x1, y1 = x0 - MAP_MARGIN_M, y0 - MAP_MARGIN_M, x1 + MAP_MARGIN_M, y1 + MAP_MARGIN_M
    if (x1 - x0) / width < (y1 - y0) / height:  # the box's shape: widen the area drawn
        half = (y1 - y0) / height * width / 2
        x0, x1 = (x0 + x1) / 2 - half, (x0 + x1) / 2 + half
    scale = width / (x1 - x0)
    drawing = Drawing(width, min(height, (y1 - y0) * scale))
    box = (x0, y0, x0 + width / scale, y0 + drawing.height / scale)
    drawing.add(_rect(0, 0, width, drawing.height, fill=_PAPER))

    def page(geoms: np.ndarray) -> list[np.ndarray]:
        """Lines clipped to the box as page coordinates (points), one array per line."""
        parts = shapely.get_parts(shapely.clip_by_rect(geoms, *box))
        parts = parts[(shapely.get_type_id(parts) == 1) & ~shapely.is_empty(parts)]
        return [(shapely.get_coordinates(p) - (x0, y0)) * scale for p in parts]

    if len(streets):  # only the streets in the box (the index is built once per frame)
        streets = streets.iloc[np.sort(streets.sindex.query(shapely.box(*box)))]
    for major in (0, 1):
        rows = streets[streets["m"] == major] if len(streets) else streets
        lines = page(np.asarray(rows.geometry.values, dtype=object))
        drawing.add(_path(lines, _MAJOR if major else _MINOR, 2.2 if major else 1.1))
    for line in page(np.asarray(loops.geometry.values, dtype=object)):
        drawing.add(_line(line.ravel().tolist(), _ROUTE, 3.2))
    _add_meeting_points(drawing, loops, box, scale, direction=direction)
    drawing.add(_rect(0, 0, width, drawing.height, fill=None, stroke=_FRAME))
    return drawing


def _rect(
    x: float, y: float, w: float, h: float, *, fill: Color | None, stroke: Color | None = None
) -> Rect:
    """Return a rectangle (set attribute by attribute: the stubs' ``Rect(**kw)`` is wrong)."""
    rect = Rect(x, y, w, h)
    rect.fillColor, rect.strokeColor, rect.strokeWidth = fill, stroke, 0.6
    return rect


def _path(lines: list[np.ndarray], colour: Color, weight: float) -> Path:
    """Return ``lines`` (page coordinates) as one stroked path: one PDF object, not one per line."""
    ops: list[float] = []
    for line in lines:  # ReportLab's path operators: 0 moves, 1 draws a line
        ops += [0] + [1] * (len(line) - 1)
    flat = np.concatenate(lines).ravel().tolist() if lines else []
    return Path(flat, ops, fillColor=None, strokeColor=colour, strokeWidth=weight,
                strokeLineJoin=1, strokeLineCap=1)  # fmt: skip


def _line(points: list[float], colour: Color, weight: float) -> PolyLine:
    return PolyLine(points, strokeColor=colour, strokeWidth=weight, strokeLineJoin=1,
                    strokeLineCap=1)  # fmt: skip


def _add_meeting_points(
    drawing: Drawing,
    loops: gpd.GeoDataFrame,
    box: tuple[float, ...],
    scale: float,
    *,
    direction: str = "ltr",
) -> None:
    """Draw a dot at each loop's start, labelled with its meeting point's name (once per place)."""
    _regular, bold = notice_fonts(direction)
    seen: set[tuple[int, int]] = set()
    for geom, name in zip(loops.geometry, loops["meeting_point"], strict=True):
        if geom is None or geom.is_empty:
            continue
        first = shapely.get_point(shapely.get_parts(geom)[0], 0)
        x, y = (first.x - box[0]) * scale, (first.y - box[1]) * scale
        if (round(x), round(y)) in seen or not (box[0] <= first.x <= box[2]):
            continue
        seen.add((round(x), round(y)))
        drawing.add(Circle(x, y, 5, fillColor=_POINT, strokeColor=white, strokeWidth=1.5))
        if str(name or ""):
            drawing.add(_label(str(name), x, y, drawing, font=bold, left=direction == "rtl"))


def _label(
    name: str, x: float, y: float, drawing: Drawing, *, font: str, left: bool = False
) -> String:
    """Return a meeting point's name beside its dot (right, or ``left``), inside the drawing."""
    size = 10.0
    wide = stringWidth(name, font, size)
    lx = x + 8 if x + 8 + wide <= drawing.width - 4 else max(4.0, x - 8 - wide)
    if left:
        lx = x - 8 - wide if x - 8 - wide >= 4 else min(x + 8, drawing.width - 4 - wide)
    ly = max(4.0, y + 5 if y + 5 + size <= drawing.height - 4 else y - 5 - size)
    drawing.add(_rect(lx - 2, ly - 2.5, wide + 4, size + 3, fill=_TAG))
    return String(lx, ly, name, fontName=font, fontSize=size, fillColor=black)


def legend_drawing(width: float, text: Mapping[str, str], direction: str = "ltr") -> Flowable:
    """Return the map's key as a line under it: the routes, the meeting points (from the right)."""
    if direction == "rtl":
        return _RtlLegend(width, text)
    regular, _bold = notice_fonts()
    drawing = Drawing(width, 16)
    drawing.add(Line(2, 8, 22, 8, strokeColor=_ROUTE, strokeWidth=3.2))
    drawing.add(String(28, 4.5, text["routes"], fontName=regular, fontSize=10))
    x = 28 + stringWidth(text["routes"], regular, 10) + 24
    drawing.add(Circle(x, 8, 4.5, fillColor=_POINT, strokeColor=white))
    drawing.add(String(x + 10, 4.5, text["meeting_points"], fontName=regular, fontSize=10))
    return drawing


class _RtlLegend(Flowable):
    """:func:`legend_drawing` mirrored: the route's line at the right, words shaped."""

    def __init__(self, width: float, text: Mapping[str, str]) -> None:
        super().__init__()
        self.width, self.height, self.text = width, 16.0, text

    def draw(self) -> None:
        canvas, regular = self.canv, notice_fonts("rtl")[0]
        right = self.width
        canvas.setStrokeColor(_ROUTE)
        canvas.setLineWidth(3.2)
        canvas.line(right - 22, 8, right - 2, 8)
        routes = shape_line(self.text["routes"], regular, 10)
        draw_line(canvas, routes, right - 28 - routes.width, 4.5, black)
        x = right - 28 - routes.width - 24
        canvas.setFillColor(_POINT)
        canvas.setStrokeColor(white)
        canvas.circle(x, 8, 4.5, stroke=1, fill=1)
        points = shape_line(self.text["meeting_points"], regular, 10)
        draw_line(canvas, points, x - 10 - points.width, 4.5, black)


def qr_drawing(url: str, *, size: float) -> Drawing:
    """
    Return the QR code of ``url`` (segno, error correction M) as a ``size``-point square.

    Dark modules are drawn as black rectangles, a run of modules in a row as one, inside the
    standard quiet zone of four modules.
    """
    code = segno.make(url, error="m", micro=False)
    rows = [bytes(row) for row in code.matrix]
    border = 4
    cell = size / (len(rows) + 2 * border)
    drawing = Drawing(size, size)
    drawing.add(_rect(0, 0, size, size, fill=white))
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            end = c
            while end < len(row) and row[end]:
                end += 1
            x, y = (border + c) * cell, size - (border + r + 1) * cell
            drawing.add(_rect(x, y, (end - c) * cell, cell, fill=black))
            c = end
    return drawing
