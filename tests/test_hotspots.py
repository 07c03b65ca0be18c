"""Tests for corridors.hotspots: selection, methods, ids, backtests and outputs."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from corridors import hotspots as hs
from corridors.config import HotspotConfig, config_from_dict
from corridors.errors import ConfigError, InputDataError
from corridors.graph import StreetGraph
from corridors.hotspots.scoring import _evaluate
from corridors.load import MONTH, OCCURRED_AT, OFFENCE, TIME_KNOWN
from corridors.week import PlanWeek

DATA = Path(__file__).parent / "data" / "hotspots"
TZ = "Europe/London"
CRS = "EPSG:27700"


# -- helpers ---------------------------------------------------------------------------


def _week(week_start: dt.date, lookback_weeks: int, timezone: str = TZ) -> PlanWeek:
    return PlanWeek.starting(week_start, timezone=timezone, lookback_weeks=lookback_weeks)


def _select(inc, cfg, *, timezone, week_start, lookback_weeks, term=None, all_hours=None):
    """The one selection as the hotspots stage makes it: its window and rules."""
    term = hs.term_calendar(cfg) if term is None else term
    rules = hs.SelectionRules.of(cfg, term=term, all_hours=all_hours)
    week = _week(week_start, lookback_weeks, timezone)
    return hs.select_incidents(inc, week, hs.window_of(cfg), rules=rules)


def select_table(inc, cfg, **kwargs) -> gpd.GeoDataFrame:
    return _select(inc, cfg, **kwargs).table


def find(inc, cfg, *, timezone=TZ, week_start, lookback_weeks, **kwargs) -> hs.Hotspots:
    """Find hotspots for the week starting ``week_start`` in ``cfg``'s own window."""
    week = _week(week_start, lookback_weeks, timezone)
    return hs.find_hotspots(inc, cfg, week=week, window=hs.window_of(cfg), **kwargs)


def make_incidents(points, offences="Robbery", times=None, months=None) -> gpd.GeoDataFrame:
    """Incidents in the io contract; ``times`` are ISO strings with offsets (or None)."""
    n = len(points)
    if times is None:
        occurred = pd.Series(pd.NaT, index=range(n), dtype=f"datetime64[ns, {TZ}]")
        known = [False] * n
    else:
        occurred = pd.to_datetime(pd.Series(times), utc=True).dt.tz_convert(TZ)
        known = [True] * n
    if months is None:
        months = occurred.dt.strftime("%Y-%m").tolist() if times is not None else ["2022-09"] * n
    offences = [offences] * n if isinstance(offences, str) else list(offences)
    return gpd.GeoDataFrame(
        {
            "incident_id": [f"t:{i}" for i in range(n)],
            OFFENCE: offences,
            MONTH: months,
            OCCURRED_AT: occurred,
            TIME_KNOWN: known,
        },
        geometry=[Point(p) if not isinstance(p, Point) else p for p in points],
        crs=CRS,
    )


def load_fixture(name: str) -> gpd.GeoDataFrame:
    raw = pd.read_csv(DATA / name, dtype={"offence": str, "month": str, "occurred_at": str})
    occurred = pd.to_datetime(raw["occurred_at"], utc=True, errors="coerce").dt.tz_convert(TZ)
    return gpd.GeoDataFrame(
        {
            "incident_id": raw["incident_id"],
            OFFENCE: raw["offence"],
            MONTH: raw["month"],
            OCCURRED_AT: occurred,
            TIME_KNOWN: raw["time_known"].astype(bool),
        },
        geometry=gpd.points_from_xy(raw["x"], raw["y"]),
        crs=CRS,
    )


def street_from_graph(graph: nx.MultiDiGraph) -> StreetGraph:
    nodes, edges = ox.graph_to_gdfs(graph)
    return StreetGraph(
        graph=graph, crs=CRS, nodes=nodes, edges=edges, source="test", source_sha256=""
    )


def line_graph() -> StreetGraph:
    """Three 100 m segments along y=0: nodes 1-2-3-4, both directions."""
    graph = nx.MultiDiGraph(crs=CRS)
    for i, x in enumerate((0.0, 100.0, 200.0, 300.0), start=1):
        graph.add_node(i, x=x, y=0.0)
    for a, b in ((1, 2), (2, 3), (3, 4)):
        xa, xb = graph.nodes[a]["x"], graph.nodes[b]["x"]
        graph.add_edge(a, b, 0, length=100.0, geometry=LineString([(xa, 0), (xb, 0)]))
        graph.add_edge(b, a, 0, length=100.0, geometry=LineString([(xb, 0), (xa, 0)]))
    return street_from_graph(graph)


@pytest.fixture(scope="module")
def rutland() -> gpd.GeoDataFrame:
    return load_fixture("rutland-oakham.csv.gz")


@pytest.fixture(scope="module")
def hackney() -> gpd.GeoDataFrame:
    return load_fixture("hackney-stop-search.csv.gz")


@pytest.fixture(scope="module")
def oakham_street() -> StreetGraph:
    with gzip.open(DATA / "oakham-walk.graphml.gz", "rt", encoding="utf-8") as fh:
        graph = ox.load_graphml(graphml_str=fh.read())
    return street_from_graph(graph)


HACKNEY_WEIGHTS = {
    "Stop and search: Offensive weapons": 1.0,
    "Stop and search: Firearms": 1.0,
    "Stop and search: Controlled drugs": 0.5,
    "Stop and search: Stolen goods": 0.75,
    "Stop and search: Articles for use in criminal damage": 0.5,
}


# -- selection -------------------------------------------------------------------------


