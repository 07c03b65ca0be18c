"""
The street background of the pages: only the streets near what is drawn, simplified per edge.

A page's size follows what is planned, not the size of the street graph:

- the shared page draws the streets within :data:`NEAR_SHARED_M` of the walked loops, clipped
  to that distance (:func:`_add_shared_streets`);
- the internal page draws the streets within :data:`NEAR_INTERNAL_M` of its corridors, loops,
  hotspots, schools and hubs, plus a coarse overview of the major streets of the whole area
  (:func:`_add_internal_streets`): street runs merged, then simplified by :data:`OVERVIEW_M`;
- the mini-map draws the overview (the internal page) or the major streets near the loops
  (the shared page) at :data:`MINIMAP_M`.

Streets are clipped before they are simplified, and simplified one edge (or one merged street
run) at a time: simplifying a whole merged network at once is about quadratic in its size.
Coordinates keep the pages' 6 decimal places (at 5, about 1 m, a street vertex can read
exactly as a published incident location, which the shared page must never hold), written
compactly (:class:`_StreetLayer`): whole micro-degrees, each vertex as the step from the one
before, decoded into GeoJSON by a few lines of JavaScript in the page.
Nothing here opens a file: the functions add to a ``folium.Map`` and return.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.template import Template

from corridors.errors import InputDataError
from corridors.maps.escape import _compact_json
from corridors.maps.layers import _geojson, _GeoJsonLayer, _joined, _line_steps, _OfflineMiniMap

if TYPE_CHECKING:
    import folium

    from corridors.config import MapConfig
    from corridors.graph import StreetGraph

#: Streets within this distance (metres) of a walked loop are the shared page's background.
NEAR_SHARED_M = 200.0
#: Streets within this distance (metres) of the internal page's features are drawn in detail.
NEAR_INTERNAL_M = 300.0
#: Tolerance (metres) of the internal page's overview of the major streets.
OVERVIEW_M = 15.0
#: Tolerance (metres) of the mini-map's streets.
MINIMAP_M = 30.0

_MAJOR_HIGHWAYS = {
    "motorway", "trunk", "primary", "secondary", "tertiary",
    "motorway_link", "trunk_link", "primary_link", "secondary_link", "tertiary_link",
}  # fmt: skip
_STREET_STYLE = (
    'return f.properties.m ? {color: "#666", weight: 3, opacity: 0.8} '
    ': {color: "#999", weight: 1.5, opacity: 0.8};'
)
_NO_LINES = np.array([], dtype=object)


def _street_edges(street: StreetGraph) -> gpd.GeoDataFrame:
    """
    One line per street edge (a two-way edge once), with ``m`` = 1 for a major street.

    Made once per street graph and kept while its ``edges`` table lives: a week's pages and
    notices all draw from it (five times over the whole graph before, about 4 s each for a
    city). Callers must not change the frame returned; its spatial index is kept with it.
    """
    edges = street.edges
    if edges.crs is None:
        raise InputDataError("street.edges has no CRS; build it with corridors.graph")
    if edges.attrs.get(STREET_LINES):  # already these lines (a part's, cut from the area's)
        return edges
    key = id(edges)
    hit = _EDGES.get(key)
    if hit is not None and hit[0]() is edges:
        return hit[1]
    out = _one_way_lines(edges)
    _EDGES[key] = (weakref.ref(edges, lambda _ref: _EDGES.pop(key, None)), out)
    return out


#: ``attrs`` key of a table that is already :func:`_street_edges` lines (a part page's).
STREET_LINES = "corridors_street_lines"
#: :func:`_street_edges` of each live ``edges`` table, by the table's id.
_EDGES: dict[int, tuple[weakref.ref[gpd.GeoDataFrame], gpd.GeoDataFrame]] = {}


def _one_way_lines(edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Each line of ``edges`` once (a two-way edge is two rows), ``m`` = 1 for a major street."""
    geoms = shapely.normalize(edges.geometry.values)
    keep = ~pd.Series(shapely.to_wkb(geoms)).duplicated().to_numpy()  # one line per two-way edge
    out = edges[keep]
    return gpd.GeoDataFrame(
        {"m": _major(out.get("highway"), len(out))}, geometry=out.geometry.values, crs=edges.crs
    )


