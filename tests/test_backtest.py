"""Backtests an analyst can defend: baselines, intervals, street-length PAI, tune's choice."""

from __future__ import annotations

import dataclasses
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from corridors import hotspots as hs
from corridors import pipeline
from corridors.config import HotspotConfig, load_config
from corridors.errors import ConfigError
from corridors.graph.from_edges import toy_street
from corridors.hotspots.scoring import PeriodScores, add_intervals, resamples
from corridors.load import MONTH, OCCURRED_AT, OFFENCE, TIME_KNOWN
from corridors.maps.internal import _internal_legend
from tests.rutland import CONFIG, config_copy

TZ = "Europe/London"
CRS = "EPSG:27700"


def _incidents(rows: list[tuple[tuple[float, float], str]]) -> gpd.GeoDataFrame:
    """Robberies at (x, y) with local times ``YYYY-MM-DD HH:MM`` (all times known)."""
    local = pd.to_datetime(pd.Series([t for _, t in rows])).dt.tz_localize(TZ)
    return gpd.GeoDataFrame(
        {
            "incident_id": [f"t:{i}" for i in range(len(rows))],
            OFFENCE: "Robbery",
            MONTH: local.dt.strftime("%Y-%m"),
            OCCURRED_AT: local,
            TIME_KNOWN: True,
        },
        geometry=[Point(xy) for xy, _ in rows],
        crs=CRS,
    )


def _weekday(month: int) -> str:
    """The first weekday of a 2022 month, as YYYY-MM-DD."""
    day = pd.Timestamp(2022, month, 1)
    while day.day_of_week >= 5:
        day += pd.Timedelta(days=1)
    return f"{day:%Y-%m-%d}"


A, B, C, D = (150, 150), (550, 550), (850, 850), (350, 750)  # centres of four 100 m cells


def _hand_made() -> gpd.GeoDataFrame:
    """Six training months and a test month (July) with a known answer for each baseline.

    Training, per month: 3 in A after school, 5 in B at night, 1 in C and 2 in D after
    school; June has 4 in C instead of 1. July (tested): after school 2 in A, 4 in B, 1 in C,
    and 3 at night in D (not tested).
    """
    rows = []
    for m in range(1, 7):
        day = _weekday(m)
        rows += [(A, f"{day} 16:00")] * 3 + [(B, f"{day} 02:00")] * 5
        rows += [(C, f"{day} 16:30")] * (4 if m == 6 else 1) + [(D, f"{day} 17:00")] * 2
    day = _weekday(7)
    rows += [(A, f"{day} 16:00")] * 2 + [(B, f"{day} 16:00")] * 4 + [(C, f"{day} 16:00")]
    rows += [(D, f"{day} 03:00")] * 3
    return _incidents(rows)


def test_baselines_hand_made_known_answer():
    # 1 km2 in 100 m cells, 2% = 2 cells; 7 test incidents (July, after school)
    cfg = HotspotConfig(method="kde", cell_m=100, bandwidth_m=10, area_share=0.02)
    table = hs.backtest(
        _hand_made(), [cfg], timezone=TZ, study_area=box(0, 0, 1000, 1000), periods=1,
        period="month",
    )  # fmt: skip
    rows = table.set_index("method")
    assert set(rows.index) == {"kde", "naive", "counts", "counts (all hours)"}
    assert (rows["test_incidents"] == 7).all()
    # naive: June after school: C 4, A 3, D 2 -> C and A: 1 + 2 hits
    assert rows.loc["naive", "hits"] == 3
    assert rows.loc["naive", "pai"] == pytest.approx(3 / 7 / 0.02)
    # counts in the window: A 18, D 12, C 9 -> A and D: 2 hits
    assert rows.loc["counts", "hits"] == 2
    assert rows.loc["counts", "pai"] == pytest.approx(2 / 7 / 0.02)
    # counts on all hours: B 30, A 18 -> B and A: 4 + 2 hits, the best baseline: the bar
    assert rows.loc["counts (all hours)", "hits"] == 6
    assert rows.loc["counts (all hours)", "pai"] == pytest.approx(6 / 7 / 0.02)
    assert rows.loc["counts (all hours)", "label"] == hs.COUNTS_ALL
    assert rows["bar"].to_dict() == {
        "kde": False, "naive": False, "counts": False, "counts (all hours)": True
    }  # fmt: skip
    assert rows.loc["naive", "vs_best_baseline"] == pytest.approx(0.5)
    assert rows.loc["counts", "vs_best_baseline"] == pytest.approx(1 / 3)
    assert rows.loc["counts (all hours)", "vs_best_baseline"] == 1
    # one test period: the intervals are the point itself
    assert rows.loc["naive", "pai_lo"] == rows.loc["naive", "pai_hi"] == rows.loc["naive", "pai"]
    assert table["street_pai"].isna().all()  # no street graph
    # 7 test incidents: flagged, and the printed table says so
    assert table["small_sample"].all()
    text = hs.format_backtest(table)
    assert "only 7 test incidents" in text and "too small to rank" in text
    assert "<- bar" in text


