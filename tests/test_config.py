import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from corridors.config import (
    AreaConfig,
    Config,
    HotspotConfig,
    config_from_dict,
    config_to_dict,
    load_config,
    override,
)
from corridors.errors import ConfigError
from corridors.week import Window

ROOT = Path(__file__).resolve().parents[1]


def test_default_config_loads_and_resolves_paths():
    cfg = load_config(ROOT / "data" / "rutland.toml")
    assert cfg.area.name == "rutland"
    assert cfg.area.crs == "EPSG:27700"
    assert cfg.graph.osm_file == ROOT / "data" / "osm" / "rutland-2022-07-20.osm.pbf"
    assert cfg.graph.osm_file.exists()
    assert [s.format for s in cfg.incidents] == ["police-street"]
    assert all(s.path.exists() for s in (*cfg.schools, *cfg.hubs, *cfg.incidents))
    assert cfg.area.week_start() == dt.date(2022, 11, 7)


def test_iso_week_and_current_week():
    area = AreaConfig(week="2020-W53")
    assert area.week_start() == dt.date(2020, 12, 28)
    assert area.iso_week() == "2020-W53"
    current = AreaConfig(week="current")
    assert current.week_start(dt.date(2026, 11, 26)) == dt.date(2026, 11, 23)
    assert current.iso_week(dt.date(2026, 11, 26)) == "2026-W48"


def test_area_timezone_is_auto_unless_given():
    # "auto": from the area's location when the inputs are loaded (corridors.load)
    assert config_from_dict({}, base_dir=ROOT).area.timezone == "auto"
    assert config_from_dict({"area": {"timezone": "auto"}}, base_dir=ROOT).area.timezone == "auto"
    given = config_from_dict({"area": {"timezone": "America/New_York"}}, base_dir=ROOT)
    assert given.area.timezone == "America/New_York"
    with pytest.raises(ConfigError, match=r"unknown time zone 'Auto'.*or 'auto'"):
        config_from_dict({"area": {"timezone": "Auto"}}, base_dir=ROOT)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"area": {"nmae": "x"}}, "unknown key(s) ['nmae'] in [area]"),
        ({"area": {"week": "2022-45"}}, "area.week must look like '2022-W45'"),
        (
            {"area": {"week": "2022-W53"}},
            "area.week '2022-W53' does not exist: 2022 has weeks 01 to 52",
        ),
        ({"area": {"week": "2020-W00"}}, "area.week '2020-W00' does not exist"),
        ({"area": {"timezone": "Europe/Londn"}}, "unknown time zone 'Europe/Londn'"),
        ({"hotspots": {"eps_m": -1}}, "hotspots.eps_m must be > 0"),
        ({"hotspots": {"eps_m": "wide"}}, "hotspots.eps_m must be a number, got 'wide'"),
        ({"hotspots": {"method": "kmeans"}}, "hotspots.method must be one of"),
        ({"hotspots": {"window_start": "3pm"}}, "hotspots.window_start must be a time 'HH:MM'"),
        ({"hotspots": {"window_start": "18:00", "window_end": "15:00"}}, "must be after"),
        (
            {"incidents": [{"path": "x.csv", "columns": {"latitude": "lat"}}]},
            "unknown column mapping",
        ),
        ({"incidents": {"path": "x.csv"}}, "incidents must be a list"),
        ({"corridors": {"corridor_share": 1.5}}, "corridors.corridor_share must be in (0, 1]"),
    ],
)
def test_bad_config_values_name_the_key(raw, message):
    with pytest.raises(ConfigError) as info:
        config_from_dict(raw, base_dir=ROOT)
    assert message in str(info.value)


