"""Tests for corridors.maps: internal and shared maps, offline pages, history, index, browser."""
# ruff: noqa: RUF001

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import itertools
import json
import re
from pathlib import Path

import folium
import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString, MultiLineString, Point, box
from shapely.ops import linemerge

from corridors import maps
from corridors.config import MapConfig
from corridors.errors import ConfigError, CorridorsError
from corridors.graph import StreetGraph
from corridors.hotspots import Hotspots
from corridors.load import Inputs, SourceReport
from corridors.maps.i18n import _agency_label
from corridors.maps.layers import _GeoJsonLayer
from corridors.roster import Roster
from corridors.routes import Corridors

try:
    from browser import distinct_colours, png_is_blank
except ImportError:
    from tests.browser import distinct_colours, png_is_blank

DATA = Path(__file__).parent / "data" / "maps"
CRS = "EPSG:27700"
WEEK = "2022-W45"
MONDAY = dt.date(2022, 11, 7)
CFG = MapConfig(online_tiles=False, languages=("en", "cy", "tr"), contact="Oakham NPT, 101")


# -- hand-made objects that follow the stage contracts ------------------------------------


def _street_from_edges(edges: gpd.GeoDataFrame) -> StreetGraph:
    """A StreetGraph with both directions of every edge, as a walking graph has."""
    back = edges.copy()
    back["u"], back["v"] = edges["v"].to_numpy(), edges["u"].to_numpy()
    back["geometry"] = back.geometry.reverse()
    both = pd.concat([edges, back], ignore_index=True).set_index(["u", "v", "key"])
    graph = nx.MultiDiGraph(crs=CRS)
    coords: dict[int, tuple[float, float]] = {}
    for (u, v, k), row in both.iterrows():
        graph.add_edge(u, v, key=k, length=row["length"], geometry=row.geometry)
        coords[u] = row.geometry.coords[0]
        coords[v] = row.geometry.coords[-1]
    for n, (x, y) in coords.items():
        graph.nodes[n].update(x=x, y=y)
    nodes = gpd.GeoDataFrame(
        {"x": [c[0] for c in coords.values()], "y": [c[1] for c in coords.values()]},
        geometry=[Point(c) for c in coords.values()],
        index=pd.Index(list(coords), name="osmid"),
        crs=CRS,
    )
    return StreetGraph(
        graph=graph,
        crs=CRS,
        nodes=nodes,
        edges=gpd.GeoDataFrame(both, crs=CRS),
        source="tests",
        source_sha256="0" * 64,
    )


def _tiny_world() -> dict[str, object]:
    """Three streets, one school, one hub, a corridor and its loop near Oakham (inline)."""
    lines = [
        LineString([(486000, 308700), (486200, 308700)]),
        LineString([(486200, 308700), (486200, 308900)]),
        LineString([(486000, 308700), (486000, 308500)]),
    ]
    edges = gpd.GeoDataFrame(
        {
            "u": [1, 2, 1],
            "v": [2, 3, 4],
            "key": [0, 0, 0],
            "name": ["High St", "Mill St", "Deanscroft"],
            "highway": ["primary", "residential", "residential"],
            "street_id": ["s1", "s2", "s3"],
            "length": [200.0, 200.0, 200.0],
        },
        geometry=lines,
        crs=CRS,
    )
    street = _street_from_edges(edges)
    schools = gpd.GeoDataFrame(
        {
            "school_id": ["1"],
            "name": ["Oakham Test School"],
            "phase": ["secondary"],
            "source": ["t"],
        },
        geometry=[Point(486000, 308700)],
        crs=CRS,
    )
    hubs = gpd.GeoDataFrame(
        {"hub_id": ["h1"], "name": ["Oakham station"], "kind": ["rail"], "source": ["t"]},
        geometry=[Point(486200, 308900)],
        crs=CRS,
    )
    incidents = gpd.GeoDataFrame(
        {
            "incident_id": ["p:2", "p:3"],
            "offence": ["Robbery", "Anti-social behaviour"],
            "month": ["2022-09", "2022-10"],
            "occurred_at": [pd.NaT, pd.NaT],
            "time_known": [False, False],
            "source": ["p", "p"],
            "source_line": [2, 3],
        },
        geometry=[Point(486101.3, 308712.7), Point(486190.2, 308810.4)],
        crs=CRS,
    )
    inputs = Inputs(
        crs=CRS,
        timezone="Europe/London",
        study_area=box(485900, 308400, 486300, 309000),
        schools=schools,
        hubs=hubs,
        incidents=incidents,
        reports=(),
        rejects=pd.DataFrame(),
    )
    route = MultiLineString([lines[0], lines[1]])
    cor = gpd.GeoDataFrame(
        {
            "corridor_id": ["C1"],
            "school_ids": ["1"],
            "school_names": ["Oakham Test School"],
            "footfall": [120.0],
            "risk": [3.5],
            "incidents": [2],
            "offences": ['{"Robbery": 1}'],
            "time_note": ["month-only data"],
            "reason": ["2 incidents near the route"],
            "patrolled": [True],
        },
        geometry=[route],
        crs=CRS,
    )
    loop_line = LineString(
        [
            *lines[0].coords,
            *lines[1].coords[1:],
            *lines[1].coords[::-1][1:],
            *lines[0].coords[::-1][1:],
        ]
    )
    loops = gpd.GeoDataFrame(
        {
            "loop_id": ["C1-L1"],
            "corridor_id": ["C1"],
            "school_ids": ["1"],
            "meeting_point": ["Oakham Test School gate"],
            "meeting_kind": ["school"],
            "start_time": ["15:15"],
            "duration_min": [20.0],
            "length_m": [800.0],
            "risk_covered": [3.5],
            "risk_share": [1.0],
            "gap": [0.0],
        },
        geometry=[loop_line],
        crs=CRS,
    )
    corridors = Corridors(
        corridors=cor,
        segments=gpd.GeoDataFrame(geometry=[], crs=CRS),
        loops=loops,
        unpatrolled=pd.DataFrame(columns=["school_id", "name", "reason"]),
        notes=(),
    )
    spots = Hotspots(
        selected=incidents.assign(weight=[1.0, 0.5], cluster=[0, 0]),
        polygons=gpd.GeoDataFrame(
            {
                "hotspot_id": [0],
                "weighted_count": [1.5],
                "share": [1.0],
                "area_m2": [1.0],
                "offences": ['{"Robbery": 1}'],
            },
            geometry=[Point(486150, 308760).buffer(80)],
            crs=CRS,
        ),
        edge_intensity=pd.Series(dtype=float),
        method="dbscan",
        params={},
        time_known=False,
        notes=(),
    )
    rota = _roster(["C1-L1"], {"C1-L1": "C1"}, {"C1-L1": "Oakham Test School gate"})
    return {
        "street": street,
        "inputs": inputs,
        "corridors": corridors,
        "spots": spots,
        "rota": rota,
    }


