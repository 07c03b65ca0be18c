"""A synthetic big area for ``bench_maps.py --case synthetic``, and the old street code path.

- :func:`synthetic_area`: a jittered street grid in EPSG:27700 (both directions of every
  street, as a walking graph has; every 8th row and column a primary road; 3-5 vertices per
  edge), with schools, hubs, corridors, patrol loops (out and back), hotspots, incidents and
  a stand-in roster, all from one fixed seed.
- :func:`old_streets`: a context manager that draws both pages' streets the way they were
  drawn before the pages scaled (every street of the area, merged into two MultiLineStrings
  and simplified as a whole, once per page and once more for the mini-map), so that
  before and after are measured in the same run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiLineString, Point, box

from corridors.hotspots import Hotspots
from corridors.load import Inputs
from corridors.maps import internal as internal_mod
from corridors.maps import shared as shared_mod
from corridors.maps.layers import _geojson, _GeoJsonLayer, _OfflineMiniMap
from corridors.maps.values import _first_values
from corridors.roster import Roster
from corridors.routes import Corridors

CRS = "EPSG:27700"
SPACING_M = 100.0
ORIGIN = (450_000.0, 250_000.0)


def _grid_edges(rng: np.random.Generator, n: int) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Edges of an n x n jittered grid (one row per direction) and the node coordinates."""
    ix, iy = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    xy = np.stack([ix, iy], axis=-1).reshape(-1, 2) * SPACING_M + ORIGIN
    xy = xy + rng.uniform(-25, 25, xy.shape)
    node = np.arange(n * n).reshape(n, n)
    u = np.concatenate([node[:-1, :].ravel(), node[:, :-1].ravel()])
    v = np.concatenate([node[1:, :].ravel(), node[:, 1:].ravel()])
    along = np.concatenate([iy[:-1, :].ravel(), ix[:, :-1].ravel()])  # row/column of the edge
    major = along % 8 == 0
    # 1-3 inner vertices per edge: a 1.5 m wiggle (simplified away) and some 6 m bends
    k = rng.integers(1, 4, len(u))
    lines = []
    for a, b, kk in zip(xy[u], xy[v], k, strict=True):
        t = np.linspace(0, 1, kk + 2)[1:-1, None]
        inner = a + (b - a) * t + rng.normal(0, 1.5, (kk, 2))
        if rng.random() < 0.2:
            inner[0] += rng.normal(0, 6, 2)
        lines.append(np.vstack([a, inner, b]))
    geoms = np.array([LineString(c) for c in lines], dtype=object)
    lengths = shapely.length(geoms)
    fwd = pd.DataFrame(
        {
            "u": u,
            "v": v,
            "key": 0,
            "highway": np.where(major, "primary", "residential"),
            "length": lengths,
        }
    )
    back = fwd.assign(u=fwd["v"], v=fwd["u"])
    edges = gpd.GeoDataFrame(
        pd.concat([fwd, back], ignore_index=True),
        geometry=np.concatenate([geoms, shapely.reverse(geoms)]),
        crs=CRS,
    ).set_index(["u", "v", "key"])
    return edges, xy


def _route(xy: np.ndarray, n: int, start: tuple[int, int], steps: tuple[int, int]) -> LineString:
    """A walk along the grid nodes: ``steps[0]`` columns along x, then ``steps[1]`` along y."""
    i, j = start
    path = [(i, j)]
    for _ in range(abs(steps[0])):
        i = min(max(i + np.sign(steps[0]), 0), n - 1)
        path.append((i, j))
    for _ in range(abs(steps[1])):
        j = min(max(j + np.sign(steps[1]), 0), n - 1)
        path.append((i, j))
    return LineString([xy[a * n + b] for a, b in path])