def test_counts_method_row_is_the_counts_baseline_and_the_bar_stays_a_baseline():
    # the counts method on the baselines' grid scores what the all-hours baseline scores;
    # on the tie the baseline row is the bar
    cfg = HotspotConfig(method="counts", cell_m=100, area_share=0.02)
    table = hs.backtest(
        _hand_made(), [cfg], timezone=TZ, study_area=box(0, 0, 1000, 1000), periods=1,
        period="month",
    )  # fmt: skip
    mine = table[table["label"].str.startswith("counts cell_m=100")].iloc[0]
    base = table[table["label"] == hs.COUNTS_ALL].iloc[0]
    assert mine["hits"] == base["hits"] == 6 and mine["pai"] == base["pai"]
    assert bool(base["bar"]) and not bool(mine["bar"])


def _scores(hits: list[float], test: list[float]) -> PeriodScores:
    n = len(hits)
    return PeriodScores(
        np.array(hits, float), np.array(test, float), np.full(n, 0.05), np.full(n, 0.1)
    )


def _table(labels: list[str], methods: list[str], scores: list[PeriodScores]) -> pd.DataFrame:
    pai = [s.pai(np.arange(len(s.hits))[None, :])[0] for s in scores]
    n = [int(s.test.sum()) for s in scores]
    return pd.DataFrame({
        "label": labels, "method": methods, "pai": pai, "test_incidents": n,
        "periods": len(scores[0].hits),
    })  # fmt: skip


def test_bootstrap_interval_holds_the_estimate_and_shrinks_with_more_periods():
    pattern_hits, pattern_test = [10, 30, 20, 5, 25, 15], [40, 50, 45, 30, 50, 40]
    widths = []
    for repeat in (1, 10):
        s = _scores(pattern_hits * repeat, pattern_test * repeat)
        table = add_intervals(_table(["m"], ["kde"], [s]), [s], baselines=[], seed=3)
        row = table.iloc[0]
        assert row["pai_lo"] < row["pai"] < row["pai_hi"]
        assert row["pai"] == pytest.approx(105 / 255 / 0.05)
        widths.append(row["pai_hi"] - row["pai_lo"])
    # ten times the periods: about sqrt(10) narrower
    assert widths[1] < widths[0] / 2
    # seeded: the same intervals again
    s = _scores(pattern_hits, pattern_test)
    again = add_intervals(_table(["m"], ["kde"], [s]), [s], baselines=[], seed=3)
    assert again.iloc[0]["pai_hi"] - again.iloc[0]["pai_lo"] == pytest.approx(widths[0])


