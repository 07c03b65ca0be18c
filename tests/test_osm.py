"""Tests for corridors.load.osm: schools and hubs from OSM files, offline."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import osmium
import pytest
from shapely.geometry import Point

from corridors.errors import InputDataError
from corridors.load.osm import (
    guess_phase,
    normalise_phase,
    osm_bounds,
    read_osm_hubs,
    read_osm_schools,
)

DATA = Path(__file__).parent / "data" / "io"
RUTLAND = Path(__file__).parents[1] / "data" / "osm" / "rutland-2022-07-20.osm.pbf"


@pytest.fixture(scope="module")
def rutland_schools():
    return read_osm_schools(RUTLAND)


@pytest.fixture(scope="module")
def rutland_hubs():
    return read_osm_hubs(RUTLAND)


def _write_osm(path: Path) -> Path:
    """A hand-made file: a school node, a school way, a station as node + area, bus stops."""
    xml = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="52.0000" lon="-1.0000"><tag k="amenity" v="school"/><tag k="name" v="Hill Infant School"/></node>
  <node id="2" lat="52.0010" lon="-1.0010"/>
  <node id="3" lat="52.0010" lon="-1.0000"/>
  <node id="4" lat="52.0000" lon="-1.0010"/>
  <node id="5" lat="52.0100" lon="-1.0100"><tag k="railway" v="station"/><tag k="name" v="Hilltown"/></node>
  <node id="6" lat="52.0101" lon="-1.0101"/>
  <node id="7" lat="52.0101" lon="-1.0099"/>
  <node id="8" lat="52.0099" lon="-1.0099"/>
  <node id="9" lat="52.0050" lon="-1.0050"><tag k="highway" v="bus_stop"/><tag k="name" v="High St"/></node>
  <node id="10" lat="52.0051" lon="-1.0050"><tag k="public_transport" v="platform"/><tag k="bus" v="yes"/><tag k="name" v="High St"/></node>
  <node id="11" lat="52.0060" lon="-1.0060"><tag k="public_transport" v="platform"/><tag k="name" v="Not a bus"/></node>
  <node id="12" lat="52.0070" lon="-1.0070"><tag k="railway" v="tram_stop"/><tag k="name" v="Tram Sq"/></node>
  <node id="13" lat="52.0080" lon="-1.0080"><tag k="railway" v="station"/><tag k="station" v="subway"/><tag k="name" v="Deep"/></node>
  <way id="100">
    <nd ref="2"/><nd ref="3"/><nd ref="1"/><nd ref="4"/><nd ref="2"/>
    <tag k="amenity" v="school"/><tag k="name" v="Hill Academy"/><tag k="isced:level" v="2;3"/>
  </way>
  <way id="101">
    <nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="8"/><nd ref="5"/>
    <tag k="railway" v="station"/><tag k="name" v="Hilltown"/>
  </way>
  <way id="102">
    <nd ref="2"/><nd ref="999"/><nd ref="998"/><nd ref="3"/>
    <tag k="amenity" v="school"/><tag k="name" v="Clipped Primary"/>
  </way>
  <way id="103">
    <nd ref="997"/><nd ref="996"/>
    <tag k="amenity" v="school"/><tag k="name" v="Gone School"/>
  </way>
</osm>
"""
    path.write_text(xml, encoding="utf-8")
    return path


def test_rutland_schools_count_and_phases(rutland_schools):
    schools = rutland_schools
    assert len(schools) == 27
    assert schools.crs.to_epsg() == 4326
    assert schools["osm_id"].is_unique
    phase = dict(zip(schools["name"], schools["phase"], strict=True))
    assert phase["Catmose College"] == "secondary"
    assert phase["Uppingham Community College"] == "secondary"
    assert phase["Uppingham School"] == "secondary"  # isced:level 2;3
    assert phase["Oakham School"] == "all-through"  # school:type=independent, a relation
    assert phase["Oakham Church of England Primary School"] == "primary"
    assert phase["Leighfield Primary School"] == "primary"
    kinds = schools["osm_id"].str.split("/").str[0].value_counts().to_dict()
    assert kinds == {"way": 24, "node": 2, "relation": 1}
    assert set(schools.geom_type) == {"Point"}
    # inside the Rutland bbox
    west, south, east, north = osm_bounds(RUTLAND)
    assert schools.geometry.x.between(west, east).all()
    assert schools.geometry.y.between(south, north).all()


