"""End to end: the main job on the embedded Rutland data, as `make plan` runs it."""

import dataclasses
import datetime as dt
import json
import logging
import re
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from corridors import evidence, pipeline
from corridors.cli import cli
from corridors.config import load_config
from corridors.errors import EmptyResultError

try:  # tests/ is on sys.path (rootdir conftest, no package) ...
    from rutland import config_copy
except ImportError:  # ... or tests is a package
    from tests.rutland import config_copy

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "data" / "rutland.toml"


@pytest.fixture(scope="module")
def rutland_cfg(tmp_path_factory):
    cfg = load_config(CONFIG)
    tmp = tmp_path_factory.mktemp("plan")
    return dataclasses.replace(
        cfg,
        graph=dataclasses.replace(cfg.graph, cache_dir=tmp / "cache"),
        maps=dataclasses.replace(cfg.maps, out_dir=tmp / "maps"),
    )


@pytest.fixture(scope="module")
def planned(rutland_cfg):
    result = pipeline.run(rutland_cfg)
    paths = pipeline.write_plan(result)
    return result, paths


def test_plan_writes_the_weekly_folder(planned, rutland_cfg):
    result, paths = planned
    week_dir = rutland_cfg.maps.out_dir / "rutland" / "2022-W45"
    assert result.out_dir == week_dir
    for name in (
        "internal.html", "shared.html", "manifest.json", "rejects.csv", "hotspots.geojson",
        "corridors.geojson", "loops.geojson", "loops.gpx", "loops.csv", "roster.csv",
    ):  # fmt: skip
        assert (week_dir / name).is_file(), name
        assert (week_dir / name) in paths or name == "rejects.csv"
    assert (rutland_cfg.maps.out_dir / "index.html").is_file()
    assert (rutland_cfg.maps.out_dir / "rutland" / "plans.gpkg").is_file()
    # Rutland's internal map stays one page (a bigger plan gets an overview and parts)
    assert len(result.plan.corridors) <= rutland_cfg.maps.split_internal_above
    assert not (week_dir / "internal").exists()
    # atomic writes leave no temporary files behind
    assert not [p for p in week_dir.rglob(".*") if p.is_file()]


def test_counts_add_up_and_nothing_is_lost(planned):
    result, _ = planned
    for rep in result.inputs.reports:
        assert rep.read == rep.accepted + sum(rep.rejected.values()), rep
    incidents = next(r for r in result.inputs.reports if r.kind == "incidents")
    assert incidents.read == 5161
    assert len(result.inputs.incidents) == incidents.accepted
    rejects = pd.read_csv(result.out_dir / "rejects.csv")
    assert list(rejects.columns) == ["source", "file", "line", "column", "reason", "value"]
    assert len(rejects) == sum(sum(r.rejected.values()) for r in result.inputs.reports)


def test_manifest_records_data_and_parameters(planned, rutland_cfg):
    result, _ = planned
    manifest = json.loads((result.out_dir / "manifest.json").read_text())
    by_kind = {item["kind"]: item for item in manifest["inputs"]}
    assert by_kind["incidents"]["sha256"] and len(by_kind["incidents"]["sha256"]) == 64
    assert by_kind["incidents"]["read"] == 5161
    assert manifest["config"]["hotspots"]["method"] == rutland_cfg.hotspots.method
    assert manifest["hotspots"]["method"] == rutland_cfg.hotspots.method
    # where the method came from: the config names it (tune's choice is for "auto")
    source = "Hotspots drawn by kde (named in the config)"
    assert manifest["hotspots"]["method_source"] == source
    assert source in (result.out_dir / "internal.html").read_text(encoding="utf-8")
    assert "Hotspots drawn by" not in (result.out_dir / "shared.html").read_text(encoding="utf-8")
    assert manifest["graph"]["nodes"] > 1000
    assert manifest["version"]


def test_secondary_schools_get_corridors_loops_and_a_roster(planned, rutland_cfg):
    result, _ = planned
    plan = result.plan
    names = ";".join(plan.corridors["school_names"])
    assert "Catmose College" in names and "Uppingham Community College" in names
    assert len(plan.loops) >= 1
    budget_min = rutland_cfg.corridors.loop_budget_min
    assert (plan.loops["duration_min"] <= budget_min + 1e-6).all()
    for geom in plan.loops.geometry:
        assert geom.coords[0] == pytest.approx(geom.coords[-1], abs=1e-6)  # closed loop
    patrolled = plan.corridors[plan.corridors["patrolled"]]
    assert set(plan.loops["corridor_id"]) == set(patrolled["corridor_id"])
    assert (patrolled["incidents"] >= rutland_cfg.corridors.min_incidents).all()
    assert result.rota is not None
    assert result.rota.slots["filled"].all(), result.rota.problems
    assert set(result.rota.assignments["loop_id"]) == set(plan.loops["loop_id"])