def test_paired_ratio_is_one_for_a_method_against_itself():
    s = _scores([10, 30, 20, 5, 25, 15], [40, 50, 45, 30, 50, 40])
    worse = _scores([5, 15, 10, 2, 12, 8], [40, 50, 45, 30, 50, 40])
    # two rows may share a label (a sweep of a setting the label leaves out): each row keeps
    # its own scores
    table = _table(["twin", "bar", "twin"], ["kde", "counts", "kde"], [s, s, worse])
    out = add_intervals(table, [s, s, worse], baselines=["counts", "naive"])
    same = out.iloc[0]
    assert out["bar"].tolist() == [False, True, False]
    assert (same["vs_best_baseline"], same["vs_best_baseline_lo"], same["vs_best_baseline_hi"]) == (
        1.0, 1.0, 1.0,
    )  # fmt: skip
    low = out.iloc[2]
    assert low["vs_best_baseline"] == pytest.approx(52 / 105)
    assert low["vs_best_baseline_lo"] <= low["vs_best_baseline"] <= low["vs_best_baseline_hi"] < 1
    # the ranking note: the top two (same scores) are within each other's interval
    assert "cannot tell them apart" in hs.ranking_note(out)
    # the best method's record warns when it is below the bar beyond its interval
    choice = {"method": "kde", "vs_best_baseline": 0.5, "vs_best_baseline_interval": [0.4, 0.6],
              "best_baseline": "counts baseline, window"}  # fmt: skip
    assert "below the bar" in hs.choice_warning(choice)
    assert hs.choice_warning({**choice, "vs_best_baseline_interval": [0.9, 1.1]}) is None


def test_resamples_keep_the_periods_as_the_first_sample():
    idx = resamples(5, n_boot=200, seed=1)
    assert idx.shape == (200, 5) and idx[0].tolist() == [0, 1, 2, 3, 4]
    assert idx.min() == 0 and idx.max() == 4


def test_street_length_pai_on_a_toy_street():
    # the toy street: a 3 x 3 grid of nodes 100 m apart, 12 streets of 100 m = 1,200 m,
    # all inside the study area 0..200 x 0..200, laid out in 100 m cells (1 cell = 25%).
    street = toy_street()
    rows = []
    for m in range(1, 4):
        rows += [((50, 50), f"{_weekday(m)} 16:00")] * 3 + [((150, 150), f"{_weekday(m)} 16:00")]
    test = _incidents(rows)
    cfg = HotspotConfig(method="kde", cell_m=100, bandwidth_m=5, area_share=0.25)
    table = hs.backtest(
        test, [cfg], timezone=TZ, study_area=box(0, 0, 200, 200), street=street, periods=1,
        period="month",
    )  # fmt: skip
    counts = table.set_index("method").loc["counts"]
    # counts ranks the cell (0..100, 0..100): 3 of the 4 test incidents, 25% of the area
    assert counts["hits"] == 3 and counts["pai"] == pytest.approx(0.75 / 0.25)
    # streets inside the study area: 1,200 m; inside that cell: its 4 sides, 400 m, as the
    # grid's cell boxes share their boundaries (a boundary street is in both cells) -> 1/3
    assert counts["street_share"] == pytest.approx(400 / 1200)
    assert counts["street_pai"] == pytest.approx(0.75 / (400 / 1200))


def test_cell_street_lengths_split_a_street_between_cells():
    grid = hs.scoring._Grid.over((0, 0, 300, 100), 100)
    from shapely.geometry import LineString

    lines = np.array([LineString([(50, 50), (250, 50)]), LineString([(10, 10), (10, 90)])])
    assert hs.scoring.cell_street_m(grid, lines).tolist() == [130.0, 100.0, 50.0]


# -- the choice tune records and plan uses --------------------------------------------------


def _auto_config(tmp_path):
    """The embedded config with ``[hotspots] method = "auto"``, writing under tmp_path."""
    assert not load_config(CONFIG).hotspots_method_auto  # data/rutland.toml names kde
    path = config_copy(tmp_path, tmp_path / "maps", tmp_path / "cache")
    text = path.read_text(encoding="utf-8").replace('method = "kde"', 'method = "auto"')
    path.write_text(text, encoding="utf-8")
    cfg = load_config(path)
    assert cfg.hotspots_method_auto and cfg.hotspots.method == "counts"  # the default
    return cfg


