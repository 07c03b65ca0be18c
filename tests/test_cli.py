import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from corridors.cli import cli

try:  # tests/ is on sys.path (rootdir conftest, no package) ...
    from rutland import config_copy
except ImportError:  # ... or tests is a package
    from tests.rutland import config_copy

ROOT = Path(__file__).resolve().parents[1]


def _commands():
    return sorted(cli.commands)


def test_every_command_has_help():
    runner = CliRunner()
    for name in _commands():
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage: cli " in result.output or "Usage: corridors " in result.output
        cmd = cli.commands[name]
        assert cmd.help and len(cmd.help.strip()) > 20, name
    top = runner.invoke(cli, ["-h"])
    assert top.exit_code == 0
    for name in ("validate", "graph", "hotspots", "tune", "plan", "roster", "screenshots"):
        assert name in top.output


def test_missing_config_is_a_clean_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CORRIDORS_CONFIG", raising=False)
    result = CliRunner().invoke(cli, ["plan"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: no config file: corridors.toml does not exist")
    assert "Traceback" not in result.output


def test_bad_config_value_is_a_clean_error(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[hotspots]\nmethod = "kmeans"\n')
    result = CliRunner().invoke(cli, ["-c", str(cfg), "plan"])
    assert result.exit_code == 1
    assert "Error: hotspots.method must be one of" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_bad_grid_option_is_a_clean_error():
    result = CliRunner().invoke(
        cli, ["-c", str(ROOT / "data" / "rutland.toml"), "tune", "--grid", "eps_m"]
    )
    assert result.exit_code == 1
    assert "Error: --grid 'eps_m': expected KEY=V1,V2" in result.output


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    from corridors import __version__

    assert __version__ in result.output


def test_header_only_file_error_names_the_file(tmp_path):
    header = (
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
        "LSOA name,Crime type,Last outcome category,Context\n"
    )
    empty = tmp_path / "2022-07-x-street.csv"
    empty.write_text(header)
    rejects = str(tmp_path / "rejects.csv")
    result = CliRunner().invoke(cli, ["validate", "--incidents", str(empty), "--rejects", rejects])
    assert result.exit_code == 1
    assert "incidents  2022-07-x-street     0         0         0" in result.output  # the table
    assert f"Error: {empty}: read 0 rows: the file holds no incidents" in result.output
    assert "Traceback" not in result.output


def test_validate_edubase_with_its_geocode_file(tmp_path):
    data = ROOT / "tests" / "data" / "io"
    result = CliRunner().invoke(
        cli,
        [
            "-q", "validate", "--schools", str(data / "edubase-schools.csv"),
            "--format", "edubase", "--geocode", str(data / "edubase-geocodes.csv"),
            "--rejects", str(tmp_path / "rejects.csv"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.startswith("schools"))
    read, accepted, rejected = (int(v.replace(",", "")) for v in row.split()[2:5])
    assert read == accepted + rejected and accepted > 0


# -- evidence of absence vs absence of evidence ------------------------------------------------

POLICE_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
    "LSOA name,Crime type,Last outcome category,Context\n"
)


def _police_rows(months, crime="Robbery"):
    return "".join(
        f"c{i},{m},Leics,Leics,{-0.722 + i * 1e-4:.6f},52.669,On or near X,E1,R 1,{crime},,\n"
        for i, m in enumerate(months)
    )


def _tiny_area(tmp_path, *, months=("2022-09", "2022-10"), extra="", incidents_extra=""):
    """A config of tiny files: one school, a police.uk street file, no OSM file."""
    (tmp_path / "schools.csv").write_text(
        "urn,school,phase,lat,lon\n1,Example College,secondary,52.668,-0.722\n"
    )
    (tmp_path / "street.csv").write_text(POLICE_HEADER + _police_rows(months))
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(
        '[area]\nname = "tiny"\ncrs = "EPSG:27700"\nweek = "2022-W45"\n\n'
        '[[schools]]\npath = "schools.csv"\nformat = "csv"\n'
        'columns = { id = "urn", name = "school", phase = "phase", lat = "lat", lon = "lon" }\n\n'
        f'[[incidents]]\npath = "street.csv"\nformat = "police-street"\n{incidents_extra}\n'
        f'[maps]\nout_dir = "maps"\n\n{extra}',
        encoding="utf-8",
    )
    return cfg


def _summary_row(output, kind):
    row = next(line for line in output.splitlines() if line.startswith(kind))
    return [int(v.replace(",", "")) for v in row[len(kind) :].split()[1:4]]


def test_validate_exits_1_when_every_row_of_a_file_is_rejected(tmp_path):
    bad = tmp_path / "2022-07-x-street.csv"
    bad.write_text(POLICE_HEADER + _police_rows(["Spring 2022", "Q1 2022", "2022-13"]))
    rejects = tmp_path / "rejects.csv"
    result = CliRunner().invoke(
        cli, ["-q", "validate", "--incidents", str(bad), "--rejects", str(rejects)]
    )
    assert result.exit_code == 1, result.output
    # the table and the rejects file first, then the error
    assert _summary_row(result.output, "incidents") == [3, 0, 3]
    assert len(pd.read_csv(rejects)) == 3
    error = result.output.splitlines()[-1]
    assert error.startswith("Error: ") and str(bad) in error
    assert "every incidents row was rejected" in error and "unparseable month: 3" in error
    assert "optional = true" in error and str(rejects) in error
    assert "Traceback" not in result.output


def test_validate_optional_source_with_every_row_rejected_is_a_note(tmp_path):
    cfg = _tiny_area(tmp_path, months=("Spring 2022",), incidents_extra="optional = true\n")
    result = CliRunner().invoke(
        cli, ["-q", "-c", str(cfg), "validate", "--rejects", str(tmp_path / "r.csv")]
    )
    assert result.exit_code == 0, result.output
    assert _summary_row(result.output, "incidents") == [1, 0, 1]
    assert "it is optional, so runs go on without it" in result.output
    # without optional = true the same file stops validate
    cfg = _tiny_area(tmp_path, months=("Spring 2022",))
    result = CliRunner().invoke(
        cli, ["-q", "-c", str(cfg), "validate", "--rejects", str(tmp_path / "r.csv")]
    )
    assert result.exit_code == 1 and "street.csv: every incidents row" in result.output


STAFF_HEADER = "person_id,name,agency,availability\n"


def test_validate_checks_the_staff_and_term_dates_files(tmp_path):
    (tmp_path / "staff.csv").write_text(
        STAFF_HEADER + "P1,Example One,youth worker,Mon-Fri 15:00-18:00\n"
        "P2,Example Two,astronaut,Mon-Fri 15:00-18:00\n"
    )
    (tmp_path / "terms.csv").write_text(
        "start,end,kind\n2022-09-05,2022-10-21,term\n2022-13-01,2022-12-16,term\n"
        "2022-10-24,2022-10-28,holiday\n2022-11-04,2022-11-01,holiday\n\n"
    )
    cfg = _tiny_area(
        tmp_path,
        extra='[roster]\nstaff = "staff.csv"\n\n[hotspots]\nterm_dates = "terms.csv"\n',
    )
    rejects = tmp_path / "rejects.csv"
    result = CliRunner().invoke(cli, ["-q", "-c", str(cfg), "validate", "--rejects", str(rejects)])
    # a plan stops on a bad term-dates row (a wrong calendar moves the window): so does validate,
    # after the table and the rejects file
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[-1].startswith(f"Error: {tmp_path / 'terms.csv'}: 2 term")
    assert _summary_row(result.output, "staff") == [2, 1, 1]
    assert _summary_row(result.output, "term dates") == [4, 2, 2]
    table = pd.read_csv(rejects, dtype=str)
    by_file = table.groupby("file")["line"].apply(list).to_dict()
    assert by_file[str(tmp_path / "staff.csv")] == ["3"]
    assert by_file[str(tmp_path / "terms.csv")] == ["3", "5"]
    assert set(table["reason"]) >= {"unparseable date", "ends before it starts"}


def test_validate_stops_when_every_staff_row_is_rejected(tmp_path):
    (tmp_path / "staff.csv").write_text(STAFF_HEADER + "P1,Example One,astronaut,Mon 15:00-18:00\n")
    cfg = _tiny_area(tmp_path, extra='[roster]\nstaff = "staff.csv"\n')
    result = CliRunner().invoke(
        cli, ["-q", "-c", str(cfg), "validate", "--rejects", str(tmp_path / "r.csv")]
    )
    assert result.exit_code == 1, result.output
    assert _summary_row(result.output, "staff") == [1, 0, 1]
    assert result.output.splitlines()[-1].startswith(f"Error: {tmp_path / 'staff.csv'}: every")


@pytest.mark.parametrize("setting", ['[roster]\nstaff = "{f}"', '[hotspots]\nterm_dates = "{f}"'])
@pytest.mark.parametrize("kind", ["empty", "binary", "cp1252", "folder"])
def test_validate_unreadable_staff_or_term_dates_is_one_error_line(tmp_path, setting, kind):
    target = tmp_path / "other.csv"
    if kind == "folder":
        target.mkdir()
    else:
        target.write_bytes({
            "empty": b"",
            "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
            "cp1252": "start,end,name\n2022-09-05,2022-10-21,Caf\u00e9\n".encode("cp1252"),
        }[kind])  # fmt: skip
    cfg = _tiny_area(tmp_path, extra=setting.format(f=target.as_posix()) + "\n")
    result = CliRunner().invoke(
        cli, ["-q", "-c", str(cfg), "validate", "--rejects", str(tmp_path / "r.csv")]
    )
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and "other.csv" in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "Traceback" not in result.output


# -- tune offline ---------------------------------------------------------------------------------


def _offline_rutland(tmp_path, hotspots_extra=""):
    """The embedded config without its OSM file for the street graph (schools still from it)."""
    path = config_copy(tmp_path, tmp_path / "maps", tmp_path / "cache")
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("osm_file =")]
    text = "\n".join(lines) + "\n"
    text = text.replace("bandwidth_m = 150.0\n", f"bandwidth_m = 150.0\n{hotspots_extra}")
    path.write_text(text, encoding="utf-8")
    return path


def test_tune_offline_skips_network_and_uses_the_config_sweep(tmp_path):
    cfg = _offline_rutland(tmp_path, "backtest_periods = 2\nsweep = { bandwidth_m = [150, 300] }\n")
    out = tmp_path / "tune"
    result = CliRunner().invoke(cli, ["-q", "-c", str(cfg), "tune", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Note: skipped network" in result.output and "osm_file" in result.output
    table = pd.read_csv(out / "tune.csv")
    assert set(table["method"]) == {
        "dbscan",
        "hdbscan",
        "kde",
        "blend",
        "learned",
        "naive",
        "counts",
    }
    assert "Note: no street graph" in result.output  # area PAI only
    assert table["street_pai"].isna().all()
    assert table["bar"].sum() == 1 and "<- bar" in result.output
    # the best method is recorded in the area's folder for `plan` (even with --out)
    choice = json.loads((tmp_path / "maps" / "rutland" / "hotspots-choice.json").read_text())
    best = table[~table["method"].isin(["naive", "counts"])].iloc[0]
    assert choice["method"] == best["method"] and choice["pai"] == pytest.approx(
        best["pai"], rel=1e-4
    )
    assert choice["data_range"] == {"first_month": "2019-12", "last_month": "2022-10"}
    assert choice["period"] == "month" and choice["periods"] == 2
    kde = table[table["method"] == "kde"]["label"].tolist()
    assert sorted(kde) == sorted(
        [f"kde bandwidth_m={b} cell_m=150 half_life=26w all hours" for b in (150, 300)]
    )
    assert table["periods"].eq(2).all()  # [hotspots] backtest_periods
    # the command line overrides both; grid values are typed (true/false are booleans)
    result = CliRunner().invoke(cli, [
        "-q", "-c", str(cfg), "tune", "--out", str(out), "--methods", "kde", "--periods", "1",
        "--grid", "train_all_hours=true,false",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "tune.csv")
    assert table["periods"].eq(1).all()
    assert set(table["train_window"]) == {
        "all hours", "after-school window", "last period, after-school window",
        "training periods, after-school window",
    }  # fmt: skip
    assert len(table) == 2 * 2 + 2  # bandwidth 150/300 (config) x all hours/window + baselines
    # each row says whether its test incidents are enough to rank on (100 or more)
    assert (table["small_sample"] == (table["test_incidents"] < 100)).all()
    assert ("too small to rank" in result.output) == table["small_sample"].any()


def test_tune_asking_for_network_without_an_osm_file_is_an_error(tmp_path):
    cfg = _offline_rutland(tmp_path)
    result = CliRunner().invoke(cli, ["-q", "-c", str(cfg), "tune", "--methods", "kde,network"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: tune: network needs the street graph")
    assert "set [graph] osm_file" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ("train_all_hours=true,maybe", "--grid train_all_hours: expected a boolean"),
        ("min_samples=5,1.5", "--grid min_samples: expected a whole number, got '1.5'"),
        ("eps_m=100,wide", "--grid eps_m: expected a number, got 'wide'"),
        ("window_start=15:00,3pm", "--grid window_start: expected a time of day, HH:MM"),
        ("method=kde,kmeans", "--grid method: expected one of dbscan, hdbscan, kde, network"),
    ],
)
def test_tune_bad_grid_value_is_one_error_naming_key_and_type(tmp_path, grid, message):
    cfg = _offline_rutland(tmp_path)
    result = CliRunner().invoke(cli, ["-q", "-c", str(cfg), "tune", "--grid", grid])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {message}"), result.output
    assert len(result.output.strip().splitlines()) == 1


def test_hotspots_command_uses_tunes_choice_unless_a_method_is_named(tmp_path):
    cfg = _offline_rutland(tmp_path)
    cfg.write_text(cfg.read_text().replace('method = "kde"', 'method = "auto"'))
    choice = tmp_path / "maps" / "rutland" / "hotspots-choice.json"
    choice.parent.mkdir(parents=True)
    choice.write_text(json.dumps({"method": "dbscan", "params": {"eps_m": 200.0}}))
    result = CliRunner().invoke(cli, ["-q", "-c", str(cfg), "hotspots"])
    assert result.exit_code == 0, result.output
    assert "(dbscan)" in result.output and "chosen by corridors tune" in result.output
    spots = json.loads(
        next((tmp_path / "maps").glob("rutland/hotspots/*/hotspots.json")).read_text()
    )
    assert spots["method"] == "dbscan" and spots["params"]["eps_m"] == 200.0
    # --method names one: the choice file is not used
    result = CliRunner().invoke(cli, ["-q", "-c", str(cfg), "hotspots", "--method", "kde"])
    assert result.exit_code == 0, result.output
    assert "(kde)" in result.output and "chosen by corridors tune" not in result.output
    # an unknown method in the file is one error naming the file
    choice.write_text(json.dumps({"method": "tea-leaves"}))
    result = CliRunner().invoke(cli, ["-q", "-c", str(cfg), "hotspots"])
    assert result.exit_code == 1 and "hotspots-choice.json: unknown hotspot method" in result.output
    assert "Traceback" not in result.output


def test_long_lists_reach_the_terminal_as_their_first_lines_and_where_the_rest_are(capsys):
    # a city's plan has thousands of corridors and unfilled patrols: the terminal gets the
    # first lines of each list and where every one is, not a line per unfilled slot
    from corridors.cli import week

    week._echo_first([f"  line {i}" for i in range(40)], "things: every one in things.csv")
    out = capsys.readouterr().out.splitlines()
    assert out[: week.SHOWN_LINES] == [f"  line {i}" for i in range(week.SHOWN_LINES)]
    assert out[-1] == f"  ... and {40 - week.SHOWN_LINES} more things: every one in things.csv"
    assert len(out) == week.SHOWN_LINES + 1
    week._echo_first(["  one", "  two"], "things")
    assert capsys.readouterr().out.splitlines() == ["  one", "  two"]  # short lists whole
    slots = pd.DataFrame(
        {"day": ["Monday", "Monday", "Tuesday", "Wednesday"], "filled": [True, False, False, False]}
    )
    assert week._unfilled_by_day(slots) == "; unfilled: Monday 1, Tuesday 1, Wednesday 1"
    assert week._unfilled_by_day(slots.assign(filled=True)) == ""
