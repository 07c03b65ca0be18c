"""Tests for corridors.load: loaders, validation, rejects, study area and CRS."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from corridors import load
from corridors.config import AreaConfig, Config, GraphConfig, SourceConfig, load_config
from corridors.errors import ConfigError, InputDataError

DATA = Path(__file__).parent / "data" / "io"
BAD = DATA / "bad"
ROOT = Path(__file__).parents[1]
BNG = "EPSG:27700"


def _adds_up(reports):
    for r in reports:
        assert r.read == r.accepted + sum(r.rejected.values()), r


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- data.police.uk street files ------------------------------------------------------


@pytest.fixture(scope="module")
def rutland_2m():
    return load.load_incidents(SourceConfig(path=DATA / "rutland-street-2m.csv"), crs=BNG)


def test_police_street_month_only(rutland_2m):
    inc, reports, rejects = rutland_2m
    raw = pd.read_csv(DATA / "rutland-street-2m.csv", dtype=str, keep_default_na=False)
    (rep,) = reports
    assert rep.format == "police-street"
    assert rep.read == len(raw) == 394
    assert rep.accepted == len(inc) == 394 and rejects.empty
    _adds_up(reports)
    assert not inc[load.TIME_KNOWN].any()
    assert inc[load.OCCURRED_AT].isna().all()
    assert str(inc[load.OCCURRED_AT].dt.tz) == "Europe/London"
    assert set(inc[load.MONTH]) == {"2022-06", "2022-07"}
    assert inc[load.INCIDENT_ID].is_unique
    assert inc.crs.to_string() == BNG
    # offence as published, lines 1-based with the header as line 1
    row = inc[inc[load.SOURCE_LINE] == 5].iloc[0]
    assert row[load.OFFENCE] == raw.loc[3, "Crime type"]
    assert row[load.INCIDENT_ID] == (raw.loc[3, "Crime ID"] or "rutland-street-2m:5")
    # ASB rows have no Crime ID: generated ids "<source>:<line>"
    asb = inc[inc[load.OFFENCE] == "Anti-social behaviour"]
    assert len(asb) == (raw["Crime type"] == "Anti-social behaviour").sum() > 0
    assert asb[load.INCIDENT_ID].str.fullmatch(r"rutland-street-2m:\d+").all()
    # metres in British National Grid, near Oakham/Uppingham
    assert inc.geometry.x.between(480_000, 505_000).all()
    assert inc.geometry.y.between(290_000, 320_000).all()


def test_police_folder_several_months_and_gz():
    src = SourceConfig(path=DATA / "city-of-london")
    inc, reports, rejects = load.load_incidents(src, crs=BNG)
    (rep,) = reports
    assert rep.files == 3 and rep.format == "police-street"
    assert rep.read == 148 and rep.accepted == 127
    _adds_up(reports)
    assert rep.rejected == {"missing coordinates": 15, "duplicate ID": 6}
    assert set(rejects["file"]) >= {
        "2014-09/2014-09-city-of-london-street.csv",
        "2014-11/2014-11-city-of-london-street.csv.gz",
    }
    missing = rejects[rejects["reason"] == "missing coordinates"]
    assert (missing["column"] == "Longitude/Latitude").all()
    # the reject's line is the row's line in its own file
    first = missing.iloc[0]
    lines = (DATA / "city-of-london" / first["file"]).read_text(encoding="utf-8").splitlines()
    assert lines[first["line"] - 1].split(",")[4:6] == ["", ""]
    dup = rejects[rejects["reason"] == "duplicate ID"]
    assert dup["value"].isin(inc[load.INCIDENT_ID]).all()  # the first copy was kept
    assert set(inc[load.MONTH]) == {"2014-09", "2014-10", "2014-11"}
    asb = inc[inc[load.OFFENCE] == "Anti-social behaviour"]
    assert len(asb) > 0
    assert asb[load.INCIDENT_ID].str.contains("city-of-london:2014-", regex=False).all()
    assert inc[load.SOURCE_FILE].nunique() == 3


def test_police_many_files_by_glob_and_gzip(tmp_path):
    text = (DATA / "rutland-street-2m.csv").read_bytes()
    (tmp_path / "a-street.csv.gz").write_bytes(gzip.compress(text))
    header, *rows = text.decode().splitlines(keepends=True)
    (tmp_path / "b-street.csv").write_text(header + "".join(rows[:10]), encoding="utf-8")
    _inc, reports, _rejects = load.load_incidents(
        SourceConfig(path=tmp_path / "*-street.csv*", label="two"), crs=BNG
    )
    assert reports[0].files == 2 and reports[0].read == 394 + 10
    # the 10 rows of b repeat ids of a: rejected, except ASB rows (no Crime ID)
    n_asb = sum(",Anti-social behaviour," in r for r in rows[:10])
    assert reports[0].rejected == {"duplicate ID": 10 - n_asb}
    _adds_up(reports)


# -- stop and search --------------------------------------------------------------------


def test_stop_and_search():
    inc, reports, rejects = load.load_incidents(
        SourceConfig(path=DATA / "hackney-stop-search.csv"), crs=BNG
    )
    (rep,) = reports
    assert rep.format == "police-stop-search"
    _adds_up(reports)
    assert rep.read == 198
    assert rep.rejected == {"unknown/empty offence": 3}
    assert (rejects["column"] == "Object of search").all()
    for personal in ("Gender", "Age range", "Self-defined ethnicity", "Officer-defined ethnicity"):
        assert personal not in inc.columns
    assert inc[load.TIME_KNOWN].all()
    assert inc[load.OFFENCE].str.startswith("Stop and search: ").all()
    assert "Stop and search: Controlled drugs" in set(inc[load.OFFENCE])
    # 2016-06-01T02:10:00+00:00 is 03:10 BST
    first = inc[inc[load.SOURCE_LINE] == 2].iloc[0]
    assert first[load.OCCURRED_AT] == pd.Timestamp("2016-06-01 03:10", tz="Europe/London")
    assert str(first[load.OCCURRED_AT].tz) == "Europe/London"
    assert first[load.MONTH] == "2016-06"


def test_stop_and_search_month_is_local(tmp_path):
    header = (DATA / "hackney-stop-search.csv").read_text(encoding="utf-8").splitlines()[0]
    row = "Person search,2024-07-31T23:20:00+00:00,False,,51.55,-0.05,Male,25-34,x,x,law,Firearms,none,,"
    path = _csv(tmp_path / "s.csv", header + "\n" + row + "\n")
    inc, _, _ = load.load_incidents(SourceConfig(path=path, format="police-stop-search"), crs=BNG)
    assert inc[load.OCCURRED_AT].iloc[0] == pd.Timestamp("2024-08-01 00:20", tz="Europe/London")
    assert inc[load.MONTH].iloc[0] == "2024-08"


# -- generic CSV, DST --------------------------------------------------------------------


def test_generic_csv_date_time_and_dst(tmp_path):
    text = """ref,day,clock,what,lat,lon
