"""The better predictors: blend, network smoothing, learned model, learned offence weights,
and hotspots drawn at street scale (hand-made cases with known answers, and the plan)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from corridors import hotspots as hs
from corridors import pipeline
from corridors.config import HotspotConfig, load_config, parse_grid
from corridors.errors import ConfigError, InputDataError
from corridors.graph import StreetGraph
from corridors.hotspots.blend import fit_blend, period_counts
from corridors.hotspots.learned import LEARNED_FEATURES, learned_features, learned_scores
from corridors.hotspots.methods import model_scores
from corridors.hotspots.network_smooth import smooth_along_streets
from corridors.hotspots.units import _Grid, _segments

try:  # tests/ is on sys.path (rootdir conftest, no package) ...
    from test_hotspots import CRS, TZ, find, make_incidents, street_from_graph
except ImportError:  # ... or tests is a package
    from tests.test_hotspots import CRS, TZ, find, make_incidents, street_from_graph

ROOT = Path(__file__).resolve().parents[1]
START = pd.Timestamp("2022-11-07", tz=TZ)


# -- blend ---------------------------------------------------------------------------------


def test_blend_recovers_known_weights_on_poisson_counts():
    rng = np.random.default_rng(0)
    features = rng.gamma(2.0, 1.0, size=(20_000, 4))
    truth = np.array([1.5, 0.0, 0.8, 0.3])
    counts = rng.poisson(features @ truth).astype(float)
    fitted = fit_blend(features, counts)
    assert fitted == pytest.approx(truth, abs=0.06)


def _history(cells_per_period: dict[int, list[tuple[float, float]]]) -> hs.History:
    """Incidents at given points, ``period`` 4-week periods before START (period 0 = latest)."""
    xy, age = [], []
    for period, points in cells_per_period.items():
        for p in points:
            xy.append(p)
            age.append(4.0 * period + 2.0)
    n = len(xy)
    return hs.History(np.array(xy, float), np.array(age), np.ones(n, bool), np.ones(n), START)


def test_blend_method_prefers_the_steady_cell_over_a_one_off_spike():
    grid = _Grid.over((0, 0, 1000, 1000), 100.0)
    steady = [(50.0, 50.0)] * 3  # 3 a period, every period
    spikes = {k: list(steady) for k in range(12)}
    spikes[5] = [*steady, *[(950.0, 950.0)] * 20]  # one old burst far away
    history = _history(spikes)
    cfg = HotspotConfig(method="blend", period_weeks=4.0, bandwidth_m=100.0)
    scores = model_scores(cfg, history, grid)
    assert scores.argmax() == grid.index(np.array([[50.0, 50.0]]))[0]


# -- no leakage ----------------------------------------------------------------------------


def test_a_feature_built_with_a_test_period_incident_raises():
    grid = _Grid.over((0, 0, 1000, 1000), 100.0)
    history = _history({0: [(50.0, 50.0)], 1: [(50.0, 50.0)]})
    leaked = dataclasses.replace(history, age_weeks=np.array([-0.5, 6.0]))
    with pytest.raises(InputDataError, match="at or after the start of the period"):
        period_counts(leaked, grid, 4.0)
    with pytest.raises(InputDataError, match="at or after"):
        learned_scores(leaked, grid, HotspotConfig(method="learned", period_weeks=4.0))
    on_start = dataclasses.replace(history, age_weeks=np.array([0.0, 6.0]))
    with pytest.raises(InputDataError):
        model_scores(HotspotConfig(method="blend"), on_start, grid)


# -- learned model ---------------------------------------------------------------------------


def test_learned_model_ranks_the_cell_hot_every_period_first():
    grid = _Grid.over((0, 0, 1000, 1000), 100.0)
    rng = np.random.default_rng(1)
    periods = {}
    for k in range(12):
        pts = [(50.0, 50.0)] * int(rng.poisson(6))  # always hot
        pts += [(550.0, 550.0)] * int(rng.poisson(1))  # warm
        pts += [(float(rng.uniform(0, 1000)), float(rng.uniform(0, 1000)))]  # noise
        periods[k] = pts
    cfg = HotspotConfig(
        method="learned", period_weeks=4.0, learned_min_leaf=5, learned_max_iter=30, cell_m=100.0
    )
    history = _history(periods)
    scores = learned_scores(history, grid, cfg)
    hot, warm = grid.index(np.array([[50.0, 50.0], [550.0, 550.0]]))
    assert scores.argmax() == hot
    assert scores[warm] > np.median(scores[scores > 0])
    # the covariates: distance from each cell centre to the nearest school and hub
    places = dataclasses.replace(
        history, schools_xy=np.array([[50.0, 350.0]]), hubs_xy=np.array([[450.0, 50.0]])
    )
    stack, window = period_counts(places, grid, 4.0)
    feats = learned_features(stack, window, -1, grid, places, 4.0)
    cell = grid.index(np.array([[50.0, 50.0]]))[0]
    assert feats[cell, LEARNED_FEATURES.index("school_m")] == pytest.approx(300.0)
    assert feats[cell, LEARNED_FEATURES.index("hub_m")] == pytest.approx(400.0)
    assert learned_scores(places, grid, cfg).argmax() == hot
    importance = hs.feature_importances(history, (0, 0, 1000, 1000), cfg)
    assert set(importance.index) == set(LEARNED_FEATURES)
    assert importance.notna().all()


# -- network smoothing -------------------------------------------------------------------------


def _two_streets() -> StreetGraph:
    """Street A: nodes 1-2-3 along y=0; street B: nodes 4-5-6 along y=30, not connected."""
    graph = nx.MultiDiGraph(crs=CRS)
    for node, (x, y) in {1: (0, 0), 2: (100, 0), 3: (200, 0), 4: (0, 30), 5: (100, 30),
                         6: (200, 30)}.items():  # fmt: skip
        graph.add_node(node, x=float(x), y=float(y))
    for a, b in ((1, 2), (2, 3), (4, 5), (5, 6)):
        line = LineString([(graph.nodes[a]["x"], graph.nodes[a]["y"]),
                           (graph.nodes[b]["x"], graph.nodes[b]["y"])])  # fmt: skip
        graph.add_edge(a, b, 0, length=100.0, geometry=line)
        graph.add_edge(b, a, 0, length=100.0, geometry=line.reverse())
    return street_from_graph(graph)


def test_network_smoothing_spreads_along_the_street_not_across_a_gap():
    seg = _segments(_two_streets())
    ends = {(int(u), int(v)): i for i, (u, v) in enumerate(zip(seg.u, seg.v, strict=True))}
    weight = np.zeros(len(seg.length_m))
    weight[ends[(1, 2)]] = 10.0
    plain = smooth_along_streets(seg, weight, 0.0)
    assert plain[ends[(2, 3)]] == 0 and plain[ends[(1, 2)]] == pytest.approx(0.1)
    smooth = smooth_along_streets(seg, weight, 300.0)
    # along street A: node 2 gets 5 + 5 x 2/3, node 3 gets 5/3 + 5 x 2/3 (triangular kernel)
    assert smooth[ends[(2, 3)]] == pytest.approx((25 / 3 + 5) / 2 / 300)
    # street B is 30 m away as the crow flies but not reachable: nothing crosses
    assert smooth[ends[(4, 5)]] == 0 and smooth[ends[(5, 6)]] == 0


def test_network_radius_changes_the_drawn_streets():
    street = _two_streets()
    pts = [(40.0, 3.0)] * 6 + [(60.0, 27.0)] * 5
    inc = make_incidents(pts)
    base = HotspotConfig(method="network", snap_m=10, half_life_weeks=1e6, area_share=0.3)
    kwargs = {"week_start": dt.date(2022, 11, 7), "lookback_weeks": 52, "street": street,
              "study_area": box(0, -50, 200, 80)}  # fmt: skip
    plain = find(inc, base, **kwargs)
    smooth = find(inc, dataclasses.replace(base, network_radius_m=250.0), **kwargs)
    assert "smoothed along the streets within 250 m" in " ".join(smooth.notes)
    assert plain.edge_intensity.equals(smooth.edge_intensity)  # the routes' input is unchanged

    # 3 segments fit the budget: plain scores only the two with incidents; smoothed adds
    # the next segment along the busier street A (x 100-200), never one across the gap
    def covers(spots: hs.Hotspots, x: float, y: float) -> bool:
        return bool(spots.polygons.contains(Point(x, y)).any())

    assert not covers(plain, 150, 0) and covers(smooth, 150, 0)
    assert covers(smooth, 50, 30) and not covers(smooth, 150, 30)


# -- learned offence weights ---------------------------------------------------------------------


def test_learned_offence_weights_are_the_shrunk_window_shares():
    # A: 4 robberies, 3 at 15:30 (in window), 1 at 22:00; B: 6 drugs at 22:00; C: 2 burglaries
    # (not in the weights table: weight 0 whatever its share)
    times = ["2022-10-04T15:30:00+01:00"] * 3 + ["2022-10-04T22:00:00+01:00"] * 9
    offences = ["Robbery"] * 4 + ["Drugs"] * 6 + ["Burglary"] * 2
    inc = make_incidents([(100.0 + i, 100.0) for i in range(12)], offences=offences, times=times)
    cfg = HotspotConfig(
        method="kde", offence_weighting="learned", offence_prior=2.0, half_life_weeks=1e6
    )
    spots = find(inc, cfg, week_start=dt.date(2022, 11, 7), lookback_weeks=52)
    table = pd.DataFrame(spots.params["learned_offence_weights"]).set_index("offence")
    p = 3 / 12
    assert table.loc["Robbery", "share"] == pytest.approx((3 + 2 * p) / (4 + 2))
    assert table.loc["Drugs", "share"] == pytest.approx((0 + 2 * p) / (6 + 2))
    assert table.loc["Robbery", "weight"] == pytest.approx(table.loc["Robbery", "share"])
    assert table.loc["Burglary", "weight"] == 0
    weights = spots.selected.groupby("offence")["weight"].max()
    assert weights["Robbery"] == pytest.approx((3 + 2 * p) / 6, rel=1e-3)  # no decay here
    assert "Burglary" not in weights.index
    # a counted type seen only in month-only rows gets the overall share p
    month_only = make_incidents([(100.0, 100.0)], offences="Possession of weapons")
    both = pd.concat([inc, month_only], ignore_index=True)
    spots = find(both, cfg, week_start=dt.date(2022, 11, 7), lookback_weeks=52)
    weights = spots.selected.groupby("offence")["weight"].max()
    assert weights["Possession of weapons"] == pytest.approx(p, rel=1e-3)


def test_learned_offence_weights_fall_back_to_the_table_without_times():
    inc = make_incidents([(100.0, 100.0)] * 6)
    cfg = HotspotConfig(method="kde", offence_weighting="learned")
    spots = find(inc, cfg, week_start=dt.date(2022, 11, 7), lookback_weeks=52)
    assert "learned_offence_weights" not in spots.params
    assert any("could not be learned" in n for n in spots.notes)


# -- settings, sweeps and tune -------------------------------------------------------------------


def test_new_settings_are_checked_and_sweepable():
    with pytest.raises(ConfigError, match="network_radius_m"):
        HotspotConfig(network_radius_m=-1)
    with pytest.raises(ConfigError, match="draw_street_km"):
        HotspotConfig(draw_street_km=-2)
    grid = parse_grid(["method=blend,learned", "offence_weighting=table,learned",
                       "network_radius_m=0,300"])  # fmt: skip
    cfgs = hs.expand_sweep(HotspotConfig(), grid)
    assert {c.method for c in cfgs} == {"blend", "learned"}
    assert {c.network_radius_m for c in cfgs} == {0.0}  # not a blend/learned parameter
    assert len(cfgs) == 4


def test_tune_ranks_the_new_methods_on_month_only_data():
    rng = np.random.default_rng(3)
    pts, months = [], []
    for m in range(1, 13):
        n_hot = int(rng.poisson(8))
        pts += [(500.0 + rng.normal(0, 20), 500.0 + rng.normal(0, 20)) for _ in range(n_hot)]
        pts += [(float(rng.uniform(0, 3000)), float(rng.uniform(0, 3000))) for _ in range(4)]
        months += [f"2022-{m:02d}"] * (n_hot + 4)
    inc = make_incidents(pts, months=months)
    table = hs.tune(inc, HotspotConfig(period_weeks=52 / 12), timezone=TZ,
                    study_area=box(0, 0, 3000, 3000), methods=["kde", "blend", "learned"],
                    periods=3)  # fmt: skip
    assert set(table["method"]) == {"kde", "blend", "learned", "naive", "counts"}
    for method in ("blend", "learned"):
        row = table[table["method"] == method].iloc[0]
        assert row["test_incidents"] > 0 and row["pai"] > 5  # the hot cell is found
        assert row["vs_best_baseline"] > 0.8  # about as good as long-term counts, or better


# -- street-scale drawing and the plan -----------------------------------------------------------


def test_hotspots_are_drawn_as_ranked_street_segments_up_to_the_length():
    street = _two_streets()
    pts = [(50.0, 2.0)] * 6 + [(150.0, 2.0)] * 3 + [(50.0, 28.0)] * 1
    inc = make_incidents(pts)
    cfg = HotspotConfig(method="network", snap_m=10, half_life_weeks=1e6, draw_street_km=0.2)
    spots = find(inc, cfg, week_start=dt.date(2022, 11, 7), lookback_weeks=52, street=street,
                 study_area=box(0, -50, 200, 80))  # fmt: skip
    polys = spots.polygons.sort_values("rank")
    assert list(polys["rank"]) == [1, 2]  # 200 m of street: the two best 100 m segments
    assert list(polys["incidents"]) == [6, 3]
    assert spots.params["draw_street_km_used"] == 0.2
    assert any("street scale" in n for n in spots.notes)


@pytest.fixture(scope="module")
def rutland_cfg(tmp_path_factory):
    cfg = load_config(ROOT / "data" / "rutland.toml")
    tmp = tmp_path_factory.mktemp("methods")
    return dataclasses.replace(
        cfg,
        graph=dataclasses.replace(cfg.graph, cache_dir=tmp / "cache"),
        maps=dataclasses.replace(cfg.maps, out_dir=tmp / "maps"),
    )


@pytest.mark.parametrize(
    "settings",
    [
        {"method": "blend"},
        {"method": "learned"},
        {"method": "network", "network_radius_m": 300.0},
        {"method": "kde", "offence_weighting": "learned"},
    ],
)
def test_plan_runs_with_each_new_method_on_the_embedded_data(rutland_cfg, settings):
    cfg = dataclasses.replace(rutland_cfg, hotspots=dataclasses.replace(rutland_cfg.hotspots,
                                                                        **settings))  # fmt: skip
    result = pipeline.run(cfg)
    pipeline.write_plan(result)
    spots = result.spots
    assert spots.method == settings["method"]
    assert len(spots.polygons) > 0 and len(result.plan.corridors) > 0
    # drawn at street scale: at most what one corridor's loops walk (45 min x 4.5 km/h x 2)
    assert spots.params["draw_street_km_used"] == pytest.approx(6.75)
    meta = json.loads((result.out_dir / "hotspots.json").read_text())
    assert meta["method"] == settings["method"]
    assert sorted(spots.polygons["rank"]) == list(range(1, len(spots.polygons) + 1))