def _roster(
    loop_ids: list[str], corridor_of: dict[str, str], meet: dict[str, str], days: int = 5
) -> Roster:
    people = [
        ("p1", "PC Alex Example", "Leicestershire Police"),
        ("p2", "Sam Sample", "Rutland Youth Service"),
    ]
    rows, slots = [], []
    for d in range(days):
        date = MONDAY + dt.timedelta(days=d)
        for lid in loop_ids:
            sid = f"{lid}-{date}"
            slots.append(
                {
                    "slot_id": sid,
                    "date": date,
                    "day": f"{date:%A}",
                    "start": "15:15",
                    "end": "16:00",
                    "loop_id": lid,
                    "corridor_id": corridor_of[lid],
                    "aim": "reassurance",
                    "filled": True,
                    "police_contact": "PC Alex Example",
                    "problem": "",
                }
            )
            for pid, name, agency in people:
                rows.append(
                    {
                        "person_id": pid,
                        "name": name,
                        "agency": agency,
                        "date": date,
                        "day": f"{date:%A}",
                        "start": "15:15",
                        "end": "16:00",
                        "loop_id": lid,
                        "corridor_id": corridor_of[lid],
                        "meeting_point": meet[lid],
                        "aim": "reassurance",
                        "team": "T1",
                    }
                )
    return Roster(
        assignments=pd.DataFrame(rows),
        slots=pd.DataFrame(slots),
        problems=(),
        status="OPTIMAL",
        objective=0.0,
        bound=0.0,
        gap=0.0,
    )


def _read_incidents_csv() -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    raw = pd.read_csv(DATA / "oakham_incidents.csv", dtype=str)
    raw = raw.dropna(subset=["Longitude", "Latitude"]).reset_index(drop=True)
    pts = gpd.GeoDataFrame(
        {
            "incident_id": [f"police:{i + 2}" for i in range(len(raw))],
            "offence": raw["Crime type"],
            "month": raw["Month"],
            "occurred_at": pd.NaT,
            "time_known": False,
            "source": "police",
            "source_line": np.arange(len(raw)) + 2,
        },
        geometry=gpd.points_from_xy(raw["Longitude"].astype(float), raw["Latitude"].astype(float)),
        crs="EPSG:4326",
    ).to_crs(CRS)
    return raw, pts


@pytest.fixture(scope="module")
def tiny() -> dict[str, object]:
    return _tiny_world()