a,2024-03-31,00:30,Robbery,52.67,-0.72
b,2024-03-31,01:30,Robbery,52.67,-0.72
c,2024-03-31,02:30,Robbery,52.67,-0.72
d,2024-10-27,00:30,Robbery,52.67,-0.72
e,2024-10-27,01:30,Robbery,52.67,-0.72
f,2024-10-27,02:30,Robbery,52.67,-0.72
g,27/10/2024,15:45,Robbery,52.67,-0.72
h,2024-13-01,15:45,Robbery,52.67,-0.72
i,2024-10-01,25:00,Robbery,52.67,-0.72
j,2024-10-01,15:00,,52.67,-0.72
k,2024-10-01,15:00,Robbery,0,0
l,2024-10-01,15:00,Robbery,n/a,-0.72
m,2024-10-01,15:00,Robbery,abc,-0.72
a,2024-10-01,16:00,Robbery,52.67,-0.72
"""
    src = SourceConfig(
        path=_csv(tmp_path / "generic.csv", text),
        columns={"id": "ref", "date": "day", "time": "clock", "offence": "what"},
    )
    inc, reports, rejects = load.load_incidents(src, crs=BNG)
    _adds_up(reports)
    got = dict(zip(inc[load.INCIDENT_ID], inc[load.OCCURRED_AT], strict=True))
    ldn = "Europe/London"
    assert got["a"] == pd.Timestamp("2024-03-31 00:30", tz=ldn)
    assert got["a"].utcoffset() == pd.Timedelta(0)
    assert got["c"] == pd.Timestamp("2024-03-31 02:30", tz=ldn)
    assert got["c"].utcoffset() == pd.Timedelta(hours=1)
    assert got["d"].utcoffset() == pd.Timedelta(hours=1)
    # 01:30 on 27 October happens twice: the first (BST) one is taken
    assert got["e"].tz_convert("UTC") == pd.Timestamp("2024-10-27 00:30", tz="UTC")
    assert got["f"].utcoffset() == pd.Timedelta(0)
    assert got["g"] == pd.Timestamp("2024-10-27 15:45", tz=ldn)
    assert inc[load.TIME_KNOWN].all()
    why = dict(zip(rejects["line"], rejects["reason"], strict=True))
    assert why == {
        3: "local time does not exist (clock change)",  # 01:30 on 31 March
        9: "unparseable date",
        10: "unparseable time",
        11: "unknown/empty offence",
        12: "coordinates withheld (0, 0)",
        13: "missing coordinates",
        14: "non-numeric coordinates",
        15: "duplicate ID",
    }
    assert rejects.set_index("line").loc[9, "value"] == "2024-13-01"
    assert rejects.set_index("line").loc[9, "column"] == "day"


def test_generic_csv_hour_minute_xy_and_source_timezone(tmp_path):
    text = "Date,Hour,Minute,Category,Easting,Northing\n2024-06-03,15,05,Assault,486000,308500\n"
    src = SourceConfig(
        path=_csv(tmp_path / "hm.csv", text),
        crs=BNG,
        timezone="UTC",
        columns={
            "date": "Date",
            "hour": "Hour",
            "minute": "Minute",
            "offence": "Category",
            "x": "Easting",
            "y": "Northing",
        },
    )
    inc, reports, _ = load.load_incidents(src, crs=BNG, timezone="Europe/London")
    assert reports[0].accepted == 1
    # 15:05 UTC is 16:05 in London in June
    assert inc[load.OCCURRED_AT].iloc[0] == pd.Timestamp("2024-06-03 16:05", tz="Europe/London")
    assert inc.geometry.iloc[0].equals(Point(486000, 308500))
    assert inc[load.INCIDENT_ID].iloc[0] == "hm:2"


def test_generic_csv_datetime_with_offsets_and_aliases(tmp_path):
    text = (
        "id,datetime,offence,latitude,longitude\n"
        "1,2024-06-03T14:05:00Z,Assault,52.67,-0.72\n"
        "2,2024-06-03 15:05,Assault,52.67,-0.72\n"
        "3,2024-06-03T16:05:00+02:00,Assault,52.67,-0.72\n"
    )
    inc, reports, _ = load.load_incidents(SourceConfig(path=_csv(tmp_path / "dt.csv", text)), crs=BNG)
    assert reports[0].accepted == 3
    local = pd.Timestamp("2024-06-03 15:05", tz="Europe/London")
    assert list(inc[load.OCCURRED_AT]) == [local, local, local]


def test_generic_month_only_and_date_only(tmp_path):
    text = (
        "offence,month,lat,lon\nTheft,2024-05,52.67,-0.72\nTheft,May 2024,52.67,-0.72\n"
        "Theft,Spring 2024,52.67,-0.72\n"
    )
    inc, reports, rejects = load.load_incidents(
        SourceConfig(path=_csv(tmp_path / "m.csv", text)), crs=BNG
    )
    assert reports[0].accepted == 2 and rejects["reason"].tolist() == ["unparseable month"]
    assert inc[load.MONTH].tolist() == ["2024-05", "2024-05"]  # "May 2024" as a spreadsheet writes it
    assert not inc[load.TIME_KNOWN].any() and inc[load.OCCURRED_AT].isna().all()
    text = "offence,date,lat,lon\nTheft,2024-05-07,52.67,-0.72\n"
    inc, _, _ = load.load_incidents(SourceConfig(path=_csv(tmp_path / "d.csv", text)), crs=BNG)
    assert inc[load.MONTH].tolist() == ["2024-05"] and not inc[load.TIME_KNOWN].any()


def test_generic_csv_needs_crs_for_xy_and_a_date(tmp_path):
    text = "offence,date,x,y\nTheft,2024-05-07,486000,308500\n"
    with pytest.raises(InputDataError, match=r"xy.csv: coordinates in 'x'/'y' need a CRS"):
        load.load_incidents(SourceConfig(path=_csv(tmp_path / "xy.csv", text)), crs=BNG)
    # with lat/lon as well, a file without a CRS uses lat/lon
    text = "offence,date,x,y,lat,lon\nTheft,2024-05-07,1,2,52.67,-0.72\n"
    inc, _, _ = load.load_incidents(SourceConfig(path=_csv(tmp_path / "both.csv", text)), crs=BNG)
    assert len(inc) == 1 and 480_000 < inc.geometry.x.iloc[0] < 500_000
    text = "offence,lat,lon\nTheft,52.6,-0.7\n"
    with pytest.raises(InputDataError, match=r"nodate.csv: no date column"):
        load.load_incidents(SourceConfig(path=_csv(tmp_path / "nodate.csv", text)), crs=BNG)
    with pytest.raises(InputDataError, match=r"nodate.csv: missing column 'When'"):
        load.load_incidents(
            SourceConfig(path=tmp_path / "nodate.csv", columns={"date": "When"}), crs=BNG
        )


def test_multiline_field_keeps_line_numbers(tmp_path):
    text = 'offence,date,lat,lon,note\nTheft,2024-05-07,52.67,-0.72,"two\nlines"\nTheft,bad,52.67,-0.72,x\n'
    _, _, rejects = load.load_incidents(SourceConfig(path=_csv(tmp_path / "ml.csv", text)), crs=BNG)
    assert rejects["line"].tolist() == [4]


# -- schools -----------------------------------------------------------------------------


def test_gias_fixture():
    raw = (DATA / "gias-fixture.csv").read_bytes()
    assert b"\x92" in raw  # a cp1252 typographic apostrophe
    assert len(raw.splitlines()[0].split(b",")) == 140
    schools, reports, rejects = load.load_schools(
        SourceConfig(path=DATA / "gias-fixture.csv"), crs=BNG
    )
    (rep,) = reports
    assert rep.format == "gias"
    _adds_up(reports)
    assert rep.read == 10 and rep.accepted == 7
    assert rep.rejected == {"closed school": 2, "missing coordinates": 1}
    closed = rejects[rejects["reason"] == "closed school"]
    assert closed["column"].unique().tolist() == ["EstablishmentStatus (name)"]
    assert closed["line"].tolist() == [4, 7]
    assert (
        rejects.loc[rejects["reason"] == "missing coordinates", "column"].item()
        == "Easting/Northing"
    )
    assert "St Mary\u2019s Hackney Test Primary School" in set(schools[load.NAME])
    assert set(schools[load.PHASE]) <= {
        "primary",
        "secondary",
        "not applicable",
        "16 plus",
        "all-through",
    }
    assert schools[load.SCHOOL_ID].str.fullmatch(r"\d+").all()
    assert schools.crs.to_string() == BNG
    assert schools.geometry.x.between(530_000, 540_000).all()


def test_edubase_with_geocode_file():
    src = SourceConfig(
        path=DATA / "edubase-schools.csv", format="edubase", geocode=DATA / "edubase-geocodes.csv"
    )
    schools, reports, rejects = load.load_schools(src, crs=BNG)
    _adds_up(reports)
    assert reports[0].read == 50 and reports[0].rejected == {"missing coordinates": 1}
    assert rejects["column"].tolist() == ["X/Y"]
    assert rejects["line"].tolist() == [23]
    assert {"primary", "secondary"} <= set(schools[load.PHASE])
    assert len(schools) == 49


def test_edubase_auto_needs_geocode(tmp_path):
    with pytest.raises(
        InputDataError,
        match=r"edubase-schools.csv: no X/Y coordinates .*give the row-aligned geocode",
    ):
        load.load_schools(SourceConfig(path=DATA / "edubase-schools.csv"), crs=BNG)
    short = _csv(tmp_path / "geo.csv", "X,Y\n1,2\n")
    with pytest.raises(InputDataError, match=r"geo.csv: 1 rows but edubase-schools.csv has 50"):
        load.load_schools(SourceConfig(path=DATA / "edubase-schools.csv", geocode=short), crs=BNG)


def test_schools_geojson_and_osm():
    schools, reports, _ = load.load_schools(
        [
            SourceConfig(path=DATA / "schools.geojson"),
            SourceConfig(path=DATA / "st-georges-circus.osm.bz2"),
        ],
        crs=BNG,
    )
    _adds_up(reports)
    assert [r.format for r in reports] == ["geojson", "osm"]
    assert reports[0].accepted == 12 and reports[1].accepted == 4
    assert (schools[load.SOURCE] == "schools.geojson").sum() == 12
    osm_rows = schools[schools[load.SOURCE] == "st-georges-circus.osm.bz2"]
    assert osm_rows[load.SCHOOL_ID].str.match(r"(way|relation)/\d+").all()
    assert osm_rows.geometry.x.between(531_000, 532_500).all()


def test_generic_school_csv_with_status(tmp_path):
    text = "URN,Name,Phase,Status,Easting,Northing\n1,A,Primary,Open,486000,308500\n2,B,Secondary,Closed,486000,308500\n"
    src = SourceConfig(path=_csv(tmp_path / "s.csv", text), crs=BNG)
    schools, _reports, rejects = load.load_schools(src, crs=BNG)
    assert schools[load.PHASE].tolist() == ["primary"] and rejects["reason"].tolist() == [
        "closed school"
    ]


# -- incidents from GeoPackage, hubs from CSV --------------------------------------------


def test_incidents_geopackage():
    inc, reports, _ = load.load_incidents(SourceConfig(path=DATA / "incidents.gpkg"), crs=BNG)
    _adds_up(reports)
    assert reports[0].format == "gpkg" and reports[0].accepted == 40
    assert not inc[load.TIME_KNOWN].any()
    assert inc[load.SOURCE_LINE].min() == 1


def test_hubs_csv(tmp_path):
    text = "id,name,kind,lat,lon\n1,Oakham,rail,52.672,-0.734\n2,Ferry,boat,52.67,-0.73\n"
    hubs, reports, rejects = load.load_hubs(
        SourceConfig(path=_csv(tmp_path / "h.csv", text)), crs=BNG
    )
    assert hubs[load.KIND].tolist() == ["rail"] and rejects["reason"].tolist() == ["unknown hub kind"]
    _adds_up(reports)


# -- study area, CRS ---------------------------------------------------------------------


def test_outside_study_area(rutland_2m):
    inc_all = rutland_2m[0]
    oakham = box(484_000, 306_000, 488_000, 311_000)
    inc, reports, _rejects = load.load_incidents(
        SourceConfig(path=DATA / "rutland-street-2m.csv"), crs=BNG, study_area=oakham
    )
    inside = inc_all.geometry.within(oakham).sum()
    assert 0 < len(inc) == inside < len(inc_all)
    assert reports[0].rejected == {"outside the study area": len(inc_all) - inside}
    _adds_up(reports)


def test_cross_source_duplicates_are_rejected():
    src = SourceConfig(path=DATA / "rutland-street-2m.csv")
    again = SourceConfig(path=DATA / "rutland-street-2m.csv", label="again")
    inc, reports, _rejects = load.load_incidents([src, again], crs=BNG)
    assert inc[load.INCIDENT_ID].is_unique
    _adds_up(reports)
    n_asb = (inc[load.OFFENCE] == "Anti-social behaviour").sum() // 2
    assert reports[1].rejected == {"duplicate ID": 394 - n_asb}


@pytest.mark.parametrize(
    ("lon", "lat", "crs"),
    [
        (-0.1, 51.5, BNG),
        (-3.2, 55.95, BNG),
        (-4.5, 54.2, BNG),
        (-5.93, 54.6, "EPSG:32630"),
        (2.35, 48.86, "EPSG:32631"),
        (-74.0, 40.7, "EPSG:32618"),
        (5.3, 60.4, "EPSG:32632"),
    ],
)
def test_choose_crs(lon, lat, crs):
    assert load.choose_crs(lon, lat) == crs


def test_choose_crs_rejects_nonsense():
    with pytest.raises(ConfigError, match="not a longitude/latitude"):
        load.choose_crs(200, 10)


def test_load_inputs_auto_crs_and_school_extent(tmp_path):
    cfg = Config(
        area=AreaConfig(crs="auto", buffer_m=500),
        schools=(SourceConfig(path=DATA / "schools.geojson"),),
        # every row lies outside the schools' extent: optional, so that is not an error
        incidents=(SourceConfig(path=DATA / "hackney-stop-search.csv", optional=True),),
    )
    inputs = load.load_inputs(cfg)
    assert inputs.crs == BNG
    minx, miny, maxx, maxy = inputs.schools.total_bounds
    assert inputs.study_area.bounds == pytest.approx(
        (minx - 500, miny - 500, maxx + 500, maxy + 500)
    )
    _adds_up(inputs.reports)
    assert inputs.hubs.empty and list(inputs.hubs.columns[:3]) == [load.HUB_ID, load.NAME, load.KIND]
    inc = next(r for r in inputs.reports if r.kind == "incidents")
    assert inc.rejected.get("outside the study area", 0) + inc.accepted + 3 == inc.read


def test_load_inputs_boundary_file(tmp_path):
    import geopandas as gpd

    boundary = tmp_path / "area.geojson"
    gpd.GeoDataFrame(geometry=[box(-0.76, 52.66, -0.70, 52.69)], crs="EPSG:4326").to_file(boundary)
    cfg = Config(
        area=AreaConfig(crs="auto", boundary=boundary),
        incidents=(SourceConfig(path=DATA / "rutland-street-2m.csv"),),
        graph=GraphConfig(osm_file=ROOT / "data" / "osm" / "rutland-2022-07-20.osm.pbf"),
    )
    inputs = load.load_inputs(cfg)
    assert inputs.crs == BNG
    assert inputs.incidents.within(inputs.study_area).all()
    assert inputs.reports[0].rejected["outside the study area"] > 0


# -- time zone and phases abroad ----------------------------------------------------------


def _area_files(tmp_path: Path, lon: float, lat: float, *, schools: bool = True):
    """Schools (phase words of other countries) and incidents at 15:30 local, near a point."""
    school_csv = _csv(
        tmp_path / "schools.csv",
        "id,name,phase,lat,lon\n"
        f"s1,Lincoln Elementary,Elementary,{lat},{lon}\n"
        f"s2,Central High,High School,{lat + 0.004},{lon + 0.004}\n"
        f"s3,Hill Middle,Middle School,{lat - 0.004},{lon}\n"
        f"s4,Oak K-8,K-8,{lat},{lon - 0.004}\n",
    )
    incident_csv = _csv(
        tmp_path / "incidents.csv",
        "id,offence,date,time,lat,lon\n"
        f"i1,Robbery,2022-10-03,15:30,{lat + 0.001},{lon + 0.001}\n"
        f"i2,Robbery,2022-01-10,15:30,{lat - 0.001},{lon - 0.001}\n",
    )
    return Config(
        area=AreaConfig(crs="auto"),
        schools=(SourceConfig(path=school_csv),) if schools else (),
        incidents=(SourceConfig(path=incident_csv),),
    )


@pytest.mark.parametrize(
    ("lon", "lat", "zone", "summer_utc_hour"),
    [
        (-73.99, 40.73, "America/New_York", 19),  # Manhattan: UTC-4 in October
        (2.35, 48.86, "Europe/Paris", 13),  # Paris: UTC+2
        (-0.72, 52.67, "Europe/London", 14),  # Oakham, Rutland: UTC+1
    ],
)
def test_timezone_auto_comes_from_the_area(tmp_path, lon, lat, zone, summer_utc_hour):
    assert AreaConfig().timezone == "auto"
    inputs = load.load_inputs(_area_files(tmp_path, lon, lat))
    assert inputs.timezone == zone
    inc = inputs.incidents.set_index(load.INCIDENT_ID)
    # the local times of the file are read in the area's zone, not London's
    assert str(inc[load.OCCURRED_AT].dt.tz) == zone
    assert inc.loc["i1", load.OCCURRED_AT].hour == 15
    assert inc.loc["i1", load.OCCURRED_AT].tz_convert("UTC").hour == summer_utc_hour
    # phase words of other countries map to the phase vocabulary
    phases = dict(zip(inputs.schools[load.NAME], inputs.schools[load.PHASE], strict=True))
    assert phases == {
        "Lincoln Elementary": "primary",
        "Central High": "secondary",
        "Hill Middle": "middle deemed secondary",
        "Oak K-8": "all-through",
    }


def test_timezone_auto_from_incidents_alone(tmp_path):
    # no schools, no boundary, no OSM file: the incidents place the area (read twice)
    inputs = load.load_inputs(_area_files(tmp_path, -73.99, 40.73, schools=False))
    assert inputs.timezone == "America/New_York"
    at = inputs.incidents.set_index(load.INCIDENT_ID).loc["i2", load.OCCURRED_AT]
    assert (at.hour, at.tz_convert("UTC").hour) == (15, 20)  # January: UTC-5


def test_explicit_timezone_wins_over_auto(tmp_path, caplog):
    auto = _area_files(tmp_path, -73.99, 40.73)
    assert load.load_inputs(auto).timezone == "America/New_York"
    cfg = Config(
        area=AreaConfig(crs="auto", timezone="America/Chicago"),
        schools=auto.schools,
        incidents=auto.incidents,
    )
    with caplog.at_level("INFO", logger="corridors.load"):
        inputs = load.load_inputs(cfg)
    assert inputs.timezone == "America/Chicago"
    assert inputs.incidents[load.OCCURRED_AT].dt.hour.tolist() == [15, 15]
    assert str(inputs.incidents[load.OCCURRED_AT].dt.tz) == "America/Chicago"
    assert inputs.crs == "EPSG:32618"
    assert not any("Time zone" in r.getMessage() for r in caplog.records)


def test_timezone_auto_is_logged(tmp_path, caplog):
    with caplog.at_level("INFO", logger="corridors.load"):
        load.load_inputs(_area_files(tmp_path, 2.35, 48.86))
    assert any("Time zone Europe/Paris" in r.getMessage() for r in caplog.records)


def test_timezone_auto_at_sea_or_across_zones_asks_for_it():
    with pytest.raises(ConfigError, match=r"at sea.*set \[area\] timezone"):
        load.choose_timezone(-30.0, 40.0)
    # a box across the Central / Mountain time border in Nebraska
    across = r"keep different times \(America/Chicago, America/Denver\).*set \[area\] timezone"
    with pytest.raises(ConfigError, match=across):
        load.choose_timezone(-101.0, 41.0, box(-102.5, 40.0, -100.0, 42.0))
    # same clocks on both sides of a border is no problem (Strasbourg / Kehl)
    assert load.choose_timezone(7.75, 48.58, box(7.6, 48.5, 7.9, 48.65)) == "Europe/Paris"


def test_timezone_auto_in_great_britain_is_london(tmp_path):
    # the embedded area's config names it; "auto" gives the same there
    assert load.choose_timezone(-0.72, 52.67) == "Europe/London"
    assert load.choose_timezone(-4.25, 55.86) == "Europe/London"  # Glasgow
    assert load.choose_timezone(-6.26, 53.35) == "Europe/Dublin"  # Dublin is not in GB


# -- the embedded default area ---------------------------------------------------------------


def test_every_embedded_dataset_loads():
    cfg = load_config(ROOT / "data" / "rutland.toml")
    inputs = load.load_inputs(cfg)
    assert inputs.crs == BNG and inputs.timezone == "Europe/London"
    _adds_up(inputs.reports)
    kinds = [r.kind for r in inputs.reports]
    assert kinds == ["schools", "hubs", "incidents"]
    assert len(inputs.reports) == len(cfg.schools) + len(cfg.hubs) + len(cfg.incidents)
    by_kind = {r.kind: r for r in inputs.reports}
    assert by_kind["schools"].accepted == 27
    assert by_kind["hubs"].accepted == 26
    assert by_kind["incidents"].read == 5161
    assert len(inputs.incidents) == by_kind["incidents"].accepted
    assert len(inputs.rejects) == sum(sum(r.rejected.values()) for r in inputs.reports)
    assert inputs.schools.within(inputs.study_area).all()
    assert inputs.incidents[load.INCIDENT_ID].is_unique
    assert by_kind["incidents"].sha256 and len(by_kind["incidents"].sha256) == 64
    for frame in (inputs.schools, inputs.hubs, inputs.incidents):
        assert frame.crs.to_string() == BNG
    table = load.summarise(inputs.reports)
    assert table.splitlines()[-1].split()[:2] == [
        "total",
        f"{sum(r.read for r in inputs.reports):,}",
    ]


# -- files that cannot be used ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt", "message"),
    [
        ("empty.csv", "auto", r"^empty.csv: the file is empty; expected a CSV file$"),
        (
            "missing-column.csv",
            "police-street",
            r"^missing-column.csv: missing column 'Longitude'; a data.police.uk street file has "
            r"Crime ID, Month, .*Longitude, Latitude",
        ),
        ("page.csv", "auto", r"^page.csv: is an HTML page, not a CSV"),
        (
            "cp1252.csv",
            "police-street",
            r"^cp1252.csv: not UTF-8 text \(byte 0x92 at offset \d+\); .*encoding = \"cp1252\"",
        ),
        ("binary.csv", "auto", r"^binary.csv: is a binary file, not a CSV"),
        ("download.csv", "auto", r"^download.csv: is a zip archive, not a CSV; unzip it"),
        ("nothing-here.csv", "auto", r"nothing-here.csv: file not found"),
    ],
)
def test_unusable_files(name, fmt, message):
    with pytest.raises(InputDataError, match=message) as err:
        load.load_incidents(SourceConfig(path=BAD / name, format=fmt), crs=BNG)
    assert "\n" not in str(err.value)


def test_cp1252_with_encoding_set_loads():
    inc, reports, _ = load.load_incidents(
        SourceConfig(path=BAD / "cp1252.csv", encoding="cp1252"), crs=BNG
    )
    assert reports[0].accepted == 5 and "St Mary\u2019s" in inc[load.LOCATION].iloc[0]


def test_missing_column_sniffed_as_police_file():
    # without the format the header still looks like a police file: same clear message
    with pytest.raises(InputDataError, match=r"missing-column.csv: missing column 'Longitude'"):
        load.load_incidents(SourceConfig(path=BAD / "missing-column.csv"), crs=BNG)


def test_wrong_kind_and_bad_geo_file(tmp_path):
    with pytest.raises(
        InputDataError, match=r"gias-fixture.csv: format 'gias' cannot give incidents"
    ):
        load.load_incidents(SourceConfig(path=DATA / "gias-fixture.csv"), crs=BNG)
    bad = _csv(tmp_path / "x.geojson", "{not json")
    with pytest.raises(InputDataError, match=r"x.geojson: cannot read as geojson"):
        load.load_schools(SourceConfig(path=bad), crs=BNG)
    with pytest.raises(InputDataError, match=r"folder holds no data.police.uk files"):
        load.load_incidents(SourceConfig(path=tmp_path), crs=BNG)


# -- outputs --------------------------------------------------------------------------------


def test_write_rejects_and_summary(tmp_path):
    _, reports, rejects = load.load_incidents(SourceConfig(path=DATA / "city-of-london"), crs=BNG)
    path = load.write_rejects(rejects, tmp_path / "out" / "rejects.csv")
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(back.columns) == list(load.REJECT_COLUMNS)
    assert len(back) == 21
    assert not list((tmp_path / "out").glob(".*"))  # no temporary file left
    text = load.summarise(reports)
    assert "missing coordinates: 15; duplicate ID: 6" in text
    assert text.splitlines()[-1].split() == ["total", "148", "127", "21"]


def test_rejects_csv_neutralises_formula_ids(tmp_path):
    import csv

    from corridors.outputs import read_csv

    evil = '=HYPERLINK("http://x","y")'
    header, first = (DATA / "rutland-street-2m.csv").read_text(encoding="utf-8").splitlines()[:2]
    row = next(csv.reader([first]))
    with open(tmp_path / "2022-06-evil-street.csv", "w", encoding="utf-8", newline="") as fh:
        fh.write(header + "\n")
        writer = csv.writer(fh, lineterminator="\n")
        for crime_id in (evil, evil, "+1"):  # the second copy of the id is rejected
            writer.writerow([crime_id, *row[1:]])
        writer.writerow(["+2", *row[1:4], "-0.66", "", *row[6:]])  # no latitude
    inc, reports, rejects = load.load_incidents(SourceConfig(path=tmp_path), crs=BNG)
    assert reports[0].format == "police-street" and len(inc) == 2
    assert rejects["value"].tolist() == [evil, "-0.66,"]
    path = load.write_rejects(rejects, tmp_path / "out" / "rejects.csv")
    with open(path, encoding="utf-8", newline="") as fh:
        cells = [row for row in csv.reader(fh)]
    assert cells[1][-1] == "'" + evil  # a spreadsheet shows it as text, it does not run it
    assert cells[2][-1] == "'-0.66,"  # raw input text, not a number
    assert not [c for r in cells for c in r if c[:1] in ("=", "+", "-", "@")]
    back = read_csv(path, dtype=str, keep_default_na=False)
    assert back["value"].tolist() == [evil, "-0.66,"]


def test_toml_sources_with_geocode_glob_and_mapping(tmp_path):
    d = DATA.resolve()
    _csv(tmp_path / "hubs.csv", "ref,title,mode,lat,lon\nh1,Oakham,rail,52.672,-0.734\n")
    cfg_path = tmp_path / "area.toml"
    cfg_path.write_text(
        f"""