def test_window_follows_local_time_across_daylight_saving():
    # Clocks go forward on Sun 2022-03-27 and back on Sun 2022-10-30 (Europe/London).
    times = [
        "2022-03-25T15:30:00+00:00",  # Fri GMT 15:30 local -> in
        "2022-03-25T17:30:00+00:00",  # Fri GMT 17:30 local -> in
        "2022-03-25T14:59:00+00:00",  # Fri GMT 14:59 local -> out
        "2022-03-28T14:00:00+00:00",  # Mon BST 15:00 local -> in (start inclusive)
        "2022-03-28T17:30:00+00:00",  # Mon BST 18:30 local -> out
        "2022-03-28T16:59:00+00:00",  # Mon BST 17:59 local -> in
        "2022-10-28T17:30:00+00:00",  # Fri BST 18:30 local -> out
        "2022-10-31T17:30:00+00:00",  # Mon GMT 17:30 local -> in
        "2022-10-31T18:00:00+00:00",  # Mon GMT 18:00 local -> out (end exclusive)
        "2022-03-26T15:30:00+00:00",  # Saturday -> out
    ]
    inc = make_incidents([(i * 10.0, 0.0) for i in range(len(times))], times=times)
    cfg = HotspotConfig(train_all_hours=False)
    sel = select_table(
        inc, cfg, timezone=TZ, week_start=dt.date(2022, 11, 7), lookback_weeks=52
    )
    assert sorted(sel["incident_id"]) == ["t:0", "t:1", "t:3", "t:5", "t:7"]
    assert sel[hs.IN_WINDOW].all()
    # the same instants seen from New York fall in other local hours
    ny = select_table(
        inc, cfg, timezone="America/New_York", week_start=dt.date(2022, 11, 7), lookback_weeks=52
    )
    assert ny.empty
    # all hours keeps everything but still marks the window
    every = select_table(
        inc, cfg, timezone=TZ, week_start=dt.date(2022, 11, 7), lookback_weeks=52, all_hours=True
    )
    assert len(every) == len(times)
    assert sorted(every.loc[every[hs.IN_WINDOW], "incident_id"]) == [
        "t:0",
        "t:1",
        "t:3",
        "t:5",
        "t:7",
    ]


def test_configurable_window_and_weekdays():
    times = ["2022-06-06T11:30:00+01:00", "2022-06-11T11:30:00+01:00", "2022-06-06T15:30:00+01:00"]
    inc = make_incidents([(0, 0), (1, 0), (2, 0)], times=times)
    cfg = HotspotConfig(
        window_start="11:00", window_end="12:00", weekdays=(0, 5), train_all_hours=False
    )
    sel = select_table(
        inc, cfg, timezone=TZ, week_start=dt.date(2022, 7, 4), lookback_weeks=8
    )
    assert sorted(sel["incident_id"]) == ["t:0", "t:1"]


def test_holidays_from_csv_and_config(tmp_path):
    # half term 2022-10-24..28; term 2022-09-05..2022-12-16
    (tmp_path / "terms.csv").write_text(
        "start,end,kind\n2022-09-05,2022-10-21,term\n2022-10-31,2022-12-16,term\n"
        "2022-11-02,2022-11-02,holiday\n"
    )
    times = [
        "2022-10-20T15:30:00+01:00",  # term
        "2022-10-25T15:30:00+01:00",  # half term
        "2022-11-01T15:30:00+00:00",  # term
        "2022-11-02T15:30:00+00:00",  # inset day (holiday row)
        "2022-11-03T15:30:00+00:00",  # holiday from the config
    ]
    inc = make_incidents([(i, 0) for i in range(5)], times=times)
    cfg = HotspotConfig(
        train_all_hours=False,
        exclude_holidays=True,
        term_dates=tmp_path / "terms.csv",
        holidays=("2022-11-03",),
    )
    sel = select_table(
        inc, cfg, timezone=TZ, week_start=dt.date(2022, 11, 7), lookback_weeks=8
    )
    assert sorted(sel["incident_id"]) == ["t:0", "t:2"]
    # without exclude_holidays the calendar is ignored
    sel_all = select_table(
        inc,
        HotspotConfig(train_all_hours=False, term_dates=tmp_path / "terms.csv"),
        timezone=TZ,
        week_start=dt.date(2022, 11, 7),
        lookback_weeks=8,
    )
    assert len(sel_all) == 5


def test_term_dates_errors_name_file_and_row(tmp_path):
    bad = tmp_path / "terms.csv"
    bad.write_text("start,end\n2022-09-05,2022-10-21\n2022-13-01,2022-12-16\n")
    with pytest.raises(InputDataError, match=r"terms.csv: row 3 has a bad date.*YYYY-MM-DD"):
        hs.read_term_dates(bad)
    bad.write_text("from,to\n2022-09-05,2022-10-21\n")
    with pytest.raises(InputDataError, match="need columns 'start' and 'end'"):
        hs.read_term_dates(bad)
    with pytest.raises(InputDataError, match="not found"):
        hs.read_term_dates(tmp_path / "missing.csv")


def test_recency_decay_halves_each_half_life():
    week = dt.date(2022, 11, 7)  # Monday
    start = pd.Timestamp(week).tz_localize(TZ)
    ages = [0.5, 26, 52]
    times = [(start - pd.Timedelta(weeks=a)).isoformat() for a in ages]
    inc = make_incidents([(0, 0), (1, 0), (2, 0)], offences="Public order", times=times)
    cfg = HotspotConfig(half_life_weeks=26.0)
    sel = select_table(inc, cfg, timezone=TZ, week_start=week, lookback_weeks=52)
    sel = sel.sort_values(hs.AGE_WEEKS)
    assert sel[hs.AGE_WEEKS].tolist() == pytest.approx(ages)
    # Public order weighs 0.5 by default
    assert sel[hs.WEIGHT].tolist() == pytest.approx([0.5 * 0.5 ** (0.5 / 26), 0.25, 0.125])
    # an incident in the planned week itself is not history
    future = make_incidents([(0, 0)], times=[(start + pd.Timedelta(hours=40)).isoformat()])
    assert select_table(future, cfg, timezone=TZ, week_start=week, lookback_weeks=52).empty


