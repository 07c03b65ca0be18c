"""corridors evaluate: DiD on known cases, suppression, the demographic columns, history, end to end."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result
from shapely.geometry import LineString

from corridors.cli import cli
from corridors.config import config_from_dict, load_config
from corridors.errors import ConfigError, InputDataError
from corridors.evaluate import effect as fx
from corridors.evaluate.dosage import dosage_table
from corridors.evaluate.equality import IN, NFA, OUT, equality_tables, ethnic_group, in_patrol
from corridors.evaluate.history import read_plan_history, weeks_between
from corridors.evaluate.page import report_page
from corridors.evaluate.streets import period_weights
from corridors.evaluate.suppress import TOTAL, recoverable, suppress
from corridors.evaluate.tables import public_tables, smallest_count
from corridors.evaluate.targeting import targeting_table, top_segments
from corridors.load import load_inputs
from corridors.load.stops import AGE, KEPT, load_stops
from corridors.week import Window
from tests.rutland import config_copy

DATA = Path(__file__).parent / "data" / "evaluate"
STOPS = DATA / "hackney-stops-2024-06.csv"
PERSONAL = {"Gender", "Age range", "Self-defined ethnicity", "Officer-defined ethnicity"}


# -- difference in differences ---------------------------------------------------------------


def _synthetic(effect: float, seed: int) -> tuple[np.ndarray, ...]:
    """200 treated and 400 comparison streets; a common trend of -1; ``effect`` on treated."""
    rng = np.random.default_rng(seed)
    tb = rng.poisson(6.0, 200).astype(float)
    ta = rng.poisson(5.0 + effect, 200).astype(float)
    cb = rng.poisson(6.0, 400).astype(float)
    ca = rng.poisson(5.0, 400).astype(float)
    return tb, ta, cb, ca


def test_did_recovers_a_known_effect_within_its_interval() -> None:
    result = fx.did(*_synthetic(-3.0, seed=1), seed=0)
    assert result.low <= -3.0 <= result.high
    assert result.high < 0  # the fall is told apart from no change
    assert result.estimate == pytest.approx(-3.0, abs=0.5)
    assert (result.n_treated, result.n_comparison) == (200, 400)


def test_did_of_no_effect_has_an_interval_covering_zero() -> None:
    result = fx.did(*_synthetic(0.0, seed=2), seed=0)
    assert result.low <= 0.0 <= result.high


def test_did_needs_both_groups() -> None:
    with pytest.raises(Exception, match="treated and comparison"):
        fx.did(np.ones(3), np.ones(3), np.zeros(0), np.zeros(0))


def test_matching_picks_similar_streets_and_ignores_others() -> None:
    features = np.array([[3.0, 5.0], [3.0, 5.0], [0.0, 0.0], [3.0, 4.0], [9.0, 9.0]])
    before = np.array([5.0, 5.0, 0.0, 4.0, 9.0])
    after = np.array([1.0, 1.0, 0.0, 4.0, 20.0])
    treated = np.array([True, True, False, False, False])
    pool = ~treated
    result = fx.matched_did(features, before, after, treated, pool, k=1)
    assert result is not None
    # both treated streets are matched to street 3 (footfall 3, 4 before), never to 4
    assert result.comparison_before == 4.0
    assert result.estimate == pytest.approx(-4.0)


# -- weights, targeting, dosage ---------------------------------------------------------------


def test_period_weights_spread_month_only_records_and_filter_timed_ones() -> None:
    frame = pd.DataFrame(
        {
            "month": ["2022-10", "2022-10", "2022-10"],
            "occurred_at": [
                pd.NaT,
                pd.Timestamp("2022-10-04 16:00", tz="Europe/London"),  # Tuesday, in the window
                pd.Timestamp("2022-10-04 20:00", tz="Europe/London"),  # after it
            ],
            "time_known": [False, True, True],
        }
    )
    import datetime as dt

    w = period_weights(frame, dt.date(2022, 10, 3), dt.date(2022, 10, 10), Window())
    assert w.tolist() == pytest.approx([7 / 31, 1.0, 0.0])


def test_targeting_against_hotspots_of_the_same_length() -> None:
    segments = pd.DataFrame({"length_m": [500.0, 500.0, 1000.0, 1000.0]})
    placed = np.array([0, 0, 1, 2, 2, 2, -1, 3])
    weights = {"2022-W45": np.ones(8)}
    patrolled = {"2022-W45": np.array([True, True, False, False])}  # 1 km
    intensity = {"2022-W45": np.array([0.0, 0.0, 5.0, 1.0])}  # the top 1 km is segment 2
    row = targeting_table(segments, placed, weights, patrolled, intensity).iloc[0]
    assert row["on_patrolled"] == 3 and row["on_hotspots"] == 3
    assert row["patrolled_share"] == pytest.approx(3 / 8)
    assert row["patrolled_share_per_km"] == pytest.approx(3 / 8)
    assert row["hotspot_km"] == pytest.approx(1.0)
    assert top_segments(np.array([0.0, 2.0]), np.array([10.0, 10.0]), 100.0).tolist() == [
        False,
        True,
    ]


def test_dosage_minutes_per_corridor_against_the_research() -> None:
    roster = pd.DataFrame(
        {
            "week": ["2022-W45"] * 4,
            "slot_id": ["a", "a", "b", "c"],
            "corridor_id": ["C01", "C01", "C01", "C02"],
            "start": ["15:15", "15:15", "15:15", "15:15"],
            "end": ["15:27", "15:27", "15:29", "16:15"],
        }
    )
    table = dosage_table(roster).set_index("corridor_id")
    assert table.loc["C01", "visits"] == 2
    assert table.loc["C01", "patrol_minutes"] == 26.0
    assert table.loc["C01", "against_research"] == "10-15 min, as recommended"
    assert table.loc["C02", "against_research"] == "longer than 10-15 min"


# -- suppression -------------------------------------------------------------------------------


def test_suppression_hides_small_counts_and_what_would_give_them_away() -> None:
    counts = pd.DataFrame(
        {"in": [40, 3, 25], "out": [60, 50, 30]}, index=["Black", "Asian", "White"]
    )
    table = suppress(counts, 10)
    assert np.isnan(table.loc["Asian", "in"])  # primary
    # secondary: the Asian row and the "in" column each have another hidden cell
    assert table.loc["Asian"].isna().sum() >= 2
    assert table["in"].isna().sum() >= 2
    assert not recoverable(table)
    shown = table.to_numpy()[~np.isnan(table.to_numpy())]
    assert shown.min() >= 10
    assert table.loc[TOTAL, TOTAL] == 208


def test_suppression_leaves_a_table_of_large_counts_alone() -> None:
    counts = pd.DataFrame({"in": [40, 30], "out": [60, 50]}, index=["a", "b"])
    table = suppress(counts, 10)
    assert not table.isna().any().any()
    assert table.loc[TOTAL, "in"] == 70


# -- the demographic columns -----------------------------------------------------------------


def _stops_config(tmp_path: Path, equality: bool) -> Path:
    text = (
        '[area]\nname = "hackney"\ncrs = "EPSG:27700"\ntimezone = "Europe/London"\n'
        'week = "2024-W26"\n\n[[incidents]]\n'
        f'path = "{STOPS.as_posix()}"\nformat = "police-stop-search"\n'
    )
    if equality:
        text += "\n[equality]\nk = 5\n"
    path = tmp_path / "hackney.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("equality", [False, True])
def test_no_demographic_column_survives_load(tmp_path: Path, equality: bool) -> None:
    cfg = load_config(_stops_config(tmp_path, equality))
    inputs = load_inputs(cfg, strict=False)
    assert len(inputs.incidents) > 200
    columns = {c.lower() for c in inputs.incidents.columns}
    assert not columns & {c.lower() for c in PERSONAL}
    assert not columns & set(KEPT.values())


def test_personal_columns_only_with_equality(tmp_path: Path) -> None:
    without = load_config(_stops_config(tmp_path, False))
    with pytest.raises(ConfigError, match=r"\[equality\]"):
        load_stops(without, crs="EPSG:27700", tz="Europe/London")
    stops = load_stops(
        load_config(_stops_config(tmp_path, True)), crs="EPSG:27700", tz="Europe/London"
    )
    raw = pd.read_csv(STOPS)
    assert len(stops) == raw["Latitude"].notna().sum()
    assert (stops[AGE] == "10-17").sum() == (raw["Age range"] == "10-17").sum()


def test_equality_config_defaults_and_checks() -> None:
    assert config_from_dict({}).equality is None
    assert config_from_dict({"equality": {}}).equality.k == 10  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match=r"equality\.k"):
        config_from_dict({"equality": {"k": 0}})


# -- equality tables on real Hackney records -------------------------------------------------


def test_equality_tables_on_real_stops(tmp_path: Path) -> None:
    cfg = load_config(_stops_config(tmp_path, True))
    stops = load_stops(cfg, crs="EPSG:27700", tz="Europe/London")
    when = pd.DatetimeIndex(stops["occurred_at"])
    in_hours = (when.day_of_week < 5) & (when.hour >= 15) & (when.hour < 18)
    young = stops[AGE].isin(["under 10", "10-17"]).to_numpy()
    # a made-up patrol loop through the under-18 stops made in patrol hours
    chosen = stops[young & in_hours].geometry
    loop = LineString(sorted((p.x, p.y) for p in chosen))
    start = pd.Timestamp("2024-06-03", tz="Europe/London")
    spans = {"2024-W23": (start, start + pd.Timedelta(days=28))}
    loops = {"2024-W23": gpd.GeoSeries([loop], crs="EPSG:27700")}
    inside = in_patrol(stops, loops, spans, Window(), 50.0)
    assert inside[young & in_hours].all()
    assert not inside[~in_hours].any()
    tables = equality_tables(
        stops, inside, young_ages=("under 10", "10-17"), reference="White", k=5
    )
    assert tables.stops == int(young.sum())
    assert tables.by_age.loc[TOTAL, TOTAL] == young.sum()
    for table in (tables.by_age, tables.by_ethnicity, tables.outcomes):
        values = table.to_numpy()
        assert values[~np.isnan(values)].min() >= 5
        assert not recoverable(table)
    # the Black group is large enough to show; its NFA count is the real one
    raw = pd.read_csv(STOPS)
    raw_young = raw[raw["Age range"].isin(["under 10", "10-17"])]
    groups = [
        ethnic_group(str(s), str(o))
        for s, o in zip(
            raw_young["Self-defined ethnicity"].fillna(""),
            raw_young["Officer-defined ethnicity"].fillna(""),
            strict=True,
        )
    ]
    nfa = raw_young["Outcome"].str.lower().str.contains(NFA).to_numpy()
    black_nfa = int(np.sum(nfa & (np.array(groups) == "Black")))
    shown = tables.outcomes.loc["Black", NFA]
    assert np.isnan(shown) or shown == black_nfa
    assert set(tables.by_ethnicity.columns) == {IN, OUT, TOTAL}


# -- history and end to end on the embedded data ---------------------------------------------

WEEKS = ("2022-W43", "2022-W44", "2022-W45")


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three weeks of Oakham (a box of Rutland) planned into a temporary folder."""
    root = tmp_path_factory.mktemp("evaluate")
    box = [[-0.7575, 52.6506], [-0.6975, 52.6506], [-0.6975, 52.6906], [-0.7575, 52.6906]]
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [[*box, box[0]]]},
    }
    boundary = root / "oakham.geojson"
    boundary.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    path = config_copy(root, root / "maps", root / "cache", name="oakham")
    text = path.read_text(encoding="utf-8").replace(
        'timezone = "Europe/London"',
        f'timezone = "Europe/London"\nboundary = "{boundary.as_posix()}"',
    )
    path.write_text(text.replace("min_shared_count = 10", "min_shared_count = 3"), encoding="utf-8")
    runner = CliRunner()
    for week in WEEKS:
        result = runner.invoke(cli, ["-q", "-c", str(path), "plan", "--week", week])
        assert result.exit_code == 0, result.output
    return path