def test_bad_config_files(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[area\nname = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_relative_paths_resolve_against_config_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    cfg_file = tmp_path / "sub" / "a.toml"
    cfg_file.write_text('[graph]\nosm_file = "x.osm"\n[[incidents]]\npath = "/abs/y.csv"\n')
    cfg = load_config(cfg_file)
    assert cfg.graph.osm_file == tmp_path / "sub" / "x.osm"
    assert cfg.incidents[0].path == Path("/abs/y.csv")


def test_override_replaces_only_given_values():
    cfg = Config()
    new = override(cfg, "hotspots", method="dbscan", eps_m=None)
    assert new.hotspots.method == "dbscan"
    assert new.hotspots.eps_m == HotspotConfig().eps_m
    assert cfg.hotspots.method == "counts"  # the original (the default) is untouched
    with pytest.raises(ConfigError):
        override(cfg, "hotspots", eps_m=-5.0)


def test_config_is_frozen_and_serialisable():
    cfg = load_config(ROOT / "data" / "rutland.toml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.area.name = "x"  # type: ignore[misc]
    as_dict = config_to_dict(cfg)
    assert as_dict["area"]["name"] == "rutland"
    assert isinstance(as_dict["graph"]["osm_file"], str)


def test_corridors_inherit_the_hotspot_window():
    cfg = config_from_dict({"hotspots": {"window_start": "14:30", "window_end": "17:00"}})
    assert (cfg.corridors.window_start, cfg.corridors.window_end) == ("14:30", "17:00")
    own = config_from_dict(
        {"hotspots": {"window_start": "14:30"}, "corridors": {"window_start": "15:30"}}
    )
    assert own.corridors.window_start == "15:30"


def test_the_legacy_hotspots_window_becomes_the_window():
    raw = {"hotspots": {"window_start": "14:30", "window_end": "17:00", "weekdays": [0, 5]}}
    cfg = config_from_dict(raw)
    assert cfg.window == Window("14:30", "17:00", (0, 5))
    # every stage that does not narrow it uses it
    for stage in ("hotspots", "corridors", "roster"):
        assert cfg.stage_window(stage) == cfg.window  # type: ignore[arg-type]
    assert cfg.roster.days == (0, 5)
    assert (cfg.roster.window_start, cfg.roster.window_end) == ("14:30", "17:00")
    assert config_from_dict({}).window == Window("15:00", "18:00", (0, 1, 2, 3, 4))


def test_the_window_table_wins_over_the_legacy_hotspots_keys():
    raw = {
        "window": {"start": "15:30", "end": "17:30", "weekdays": [0, 1, 2]},
        "hotspots": {"window_start": "14:00", "weekdays": [0, 1, 2, 3, 4]},
    }
    with pytest.warns(UserWarning, match=r"\[hotspots\] window_start = '14:00' is ignored"):
        cfg = config_from_dict(raw)
    assert cfg.window == Window("15:30", "17:30", (0, 1, 2))
    assert cfg.stage_window("hotspots") == cfg.window
    assert (cfg.hotspots.window_start, cfg.hotspots.weekdays) == ("15:30", (0, 1, 2))
    assert (cfg.corridors.window_start, cfg.corridors.window_end) == ("15:30", "17:30")
    assert cfg.roster.days == (0, 1, 2)


def test_a_stage_may_narrow_the_window():
    cfg = config_from_dict(
        {
            "window": {"start": "15:00", "end": "18:00"},
            "corridors": {"window_start": "15:30"},
            "roster": {"window_end": "17:00", "days": [0, 2, 4]},
        }
    )
    assert cfg.stage_window("corridors") == Window("15:30", "18:00")
    assert cfg.stage_window("roster") == Window("15:00", "17:00", (0, 2, 4))
    assert cfg.stage_window("hotspots") == cfg.window


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"window": {"end": "17:00"}, "corridors": {"window_end": "18:00"}},
            r"corridors.window_end \(18:00\) is after window.end \(17:00\)",
        ),
        (
            {"window": {"start": "15:30"}, "roster": {"window_start": "15:00"}},
            r"roster.window_start \(15:00\) is before window.start \(15:30\)",
        ),
        (
            {"window": {"weekdays": [0, 1, 2, 3, 4]}, "roster": {"days": [5]}},
            r"roster.days \(Sat\) has days outside window.weekdays \(Mon,Tue,Wed,Thu,Fri\)",
        ),
        (
            {"hotspots": {"window_end": "17:00"}, "corridors": {"window_end": "18:00"}},
            r"corridors.window_end \(18:00\) is after window.end \(17:00\)",
        ),
        ({"window": {"start": "3pm"}}, "window.start must be a time 'HH:MM'"),
        ({"window": {"start": "18:00", "end": "15:00"}}, "window.end .* must be after"),
        ({"window": {"weekdays": [7]}}, "window.weekdays must be 0"),
        ({"window": {"school_days_only": True}}, "exclude_holidays"),
        ({"window": {"begin": "15:00"}}, r"unknown key\(s\) \['begin'\] in \[window\]"),
    ],
)
def test_a_narrowing_outside_the_window_is_an_error(raw, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(raw)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[area]\nweek = "0000-W01"\n', "the year must be between 1990 and 2100"),
        ('[area]\nweek = "9999-W01"\n', "the year must be between 1990 and 2100"),
        ("[hotspots]\nbandwidth_m = nan\n", "hotspots.bandwidth_m must be a finite number"),
        ("[corridors]\nspeed_kmh = inf\n", "corridors.speed_kmh must be a finite number"),
        ("[corridors]\nhub_walk_m = -inf\n", "corridors.hub_walk_m must be a finite number"),
    ],
)
def test_values_that_would_crash_later_are_config_errors(tmp_path, text, message):
    path = tmp_path / "area.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_a_config_saved_with_a_bom_loads(tmp_path):
    path = tmp_path / "area.toml"
    path.write_bytes(b'\xef\xbb\xbf[area]\nname = "hackney"\n')
    assert load_config(path).area.name == "hackney"


def test_a_folder_as_config_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="is a folder; expected a TOML config file"):
        load_config(tmp_path)


def test_roster_settings_come_in_three_groups_and_old_flat_keys_still_work():
    grouped = config_from_dict(
        {"roster": {"min_team": 2, "weights": {"fill": 900}, "solver": {"seconds": 2.0}}}
    ).roster
    flat = config_from_dict(
        {"roster": {"min_team": 2, "weight_fill": 900, "solver_seconds": 2.0}}
    ).roster
    assert grouped == flat
    assert flat.weights.fill == 900 and flat.weights.risk == 1000
    assert flat.solver.seconds == 2.0 and flat.solver.gap_limit == 0.005
    with pytest.raises(ConfigError, match="same setting"):
        config_from_dict({"roster": {"gap_limit": 0.0, "solver": {"gap_limit": 0.1}}})
    with pytest.raises(ConfigError, match=r"roster\.weights\.person must be >= 0"):
        config_from_dict({"roster": {"weight_person": -1}})
