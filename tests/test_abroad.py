"""A first run on a city abroad, as a new user does it: init -> validate -> plan.

The area is real data moved to North Philadelphia (tests/data/abroad/README.md): OSM streets
and schools tagged as OSM in the US has them, and incidents in a US city open-data layout
(YEAR, MONTH, DAY, HOUR, MINUTE in local time, US offence names). Nothing in the config that
``corridors init`` writes is edited unless a message of the tool says so.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from corridors import hotspots, load
from corridors.cli import cli
from corridors.config import load_config

ABROAD = Path(__file__).resolve().parent / "data" / "abroad"
OSM = "north-philly-2022-07-20.osm.bz2"
CSV = "crime-incidents-2021-2022.csv"
WEEK_START = dt.date(2022, 11, 7)  # 2022-W45, the week after the data end


@pytest.fixture(scope="module")
def area(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user's folder: the two files they have (maps and caches will go here too)."""
    folder = tmp_path_factory.mktemp("abroad")
    for name in (OSM, CSV):
        shutil.copy(ABROAD / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def first_run(area: Path) -> dict[str, object]:
    """``corridors init`` then ``validate`` then ``plan``, the config as init wrote it."""
    out = area / "abroad.toml"
    args = ["init", "--osm", str(area / OSM), "--incidents", str(area / CSV), "--out", str(out)]
    init = CliRunner().invoke(cli, args)
    validate = CliRunner().invoke(cli, ["-q", "-c", str(out), "validate"])
    plan = CliRunner().invoke(cli, ["-q", "-c", str(out), "plan"])
    return {"config": out, "init": init, "validate": validate, "plan": plan}


def test_init_reads_the_area_in_its_own_conventions(first_run):
    init = first_run["init"]
    assert init.exit_code == 0, init.output
    out = init.output
    assert "CRS EPSG:32618; time zone America/New_York; week 2022-W45" in out
    assert (
        "School phases: primary (3), secondary (2), middle deemed secondary (1), unknown (1)"
    ) in out
    assert "Times of day: 764 of 764 incidents, read as America/New_York" in out
    assert "'WEAPONS VIOLATION' weighted like 'Possession of weapons' (guessed)" in out
    text = first_run["config"].read_text()
    cfg = tomllib.loads(text)  # valid TOML 1.0 (the offence table once was not)
    assert cfg["area"]["crs"] == "EPSG:32618"  # UTM zone 18N
    assert cfg["area"]["timezone"] == "America/New_York"
    assert cfg["area"]["week"] == "2022-W45"
    assert cfg["incidents"] == [{"path": CSV, "format": "csv"}]  # columns found by their names
    assert cfg["corridors"]["phases"] == ["secondary", "middle deemed secondary"]
    assert cfg["hotspots"]["offence_weights"] == {
        "AGGRAVATED ASSAULT": 1.0,
        "DISORDERLY CONDUCT": 0.5,
        "NARCOTICS": 0.5,
        "THEFT FROM PERSON": 0.75,
        "WEAPONS VIOLATION": 1.0,
        "ROBBERY": 1.0,
    }
    assert "# not weighted (other_weight = 0: left out): VANDALISM, THEFT, RETAIL THEFT" in text
    assert text.count("# guessed") >= 5


def test_validate_and_plan_pass_with_the_config_as_written(first_run, area):
    assert first_run["validate"].exit_code == 0, first_run["validate"].output
    assert "764" in first_run["validate"].output
    plan = first_run["plan"]
    assert plan.exit_code == 0, plan.output
    assert "Central High School" in plan.output and "Roosevelt Middle School" in plan.output
    assert "month-only" not in plan.output  # every incident has its time of day
    week = area / "maps" / "north-philly" / "2022-W45"
    corridors = json.loads((week / "corridors.geojson").read_text())["features"]
    loops = json.loads((week / "loops.geojson").read_text())["features"]
    assert len(corridors) >= 1 and len(loops) >= 1
    # with times of day, a loop starts when its after-school incidents happen (local time)
    starts = pd.read_csv(week / "loops.csv", dtype=str)["start_time"]
    assert starts.between("15:00", "17:45").all(), list(starts)
    assert (area / ".cache").is_dir()  # the graph cache sits beside the config


def test_schools_are_read_by_their_us_names(first_run):
    inputs = load.load_inputs(load_config(first_run["config"]))
    phases = dict(zip(inputs.schools[load.NAME], inputs.schools[load.PHASE], strict=True))
    assert phases["Central High School"] == "secondary"
    assert phases["Benjamin Franklin High School"] == "secondary"
    assert phases["Roosevelt Middle School"] == "middle deemed secondary"
    assert phases["Lincoln Elementary School"] == "primary"
    assert phases["Jefferson Elementary School"] == "primary"
    assert phases["St. Joseph School"] == "unknown"
    assert "Northside Community College" not in phases  # amenity=college: not a school


def test_times_are_read_as_local_wall_clock(first_run):
    """An incident at 15:30 in the file is at 15:30 in Philadelphia, daylight saving or not."""
    cfg = load_config(first_run["config"])
    inputs = load.load_inputs(cfg)
    raw = pd.read_csv(ABROAD / CSV, dtype={"INCIDENT_ID": str})
    at_1530 = raw[(raw["HOUR"] == 15) & (raw["MINUTE"] == 30)]
    assert len(at_1530)
    loaded = inputs.incidents.set_index(load.INCIDENT_ID)[load.OCCURRED_AT]
    assert str(loaded.dt.tz) == "America/New_York"
    offsets = set()
    for row in at_1530.itertuples(index=False):
        when = loaded[row.INCIDENT_ID]
        assert (when.year, when.month, when.day) == (row.YEAR, row.MONTH, row.DAY)
        assert (when.hour, when.minute) == (15, 30)
        offsets.add(when.utcoffset())
    assert offsets == {dt.timedelta(hours=-4), dt.timedelta(hours=-5)}  # EDT and EST rows

    # the after-school window (weekdays 15:00-18:00 local) holds exactly the file's rows there
    week = cfg.area.plan_week(inputs.timezone)
    assert week.start == WEEK_START
    chosen = hotspots.select_incidents(
        inputs.incidents,
        week,
        cfg.stage_window("hotspots"),
        rules=hotspots.SelectionRules.of(cfg.hotspots, term=None, all_hours=False),
    ).table
    day = pd.to_datetime(raw[["YEAR", "MONTH", "DAY"]].rename(columns=str.lower))
    weights = hotspots.offence_weights(cfg.hotspots)
    expect = raw[
        (day.dt.day_of_week < 5)
        & raw["HOUR"].between(15, 17)
        & (day >= pd.Timestamp(WEEK_START) - pd.Timedelta(weeks=52))
        & raw["OFFENSE"].map(lambda o: weights.get(o, 0) > 0)
    ]
    assert sorted(chosen[load.INCIDENT_ID]) == sorted(expect["INCIDENT_ID"])


def test_a_layout_init_cannot_read_says_what_to_pass(area, tmp_path):
    """The same incidents as Philadelphia's open data publishes them: init names the option."""
    raw = pd.read_csv(ABROAD / CSV, dtype=str)
    when = pd.to_datetime(
        raw["YEAR"] + "-" + raw["MONTH"] + "-" + raw["DAY"] + " " + raw["HOUR"] + ":" + raw["MINUTE"]
    )
    philly = pd.DataFrame(
        {
            "objectid": range(1, len(raw) + 1),
            "dispatch_date_time": when.dt.strftime("%Y-%m-%d %H:%M:%S"),
            "dc_key": raw["INCIDENT_ID"],
            "location_block": raw["BLOCK"],
            "text_general_code": raw["OFFENSE"],
            "lat": raw["LATITUDE"],
            "lng": raw["LONGITUDE"],
        }
    )
    csv = tmp_path / "incidents_part1_part2.csv"
    philly.to_csv(csv, index=False)
    out = tmp_path / "philly.toml"
    base = ["init", "--osm", str(area / OSM), "--incidents", str(csv), "--out", str(out)]

    first = CliRunner().invoke(cli, base)
    assert first.exit_code == 1
    assert "no offence column" in first.output and "text_general_code" in first.output
    assert "--columns offence=<column>" in first.output
    assert not out.exists()

    second = CliRunner().invoke(cli, [*base, "--columns", "offence=text_general_code"])
    assert second.exit_code == 1
    assert "no date column" in second.output
    assert "--columns datetime=<column>" in second.output

    args = [*base, "--columns", "offence=text_general_code"]
    third = CliRunner().invoke(cli, [*args, "--columns", "datetime=dispatch_date_time"])
    assert third.exit_code == 0, third.output
    assert "Times of day: 764 of 764 incidents, read as America/New_York" in third.output
    cfg = tomllib.loads(out.read_text())
    assert cfg["incidents"][0]["columns"] == {
        "offence": "text_general_code",
        "datetime": "dispatch_date_time",
    }
    checked = CliRunner().invoke(cli, ["-q", "-c", str(out), "validate"])
    assert checked.exit_code == 0, checked.output

    bad = CliRunner().invoke(cli, [*base, "--columns", "offence"])
    assert bad.exit_code == 1
    assert "expected KEY=COLUMN" in bad.output