def _major(highway: pd.Series | None, n: int) -> np.ndarray:
    """1 where an edge's (first) ``highway`` value is a major street, else 0."""
    if highway is None:
        return np.zeros(n, dtype=np.int64)
    first = [(v[0] if v else "") if isinstance(v, (list, tuple)) else v for v in highway]
    return np.fromiter((str(v) in _MAJOR_HIGHWAYS for v in first), dtype=bool, count=n).astype(
        np.int64
    )


def _drawn(frames: Sequence[gpd.GeoDataFrame | None], crs: Any) -> np.ndarray:
    """Return the geometries of ``frames`` (in ``crs``), missing and empty ones left out."""
    parts = []
    for frame in frames:
        if frame is None or not len(frame) or frame.crs is None:
            continue
        geoms = (frame.to_crs(crs) if frame.crs != crs else frame).geometry.values
        ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        parts.append(np.asarray(geoms[ok], dtype=object))
    return np.concatenate(parts) if parts else _NO_LINES


def _near(
    edges: gpd.GeoDataFrame, around: np.ndarray, radius_m: float
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """
    Return the parts of ``edges`` within ``radius_m`` of any of ``around``, clipped.

    Also returns the positions (in ``edges``) of the edges kept whole.

    An edge inside one zone (a feature's buffer) is kept whole; an edge that leaves every
    zone it touches is cut to the zones (the union of its pieces).
    """
    none = np.array([], dtype=np.intp)
    if not len(around) or not len(edges):
        return edges.iloc[:0], none
    around = _joined(around)  # a corridor's edges as runs: fewer, longer lines to buffer
    zones = shapely.buffer(shapely.simplify(around, radius_m / 20), radius_m, quad_segs=4)
    shapely.prepare(zones)
    lines = np.asarray(edges.geometry.values, dtype=object)
    zone_i, edge_i = edges.sindex.query(zones, predicate="intersects")  # cached per frame
    whole = np.unique(edge_i[shapely.covered_by(lines[edge_i], zones[zone_i])])
    cut = ~np.isin(edge_i, whole)
    order = np.argsort(edge_i[cut], kind="stable")
    ids, starts = np.unique(edge_i[cut][order], return_index=True)
    pieces = shapely.intersection(lines[edge_i[cut][order]], zones[zone_i[cut][order]])
    merged = [
        group[0] if len(group) == 1 else shapely.union_all(group)
        for group in np.split(pieces, starts[1:])
    ] if len(ids) else []  # fmt: skip
    keep = np.concatenate([whole, ids])
    geoms = np.concatenate([lines[whole], np.asarray(merged, dtype=object)])
    frame = gpd.GeoDataFrame(
        {"m": edges["m"].to_numpy()[keep]}, geometry=list(geoms), crs=edges.crs
    )
    return frame, whole


def _runs(edges: gpd.GeoDataFrame, tolerance_m: float, *, merge_first: bool) -> gpd.GeoDataFrame:
    """
    Streets as two MultiLineStrings (major, minor), each line simplified on its own.

    ``merge_first``: merge edges into street runs, then simplify each run (an overview);
    otherwise simplify each edge, then merge (detail: every junction stays where it is).
    """
    rows = []
    for major in (1, 0):
        lines = shapely.get_parts(edges.geometry.values[(edges["m"] == major).to_numpy()])
        lines = lines[shapely.get_type_id(lines) == 1]  # clipping can leave points
        if not len(lines):
            continue
        if merge_first:
            lines = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(lines)))
        lines = shapely.simplify(lines, tolerance_m, preserve_topology=True)
        if not merge_first:
            lines = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(lines)))
        rows.append({"m": major, "geometry": shapely.multilinestrings(_in_bands(lines))})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=edges.crs) if rows else edges.iloc[:0]


class _StreetLayer(_GeoJsonLayer):
    """
    A street layer written compactly: ``[[m, counts, steps], ...]`` per kind (major, minor).

    ``counts`` are the vertices of each line; ``steps`` the vertices as whole micro-degrees
    (lon, lat), each the step from the vertex before (the first from 0, 0), across lines.
    The page decodes them into the same GeoJSON (``self.data``) as :func:`_geojson` gives;
    only numbers reach the page.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON((function(kinds) {
            return {type: "FeatureCollection", features: kinds.map(function(k) {
                var lines = [], x = 0, y = 0, j = 0;
                for (var n = 0; n < k[1].length; n++) {
                    var line = [];
                    for (var i = 0; i < k[1][n]; i++, j += 2) {
                        x += k[2][j]; y += k[2][j + 1];
                        line.push([x / 1e6, y / 1e6]);
                    }
                    lines.push(line);
                }
                return {type: "Feature", properties: {m: k[0]},
                        geometry: {type: "MultiLineString", coordinates: lines}};
            })};
        })({{ this.data_json }}), {
            interactive: false,
            style: function(f) { {{ this.style_js }} }
        });
        {% endmacro %}
        """
    )

    def __init__(self, data: dict[str, Any], *, name: str) -> None:
        steps = _compact_json([_steps(f) for f in data["features"]])
        super().__init__(
            data, name=name, style_js=_STREET_STYLE, interactive=False, data_json=steps
        )