def synthetic_area(edges: int = 300_000, loops: int = 300, seed: int = 14) -> SimpleNamespace:
    """
    A synthetic area with about ``edges`` edge rows (both directions) and ``loops`` loops.

    Returns inputs, street (``edges`` only: all the pages read), spots, corridors, rota.
    """
    rng = np.random.default_rng(seed)
    n = max(round(float(np.sqrt(edges / 4))), 10)
    street_edges, xy = _grid_edges(rng, n)
    starts = rng.integers(0, n, (loops, 2))
    steps = rng.integers(4, 12, (loops, 2)) * rng.choice([-1, 1], (loops, 2))
    routes = [_route(xy, n, tuple(s), tuple(d)) for s, d in zip(starts, steps, strict=True)]
    schools = gpd.GeoDataFrame(
        {
            "school_id": [f"S{i}" for i in range(loops)],
            "name": [f"School {i}" for i in range(loops)],
            "phase": "secondary",
            "source": "synth",
        },
        geometry=[Point(r.coords[0]) for r in routes],
        crs=CRS,
    )
    hub_at = rng.choice(loops, min(50, loops), replace=False)
    hubs = gpd.GeoDataFrame(
        {
            "hub_id": [f"H{i}" for i in hub_at],
            "name": [f"Hub {i}" for i in hub_at],
            "kind": "bus",
            "source": "synth",
        },
        geometry=[Point(routes[i].coords[-1]) for i in hub_at],
        crs=CRS,
    )
    centres = np.array([r.interpolate(0.5, normalized=True).coords[0] for r in routes])
    incidents_xy = np.repeat(centres, 20, axis=0) + rng.normal(0, 60, (loops * 20, 2))
    incidents = gpd.GeoDataFrame(
        {
            "incident_id": [f"i{i}" for i in range(len(incidents_xy))],
            "offence": "Robbery",
            "month": "2022-10",
            "occurred_at": pd.NaT,
            "time_known": False,
            "source": "synth",
            "source_line": np.arange(len(incidents_xy)),
        },
        geometry=shapely.points(incidents_xy),
        crs=CRS,
    )
    spots = Hotspots(
        selected=incidents.assign(weight=1.0, cluster=np.repeat(np.arange(loops), 20)),
        polygons=gpd.GeoDataFrame(
            {"hotspot_id": range(loops), "weighted_count": 20.0},
            geometry=shapely.buffer(shapely.points(centres), 120),
            crs=CRS,
        ),
        edge_intensity=pd.Series(dtype=float),
        method="synthetic",
        params={},
        time_known=False,
        notes=("synthetic",),
    )
    cors = gpd.GeoDataFrame(
        {
            "corridor_id": [f"C{i}" for i in range(loops)],
            "school_ids": schools["school_id"],
            "school_names": schools["name"],
            "footfall": 100.0,
            "risk": rng.random(loops),
            "incidents": 20,
            "offences": '{"Robbery": 20}',
            "time_note": "month-only",
            "reason": "synthetic",
            "patrolled": True,
        },
        geometry=[MultiLineString([r]) for r in routes],
        crs=CRS,
    )
    loop_frame = gpd.GeoDataFrame(
        {
            "loop_id": [f"C{i}-L1" for i in range(loops)],
            "corridor_id": cors["corridor_id"],
            "school_ids": schools["school_id"],
            "meeting_point": [f"School {i} gate" for i in range(loops)],
            "meeting_kind": "school",
            "start_time": "15:15",
            "duration_min": 45.0,
            "length_m": [2 * r.length for r in routes],
            "risk_covered": 1.0,
            "risk_share": 1.0,
            "gap": 0.0,
        },
        geometry=[LineString([*r.coords, *r.coords[::-1][1:]]) for r in routes],
        crs=CRS,
    )
    corridors = Corridors(
        corridors=cors,
        segments=gpd.GeoDataFrame(geometry=[], crs=CRS),
        loops=loop_frame,
        unpatrolled=pd.DataFrame(columns=["school_id", "name", "reason"]),
        notes=("synthetic",),
    )
    lo = np.array(ORIGIN) - SPACING_M
    hi = np.array(ORIGIN) + n * SPACING_M
    inputs = Inputs(
        crs=CRS,
        timezone="Europe/London",
        study_area=box(lo[0], lo[1], hi[0], hi[1]),
        schools=schools,
        hubs=hubs,
        incidents=incidents,
        reports=(),
        rejects=pd.DataFrame(),
    )
    return SimpleNamespace(
        inputs=inputs,
        street=SimpleNamespace(edges=street_edges, crs=CRS),
        spots=spots,
        corridors=corridors,
        rota=stand_in_roster(corridors, dt.date(2022, 11, 7)),
    )