[area]
name = "t"
crs = "auto"
buffer_m = 1000

[[schools]]
path = "{d}/edubase-schools.csv"
format = "edubase"
geocode = "{d}/edubase-geocodes.csv"

[[hubs]]
path = "hubs.csv"
columns = {{ id = "ref", name = "title", kind = "mode" }}
optional = true   # its one hub lies outside the (London) study area

[[incidents]]
path = "{d}/city-of-london/*/*-street.csv*"
label = "city"
""",
        encoding="utf-8",
    )
    cfg = load_config(cfg_path)
    assert cfg.schools[0].geocode == d / "edubase-geocodes.csv"
    inputs = load.load_inputs(cfg)
    _adds_up(inputs.reports)
    assert [r.name for r in inputs.reports] == ["edubase-schools", "hubs", "city"]
    assert inputs.reports[2].files == 3
    assert len(inputs.schools) == 49  # the study area is the schools' extent + 1 km
    assert len(inputs.rejects) == sum(sum(r.rejected.values()) for r in inputs.reports)


# -- dates as people have them ------------------------------------------------------------

SPREADSHEET = DATA / "spreadsheet" / "2025-02-metropolitan-street-hackney.csv"


def _rutland_with_months(tmp_path: Path, months: dict[str, str], name: str) -> Path:
    """The Rutland clip with its Month cells rewritten (``{"2022-06": "Jun-22", ...}``)."""
    header, *rows = (DATA / "rutland-street-2m.csv").read_text(encoding="utf-8").splitlines()
    for old, new in months.items():
        rows = [r.replace(f",{old},", f",{new},", 1) for r in rows]
    return _csv(tmp_path / name, "\n".join([header, *rows]) + "\n")


def test_police_file_resaved_by_a_spreadsheet(tmp_path):
    raw = SPREADSHEET.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b",Feb-25," in raw and b"\r\n" in raw
    inc, reports, rejects = load.load_incidents(SourceConfig(path=SPREADSHEET), crs=BNG)
    (rep,) = reports
    assert rep.format == "police-street" and rejects.empty
    assert rep.read == rep.accepted == len(inc) == 124
    assert set(inc[load.MONTH]) == {"2025-02"}
    note = "124 'Month' values normalised to YYYY-MM from the forms spreadsheets write"
    assert rep.notes == (f"{note} (e.g. 'Feb-25')",)
    assert f"Note: 2025-02-metropolitan-street-hackney: {note}" in load.summarise(reports)
    # date_format, when given, is honoured
    inc, reports, _ = load.load_incidents(
        SourceConfig(path=SPREADSHEET, format="police-street", date_format="%b-%y"), crs=BNG
    )
    assert reports[0].accepted == 124 and set(inc[load.MONTH]) == {"2025-02"}
    # what `corridors validate --incidents FILE --format police-street` prints
    from click.testing import CliRunner

    from corridors.cli import cli

    run = CliRunner().invoke(
        cli,
        ["validate", "--incidents", str(SPREADSHEET), "--format", "police-street",
         "--rejects", str(tmp_path / "rejects.csv")],
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    row = next(ln for ln in run.output.splitlines() if ln.startswith("incidents"))
    assert row.split()[2:5] == ["124", "124", "0"]
    assert note in run.output


@pytest.mark.parametrize(
    ("june", "july"),
    [
        ("Jun-22", "Jul-22"),
        ("June 2022", "July 2022"),
        ("06/2022", "07/2022"),
        ("6/2022", "7/2022"),
        ("2022-06-01", "2022-07-01"),
        ("2022-06-01 00:00:00", "2022-07-01 00:00:00"),
        ("jun-2022", "JUL 2022"),
    ],
)
def test_police_months_in_the_forms_spreadsheets_write(tmp_path, rutland_2m, june, july):
    path = _rutland_with_months(tmp_path, {"2022-06": june, "2022-07": july}, "m-street.csv")
    inc, reports, rejects = load.load_incidents(SourceConfig(path=path), crs=BNG)
    assert rejects.empty and reports[0].accepted == 394
    assert inc[load.MONTH].tolist() == rutland_2m[0][load.MONTH].tolist()
    assert reports[0].notes[0].startswith("394 'Month' values normalised to YYYY-MM")
    assert rutland_2m[1][0].notes == ()  # YYYY-MM as published: nothing to say


def test_date_format_is_honoured_for_every_date_column(tmp_path):
    # a form only date_format reads
    path = _rutland_with_months(tmp_path, {"2022-06": "2022 06", "2022-07": "2022 07"}, "f.csv")
    src = SourceConfig(path=path, format="police-street")
    _, reports, rejects = load.load_incidents(src, crs=BNG)
    assert reports[0].accepted == 0 and set(rejects["reason"]) == {"unparseable month"}
    src = SourceConfig(path=path, format="police-street", date_format="%Y %m")
    inc, reports, _ = load.load_incidents(src, crs=BNG)
    assert reports[0].accepted == 394 and set(inc[load.MONTH]) == {"2022-06", "2022-07"}
    # a month column of any CSV
    text = "offence,month,lat,lon\nTheft,2024 05,52.67,-0.72\n"
    src = SourceConfig(path=_csv(tmp_path / "m.csv", text), date_format="%Y %m")
    assert load.load_incidents(src, crs=BNG)[0][load.MONTH].tolist() == ["2024-05"]
    # a date column
    text = "offence,date,time,lat,lon\nTheft,07.05.24,15:10,52.67,-0.72\n"
    src = SourceConfig(path=_csv(tmp_path / "d.csv", text), date_format="%d.%m.%y")
    inc = load.load_incidents(src, crs=BNG)[0]
    assert inc[load.OCCURRED_AT].tolist() == [pd.Timestamp("2024-05-07 15:10", tz="Europe/London")]
    # stop and search re-saved with day-first dates: still UTC, as published
    header = (DATA / "hackney-stop-search.csv").read_text(encoding="utf-8").splitlines()[0]
    row = "Person search,01/06/2016 02:10,False,,51.55,-0.05,Male,25-34,x,x,law,Firearms,none,,"
    src = SourceConfig(
        path=_csv(tmp_path / "s.csv", header + "\n" + row + "\n"),
        format="police-stop-search",
        date_format="%d/%m/%Y %H:%M",
    )
    inc = load.load_incidents(src, crs=BNG)[0]
    assert inc[load.OCCURRED_AT].tolist() == [pd.Timestamp("2016-06-01 03:10", tz="Europe/London")]


def test_separate_year_month_day_hour_minute_columns(tmp_path):
    text = (
        "REF,YEAR,MONTH,DAY,HOUR,MINUTE,TYPE,LAT,LON\n"
        "1,2024,5,7,15,30,Robbery,52.67,-0.72\n"
        "2,2024,Jun,8,16,05,Robbery,52.67,-0.72\n"
        "3,2024,October,27,1,30,Robbery,52.67,-0.72\n"
        "4,2024,13,8,16,05,Robbery,52.67,-0.72\n"
        "5,2024,2,30,16,05,Robbery,52.67,-0.72\n"
        "6,2024,2,3,24,05,Robbery,52.67,-0.72\n"
        "7,24,2,3,16,05,Robbery,52.67,-0.72\n"
    )
    path = _csv(tmp_path / "ymd.csv", text)
    parts = {"year": "YEAR", "month": "MONTH", "day": "DAY", "hour": "HOUR", "minute": "MINUTE"}
    src = SourceConfig(path=path, columns={"id": "REF", "offence": "TYPE", **parts})
    inc, reports, rejects = load.load_incidents(src, crs=BNG)
    _adds_up(reports)
    ldn = "Europe/London"
    got = dict(zip(inc[load.INCIDENT_ID], inc[load.OCCURRED_AT], strict=True))
    assert got["1"] == pd.Timestamp("2024-05-07 15:30", tz=ldn)
    assert got["2"] == pd.Timestamp("2024-06-08 16:05", tz=ldn)
    # 01:30 on 27 October happens twice: the first (BST) one, as for date + time columns
    assert got["3"].tz_convert("UTC") == pd.Timestamp("2024-10-27 00:30", tz="UTC")
    assert inc[load.TIME_KNOWN].all() and inc[load.MONTH].tolist() == ["2024-05", "2024-06", "2024-10"]
    why = {r.line: (r.column, r.reason, r.value) for r in rejects.itertuples()}
    assert why == {
        5: ("MONTH", "unparseable month", "13"),
        6: ("DAY", "unparseable date", "30"),
        7: ("HOUR/MINUTE", "unparseable time", "24:05"),
        8: ("YEAR/MONTH/DAY", "date before 1990", "24-2-3"),
    }
    # no hour: the day is known, the time of day is not (as for a date column alone)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.drop(columns=["HOUR", "MINUTE"]).to_csv(tmp_path / "ymd-day.csv", index=False)
    src = SourceConfig(path=tmp_path / "ymd-day.csv", columns={"id": "REF", "offence": "TYPE"})
    inc, _, _ = load.load_incidents(src, crs=BNG)  # Year, Month, Day found by their names
    assert not inc[load.TIME_KNOWN].any() and inc[load.OCCURRED_AT].isna().all()
    assert inc[load.INCIDENT_ID].tolist() == ["1", "2", "3", "6"]
    assert inc[load.MONTH].tolist() == ["2024-05", "2024-06", "2024-10", "2024-02"]
    # no day: month only
    frame.drop(columns=["DAY", "HOUR", "MINUTE"]).to_csv(tmp_path / "ym.csv", index=False)
    src = SourceConfig(path=tmp_path / "ym.csv", columns={"id": "REF", "offence": "TYPE"})
    inc, _, rejects = load.load_incidents(src, crs=BNG)
    assert inc[load.MONTH].tolist() == ["2024-05", "2024-06", "2024-10", "2024-02", "2024-02"]
    assert not inc[load.TIME_KNOWN].any() and rejects["line"].tolist() == [5, 8]
    src = SourceConfig(path=tmp_path / "ym.csv", columns={"offence": "TYPE", "hour": "REF"})
    with pytest.raises(InputDataError, match=r"ym.csv: columns.hour needs the day of the month"):
        load.load_incidents(src, crs=BNG)
    # an hour without minutes is on the hour
    text = "Year,Month,Day,Hour,Offence,Lat,Lon\n2024,5,7,15,Robbery,52.67,-0.72\n"
    inc, _, _ = load.load_incidents(SourceConfig(path=_csv(tmp_path / "h.csv", text)), crs=BNG)
    assert inc[load.OCCURRED_AT].tolist() == [pd.Timestamp("2024-05-07 15:00", tz=ldn)]


def test_year_month_day_keys_in_a_config_file(tmp_path):
    _csv(tmp_path / "ymd.csv", "Y,M,D,What,Lat,Lon\n2024,May,7,Robbery,52.67,-0.72\n")
    (tmp_path / "area.toml").write_text(
        '[area]\nname = "t"\nweek = "2024-W30"\n\n[[incidents]]\npath = "ymd.csv"\n'
        'columns = { year = "Y", month = "M", day = "D", offence = "What" }\n',
        encoding="utf-8",
    )
    inputs = load.load_inputs(load_config(tmp_path / "area.toml"))
    assert inputs.incidents[load.MONTH].tolist() == ["2024-05"]


def test_a_year_is_never_read_as_a_date(tmp_path):
    text = "YEAR,TYPE,LAT,LON\n2024,Robbery,52.67,-0.72\n2023,Robbery,52.67,-0.72\n"
    columns = {"date": "YEAR", "offence": "TYPE"}
    src = SourceConfig(path=_csv(tmp_path / "y.csv", text), columns=columns)
    with pytest.raises(
        InputDataError,
        match=r"^y.csv: column 'YEAR' \(columns.date\) holds years only \(e.g. '2024'\), not "
        r'dates; map the parts instead: columns = \{ year = "YEAR", month = ',
    ):
        load.load_incidents(src, crs=BNG)
    # one year (or year and month) among dates is a bad date, not 1 January
    text = "date,offence,lat,lon\n2024-05-07,Theft,52.67,-0.72\n2024,Theft,52.67,-0.72\n"
    text += "2024-05,Theft,52.67,-0.72\n"
    inc, _, rejects = load.load_incidents(SourceConfig(path=_csv(tmp_path / "d.csv", text)), crs=BNG)
    assert len(inc) == 1 and rejects["value"].tolist() == ["2024", "2024-05"]
    assert set(rejects["reason"]) == {"unparseable date"}


def test_dates_that_look_wrongly_mapped_warn(tmp_path):
    rows = "".join(f"{i},2024-01-01,Robbery,52.67,-0.72\n" for i in range(6))
    path = _csv(tmp_path / "same.csv", "id,reported,offence,lat,lon\n" + rows)
    src = SourceConfig(path=path, columns={"date": "reported"})
    msg = r"same: all 6 dates from 'reported' are the same day \(2024-01-01\)"
    with pytest.warns(load.DateMappingWarning, match=msg) as caught:
        _, reports, _ = load.load_incidents(src, crs=BNG)
    assert [w.filename for w in caught] == [__file__]  # the caller's line
    assert any("are the same day" in note for note in reports[0].notes)
    with pytest.warns(load.DateMappingWarning, match=msg) as caught:
        inputs = load.load_inputs(Config(area=AreaConfig(crs=BNG), incidents=(src,)))
    assert [w.filename for w in caught] == [__file__]
    assert "Note: same: all 6 dates" in load.summarise(inputs.reports)
    # every time at midnight: a date column read as date and time
    rows = "".join(f"{i},2024-01-{i + 1:02d} 00:00,Robbery,52.67,-0.72\n" for i in range(6))
    path = _csv(tmp_path / "midnight.csv", "id,datetime,offence,lat,lon\n" + rows)
    with pytest.warns(load.DateMappingWarning, match=r"every one of the 6 times .* is midnight"):
        load.load_incidents(SourceConfig(path=path), crs=BNG)
    # a few rows are no evidence
    rows = "".join(f"{i},2024-01-01 00:00,Robbery,52.67,-0.72\n" for i in range(4))
    path = _csv(tmp_path / "few.csv", "id,datetime,offence,lat,lon\n" + rows)
    assert load.load_incidents(SourceConfig(path=path), crs=BNG)[1][0].notes == ()


def test_dates_before_1990_or_after_the_planned_week_are_rejected(tmp_path):
    header, *rows = (DATA / "rutland-street-2m.csv").read_text(encoding="utf-8").splitlines()
    months = ["0001-01", "1989-12", "1990-01", "2022-11", "2022-12", "2099-12", "9999-12"]
    rows = [
        r.replace(",2022-06,", f",{m},", 1).replace(",2022-07,", f",{m},", 1)
        for r, m in zip(rows[: len(months)], months, strict=True)
    ]
    path = _csv(tmp_path / "range-street.csv", "\n".join([header, *rows]) + "\n")
    # the planned week 2022-W47 (21-27 November): November overlaps it, December is after it
    inc, reports, rejects = load.load_incidents(
        SourceConfig(path=path), crs=BNG, week_start=dt.date(2022, 11, 21)
    )
    _adds_up(reports)
    assert inc[load.MONTH].tolist() == ["1990-01", "2022-11"]
    late = "date after the planned week"
    assert dict(zip(rejects["value"], rejects["reason"], strict=True)) == {
        "0001-01": "date before 1990", "1989-12": "date before 1990", "2022-12": late,
        "2099-12": late, "9999-12": late,
    }  # fmt: skip
    assert rejects["line"].tolist() == [2, 3, 6, 7, 8]
    assert set(rejects["column"]) == {"Month"} and set(rejects["file"]) == {"range-street.csv"}
    # no week known (validate of files): after today
    _, reports, _ = load.load_incidents(SourceConfig(path=path), crs=BNG)
    assert reports[0].rejected == {"date before 1990": 2, "date in the future": 2}
    # a config: its planned week; "current" (validate): today
    cfg = Config(area=AreaConfig(crs=BNG, week="2022-W47"), incidents=(SourceConfig(path=path),))
    assert load.load_inputs(cfg).reports[0].rejected == {"date before 1990": 2, late: 3}
    cfg = Config(area=AreaConfig(crs=BNG), incidents=(SourceConfig(path=path),))
    assert load.load_inputs(cfg).reports[0].rejected["date in the future"] == 2
    # dates and times of any CSV
    text = (
        "id,date,time,offence,lat,lon\n1,0001-01-01,15:00,Theft,52.67,-0.72\n"
        "2,31/12/1989,15:00,Theft,52.67,-0.72\n3,2022-11-27,23:59,Theft,52.67,-0.72\n"
        "4,2022-11-28,00:30,Theft,52.67,-0.72\n5,9999-12-31,15:00,Theft,52.67,-0.72\n"
    )
    inc, _, rejects = load.load_incidents(
        SourceConfig(path=_csv(tmp_path / "d.csv", text)), crs=BNG, week_start=dt.date(2022, 11, 21)
    )
    assert inc[load.INCIDENT_ID].tolist() == ["3"]
    assert rejects["reason"].tolist() == ["date before 1990"] * 2 + [late] * 2
    shown = ["0001-01-01", "31/12/1989", "2022-11-28 00:30", "9999-12-31"]
    assert rejects["value"].tolist() == shown
    assert rejects["column"].tolist() == ["date", "date", "date+time", "date"]


# -- coordinates as people have them ------------------------------------------------------


def _swap_columns(src: Path, dst: Path, a: str, b: str, *, rows=None, encoding="utf-8") -> Path:
    """``src`` with the values of columns ``a`` and ``b`` exchanged (in ``rows``, or all)."""
    frame = pd.read_csv(src, dtype=str, keep_default_na=False, encoding=encoding)
    at = frame.index if rows is None else rows
    frame.loc[at, [a, b]] = frame.loc[at, [b, a]].to_numpy()
    frame.to_csv(dst, index=False, encoding=encoding)
    return dst


def test_swapped_longitude_and_latitude_are_refused(tmp_path, rutland_2m):
    path = _swap_columns(
        DATA / "rutland-street-2m.csv", tmp_path / "swapped-street.csv", "Longitude", "Latitude"
    )
    fix = r'set columns = \{ lon = "Latitude", lat = "Longitude" \} in the source'
    # no study area: outside Great Britain, inside it the other way round
    cfg = Config(area=AreaConfig(crs="auto"), incidents=(SourceConfig(path=path),))
    with pytest.raises(
        InputDataError,
        match=r"^swapped-street.csv: 394 of 394 located rows lie outside Great Britain but "
        r"inside it with longitude and latitude exchanged: the columns 'Longitude' \(read as "
        r"longitude\) and 'Latitude' \(read as latitude\) look swapped; " + fix,
    ):
        load.load_inputs(cfg)
    # the OSM file's bounds
    osm_file = ROOT / "data" / "osm" / "rutland-2022-07-20.osm.pbf"
    cfg = dataclasses.replace(cfg, graph=GraphConfig(osm_file=osm_file))
    with pytest.raises(InputDataError, match=r"outside the bounds of rutland-2022-07-20\.osm\.pbf"):
        load.load_inputs(cfg)
    # the fix the message names
    fixed = SourceConfig(path=path, columns={"lon": "Latitude", "lat": "Longitude"})
    inputs = load.load_inputs(dataclasses.replace(cfg, incidents=(fixed,)))
    assert inputs.reports[0].accepted == 394 and inputs.crs == BNG
    assert inputs.incidents.geometry.equals(rutland_2m[0].geometry)
    # latitudes out of range that are longitudes (San Francisco): no reference needed
    text = "offence,month,lat,lon\n" + "Theft,2024-05,-122.42,37.77\n" * 3
    with pytest.raises(InputDataError, match=r"sf.csv: 3 of 3 located rows lie outside the valid"):
        load.load_incidents(SourceConfig(path=_csv(tmp_path / "sf.csv", text)), crs="EPSG:32610")


def test_a_few_swapped_rows_are_rejected_one_by_one(tmp_path):
    path = _swap_columns(
        DATA / "rutland-street-2m.csv", tmp_path / "few-street.csv", "Longitude", "Latitude",
        rows=[0, 1, 2],
    )  # fmt: skip
    inc, reports, rejects = load.load_incidents(SourceConfig(path=path), crs=BNG)
    _adds_up(reports)
    assert reports[0].rejected == {"lat/lon look swapped": 3} and len(inc) == 391
    assert rejects["line"].tolist() == [2, 3, 4]
    assert set(rejects["column"]) == {"Longitude/Latitude"}
    # a latitude out of range that is a valid longitude
    text = "offence,month,lat,lon\nTheft,2024-05,52.67,-0.72\nTheft,2024-05,-122.42,37.77\n"
    _, reports, _ = load.load_incidents(SourceConfig(path=_csv(tmp_path / "r.csv", text)), crs=BNG)
    assert reports[0].rejected == {"lat/lon look swapped": 1}


def test_swapped_easting_and_northing_are_refused(tmp_path):
    path = _swap_columns(
        DATA / "gias-fixture.csv", tmp_path / "gias-swapped.csv", "Easting", "Northing",
        encoding="cp1252",
    )  # fmt: skip
    boundary = DATA / "hackney-boundary.geojson"
    cfg = Config(
        area=AreaConfig(crs="auto", boundary=boundary),
        schools=(SourceConfig(path=path, format="gias"),),
    )
    with pytest.raises(
        InputDataError,
        match=r"^gias-swapped.csv: 7 of 7 located rows lie outside the boundary "
        r"hackney-boundary.geojson but inside it with x and y exchanged: the columns 'Easting' "
        r"\(read as x, easting\) and 'Northing' \(read as y, northing\) look swapped; set "
        r'columns = \{ x = "Northing", y = "Easting" \} in the source; if the numbers are not '
        r"in EPSG:27700, set the source's crs instead \(--crs on the command line\)$",
    ):
        load.load_inputs(cfg)
    fixed = SourceConfig(path=path, format="gias", columns={"x": "Northing", "y": "Easting"})
    inputs = load.load_inputs(dataclasses.replace(cfg, schools=(fixed,)))
    assert inputs.reports[0].accepted == 7
    assert inputs.reports[0].rejected == {"closed school": 2, "missing coordinates": 1}
    assert inputs.schools.within(inputs.study_area).all()


@pytest.mark.parametrize(
    ("x", "y", "reason"),
    [
        ("1e12", "308000", "coordinates out of range for the CRS"),
        ("440000", "1150000", "outside the study area"),  # Shetland, 850 km away
    ],
)
def test_a_stray_school_never_breaks_the_study_area(tmp_path, x, y, reason):
    text = (
        "URN,Name,Phase,Easting,Northing\n1,A,Secondary,486000,308500\n"
        f"2,B,Secondary,487000,309500\n3,C,Secondary,485000,307500\n4,D,Secondary,{x},{y}\n"
    )
    src = SourceConfig(path=_csv(tmp_path / "s.csv", text), crs=BNG)
    inputs = load.load_inputs(Config(area=AreaConfig(crs="auto", buffer_m=500), schools=(src,)))
    assert inputs.crs == BNG
    assert sorted(inputs.schools[load.SCHOOL_ID]) == ["1", "2", "3"]
    assert inputs.rejects[["line", "reason"]].values.tolist() == [[5, reason]]
    assert inputs.study_area.bounds == pytest.approx((484_500, 307_000, 487_500, 310_000))


def test_infinite_or_absurd_coordinates_are_row_rejects(tmp_path):
    text = (
        "URN,Name,Phase,Easting,Northing\n1,A,Secondary,486000,308500\n2,B,Secondary,1e20,1e20\n"
        "3,C,Secondary,inf,308000\n4,D,Secondary,486000,nan\n5,E,Secondary,-inf,-inf\n"
        "6,F,Secondary,1e308,1e308\n"
    )
    src = SourceConfig(path=_csv(tmp_path / "s.csv", text), crs=BNG)
    inputs = load.load_inputs(Config(area=AreaConfig(crs="auto"), schools=(src,)))
    assert inputs.crs == BNG and inputs.schools[load.SCHOOL_ID].tolist() == ["1"]
    why = dict(zip(inputs.rejects["line"], inputs.rejects["reason"], strict=True))
    assert why == {
        3: "coordinates out of range for the CRS",
        4: "non-numeric coordinates",
        5: "missing coordinates",
        6: "non-numeric coordinates",
        7: "coordinates out of range for the CRS",
    }
    text = "offence,month,lat,lon\nTheft,2024-05,52.67,-0.72\nTheft,2024-05,1e20,-0.72\n"
    src = SourceConfig(path=_csv(tmp_path / "i.csv", text))
    inc, reports, _ = load.load_incidents(src, crs="auto")
    assert len(inc) == 1 and reports[0].rejected == {"coordinates out of range for the CRS": 1}


# -- property: nothing is lost ----------------------------------------------------------------

_DATES = ["2024-03-31", "31/03/2024", "2024-02-30", "", "yesterday", "2024-10-27"]
_TIMES = ["00:30", "01:30", "15:45", "25:00", "", "9.05"]
_OFFENCES = ["Robbery", "", "Anti-social behaviour", 'Caf\u00e9 theft, "quoted"']
_COORDS = [
    ("52.67", "-0.72"),
    ("0", "0"),
    ("", "-0.72"),
    ("abc", "1"),
    ("-95", "181"),  # out of range either way round (one way round only: "look swapped")
    ("52.6", "-0.7"),
]


@pytest.mark.filterwarnings("ignore::corridors.load.DateMappingWarning")  # all one day: suspect
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["", "x1", "x2", "x3"]),
            st.sampled_from(_DATES),
            st.sampled_from(_TIMES),
            st.sampled_from(_OFFENCES),
            st.sampled_from(_COORDS),
        ),
        max_size=25,
    )
)
def test_property_read_is_accepted_plus_rejected(tmp_path, rows):
    import csv

    path = tmp_path / "prop.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "date", "time", "offence", "lat", "lon"])
        for rid, day, clock, offence, (lat, lon) in rows:
            writer.writerow([rid, day, clock, offence, lat, lon])
    inc, reports, rejects = load.load_incidents(
        SourceConfig(path=path), crs=BNG, study_area=box(480_000, 290_000, 510_000, 320_000)
    )
    (rep,) = reports
    assert rep.read == len(rows) == rep.accepted + len(rejects)
    assert rep.accepted == len(inc)
    assert sum(rep.rejected.values()) == len(rejects)
    lines = sorted([*inc[load.SOURCE_LINE], *rejects["line"]])
    assert lines == list(range(2, len(rows) + 2))  # every line once, accepted or rejected
    assert inc[load.INCIDENT_ID].is_unique
    assert inc[load.OCCURRED_AT].notna().all()


def test_a_header_only_file_says_read_0_not_a_crs_problem(tmp_path):
    path = tmp_path / "2022-01-x-street.csv"
    path.write_text("Crime ID,Month,Longitude,Latitude,Crime type\n")
    cfg = Config(incidents=(SourceConfig(path=path, format="police-street"),))
    with pytest.raises(InputDataError, match="read 0 rows: the file holds no incidents"):
        load.load_inputs(cfg)


def test_utf16_declared_for_a_utf8_file_is_a_clean_error(tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_text("id,date,x,y\n1,2022-01-01,486000,308700\n")
    source = SourceConfig(
        path=path,
        format="csv",
        encoding="utf-16",
        crs="EPSG:27700",
        columns={"id": "id", "date": "date", "x": "x", "y": "y"},
    )
    with pytest.raises(InputDataError, match="cannot be read as utf-16"):
        load.load_inputs(Config(incidents=(source,)))