CHOICE = {
    "method": "dbscan", "params": {"eps_m": 200.0, "min_samples": 4, "cell_m": 150.0},
    "pai": 15.2, "pai_interval": [14.0, 16.0], "best_baseline": hs.COUNTS,
    "best_baseline_pai": 14.8, "vs_best_baseline": 1.027,
    "vs_best_baseline_interval": [0.98, 1.07], "written_at": "2026-12-01T00:00:00+00:00",
}  # fmt: skip


def test_plan_uses_the_recorded_choice(tmp_path):
    cfg = _auto_config(tmp_path)
    folder = pipeline.week_folder(cfg)
    # no file: the default method, plain long-term counts per cell (never below the bar:
    # it is the bar, or within its interval, on Rutland, Hackney and City of London)
    default, source = pipeline.choose_hotspot_method(cfg)
    assert default.hotspots.method == "counts" and "no `corridors tune` choice" in source
    spots = pipeline.find_hotspots(cfg, pipeline.read_inputs(cfg), street=None)
    assert spots.method == "counts" and len(spots.polygons)
    assert "the default: no `corridors tune` choice" in spots.method_source
    hs.write_choice(CHOICE, folder.hotspots_choice)
    inputs = pipeline.read_inputs(cfg)
    spots = pipeline.find_hotspots(cfg, inputs, street=None)
    assert spots.method == "dbscan"
    assert spots.params["eps_m"] == 200.0 and spots.params["min_samples"] == 4
    assert "chosen by corridors tune" in spots.method_source
    assert "x1.03 (0.98-1.07)" in spots.method_source
    assert hs.CHOICE_JSON in spots.method_source
    assert "too few to rank" not in spots.method_source
    small = hs.describe_choice({**CHOICE, "small_sample": True, "test_incidents": 23}, "dbscan")
    assert small.endswith("ranked on only 23 test incidents, too few to rank")
    # the internal map's legend says it
    assert "Hotspots drawn by dbscan" in _internal_legend(True, None, spots.method_source)
    # a config that names a method keeps it, choice file or not
    named_cfg = dataclasses.replace(load_config(CONFIG), maps=cfg.maps)
    named, source = pipeline.choose_hotspot_method(named_cfg)
    assert named.hotspots.method == "kde" and "named in the config" in source


def test_tune_can_choose_a_baseline_and_plan_then_draws_counts(tmp_path):
    # the hand-made case: counts on all hours (B 30, A 18 per 6 months) catch 6 of the 7
    # July incidents; KDE trained on the window only sees A, D and C and catches at most 2
    kde = HotspotConfig(
        method="kde", cell_m=100, bandwidth_m=10, area_share=0.02, train_all_hours=False
    )
    table = hs.backtest(
        _hand_made(), [kde], timezone=TZ, study_area=box(0, 0, 1000, 1000), periods=1,
        period="month",
    )  # fmt: skip
    rows = table.set_index("method")
    assert rows.loc["kde", "pai"] < rows.loc["counts (all hours)", "pai"]
    choice = hs.choice_from_table(
        table, data_range=("2022-01", "2022-07"), written_at="2026-12-01", period="month"
    )
    assert choice is not None and choice["baseline"] is True
    assert choice["method"] == "counts" and choice["label"] == hs.COUNTS_ALL
    assert choice["params"] == {"cell_m": 100.0, "train_all_hours": True}
    assert choice["vs_best_baseline"] == 1.0 and hs.choice_warning(choice) is None
    assert choice["best_method"].startswith("kde ")
    # plan applies it: counts per 100 m cell on all hours, the top 2% = cells B and A
    chosen = hs.apply_choice(HotspotConfig(area_share=0.02), choice, "hotspots-choice.json")
    assert (chosen.method, chosen.cell_m, chosen.train_all_hours) == ("counts", 100.0, True)
    from corridors.week import PlanWeek, Window

    train = _hand_made()
    train = train[train[MONTH] < "2022-07"]
    week = PlanWeek.parse("2022-W27", timezone=TZ, lookback_weeks=52)
    spots = hs.find_hotspots(
        train, chosen, week=week, window=Window(), study_area=box(0, 0, 1000, 1000)
    )
    drawn = spots.polygons.geometry.union_all()
    assert drawn.contains(Point(B)) and drawn.contains(Point(A))
    assert not drawn.contains(Point(C)) and not drawn.contains(Point(D))
    assert drawn.area == pytest.approx(2 * 100 * 100)
    # the internal map's line says a baseline was chosen, and which method it beat
    line = hs.describe_choice(choice, chosen.method)
    assert line.startswith("Hotspots drawn by counts, chosen by corridors tune (2026-12-01)")
    assert f"a baseline was chosen: {hs.COUNTS_ALL}" in line and "the best method, kde" in line
    # and through plan: the recorded baseline is what `plan` draws with method "auto"
    cfg = _auto_config(tmp_path)
    hs.write_choice(choice, pipeline.week_folder(cfg).hotspots_choice)
    used, source = pipeline.choose_hotspot_method(cfg)
    assert used.hotspots.method == "counts" and used.hotspots.cell_m == 100.0
    assert "a baseline was chosen" in source
    assert "a baseline was chosen" in _internal_legend(True, None, source)