def stand_in_roster(corridors: Corridors, monday: dt.date) -> Roster:
    """A two-person team (police, youth service) on every loop every weekday at 15:15."""
    rows, slots = [], []
    for d in range(5):
        date = monday + dt.timedelta(days=d)
        for _, loop in corridors.loops.iterrows():
            lid = loop["loop_id"]
            slots.append(
                {
                    "slot_id": f"{lid}-{date}",
                    "date": date,
                    "day": f"{date:%A}",
                    "start": "15:15",
                    "end": "16:00",
                    "loop_id": lid,
                    "corridor_id": loop["corridor_id"],
                    "aim": "reassurance",
                    "filled": True,
                    "police_contact": "PC Example",
                    "problem": "",
                }
            )
            for pid, agency in (("p1", "Leicestershire Police"), ("p2", "Rutland Youth Service")):
                rows.append(
                    {
                        "person_id": pid,
                        "name": f"Person {pid}",
                        "agency": agency,
                        "date": date,
                        "day": f"{date:%A}",
                        "start": "15:15",
                        "end": "16:00",
                        "loop_id": lid,
                        "corridor_id": loop["corridor_id"],
                        "meeting_point": loop["meeting_point"],
                        "aim": "reassurance",
                        "team": "T1",
                    }
                )
    return Roster(
        assignments=pd.DataFrame(rows),
        slots=pd.DataFrame(slots),
        problems=(),
        status="stand-in",
        objective=0.0,
        bound=0.0,
        gap=0.0,
    )


# -- the old code path: every street, merged, simplified as a whole ------------------------

_MAJOR = {
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "motorway_link",
    "trunk_link",
    "primary_link",
    "secondary_link",
    "tertiary_link",
}


def _old_street_edges(street):  # type: ignore[no-untyped-def]
    edges = street.edges
    geoms = shapely.normalize(edges.geometry.values)
    keep = ~pd.Series(shapely.to_wkb(geoms)).duplicated().to_numpy()
    out = edges[keep]
    return gpd.GeoDataFrame(
        {"m": [int(h in _MAJOR) for h in _first_values(out.get("highway"), len(out))]},
        geometry=out.geometry.values,
        crs=edges.crs,
    )


def _old_merged_streets(street):  # type: ignore[no-untyped-def]
    edges = _old_street_edges(street)
    rows = []
    for major in (0, 1):
        lines = edges.geometry.values[(edges["m"] == major).to_numpy()]
        if len(lines):
            rows.append(
                {"m": major, "geometry": shapely.line_merge(shapely.multilinestrings(lines))}
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=edges.crs) if rows else edges.iloc[:0]


def old_add_streets(m, street, cfg, *, name):  # type: ignore[no-untyped-def]
    """The streets as both pages drew them before: every street, simplified as a whole."""
    data = _geojson(_old_merged_streets(street), ["m"], simplify_m=max(cfg.simplify_m, 1.0))
    _GeoJsonLayer(
        data,
        name=name,
        interactive=False,
        style_js='return f.properties.m ? {color: "#666", weight: 3, opacity: 0.8} '
        ': {color: "#999", weight: 1.5, opacity: 0.8};',
    ).add_to(m)


def old_add_minimap(m, street, cfg):  # type: ignore[no-untyped-def]
    """The mini-map as it was: the merged major streets simplified as a whole (20 m)."""
    merged = _old_merged_streets(street)
    major = merged[merged["m"] == 1]
    data = _geojson(major if len(major) else merged, [], simplify_m=max(cfg.simplify_m, 20.0))
    tiles = "https://tile.openstreetmap.org/{z}/{x}/{y}.png" if cfg.online_tiles else None
    _OfflineMiniMap(data, tiles=tiles).add_to(m)


@contextlib.contextmanager
def old_streets() -> Iterator[None]:
    """Draw both pages' streets the old way while the block runs."""

    def internal(m, street, around, cfg, *, name):  # type: ignore[no-untyped-def]
        old_add_streets(m, street, cfg, name=name)
        if cfg.minimap:
            old_add_minimap(m, street, cfg)

    def shared(m, street, walked, cfg, *, name):  # type: ignore[no-untyped-def]
        old_add_streets(m, street, cfg, name=name)
        if cfg.minimap:
            old_add_minimap(m, street, cfg)

    saved = internal_mod._add_internal_streets, shared_mod._add_shared_streets
    internal_mod._add_internal_streets = internal  # type: ignore[assignment]
    shared_mod._add_shared_streets = shared  # type: ignore[assignment]
    try:
        yield
    finally:
        internal_mod._add_internal_streets, shared_mod._add_shared_streets = saved
