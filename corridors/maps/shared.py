"""
The shared map for parents, schools and youth organisations.

The routes walked, their times and meeting points, and the notice; built from corridors and
patrols only, never from the incident table or the hotspots, and showing no counts at all.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import pandas as pd
import shapely

from corridors.config import MapConfig
from corridors.maps.escape import _h
from corridors.maps.i18n import NOTICE_TEXT, _agency_label, check_languages
from corridors.maps.layers import (
    _base_map,
    _bounds_of_frames,
    _geojson,
    _GeoJsonLayer,
    _LayerControl,
)
from corridors.maps.notice import _add_notice, _add_phone_view, _PageFigure, _patrol_lines
from corridors.maps.popups import _PatrolPeople
from corridors.maps.streets import _add_shared_streets
from corridors.maps.values import _add_minutes, _as_date, _sort_key, _text, _week_start

if TYPE_CHECKING:
    from corridors.graph import StreetGraph
    from corridors.roster import Roster
    from corridors.routes import Corridors

logger = logging.getLogger(__name__)

#: Corridor columns the shared map may show as they are (it names a loop's schools with them).
SHARED_CORRIDOR_COLUMNS = ("corridor_id", "school_names")
#: Corridor columns that are counts: never on the shared page; :func:`shared_corridor_table`
#: keeps them only where >= min_shared_count, for a corridor table shared by other means.
SHARED_COUNT_COLUMNS = ("incidents",)
#: Columns of :func:`shared_patrols`.
_PATROL_COLUMNS = ["loop_id", "date", "start", "end", "meeting_point", "organisations", "names"]


def render_shared_map(
    *,
    street: StreetGraph,
    corridors: Corridors | None,
    rota: Roster | None,
    cfg: MapConfig,
    week: str,
    area_name: str,
    timezone: str | None = None,
) -> folium.Map:
    """
    Draw the shared map and notice (the routes walked, times and meeting points only).

    Built from corridors and patrols, never from the incident table: it takes no inputs and
    no hotspots. The routes drawn are the week's patrol loops (``corridors.loops``), not the
    corridors they lie on: with a roster, only loops with a filled patrol; without one, every
    loop at its planned time. A loop is named by its corridor's ``school_names``; nothing
    else of the corridor reaches the page, and the page shows no counts at all
    (``SHARED_COUNT_COLUMNS`` and ``cfg.min_shared_count`` do not apply to it). The notice
    names the kinds of people rostered this week (police officers, PCSOs, youth workers,
    school staff, ...), or says "local officers and partners" when there is no roster.
    People's names appear only when ``cfg.show_names``.

    Parameters
    ----------
    street
        ``corridors.graph.StreetGraph`` (projected CRS, metres): only the streets within
        ``corridors.maps.streets.NEAR_SHARED_M`` of the walked loops are drawn, clipped to
        that distance, so the page grows with what is walked, not with the area.
    corridors
        ``corridors.routes.Corridors`` or None (no routes yet).
    rota
        ``corridors.roster.Roster`` or None (no staff): days and organisations of each patrol.
    cfg
        ``languages``, ``contact``, ``show_names``, ``online_tiles``.
    week
        ISO week, ``"YYYY-Www"``.
    area_name
        Name of the area shown in the notice.
    timezone
        The area's IANA timezone: its country sets the date formats of each language
        (``corridors.maps.dates``); None uses the language's own.

    Returns
    -------
    folium.Map
        The map with the notice panel, fitted to the routes (or the streets).

    Raises
    ------
    ConfigError
        If a language in ``cfg.languages`` has no translation in :data:`NOTICE_TEXT`, or
        ``week`` is not an ISO week.
    """
    check_languages(cfg)
    week_start = _week_start(week)
    text = NOTICE_TEXT["en"]
    m = _base_map(cfg)
    _PageFigure(
        title=f"{area_name}: {NOTICE_TEXT[cfg.languages[0]]['title']}", code=cfg.languages[0]
    ).add_child(m)
    patrols = shared_patrols(corridors, rota, cfg=cfg)
    walked = shared_loops(corridors, patrols)
    _add_shared_streets(m, street, walked, cfg, name=text["streets"])
    frames = [_add_walked(m, walked, patrols, cfg)] if len(walked) else [street.edges]
    _add_notice(
        m,
        patrols,
        cfg=cfg,
        area_name=area_name,
        week_start=week_start,
        rota=rota,
        timezone=timezone,
    )
    _LayerControl(collapsed=True).add_to(m)
    _add_phone_view(m, _bounds_of_frames(frames))
    logger.info("Rendered shared map for %s: %d patrols in the notice", week, len(patrols))
    return m


def _add_walked(
    m: folium.Map, walked: gpd.GeoDataFrame, patrols: pd.DataFrame, cfg: MapConfig
) -> gpd.GeoDataFrame:
    """Draw the walked loops and their meeting points; return the routes drawn."""
    text = NOTICE_TEXT["en"]
    routes = walked[["geometry"]].copy()
    routes["popup"] = [_shared_loop_popup(lp, patrols, cfg) for _, lp in walked.iterrows()]
    routes["tip"] = [str(name or text["routes"]) for name in walked["school_names"]]
    # the meeting point's name: a notice row's "Show on map" finds its routes by it
    routes["meet"] = [_text(v) for v in walked.get("meeting_point", [""] * len(walked))]
    data = _geojson(routes, ["popup", "tip", "meet"], simplify_m=cfg.simplify_m)
    _GeoJsonLayer(
        data,
        name=text["routes"],
        style_js='return {color: "#2166ac", weight: 5, opacity: 0.85};',
    ).add_to(m)
    points = _meeting_points(walked, patrols, cfg)
    if len(points):
        data = _geojson(points, ["popup", "tip", "meet"], simplify_m=0)
        _GeoJsonLayer(
            data,
            name=text["meeting_points"],
            style_js='return {color: "#ffffff", fillColor: "#1b7837", weight: 3, radius: 9};',
        ).add_to(m)
    return routes


def shared_corridor_table(corridors: gpd.GeoDataFrame, *, cfg: MapConfig) -> gpd.GeoDataFrame:
    """
    Return the corridor columns that may be shared outside the team (a table, not the page).

    Keeps ``SHARED_CORRIDOR_COLUMNS`` and geometry; a count column of
    ``SHARED_COUNT_COLUMNS`` is kept as a whole number where it is at least
    ``cfg.min_shared_count`` and set to missing (dropped for that corridor) below it.
    The shared page does not use it: it draws the walked loops (:func:`shared_loops`) and
    shows no counts at all.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> cor = gpd.GeoDataFrame({"corridor_id": ["c1", "c2"], "incidents": [3, 12],
    ...     "offences": ['{"Robbery": 3}', '{}'], "risk": [0.2, 0.9]},
    ...     geometry=[LineString([(0, 0), (1, 1)])] * 2, crs="EPSG:27700")
    >>> shared_corridor_table(cor, cfg=MapConfig()).drop(columns="geometry").to_dict("records")
    [{'corridor_id': 'c1', 'incidents': None}, {'corridor_id': 'c2', 'incidents': 12}]
    """
    keep = [c for c in SHARED_CORRIDOR_COLUMNS if c in corridors.columns]
    out = gpd.GeoDataFrame(
        corridors[keep].copy(), geometry=corridors.geometry.values, crs=corridors.crs
    )
    for col in SHARED_COUNT_COLUMNS:
        if col in corridors.columns:
            values = pd.to_numeric(corridors[col], errors="coerce")
            out[col] = pd.Series(
                [int(v) if pd.notna(v) and v >= cfg.min_shared_count else None for v in values],
                index=out.index,
                dtype=object,
            )
    for col in keep:
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out[[*keep, *[c for c in SHARED_COUNT_COLUMNS if c in out.columns], "geometry"]]


def shared_patrols(
    corridors: Corridors | None, rota: Roster | None, *, cfg: MapConfig
) -> pd.DataFrame:
    """
    Return the week's patrols as the shared notice lists them.

    Parameters
    ----------
    corridors
        ``Corridors`` or None; its ``loops`` give the meeting points and start times.
    rota
        ``Roster`` or None; its filled ``slots`` give the days and times and its
        ``assignments`` the organisations (and names when ``cfg.show_names``).
    cfg
        ``show_names``.

    Returns
    -------
    pandas.DataFrame
        Columns loop_id, date (``datetime.date`` or None: every school day), start, end,
        meeting_point, organisations (";"-joined agencies), names ("" unless allowed).
    """
    if corridors is None or not len(corridors.loops):
        return pd.DataFrame(columns=_PATROL_COLUMNS)
    loops = corridors.loops.set_index(corridors.loops["loop_id"].astype(str))
    if rota is None or not len(rota.slots):
        return pd.DataFrame(_planned_patrols(loops), columns=_PATROL_COLUMNS)
    slots = rota.slots
    if "filled" in slots.columns:
        slots = slots[slots["filled"].astype(bool)]
    people = _PatrolPeople(rota.assignments)
    meeting = (
        dict(zip(loops.index, loops["meeting_point"], strict=True))
        if "meeting_point" in loops.columns
        else {}
    )
    rows = [_rostered_patrol(slot, meeting, people, cfg) for slot in slots.to_dict("records")]
    out = pd.DataFrame(rows, columns=_PATROL_COLUMNS)
    return out.sort_values(["date", "start", "meeting_point"], key=_sort_key).reset_index(drop=True)


def _planned_patrols(loops: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """No roster: every loop on every school day at its planned time, nobody named."""
    rows: list[dict[str, Any]] = []
    for loop_id, loop in loops.iterrows():
        start = str(loop.get("start_time", "") or "")
        rows.append(
            {
                "loop_id": loop_id,
                "date": None,
                "start": start,
                "end": _add_minutes(start, loop.get("duration_min")),
                "meeting_point": str(loop.get("meeting_point", "") or ""),
                "organisations": "",
                "names": "",
            }
        )
    return rows


def _known(value: Any) -> bool:
    return value is not None and not pd.isna(value)


def _rostered_patrol(
    slot: Mapping[Any, Any], meeting: Mapping[str, Any], people: _PatrolPeople, cfg: MapConfig
) -> dict[str, Any]:
    """One filled slot as the notice lists it: where, when, which organisations (and names)."""
    loop_id = str(slot["loop_id"])
    date = _as_date(slot.get("date"))
    walkers = people.of(loop_id, date, on_day=date is not None)
    agencies = {_agency_label(a) for r in walkers if _known(a := r.get("agency"))}
    names = {str(n) for r in walkers if _known(n := r.get("name"))}
    return {
        "loop_id": loop_id,
        "date": date,
        "start": str(slot.get("start", "") or ""),
        "end": str(slot.get("end", "") or ""),
        "meeting_point": str(meeting.get(loop_id, "")),
        "organisations": "; ".join(sorted(agencies)),
        "names": "; ".join(sorted(names)) if cfg.show_names else "",
    }


def shared_loops(corridors: Corridors | None, patrols: pd.DataFrame) -> gpd.GeoDataFrame:
    """
    Return the loops the shared page draws: the week's patrol loops that are walked.

    A loop is walked when :func:`shared_patrols` lists it (with a roster: a filled patrol;
    without: every loop) and its corridor, if the table says so, is patrolled.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns loop_id, corridor_id, meeting_point, school_names (of the corridor, ``""``
        when unknown) and the loop's geometry, in the loops' CRS; nothing else.
    """
    cols = ["loop_id", "corridor_id", "meeting_point", "school_names"]
    if corridors is None or not len(corridors.loops) or not len(patrols):
        return gpd.GeoDataFrame(columns=[*cols, "geometry"], geometry="geometry")
    loops = corridors.loops
    ids = loops["loop_id"].astype(str)
    keep = ids.isin(set(patrols["loop_id"].astype(str)))
    cor = corridors.corridors
    names: dict[str, str] = {}
    if cor is not None and len(cor) and "corridor_id" in cor.columns:
        cids = cor["corridor_id"].astype(str)
        if "patrolled" in cor.columns:
            off = set(cids[~cor["patrolled"].astype(bool)])
            keep &= ~loops["corridor_id"].astype(str).isin(off)
        if "school_names" in cor.columns:  # SHARED_CORRIDOR_COLUMNS: nothing else is read
            names = {c: _text(v) for c, v in zip(cids, cor["school_names"], strict=True)}
    mine = loops[keep.to_numpy()]
    return gpd.GeoDataFrame(
        {
            "loop_id": mine["loop_id"].astype(str).to_numpy(),
            "corridor_id": mine["corridor_id"].astype(str).to_numpy(),
            "meeting_point": [
                _text(v) for v in mine.get("meeting_point", pd.Series([None] * len(mine)))
            ],
            "school_names": [names.get(str(c), "") for c in mine["corridor_id"]],
        },
        geometry=mine.geometry.to_numpy(),
        crs=loops.crs,
    )


def _meeting_points(
    loops: gpd.GeoDataFrame, patrols: pd.DataFrame, cfg: MapConfig
) -> gpd.GeoDataFrame:
    rows = []
    for _, loop in loops.iterrows():
        geom = loop.geometry
        if geom is None or geom.is_empty:
            continue
        first = shapely.get_point(
            shapely.get_geometry(geom, 0) if geom.geom_type.startswith("Multi") else geom, 0
        )
        name = str(loop.get("meeting_point", "") or "Meeting point")
        body = "".join(f"<li>{_h(t)}</li>" for t in _patrol_lines(loop, patrols, cfg))
        rows.append({"popup": f"<b>{_h(name)}</b><ul>{body}</ul>", "tip": name,
                     "meet": _text(loop.get("meeting_point")), "geometry": first})  # fmt: skip
    return (
        gpd.GeoDataFrame(rows, geometry="geometry", crs=loops.crs) if rows else gpd.GeoDataFrame()
    )


def _shared_loop_popup(loop: pd.Series, patrols: pd.DataFrame, cfg: MapConfig) -> str:
    """Return a walked loop's popup: its schools, meeting point and patrols; no counts."""
    parts = [f"<b>{_h(loop['school_names'])}</b>"] if loop.get("school_names") else []
    parts.append("Patrol route")
    if loop.get("meeting_point"):
        parts.append(f"{_h(NOTICE_TEXT['en']['where'])}: {_h(loop['meeting_point'])}")
    lines = _patrol_lines(loop, patrols, cfg)
    if lines:
        parts.append("<ul>" + "".join(f"<li>{_h(t)}</li>" for t in lines) + "</ul>")
    return "<br>".join(parts)