def _steps(feature: dict[str, Any]) -> list[Any]:
    """One kind of street as ``[m, counts, steps]`` (see :class:`_StreetLayer`)."""
    geom = feature["geometry"]
    lines = geom["coordinates"] if geom["type"] == "MultiLineString" else [geom["coordinates"]]
    counts, steps = _line_steps(lines)
    return [feature["properties"]["m"], counts, steps]


def _street_layer(m: folium.Map, frame: gpd.GeoDataFrame, *, name: str) -> None:
    _StreetLayer(_geojson(frame, ["m"], simplify_m=0), name=name).add_to(m)


def _add_minimap(m: folium.Map, frame: gpd.GeoDataFrame, cfg: MapConfig) -> None:
    """Add the mini-map, drawing ``frame``'s streets (only the major ones when it has any)."""
    major = frame[frame["m"] == 1]
    lines = _runs(major if len(major) else frame, MINIMAP_M, merge_first=True)
    data = _geojson(lines, [], simplify_m=0)
    tiles = "https://tile.openstreetmap.org/{z}/{x}/{y}.png" if cfg.online_tiles else None
    _OfflineMiniMap(data, tiles=tiles).add_to(m)


def _add_shared_streets(
    m: folium.Map, street: StreetGraph, walked: gpd.GeoDataFrame, cfg: MapConfig, *, name: str
) -> None:
    """Draw the streets near the walked loops (none when nothing is walked)."""
    edges = _street_edges(street)
    near, _whole = _near(edges, _drawn([walked], edges.crs), NEAR_SHARED_M)
    if len(near):
        _street_layer(m, _runs(near, max(cfg.simplify_m, 1.0), merge_first=False), name=name)
    if cfg.minimap and len(near):
        _add_minimap(m, near, cfg)


def _add_internal_streets(
    m: folium.Map,
    street: StreetGraph,
    around: Sequence[gpd.GeoDataFrame | None],
    cfg: MapConfig,
    *,
    name: str,
) -> None:
    """
    Draw the internal page's streets in one layer.

    The streets near ``around`` (the corridors, loops, hotspots, schools and hubs) are drawn
    in detail, and the other major streets of the area as a coarse overview; the mini-map
    (when ``cfg.minimap``) draws the major streets.
    """
    edges = _street_edges(street)
    near, whole = _near(edges, _drawn(around, edges.crs), NEAR_INTERNAL_M)
    detail = _runs(near, max(cfg.simplify_m, 1.0), merge_first=False)
    rest = np.ones(len(edges), dtype=bool)
    rest[whole] = False  # an edge cut at the edge of the detail is in both
    overview = _runs(edges[rest & (edges["m"] == 1).to_numpy()], OVERVIEW_M, merge_first=True)
    lines = _combine([overview, detail], crs=edges.crs)
    if len(lines):
        _street_layer(m, lines, name=name)
    if cfg.minimap and len(edges):
        _add_minimap(m, edges, cfg)


def _combine(frames: Sequence[gpd.GeoDataFrame], *, crs: Any) -> gpd.GeoDataFrame:
    """Frames of :func:`_runs` as one: a MultiLineString per kind (major, minor)."""
    rows = []
    for major in (1, 0):
        parts = [shapely.get_parts(f.geometry.values[(f["m"] == major).to_numpy()]) for f in frames]
        lines = np.concatenate(parts) if parts else _NO_LINES
        if len(lines):
            rows.append({"m": major, "geometry": shapely.multilinestrings(_in_bands(lines))})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs) if rows else gpd.GeoDataFrame()


def _in_bands(lines: np.ndarray) -> np.ndarray:
    """Lines in 500 m bands south to north, west to east in each: short steps between them."""
    if not len(lines):
        return lines
    start = shapely.get_coordinates(shapely.get_point(lines, 0))
    return lines[np.lexsort((start[:, 0], np.floor(start[:, 1] / 500)))]