def test_shared_page_has_no_incident_coordinates(planned):
    result, _ = planned
    html = (result.out_dir / "shared.html").read_text(encoding="utf-8")
    wgs = result.inputs.incidents.to_crs("EPSG:4326")
    compact = html.replace(" ", "")
    leaked = [
        (x, y)
        for x, y in zip(wgs.geometry.x, wgs.geometry.y, strict=True)
        for digits in (6, 5)
        if f"[{json.dumps(round(x, digits))},{json.dumps(round(y, digits))}]" in compact
        or f"[{json.dumps(round(y, digits))},{json.dumps(round(x, digits))}]" in compact
    ]
    assert not leaked
    for col in ("Crime ID", "LSOA", "On or near", "Anti-social behaviour"):
        assert col not in html


def test_second_run_reuses_the_graph_and_replaces_the_week(planned, rutland_cfg):
    result2 = pipeline.run(rutland_cfg)
    assert result2.street.cache_hit
    assert not planned[0].street.cache_hit
    pipeline.write_plan(result2)
    history = gpd.read_file(rutland_cfg.maps.out_dir / "rutland" / "plans.gpkg", layer="loops")
    assert (history["week"] == "2022-W45").sum() == len(result2.plan.loops)
    # same inputs and config give the same plan
    assert result2.plan.loops["loop_id"].tolist() == planned[0].plan.loops["loop_id"].tolist()
    assert result2.plan.loops["length_m"].tolist() == pytest.approx(
        planned[0].plan.loops["length_m"].tolist()
    )


def test_cli_validate_prints_counts_and_writes_rejects(tmp_path):
    rejects = tmp_path / "rejects.csv"
    result = CliRunner().invoke(
        cli, ["-q", "-c", str(CONFIG), "validate", "--rejects", str(rejects)]
    )
    assert result.exit_code == 0, result.output
    assert "incidents" in result.output and "5,161" in result.output
    assert rejects.is_file()