@pytest.fixture(scope="module")
def oakham() -> dict[str, object]:
    """Real Oakham streets, schools, station and police incidents; corridors by shortest path."""
    edges = gpd.read_file(DATA / "oakham_edges.geojson")
    street = _street_from_edges(edges)
    pois = gpd.read_file(DATA / "oakham_pois.geojson")
    schools = pois[pois["kind"] == "school"].reset_index(drop=True)
    schools = gpd.GeoDataFrame(
        {
            "school_id": schools["osm_id"],
            "name": schools["name"],
            "phase": "secondary",
            "source": "osm",
        },
        geometry=schools.geometry.values,
        crs=CRS,
    )
    hubs_raw = pois[pois["kind"] != "school"].reset_index(drop=True)
    hubs = gpd.GeoDataFrame(
        {
            "hub_id": hubs_raw["osm_id"],
            "name": hubs_raw["name"],
            "kind": hubs_raw["kind"],
            "source": "osm",
        },
        geometry=hubs_raw.geometry.values,
        crs=CRS,
    )
    raw, incidents = _read_incidents_csv()
    inputs = Inputs(
        crs=CRS,
        timezone="Europe/London",
        study_area=box(485500, 308200, 486500, 309200),
        schools=schools,
        hubs=hubs,
        incidents=incidents,
        reports=(),
        rejects=pd.DataFrame(),
    )
    graph = nx.Graph()
    for (u, v, _k), row in street.edges.iterrows():
        graph.add_edge(u, v, length=row["length"], geometry=row.geometry)
    node_ids = np.array(list(street.nodes.index))
    xy = np.column_stack([street.nodes["x"], street.nodes["y"]])

    def nearest(p: Point) -> int:
        return int(node_ids[np.argmin(((xy - [p.x, p.y]) ** 2).sum(axis=1))])

    station = hubs[hubs["kind"] == "rail"].geometry.iloc[0]
    cors, loops = [], []
    for i, school in schools.iterrows():
        path = nx.shortest_path(graph, nearest(school.geometry), nearest(station), weight="length")
        if len(path) < 2:
            continue
        parts = [graph.edges[a, b]["geometry"] for a, b in itertools.pairwise(path)]
        merged = linemerge(MultiLineString(parts))
        geom = merged if isinstance(merged, MultiLineString) else MultiLineString([merged])
        near = int(incidents.geometry.distance(geom).lt(50).sum())
        cid = f"C{i + 1}"
        cors.append(
            {
                "corridor_id": cid,
                "school_ids": school["school_id"],
                "school_names": school["name"],
                "footfall": 100.0 + i,
                "risk": float(near) * (1 + i),
                "incidents": near,
                "offences": json.dumps({"Anti-social behaviour": near}),
                "time_note": "month-only",
                "reason": f"{near} incidents within 50 m",
                "patrolled": True,
                "geometry": geom,
            }
        )
        coords = [c for line in geom.geoms for c in line.coords]
        loops.append(
            {
                "loop_id": f"{cid}-L1",
                "corridor_id": cid,
                "school_ids": school["school_id"],
                "meeting_point": f"{school['name']} gate",
                "meeting_kind": "school",
                "start_time": "15:15",
                "duration_min": 30.0,
                "length_m": 2 * geom.length,
                "risk_covered": float(near),
                "risk_share": 1.0,
                "gap": 0.0,
                "geometry": LineString(coords + coords[::-1][1:]),
            }
        )
    cor = gpd.GeoDataFrame(cors, geometry="geometry", crs=CRS)
    lp = gpd.GeoDataFrame(loops, geometry="geometry", crs=CRS)
    corridors = Corridors(
        corridors=cor,
        segments=gpd.GeoDataFrame(geometry=[], crs=CRS),
        loops=lp,
        unpatrolled=pd.DataFrame(columns=["school_id", "name", "reason"]),
        notes=(),
    )
    sel = incidents.assign(weight=1.0, cluster=0)
    spots = Hotspots(
        selected=sel,
        polygons=gpd.GeoDataFrame(
            {
                "hotspot_id": [0],
                "weighted_count": [float(len(sel))],
                "share": [1.0],
                "area_m2": [0.0],
                "offences": ["{}"],
            },
            geometry=[sel.union_all().convex_hull],
            crs=CRS,
        ),
        edge_intensity=pd.Series(dtype=float),
        method="test",
        params={},
        time_known=False,
        notes=(),
    )
    rota = _roster(
        list(lp["loop_id"]),
        dict(zip(lp["loop_id"], lp["corridor_id"], strict=True)),
        dict(zip(lp["loop_id"], lp["meeting_point"], strict=True)),
    )
    return {
        "street": street,
        "inputs": inputs,
        "corridors": corridors,
        "spots": spots,
        "rota": rota,
        "raw": raw,
    }


