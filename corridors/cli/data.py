"""Commands about the inputs: ``validate``, ``init`` (a first config) and ``graph``."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any, get_args

import click

from corridors.cli.app import _handle_errors, _State, cli, pass_state
from corridors.config import (
    Config,
    SourceConfig,
    SourceFormat,
    override,
)
from corridors.errors import ConfigError, CorridorsError

# -- validate -----------------------------------------------------------------------------


@cli.command()
@click.option(
    "--schools",
    "schools",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="A schools file to check instead of the config's (repeatable).",
)
@click.option(
    "--incidents",
    "incidents",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="An incidents file or download folder to check instead of the config's (repeatable).",
)
@click.option(
    "--format",
    "fmt",
    default="auto",
    show_default=True,
    type=click.Choice(list(get_args(SourceFormat))),
    help="Format of the --schools/--incidents files.",
)
@click.option("--crs", help="CRS of x/y columns in the --schools/--incidents files.")
@click.option(
    "--geocode",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Row-aligned X/Y file for an EduBase --schools file (its geocodes).",
)
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the rejected rows (default: rejects.csv in the week's folder).",
)
@pass_state
@_handle_errors
def validate(
    state: _State,
    schools: tuple[Path, ...],
    incidents: tuple[Path, ...],
    fmt: str,
    crs: str | None,
    geocode: Path | None,
    rejects_path: Path | None,
) -> None:
    """Check every source and print rows read, accepted and rejected by reason.

    With no file options, checks the sources of the config. With --schools or
    --incidents, checks just those files (no config needed).

    \b
    Examples:
      corridors -c data/rutland.toml validate
      corridors validate --incidents police/2022-07/ --format police-street
      corridors validate --schools edubasealldata20240129.csv --format gias
      corridors validate --schools schools.csv --format edubase --geocode xy.csv
    """
    from corridors import load, maps, pipeline

    if schools or incidents:
        base = state.config() if state.config_path else Config()
        cfg = _adhoc_config(base, schools, incidents, fmt, crs, geocode)
        inputs = load.load_inputs(cfg, strict=False)
        reports, rejects = inputs.reports, inputs.rejects
        path = load.write_rejects(rejects, rejects_path or Path("rejects.csv"))
    else:
        cfg = state.config()
        maps.check_languages(cfg.maps)  # what a plan checks first
        # never into the week's folder: that holds one whole plan
        week = pipeline.week_folder(cfg)
        inputs = load.load_inputs(cfg, strict=False)
        reports, rejects = _with_other_files(cfg, inputs.reports, inputs.rejects)
        if rejects_path is not None:
            path = load.write_rejects(rejects, rejects_path)
        else:
            with pipeline.locked(cfg, "validate"):
                path = load.write_rejects(rejects, week.validate_rejects)
    click.echo(load.summarise(reports))
    click.echo(f"Rejected rows, with file, line, column and reason: {path}")
    for r in reports:
        if r.optional and r.read > 0 and r.accepted == 0:
            click.echo(f"Note: {r.path}: every row was rejected; it is optional, so runs go on "
                       "without it")  # fmt: skip
    # after the table and the rejects file, so the user sees everything first
    load.check_usable(reports, rejects, see=f"every rejected row is in {path}")
    for r in reports:
        if r.kind == "term dates" and r.accepted < r.read:  # a plan stops on any of them
            reasons = ", ".join(f"{k}: {v}" for k, v in r.rejected.items())
            raise CorridorsError(
                f"{r.path}: {r.read - r.accepted} term-dates row(s) rejected ({reasons}); a plan "
                f"stops on them: fix them (every rejected row is in {path})"
            )


def _with_other_files(cfg: Config, reports: Any, rejects: Any) -> tuple[Any, Any]:
    """Add the staff file and the term dates file (when set) to the reports and rejects."""
    import pandas as pd

    from corridors import hotspots, roster

    reports, frames = list(reports), [rejects]
    if cfg.roster.staff is not None or cfg.roster.people:
        staff = roster.staff_for_config(cfg.roster, strict=False)
        reports += staff.reports
        frames.append(staff.rejects)
    if cfg.hotspots.term_dates is not None:
        terms = hotspots.load_term_dates(cfg.hotspots.term_dates)
        reports.append(terms.report)
        frames.append(terms.rejects)
    frames = [f for f in frames if len(f)]
    if frames:
        rejects = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return tuple(reports), rejects


def _adhoc_config(
    cfg: Config,
    schools: tuple[Path, ...],
    incidents: tuple[Path, ...],
    fmt: str,
    crs: str | None,
    geocode: Path | None = None,
) -> Config:
    """Return ``cfg`` checking just the given files (no OSM file, no boundary)."""

    def sources(paths: tuple[Path, ...], xy: Path | None = None) -> tuple[SourceConfig, ...]:
        return tuple(
            SourceConfig(path=p.resolve(), format=fmt, crs=crs, geocode=xy)  # type: ignore[arg-type]
            for p in paths
        )

    return dataclasses.replace(
        cfg,
        schools=sources(schools, geocode.resolve() if geocode else None),
        hubs=(),
        incidents=sources(incidents),
        graph=dataclasses.replace(cfg.graph, osm_file=None),
        area=dataclasses.replace(cfg.area, boundary=None),
    )


# -- init -------------------------------------------------------------------------------


@cli.command()
@click.option(
    "--osm",
    "osm",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="OSM extract of the area (.osm.pbf, .osm, .osm.bz2): streets, schools, hubs.",
)
@click.option(
    "--schools",
    "schools",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="A schools file (GIAS, EduBase, CSV, GeoJSON, GeoPackage); repeatable.",
)
@click.option(
    "--incidents",
    "incidents",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="An incidents file or data.police.uk download folder; repeatable.",
)
@click.option(
    "--columns",
    "columns",
    multiple=True,
    metavar="KEY=COLUMN",
    help="Map a column of the --incidents files whose names are not recognised, e.g. "
    "--columns offence=text_general_code; repeatable; written to the config.",
)
@click.option(
    "--staff",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The staff CSV for the roster (optional).",
)
@click.option("--name", help="The area's name, a slug (default: from the OSM file's name).")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("corridors.toml"),
    show_default=True,
    help="Where to write the config.",
)
@click.option("--force", is_flag=True, help="Replace an existing config file.")
@_handle_errors
def init(
    osm: Path | None,
    schools: tuple[Path, ...],
    incidents: tuple[Path, ...],
    columns: tuple[str, ...],
    staff: Path | None,
    name: str | None,
    out: Path,
    force: bool,
) -> None:
    """Write a starting config for a new area from the files you have.

    Reads every file as a plan would (formats sniffed, rows checked), prints what it
    found (CRS, time zone, school phases and offence names with their counts) and writes a
    config with each guess marked "# guessed". Then run validate on it.

    \b
    Example:
      corridors init --osm area.osm.pbf --incidents police/ --staff staff.csv
      corridors -c corridors.toml validate
    """
    from corridors import load, starter

    mapping: dict[str, str] = {}
    for item in columns:
        key, eq, column = item.partition("=")
        if not eq or not key.strip() or not column.strip():
            raise ConfigError(
                f"--columns {item!r}: expected KEY=COLUMN, e.g. --columns offence=OFFENSE"
            )
        mapping[key.strip()] = column.strip()
    found = starter.survey(
        osm=osm, schools=schools, incidents=incidents, name=name, columns=mapping
    )
    text = starter.render_config(
        found,
        base=out.resolve().parent,
        osm=osm,
        schools=schools,
        incidents=incidents,
        staff=staff,
        columns=mapping,
    )
    path = starter.write_config(out, text, force=force)
    click.echo(load.summarise(found.inputs.reports))
    click.echo(f"\nCRS {found.crs}; time zone {found.timezone}; week {found.week}")
    click.echo(f"School phases: {starter.counts_text(found.phases) or 'none'}")
    if len(found.inputs.incidents):
        n = len(found.inputs.incidents)
        untimed = f"; {n - found.timed:,} month or date only" if found.timed < n else ""
        click.echo(
            f"Times of day: {found.timed:,} of {n:,} incidents, read as {found.timezone}{untimed}"
        )
    click.echo(f"Offences: {starter.counts_text(found.offences) or 'none'}")
    for offence, group in found.offence_map.items():
        click.echo(f"  {offence!r} weighted like {group!r} (guessed)")
    click.echo(f"\nWrote {path}: check the lines marked '# guessed', then run")
    click.echo(f"  corridors -c {path} validate")


# -- graph ------------------------------------------------------------------------------


@cli.command("graph")
@click.option("--refresh", is_flag=True, help="Rebuild the graph even if it is cached.")
@click.option(
    "--osm-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="OSM file (.osm, .osm.bz2, .osm.pbf) instead of the config's.",
)
@click.option("--place", help="Online: a place name to fetch from OpenStreetMap instead.")
@pass_state
@_handle_errors
def graph_cmd(state: _State, refresh: bool, osm_file: Path | None, place: str | None) -> None:
    """Build or refresh the cached walking street graph and print its size.

    \b
    Example:
      corridors -c data/rutland.toml graph
    """
    from corridors import graph, load

    cfg = state.config()
    if osm_file is not None:
        cfg = override(cfg, "graph", osm_file=osm_file)
    elif place is not None:  # an online source replaces the config's OSM file
        cfg = dataclasses.replace(
            cfg, graph=dataclasses.replace(cfg.graph, osm_file=None, place=place)
        )
    crs = cfg.area.crs if cfg.area.crs != "auto" else None
    study_area = None
    if crs is None:
        inputs = load.load_inputs(cfg)
        crs, study_area = inputs.crs, inputs.study_area
    t = time.perf_counter()
    street = graph.build_street_graph(cfg.graph, crs=crs, study_area=study_area, refresh=refresh)
    elapsed = time.perf_counter() - t
    stats = graph.graph_stats(street)
    click.echo(
        f"Street graph from {street.source}: {stats['nodes']:,} nodes, {stats['edges']:,} edges, "
        f"{stats['length_km']:,.1f} km of streets, {elapsed:.1f} s "
        f"({'from cache' if stats.get('from_cache') else 'built'})"
    )