def test_rutland_hubs(rutland_hubs):
    hubs = rutland_hubs
    assert hubs["kind"].value_counts().to_dict() == {"bus": 25, "rail": 1}
    station = hubs[hubs["kind"] == "rail"].iloc[0]
    assert station["name"] == "Oakham"
    assert station["osm_id"] == "node/6644096983"
    assert station.geometry.distance(Point(-0.7343, 52.6723)) < 0.001


def test_rutland_bounds_from_header():
    assert osm_bounds(RUTLAND) == pytest.approx((-0.822934, 52.52355, -0.427654, 52.76109))


def test_handmade_file(tmp_path):
    path = _write_osm(tmp_path / "town.osm")
    schools = read_osm_schools(path)
    got = dict(zip(schools["name"], schools["phase"], strict=True))
    # the way with no known node at all is skipped; the clipped one keeps its known nodes
    assert got == {
        "Hill Infant School": "primary",
        "Hill Academy": "secondary",
        "Clipped Primary": "primary",
    }
    academy = schools[schools["name"] == "Hill Academy"].geometry.iloc[0]
    assert -1.0010 < academy.x < -1.0000 and 52.0000 < academy.y < 52.0010
    hubs = read_osm_hubs(path)
    got_hubs = sorted(zip(hubs["name"], hubs["kind"], hubs["osm_id"], strict=True))
    # station as node + area -> one (the node); two bus nodes stay two; a platform without
    # bus=yes is not a hub
    assert got_hubs == [
        ("Deep", "tube", "node/13"),
        ("High St", "bus", "node/10"),
        ("High St", "bus", "node/9"),
        ("Hilltown", "rail", "node/5"),
        ("Tram Sq", "tram", "node/12"),
    ]


@pytest.mark.parametrize("suffix", [".osm.gz", ".osm.bz2", ".osm.pbf"])
def test_compressed_and_pbf(tmp_path, suffix):
    xml = _write_osm(tmp_path / "town.osm")
    target = tmp_path / f"copy{suffix}"
    if suffix == ".osm.gz":
        target.write_bytes(gzip.compress(xml.read_bytes()))
    elif suffix == ".osm.bz2":
        target.write_bytes(bz2.compress(xml.read_bytes()))
    else:
        with osmium.SimpleWriter(str(target)) as writer:
            for obj in osmium.FileProcessor(str(xml)):
                if obj.is_node():
                    writer.add_node(obj)
                elif obj.is_way():
                    writer.add_way(obj)
    assert len(read_osm_schools(target)) == 3
    assert len(read_osm_hubs(target)) == 5


def test_london_clip_schools_and_hubs():
    schools = read_osm_schools(DATA / "st-georges-circus.osm.bz2")
    assert sorted(schools["name"]) == [
        "Charlotte Sharman Primary School",
        "Notre Dame School",
        "St George's Cathedral Catholic Primary School",
        "St Jude's Church of England Primary School",
    ]
    assert "relation/14884664" in set(schools["osm_id"])
    hubs = read_osm_hubs(DATA / "st-georges-circus.osm.bz2")
    assert hubs["kind"].value_counts().to_dict() == {"bus": 7, "tube": 1}
    assert hubs.loc[hubs["kind"] == "tube", "name"].item() == "Elephant & Castle"