def test_month_only_records_use_mid_month_and_complete_months():
    inc = make_incidents([(0, 0), (1, 0), (2, 0)], months=["2022-10", "2022-11", "2021-10"])
    cfg = HotspotConfig(half_life_weeks=4.0)
    spots_sel = _select(inc, cfg, timezone=TZ, week_start=dt.date(2022, 11, 7), lookback_weeks=52)
    sel = spots_sel.table
    # November 2022 has not ended before the planned week; October 2021 is older than 52 weeks
    assert sel["incident_id"].tolist() == ["t:0"]
    # elapsed time, so the hour the clocks went back on 30 October counts
    age = (pd.Timestamp("2022-11-07", tz=TZ) - pd.Timestamp("2022-10-15", tz=TZ)) / pd.Timedelta(
        weeks=1
    )
    assert age == pytest.approx((23 * 24 + 1) / (7 * 24))
    assert sel[hs.AGE_WEEKS].iloc[0] == pytest.approx(age)
    assert sel[hs.WEIGHT].iloc[0] == pytest.approx(0.5 ** (age / 4.0))
    assert not spots_sel.time_known
    assert any("month-only" in note for note in spots_sel.notes)
    assert not sel[hs.IN_WINDOW].any()


@pytest.mark.parametrize(
    ("monday", "lookback_weeks", "newest_used"),
    [
        (dt.date(2025, 3, 3), 52, "2025-02"),  # February ended on the 28th: used
        (dt.date(2025, 9, 1), 52, "2025-08"),  # a Monday on the 1st: August ended the day before
        (dt.date(2025, 3, 31), 52, "2025-02"),  # March's last day is the Monday: not yet
        (dt.date(2021, 1, 4), 1, "2020-12"),  # a one-week look-back early in January
        (dt.date(2021, 1, 4), 2, "2020-12"),
        (dt.date(2025, 3, 24), 4, "2025-02"),  # "the last 4 weeks" late in March
        (dt.date(2025, 3, 17), 3, "2025-02"),
    ],
)
def test_the_last_complete_month_is_used_by_both_stages(monday, lookback_weeks, newest_used):
    from corridors.config import RouteConfig
    from corridors.routes import lookback_incidents
    from corridors.week import Window

    months = ["2020-11", "2020-12", "2021-01", "2025-01", "2025-02", "2025-03", "2025-08"]
    inc = make_incidents([(i, 0) for i in range(len(months))], months=months)
    spots = select_table(
        inc, HotspotConfig(), timezone=TZ, week_start=monday, lookback_weeks=lookback_weeks
    )
    evidence = lookback_incidents(inc, RouteConfig(), _week(monday, lookback_weeks), Window())
    # the newest month that ended before the Monday is used, by the hotspots and the evidence
    assert spots[MONTH].max() == newest_used
    assert sorted(spots[MONTH]) == sorted(evidence[MONTH])
    assert (spots[hs.AGE_WEEKS] > 0).all()


def test_offence_weights_defaults_overrides_and_unknown_report():
    offences = [
        "Robbery",
        "Burglary",
        "Drugs",
        "Shoplifting",
        "Shoplifting",
        "Violence and sexual offences",
    ]
    inc = make_incidents([(i, 0) for i in range(6)], offences=offences)
    cfg = HotspotConfig(offence_weights={"Drugs": 0.0, "Robbery": 2.0})
    res = _select(inc, cfg, timezone=TZ, week_start=dt.date(2022, 11, 7), lookback_weeks=52)
    assert sorted(res.table[OFFENCE]) == ["Robbery", "Violence and sexual offences"]
    assert res.unknown_offences == {"Burglary": 1, "Shoplifting": 2}
    assert any("Burglary (1), Shoplifting (2)" in n and "left out" in n for n in res.notes)
    res2 = _select(
        inc,
        HotspotConfig(other_weight=0.1),
        timezone=TZ,
        week_start=dt.date(2022, 11, 7),
        lookback_weeks=52,
    )
    assert len(res2.table) == 6
    assert any("weighted 0.1" in n for n in res2.notes)
    for key in (
        "Violence and sexual offences",
        "Robbery",
        "Possession of weapons",
        "Public order",
        "Anti-social behaviour",
        "Drugs",
        "Theft from the person",
    ):
        assert hs.DEFAULT_OFFENCE_WEIGHTS[key] > 0


def test_geographic_crs_is_rejected():
    inc = make_incidents([(0, 0)]).set_crs("EPSG:4326", allow_override=True)
    with pytest.raises(InputDataError, match="not a projected CRS"):
        select_table(
            inc, HotspotConfig(), timezone=TZ, week_start=dt.date(2022, 11, 7), lookback_weeks=4
        )


# -- methods ---------------------------------------------------------------------------


def test_dbscan_counts_snap_point_duplicates_as_weights():
    # 5 incidents on one police.uk snap point + 2 scattered: min_samples=5 makes it a cluster
    pts = [(1000, 1000)] * 5 + [(5000, 5000), (9000, 1000)]
    inc = make_incidents(pts)
    cfg = HotspotConfig(method="dbscan", eps_m=100, min_samples=5, half_life_weeks=1000)
    spots = find(
        inc, cfg, timezone=TZ, week_start=dt.date(2022, 11, 7), lookback_weeks=52
    )
    assert len(spots.polygons) == 1
    row = spots.polygons.iloc[0]
    assert row[hs.INCIDENTS] == 5
    assert row[hs.SHARE] == pytest.approx(5 / 7, rel=1e-3)
    assert row[hs.AREA_M2] == pytest.approx(np.pi * 50**2, rel=0.1)  # a point buffered eps/2
    assert json.loads(row[hs.OFFENCES]) == {"Robbery": 5}
    assert spots.selected[hs.CLUSTER].tolist() == [0, 0, 0, 0, 0, -1, -1]
    assert spots.edge_intensity.empty  # no graph
    assert any("snap points" in n for n in spots.notes)


