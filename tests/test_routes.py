"""Tests for the corridors stage: routes, corridors, risk, evidence, patrol loops, exports."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import re
from pathlib import Path

import geopandas as gpd
import gpxpy
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse import csgraph
from shapely.geometry import Point

from corridors import graph, load, routes
from corridors.config import GraphConfig, RouteConfig
from corridors.errors import ConfigError, EmptyResultError
from corridors.hotspots import Hotspots
from corridors.load import osm
from corridors.routes.footfall import _depths
from corridors.routes.loops import _loop_instance, _node_path, _solve_loops
from corridors.routes.network import _build_net
from corridors.routes.solver import LoopTask, _repair, solve_tasks, split_budget, worker_count
from corridors.week import PlanWeek, Window

DATA = Path(__file__).parent / "data"
TINY = DATA / "graph" / "tiny.osm"
OAKHAM = DATA / "routes" / "oakham.osm.pbf"
OAKHAM_POLICE = DATA / "routes" / "oakham-incidents.csv.gz"
CRS = "EPSG:27700"
TZ = "Europe/London"
WEEK = dt.date(2022, 11, 7)
PLAN_WEEK = PlanWeek.parse("2022-W45", timezone=TZ, lookback_weeks=52)
E0, N0 = 450_000.0, 250_000.0  # origin of the tiny grid (British National Grid)


# -- helpers --------------------------------------------------------------------------------


def _inputs(schools, hubs, incidents) -> load.Inputs:
    return load.Inputs(CRS, TZ, None, schools, hubs, incidents, (), pd.DataFrame())


def _incidents(points, *, times=None, months=None, offence="Violence and sexual offences"):
    n = len(points)
    if times is not None:
        occurred = pd.to_datetime(pd.Series(times)).dt.tz_localize(TZ)
        known = True
        month = occurred.dt.strftime("%Y-%m")
    else:
        occurred = pd.Series(pd.NaT, index=range(n), dtype=f"datetime64[ns, {TZ}]")
        known = False
        month = pd.Series(months if months is not None else ["2022-09"] * n)
    return gpd.GeoDataFrame(
        {
            load.INCIDENT_ID: [f"t:{i}" for i in range(n)],
            load.OFFENCE: offence,
            load.MONTH: month.to_numpy(),
            load.OCCURRED_AT: occurred.to_numpy(),
            load.TIME_KNOWN: known,
        },
        geometry=list(points),
        crs=CRS,
    )


def _empty_hubs() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            load.HUB_ID: pd.Series(dtype=str),
            load.NAME: pd.Series(dtype=str),
            load.KIND: pd.Series(dtype=str),
        },
        geometry=gpd.GeoSeries([], crs=CRS),
    )


def _schools(rows) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            load.SCHOOL_ID: [r[0] for r in rows],
            load.NAME: [r[1] for r in rows],
            load.PHASE: [r[2] for r in rows],
        },
        geometry=[Point(r[3]) for r in rows],
        crs=CRS,
    )


def _grid(nx_: int, ny: int, *, step: float = 100.0, jitter: float = 0.0, seed: int = 0):
    """A grid street graph; with jitter, shortest paths are unique."""
    rng = np.random.default_rng(seed)
    coords = {}
    for r in range(ny):
        for c in range(nx_):
            dx, dy = rng.uniform(-jitter, jitter, 2) if jitter else (0.0, 0.0)
            coords[r * nx_ + c] = (E0 + c * step + dx, N0 + r * step + dy)
    pairs, names = [], []
    for r in range(ny):
        for c in range(nx_):
            n = r * nx_ + c
            if c < nx_ - 1:
                pairs += [(n, n + 1), (n + 1, n)]
                names += [f"row {r}"] * 2
            if r < ny - 1:
                pairs += [(n, n + nx_), (n + nx_, n)]
                names += [f"col {c}"] * 2
    return routes.street_from_edges(coords, pairs, crs=CRS, names=names)


def _closed(geom) -> bool:
    coords = shapely.get_coordinates(geom)
    return bool(np.allclose(coords[0], coords[-1], atol=1e-6))


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_street(tmp_path_factory):
    cfg = GraphConfig(osm_file=TINY, cache_dir=tmp_path_factory.mktemp("graph-cache"))
    return graph.build_street_graph(cfg, crs=CRS)


@pytest.fixture(scope="module")
def tiny_inputs():
    schools = osm.read_osm_schools(TINY).to_crs(CRS).rename(columns={"osm_id": load.SCHOOL_ID})
    hubs = osm.read_osm_hubs(TINY).to_crs(CRS).rename(columns={"osm_id": load.HUB_ID})
    rng = np.random.default_rng(1)
    # incidents along Market Street / High Street near the schools, after school
    points = [Point(E0 + 300 + rng.normal(0, 10), N0 + 250 + rng.normal(0, 60)) for _ in range(30)]
    times = [
        f"2022-{m:02d}-{d:02d} 16:{mm:02d}"
        for m, d, mm in zip(
            rng.integers(3, 10, 30), rng.integers(3, 8, 30), rng.integers(20, 50, 30), strict=True
        )
    ]
    # keep weekdays only: shift weekend dates to the Monday after
    stamps = [pd.Timestamp(t) for t in times]
    stamps = [
        s + pd.Timedelta(days=(7 - s.weekday()) % 7 if s.weekday() >= 5 else 0) for s in stamps
    ]
    return _inputs(schools, hubs, _incidents(points, times=[str(s) for s in stamps]))


@pytest.fixture(scope="module")
def tiny_plan(tiny_street, tiny_inputs):
    return routes.plan_corridors(
        tiny_street,
        tiny_inputs,
        None,
        RouteConfig(),
        week=PLAN_WEEK,
        window=Window(),
    )


# -- routes ---------------------------------------------------------------------------------


def test_tree_distances_match_networkx_on_tiny_osm(tiny_street):
    net = _build_net(tiny_street)
    und = nx.Graph()
    for (u, v, _k), length in tiny_street.edges["length"].items():
        if not und.has_edge(u, v) or und[u][v]["length"] > length:
            und.add_edge(u, v, length=length)
    src = 1033
    expected = nx.single_source_dijkstra_path_length(und, src, weight="length")
    dist, pred = csgraph.dijkstra(net.csr, indices=net.index[src], return_predecessors=True)
    for node, d in expected.items():
        assert dist[net.index[node]] == pytest.approx(d, abs=1e-6)
        # walking the predecessor tree back gives a path of exactly that length
        path = _node_path(pred[None, :], 0, net.index[src], net.index[node])
        length = sum(net.csr[a, b] for a, b in itertools.pairwise(path))
        assert length == pytest.approx(d, abs=1e-6)


def test_footfall_equals_per_pair_networkx_paths():
    street = _grid(5, 4, jitter=12.0, seed=3)
    graph_nx = nx.DiGraph()
    for (u, v, _k), length in street.edges["length"].items():
        graph_nx.add_edge(u, v, length=length)
    weights = pd.Series({n: float(n % 3 + 1) for n in range(20) if n != 7})
    [flows] = routes.route_footfall(street, [7], [weights], limit_m=10_000)
    expected: dict[tuple[int, int, int], float] = {}
    for dest, w in weights.items():
        path = nx.shortest_path(graph_nx, 7, dest, weight="length")
        for a, b in itertools.pairwise(path):
            expected[(a, b, 0)] = expected.get((a, b, 0), 0.0) + w
    assert set(flows.index) == set(expected)
    for edge, value in expected.items():
        assert flows[edge] == pytest.approx(value)


def test_footfall_respects_the_walking_limit():
    street = _grid(6, 1)
    weights = pd.Series({5: 1.0, 2: 1.0})
    [flows] = routes.route_footfall(street, [0], [weights], limit_m=250)
    assert set(flows.index) == {(0, 1, 0), (1, 2, 0)}  # node 5 is 500 m away
    assert flows[(0, 1, 0)] == pytest.approx(1.0)


def test_depths_by_pointer_jumping():
    parent = np.array([-1, 0, 1, 2, 1, -1, 5])
    assert _depths(parent).tolist() == [0, 1, 2, 3, 2, 0, 1]


# -- corridors on the tiny OSM file ----------------------------------------------------------


def test_two_schools_across_high_street_share_one_corridor(tiny_plan):
    corridors = tiny_plan.corridors
    assert len(corridors) == 1
    row = corridors.iloc[0]
    assert set(row[routes.SCHOOL_NAMES].split(";")) == {"North Academy", "South College"}
    assert row[routes.PATROLLED]
    assert row[routes.RISK] == pytest.approx(tiny_plan.segments[routes.RISK].sum())
    assert row[routes.INCIDENTS] > 0
    offences = json.loads(row[routes.OFFENCES])
    assert offences == {"Violence and sexual offences": row[routes.INCIDENTS]}
    assert row[routes.TIME_NOTE].startswith("after-school window")
    assert row[routes.REASON].startswith("Chosen:")
    assert tiny_plan.unpatrolled.empty


def test_segments_carry_street_ids_and_risk(tiny_plan, tiny_street):
    segs = tiny_plan.segments
    assert set(segs[routes.STREET_ID]) <= set(tiny_street.edges["street_id"])
    assert (segs[routes.RISK] == segs[routes.FOOTFALL] * segs[routes.INTENSITY]).all()
    assert (segs[routes.FOOTFALL] > 0).all()
    # every corridor segment touches another one or a school node: contiguous
    geoms = shapely.union_all(segs.geometry.to_numpy())
    assert geoms.geom_type in ("LineString", "MultiLineString")
    assert shapely.line_merge(geoms) is not None


def test_loops_on_tiny_osm_are_closed_and_within_budget(tiny_plan, tiny_street, tiny_inputs):
    cfg = RouteConfig()
    loops = tiny_plan.loops
    assert 1 <= len(loops) <= cfg.max_loops_per_corridor
    budget = cfg.loop_budget_min * cfg.speed_kmh * 1000 / 60
    nodes = tiny_street.nodes
    for _, loop in loops.iterrows():
        assert _closed(loop.geometry)
        assert loop.geometry.length == pytest.approx(loop[routes.LENGTH_M], rel=2e-3)
        assert loop[routes.LENGTH_M] <= budget + 1e-6
        assert loop[routes.DURATION_MIN] <= cfg.loop_budget_min + 0.1
        assert 0 < loop[routes.RISK_SHARE] <= 1
        assert 0 <= loop[routes.GAP] <= 1
        assert loop[routes.MEETING_KIND] in ("school", "hub")
        names = (
            tiny_inputs.schools if loop[routes.MEETING_KIND] == "school" else tiny_inputs.hubs
        )[load.NAME]
        assert loop[routes.MEETING_POINT] in set(names)
        start = Point(shapely.get_coordinates(loop.geometry)[0])
        depot = nodes.loc[loop[routes.MEETING_NODE]]
        assert start.distance(Point(depot["x"], depot["y"])) < 1e-6
        # incidents were at 16:20-16:50: the walk starts then, on the quarter hour
        assert loop[routes.START_TIME] in ("16:00", "16:15", "16:30")


def test_spots_edge_intensity_is_used(tiny_street, tiny_inputs, tiny_plan):
    target = tiny_plan.segments[routes.STREET_ID].iloc[0]
    high = [(u, v, k) for (u, v, k), sid in tiny_street.edges["street_id"].items() if sid == target]
    intensity = pd.Series(2.0, index=pd.MultiIndex.from_tuples(high, names=["u", "v", "key"]))
    spots = Hotspots(
        selected=tiny_inputs.incidents,
        polygons=gpd.GeoDataFrame(geometry=[], crs=CRS),
        edge_intensity=intensity,
        method="network",
        params={},
        time_known=True,
        notes=(),
    )
    plan = routes.plan_corridors(
        tiny_street,
        tiny_inputs,
        spots,
        RouteConfig(),
        week=PLAN_WEEK,
        window=Window(),
    )
    segs = plan.segments
    risky = segs[segs[routes.RISK] > 0]
    assert not risky.empty
    assert set(risky[routes.STREET_ID]) == {target}
    assert (risky[routes.INTENSITY] == 2.0).all()
    assert any("hotspots stage" in note for note in plan.notes)


def test_low_risk_corridors_are_not_patrolled(tiny_street, tiny_inputs):
    plan = routes.plan_corridors(
        tiny_street,
        tiny_inputs,
        None,
        RouteConfig(min_risk=1e9),
        week=PLAN_WEEK,
        window=Window(),
    )
    assert not plan.corridors[routes.PATROLLED].any()
    assert plan.loops.empty
    assert set(plan.unpatrolled[load.NAME]) == {"North Academy", "South College"}
    assert plan.unpatrolled[routes.REASON].str.contains("not above corridors.min_risk").all()
    assert plan.corridors[routes.REASON].iloc[0].startswith("Not patrolled")


def test_too_few_incidents_means_no_patrol(tiny_street, tiny_inputs, tiny_plan):
    counted = tiny_plan.corridors[routes.INCIDENTS].max()
    assert counted >= 1
    plan = routes.plan_corridors(
        tiny_street,
        tiny_inputs,
        None,
        RouteConfig(min_incidents=int(counted) + 1),
        week=PLAN_WEEK,
        window=Window(),
    )
    assert not plan.corridors[routes.PATROLLED].any()
    assert plan.loops.empty
    assert plan.unpatrolled[routes.REASON].str.contains("fewer than corridors.min_incidents").all()


def test_month_only_evidence_and_closing_time(tiny_street, tiny_inputs):
    points = [Point(E0 + 300, N0 + 290 + i) for i in range(5)]
    inputs = _inputs(
        tiny_inputs.schools,
        tiny_inputs.hubs,
        _incidents(points, months=["2022-10", "2022-09", "2022-01", "2020-05", "2022-11"]),
    )
    plan = routes.plan_corridors(
        tiny_street,
        inputs,
        None,
        RouteConfig(closing_time="15:20"),
        week=PLAN_WEEK,
        window=Window(),
    )
    row = plan.corridors.iloc[0]
    assert row[routes.TIME_NOTE] == routes.MONTH_ONLY_NOTE
    assert row[routes.INCIDENTS] == 3  # 2020-05 is before the look-back, 2022-11 after it
    assert set(plan.loops[routes.START_TIME]) == {"15:15"}
    assert any(routes.MONTH_ONLY_NOTE in note for note in plan.notes)


def test_far_apart_schools_keep_separate_corridors():
    street = _grid(12, 3, jitter=0.0)
    schools = _schools(
        [
            ("A", "West School", "secondary", (E0 + 5, N0 + 105)),
            ("B", "East School", "secondary", (E0 + 1095, N0 + 105)),
            ("P", "Little Primary", "primary", (E0 + 600, N0 + 100)),
        ]
    )
    incidents = _incidents(
        [Point(E0 + 100, N0 + 110), Point(E0 + 1000, N0 + 110)], months=["2022-09", "2022-09"]
    )
    plan = routes.plan_corridors(
        street,
        _inputs(schools, _empty_hubs(), incidents),
        None,
        RouteConfig(catchment_m=300, hub_walk_m=300),
        week=PLAN_WEEK,
        window=Window(),
    )
    assert sorted(plan.corridors[routes.SCHOOL_IDS]) == ["A", "B"]
    assert any("phase not in corridors.phases" in note for note in plan.notes)
    assert any("street length" in note for note in plan.notes)


def test_skipped_schools_are_counted_by_phase_with_the_fix():
    street = _grid(4, 3, jitter=0.0)
    schools = _schools(
        [
            ("S", "Hill High School", "secondary", (E0 + 105, N0 + 105)),
            ("U1", "Hill School", "unknown", (E0 + 205, N0 + 105)),
            ("U2", "Dale School", "unknown", (E0 + 305, N0 + 105)),
            ("P", "Hill Elementary", "primary", (E0 + 5, N0 + 105)),
        ]
    )
    incidents = _incidents([Point(E0 + 100, N0 + 110)], months=["2022-09"])
    plan = routes.plan_corridors(
        street,
        _inputs(schools, _empty_hubs(), incidents),
        None,
        RouteConfig(catchment_m=300, hub_walk_m=300),
        week=PLAN_WEEK,
        window=Window(),
    )
    assert list(plan.corridors[routes.SCHOOL_IDS]) == ["S"]
    assert (
        "3 schools skipped: phase not in corridors.phases: unknown (2), primary (1); add a "
        "phase to [corridors] phases to include it (now phases = "
        '["secondary", "all-through", "16 plus", "middle deemed secondary"])'
    ) in plan.notes


def test_school_far_from_streets_is_reported():
    street = _grid(3, 3)
    schools = _schools([("Z", "Remote School", "secondary", (E0 + 5000, N0))])
    plan = routes.plan_corridors(
        street,
        _inputs(schools, _empty_hubs(), _incidents([])),
        None,
        RouteConfig(),
        week=PLAN_WEEK,
        window=Window(),
    )
    assert plan.corridors.empty and plan.loops.empty
    assert plan.unpatrolled[routes.REASON].iloc[0].startswith("no walking route")


def test_plan_is_deterministic(tiny_street, tiny_inputs, tiny_plan):
    again = routes.plan_corridors(
        tiny_street,
        tiny_inputs,
        None,
        RouteConfig(),
        week=PLAN_WEEK,
        window=Window(),
    )
    pd.testing.assert_frame_equal(
        again.loops.drop(columns="geometry"), tiny_plan.loops.drop(columns="geometry")
    )
    assert again.loops.geometry.geom_equals_exact(tiny_plan.loops.geometry, 1e-9).all()


def test_route_config_checks():
    with pytest.raises(ConfigError, match="hub_share"):
        RouteConfig(hub_share=1.5)
    with pytest.raises(ConfigError, match="window_end"):
        RouteConfig(window_start="18:00", window_end="15:00")


# -- exports --------------------------------------------------------------------------------


def test_exports(tiny_plan, tmp_path):
    paths = routes.write_corridor_exports(tiny_plan, tmp_path / "week")
    assert [p.name for p in paths] == [
        "corridors.geojson",
        "loops.geojson",
        "loops.gpx",
        "loops.csv",
        "unpatrolled.csv",
        "corridor_streets.csv",
    ]
    streets = pd.read_csv(paths[5])
    assert streets["risk"].sum() == pytest.approx(tiny_plan.segments[routes.RISK].sum())
    assert not streets.duplicated(["corridor_id", "street_id"]).any()
    assert set(streets["street_id"]) == set(tiny_plan.segments[routes.STREET_ID])
    corridors = json.loads(paths[0].read_text())
    assert len(corridors["features"]) == len(tiny_plan.corridors)
    assert corridors["features"][0]["properties"]["school_names"]
    loops = json.loads(paths[1].read_text())
    coords = np.array(loops["features"][0]["geometry"]["coordinates"])
    assert np.allclose(coords, np.round(coords, 6))
    assert -1.5 < coords[0, 0] < -1.0 and 52.0 < coords[0, 1] < 52.2  # lon/lat, England
    assert coords[0].tolist() == coords[-1].tolist()
    gpx = gpxpy.parse(paths[2].read_text())
    assert len(gpx.tracks) == len(tiny_plan.loops)
    assert gpx.tracks[0].name.startswith("C01-L1")
    table = pd.read_csv(paths[3])
    assert len(table) == len(tiny_plan.loops) and "geometry" not in table.columns
    assert list(tmp_path.joinpath("week").glob(".*")) == []  # no temporary files left


def test_csv_exports_neutralise_formula_text(tiny_plan, tmp_path):
    import csv
    import dataclasses

    from corridors.outputs import read_csv

    loops = tiny_plan.loops.copy()
    loops[routes.MEETING_POINT] = '=HYPERLINK("http://x","y")'
    segments = tiny_plan.segments.copy()
    segments["name"] = "+Market Street"
    unpatrolled = pd.DataFrame({"school_id": ["s1"], "name": ["@School"], "reason": ["-"]})
    plan = dataclasses.replace(tiny_plan, loops=loops, segments=segments, unpatrolled=unpatrolled)
    paths = routes.write_corridor_exports(plan, tmp_path)
    for path in paths[3:]:
        with open(path, encoding="utf-8", newline="") as fh:
            header, *rows = list(csv.reader(fh))
        for row in rows:
            for col, cell in zip(header, row, strict=True):
                if cell[:1] in ("=", "+", "-", "@"):  # only numbers may start with a sign
                    assert float(cell) < 0, (path.name, col, cell)
    loops_back = read_csv(paths[3])
    assert set(loops_back[routes.MEETING_POINT]) == {loops[routes.MEETING_POINT].iloc[0]}
    assert loops_back[routes.LENGTH_M].dtype == float  # numbers are still numbers
    assert read_csv(paths[4]).values.tolist() == [["s1", "@School", "-"]]
    assert set(read_csv(paths[5])["name"]) == {"+Market Street"}


# -- patrol loops: exact check and properties -----------------------------------------------


def _brute_force(mat: np.ndarray, prize: np.ndarray, budget: float) -> float:
    best = 0.0
    k = len(prize)
    for size in range(1, k + 1):
        for subset in itertools.combinations(range(1, k + 1), size):
            value = float(prize[[i - 1 for i in subset]].sum())
            if value <= best:
                continue
            for order in itertools.permutations(subset):
                seq = (0, *order, 0)
                if sum(mat[a, b] for a, b in itertools.pairwise(seq)) <= budget:
                    best = value
                    break
    return best


@pytest.mark.parametrize("seed", range(4))
def test_loop_solver_matches_brute_force_on_small_instances(seed):
    street = _grid(5, 5, jitter=15.0, seed=seed)
    net = _build_net(street)
    rng = np.random.default_rng(seed)
    seg_risk = np.zeros(len(net.seg_rows))
    seg_risk[rng.choice(len(seg_risk), 7, replace=False)] = rng.uniform(1, 10, 7)
    budget = 900.0
    inst = _loop_instance(net, seg_risk, [12], budget_m=budget, max_candidates=7)
    assert inst is not None
    exact = _brute_force(inst.mat, inst.prize, budget)
    loops, stats = _solve_loops(
        net,
        seg_risk,
        [12],
        budget_m=budget,
        max_loops=1,
        max_candidates=7,
        iterations=300,
        seconds=5.0,
        seed=0,
    )
    assert stats is not None
    assert stats.prize == pytest.approx(exact)
    assert stats.bound >= exact - 1e-9
    for loop in loops:
        assert loop.length_m <= budget + 1e-6


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    nx_=st.integers(2, 6),
    ny=st.integers(2, 6),
    seed=st.integers(0, 10_000),
    budget=st.floats(50, 1500),
    max_loops=st.integers(1, 3),
)
def test_loop_properties_on_random_grids(nx_, ny, seed, budget, max_loops):
    street = _grid(nx_, ny, jitter=20.0, seed=seed)
    rng = np.random.default_rng(seed)
    keys = [k for k in street.edges.index if k[0] < k[1]]
    chosen = rng.choice(len(keys), min(len(keys), 8), replace=False)
    risk = pd.Series(
        rng.uniform(0.1, 5, len(chosen)), index=pd.MultiIndex.from_tuples([keys[i] for i in chosen])
    )
    depot = int(rng.integers(0, nx_ * ny))
    loops = routes.plan_patrol_loops(
        street,
        risk,
        [depot],
        budget_m=budget,
        max_loops=max_loops,
        iterations=100,
        seed=1,
    )
    assert len(loops) <= max_loops
    total = 0.0
    for loop in loops:
        assert loop.nodes[0] == loop.nodes[-1] == depot
        assert _closed(loop.geometry)
        start = shapely.get_coordinates(loop.geometry)[0]
        assert np.allclose(start, street.nodes.loc[depot, ["x", "y"]].to_numpy(float))
        assert loop.length_m <= budget + 1e-6
        assert loop.geometry.length == pytest.approx(loop.length_m, abs=1e-6)
        assert 0 <= loop.risk_share <= 1
        assert 0 <= loop.gap <= 1
        total += loop.prize
    if loops:
        assert total <= loops[0].bound + 1e-9


# -- real data: central Oakham ---------------------------------------------------------------


@pytest.fixture(scope="module")
def oakham(tmp_path_factory):
    cfg = GraphConfig(osm_file=OAKHAM, cache_dir=tmp_path_factory.mktemp("oakham-cache"))
    street = graph.build_street_graph(cfg, crs=CRS)
    schools = osm.read_osm_schools(OAKHAM).to_crs(CRS).rename(columns={"osm_id": load.SCHOOL_ID})
    hubs = osm.read_osm_hubs(OAKHAM).to_crs(CRS).rename(columns={"osm_id": load.HUB_ID})
    police = pd.read_csv(OAKHAM_POLICE).dropna(subset=["Longitude"])
    incidents = gpd.GeoDataFrame(
        {
            load.INCIDENT_ID: [f"police:{i + 2}" for i in police.index],
            load.OFFENCE: police["Crime type"].to_numpy(),
            load.MONTH: police["Month"].to_numpy(),
            load.OCCURRED_AT: pd.Series(
                pd.NaT, index=police.index, dtype=f"datetime64[ns, {TZ}]"
            ).to_numpy(),
            load.TIME_KNOWN: False,
        },
        geometry=gpd.points_from_xy(police["Longitude"], police["Latitude"]),
        crs="EPSG:4326",
    ).to_crs(CRS)
    inputs = load.with_homes(_inputs(schools, hubs, incidents), OAKHAM)
    assert inputs.homes is not None and len(inputs.homes.buildings) > 0
    plan = routes.plan_corridors(
        street,
        inputs,
        None,
        RouteConfig(),
        week=PLAN_WEEK,
        window=Window(),
    )
    return street, inputs, plan


def test_oakham_real_data(oakham):
    street, inputs, plan = oakham
    names = ";".join(plan.corridors[routes.SCHOOL_NAMES])
    assert "Catmose College" in names
    assert plan.corridors[routes.PATROLLED].any()
    assert (plan.corridors[routes.TIME_NOTE] == routes.MONTH_ONLY_NOTE).any()
    assert any("residential buildings" in note for note in plan.notes)
    budget = RouteConfig().loop_budget_min * RouteConfig().speed_kmh * 1000 / 60
    assert len(plan.loops) >= 1
    for _, loop in plan.loops.iterrows():
        assert _closed(loop.geometry)
        assert loop[routes.LENGTH_M] <= budget + 1e-6
        assert 0 < loop[routes.RISK_SHARE] <= 1
    # every corridor segment is a real street edge of the graph
    keys = set(street.edges.index)
    assert all(
        (u, v, k) in keys for u, v, k in plan.segments[["u", "v", "key"]].itertuples(index=False)
    )
    # the reasons name real streets of Oakham
    assert plan.corridors[routes.STREETS].str.len().gt(0).all()
    assert inputs.incidents.crs == street.crs


def test_progress_is_reported_per_corridor(tiny_street, tiny_inputs):
    calls: list[tuple[int, int]] = []
    plan = routes.plan_corridors(
        tiny_street,
        tiny_inputs,
        None,
        RouteConfig(),
        week=PLAN_WEEK,
        window=Window(),
        progress=lambda done, total: calls.append((done, total)),
    )
    n = len(plan.corridors)
    assert calls == [(i, n) for i in range(1, n + 1)]


def test_loop_can_start_at_a_hub():
    street = _grid(10, 2)
    schools = _schools([("S", "Line School", "secondary", (E0, N0))])
    hubs = gpd.GeoDataFrame(
        {load.HUB_ID: ["H"], load.NAME: ["Line Station"], load.KIND: ["rail"]},
        geometry=[Point(E0 + 900, N0 + 5)],
        crs=CRS,
    )
    incidents = _incidents([Point(E0 + 850, N0 + 5)] * 3, months=["2022-09"] * 3)
    cfg = RouteConfig(hub_share=1.0, hub_walk_m=1000, loop_budget_min=4.0, corridor_share=1.0)
    plan = routes.plan_corridors(
        street,
        _inputs(schools, hubs, incidents),
        None,
        cfg,
        week=PLAN_WEEK,
        window=Window(),
    )
    [loop] = plan.loops.itertuples(index=False)
    assert loop.meeting_kind == "hub" and loop.meeting_point == "Line Station"
    assert loop.meeting_node == 9
    assert loop.length_m <= 4.0 * 4.5 * 1000 / 60 + 1e-6


def test_repair_drops_visits_until_within_budget():
    # depot 0 and three points on a line at 100, 200, 300 m
    pos = np.array([0.0, 100.0, 200.0, 300.0])
    mat = np.abs(pos[:, None] - pos[None, :])
    prize = np.array([1.0, 1.0, 5.0])
    assert _repair([1, 2, 3], mat, prize, 450.0) == [1, 2]
    assert _repair([1, 2, 3], mat, prize, 600.0) == [1, 2, 3]
    assert _repair([3], mat, prize, 100.0) == []


def test_loop_instance_searches_only_the_budget_ball_and_keeps_every_feasible_walk():
    # a tight budget on a bigger grid: the search stays within budget / 2 of the depot, and
    # every walk a loop within the budget can use (depot -> i -> j -> depot) has its exact
    # network length
    street = _grid(9, 9, jitter=15.0, seed=3)
    net = _build_net(street)
    und = nx.Graph()
    for (u, v, _k), length in street.edges["length"].items():
        und.add_edge(u, v, length=length)
    seg_risk = np.ones(len(net.seg_rows))
    budget = 900.0
    inst = _loop_instance(net, seg_risk, [40], budget_m=budget, max_candidates=40)
    assert inst is not None
    assert 0 < len(inst.ball) < len(net.node_ids)  # bounded, not the whole graph
    dist = dict(nx.all_pairs_dijkstra_path_length(und, weight="length"))
    ends = [(40, 40)] + [
        (int(net.node_ids[net.eu[net.seg_rows[s]]]), int(net.node_ids[net.ev[net.seg_rows[s]]]))
        for s in inst.cand
    ]
    half = [0.0] + [net.length[net.seg_rows[s]] / 2 for s in inst.cand]
    checked = 0
    for i, j in itertools.permutations(range(1, len(ends)), 2):
        if inst.mat[0, i] + inst.mat[i, j] + inst.mat[j, 0] > budget:
            continue
        expected = half[i] + min(dist[a][b] for a in ends[i] for b in ends[j]) + half[j]
        assert inst.mat[i, j] == pytest.approx(expected)
        checked += 1
    assert checked > 20
    loops, _ = _solve_loops(
        net,
        seg_risk,
        [40],
        budget_m=budget,
        max_loops=1,
        max_candidates=40,
        iterations=300,
        seconds=5.0,
        seed=0,
    )
    [loop] = loops
    assert loop.nodes[0] == loop.nodes[-1] == 40 and loop.length_m <= budget + 1e-6
    walked = [und[p][q]["length"] for p, q in itertools.pairwise(loop.nodes) if p != q]
    assert all(w > 0 for w in walked)


def test_loop_instance_matrix_matches_networkx():
    street = _grid(4, 4, jitter=15.0, seed=5)
    net = _build_net(street)
    und = nx.Graph()
    for (u, v, _k), length in street.edges["length"].items():
        und.add_edge(u, v, length=length)
    seg_risk = np.zeros(len(net.seg_rows))
    seg_risk[[0, 5, 9, 14]] = [4.0, 3.0, 2.0, 1.0]
    inst = _loop_instance(net, seg_risk, [5], budget_m=5000, max_candidates=10)
    dist = dict(nx.all_pairs_dijkstra_path_length(und, weight="length"))
    ends = [(5, 5)] + [
        (int(net.node_ids[net.eu[net.seg_rows[s]]]), int(net.node_ids[net.ev[net.seg_rows[s]]]))
        for s in inst.cand
    ]
    half = [0.0] + [net.length[net.seg_rows[s]] / 2 for s in inst.cand]
    for i, j in itertools.permutations(range(len(ends)), 2):
        expected = half[i] + min(dist[a][b] for a in ends[i] for b in ends[j]) + half[j]
        assert inst.mat[i, j] == pytest.approx(expected)
    loops, stats = _solve_loops(
        net,
        seg_risk,
        [5],
        budget_m=5000,
        max_loops=1,
        max_candidates=10,
        iterations=200,
        seconds=5.0,
        seed=0,
    )
    [loop] = loops
    assert loop.risk_share == pytest.approx(1.0)
    assert stats is not None and stats.prize == pytest.approx(10.0)


def test_no_incidents_means_no_patrol(tiny_street, tiny_inputs, tmp_path):
    inputs = _inputs(tiny_inputs.schools, tiny_inputs.hubs, _incidents([]))
    plan = routes.plan_corridors(
        tiny_street,
        inputs,
        None,
        RouteConfig(),
        week=PLAN_WEEK,
        window=Window(),
    )
    assert len(plan.corridors) == 1 and not plan.corridors[routes.PATROLLED].iloc[0]
    assert plan.corridors[routes.INCIDENTS].iloc[0] == 0
    assert plan.loops.empty and len(plan.unpatrolled) == 2
    paths = routes.write_corridor_exports(plan, tmp_path)
    assert json.loads(paths[1].read_text())["features"] == []
    assert gpxpy.parse(paths[2].read_text()).tracks == []


def test_unpatrolled_reason_says_no_incidents(tiny_street, tiny_inputs):
    far = _incidents([Point(E0 - 600, N0)], months=["2022-09"])  # covered, not near
    plan = routes.plan_corridors(
        tiny_street,
        _inputs(tiny_inputs.schools, tiny_inputs.hubs, far),
        None,
        RouteConfig(),
        week=PLAN_WEEK,
        window=Window(),
    )
    reasons = plan.unpatrolled[routes.REASON]
    assert reasons.str.contains("no incidents within 50 m of its streets").all()
    assert reasons.str.endswith("no patrol needed").all()
    assert not plan.corridors[routes.PATROLLED].any()
    assert len(plan.loops) == 0


# -- evidence of absence vs absence of evidence ------------------------------------------------


def test_no_usable_incidents_never_says_no_patrol_needed(tiny_street, tiny_inputs):
    def plan_with(incidents):
        return routes.plan_corridors(
            tiny_street, _inputs(tiny_inputs.schools, tiny_inputs.hubs, incidents), None,
            RouteConfig(), week=PLAN_WEEK, window=Window(),
        )  # fmt: skip

    none_loaded = _incidents([])
    too_old = _incidents([Point(E0 + 300, N0 + 250)] * 3, months=["2019-01"] * 3)
    for incidents in (none_loaded, too_old):
        plan = plan_with(incidents)
        assert not plan.corridors[routes.PATROLLED].any() and plan.loops.empty
        reasons = plan.unpatrolled[routes.REASON]
        assert len(reasons) == 2
        assert not reasons.str.contains("no patrol needed").any()
        assert reasons.str.contains("no usable incidents in the last 52 weeks").all()
        assert reasons.str.endswith("no evidence either way").all()
        assert plan.corridors[routes.REASON].str.contains("no evidence either way").all()
        assert any("no corridor could be judged quiet or risky" in n for n in plan.notes)
    # one usable incident in the look-back, 600 m away: the data reach this corridor, and it
    # really had none near it
    plan = plan_with(_incidents([Point(E0 - 600, N0)], months=["2022-09"]))
    assert plan.unpatrolled[routes.REASON].str.endswith("; no patrol needed").all()
    assert not any("could be judged" in n for n in plan.notes)


def test_incidents_that_do_not_reach_the_schools_stop_the_plan(tiny_street, tiny_inputs):
    # another force's file: plenty of usable incidents, all 5 km from every school
    far = _incidents([Point(E0 - 5000, N0 + k) for k in range(20)], months=["2022-09"] * 20)
    inputs = _inputs(tiny_inputs.schools, tiny_inputs.hubs, far)
    with pytest.raises(EmptyResultError) as err:
        routes.plan_corridors(
            tiny_street, inputs, None, RouteConfig(), week=PLAN_WEEK, window=Window()
        )
    message = str(err.value)
    assert "does not cover any school" in message and "corridors.coverage_m (1000 m)" in message
    assert re.search(r"the nearest incident to any of them is [45]\.\d km away", message)
    names = tiny_inputs.schools["name"].astype(str)
    assert all(name in message for name in names)
    assert "no patrol needed" not in message
    # coverage_m = 0: the team says it knows; the corridor is then judged quiet as before
    plan = routes.plan_corridors(
        tiny_street, inputs, None, RouteConfig(coverage_m=0), week=PLAN_WEEK, window=Window()
    )
    assert plan.unpatrolled[routes.REASON].str.endswith("; no patrol needed").all()


def test_a_corridor_the_data_do_not_reach_is_never_called_quiet():
    from corridors.routes.evidence import uncovered_reason

    cfg = RouteConfig()
    nearest = {"a": 120.0, "b": 3400.0, "c": float("inf")}
    assert uncovered_reason(["a"], nearest, cfg) is None
    assert uncovered_reason(["a", "b"], nearest, cfg) is None  # one school reached is enough
    why = uncovered_reason(["b"], nearest, cfg)
    assert why is not None and "nearest incident is 3.4 km away" in why
    assert "no evidence either way" in why
    assert "no incident at all" in (uncovered_reason(["c"], nearest, cfg) or "")
    assert uncovered_reason(["b"], nearest, RouteConfig(coverage_m=0)) is None


def test_schools_in_scope_or_a_plain_error(tiny_inputs):
    schools = tiny_inputs.schools
    assert (
        routes.check_schools_in_scope(schools, RouteConfig())
        == int(routes.schools_in_scope(schools, RouteConfig()).sum())
        > 0
    )
    with pytest.raises(
        EmptyResultError,
        match=r"no schools in scope: \d+ schools loaded, none "
        r"with a phase in \[corridors\] phases \(nursery\); their phases: ",
    ):
        routes.check_schools_in_scope(schools, RouteConfig(phases=("nursery",)))
    with pytest.raises(EmptyResultError, match=r"no school was loaded; add a \[\[schools\]\]"):
        routes.check_schools_in_scope(schools.iloc[0:0], RouteConfig())


# -- loops across processes, within a time budget -------------------------------------------


def _corridor_row_case():
    """Ten schools 700 m apart on a grid, incidents near nine: ten separate corridors."""
    street = _grid(36, 11, jitter=10.0, seed=3)
    xys = [(50 + 700 * i, y) for y in (100, 800) for i in range(5)]
    schools = _schools(
        [
            (f"S{i}", f"School {i}", "secondary", (E0 + x + 5, N0 + y + 5))
            for i, (x, y) in enumerate(xys)
        ]
    )
    rng = np.random.default_rng(7)
    points = [
        Point(E0 + x + rng.uniform(-200, 200), N0 + y + rng.choice([-100, 0, 100]) + 3)
        for i, (x, y) in enumerate(xys)
        if i != 2
        for _ in range(6)
    ]
    incidents = _incidents(points, months=["2022-09"] * len(points))
    cfg = RouteConfig(catchment_m=300, hub_walk_m=300, corridor_share=1.0, loop_budget_min=12)
    return street, _inputs(schools, _empty_hubs(), incidents), cfg


def test_loops_are_the_same_with_one_or_two_workers(monkeypatch):
    from corridors.routes import solver

    pools = []

    def spy(n):
        pools.append(n)
        return real_pool(n)

    real_pool = solver._pool
    monkeypatch.setattr(solver, "_pool", spy)
    street, inputs, cfg = _corridor_row_case()
    plans = {}
    for workers in (1, 2):
        calls: list[tuple[int, int]] = []
        plans[workers] = routes.plan_corridors(
            street,
            inputs,
            None,
            dataclasses.replace(cfg, workers=workers),
            week=PLAN_WEEK,
            window=Window(),
            progress=lambda done, total, calls=calls: calls.append((done, total)),
        )
        n = len(plans[workers].corridors)
        assert calls == [(i, n) for i in range(1, n + 1)]
    assert pools == [2]  # workers=2 solved in a pool of two processes, workers=1 in-process
    one, two = plans[1], plans[2]
    assert len(one.corridors) == 10 and one.loops[routes.CORRIDOR_ID].nunique() >= 8
    assert list(one.unpatrolled[load.SCHOOL_ID]) == ["S2"]  # the quiet one
    pd.testing.assert_frame_equal(
        one.loops.drop(columns="geometry"), two.loops.drop(columns="geometry")
    )
    assert one.loops.geometry.geom_equals_exact(two.loops.geometry, 0.0).all()
    pd.testing.assert_frame_equal(one.unpatrolled, two.unpatrolled)
    pd.testing.assert_frame_equal(
        one.corridors.drop(columns="geometry"), two.corridors.drop(columns="geometry")
    )


def test_solve_tasks_keeps_task_order_across_workers():
    net = _build_net(_grid(8, 8, jitter=10.0, seed=3))
    rng = np.random.default_rng(0)
    tasks = []
    for k in (4, 12, 7):
        seg_risk = np.zeros(len(net.seg_rows))
        seg_risk[rng.choice(len(seg_risk), k, replace=False)] = rng.uniform(1, 5, k)
        inst = _loop_instance(net, seg_risk, [27], budget_m=1500.0, max_candidates=60)
        tasks.append(
            LoopTask(
                inst.mat,
                inst.prize,
                budget_m=1500.0,
                max_loops=2,
                iterations=300,
                seconds=10.0,
                seed=0,
            )
        )
    done = []
    one = solve_tasks(tasks, workers=1)
    two = solve_tasks(tasks, workers=2, on_done=lambda: done.append(1), min_pool_tasks=2)
    assert one == two and len(done) == len(tasks)
    assert solve_tasks([], workers=2) == []


def test_budget_splits_by_size_within_the_floor_and_cap():
    assert split_budget([60, 30, 10], 10.0, cap_s=10.0, floor_s=1.0) == [6.0, 3.0, 1.0]
    # small corridors never fall below the floor; big ones never pass the cap
    assert split_budget([100, 1, 1], 10.0, cap_s=5.0, floor_s=1.0) == pytest.approx([5.0, 1.0, 1.0])
    # a per-corridor cap below the floor wins
    assert split_budget([10, 10], 100.0, cap_s=0.5, floor_s=1.0) == [0.5, 0.5]
    shares = split_budget([5, 10, 20, 40], 30.0, cap_s=30.0, floor_s=0.0)
    assert sum(shares) == pytest.approx(30.0)
    assert shares == sorted(shares) and shares[3] == pytest.approx(2 * shares[2])
    assert split_budget([], 10.0, cap_s=1.0) == []


def test_worker_count():
    assert worker_count(0, 100) >= 1  # every core
    assert worker_count(3, 2) == 2  # never more processes than tasks
    assert worker_count(2, 0) == 1


@pytest.mark.parametrize(
    "key, value",
    [
        ("loop_budget_s", 0.0),
        ("loop_budget_s", -5.0),
        ("workers", -1),
    ],
)
def test_loop_budget_and_workers_are_checked(key, value):
    with pytest.raises(ConfigError, match=f"corridors.{key}"):
        RouteConfig(**{key: value})


def test_plan_workers_option_is_checked(tmp_path):
    from click.testing import CliRunner

    from corridors.cli import cli

    config = tmp_path / "area.toml"
    config.write_text("[corridors]\nloop_budget_s = 30\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["-c", str(config), "plan", "--workers", "-2"])
    assert result.exit_code == 1
    assert "Error: corridors.workers must be >= 0 (0 = every core), got -2" in result.output
    assert "--workers" in CliRunner().invoke(cli, ["plan", "--help"]).output
    config.write_text("[corridors]\nloop_budget_s = 0\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["-c", str(config), "plan"])
    assert result.exit_code == 1 and "corridors.loop_budget_s must be > 0" in result.output


def test_a_broken_pool_finishes_in_process():
    # a script read from stdin cannot be re-imported by a worker: the pool breaks at once
    import subprocess
    import sys

    script = (
        "import logging, numpy as np\n"
        "logging.basicConfig()\n"
        "from corridors.routes.solver import LoopTask, solve_tasks\n"
        "mat = np.array([[0.0, 100.0, 100.0], [100.0, 0.0, 150.0], [100.0, 150.0, 0.0]])\n"
        "task = LoopTask(mat, np.array([1.0, 2.0]), budget_m=400.0, max_loops=1,\n"
        "                iterations=50, seconds=5.0, seed=0)\n"
        "print(solve_tasks([task] * 3, workers=2, min_pool_tasks=2))\n"
    )
    env = {**__import__("os").environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, "-"], input=script, capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[[[2, 1]], [[2, 1]], [[2, 1]]]"  # both visits, 350 m
    assert "solving the rest in one process" in done.stderr


# -- waves: month-only loops spread over the window -----------------------------------------


def _wave_case(waves: int):
    street, inputs, cfg = _corridor_row_case()
    return routes.plan_corridors(
        street,
        inputs,
        None,
        dataclasses.replace(cfg, loop_budget_min=40, waves=waves),
        week=PLAN_WEEK,
        window=Window(),
    )


def _minute(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def test_one_wave_starts_every_month_only_loop_at_closing_time():
    plan = _wave_case(1)
    assert len(plan.loops) >= 3
    assert set(plan.loops[routes.START_TIME]) == {"15:15"}


def test_three_waves_deal_month_only_loops_riskiest_first():
    plan = _wave_case(3)
    loops = plan.loops
    assert len(loops) >= 6
    # the loops table is in corridor order, and corridors are numbered by decreasing risk
    assert list(loops[routes.CORRIDOR_ID]) == sorted(loops[routes.CORRIDOR_ID])
    risk = plan.corridors.set_index(routes.CORRIDOR_ID)[routes.RISK]
    assert list(risk[loops[routes.CORRIDOR_ID]]) == sorted(
        risk[loops[routes.CORRIDOR_ID]], reverse=True
    )
    longest = float(loops[routes.DURATION_MIN].max())
    # step: the longest loop plus 15 minutes to the next meeting point, up to 15 minutes
    step = {15: 30, 30: 45, 45: 60}[15 * int(np.ceil(longest / 15))]
    expected = [f"{(915 + k * step) // 60}:{(915 + k * step) % 60:02d}" for k in range(3)]
    assert expected[0] == "15:15" and len(set(expected)) == 3
    assert list(loops[routes.START_TIME]) == [expected[i % 3] for i in range(len(loops))]
    starts = loops[routes.START_TIME].map(_minute)
    ends = starts + loops[routes.DURATION_MIN]
    assert max(ends) <= 18 * 60


def test_waves_stop_where_the_window_ends():
    from corridors.routes.starts import _wave_starts

    cfg = RouteConfig(waves=10)
    assert _wave_starts([44.0, 30.0], cfg, Window()) == [915, 975, 1035]  # 15:15 16:15 17:15
    assert _wave_starts([46.0], cfg, Window()) == [915, 990]  # step 75; 17:45 + 46 > 18:00
    assert _wave_starts([44.0], RouteConfig(), Window()) == [915]
    assert _wave_starts([], cfg, Window()) == [915]


def test_waves_must_be_at_least_one():
    with pytest.raises(ConfigError, match=r"corridors\.waves must be >= 1"):
        RouteConfig(waves=0)


def test_waves_leave_time_known_loops_at_their_data_driven_start(
    tiny_street, tiny_inputs, tiny_plan
):
    plan = routes.plan_corridors(
        tiny_street,
        tiny_inputs,
        None,
        RouteConfig(waves=3),
        week=PLAN_WEEK,
        window=Window(),
    )
    assert len(plan.loops) and set(plan.loops[routes.START_TIME]) != {"15:15"}
    pd.testing.assert_frame_equal(
        plan.loops.drop(columns="geometry"), tiny_plan.loops.drop(columns="geometry")
    )


def test_a_waiting_loop_problem_keeps_its_corridor_not_the_city():
    # a corridor's problem waits for the solver with hundreds of others: it must hold what
    # grows with its corridor (its segments, matrix, ball), not a vector over every street
    # segment of the area, nor shortest-path trees; those are made again when its loops are
    # drawn, and the loops are those a kept tree gives
    from corridors.routes.corridors import _Corridor
    from corridors.routes.loops import _corridor_loops, _loop_job, _MeetingPoint

    street = _grid(12, 12, jitter=10.0, seed=4)
    net = _build_net(street)
    n = len(net.seg_rows)
    rng = np.random.default_rng(0)
    seg_risk_all = rng.random(n)
    segs = np.arange(0, n, 7)[:40]  # the corridor: a few of the area's segments
    corridor = _Corridor("C01", ["S1"], segs, shapely.MultiLineString(), gpd.GeoDataFrame())
    cfg = RouteConfig(loop_budget_min=15, solver_iterations=200)
    job = _loop_job(net, corridor, [_MeetingPoint(60, "Gate", "school")], seg_risk_all, cfg)
    assert job is not None
    arrays = [v for v in vars(job).values() if isinstance(v, np.ndarray)]
    arrays += [v for v in vars(job.inst).values() if isinstance(v, np.ndarray)]
    assert all(a.size < n for a in arrays if a.ndim == 1)  # nothing per area segment
    assert all(a.shape[1] != len(job.inst.ball) for a in arrays if a.ndim == 2)  # no trees
    full = job.seg_risk(n)
    assert full[segs].tolist() == seg_risk_all[segs].tolist() and full.sum() == pytest.approx(
        seg_risk_all[segs].sum()
    )
    routes_ = solve_tasks([job.task(cfg, 5.0)], workers=1)[0]
    window = Window()
    loops = _corridor_loops(net, job, routes_, cfg, window)
    assert loops and all(r["length_m"] <= 15 * 4.5 * 1000 / 60 + 1e-6 for r in loops)
    expected, _ = _solve_loops(
        net, full, [60], budget_m=15 * 4.5 * 1000 / 60, max_loops=cfg.max_loops_per_corridor,
        max_candidates=cfg.max_candidates, iterations=200, seconds=5.0, seed=cfg.seed,
        patience=cfg.solver_patience,
    )  # fmt: skip
    assert [r["geometry"].wkt for r in loops] == [lp.geometry.wkt for lp in expected]
