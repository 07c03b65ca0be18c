"""
Leaflet building blocks shared by both maps: layers, controls, streets, page elements, bounds.

- :class:`_GeoJsonLayer`: one ``L.geoJSON`` layer per kind of feature, styled in JavaScript,
  with escaped HTML popups and plain-text tooltips (see ``escape``);
- :class:`_LayerControl` (layer names escaped), :class:`_TextSearch` (plain-text results),
  :class:`_OfflineMiniMap` (major streets, online tiles only when allowed);
- the base map, the title and legend boxes, and fitting the view (the streets are in
  ``streets``).

Nothing here opens a file: the functions add to a ``folium.Map`` and return.
Coordinates are WGS84 (EPSG:4326) rounded to 6 decimal places (about 0.1 m); lines are
simplified by ``MapConfig.simplify_m`` metres in the area's CRS first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Figure, MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template
from folium.utilities import get_bounds

from corridors.config import MapConfig
from corridors.errors import CorridorsError, InputDataError
from corridors.maps.escape import _compact_json, _h
from corridors.maps.values import _json_value

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry


class _LayerControl(folium.LayerControl):
    """
    Leaflet's layer switcher, with each layer name escaped by :func:`_h`.

    ``L.control.layers`` writes layer names into the page as HTML, so this is the one place
    names are escaped; layers keep plain-text names (``Layer.layer_name``).
    """

    # branca annotates Element.render -> str; MacroElement.render (called here) returns None
    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Collect the map's layers under escaped names, then render the control."""
        self.reset()
        if self._parent is None:
            raise CorridorsError("the layer control must be added to a map before it is drawn")
        for item in self._parent._children.values():
            if isinstance(item, Layer) and item.control:
                table = self.overlays if item.overlay else self.base_layers
                table[_h(item.layer_name)] = item.get_name()
        MacroElement.render(self, **kwargs)  # type: ignore[no-untyped-call]  # branca: untyped


# -- small Leaflet layer with JS styling (one GeoJSON layer per kind of feature) ----------


class _GeoJsonLayer(Layer):
    """
    A ``L.geoJSON`` layer whose style, popups and tooltips come from feature properties.

    Lighter than ``folium.GeoJson`` (no per-feature style map): ``style_js`` is a JavaScript
    function body with ``f`` the feature. Two properties are shown:

    - ``popup``: HTML built in Python, with every piece of data text escaped by :func:`_h`;
    - ``tip``: plain text, shown as text (``textContent``), never parsed as HTML.

    Points are circle markers, or Font Awesome markers when ``icon`` gives
    ``L.AwesomeMarkers.icon`` options.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON({{ this.data_js() }}, {
            interactive: {{ this.interactive|tojson }},
            style: function(f) { {{ this.style_js }} },
            pointToLayer: function(f, latlng) {
                {%- if this.icon %}
                return L.marker(latlng, {icon: L.AwesomeMarkers.icon(
                    {{ this.icon|tojavascript }})});
                {%- else %}
                return L.circleMarker(latlng, {radius: 7, weight: 2, fillOpacity: 0.9});
                {%- endif %}
            },
            onEachFeature: function(f, layer) {
                var p = f.properties || {};
                if (p.popup) {  // HTML made in Python; data text escaped there
                    layer.bindPopup(p.popup, {{ this.popup_options|tojavascript }});
                }
                if (p.tip) {  // plain text: shown as text, never as HTML
                    var tip = document.createElement("span");
                    tip.textContent = String(p.tip);
                    layer.bindTooltip(tip, {{ this.tooltip_options|tojavascript }});
                }
            }
        });
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data: dict[str, Any],
        *,
        name: str,
        style_js: str,
        interactive: bool = True,
        show: bool = True,
        control: bool = True,
        icon: Mapping[str, str] | None = None,
        popup_options: Mapping[str, Any] | None = None,
        tooltip_options: Mapping[str, Any] | None = None,
        data_json: str | None = None,
    ) -> None:
        super().__init__(name=name, overlay=True, control=control, show=show)
        self._name = "GeoJsonLayer"
        self.data = data
        # what the page gets (a subclass may write it its own way): ``data`` as JSON
        self.data_json = _compact_json(data) if data_json is None else data_json
        self.style_js = style_js
        self.interactive = interactive
        self.icon = dict(icon or {})
        self.popup_options = dict(popup_options or {"max_width": 360})
        self.tooltip_options = dict(tooltip_options or {})

    def data_js(self) -> str:
        """Return the JavaScript expression of the layer's GeoJSON (its data as JSON here)."""
        return self.data_json

    def _get_self_bounds(self) -> list[list[float | None]]:
        """Bounds ``[[south, west], [north, east]]`` of the features (for ``Map.get_bounds``)."""
        return get_bounds(self.data, lonlat=True)