def test_network_method_on_hand_made_line():
    street = line_graph()
    # 3 robberies 5 m off the middle segment, 1 off the first, 1 far from any street
    pts = [(150, 5), (160, -5), (140, 3), (50, 4), (150, 500)]
    inc = make_incidents(pts)
    cfg = HotspotConfig(method="network", snap_m=20, half_life_weeks=1e6, area_share=0.2)
    spots = find(
        inc,
        cfg,
        timezone=TZ,
        week_start=dt.date(2022, 11, 7),
        lookback_weeks=52,
        street=street,
        study_area=box(0, -100, 300, 100),
    )
    ei = spots.edge_intensity
    assert set(ei.index) == set(street.edges.index)
    assert ei.loc[(2, 3, 0)] == pytest.approx(3.0, rel=1e-4)
    assert ei.loc[(3, 2, 0)] == pytest.approx(3.0, rel=1e-4)
    assert ei.loc[(1, 2, 0)] == pytest.approx(1.0, rel=1e-4)
    assert ei.loc[(3, 4, 0)] == 0
    # budget 0.2 x 60,000 m2 = 12,000 m2 = 3 segments of 100 x 40 m; only 2 have weight
    assert len(spots.polygons) == 1
    poly = spots.polygons.geometry.iloc[0]
    assert (
        poly.contains(Point(150, 0))
        and poly.contains(Point(50, 0))
        and not poly.contains(Point(250, 0))
    )
    assert spots.polygons[hs.INCIDENTS].iloc[0] == 4
    assert any("more than 20 m" in n for n in spots.notes)
    # the study area is smaller: only the best segment fits
    small = find(
        inc,
        dataclasses_replace(cfg, area_share=0.1),
        timezone=TZ,
        week_start=dt.date(2022, 11, 7),
        lookback_weeks=52,
        street=street,
        study_area=box(0, -100, 300, 100),
    )
    assert small.polygons[hs.INCIDENTS].tolist() == [3]


def dataclasses_replace(cfg, **kw):
    import dataclasses

    return dataclasses.replace(cfg, **kw)


def test_network_needs_a_street_graph():
    with pytest.raises(ConfigError, match="needs the street graph"):
        find(
            make_incidents([(0, 0)]),
            HotspotConfig(method="network"),
            timezone=TZ,
            week_start=dt.date(2022, 11, 7),
            lookback_weeks=4,
        )


def test_kde_hotspot_covers_the_dense_spot():
    pts = [(1000 + i % 5, 1000 + i % 3) for i in range(30)] + [(4000, 4000), (200, 3800)]
    inc = make_incidents(pts)
    cfg = HotspotConfig(method="kde", cell_m=100, bandwidth_m=100, area_share=0.008)
    spots = find(
        inc,
        cfg,
        timezone=TZ,
        week_start=dt.date(2022, 11, 7),
        lookback_weeks=52,
        study_area=box(0, 0, 5000, 5000),
    )
    assert len(spots.polygons) == 1
    poly = spots.polygons.geometry.iloc[0]
    assert poly.contains(Point(1002, 1001))
    assert spots.polygons[hs.AREA_M2].iloc[0] == pytest.approx(20 * 100 * 100)
    assert spots.polygons[hs.INCIDENTS].iloc[0] == 30


@pytest.mark.parametrize("method", ["dbscan", "hdbscan", "kde", "network"])
def test_each_method_is_deterministic_on_real_data(method, rutland, oakham_street):
    cfg = HotspotConfig(method=method, eps_m=100, min_samples=4, min_cluster_size=4, seed=7)
    kwargs = dict(
        timezone=TZ, week_start=dt.date(2022, 11, 7), lookback_weeks=52, street=oakham_street
    )
    a = find(rutland, cfg, **kwargs)
    b = find(rutland.sample(frac=1.0, random_state=3), cfg, **kwargs)  # row order
    assert len(a.polygons) >= 1
    assert a.polygons[hs.HOTSPOT_ID].tolist() == b.polygons[hs.HOTSPOT_ID].tolist()
    assert a.polygons.geometry.geom_equals_exact(b.polygons.geometry, tolerance=1e-6).all()
    pd.testing.assert_series_equal(a.edge_intensity.sort_index(), b.edge_intensity.sort_index())
    # every edge of the graph has a value, both directions agree, nothing negative
    ei = a.edge_intensity
    assert len(ei) == len(oakham_street.edges)
    assert (ei >= 0).all() and ei.sum() > 0
    flipped = pd.Series(ei.to_numpy(), index=[(v, u, k) for u, v, k in ei.index])
    back = flipped.reindex(list(ei.index)).to_numpy()
    has_twin = ~np.isnan(back)
    assert has_twin.sum() > len(ei) / 2  # (one-way streets in this osmnx graph have no twin)
    assert np.allclose(back[has_twin], ei.to_numpy()[has_twin])
    assert not a.time_known
    assert a.polygons[hs.SHARE].sum() <= 1 + 1e-9
    assert a.polygons[hs.HOTSPOT_ID].is_unique


def test_stable_ids_persist_week_to_week(hackney):
    cfg = HotspotConfig(
        method="dbscan", eps_m=150, min_samples=8, offence_weights=HACKNEY_WEIGHTS, other_weight=0.2
    )
    kw = dict(timezone=TZ, lookback_weeks=26)
    w1 = find(hackney, cfg, week_start=dt.date(2018, 10, 1), **kw)
    w2 = find(hackney, cfg, week_start=dt.date(2018, 10, 8), previous=w1, **kw)
    w2_fresh = find(hackney, cfg, week_start=dt.date(2018, 10, 8), **kw)
    assert len(w1.polygons) >= 2
    same = set(w1.polygons[hs.HOTSPOT_ID]) & set(w2.polygons[hs.HOTSPOT_ID])
    assert len(same) >= len(w1.polygons) // 2
    # without `previous`, ids come from the grid cell of the weighted centroid: mostly the same
    fresh_same = set(w1.polygons[hs.HOTSPOT_ID]) & set(w2_fresh.polygons[hs.HOTSPOT_ID])
    assert len(fresh_same) >= 1
    # matching by overlap: a hotspot that drifts across an id cell keeps its id
    base = [(1240 + i % 3, 1240 + i % 2) for i in range(10)]
    moved = [(1260 + i % 3, 1260 + i % 2) for i in range(10)]
    c2 = HotspotConfig(method="dbscan", eps_m=50, min_samples=3)
    a = find(
        make_incidents(base), c2, timezone=TZ, week_start=dt.date(2022, 11, 7), lookback_weeks=52
    )
    b_free = find(
        make_incidents(moved), c2, timezone=TZ, week_start=dt.date(2022, 11, 14), lookback_weeks=52
    )
    b = find(
        make_incidents(moved),
        c2,
        timezone=TZ,
        week_start=dt.date(2022, 11, 14),
        lookback_weeks=52,
        previous=a.polygons,
    )
    assert a.polygons[hs.HOTSPOT_ID].iloc[0] != b_free.polygons[hs.HOTSPOT_ID].iloc[0]
    assert a.polygons[hs.HOTSPOT_ID].iloc[0] == b.polygons[hs.HOTSPOT_ID].iloc[0]