def test_leeds_unsorted_export():
    # OSM API exports are not sorted by id: the reader falls back to two passes
    schools = read_osm_schools(DATA / "leeds-chapeltown.osm.bz2")
    assert "Little London Community Primary School" in set(schools["name"])
    assert len(schools) == 3
    hubs = read_osm_hubs(DATA / "leeds-chapeltown.osm.bz2")
    assert len(hubs) == 37 and set(hubs["kind"]) == {"bus"}
    west, south, east, north = osm_bounds(DATA / "leeds-chapeltown.osm.bz2")
    assert west < -1.53 < east and south < 53.81 < north


@pytest.mark.parametrize(
    ("tags", "phase"),
    [
        ({"isced:level": "1"}, "primary"),
        ({"isced:level": "0;1"}, "primary"),
        ({"isced:level": "1;2;3"}, "all-through"),
        ({"isced:level": "1-3"}, "all-through"),
        ({"isced:level": "0"}, "nursery"),
        ({"school": "secondary", "name": "Hill"}, "secondary"),
        ({"school:type": "primary"}, "primary"),
        ({"name": "Ketton C Of E Primary School"}, "primary"),
        ({"name": "Langham CE School"}, "primary"),
        ({"name": "Great Casterton Church Of England School"}, "primary"),
        ({"amenity": "school", "name": "Casterton College Rutland"}, "secondary"),
        ({"name": "Leeds Grammar School"}, "secondary"),
        ({"name": "Harehills Infant School"}, "primary"),
        ({"name": "Little Acorns Nursery"}, "nursery"),
        ({"name": "Hill Upper School"}, "secondary"),
        ({"name": "Notre Dame School"}, "unknown"),
        ({"name": "Oakham School", "school:type": "independent"}, "all-through"),
        ({}, "unknown"),
    ],
)
def test_guess_phase(tags, phase):
    assert guess_phase(tags) == phase


SCHOOL = {"amenity": "school"}


@pytest.mark.parametrize(
    ("name", "phase"),
    [
        # United States / Canada
        ("Lincoln Elementary School", "primary"),
        ("Lincoln Elementary", "primary"),
        ("Roosevelt Middle School", "middle deemed secondary"),
        ("Hoover Junior High", "middle deemed secondary"),
        ("Central High School", "secondary"),
        ("Lincoln High", "secondary"),
        ("Hillside K-8 School", "all-through"),
        ("Bronx Academy K-12", "all-through"),
        ("Brooklyn Prep", "all-through"),
        ("Xavier College Preparatory", "secondary"),
        ("Jarvis Collegiate Institute", "secondary"),
        ("Maple Public School", "primary"),
        # Australia / New Zealand
        ("Box Hill Secondary College", "secondary"),
        ("Mount Waverley P-12 College", "all-through"),
        ("Brisbane State School", "primary"),
        ("Brisbane State High School", "secondary"),
        ("Queen's Intermediate School", "middle deemed secondary"),
        # Europe
        ("Goethe-Gymnasium", "secondary"),
        ("Grundschule am Park", "primary"),
        ("Mühlenbachgrundschule", "primary"),
        ("Lycée Victor Hugo", "secondary"),
        ("Lycee Henri IV", "secondary"),
        ("Collège Jean Moulin", "secondary"),
        ("École élémentaire Jules Ferry", "primary"),
        ("École maternelle Les Lilas", "nursery"),
        # England, unchanged and new
        ("Catmose College", "secondary"),
        ("Hills Road Sixth Form College", "16 plus"),
        ("Westminster Pre-Prep", "primary"),
        ("High Street Primary School", "primary"),
        ("St Mary's C of E High School", "secondary"),
        ("Highfield School", "unknown"),
        ("University High School", "secondary"),
        ("Ohio State University", "not applicable"),
    ],
)
def test_guess_phase_from_school_words_abroad(name, phase):
    assert guess_phase({**SCHOOL, "name": name}) == phase