class _Shapes(MacroElement):
    """
    Geometries written once in the page, as a JavaScript array of GeoJSON geometries.

    Layers that draw the same line several times (a loop walked on several days) point into
    it by position (:class:`_ShapeLayer`), so a page holds each line once. Lines are written
    compactly (:func:`_line_steps`: whole micro-degrees, each vertex the step from the one
    before, ``[multi, counts, steps]``) and decoded into GeoJSON by a few lines of JavaScript;
    other geometries as GeoJSON. Only numbers and JSON reach the page (:func:`_compact_json`):
    no text from the data is a key.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function(gs) { return gs.map(function(g) {
            if (!Array.isArray(g)) { return g; }
            var lines = [], x = 0, y = 0, j = 0;
            for (var n = 0; n < g[1].length; n++) {
                var line = [];
                for (var i = 0; i < g[1][n]; i++, j += 2) {
                    x += g[2][j]; y += g[2][j + 1];
                    line.push([x / 1e6, y / 1e6]);
                }
                lines.push(line);
            }
            return g[0] ? {type: "MultiLineString", coordinates: lines}
                        : {type: "LineString", coordinates: lines[0]};
        }); })({{ this.data_json }});
        {% endmacro %}
        """
    )

    def __init__(self, geometries: Sequence[Mapping[str, Any]]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's MacroElement: untyped
        self._name = "Shapes"
        self.geometries = list(geometries)
        self.data_json = _compact_json([_encoded(g) for g in self.geometries])


def _encoded(geometry: Mapping[str, Any]) -> Any:
    """Return a GeoJSON line as ``[multi, counts, steps]`` (:func:`_line_steps`), else as is."""
    kind = geometry.get("type") if geometry else None
    if kind == "LineString":
        lines = [geometry["coordinates"]]
    elif kind == "MultiLineString":
        lines = list(geometry["coordinates"])
    else:
        return geometry
    if not lines or any(len(line) == 0 for line in lines):
        return geometry
    counts, steps = _line_steps(lines)
    return [int(kind == "MultiLineString"), counts, steps]


def _line_steps(lines: Sequence[Sequence[Sequence[float]]]) -> tuple[list[int], list[int]]:
    """
    Return lines of (lon, lat) as their vertex counts and steps.

    Steps are whole micro-degrees (6 decimal places, as the pages write coordinates), each
    vertex the step from the one before across lines, the first from (0, 0).

    Examples
    --------
    >>> _line_steps([[[0.5, 52.0], [0.500001, 52.000002]], [[0.5, 52.0]]])
    ([2, 1], [500000, 52000000, 1, 2, -1, -2])
    """
    counts = [len(line) for line in lines]
    if not counts:
        return [], []
    micro = np.rint(np.concatenate([np.asarray(line, dtype=float) for line in lines]) * 1e6)
    steps = np.diff(micro.astype(np.int64), axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return counts, cast("list[int]", steps.ravel().tolist())


class _ShapeLayer(_GeoJsonLayer):
    """
    A :class:`_GeoJsonLayer` whose features take their geometry from a :class:`_Shapes`.

    ``data`` is the full GeoJSON (for bounds and for Python); the page gets the features
    without geometry and the property ``k``, the position of the geometry in ``shapes``,
    and joins them in the browser. Add ``shapes`` to the map before the layer.
    """

    def __init__(self, data: dict[str, Any], shapes: _Shapes, **kwargs: Any) -> None:
        bare = [{**f, "geometry": None} for f in data["features"]]
        bare_json = _compact_json({"type": "FeatureCollection", "features": bare})
        super().__init__(data, data_json=bare_json, **kwargs)
        self.shapes = shapes

    def data_js(self) -> str:
        """Return the features, each given its geometry from ``shapes`` by its ``k``."""
        return (
            "(function(fc, shapes) { fc.features.forEach(function(f) { "
            "f.geometry = shapes[f.properties.k]; }); return fc; })"
            f"({self.data_json}, {self.shapes.get_name()})"
        )


class _TextSearch(JSCSSMixin, MacroElement):
    """
    leaflet-search over a :class:`_GeoJsonLayer`'s plain-text property ``key``.

    Results are listed as text (``textContent``; the plugin's default would parse them as
    HTML) and picking one zooms to the feature and opens its popup.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = new L.Control.Search({
            layer: {{ this.layer.get_name() }},
            propertyName: {{ this.key|tojson }},
            collapsed: {{ this.collapsed|tojson }},
            textPlaceholder: {{ this.placeholder|tojson }},
            position: "topleft",
            initial: false,
            zoom: {{ this.zoom|tojson }},
            hideMarkerOnCollapse: true,
            buildTip: function(text) {  // a result is plain text, never HTML
                var tip = L.DomUtil.create("li", "");
                tip.textContent = String(text);
                return tip;
            }
        });
        {{ this.get_name() }}.on("search:locationfound", function(e) {
            if (e.layer && e.layer.getPopup()) { e.layer.openPopup(); }
        });
        {{ this._parent.get_name() }}.addControl({{ this.get_name() }});
        {% endmacro %}
        """
    )
    default_js = folium.plugins.Search.default_js
    default_css = folium.plugins.Search.default_css

    def __init__(self, layer: _GeoJsonLayer, *, key: str, placeholder: str, zoom: int = 16) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca's MacroElement: untyped
        self._name = "TextSearch"
        self.layer = layer
        self.key = key
        self.placeholder = placeholder
        self.zoom = zoom
        self.collapsed = False


class _OfflineMiniMap(folium.plugins.MiniMap):
    """leaflet-minimap drawing the major streets (and online tiles when allowed)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }}_layers = [];
        {% if this.tiles %}
        {{ this.get_name() }}_layers.push(L.tileLayer({{ this.tiles|tojson }},
            {attribution: "&copy; OpenStreetMap contributors", maxZoom: 19}));
        {% endif %}
        {{ this.get_name() }}_layers.push(L.geoJSON({{ this.data_json }}, {
            interactive: false, style: function(f) { return {color: "#555", weight: 1}; }}));
        var {{ this.get_name() }} = new L.Control.MiniMap(
            L.layerGroup({{ this.get_name() }}_layers), {{ this.options|tojavascript }});
        {{ this._parent.get_name() }}.addControl({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, data: dict[str, Any], *, tiles: str | None) -> None:
        # folium's MiniMap.__init__ has no annotations
        super().__init__(toggle_display=True, zoom_level_offset=-3)  # type: ignore[no-untyped-call]
        self.data = data
        self.data_json = _compact_json(data)
        self.tiles = tiles


# -- data to layers ---------------------------------------------------------------------


def _geojson(
    frame: gpd.GeoDataFrame, columns: Sequence[str], *, simplify_m: float
) -> dict[str, Any]:
    """
    Return ``frame`` as GeoJSON (EPSG:4326, 6 decimal places).

    Only ``columns`` become properties; each geometry is simplified on its own by
    ``simplify_m`` metres first.
    """
    crs = frame.crs
    if crs is None:
        raise InputDataError(
            f"a map layer with columns {list(frame.columns)[:6]} has no CRS; set it (e.g. "
            "EPSG:27700) before drawing"
        )
    geoms = frame.geometry.values
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    frame = frame[ok]
    kept = geoms[ok]
    if simplify_m > 0 and crs.is_projected:
        shapes = gpd.GeoSeries(shapely.simplify(kept, simplify_m, preserve_topology=True), crs=crs)
    else:
        shapes = gpd.GeoSeries(kept, crs=crs)
    gs = shapes.to_crs(4326)
    rounded = shapely.transform(gs.values, lambda xy: np.round(xy, 6))
    values = {c: frame[c].tolist() for c in columns if c in frame.columns}
    features = []
    for i, geom in enumerate(rounded):
        props = {c: _json_value(v[i]) for c, v in values.items()}
        features.append({"type": "Feature", "properties": props, "geometry": _mapping(geom)})
    return {"type": "FeatureCollection", "features": features}


def _joined(geoms: np.ndarray) -> np.ndarray:
    """
    Return ``geoms`` with each MultiLineString's lines joined into runs (a new array).

    A corridor is one line per street edge: joined, it draws, simplifies and buffers as a
    few long lines. Other geometries are kept as they are.
    """
    out = np.array(geoms, dtype=object)
    multi = shapely.get_type_id(out) == 5
    out[multi] = shapely.line_merge(out[multi])
    return out


def _mapping(geom: Any) -> dict[str, Any]:
    """
    Return ``geom`` as a GeoJSON geometry (``shapely.geometry.mapping``, lines made faster).

    Lines, the bulk of a page (streets, corridors, loops), are read as arrays, not vertex by
    vertex in Python; coordinates are lists (the same JSON as ``mapping``'s tuples).

    Examples
    --------
    >>> from shapely.geometry import MultiLineString
    >>> _mapping(MultiLineString([[(0, 0), (1, 1)], [(2, 2), (3, 3), (4, 4)]]))["coordinates"]
    [[[0.0, 0.0], [1.0, 1.0]], [[2.0, 2.0], [3.0, 3.0], [4.0, 4.0]]]
    """
    kind = shapely.get_type_id(geom)
    if kind == 1 and shapely.get_coordinate_dimension(geom) == 2:  # LineString
        return {"type": "LineString", "coordinates": shapely.get_coordinates(geom).tolist()}
    if kind == 5 and not geom.is_empty and shapely.get_coordinate_dimension(geom) == 2:
        parts = shapely.get_parts(geom)
        coords = shapely.get_coordinates(parts)
        ends = np.cumsum(shapely.get_num_coordinates(parts))[:-1]
        return {"type": "MultiLineString",
                "coordinates": [part.tolist() for part in np.split(coords, ends)]}  # fmt: skip
    return dict(shapely.geometry.mapping(geom))


def _base_map(cfg: MapConfig) -> folium.Map:
    m = folium.Map(
        location=[52.67, -0.73], zoom_start=13, tiles=None, control_scale=True, prefer_canvas=False
    )
    if cfg.online_tiles:
        folium.TileLayer(
            "OpenStreetMap", name="OpenStreetMap tiles (online only)", overlay=False, control=True
        ).add_to(m)
    return m


# -- page elements and the view -------------------------------------------------------


def _figure(m: folium.Map) -> Figure:
    root = m.get_root()
    if not isinstance(root, Figure):
        raise CorridorsError("the map must be the root of a folium Figure to take page elements")
    return root


def _add_title(m: folium.Map, title: str) -> None:
    _figure(m).html.add_child(
        folium.Element(
            '<div id="sc-title" style="position:fixed;top:10px;left:50%;transform:translateX(-50%);'
            "z-index:1000;background:rgba(255,255,255,.9);padding:4px 12px;border-radius:4px;"
            f'font:bold 15px sans-serif">{_h(title)}</div>'
        )
    )


def _add_legend(m: folium.Map, body: str) -> None:
    _figure(m).html.add_child(
        folium.Element(
            '<div id="sc-legend" style="position:fixed;bottom:70px;left:10px;z-index:1000;'
            "background:rgba(255,255,255,.92);padding:6px 10px;border-radius:6px;"
            f'box-shadow:0 1px 5px rgba(0,0,0,.4);font:12px/1.5 sans-serif">{body}</div>'
        )
    )


def _fit(
    m: folium.Map,
    bounds: list[list[float]] | None,
    *,
    padding_top_left: tuple[int, int] | None = None,
) -> None:
    if bounds:
        fit = folium.map.FitBounds(bounds, padding_top_left=padding_top_left)
        # no zoom animation on open: the vector layers are drawn once, for the final view
        # (an animated first fit can leave them clipped to the start view until a pan)
        fit.options["animate"] = False
        m.add_child(fit)
        m.location = _centre(bounds)


def _centre(bounds: list[list[float]]) -> list[float]:
    """Return the middle ``[lat, lon]`` of ``[[south, west], [north, east]]``."""
    return [
        round((bounds[0][0] + bounds[1][0]) / 2, 6),
        round((bounds[0][1] + bounds[1][1]) / 2, 6),
    ]


def _bounds_of_frames(frames: Sequence[gpd.GeoDataFrame]) -> list[list[float]] | None:
    geoms = []
    for frame in frames:
        if frame is not None and len(frame) and frame.crs is not None:
            geoms.append(frame.to_crs(4326).total_bounds)
    if not geoms:
        return None
    arr = np.array(geoms)
    return [
        [round(float(arr[:, 1].min()), 6), round(float(arr[:, 0].min()), 6)],
        [round(float(arr[:, 3].max()), 6), round(float(arr[:, 2].max()), 6)],
    ]


def _bounds_of(
    geoms: Sequence[BaseGeometry | None], *, crs: str | None
) -> list[list[float]] | None:
    drawn = [g for g in geoms if g is not None and not g.is_empty]
    if not drawn or crs is None:
        return None
    return _bounds_of_frames([gpd.GeoDataFrame(geometry=drawn, crs=crs)])
