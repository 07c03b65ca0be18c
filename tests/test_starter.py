"""`corridors init`: a starting config from a team's files, that validate then accepts."""

from __future__ import annotations

import tomllib
from pathlib import Path

from click.testing import CliRunner

from corridors import starter
from corridors.cli import cli

ROOT = Path(__file__).resolve().parents[1]
OSM = ROOT / "data" / "osm" / "rutland-2022-07-20.osm.pbf"
POLICE = ROOT / "data" / "police" / "leicestershire-street-rutland.csv.gz"
STAFF = ROOT / "data" / "staff-example.csv"


def test_init_writes_a_config_that_validates(tmp_path):
    out = tmp_path / "corridors.toml"
    args = ["init", "--osm", str(OSM), "--incidents", str(POLICE), "--staff", str(STAFF)]
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "CRS EPSG:27700; time zone Europe/London; week 2022-W45" in result.output
    assert "School phases: primary (16)" in result.output
    cfg = tomllib.loads(out.read_text())
    assert cfg["area"]["name"] == "rutland"
    assert cfg["area"]["week"] == "2022-W45"  # the week after the data end (2022-10)
    assert cfg["incidents"][0]["format"] == "police-street"
    assert cfg["corridors"]["phases"] == ["secondary", "all-through"]
    assert out.read_text().count("# guessed") >= 4
    checked = CliRunner().invoke(
        cli, ["-q", "-c", str(out), "validate", "--rejects", str(tmp_path / "r.csv")]
    )
    assert checked.exit_code == 0, checked.output
    assert "5,161" in checked.output
    again = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert again.exit_code == 1
    assert "already exists; pass --force" in again.output


def test_offence_names_abroad_map_onto_the_built_in_groups():
    found = starter.map_offences(
        {
            "AGGRAVATED ASSAULT": 10,
            "ROBBERY - STREET": 4,
            "WEAPONS VIOLATION": 3,
            "NARCOTICS": 2,
            "BURGLARY": 9,
            "Anti-social behaviour": 1,  # already built in: left as it is
        }
    )
    assert found == {
        "AGGRAVATED ASSAULT": "Violence and sexual offences",
        "ROBBERY - STREET": "Robbery",
        "WEAPONS VIOLATION": "Possession of weapons",
        "NARCOTICS": "Drugs",
    }


def test_area_names_come_from_file_names():
    assert starter._slug_of(Path("greater-london-latest.osm.pbf")) == "greater-london"
    assert starter._slug_of(Path("rutland-2022-07-20.osm.pbf")) == "rutland"
    assert starter._slug_of(Path("Île de France 20240101.osm.pbf")) == "Ile-de-France"


def test_week_after_the_data():
    assert starter._week_after("2022-10") == "2022-W45"  # Oct 31 is a Monday: next week
    assert starter._week_after("2025-02") == "2025-W10"  # Feb 28 Fri -> Mon Mar 3


def test_the_guessed_offence_table_is_toml_and_names_cannot_break_it():
    """TOML 1.0 has no multi-line inline tables; a line break in a name stays in its string."""
    evil = "ASSAULT\n[area]\nname = 'evil'"
    found = starter.Survey(
        name="x",
        crs="EPSG:32618",
        timezone="America/New_York",
        week="2022-W45",
        inputs=None,  # type: ignore[arg-type]  # not read by _offence_lines
        phases={},
        offences={evil: 3, "GRAFFITI\r\nother_weight = 9": 2, "Robbery": 1},
        offence_map={evil: "Violence and sexual offences"},
        data_end="2022-10",
    )
    text = "\n".join(["[hotspots]", *starter._offence_lines(found)])
    assert tomllib.loads(text) == {"hotspots": {"offence_weights": {evil: 1.0}}}