def test_cli_validate_bad_file_is_one_clean_error(tmp_path):
    bad = tmp_path / "street.csv"
    bad.write_text("Month,Longitude\n2022-01,-0.7\n")
    result = CliRunner().invoke(
        cli, ["validate", "--incidents", str(bad), "--format", "police-street"]
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "street.csv" in result.output
    assert "Traceback" not in result.output


def test_cli_replans_the_roster_after_an_absence(planned, rutland_cfg, tmp_path):
    result, _ = planned
    cfg_path = config_copy(tmp_path, rutland_cfg.maps.out_dir, rutland_cfg.graph.cache_dir)
    before = pd.read_csv(result.out_dir / "roster.csv", dtype=str)
    absent = before["person_id"].value_counts().index[0]
    run = CliRunner().invoke(
        cli, ["-q", "-c", str(cfg_path), "roster", "--absent", absent, "--on", "2022-11-09"]
    )
    assert run.exit_code == 0, run.output
    after = pd.read_csv(result.out_dir / "roster.csv", dtype=str)
    assert not ((after["person_id"] == absent) & (after["date"] >= "2022-11-09")).any()
    # days before the absence are untouched
    early = ["date", "loop_id", "person_id"]
    kept = after[after["date"] < "2022-11-09"][early].sort_values(early).to_numpy().tolist()
    was = before[before["date"] < "2022-11-09"][early].sort_values(early).to_numpy().tolist()
    assert kept == was
    assert "change(s)" in run.output
    # the maps and the manifest follow the new roster, and the absence is kept for the week
    week_dir = result.out_dir
    assert (week_dir / "absences.csv").read_text().splitlines()[1].startswith(f"{absent},")
    replanned = pipeline.run(rutland_cfg)
    new = replanned.rota.assignments
    late = pd.to_datetime(new["date"].astype(str)) >= pd.Timestamp("2022-11-09")
    assert not (late & (new["person_id"].astype(str) == absent)).any()


def test_planning_past_the_end_of_the_data_says_so(planned, rutland_cfg):
    result, _ = planned
    assert result.notes == ()  # 2022-W45 follows the data (to 2022-10)
    notes = evidence.data_age_notes(result.inputs, dt.date(2024, 3, 4))
    assert len(notes) == 1 and "the incident data end in 2022-10" in notes[0]


def test_a_newest_month_left_out_is_explained(planned):
    result, _ = planned
    inputs = result.inputs
    n_oct = int((inputs.incidents["month"] == "2022-10").sum())
    # 2022-W44 starts on Monday 31 October: October has not ended, so it is not used
    (note,) = evidence.data_age_notes(inputs, dt.date(2022, 10, 31), 52)
    assert f"the newest month of month-only incidents, 2022-10 ({n_oct:,}), was left out" in note
    assert "ended before the planned week's Monday (2022-10-31)" in note
    # a two-week look-back from 28 November begins after October ended
    (note,) = evidence.data_age_notes(inputs, dt.date(2022, 11, 28), 2)
    assert "2022-10" in note and "ended before the 2-week look-back began" in note
    # the week after the data: October is used, nothing to say
    assert evidence.data_age_notes(inputs, dt.date(2022, 11, 7), 52) == ()


def test_staff_links_to_unknown_schools_are_named(planned):
    from corridors import roster

    result, _ = planned
    assert evidence.unknown_school_links(result.staff, result.inputs) == ()
    staff = roster.staff_from_records(
        [
            {"person_id": "X1", "name": "Example X", "agency": "youth worker",
             "schools": "catmose  college;Hogwarts", "availability": "Mon-Fri 15:00-18:00"},
        ]
    )  # fmt: skip
    notes = evidence.unknown_school_links(staff, result.inputs)
    assert len(notes) == 1
    assert "X1 -> 'Hogwarts'" in notes[0] and "Catmose" not in notes[0]


def test_shared_page_shows_only_patrolled_routes(planned):
    result, _ = planned
    html = (result.out_dir / "shared.html").read_text(encoding="utf-8")
    cors = result.plan.corridors
    assert not cors["patrolled"].all(), "the embedded plan has an unpatrolled corridor"
    for row in cors.itertuples(index=False):
        for name in str(row.school_names).split(";"):
            assert (name in html) == bool(row.patrolled), name


def _drawn_routes(html: str) -> gpd.GeoDataFrame:
    """The shared page's route lines (the line features with a popup), in EPSG:27700."""
    decoder, features = json.JSONDecoder(), []
    for match in re.finditer(r"L\.geoJSON\(", html):
        if html[match.end()] != "{":  # the streets: compact, decoded in the page (no popups)
            continue
        data, _ = decoder.raw_decode(html, match.end())
        features += [
            f
            for f in data["features"]
            if "Line" in f["geometry"]["type"] and (f.get("properties") or {}).get("popup")
        ]
    return gpd.GeoDataFrame.from_features(features, crs=4326).to_crs(27700)


def test_shared_page_draws_the_walked_loops_and_names_who_walks(planned):
    from corridors import maps

    result, _ = planned
    html = (result.out_dir / "shared.html").read_text(encoding="utf-8")
    loops = result.plan.loops
    drawn = _drawn_routes(html)
    # the week's loops as walked, not the corridors they lie on (4.6 km of corridors here)
    assert len(drawn) == len(loops)
    assert drawn.length.sum() == pytest.approx(loops.length.sum(), rel=0.01)
    assert "incidents" not in html.lower()  # no count on the shared page
    notice = re.search(r'<main class="sc-notice".*?</main>', html, re.S).group(0)
    en = maps.NOTICE_TEXT["en"]
    # the roster the page was made with (a re-plan in another test may have changed it)
    rota = SimpleNamespace(assignments=pd.read_csv(result.out_dir / "roster.csv", dtype=str))
    kinds = maps.rostered_kinds(rota)
    assert kinds and set(kinds) != set(maps.PEOPLE_KINDS)
    for kind in maps.PEOPLE_KINDS:  # the kinds rostered, and only those
        assert (en[f"people_{kind}"] in notice) == (kind in kinds), kind


def test_plan_without_a_staff_file(rutland_cfg, tmp_path):
    out = tmp_path / "maps"
    cfg_path = config_copy(tmp_path, out, rutland_cfg.graph.cache_dir)
    lines = cfg_path.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith("staff =")]
    assert len(kept) == len(lines) - 1
    cfg_path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    run = CliRunner().invoke(cli, ["-q", "-c", str(cfg_path), "plan"])
    assert run.exit_code == 0, run.output
    assert f"Note: {pipeline.NO_STAFF_NOTE}" in run.output and "Roster:" not in run.output
    week_dir = out / "rutland" / "2022-W45"
    manifest = json.loads((week_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["roster"] is None
    assert pipeline.NO_STAFF_NOTE in manifest["plan_notes"]
    assert not [i for i in manifest["inputs"] if i["kind"] == "staff"]
    # loops, times and meeting points are planned; nothing of a roster is written
    for name in ("loops.geojson", "loops.csv", "loops.gpx", "internal.html", "shared.html"):
        assert name in manifest["files"], name
    for name in manifest["files"]:
        assert not name.startswith(("roster", "calendar/", "days/", "problems")), name
    assert not (week_dir / "calendar").exists() and not (week_dir / "days").exists()
    loops = gpd.read_file(week_dir / "loops.geojson")
    assert len(loops) >= 1 and loops["start_time"].notna().all()
    html = (week_dir / "shared.html").read_text(encoding="utf-8")
    assert "This week, local officers and partners will walk these routes" in html
    assert "Every school day" in html
    for name in loops["meeting_point"]:
        assert name in html, name
    assert len(_drawn_routes(html)) == len(loops)

# -- evidence of absence vs absence of evidence ------------------------------------------------

POLICE_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
    "LSOA name,Crime type,Last outcome category,Context\n"
)
EMBEDDED_INCIDENTS = '"{}"'.format(
    (ROOT / "data" / "police" / "leicestershire-street-rutland.csv.gz").as_posix()
)


def _plan_with(tmp_path, rutland_cfg, *replacements):
    """Run `corridors plan` on a copy of the embedded config with some text replaced."""
    path = config_copy(tmp_path, tmp_path / "maps", rutland_cfg.graph.cache_dir)
    text = path.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["-q", "-c", str(path), "plan"])
    assert "Traceback" not in result.output
    assert not (tmp_path / "maps" / "rutland" / "2022-W45").exists()  # nothing published
    return result