@pytest.mark.parametrize(
    ("tags", "phase"),
    [
        ({"grades": "K-5"}, "primary"),
        ({"grades": "PK-6"}, "primary"),
        ({"grades": "6-8"}, "middle deemed secondary"),
        ({"grades": "9-12"}, "secondary"),
        ({"grades": "7-12"}, "secondary"),
        ({"grades": "11-12"}, "16 plus"),
        ({"grades": "K-8"}, "all-through"),
        ({"grades": "K-12"}, "all-through"),
        ({"grades": "K;1;2;3;4;5"}, "primary"),
        ({"school": "elementary"}, "primary"),
        ({"school": "middle_school"}, "middle deemed secondary"),
        ({"school": "junior_high"}, "middle deemed secondary"),
        ({"school": "high_school"}, "secondary"),
        ({"school": "primary;secondary"}, "all-through"),
        ({"school:FR": "collège"}, "secondary"),
        ({"school:FR": "lycée"}, "secondary"),
        ({"school:FR": "maternelle"}, "nursery"),
        ({"isced:level": "6"}, "not applicable"),
        # grades win over the name; isced:level over grades
        ({"grades": "9-12", "name": "Lincoln Elementary"}, "secondary"),
        ({"isced:level": "1", "grades": "9-12"}, "primary"),
    ],
)
def test_guess_phase_from_tags_abroad(tags, phase):
    assert guess_phase({**SCHOOL, **tags}) == phase


@pytest.mark.parametrize(
    ("tags", "phase"),
    [
        # a "College" tagged as a school is one (English and Dutch secondary schools)
        ({"amenity": "school", "name": "Boston College"}, "secondary"),
        ({"amenity": "school", "school": "college", "name": "Collège Pasteur"}, "secondary"),
        ({"isced:level": "2", "name": "Boston College"}, "secondary"),
        # ... a college or university, or a name with no school tag, is not a secondary school
        ({"amenity": "university", "name": "Boston College"}, "not applicable"),
        ({"amenity": "college", "name": "Springfield Technical College"}, "not applicable"),
        ({"name": "Boston College"}, "unknown"),
        ({"amenity": "school", "isced:level": "6", "name": "Trinity College"}, "not applicable"),
        ({"amenity": "school", "name": "Imperial College University Campus"}, "not applicable"),
    ],
)
def test_college_is_a_secondary_school_only_when_tagged_as_a_school(tags, phase):
    assert guess_phase(tags) == phase


@pytest.mark.parametrize(
    ("value", "phase"),
    [
        ("Elementary", "primary"),
        ("Elementary School", "primary"),
        ("Middle School", "middle deemed secondary"),
        ("Junior High", "middle deemed secondary"),
        ("High School", "secondary"),
        ("K-8", "all-through"),
        ("K-12", "all-through"),
        ("9-12", "secondary"),
        ("Gymnasium", "secondary"),
        ("Lycée", "secondary"),
        ("Collège", "secondary"),
        ("College", "secondary"),  # a phase column value: the school is a school
        ("Prep", "all-through"),
        # the GIAS vocabulary stays as written
        ("Primary", "primary"),
        ("Middle deemed primary", "middle deemed primary"),
        ("Not applicable", "not applicable"),
        ("16 plus", "16 plus"),
        ("", "unknown"),
        ("Adult learning", "adult learning"),
    ],
)
def test_normalise_phase_column_values(value, phase):
    assert normalise_phase(value) == phase


def test_bad_osm_files(tmp_path):
    with pytest.raises(InputDataError, match=r"missing.osm: OSM file not found"):
        read_osm_schools(tmp_path / "missing.osm")
    with pytest.raises(InputDataError, match=r"not-osm.osm: cannot read as OSM data"):
        read_osm_hubs(DATA / "bad" / "not-osm.osm")
    (tmp_path / "empty.osm.pbf").write_bytes(b"")
    with pytest.raises(InputDataError, match=r"empty.osm.pbf: the file is empty"):
        read_osm_schools(tmp_path / "empty.osm.pbf")
    with pytest.raises(InputDataError, match=r"schools.csv: not an OSM file name"):
        read_osm_schools(DATA / "edubase-schools.csv")
