"""Pages that scale: a page grows with what is planned, not with the street graph.

Hand-made areas near Oakham (EPSG:27700): a block of streets around a school with its
corridor and loop, and the same area with a far-away block of streets added.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, MultiLineString, Point, box

from corridors import maps
from corridors.config import MapConfig
from corridors.hotspots import Hotspots
from corridors.load import Inputs
from corridors.maps.layers import _GeoJsonLayer
from corridors.maps.streets import NEAR_SHARED_M, _near, _street_edges
from corridors.routes import Corridors

CRS = "EPSG:27700"
WEEK = "2022-W45"
CFG = MapConfig(online_tiles=False)
X0, Y0 = 485_000.0, 308_000.0


def _block(x0: float, y0: float, n: int, *, major_every: int = 0) -> list[dict[str, object]]:
    """An n x n grid of 100 m streets (one row per direction), a bend in each edge."""
    rows = []
    for i, j in itertools.product(range(n), range(n)):
        for di, dj in ((1, 0), (0, 1)):
            if i + di >= n or j + dj >= n:
                continue
            a = (x0 + 100 * i, y0 + 100 * j)
            b = (x0 + 100 * (i + di), y0 + 100 * (j + dj))
            mid = ((a[0] + b[0]) / 2 + 7 * dj, (a[1] + b[1]) / 2 + 7 * di)
            major = major_every and (j if di else i) % major_every == 0
            line = LineString([a, mid, b])
            for g in (line, line.reverse()):
                rows.append(
                    {"highway": "primary" if major else "residential", "length": 100.0,
                     "geometry": g}
                )  # fmt: skip
    return rows


def _area(*, far: bool, corridors: int = 1) -> SimpleNamespace:
    """A 12 x 12 block with ``corridors`` corridors and loops; with ``far``, a second block
    20 km away, and a street from the first block's loops running 4 km east."""
    rows = _block(X0, Y0, 12, major_every=4)
    if far:
        rows += _block(X0 + 20_000, Y0 + 5_000, 15, major_every=5)
        long = LineString([(X0 + 300, Y0 + 500), (X0 + 2500, Y0 + 520), (X0 + 4100, Y0 + 500)])
        rows += [{"highway": "residential", "length": 3000.0, "geometry": g}
                 for g in (long, long.reverse())]  # fmt: skip
    edges = gpd.GeoDataFrame(rows, crs=CRS)
    edges.index = pd.MultiIndex.from_arrays(
        [np.arange(len(edges)), np.arange(len(edges)) + 1, np.zeros(len(edges), int)],
        names=["u", "v", "key"],
    )
    routes = [
        LineString([(X0 + 100 * (1 + k % 8), Y0 + 100 * (1 + k // 8)),
                    (X0 + 100 * (1 + k % 8), Y0 + 100 * (3 + k // 8)),
                    (X0 + 100 * (3 + k % 8), Y0 + 100 * (3 + k // 8))])
        for k in range(corridors)
    ]  # fmt: skip
    ids = [f"C{k + 1}" for k in range(corridors)]
    cor = gpd.GeoDataFrame(
        {"corridor_id": ids, "school_ids": [f"S{k}" for k in range(corridors)],
         "school_names": [f"School {k}" for k in range(corridors)], "footfall": 100.0,
         "risk": np.linspace(0.1, 1.0, corridors), "incidents": 12, "offences": "{}",
         "time_note": "", "reason": "test", "patrolled": True},
        geometry=[MultiLineString([r]) for r in routes], crs=CRS,
    )  # fmt: skip
    loops = gpd.GeoDataFrame(
        {"loop_id": [f"{c}-L1" for c in ids], "corridor_id": ids,
         "school_ids": [f"S{k}" for k in range(corridors)],
         "meeting_point": [f"School {k} gate" for k in range(corridors)],
         "meeting_kind": "school", "start_time": "15:15", "duration_min": 30.0,
         "length_m": [2 * r.length for r in routes], "risk_covered": 1.0, "risk_share": 1.0,
         "gap": 0.0},
        geometry=[LineString([*r.coords, *r.coords[::-1][1:]]) for r in routes], crs=CRS,
    )  # fmt: skip
    plan = Corridors(
        corridors=cor,
        segments=gpd.GeoDataFrame(geometry=[], crs=CRS),
        loops=loops,
        unpatrolled=pd.DataFrame(columns=["school_id", "name", "reason"]),
        notes=(),
    )
    schools = gpd.GeoDataFrame(
        {"school_id": [f"S{k}" for k in range(corridors)],
         "name": [f"School {k}" for k in range(corridors)], "phase": "secondary",
         "source": "t"},
        geometry=[Point(r.coords[0]) for r in routes], crs=CRS,
    )  # fmt: skip
    inputs = Inputs(
        crs=CRS,
        timezone="Europe/London",
        study_area=box(X0 - 100, Y0 - 100, X0 + 1200, Y0 + 1200),
        schools=schools,
        hubs=schools.iloc[:0],
        incidents=gpd.GeoDataFrame(geometry=[], crs=CRS),
        reports=(),
        rejects=pd.DataFrame(),
    )
    return SimpleNamespace(edges=edges, street=SimpleNamespace(edges=edges), corridors=plan,
                           inputs=inputs)  # fmt: skip


def _pairs(page: str) -> set[tuple[str, str]]:
    """Every (lon, lat) on the page as text: decimal pairs, and the compact street layers
    decoded as the page decodes them (micro-degree steps)."""
    pairs = set(itertools.pairwise(re.findall(r"-?\d+\.\d+", page)))
    for blob in re.findall(r"\}\)\((\[.*?\])\), \{\s*interactive: false", page, re.S):
        for _m, _counts, steps in json.loads(blob):
            xy = np.cumsum(np.asarray(steps, dtype=np.int64).reshape(-1, 2), axis=0)
            pairs |= {(repr(round(x / 1e6, 6)), repr(round(y / 1e6, 6))) for x, y in xy}
    return pairs


def _coords_on_page(lines: gpd.GeoSeries, page: str) -> int:
    """How many vertices of ``lines`` (in the page's 6 dp, lon-lat) are on the page."""
    pairs = _pairs(page)
    xy = shapely.get_coordinates(lines.to_crs(4326).values)
    return sum((repr(round(float(x), 6)), repr(round(float(y), 6))) in pairs for x, y in xy)


def _far_lines(area: SimpleNamespace) -> gpd.GeoSeries:
    geoms = area.edges.geometry
    far = geoms.centroid.x > X0 + 3000  # the far block and the long street's far part
    return gpd.GeoSeries(geoms[far].values, crs=CRS)


def _shared(area: SimpleNamespace, path: Path) -> Path:
    m = maps.render_shared_map(
        street=area.street, corridors=area.corridors, rota=None, cfg=CFG, week=WEEK,
        area_name="Oakham",
    )  # fmt: skip
    return maps.save_offline(m, path)


def test_shared_page_does_not_grow_with_far_streets(tmp_path: Path) -> None:
    near, with_far = _area(far=False), _area(far=True)
    small = _shared(near, tmp_path / "near.html")
    big = _shared(with_far, tmp_path / "far.html")
    assert len(with_far.edges) > 2 * len(near.edges)
    # same page bar folium's random element ids (same length): equal bytes within 0.5%
    assert abs(big.stat().st_size - small.stat().st_size) <= 0.005 * small.stat().st_size
    page = big.read_text(encoding="utf-8")
    assert _coords_on_page(_far_lines(with_far), page) == 0
    east = gpd.GeoSeries([Point(X0 + 2500, Y0 + 520), Point(X0 + 4100, Y0 + 500)], crs=CRS)
    assert _coords_on_page(east, page) == 0  # the long street is cut near the loop
    # not vacuous: the streets near the loop are on the page
    near_lines = gpd.GeoSeries(with_far.edges.geometry.values[:40], crs=CRS)
    assert _coords_on_page(near_lines, page) > 5


def test_shared_streets_are_clipped_near_the_walked_loops() -> None:
    area = _area(far=True)
    edges = _street_edges(area.street)
    assert len(edges) == len(area.edges) // 2  # one line per two-way street
    near, whole = _near(edges, area.corridors.loops.geometry.values, NEAR_SHARED_M)
    loop = area.corridors.loops.geometry.iloc[0]
    vertices = shapely.points(shapely.get_coordinates(near.geometry.values))
    # clipped to the loop's buffer (the loop simplified by radius / 20 first)
    assert len(near) and shapely.distance(vertices, loop).max() <= NEAR_SHARED_M * 1.05 + 0.01
    assert near.total_bounds[2] < X0 + 300 + NEAR_SHARED_M * 1.05  # the long street is cut
    assert 0 < len(whole) < len(near)  # inner streets whole, the ones at the edge cut


def test_no_walked_loop_no_streets() -> None:
    area = _area(far=True)
    m = maps.render_shared_map(
        street=area.street, corridors=None, rota=None, cfg=CFG, week=WEEK, area_name="Oakham"
    )
    assert not [c for c in m._children.values() if isinstance(c, _GeoJsonLayer)]


def _internal(area: SimpleNamespace, cfg: MapConfig = CFG):  # type: ignore[no-untyped-def]
    sel = gpd.GeoDataFrame({"weight": [1.0]}, geometry=[Point(X0 + 300, Y0 + 300)], crs=CRS)
    spots = Hotspots(
        selected=sel,
        polygons=gpd.GeoDataFrame(
            {"hotspot_id": [0], "weighted_count": [1.0]},
            geometry=[Point(X0 + 300, Y0 + 300).buffer(80)],
            crs=CRS,
        ),
        edge_intensity=pd.Series(dtype=float),
        method="test",
        params={},
        time_known=False,
        notes=(),
    )
    return maps.render_internal_map(
        inputs=area.inputs, street=area.street, spots=spots, corridors=area.corridors,
        rota=None, cfg=cfg, week=WEEK, title="Oakham",
    )  # fmt: skip


def _layer(m, name: str) -> _GeoJsonLayer:  # type: ignore[no-untyped-def]
    (layer,) = [c for c in m._children.values() if getattr(c, "layer_name", None) == name]
    return layer


def test_internal_page_shows_every_corridor_and_only_an_overview_far_away() -> None:
    area = _area(far=True, corridors=40)
    m = _internal(area)
    corridors = _layer(m, "Corridors (by risk)").data["features"]
    assert sorted(f["properties"]["tip"] for f in corridors) == sorted(
        f"Corridor C{k + 1}" for k in range(40)
    )
    drawn = gpd.GeoDataFrame.from_features(corridors, crs=4326).to_crs(CRS)
    for got, want in zip(drawn.geometry, area.corridors.corridors.geometry, strict=True):
        assert got.hausdorff_distance(want) < CFG.simplify_m + 0.5
    loops = _layer(m, "Patrol loops (not rostered)").data["features"]
    assert len(loops) == 40
    streets = {f["properties"]["m"]: f for f in _layer(m, "Streets").data["features"]}
    assert set(streets) == {0, 1}  # minor streets in detail, major streets
    minor = gpd.GeoSeries([shapely.geometry.shape(streets[0]["geometry"])], crs=4326)
    assert minor.to_crs(CRS).total_bounds[2] < X0 + 1200 + 300  # minor: only near the plan
    major = gpd.GeoSeries([shapely.geometry.shape(streets[1]["geometry"])], crs=4326)
    assert major.to_crs(CRS).total_bounds[2] > X0 + 20_000  # major: the whole area's overview
    page = m.get_root().render()
    far_minor = area.edges[(area.edges.geometry.centroid.x > X0 + 19_000).to_numpy()
                           & (area.edges["highway"] == "residential").to_numpy()]  # fmt: skip
    bends = shapely.get_point(far_minor.geometry.values, 1)  # theirs alone (not junctions)
    assert _coords_on_page(gpd.GeoSeries(bends, crs=CRS), page) == 0


@pytest.mark.browser
def test_pages_of_a_bigger_area_draw_in_chromium(tmp_path: Path, offline_browser: object) -> None:
    area = _area(far=True, corridors=40)
    internal = offline_browser.open(maps.save_offline(_internal(area), tmp_path / "i.html"))
    assert internal.errors == []
    # streets (major, minor), hotspot, 40 corridors, 40 loops, 40 schools
    assert internal.counts["geojson_features"] == 2 + 1 + 40 + 40 + 40
    shared = offline_browser.open(_shared(area, tmp_path / "s.html"))
    assert shared.errors == []
    assert shared.counts["geojson_features"] == 2 + 40 + 40  # streets, loops, meeting points


def test_compact_streets_decode_to_the_layer_geojson() -> None:
    from corridors.maps.streets import _steps

    feature = {
        "properties": {"m": 1},
        "geometry": {
            "type": "MultiLineString",
            "coordinates": [[[-0.729674, 52.669151], [-0.7252, 52.6692]], [[-0.73, 52.67]] * 2],
        },
    }
    m, counts, steps = _steps(feature)
    xy = np.cumsum(np.asarray(steps).reshape(-1, 2), axis=0) / 1e6
    assert m == 1 and counts == [2, 2]
    assert xy.tolist() == [[-0.729674, 52.669151], [-0.7252, 52.6692], [-0.73, 52.67]] * 1 + [
        [-0.73, 52.67]
    ]