def test_plan_stops_when_every_incident_row_is_rejected(tmp_path, rutland_cfg):
    bad = tmp_path / "street.csv"
    bad.write_text(
        POLICE_HEADER
        + "a,Spring 2022,L,L,-0.722,52.669,On or near X,E1,R 1,Robbery,,\n"
        + "b,Q1 2022,L,L,-0.722,52.669,On or near X,E1,R 1,Robbery,,\n"
    )
    result = _plan_with(tmp_path, rutland_cfg, (EMBEDDED_INCIDENTS, f'"{bad.as_posix()}"'))
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {bad}: every incidents row was rejected")
    assert "unparseable month: 2 (e.g. 'Spring 2022')" in result.output
    assert "optional = true" in result.output
    assert "no patrol needed" not in result.output
    # optional: the run goes on without it, and stops for want of any usable incident
    result = _plan_with(
        tmp_path, rutland_cfg,
        (EMBEDDED_INCIDENTS, f'"{bad.as_posix()}"\noptional = true'),
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: no usable incidents for week 2022-W45: no incident")
    assert "[[incidents]]" in result.output and "no patrol needed" not in result.output


def test_plan_stops_when_no_incident_falls_in_the_lookback(tmp_path, rutland_cfg, planned):
    # with the data's own week, a corridor with too few incidents near it is quiet ...
    reasons = planned[0].plan.unpatrolled["reason"]
    quiet = reasons[reasons.str.contains("fewer than corridors.min_incidents")]
    assert len(quiet) and quiet.str.endswith("no patrol needed").all()
    # ... but a week the data do not reach has no evidence at all: no plan
    result = _plan_with(tmp_path, rutland_cfg, ('week = "2022-W45"', 'week = "2025-W10"'))
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: no usable incidents for week 2025-W10: 5,161")
    assert "none in the 52 weeks before 2025-03-03 (the data run 2019-12 to 2022-10)" in (
        result.output
    )
    assert "[area] week" in result.output and "lookback_weeks" in result.output
    assert "no patrol needed" not in result.output


def test_plan_stops_when_the_schools_are_given_the_wrong_crs(tmp_path, rutland_cfg):
    schools = tmp_path / "schools.csv"
    schools.write_text(  # longitude/latitude, but the config says British National Grid
        "urn,school,phase,x,y\n1,Catmose College,secondary,-0.7227,52.6681\n"
        "2,Uppingham School,secondary,-0.7236,52.5878\n"
    )
    osm_file = (ROOT / "data" / "osm" / "rutland-2022-07-20.osm.pbf").as_posix()
    osm_schools = f'"{osm_file}"\nformat = "osm"'
    entry = (
        f'"{schools.as_posix()}"\nformat = "csv"\ncrs = "EPSG:27700"\n'
        'columns = { id = "urn", name = "school", phase = "phase", x = "x", y = "y" }'
    )
    path = config_copy(tmp_path, tmp_path / "maps", rutland_cfg.graph.cache_dir)
    text = path.read_text(encoding="utf-8")
    # the first OSM entry is [[schools]]; [[hubs]] keeps the OSM file
    path.write_text(text.replace(osm_schools, entry, 1), encoding="utf-8")
    result = CliRunner().invoke(cli, ["-q", "-c", str(path), "plan"])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {schools}: every schools row was rejected (2 read")
    assert "crs" in result.output and "[[schools]]" in result.output
    assert "0 corridors" not in result.output


def test_plan_stops_when_no_school_is_in_scope(tmp_path, rutland_cfg):
    result = _plan_with(
        tmp_path, rutland_cfg,
        ('phases = ["secondary", "all-through", "16 plus", "middle deemed secondary"]',
         'phases = ["nursery"]'),
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: no schools in scope: 27 schools loaded, none with a")
    assert "[corridors] phases (nursery)" in result.output and "secondary (" in result.output


def test_plan_stops_when_every_staff_row_is_rejected(tmp_path, rutland_cfg):
    staff = tmp_path / "staff.csv"
    staff.write_text(
        "person_id,name,agency,availability\nP1,Example One,astronaut,Mon-Fri 15:00-18:00\n"
    )
    staff_path = f'"{(ROOT / "data").as_posix()}/staff-example.csv"'
    result = _plan_with(tmp_path, rutland_cfg, (staff_path, f'"{staff.as_posix()}"'))
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {staff}: every staff row was rejected (1 read")


def test_no_incident_in_the_after_school_window_is_named(rutland_cfg):
    from shapely.geometry import Point, box

    from corridors import load

    times = pd.to_datetime(["2022-10-03 09:30", "2022-10-08 16:00"]).tz_localize("Europe/London")
    incidents = gpd.GeoDataFrame(
        {
            load.INCIDENT_ID: ["a", "b"], load.OFFENCE: "Robbery", load.MONTH: "2022-10",
            load.OCCURRED_AT: times, load.TIME_KNOWN: True,  # a Monday morning, a Saturday
        },
        geometry=[Point(485_000, 308_000)] * 2, crs="EPSG:27700",
    )  # fmt: skip
    empty = incidents.iloc[0:0]
    inputs = load.Inputs(
        "EPSG:27700", "Europe/London", box(0, 0, 1, 1), empty, empty, incidents, (), pd.DataFrame()
    )
    with pytest.raises(
        EmptyResultError,
        match=r"2 weighted incidents in the look-back, none in the after-school window "
        r"\(Mon,Tue,Wed,Thu,Fri 15:00-18:00\); check \[window\] start, end, weekdays",
    ):
        pipeline.check_usable_incidents(rutland_cfg, inputs)
    inputs = dataclasses.replace(inputs, incidents=incidents.assign(**{load.TIME_KNOWN: False}))
    assert pipeline.check_usable_incidents(rutland_cfg, inputs) == 2  # month-only: usable


def test_cli_plan_verbose_prints_the_stage_times(planned, rutland_cfg, tmp_path, monkeypatch):
    result, paths = planned
    monkeypatch.setattr(pipeline, "run", lambda cfg, progress=None: result)
    monkeypatch.setattr(pipeline, "write_plan", lambda res: paths)
    cfg_path = config_copy(tmp_path, rutland_cfg.maps.out_dir, rutland_cfg.graph.cache_dir)
    quiet = CliRunner().invoke(cli, ["-c", str(cfg_path), "plan"])
    assert quiet.exit_code == 0, quiet.output
    assert "Stage times" not in quiet.output
    loud = CliRunner().invoke(cli, ["-v", "-c", str(cfg_path), "plan"])
    assert loud.exit_code == 0, loud.output
    line = loud.output.strip().splitlines()[-1]  # one line, at the end
    assert line.startswith("Stage times: load ") and " writing " in line and "(total " in line
    assert [part.split()[0] for part in line.split(": ", 1)[1].split(", ")] == [
        *result.timings_s, "writing"
    ]


def test_a_failed_run_logs_the_stage_times_it_reached(planned, rutland_cfg, monkeypatch, caplog):
    def fail(*args, **kwargs):
        raise EmptyResultError("no hotspot today")

    monkeypatch.setattr(pipeline, "find_hotspots", fail)
    with caplog.at_level(logging.INFO, logger="corridors.pipeline"), pytest.raises(
        EmptyResultError
    ):
        pipeline.run(rutland_cfg)
    stopped = [r for r in caplog.records if r.getMessage().startswith("Run stopped after")]
    assert len(stopped) == 1 and stopped[0].levelno == logging.INFO
    message = stopped[0].getMessage()
    assert re.search(r"stages done: load \d+\.\d s, graph \d+\.\d s$", message), message
