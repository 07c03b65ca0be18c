from pathlib import Path

from click.testing import CliRunner

from corridors.cli import cli

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
    result = CliRunner().invoke(cli, ["-c", str(ROOT / "data" / "rutland.toml"), "tune", "--grid", "eps_m"])
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
    result = CliRunner().invoke(cli, ["validate", "--incidents", str(empty)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {empty}: read 0 rows (a header and no data)")
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