def test_hackney_window_vs_all_hours(hackney):
    kw = dict(timezone=TZ, week_start=dt.date(2019, 1, 7), lookback_weeks=52)
    base = HotspotConfig(method="kde", offence_weights=HACKNEY_WEIGHTS, other_weight=0.2)
    window = find(hackney, dataclasses_replace(base, train_all_hours=False), **kw)
    every = find(hackney, base, **kw)
    assert window.time_known and every.time_known
    assert window.selected[hs.IN_WINDOW].all()
    assert len(every.selected) > 2 * len(window.selected)
    assert any("all hours" in n for n in every.notes)


# -- backtests -------------------------------------------------------------------------


def test_evaluate_hand_computed_pai_pei():
    scores = np.array([3.0, 2.0, 1.0, 0.0])
    areas = np.ones(4)
    test_units = np.array([0, 2, 2, 2, -1])
    s = _evaluate(scores, areas, test_units, total_area=10.0, share=0.2)
    # budget 2 cells: cells 0 and 1, one hit; best 2 cells: cell 2 (3) + cell 0 (1)
    assert (s.hits, s.test, s.ranked_m2, s.area_m2, s.best) == (1, 5, 2.0, 2.0, 4)
    # hit rate 1/5 at area share 2/10 -> PAI 1.0, PEI 1/4
    s = _evaluate(np.array([3.0, 0, 0, 0]), areas, test_units, total_area=4.0, share=0.5)
    # ranked: cell 0 (1 hit, area 1); random fill of 1 of the 3 other cells: 3 x 1/3 expected
    assert (s.hits, s.ranked_m2, s.area_m2, s.best) == (pytest.approx(2.0), 1.0, 2.0, 4)
    # fractional best: area 1.5 -> cell 2 (3) + half of cell 0
    s = _evaluate(np.array([0.0, 0, 0, 0]), areas, test_units, total_area=3.0, share=0.5)
    assert s.best == pytest.approx(3.5) and s.hits == pytest.approx(4 * 1.5 / 4)


def test_backtest_hand_computed_month_only():
    # study area 1 km2 in 100 m cells; 5% = 5 cells.  Each month 4 incidents in cell A and
    # one in a cell that moves; the test month has 4 in A and 1 elsewhere.
    rows, months = [], []
    for m in range(1, 8):
        rows += [(150, 150)] * 4 + [(50 + 100 * m, 950)]
        months += [f"2022-{m:02d}"] * 5
    inc = make_incidents(rows, months=months)
    cfg = HotspotConfig(
        method="kde", cell_m=100, bandwidth_m=10, half_life_weeks=1e6, area_share=0.05
    )
    table = hs.backtest(
        inc, [cfg], timezone=TZ, study_area=box(0, 0, 1000, 1000), periods=1, period="month"
    )
    assert list(table.columns) == list(hs.TABLE_COLUMNS)
    base = table[table["label"] == hs.BASELINE].iloc[0]
    # naive: last month had cell A (4) and the cell (650, 950) (1): 2 ranked cells, 4 hits;
    # 3 more cells are filled at random among the other 98 (the 5th test incident is in one)
    assert base["test_incidents"] == 5
    assert base["hits"] == pytest.approx(4 + 3 / 98)
    assert base["ranked_share"] == pytest.approx(0.02)
    assert base["area_share"] == pytest.approx(0.05)
    assert base["hit_rate"] == pytest.approx((4 + 3 / 98) / 5)
    assert base["pai"] == pytest.approx((4 + 3 / 98) / 5 / 0.05)
    assert base["pei"] == pytest.approx((4 + 3 / 98) / 5)  # the best 5 cells hold all 5
    kde = table[table["method"] == "kde"].iloc[0]
    # KDE with a tiny bandwidth ranks cell A and the six earlier moving cells: 5 fit, 4 hits
    assert kde["hits"] == 4 and kde["ranked_share"] == pytest.approx(0.05)
    assert kde["pai"] == pytest.approx(0.8 / 0.05)
    assert kde["pei"] == pytest.approx(0.8)
    # counts (window): the six training months put 24 in cell A and one in each of the six
    # earlier moving cells; A and four of them fit in 5 cells: 4 hits, as KDE
    counts = table[table["method"] == "counts"].iloc[0]
    assert counts["label"] == hs.COUNTS and counts["hits"] == 4
    assert counts["pai"] == pytest.approx(0.8 / 0.05)
    assert "counts (all hours)" not in set(table["method"])  # month-only: no times
    assert table["rank"].tolist() == [1, 2, 3]
    assert table["label"].tolist() == [hs.BASELINE, hs.COUNTS, kde["label"]]
    # the bar is the naive baseline (the best baseline by PAI); KDE is 4 / (4 + 3/98) of it
    assert table["bar"].tolist() == [True, False, False]
    assert kde["vs_best_baseline"] == pytest.approx(4 / (4 + 3 / 98))
    assert table["small_sample"].all()  # 5 test incidents