@pytest.fixture(scope="module")
def oakham_pages(
    oakham: dict[str, object], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("oakham")
    internal = maps.render_internal_map(
        inputs=oakham["inputs"],
        street=oakham["street"],
        spots=oakham["spots"],
        corridors=oakham["corridors"],
        rota=oakham["rota"],
        cfg=CFG,
        week=WEEK,
        title="Oakham",
    )
    shared = maps.render_shared_map(
        street=oakham["street"],
        corridors=oakham["corridors"],
        rota=oakham["rota"],
        cfg=CFG,
        week=WEEK,
        area_name="Oakham",
    )
    return {
        "internal": maps.save_offline(internal, out / "internal.html"),
        "shared": maps.save_offline(shared, out / "shared.html"),
    }


def _layer_names(m: folium.Map) -> list[str]:
    return [c.layer_name for c in m._children.values() if isinstance(c, folium.map.Layer)]


# -- internal map ---------------------------------------------------------------------------


def test_internal_map_layers_and_bounds(tiny: dict[str, object]) -> None:
    m = maps.render_internal_map(
        inputs=tiny["inputs"],
        street=tiny["street"],
        spots=tiny["spots"],
        corridors=tiny["corridors"],
        rota=tiny["rota"],
        cfg=CFG,
        week=WEEK,
        title="T",
    )
    names = _layer_names(m)
    assert names[0] == "Streets"
    assert {
        "Hotspots (after school)",
        "Incident heat (after school)",
        "Corridors (by risk)",
        "Schools",
        "Transport hubs",
    } <= set(names)
    day_layers = [n for n in names if n.startswith("Patrols ")]
    assert day_layers == [
        "Patrols Mon 07 Nov",
        "Patrols Tue 08 Nov",
        "Patrols Wed 09 Nov",
        "Patrols Thu 10 Nov",
        "Patrols Fri 11 Nov",
    ]
    (south, west), (north, east) = m.get_bounds()
    assert south == pytest.approx(52.667, abs=0.003) and north == pytest.approx(52.673, abs=0.003)
    assert west == pytest.approx(-0.7297, abs=0.001) and east == pytest.approx(-0.7267, abs=0.001)
    fits = [c for c in m._children.values() if isinstance(c, folium.FitBounds)]
    study = gpd.GeoSeries([tiny["inputs"].study_area], crs=CRS).to_crs(4326).total_bounds
    assert fits[-1].bounds == [
        [pytest.approx(study[1]), pytest.approx(study[0])],
        [pytest.approx(study[3]), pytest.approx(study[2])],
    ]  # fits the area
    page = m.get_root().render()
    assert (
        "L.Control.Search" in page
        and "L.Control.MiniMap" in page
        and "control.scale" in page.lower()
    )
    assert "PC Alex Example (Leicestershire Police)" in page  # the team in the popup
    assert "Robbery 1" in page  # the evidence in the corridor popup
    assert 'id="sc-legend"' in page
    # a language for screen readers, a title, and a page people may zoom (folium's may not)
    assert '<html lang="en" dir="ltr">' in page and "<title>T: week 2022-W45</title>" in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1" />' in page
    assert "user-scalable=no" not in page and "maximum-scale" not in page


def test_internal_map_renders_with_missing_stages(tiny: dict[str, object]) -> None:
    m = maps.render_internal_map(
        inputs=tiny["inputs"],
        street=tiny["street"],
        spots=None,
        corridors=None,
        rota=None,
        cfg=CFG,
        week=WEEK,
        title="T",
    )
    assert _layer_names(m) == ["Streets", "Transport hubs", "Schools"]
    no_rota = maps.render_internal_map(
        inputs=tiny["inputs"],
        street=tiny["street"],
        spots=None,
        corridors=tiny["corridors"],
        rota=None,
        cfg=CFG,
        week=WEEK,
        title="T",
    )
    assert "Patrol loops (not rostered)" in _layer_names(no_rota)


def test_online_tiles_are_an_optional_base_layer(tiny: dict[str, object]) -> None:
    m = maps.render_shared_map(
        street=tiny["street"],
        corridors=tiny["corridors"],
        rota=None,
        cfg=dataclasses.replace(CFG, online_tiles=True),
        week=WEEK,
        area_name="Oakham",
    )
    tiles = [c for c in m._children.values() if isinstance(c, folium.TileLayer)]
    assert len(tiles) == 1 and tiles[0].overlay is False
    assert "Streets" in _layer_names(m)  # streets are drawn whatever the tiles do


def test_bad_week_and_unknown_language(tiny: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="2022-W45"):
        maps.render_shared_map(
            street=tiny["street"], corridors=None, rota=None, cfg=CFG, week="2022-45", area_name="x"
        )
    with pytest.raises(ConfigError, match=r"\['fr'\].*NOTICE_TEXT"):
        maps.render_shared_map(
            street=tiny["street"],
            corridors=None,
            rota=None,
            cfg=MapConfig(languages=("en", "fr")),
            week=WEEK,
            area_name="x",
        )
    with pytest.raises(ConfigError, match="must include 'en'"):
        MapConfig(languages=("cy",))


# -- shared map: never incident data -----------------------------------------------------


def test_shared_corridor_table_suppresses_small_counts() -> None:
    cor = gpd.GeoDataFrame(
        {
            "corridor_id": ["a", "b", "c"],
            "school_names": ["S1", "S2", None],
            "incidents": [9, 10, 250],
            "offences": ["{}"] * 3,
            "risk": [1.0, 2.0, 3.0],
            "reason": ["9 incidents"] * 3,
        },
        geometry=[LineString([(0, 0), (1, 1)])] * 3,
        crs=CRS,
    )
    out = maps.shared_corridor_table(cor, cfg=MapConfig(min_shared_count=10))
    assert list(out.columns) == ["corridor_id", "school_names", "incidents", "geometry"]
    assert out["incidents"].tolist() == [None, 10, 250]
    assert out["school_names"].tolist() == ["S1", "S2", None]


def test_shared_signature_takes_no_incident_inputs() -> None:
    import inspect

    params = set(inspect.signature(maps.render_shared_map).parameters)
    assert params == {"street", "corridors", "rota", "cfg", "week", "area_name", "timezone"}


def test_shared_map_holds_no_incident_fields_or_names(
    tiny: dict[str, object], tmp_path: Path
) -> None:
    m = maps.render_shared_map(
        street=tiny["street"],
        corridors=tiny["corridors"],
        rota=tiny["rota"],
        cfg=CFG,
        week=WEEK,
        area_name="Oakham",
    )
    page = maps.save_offline(m, tmp_path / "shared.html").read_text(encoding="utf-8")
    for banned in (
        "Robbery",
        "Anti-social behaviour",
        "p:2",
        "incidents near the route",
        "month-only",
        "PC Alex Example",
        "Sam Sample",
        "risk",
    ):
        assert banned not in page, banned
    assert "Leicestershire Police; Rutland Youth Service" in page  # organisations, not people
    assert "Oakham NPT, 101" in page and "Cysylltwch â: Oakham NPT, 101" in page
    assert page.count("<tr><td>") == 15  # one loop on five days (a table a day), three languages
    assert "Monday, Tuesday, Wednesday, Thursday, Friday" in page  # the popups
    # a heading per day, in each language's own order (Babel's CLDR dates)
    # (no timezone given: English as CLDR writes it by default, month first)
    assert "Monday, November 7, 2022" in page and "Friday, November 11, 2022" in page
    assert "Dydd Llun, 7 Tachwedd 2022" in page and "7 Kasım 2022 Pazartesi" in page
    named = maps.render_shared_map(
        street=tiny["street"],
        corridors=tiny["corridors"],
        rota=tiny["rota"],
        cfg=dataclasses.replace(CFG, show_names=True),
        week=WEEK,
        area_name="O",
    )
    assert "PC Alex Example" in named.get_root().render()


def _page_pairs(page: str) -> set[tuple[str, str]]:
    nums = re.findall(r"-?\d+\.\d+", page)
    return set(itertools.pairwise(nums))


def test_shared_page_holds_no_incident_coordinate(
    oakham: dict[str, object], oakham_pages: dict[str, Path]
) -> None:
    page = oakham_pages["shared"].read_text(encoding="utf-8")
    pairs = _page_pairs(page)
    raw = oakham["raw"]
    incidents = oakham["inputs"].incidents.to_crs(4326)
    assert len(incidents) > 500
    for lon, lat in zip(raw["Longitude"], raw["Latitude"], strict=True):  # as published
        assert (lon, lat) not in pairs and (lat, lon) not in pairs
        assert f"{lon}, {lat}" not in page and f"{lat}, {lon}" not in page
    for p in incidents.geometry:  # in the page's rounding (6 dp), both orders
        lon, lat = repr(round(p.x, 6)), repr(round(p.y, 6))
        assert (lon, lat) not in pairs and (lat, lon) not in pairs
    for offence in set(raw["Crime type"]):
        assert offence not in page
    assert "police:" not in page and "On or near" not in page  # incident ids, locations
    # the same scan finds them in the internal page (heat layer), so it is not vacuous
    internal_pairs = _page_pairs(oakham_pages["internal"].read_text(encoding="utf-8"))
    hits = sum(
        (repr(round(p.y, 6)), repr(round(p.x, 6))) in internal_pairs for p in incidents.geometry
    )
    assert hits > 0.9 * len(incidents)


def test_notice_translation_table_is_complete() -> None:
    keys = set(maps.NOTICE_TEXT["en"])
    for code, table in maps.NOTICE_TEXT.items():
        assert set(table) == keys, code
        assert len(set(maps.day_names(code))) == 7
        for key, text in table.items():
            assert re.findall(r"{\w+}", text) == re.findall(
                r"{\w+}", maps.NOTICE_TEXT["en"][key]
            ), (code, key)


def test_agency_codes_become_words() -> None:
    assert _agency_label("pcso") == "Police (PCSO)"
    assert _agency_label("youth_worker") == "Youth workers"
    assert _agency_label("fire_service") == "Fire service"
    assert _agency_label("Rutland Youth Service") == "Rutland Youth Service"


def test_shared_patrols_without_roster(tiny: dict[str, object]) -> None:
    patrols = maps.shared_patrols(tiny["corridors"], None, cfg=CFG)
    assert patrols[["loop_id", "start", "end", "meeting_point"]].to_dict("records") == [
        {
            "loop_id": "C1-L1",
            "start": "15:15",
            "end": "15:35",
            "meeting_point": "Oakham Test School gate",
        }
    ]
    assert patrols["date"].tolist() == [None]


def _route_layer(m: folium.Map) -> gpd.GeoDataFrame:
    """The shared map's "Patrol routes" layer as drawn (EPSG:27700), with its properties."""
    layers = [
        c for c in m._children.values() if getattr(c, "layer_name", None) == "Patrol routes"
    ]
    if not layers:
        return gpd.GeoDataFrame(geometry=[], crs=CRS)
    (layer,) = layers
    return gpd.GeoDataFrame.from_features(layer.data["features"], crs=4326).to_crs(CRS)


def _two_loop_world() -> tuple[Corridors, Roster]:
    """The tiny world's corridor over all three streets, its loop and a second loop on
    Deanscroft; the roster fills the first loop every day and never the second."""
    tiny = _tiny_world()
    base: Corridors = tiny["corridors"]  # type: ignore[assignment]
    lines = list(tiny["street"].edges.geometry[:3])  # type: ignore[attr-defined]
    cor = base.corridors.copy()
    cor["geometry"] = [MultiLineString(lines)]  # 600 m of streets
    cor["incidents"] = [250]  # a count far above min_shared_count
    deans = lines[2]
    second = base.loops.iloc[[0]].copy()
    second["loop_id"] = ["C1-L2"]
    second["meeting_point"] = ["Deanscroft corner"]
    second["geometry"] = [LineString([*deans.coords, *deans.coords[::-1][1:]])]  # 400 m
    loops = gpd.GeoDataFrame(pd.concat([base.loops, second], ignore_index=True), crs=CRS)
    corridors = dataclasses.replace(base, corridors=cor, loops=loops)
    rota = _roster(
        ["C1-L1", "C1-L2"],
        {"C1-L1": "C1", "C1-L2": "C1"},
        {"C1-L1": "Oakham Test School gate", "C1-L2": "Deanscroft corner"},
    )
    unfilled = rota.slots["loop_id"] == "C1-L2"
    slots = rota.slots.assign(filled=~unfilled, problem=np.where(unfilled, "nobody free", ""))
    people = rota.assignments[rota.assignments["loop_id"] != "C1-L2"]
    return corridors, dataclasses.replace(rota, slots=slots, assignments=people)


def test_shared_map_draws_the_walked_loops_not_the_corridors() -> None:
    corridors, rota = _two_loop_world()
    m = maps.render_shared_map(
        street=_tiny_world()["street"], corridors=corridors, rota=rota,
        cfg=dataclasses.replace(CFG, min_shared_count=1), week=WEEK, area_name="Oakham",
    )  # fmt: skip
    drawn = _route_layer(m)
    # the filled loop, as walked (out and back: 800 m), not the corridor (600 m of streets)
    # and not the loop nobody was rostered to
    assert len(drawn) == 1
    assert drawn.length.sum() == pytest.approx(800.0, abs=1.0)
    assert drawn.geometry.iloc[0].buffer(5).contains(corridors.loops.geometry.iloc[0])
    assert drawn.distance(Point(486000, 308500)).min() > 150  # Deanscroft's far end
    page = m.get_root().render()
    assert "Oakham Test School" in drawn["popup"].iloc[0] and "15:15–16:00" in page
    assert "Deanscroft corner" not in page  # no meeting point for a patrol nobody walks
    # no count anywhere on the page, whatever min_shared_count allows
    assert "incidents" not in page.lower()
    texts = [
        json.dumps(c.data["features"][0]["properties"])
        for c in m._children.values()
        if isinstance(c, _GeoJsonLayer) and c.layer_name != "Streets"
    ]
    notice = re.search(r'<main class="sc-notice".*?</main>', page, re.S)
    assert len(texts) == 2 and notice is not None  # routes, meeting points; the notice
    assert not [t for t in [*texts, notice.group(0)] if "250" in t]
    # without a roster every loop is drawn, at its planned time
    unrostered = maps.render_shared_map(
        street=_tiny_world()["street"], corridors=corridors, rota=None, cfg=CFG, week=WEEK,
        area_name="Oakham",
    )  # fmt: skip
    drawn = _route_layer(unrostered)
    assert len(drawn) == 2 and drawn.length.sum() == pytest.approx(1200.0, abs=1.0)
    assert "Deanscroft corner" in unrostered.get_root().render()


def test_shared_map_and_notice_without_a_roster(tiny: dict[str, object], tmp_path: Path) -> None:
    # no staff file: loops, times and meeting points, and who in general terms
    m = maps.render_shared_map(
        street=tiny["street"], corridors=tiny["corridors"], rota=None, cfg=CFG, week=WEEK,
        area_name="Oakham",
    )  # fmt: skip
    page = maps.save_offline(m, tmp_path / "shared.html").read_text(encoding="utf-8")
    routes = _route_layer(m)
    assert len(routes) == 1
    assert "This week, local officers and partners will walk these routes after school." in page
    assert "Bydd swyddogion lleol a phartneriaid yn cerdded" in page
    assert "yerel görevliler ve ortak kurumların çalışanları bu güzergâhlarda" in page
    for kind in ("police officers", "youth workers", "school staff", "PCSO"):
        assert kind.lower() not in page.lower(), kind
    assert page.count("<tr><td><bdi>Oakham Test School gate</bdi><button") == 3  # a row a language
    # each row's button to its routes, in the row's language
    for code in ("en", "cy", "tr"):
        label = maps.NOTICE_TEXT[code]["show_on_map"]
        assert f'data-meet="Oakham Test School gate" aria-label="{label}: ' in page, code
    assert "Every school day" in page and "Bob diwrnod ysgol" in page
    assert "Her okul günü" in page and "15:15–15:35" in page
    # the route's popup lists the same
    assert "<li>Every school day, 15:15–15:35</li>" in routes["popup"].iloc[0]


@pytest.mark.parametrize(
    ("agencies", "en", "cy", "tr"),
    [
        (
            ["police_officer", "youth_worker"],
            "This week, police officers and youth workers will walk",
            "Bydd swyddogion yr heddlu a gweithwyr ieuenctid yn cerdded",
            "okul çıkışında polis memurları ve gençlik çalışanları bu",
        ),
        (
            ["school_staff", "pcso", "school_officer"],
            "This week, police officers, police community support officers (PCSOs) and school "
            "staff will walk",
            "Bydd swyddogion yr heddlu, swyddogion cymorth cymunedol yr heddlu (PCSO) a staff "
            "ysgolion yn cerdded",
            "okul çıkışında polis memurları, toplum destek görevlileri (PCSO) ve okul personeli bu",
        ),
        (
            ["youth_worker", "youth_worker"],
            "This week, youth workers will walk",
            "Bydd gweithwyr ieuenctid yn cerdded",
            "okul çıkışında gençlik çalışanları bu",
        ),
    ],
)
def test_notice_names_only_the_kinds_of_people_rostered(
    tiny: dict[str, object], agencies: list[str], en: str, cy: str, tr: str
) -> None:
    rota: Roster = tiny["rota"]  # type: ignore[assignment]
    people = rota.assignments.copy()
    people["agency"] = [agencies[i % len(agencies)] for i in range(len(people))]
    m = maps.render_shared_map(
        street=tiny["street"], corridors=tiny["corridors"],
        rota=dataclasses.replace(rota, assignments=people), cfg=CFG, week=WEEK, area_name="O",
    )  # fmt: skip
    notice = re.search(r'<main class="sc-notice".*?</main>', m.get_root().render(), re.S)
    assert notice is not None
    text = html.unescape(notice.group(0))
    assert en in text and cy in text and tr in text
    named = {k for k in maps.PEOPLE_KINDS if maps.NOTICE_TEXT["en"][f"people_{k}"] in text}
    assert named == set(maps.rostered_kinds(dataclasses.replace(rota, assignments=people)))
    assert "local officers and partners" not in text


def test_rostered_kinds() -> None:
    def kinds(*agencies: str) -> tuple[str, ...]:
        return maps.rostered_kinds(
            Roster(
                assignments=pd.DataFrame({"agency": list(agencies)}), slots=pd.DataFrame(),
                problems=(), status="OPTIMAL", objective=0.0, bound=0.0, gap=0.0,
            )
        )  # fmt: skip

    assert kinds("volunteer", "school_officer", "health") == ("police_officer", "health",
                                                              "volunteer")  # fmt: skip
    assert kinds("Leicestershire Police", "pcso") == ("pcso", "other")  # not a roster code
    assert kinds() == () and maps.rostered_kinds(None) == ()
    for code in maps.PEOPLE_KINDS:  # every kind has words in every language
        for table in maps.NOTICE_TEXT.values():
            assert table[f"people_{code}"], code


# -- offline pages ---------------------------------------------------------------------------


def test_saved_pages_are_self_contained(oakham_pages: dict[str, Path]) -> None:
    for path in oakham_pages.values():
        page = path.read_text(encoding="utf-8")
        assert not re.search(r'<script[^>]+src="http', page)
        assert not re.search(r'<link[^>]+href="http', page)
        assert "cdn.jsdelivr" not in page.split("<body>")[0] and "cdnjs" not in page
        assert "L.Icon.Default.imagePath=''" in page
        assert re.search(r"\[-?\d+\.\d{7,}", page) is None  # coordinates rounded to 6 dp
    internal = oakham_pages["internal"].read_text(encoding="utf-8")
    assert "data:font/woff2;base64," in internal and "awesome-marker" in internal
    shared = oakham_pages["shared"].read_text(encoding="utf-8")
    assert "L.AwesomeMarkers" not in shared and "data:font/woff2" not in shared  # not used there
    assert oakham_pages["shared"].stat().st_size < 2_000_000


def test_unknown_cdn_asset_is_an_error() -> None:
    with pytest.raises(CorridorsError, match="not vendored"):
        maps.inline_assets('<script src="https://cdn.example.org/x.js"></script>')


def test_vendored_assets_ship_with_licences() -> None:
    files = maps.vendored_files()
    for pkg in (
        "leaflet",
        "leaflet.awesome-markers",
        "fontawesome-free",
        "leaflet-minimap",
        "leaflet-search",
        "leaflet.heat",
    ):
        assert any(f.startswith(f"{pkg}/") and "licen" in f.lower() for f in files), pkg
    sums = (maps.ASSET_DIR / "SHA256SUMS").read_text().split("\n")
    recorded = {
        line.split()[1].removeprefix("./"): line.split()[0] for line in sums if line.strip()
    }
    assert recorded == files


# -- manifest, index, history ------------------------------------------------------------------


def test_manifest_and_index(tmp_path: Path) -> None:
    from corridors.config import load_config

    cfg = load_config(Path(__file__).parents[1] / "data" / "rutland.toml")
    rep = SourceReport(
        kind="incidents",
        name="x.csv",
        path="/d/x.csv",
        read=12,
        accepted=10,
        rejected={"bad lat": 2},
        sha256="ab" * 32,
    )
    week_dir = tmp_path / "rutland" / WEEK
    path = maps.write_manifest(
        week_dir / "manifest.json", cfg=cfg, reports=[rep], extra={"week": WEEK}
    )
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["version"] == "0.1.0" and doc["week"] == WEEK
    assert doc["inputs"][0]["sha256"] == "ab" * 32 and doc["inputs"][0]["rows"] == 10
    assert doc["config"]["maps"]["min_shared_count"] == 10
    assert dt.datetime.fromisoformat(doc["run_at"]).tzinfo is not None
    (week_dir / "shared.html").write_text("x")
    (tmp_path / "rutland" / "2022-W46").mkdir()
    (tmp_path / "rutland" / "notes").mkdir()
    index = maps.write_index(tmp_path).read_text(encoding="utf-8")
    assert index.index("2022-W46") < index.index("2022-W45")
    assert (
        'href="rutland/2022-W45/shared.html"' in index
        and 'href="rutland/2022-W45/manifest.json"' in index
    )
    assert "notes" not in index and "internal map</a>" not in index


def test_history_replaces_a_week_and_keeps_others(tiny: dict[str, object], tmp_path: Path) -> None:
    gpkg = tmp_path / "rutland" / "plans.gpkg"
    kw = {"corridors": tiny["corridors"], "rota": tiny["rota"], "spots": tiny["spots"]}
    maps.append_history(gpkg, week="2022-W45", **kw)
    maps.append_history(gpkg, week="2022-W46", **kw)
    maps.append_history(gpkg, week="2022-W45", **kw)  # re-run: replaces, never duplicates
    layers = dict(pyogrio.list_layers(gpkg))
    assert set(layers) == {"corridors", "loops", "roster", "hotspots"}
    assert layers["roster"] is None and layers["corridors"] == "MultiLineString"
    for layer, per_week in (("corridors", 1), ("loops", 1), ("roster", 10), ("hotspots", 1)):
        frame = pyogrio.read_dataframe(gpkg, layer=layer)
        assert sorted(frame["week"].value_counts().items()) == [
            ("2022-W45", per_week),
            ("2022-W46", per_week),
        ]
    loops = gpd.read_file(gpkg, layer="loops")
    assert (
        loops.crs.to_epsg() == 27700 and loops["meeting_point"].iloc[0] == "Oakham Test School gate"
    )
    assert not list(gpkg.parent.glob(".plans*"))  # no temporary file left behind
    maps.append_history(gpkg, week="2022-W47", corridors=None, rota=None, spots=None)
    assert len(pyogrio.read_dataframe(gpkg, layer="corridors")) == 2


# -- real browser, network blocked ------------------------------------------------------------


@pytest.mark.browser
def test_pages_draw_offline_in_chromium(
    oakham: dict[str, object], oakham_pages: dict[str, Path], offline_browser: object
) -> None:
    n_cor, n_loops = len(oakham["corridors"].corridors), len(oakham["corridors"].loops)
    n_points = len(oakham["inputs"].schools) + len(oakham["inputs"].hubs)
    lines = (
        2 + 1 + n_cor + 5 * n_loops
    )  # streets (major, minor), hotspot, corridors, loops x 5 days
    internal = offline_browser.open(oakham_pages["internal"])
    assert internal.errors == []
    c = internal.counts
    assert (
        c["leaflet"] == 1
        and c["legend"] == 1
        and c["search"] == 1
        and c["minimap"] == 1
        and c["scale"] == 1
    )
    assert c["awesome_markers"] >= 5  # schools and hubs
    assert c["geojson_features"] == lines + n_points
    assert c["svg_paths"] >= lines
    assert (
        c["layer_inputs"] == 1 + 2 + 1 + 5 + 2
    )  # streets, hotspots + heat, corridors, 5 days, points

    assert not png_is_blank(internal.png) and distinct_colours(internal.png) > 50

    shared = offline_browser.open(oakham_pages["shared"])
    assert shared.errors == []
    assert shared.counts["notice"] == 1 and shared.counts["awesome_markers"] == 0
    # streets (major, minor), the loops walked (not the corridors), their meeting points
    assert shared.counts["geojson_features"] == 2 + n_loops + n_loops
    assert shared.counts["svg_paths"] >= 2 + n_loops + n_loops
    assert not png_is_blank(shared.png)


@pytest.mark.browser
def test_online_tiles_fail_quietly_offline(
    tiny: dict[str, object], tmp_path: Path, offline_browser: object
) -> None:
    m = maps.render_internal_map(
        inputs=tiny["inputs"],
        street=tiny["street"],
        spots=tiny["spots"],
        corridors=tiny["corridors"],
        rota=tiny["rota"],
        cfg=dataclasses.replace(CFG, online_tiles=True),
        week=WEEK,
        title="T",
    )
    report = offline_browser.open(maps.save_offline(m, tmp_path / "tiles.html"))
    assert report.errors == []
    assert any("tile.openstreetmap.org" in url for url in report.blocked)  # tried, and was blocked
    assert report.counts["svg_paths"] >= 2 + 1 + 1 + 5  # streets, hotspot, corridor, loops
    assert not png_is_blank(report.png)


@pytest.mark.browser
def test_take_screenshot(
    oakham_pages: dict[str, Path], tmp_path: Path, offline_browser: object
) -> None:
    png = maps.take_screenshot(oakham_pages["shared"], tmp_path / "shot.png", size=(800, 600))
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and not png_is_blank(data)
    from matplotlib import image

    assert image.imread(png).shape[:2] == (600, 800)


def test_school_linked_officers_are_called_police_on_the_shared_notice() -> None:
    # parents and young people must know when a police officer walks, whatever their role
    from corridors.config import RosterConfig

    police = RosterConfig().police_agencies
    assert "school_officer" in police
    for agency in police:
        assert _agency_label(agency).startswith("Police"), agency
    for agency in ("youth_worker", "school_staff", "volunteer", "health", "other"):
        assert not _agency_label(agency).startswith("Police"), agency
