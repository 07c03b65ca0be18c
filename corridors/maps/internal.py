"""
The team's internal map.

Streets, hotspots (and a heat layer), corridors by risk, patrol loops with one layer per
day, schools and hubs, with the evidence and the team in popups.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors.config import MapConfig
from corridors.maps.escape import _h, _href
from corridors.maps.layers import (
    _add_legend,
    _add_title,
    _base_map,
    _bounds_of,
    _bounds_of_frames,
    _figure,
    _fit,
    _geojson,
    _GeoJsonLayer,
    _joined,
    _LayerControl,
    _ShapeLayer,
    _Shapes,
    _TextSearch,
)
from corridors.maps.notice import _PageFigure
from corridors.maps.popups import (
    _brief_corridor_popup,
    _brief_week_popup,
    _corridor_popup,
    _hotspot_popup,
    _loop_popup,
    _PatrolPeople,
    _point_popup,
    _team_text,
    _teams_by_corridor,
)
from corridors.maps.streets import _add_internal_streets
from corridors.maps.values import _as_date, _json_value, _risk_classes, _week_start

if TYPE_CHECKING:
    from corridors.graph import StreetGraph
    from corridors.hotspots import Hotspots
    from corridors.load import Inputs
    from corridors.roster import Roster
    from corridors.routes import Corridors

logger = logging.getLogger(__name__)

_RISK_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")  # ColorBrewer YlOrRd
_AIM_COLOURS = {
    "deterrence": "#542788",
    "reassurance": "#2166ac",
    "engagement": "#1b7837",
    "safeguarding": "#c51b7d",
}

_LOOP_COLOUR = "#2166ac"
#: Least tolerance (metres) of the corridors, hotspots and loops on an overview page.
OVERVIEW_SIMPLIFY_M = 10.0


def render_internal_map(
    *,
    inputs: Inputs,
    street: StreetGraph,
    spots: Hotspots | None,
    corridors: Corridors | None,
    rota: Roster | None,
    cfg: MapConfig,
    week: str,
    title: str,
    part_of: Mapping[str, str] | None = None,
    links: Sequence[tuple[str, str]] = (),
) -> folium.Map:
    """
    Draw the team's internal map for one week.

    Parameters
    ----------
    inputs
        ``corridors.load.Inputs``: schools and hubs (points) and the study area, in the area's
        projected CRS (metres).
    street
        ``corridors.graph.StreetGraph``: its ``edges`` are drawn as the street layer: in
        detail near the corridors, loops, hotspots, schools and hubs, and the major streets
        of the whole area as a coarse overview (``corridors.maps.streets``).
    spots
        ``corridors.hotspots.Hotspots`` or None (stage not run): hotspot polygons, and a
        heat layer of the selected incidents when ``cfg.heat_layer``.
    corridors
        ``corridors.routes.Corridors`` or None: corridors coloured by risk (quintiles) with
        their evidence, and patrol loops.
    rota
        ``corridors.roster.Roster`` or None: loops get one layer per patrol day, with the team
        in the popup; without it the loops are drawn in one layer.
    cfg
        Map settings (``online_tiles``, ``simplify_m``, ``heat_layer``, ``minimap``).
    week
        ISO week, ``"YYYY-Www"``.
    title
        Heading shown on the map.
    part_of
        Draw the overview of an area in parts (``corridors.maps.parts``): each corridor's
        part (plain-text label). No street detail (only the major streets, coarse),
        corridors, hotspots and loops simplified by at least :data:`OVERVIEW_SIMPLIFY_M`,
        no heat layer, and short popups naming the part page with the rest.
    links
        ``(label, relative path)`` of the pages to list in a box (the parts on the overview,
        the overview on a part); labels are plain text, paths the pages' own.

    Returns
    -------
    folium.Map
        The map, fitted to the study area (or to what it draws). Save it with
        :func:`save_offline`.

    Raises
    ------
    ConfigError
        If ``week`` is not an ISO week.
    InputDataError
        If a layer has no CRS.
    """
    week_start = _week_start(week)
    overview = part_of is not None
    if overview:
        cfg = dataclasses.replace(  # the page is the whole area: no mini-map of it
            cfg, simplify_m=max(cfg.simplify_m, OVERVIEW_SIMPLIFY_M), heat_layer=False,
            minimap=False,
        )  # fmt: skip
    m = _base_map(cfg)
    # <html lang="en">, a <title>, and a viewport that lets people zoom (folium's forbids it)
    _PageFigure(title=f"{title}: week {week}", code="en").add_child(m)
    around = [inputs.schools, inputs.hubs]
    if spots is not None:
        around.append(spots.polygons)
    if corridors is not None:
        around += [corridors.corridors, corridors.loops]
    _add_internal_streets(m, street, [] if overview else around, cfg, name="Streets")
    counts = _add_features(m, inputs, spots, corridors, rota, cfg, part_of)
    source = spots.method_source if spots is not None else ""
    _add_legend(m, _internal_legend(spots is not None, rota, source))
    _add_title(m, f"{title}: week {week} (from {week_start:%d %b %Y})")
    if links:
        _add_links(m, links)
    _LayerControl(collapsed=False).add_to(m)
    _fit(m, _internal_bounds(inputs, street))
    logger.info(
        "Rendered internal map for %s: %s",
        week,
        ", ".join(f"{v:,} {k}" for k, v in counts.items()) or "streets only",
    )
    return m


def _add_features(
    m: folium.Map,
    inputs: Inputs,
    spots: Hotspots | None,
    corridors: Corridors | None,
    rota: Roster | None,
    cfg: MapConfig,
    part_of: Mapping[str, str] | None,
) -> dict[str, int]:
    """Add the hotspots (and heat), corridors, loops, hubs and schools; return the counts."""
    counts: dict[str, int] = {}
    if spots is not None and len(spots.polygons):
        counts["hotspots"] = _add_hotspots(m, spots.polygons, cfg)
    if spots is not None and cfg.heat_layer and len(spots.selected):
        _add_heat(m, spots.selected)
    if corridors is not None and len(corridors.corridors):
        counts["corridors"] = _add_corridors(m, corridors.corridors, rota, cfg, part_of)
    if corridors is not None and len(corridors.loops):
        counts["loops"] = _add_internal_loops(m, corridors.loops, rota, cfg, part_of)
    for frame, kind in ((inputs.hubs, "hubs"), (inputs.schools, "schools")):
        if frame is not None and len(frame):
            _add_points(m, frame, kind=kind)
            counts[kind] = len(frame)
    return counts


def _add_links(m: folium.Map, links: Sequence[tuple[str, str]]) -> None:
    """Add a box listing the pages ``links`` (plain-text label, the page's own relative path)."""
    items = "".join(f'<li><a href="{_href(path)}">{_h(label)}</a></li>' for label, path in links)
    _figure(m).html.add_child(
        folium.Element(
            '<nav id="sc-parts" aria-label="Pages" style="position:fixed;top:130px;left:10px;'
            "z-index:1000;max-height:30vh;max-width:300px;overflow:auto;"
            "background:rgba(255,255,255,.92);padding:6px 10px;border-radius:6px;"
            'box-shadow:0 1px 5px rgba(0,0,0,.4);font:12px/1.5 sans-serif">'
            f'<b>Pages</b><ul style="margin:0;padding-left:18px">{items}</ul></nav>'
        )
    )


def _add_hotspots(m: folium.Map, polygons: gpd.GeoDataFrame, cfg: MapConfig) -> int:
    """Draw the hotspot polygons with their evidence in popups; return how many."""
    polys = polygons.copy()
    polys["popup"] = [_hotspot_popup(row) for _, row in polys.iterrows()]
    data = _geojson(polys, ["popup"], simplify_m=cfg.simplify_m)
    _GeoJsonLayer(
        data,
        name="Hotspots (after school)",
        style_js='return {color: "#b2182b", weight: 1, fillColor: "#ef8a62", fillOpacity: 0.35};',
    ).add_to(m)
    return len(polys)


def _add_heat(m: folium.Map, selected: gpd.GeoDataFrame) -> None:
    """
    Add a heat layer (hidden at first) of the selected incidents, by their weight.

    Incidents at one place (police.uk snaps them to a few anonymised points) are one point
    with their weights added: the heat layer adds the weights of nearby points anyway, so the
    map is the same, and the page carries each place once.
    """
    pts = selected.to_crs(4326)
    weights = pts["weight"] if "weight" in pts.columns else pd.Series(1.0, index=pts.index)
    geoms = pts.geometry.values
    keep = (shapely.get_type_id(geoms) == 0) & ~shapely.is_empty(geoms)  # points only
    xy = shapely.get_coordinates(pts.geometry.values[keep])
    places = pd.DataFrame(
        {"lat": np.round(xy[:, 1], 6), "lon": np.round(xy[:, 0], 6),
         "w": pd.to_numeric(weights[keep], errors="coerce").fillna(0.0).to_numpy()}
    ).groupby(["lat", "lon"], sort=False, as_index=False)["w"].sum()  # fmt: skip
    heat = [
        [float(lat), float(lon), round(float(w), 3)]
        for lat, lon, w in zip(places["lat"], places["lon"], places["w"], strict=True)
    ]  # incidents are points: others are left out
    # folium's HeatMap.__init__ has no annotations
    heat_layer = folium.plugins.HeatMap(  # type: ignore[no-untyped-call]
        heat, name="Incident heat (after school)", show=False
    )
    heat_layer.add_to(m)


def _add_corridors(
    m: folium.Map,
    corridors: gpd.GeoDataFrame,
    rota: Roster | None,
    cfg: MapConfig,
    part_of: Mapping[str, str] | None = None,
) -> int:
    """Draw the corridors coloured by risk quintile, evidence and team in popups.

    On an overview (``part_of``), the popups are short and name the corridor's part page.
    """
    cor = corridors.copy()
    risk = pd.to_numeric(cor.get("risk", pd.Series(0.0, index=cor.index)), errors="coerce")
    cor["c"] = _risk_classes(risk.fillna(0.0))
    teams = _teams_by_corridor(rota)
    cor["popup"] = [
        _corridor_popup(row, teams.get(str(row.get("corridor_id")), ""))
        if part_of is None
        else _brief_corridor_popup(row, part_of.get(str(row.get("corridor_id")), ""))
        for _, row in cor.iterrows()
    ]
    cor["tip"] = [f"Corridor {row.get('corridor_id')}" for _, row in cor.iterrows()]
    joined = _joined(np.asarray(cor.geometry.values, dtype=object))  # edges joined into runs
    cor = cor.set_geometry(gpd.GeoSeries(joined, index=cor.index, crs=cor.crs))
    data = _geojson(cor, ["c", "popup", "tip"], simplify_m=cfg.simplify_m)
    shapes = _Shapes([f["geometry"] for f in data["features"]])  # written compactly
    shapes.add_to(m)
    for k, feature in enumerate(data["features"]):
        feature["properties"]["k"] = k
    colours = json.dumps(list(_RISK_COLOURS))
    _ShapeLayer(
        data,
        shapes,
        name="Corridors (by risk)",
        style_js=f"return {{color: {colours}[f.properties.c], weight: 6, opacity: 0.9}};",
    ).add_to(m)
    return len(cor)


def _internal_bounds(inputs: Inputs, street: StreetGraph) -> list[list[float]] | None:
    """Return the study area's bounds, else the streets'."""
    study_area = getattr(inputs, "study_area", None)
    bounds = _bounds_of(
        [study_area] if study_area is not None else [], crs=getattr(inputs, "crs", None)
    )
    return bounds or _bounds_of_frames([street.edges])


#: Marker icons of the internal map's point layers (``L.AwesomeMarkers.icon`` options).
_POINT_ICONS = {
    "schools": {"markerColor": "green", "iconColor": "white", "icon": "school", "prefix": "fa",
                "extraClasses": "fa-rotate-0"},
    "hubs": {"markerColor": "cadetblue", "iconColor": "white", "icon": "bus", "prefix": "fa",
             "extraClasses": "fa-rotate-0"},
}  # fmt: skip
_POINT_CSS = (
    "<style>.sc-detail table{margin:auto}.sc-detail tr{text-align:left}"
    ".sc-detail th{padding:2px;padding-right:8px}</style>"
)


def _add_points(m: folium.Map, frame: gpd.GeoDataFrame, *, kind: str) -> None:
    """Draw schools or hubs as markers: name as tooltip, their fields as a popup table.

    Schools also get the "Find a school" search box, over the plain-text ``name``.
    """
    pts = frame.copy()
    pts["geometry"] = pts.geometry.representative_point()
    cols = [c for c in ("name", "phase", "kind", "school_id", "hub_id") if c in pts.columns]
    pts["name"] = (
        pts["name"].astype(object).where(pts["name"].notna(), "(no name)")
        if "name" in pts
        else "(no name)"
    )
    fields = list(dict.fromkeys(["name", *cols]))
    pts["tip"] = pts["name"].astype(str)
    pts["popup"] = [_point_popup(row, fields) for _, row in pts.iterrows()]
    data = _geojson(pts, ["name", "tip", "popup"], simplify_m=0)
    _figure(m).header.add_child(folium.Element(_POINT_CSS), name="sc_detail_css")
    layer = _GeoJsonLayer(
        data,
        name="Schools" if kind == "schools" else "Transport hubs",
        style_js="return {};",
        icon=_POINT_ICONS[kind],
        popup_options={"max_width": 360, "class_name": "sc-detail"},
        tooltip_options={"sticky": True, "class_name": "sc-detail"},
    )
    layer.add_to(m)
    if kind == "schools":
        _TextSearch(layer, key="name", placeholder="Find a school", zoom=16).add_to(m)


def _add_internal_loops(
    m: folium.Map,
    loops: gpd.GeoDataFrame,
    rota: Roster | None,
    cfg: MapConfig,
    part_of: Mapping[str, str] | None = None,
) -> int:
    """
    Draw the patrol loops: one layer per patrol day (one layer when not rostered).

    Each loop's line is written once in the page (:class:`_Shapes`); the day layers hold
    only its position, aim and popup, and take the line from there in the browser, so the
    page does not grow with the days a loop is walked. Returns how many patrols are drawn.
    """
    loops = loops.copy()
    loops["loop_id"] = loops["loop_id"].astype(str)
    geoms = loops.geometry.values
    loops = loops[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    loops = loops[~loops["loop_id"].duplicated()].reset_index(drop=True)
    loops["k"] = range(len(loops))
    shapes = _Shapes(
        [f["geometry"] for f in _geojson(loops, [], simplify_m=cfg.simplify_m)["features"]]
    )
    shapes.add_to(m)
    aim_js = json.dumps(_AIM_COLOURS)
    style = (
        f'return {{color: ({aim_js})[f.properties.aim] || "{_LOOP_COLOUR}", weight: 3, '
        'dashArray: "6 4"};'
    )
    if rota is None or not len(rota.slots):
        loops["aim"] = ""
        loops["popup"] = [_loop_popup(row, None, "") for _, row in loops.iterrows()]
        data = _shape_features(loops, shapes, ["aim", "popup", "k"])
        _ShapeLayer(data, shapes, name="Patrol loops (not rostered)", style_js=style).add_to(m)
        return len(loops)
    slots = rota.slots.copy()
    slots["loop_id"] = slots["loop_id"].astype(str)
    if part_of is not None:  # an overview: each loop once, its week's patrols in the popup
        week = _week_loops(loops, slots, part_of)
        data = _shape_features(week, shapes, ["aim", "popup", "k"])
        _ShapeLayer(data, shapes, name="Patrols this week", style_js=style).add_to(m)
        return int(week["patrols"].sum())
    slots["_date"] = [_as_date(d) for d in slots.get("date", pd.Series([None] * len(slots)))]
    n = 0
    dates: list[dt.date | None] = sorted({d for d in slots["_date"] if d is not None})
    for date in dates or [None]:
        day_slots = slots[[d == date for d in slots["_date"]]]
        frame = _day_loops(loops, day_slots, rota.assignments)
        if frame is None:
            continue
        label = f"Patrols {date:%a %d %b}" if date is not None else "Patrols"
        data = _shape_features(frame, shapes, ["aim", "popup", "k"])
        _ShapeLayer(data, shapes, name=label, style_js=style).add_to(m)
        n += len(frame)
    return n


def _shape_features(frame: pd.DataFrame, shapes: _Shapes, columns: list[str]) -> dict[str, Any]:
    """GeoJSON of ``frame``'s ``columns``, each feature with the geometry ``shapes[k]``."""
    features = [
        {
            "type": "Feature",
            "properties": {c: _json_value(row[c]) for c in columns},
            "geometry": shapes.geometries[int(row["k"])],
        }
        for _, row in frame.iterrows()
    ]
    return {"type": "FeatureCollection", "features": features}


def _loop_records(loops: gpd.GeoDataFrame) -> tuple[list[dict[Any, Any]], dict[str, int]]:
    """Return the loops as records (not a pandas row per patrol) and each loop id's position."""
    rows = loops.drop(columns=loops.geometry.name).to_dict("records")
    return rows, {str(lid): i for i, lid in enumerate(loops["loop_id"])}


def _week_loops(
    loops: gpd.GeoDataFrame, slots: pd.DataFrame, part_of: Mapping[str, str]
) -> pd.DataFrame:
    """One row per rostered loop: its ``k``, first aim, patrols and a popup listing them.

    An overview of a city has thousands of patrols a week; a day layer each would draw
    every loop five times, with a popup per patrol (about 2 MB at 1,500 schools).
    """
    rows, first = _loop_records(loops)
    by_loop: dict[int, list[dict[Any, Any]]] = {}
    for slot in slots.to_dict("records"):
        i = first.get(str(slot["loop_id"]))
        if i is not None:
            by_loop.setdefault(i, []).append(slot)
    at = sorted(by_loop)
    return pd.DataFrame({
        "k": loops["k"].to_numpy()[at],
        "aim": [str(by_loop[i][0].get("aim", "") or "") for i in at],
        "patrols": [len(by_loop[i]) for i in at],
        "popup": [_brief_week_popup(rows[i], by_loop[i],
                                    part_of.get(str(rows[i].get("corridor_id")), ""))
                  for i in at],
    })  # fmt: skip


def _day_loops(
    loops: gpd.GeoDataFrame, day_slots: pd.DataFrame, assignments: pd.DataFrame
) -> pd.DataFrame | None:
    """One row per patrol of the day: its loop's ``k``, aim and popup (None: none to draw)."""
    rows, first = _loop_records(loops)
    people = _PatrolPeople(assignments)
    at: list[int] = []
    aims, popups = [], []
    for slot in day_slots.to_dict("records"):
        i = first.get(str(slot["loop_id"]))
        if i is None:
            continue
        at.append(i)
        aims.append(str(slot.get("aim", "") or ""))
        team = _team_text(people, slot)
        popups.append(_loop_popup(rows[i], slot, team))
    if not at:
        return None
    return pd.DataFrame({"k": loops["k"].to_numpy()[at], "aim": aims, "popup": popups})


def _internal_legend(has_spots: bool, rota: Roster | None, method_source: str = "") -> str:
    labels = ("lowest", "low", "middle", "high", "highest")
    rows = "".join(
        f'<div><span style="background:{c};display:inline-block;width:22px;height:6px;'
        f'margin-right:6px"></span>{lab} risk</div>'
        for c, lab in zip(_RISK_COLOURS, labels, strict=True)
    )
    aims = "".join(
        f'<div><span style="border-top:3px dashed {c};display:inline-block;width:22px;'
        f'margin-right:6px"></span>{_h(aim)}</div>'
        for aim, c in _AIM_COLOURS.items()
    )
    spot = (
        '<div><span style="background:#ef8a62;border:1px solid #b2182b;display:inline-block;'
        'width:20px;height:10px;margin-right:6px"></span>hotspot</div>'
        if has_spots
        else ""
    )
    loops = (
        f"<b>Patrol loops by aim</b>{aims}"
        if rota is not None
        else (
            f'<b>Patrol loops</b><div><span style="border-top:3px dashed {_LOOP_COLOUR};'
            'display:inline-block;width:22px;margin-right:6px"></span>not yet rostered</div>'
        )
    )
    method = (
        f'<div class="method-source" style="max-width:260px;font-size:11px">'
        f"{_h(method_source)}</div>"
        if has_spots and method_source
        else ""
    )
    return f"<b>Corridors (risk quintile)</b>{rows}{spot}{method}{loops}"