def test_backtest_real_rutland_month_only(rutland, oakham_street, tmp_path):
    study = box(*rutland.total_bounds).buffer(200)
    cfg = HotspotConfig(method="kde", sweep={"eps_m": [100, 200]})
    table = hs.tune(
        rutland, cfg, timezone=TZ, study_area=study, street=oakham_street,
        methods=["kde", "dbscan", "network"], periods=3,
    )  # fmt: skip
    assert set(table["method"]) == {"kde", "dbscan", "network", "naive", "counts"}
    assert len(table) == 6  # eps_m only matters to dbscan
    assert (table["label"] == hs.BASELINE).sum() == 1
    assert table["bar"].sum() == 1 and table[table["bar"]]["method"].iloc[0] in hs.BASELINES
    # with the street graph every row has a street-length PAI and its interval
    assert table["street_pai"].notna().all() and (table["street_share"] > 0).all()
    assert (table["street_pai_lo"] <= table["street_pai"] + 1e-9).all()
    assert (table["pai_lo"] <= table["pai"] + 1e-9).all()
    assert (table["pai"] <= table["pai_hi"] + 1e-9).all()
    assert table["pai"].is_monotonic_decreasing
    assert table["area_share"].to_numpy() == pytest.approx(0.05, rel=1e-6)
    assert (table["ranked_share"] <= 0.05 + 1e-9).all()
    assert ((table["pei"] >= 0) & (table["pei"] <= 1)).all()
    assert table["time_note"].str.contains("month-only").all()
    csv, chart = hs.write_backtest(table, tmp_path)
    assert pd.read_csv(csv).shape == table.shape
    png = chart.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert "naive baseline" in hs.format_backtest(table)
    # without a street graph the network configurations are left out
    no_net = hs.tune(
        rutland, cfg, timezone=TZ, study_area=study, methods=["kde", "network"], periods=2
    )
    assert set(no_net["method"]) == {"kde", "naive", "counts"}
    assert no_net["street_pai"].isna().all()  # no street graph: area PAI only


def test_backtest_csv_neutralises_formula_text(tmp_path):
    import csv

    from corridors.outputs import read_csv

    table = pd.DataFrame({
        "rank": [1, 2], "label": ["=kde(bandwidth_m=150)", hs.BASELINE], "method": ["kde", "naive"],
        "params": ["@x", ""], "hit_rate": [0.5, 0.25], "pai": [10.0, 5.0], "pei": [-0.5, 0.5],
        "area_share": [0.05, 0.05],
    })  # fmt: skip
    path, _ = hs.write_backtest(table, tmp_path)
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[1][1:4] == ["'=kde(bandwidth_m=150)", "kde", "'@x"]
    assert rows[1][-2] == "-0.5"  # a number, not text
    back = read_csv(path, keep_default_na=False)
    assert back["label"].tolist() == table["label"].tolist()
    assert back["params"].tolist() == ["@x", ""] and back["pei"].tolist() == [-0.5, 0.5]


def test_backtest_weekly_with_times(hackney):
    study = box(*hackney.total_bounds)
    base = HotspotConfig(method="kde", offence_weights=HACKNEY_WEIGHTS, other_weight=0.2)
    cfgs = hs.expand_sweep(base, {"train_all_hours": [True, False], "bandwidth_m": [150, 300]})
    table = hs.backtest(hackney, cfgs, timezone=TZ, study_area=study, periods=8, train_periods=26)
    assert len(table) == 7  # 4 configurations and 3 baselines
    assert table["periods"].eq(8).all()
    assert table["time_note"].str.contains("after-school").all()
    assert set(table["train_window"]) == {
        "all hours",
        "after-school window",
        "last period, after-school window",
        "training periods, after-school window",
        "training periods, all hours",
    }
    assert set(table["method"]) >= {"naive", "counts", "counts (all hours)"}
    assert (table["test_incidents"] > 0).all()


def test_backtest_needs_graph_for_network(rutland):
    with pytest.raises(ConfigError, match="street graph"):
        hs.backtest(
            rutland, [HotspotConfig(method="network")], timezone=TZ, study_area=box(0, 0, 1, 1)
        )


# -- outputs and config ----------------------------------------------------------------


def test_write_hotspots_geojson_in_wgs84(rutland, oakham_street, tmp_path):
    spots = find(
        rutland,
        HotspotConfig(method="network"),
        timezone=TZ,
        week_start=dt.date(2022, 11, 7),
        lookback_weeks=52,
        street=oakham_street,
    )
    paths = hs.write_hotspots(spots, tmp_path / "out")
    assert [p.name for p in paths] == ["hotspots.geojson", "hotspots.json", "edge_intensity.csv"]
    back = gpd.read_file(paths[0])
    assert back.crs.to_epsg() == 4326
    assert len(back) == len(spots.polygons) > 0
    assert back.total_bounds[0] > -0.8 and back.total_bounds[2] < -0.6  # Oakham
    assert back["time_note"].str.contains("month-only").all()
    meta = json.loads(paths[1].read_text())
    assert meta["method"] == "network" and meta["time_known"] is False
    edges = pd.read_csv(paths[2])
    assert list(edges.columns) == ["u", "v", "key", "intensity"]
    assert not list((tmp_path / "out").glob(".*"))  # no temporary files left


def test_config_fields_and_sweep_parsing(tmp_path):
    cfg = config_from_dict(
        {
            "hotspots": {
                "method": "dbscan",
                "sweep": {"eps_m": [100, 200]},
                "holidays": ["2022-10-24/2022-10-28"],
                "backtest_periods": 4,
            }
        }
    )
    assert len(hs.expand_sweep(cfg.hotspots)) == 2
    assert hs.term_calendar(cfg.hotspots).holidays == (
        (dt.date(2022, 10, 24), dt.date(2022, 10, 28)),
    )
    with pytest.raises(ConfigError, match="unknown parameter 'eps'"):
        HotspotConfig(sweep={"eps": [1]})
    with pytest.raises(ConfigError, match="holidays"):
        HotspotConfig(holidays=("2022-10-28/2022-10-24",))
    with pytest.raises(ConfigError, match="expected KEY=V1,V2"):
        hs.parse_sweep(["eps_m"])
    assert hs.parse_sweep(["method=kde,network", "eps_m=50.5"]) == {
        "method": ["kde", "network"],
        "eps_m": [50.5],
    }