def test_bad_choice_files_are_clear_errors(tmp_path):
    cfg = _auto_config(tmp_path)
    path = pipeline.week_folder(cfg).hotspots_choice
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"hotspots-choice\.json: cannot read"):
        pipeline.choose_hotspot_method(cfg)
    path.write_text(json.dumps({**CHOICE, "method": "crystal-ball"}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"hotspots-choice\.json: unknown hotspot method"):
        pipeline.choose_hotspot_method(cfg)
    path.write_text(json.dumps({**CHOICE, "params": {"eps_m": "wide"}}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"hotspots-choice\.json: params\.eps_m must be a number"):
        pipeline.choose_hotspot_method(cfg)


def test_method_auto_in_the_config_file(tmp_path):
    from corridors.config import config_from_dict

    assert config_from_dict({}).hotspots_method_auto
    assert config_from_dict({"hotspots": {"method": "auto"}}).hotspots_method_auto
    named = config_from_dict({"hotspots": {"method": "kde"}})
    assert not named.hotspots_method_auto and named.hotspots.method == "kde"
    with pytest.raises(ConfigError, match="hotspots_method_auto"):
        config_from_dict({"hotspots_method_auto": True})


def test_ranking_note_uses_the_paired_ratio_when_one_of_the_top_two_is_the_bar():
    from corridors.hotspots.scoring import ranking_note

    table = pd.DataFrame({
        "label": ["blend", "counts"], "pai": [11.0, 10.0], "pai_lo": [9.0, 8.0],
        "pai_hi": [13.0, 12.0], "bar": [False, True], "vs_best_baseline": [1.10, 1.0],
        "vs_best_baseline_lo": [1.03, 1.0], "vs_best_baseline_hi": [1.20, 1.0],
    })  # fmt: skip
    note = ranking_note(table)
    assert "within each other's interval" in note  # unpaired, they overlap
    assert "x1.10 (1.03-1.20) of the bar: above it, told apart" in note  # paired, they do not
    table.loc[0, ["vs_best_baseline_lo", "vs_best_baseline_hi"]] = [0.95, 1.25]
    assert ranking_note(table).endswith("the backtest cannot tell them apart.")
    below = table.assign(pai=[9.5, 10.0], vs_best_baseline=[0.95, 1.0],
                         vs_best_baseline_lo=[0.92, 1.0], vs_best_baseline_hi=[0.98, 1.0])
    assert "x0.95 (0.92-0.98) of the bar: below it, told apart" in ranking_note(below)