def _evaluate(config: Path, out: str) -> Result:
    """Run ``corridors evaluate`` over the planned weeks into ``out``."""
    args = ["-q", "-c", str(config), "evaluate", "--from", WEEKS[0], "--to", WEEKS[-1]]
    return CliRunner().invoke(cli, [*args, "--out", out])


def test_weeks_between_spans_years() -> None:
    assert weeks_between("2020-W52", "2021-W02") == ["2020-W52", "2020-W53", "2021-W01", "2021-W02"]
    with pytest.raises(ConfigError, match="before"):
        weeks_between("2022-W45", "2022-W40")


def test_evaluate_end_to_end_writes_both_reports_and_csvs(planned: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval"
    result = _evaluate(planned, str(out))
    assert result.exit_code == 0, result.output
    assert "Evaluated 3 planned weeks" in result.output
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {
        "report.html",
        "public.html",
        "targeting.csv",
        "effect.csv",
        "dosage.csv",
        "manifest.json",
    } <= names
    assert {"public/targeting.csv", "public/effect.csv", "public/dosage.csv"} <= names
    targeting = pd.read_csv(out / "targeting.csv")
    assert list(targeting["week"]) == list(WEEKS)
    assert (targeting["patrolled_km"] > 0).all()
    dosage = pd.read_csv(out / "dosage.csv")
    assert (dosage["patrol_minutes"] > 0).all()
    # the public figures: no incident count below k (3 here), no coordinates
    public_t = pd.read_csv(out / "public" / "targeting.csv")
    for col in ("incidents", "on_patrolled", "on_hotspots"):
        assert (public_t[col].dropna() >= 3).all()
    assert (targeting["on_patrolled"] < 3).any()  # so the test hides something real
    public_e = pd.read_csv(out / "public" / "effect.csv")
    for count, means in (
        ("incidents_before", ["before_per_street", "comparison_before"]),
        ("incidents_after", ["after_per_street", "comparison_after"]),
    ):
        assert (public_e[count].dropna() >= 3).all()
        assert public_e.loc[public_e[count].isna(), means].isna().all().all()
    page = (out / "public.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in page
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    assert not re.search(r"\b5\d{5}\.\d", text)  # no easting (EPSG:27700 metres)
    assert not re.search(r"-0\.[6-8]\d{4,}|52\.\d{4,}", text)  # no longitude / latitude
    assert "suppressed" in page
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["weeks"] == list(WEEKS)


def test_a_week_whose_folder_was_altered_is_refused(planned: Path, tmp_path: Path) -> None:
    cfg = load_config(planned)
    area = Path(cfg.maps.out_dir) / "oakham"
    loops = area / "2022-W44" / "loops.csv"
    original = loops.read_bytes()
    try:
        loops.write_bytes(original + b"C99-L1,C99,x,x,school,1,15:15,10,100,0,0,0,0\r\n")
        with pytest.raises(
            InputDataError,
            match=r"week 2022-W44: .*no longer matches its manifest.*changed: loops.csv",
        ):
            read_plan_history(area, WEEKS[0], WEEKS[-1])
        result = _evaluate(planned, str(tmp_path / "x"))
        assert result.exit_code == 1
        assert "week 2022-W44" in result.output and "Traceback" not in result.output
    finally:
        loops.write_bytes(original)
    assert read_plan_history(area, WEEKS[0], WEEKS[-1]).weeks == WEEKS


def test_report_with_equality_suppresses_in_the_public_page(planned: Path, tmp_path: Path) -> None:
    from corridors.evaluate import run_evaluation

    cfg = load_config(planned)
    ev, _ = run_evaluation(cfg, WEEKS[0], WEEKS[-1])
    stops_cfg = load_config(_stops_config(tmp_path, True))
    stops = load_stops(stops_cfg, crs="EPSG:27700", tz="Europe/London")
    inside = np.zeros(len(stops), dtype=bool)
    tables = equality_tables(stops, inside, young_ages=("10-17",), reference="White", k=10)
    ev = dataclasses.replace(ev, equality=tables, notes=("<script>alert(1)</script>",))
    public = public_tables(ev)
    counts = {
        name: [IN, OUT, TOTAL, NFA, "other outcome"]
        for name in public
        if name.startswith("equality")
    }
    assert smallest_count(public, counts) >= 10
    page = report_page(ev, public, public=True)
    assert "Equality monitoring" in page and "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_equality_section_adds_suppressed_tables(planned: Path, tmp_path: Path) -> None:
    config = tmp_path / "with-equality.toml"
    extra = f'\n[equality]\nk = 5\nstops = ["{STOPS.as_posix()}"]\n'
    config.write_text(planned.read_text(encoding="utf-8") + extra, encoding="utf-8")
    out = tmp_path / "eval"
    result = _evaluate(config, str(out))
    assert result.exit_code == 0, result.output
    for name in ("age", "ethnicity", "outcomes", "ratios"):
        assert (out / f"equality-{name}.csv").exists()
        assert (out / "public" / f"equality-{name}.csv").exists()
    # Hackney's stops lie outside Oakham: none counted, and the empty totals are suppressed
    age = pd.read_csv(out / "public" / "equality-age.csv")
    assert (
        age[["in corridors, patrol hours", "elsewhere or other times", "total"]].isna().all().all()
    )
    assert "Equality monitoring" in (out / "public.html").read_text(encoding="utf-8")