def test_docstring_examples():
    import doctest
    import importlib
    import pkgutil

    attempted = failed = 0
    for info in pkgutil.iter_modules(hs.__path__, f"{hs.__name__}."):
        module = importlib.import_module(info.name)
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        attempted, failed = attempted + result.attempted, failed + result.failed
    assert attempted > 5 and failed == 0


@pytest.mark.parametrize("method", ["dbscan", "hdbscan", "kde", "network"])
def test_quiet_week_gives_empty_hotspots_not_an_error(method, tmp_path):
    # weighted offences, but none in the look-back (all-unweighted data is an error: below)
    inc = make_incidents([(10, 5), (20, 5)], offences="Robbery", months=["2019-01"] * 2)
    spots = find(
        inc, HotspotConfig(method=method), timezone=TZ, week_start=dt.date(2022, 11, 7),
        lookback_weeks=52, street=line_graph(),
    )  # fmt: skip
    assert spots.selected.empty and spots.polygons.empty
    assert (spots.edge_intensity == 0).all() and len(spots.edge_intensity) == 6
    assert any("no incidents were selected" in n for n in spots.notes)
    paths = hs.write_hotspots(spots, tmp_path)
    assert json.loads(paths[0].read_text())["features"] == []


def test_stop_and_search_records_are_weighted_by_default(hackney):
    # the loader labels them "Stop and search: <object>"; weapons and drugs searches count
    sel = select_table(
        hackney, HotspotConfig(), timezone=TZ, week_start=dt.date(2018, 10, 1), lookback_weeks=52
    )
    weapons = sel[sel[OFFENCE] == "Stop and search: Offensive weapons"]
    assert len(weapons) > 0
    assert (sel[hs.WEIGHT] > 0).all()
    assert not sel[OFFENCE].eq("Stop and search: Stolen goods").any()


def test_tune_refuses_to_rank_when_no_incident_is_weighted(rutland):
    from shapely.geometry import box

    from corridors.errors import EmptyResultError

    burglary = rutland[rutland[OFFENCE] == "Burglary"]
    assert len(burglary) > 0
    area = box(*rutland.total_bounds).buffer(500)
    with pytest.raises(EmptyResultError, match=r"no weight: Burglary \(\d+\)\. Weight them"):
        hs.tune(burglary, HotspotConfig(), timezone=TZ, study_area=area, methods=["kde"], periods=2)
    # the same data scores once burglary is given a weight
    table = hs.tune(
        burglary,
        HotspotConfig(offence_weights={"Burglary": 1.0}),
        timezone=TZ,
        study_area=area,
        methods=["kde"],
        periods=2,
    )
    assert (table["test_incidents"] > 0).all()


# -- offence names abroad: no weight is an error, not "0 hotspots" ---------------------------

FOREIGN = ["Robo"] * 5 + ["Hurto"] * 3 + [f"Delito {i:02d}" for i in range(11)]


@pytest.mark.parametrize("method", ["kde", "network"])
def test_only_unweighted_offence_names_are_an_error_with_names_and_counts(method):
    from corridors.errors import EmptyResultError

    inc = make_incidents([(100 + i, 5) for i in range(len(FOREIGN))], offences=FOREIGN)
    kw = dict(timezone=TZ, week_start=dt.date(2022, 11, 7), lookback_weeks=52, street=line_graph())
    with pytest.raises(EmptyResultError) as err:
        find(inc, HotspotConfig(method=method), **kw)
    msg = str(err.value)
    assert "none of the 19 incidents has an offence weight" in msg
    # the ten most frequent names with their counts, then "..." for the other three
    assert "Robo (5), Hurto (3), Delito 00 (1)" in msg
    assert "Delito 07 (1), ... (3 more)" in msg and "Delito 08" not in msg
    # both ways out, as TOML to paste
    assert '[hotspots] offence_weights = { "Robo" = 2.0, "Hurto" = 2.0, ... }' in msg
    assert "other_weight = 1.0" in msg
    # either way out works
    spots = find(inc, HotspotConfig(method=method, other_weight=1.0), **kw)
    assert len(spots.selected) == len(FOREIGN)
    hurto = HotspotConfig(method=method, offence_weights={"Hurto": 1.0})
    spots = find(inc, hurto, **kw)
    assert set(spots.selected[OFFENCE]) == {"Hurto"}
    # one weighted name among them is enough: the others are left out with a note
    inc.loc[0, OFFENCE] = "Robbery"
    spots = find(inc, HotspotConfig(method=method), **kw)
    assert list(spots.selected[OFFENCE]) == ["Robbery"]
    assert any("left out: Delito 00 (1)" in n and "Robo (4)" in n for n in spots.notes)


def _foreign_area(tmp_path: Path) -> Path:
    """A tiny config: the tiny street grid (BNG) with incidents of foreign offence names."""
    tiny = Path(__file__).parent / "data" / "graph" / "tiny.osm"
    rows = ["ref,fecha,hora,delito,x,y"]
    names = ["Robo"] * 4 + ["Hurto"] * 2 + ["Lesiones"]
    for i, name in enumerate(names):
        rows.append(f"R{i},2022-10-{3 + i:02d},15:30,{name},{450100 + 50 * i},250310")
    (tmp_path / "delitos.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    cfg = tmp_path / "abroad.toml"
    cfg.write_text(
        f"""
[area]
name = "abroad"
crs = "EPSG:27700"
timezone = "Europe/London"
week = "2022-W45"

[graph]
osm_file = "{tiny.as_posix()}"
cache_dir = "cache"

[[schools]]
path = "{tiny.as_posix()}"
format = "osm"

[[incidents]]
path = "delitos.csv"
format = "csv"
crs = "EPSG:27700"
columns = {{ id = "ref", date = "fecha", time = "hora", offence = "delito", x = "x", y = "y" }}

[hotspots]
method = "kde"

[maps]
out_dir = "maps"
""",
        encoding="utf-8",
    )
    return cfg


@pytest.mark.parametrize("command", ["hotspots", "plan"])
def test_cli_hotspots_and_plan_stop_when_no_offence_has_a_weight(tmp_path, command):
    from click.testing import CliRunner

    from corridors.cli import cli

    cfg = _foreign_area(tmp_path)
    result = CliRunner().invoke(cli, ["-q", "-c", str(cfg), command])
    assert result.exit_code == 1, result.output
    assert "Error: none of the 7 incidents has an offence weight" in result.output
    assert "Robo (4), Hurto (2), Lesiones (1)" in result.output
    assert 'offence_weights = { "Robo" = 2.0, "Hurto" = 2.0, ... }' in result.output
    assert "other_weight = 1.0" in result.output
    assert "Traceback" not in result.output
    # the way out the message gives: the same area then plans
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text.replace('method = "kde"', 'method = "kde"\nother_weight = 1.0'))
    if command == "hotspots":
        result = CliRunner().invoke(cli, ["-q", "-c", str(cfg), command])
        assert result.exit_code == 0, result.output
        assert "from 7 incidents" in result.output


# -- saying plainly what was not found; one typed sweep; term dates as a source ----------------


@pytest.mark.parametrize(
    ("method", "names"),
    [
        ("dbscan", ("eps_m (150 m)", "min_samples (5)")),
        ("hdbscan", ("min_cluster_size (5)", "min_samples (5)")),
        ("network", ("snap_m (50 m)", "area_share (0.05)")),
    ],
)
def test_no_hotspot_from_many_incidents_names_the_parameters(method, names):
    # 40 robberies far from the street: each alone, 1 km apart (too few together for DBSCAN),
    # or at 4 places (fewer than min_cluster_size places for HDBSCAN): nothing to find
    if method == "hdbscan":
        inc = make_incidents([(1000 * (i % 4), 5000) for i in range(40)])
    else:
        inc = make_incidents([(1000 * (i % 8), 5000 + 1000 * (i // 8)) for i in range(40)])
    spots = find(
        inc, HotspotConfig(method=method), timezone=TZ, week_start=dt.date(2022, 11, 7),
        lookback_weeks=52, street=line_graph(),
    )  # fmt: skip
    assert len(spots.selected) == 40 and spots.polygons.empty
    [note] = [n for n in spots.notes if n.startswith("0 hotspots")]
    assert note.startswith(f"0 hotspots ({method}) from 40 selected incidents: ")
    for name in names:
        assert name in note


def test_sweep_values_are_typed_by_their_field_wherever_they_come_from():
    cfg = config_from_dict({
        "hotspots": {
            "sweep": {
                "train_all_hours": ["yes", "no"], "eps_m": [100, "150"],
                "min_samples": [3], "window_start": ["15:00", "15:30"], "method": ["kde"],
            }
        }
    })  # fmt: skip
    assert cfg.hotspots.sweep == {
        "train_all_hours": [True, False], "eps_m": [100.0, 150.0], "min_samples": [3],
        "window_start": ["15:00", "15:30"], "method": ["kde"],
    }  # fmt: skip
    # the command line goes through the same parser
    assert hs.parse_sweep(["train_all_hours=true,FALSE,1,0", "min_samples=3"]) == {
        "train_all_hours": [True, False, True, False], "min_samples": [3],
    }  # fmt: skip
    cfgs = hs.expand_sweep(HotspotConfig(method="kde"), {"train_all_hours": ["true", "false"]})
    assert [c.train_all_hours for c in cfgs] == [True, False]
    for sweep, message in [
        ({"min_samples": [1.5]}, "hotspots.sweep.min_samples: expected a whole number, got 1.5"),
        ({"train_all_hours": ["maybe"]}, "hotspots.sweep.train_all_hours: expected a boolean"),
        ({"eps_m": [True]}, "hotspots.sweep.eps_m: expected a number, got True"),
        ({"window_end": ["6pm"]}, "hotspots.sweep.window_end: expected a time of day, HH:MM"),
        ({"weekdays": [[0, 1]]}, "'weekdays' cannot be swept"),
    ]:
        with pytest.raises(ConfigError, match=re.escape(message)):
            config_from_dict({"hotspots": {"sweep": sweep}})


def test_term_dates_keep_every_bad_row_with_its_reason(tmp_path):
    path = tmp_path / "terms.csv"
    path.write_text(
        "start,end,kind\n2022-09-05,2022-10-21,term\n2022-13-01,2022-12-16,term\n\n"
        "2022-11-04,2022-11-01,holiday\n2022-10-24,2022-10-28,half term\n"
        "2022-10-24,2022-10-28,holiday\n"
    )
    loaded = hs.load_term_dates(path)
    rep = loaded.report
    assert (rep.kind, rep.read, rep.accepted) == ("term dates", 5, 2)
    assert rep.rejected == {"unparseable date": 1, "ends before it starts": 1,
                            "kind is not 'term' or 'holiday'": 1}  # fmt: skip
    assert loaded.rejects["line"].tolist() == [3, 5, 6]
    assert loaded.rejects["column"].tolist() == ["start", "end", "kind"]
    assert loaded.calendar.terms == ((dt.date(2022, 9, 5), dt.date(2022, 10, 21)),)
    with pytest.raises(InputDataError, match=r"row 3 has a bad date .*\(2 more bad rows"):
        hs.read_term_dates(path)


@pytest.mark.parametrize("kind", ["empty", "blank", "binary", "cp1252", "folder", "utf16"])
def test_term_dates_that_cannot_be_read_are_one_input_error(tmp_path, kind):
    path = tmp_path / "terms.csv"
    text = "start,end,name\n2022-09-05,2022-10-21,Caf\u00e9\n"
    if kind == "folder":
        path.mkdir()
    else:
        path.write_bytes({
            "empty": b"", "blank": b"\n\n", "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "cp1252": text.encode("cp1252"), "utf16": text.encode("utf-16"),
        }[kind])  # fmt: skip
    with pytest.raises(InputDataError, match=r"terms\.csv"):
        hs.read_term_dates(path)
