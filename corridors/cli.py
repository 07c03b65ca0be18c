"""The ``corridors`` command line: a thin layer over the stages and the pipeline."""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar, get_args

import click

from corridors import __version__
from corridors.config import (
    Config,
    SourceConfig,
    SourceFormat,
    load_config,
    override,
)
from corridors.errors import ConfigError, CorridorsError, describe_os_error

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_CONFIG = "corridors.toml"
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _handle_errors(func: F) -> F:
    """Turn every CorridorsError (and file-system fault) into ``Error: ...``, exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CorridorsError as exc:
            raise click.ClickException(str(exc)) from exc
        except OSError as exc:  # a fault no stage turned into a CorridorsError
            raise click.ClickException(
                describe_os_error(exc, hint="check the path, its permissions and free space")
            ) from exc

    return wrapper  # type: ignore[return-value]


class _State:
    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self._cfg: Config | None = None

    def config(self) -> Config:
        if self._cfg is None:
            path = self.config_path
            if path is None:
                path = Path(os.environ.get("CORRIDORS_CONFIG", DEFAULT_CONFIG))
                if not path.exists():
                    raise CorridorsError(
                        f"no config file: {path} does not exist. Pass one with --config "
                        "(the embedded default area is data/rutland.toml)"
                    )
            cfg = load_config(path)
            self._cfg = override(cfg, "area", week=cfg.area.iso_week())  # one week per run
        return self._cfg


pass_state = click.make_pass_decorator(_State)


@contextmanager
def _progress_bar(label: str) -> Iterator[Callable[[str, int, int], None] | None]:
    """Yield a progress callback drawing a bar on a terminal, or None when not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    bars: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = click.progressbar(length=total, label=f"{label}: {stage}", file=sys.stderr)
            bar.__enter__()
            bars[stage] = bar
        bar.update(done - bar.pos)

    try:
        yield update
    finally:
        for bar in bars.values():
            bar.__exit__(None, None, None)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="corridors")
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(path_type=Path),  # load_config says what is wrong (missing, a folder...)
    help="The area's TOML config file (default: ./corridors.toml or $CORRIDORS_CONFIG).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: int, quiet: bool) -> None:
    """Plan after-school patrol corridors around schools.

    \b
    Quick start on the embedded default area (Rutland):
      corridors -c data/rutland.toml validate
      corridors -c data/rutland.toml plan
    """
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if verbose < 2:
        for noisy in ("osmnx", "matplotlib", "fontTools", "PIL", "numba", "pyogrio"):
            logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    logging.captureWarnings(True)
    ctx.obj = _State(config_path)


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


# -- hotspots and tune --------------------------------------------------------------------


@cli.command("hotspots")
@click.option(
    "--method",
    type=click.Choice(["dbscan", "hdbscan", "kde", "network"]),
    help="Clustering method (overrides [hotspots] method).",
)
@click.option("--week", help="ISO week to plan, e.g. 2022-W45 (overrides [area] week).")
@pass_state
@_handle_errors
def hotspots_cmd(state: _State, method: str | None, week: str | None) -> None:
    """Find the week's after-school hotspots and write them as GeoJSON.

    \b
    Example:
      corridors -c data/rutland.toml hotspots --method dbscan
    """
    from corridors import hotspots, pipeline

    cfg = override(override(state.config(), "hotspots", method=method), "area", week=week)
    inputs = pipeline.read_inputs(cfg)
    street = pipeline.build_graph(cfg, inputs) if cfg.hotspots.method == "network" else None
    spots = pipeline.find_hotspots(cfg, inputs, street)
    # a folder of its own: the week's plan keeps the hotspots its corridors were built on
    with pipeline.locked(cfg, "hotspots"):
        paths = hotspots.write_hotspots(spots, pipeline.week_folder(cfg).hotspots(spots.method))
    click.echo(
        f"{len(spots.polygons)} hotspots ({spots.method}) from {len(spots.selected):,} incidents"
    )
    for note in spots.notes:
        click.echo(f"Note: {note}")
    for p in paths:
        click.echo(f"Wrote {p}")


@cli.command()
@click.option(
    "--methods",
    default=None,
    help="Comma-separated methods to compare [default: the methods of [hotspots] sweep, else "
    "dbscan,hdbscan,kde, and network when [graph] osm_file is set].",
)
@click.option(
    "--grid",
    "grid",
    multiple=True,
    metavar="KEY=V1,V2",
    help="A parameter to sweep, e.g. --grid eps_m=100,150,200 (repeatable); replaces that key "
    "of [hotspots] sweep. Values are read as the setting's type (true/false, numbers, HH:MM).",
)
@click.option(
    "--periods",
    type=click.IntRange(min=1),
    default=None,
    help="Rolling test periods [default: [hotspots] backtest_periods].",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for tune.csv and tune.png (default: <maps>/<area>/tune).",
)
@pass_state
@_handle_errors
def tune(
    state: _State, methods: str | None, grid: tuple[str, ...], periods: int | None,
    out_dir: Path | None,
) -> None:  # fmt: skip
    """Backtest hotspot methods and parameters; print a ranked table (hit rate, PAI, PEI).

    Every table includes a naive baseline (last period's counts per grid cell). Runs offline:
    without [graph] osm_file, the methods that need the street graph (network) are left out
    unless you ask for them.

    \b
    Example:
      corridors -c data/rutland.toml tune --grid eps_m=100,200 --periods 6
    """
    from corridors import hotspots, pipeline
    from corridors.config import parse_grid, sweep_value

    cfg = state.config()
    sweep = {**cfg.hotspots.sweep, **parse_grid(grid, flag="--grid")}
    if methods is not None:
        asked = [sweep_value("method", m, "--methods") for m in methods.split(",") if m.strip()]
        if not asked:
            raise CorridorsError("--methods: name at least one of dbscan, hdbscan, kde, network")
    elif "method" in sweep:
        asked = list(sweep["method"])
    else:
        asked = None  # the default: every method that can run here
    offline_graph = cfg.graph.osm_file is not None
    online_graph = cfg.graph.place is not None or cfg.graph.point is not None
    method_list = list(dict.fromkeys(asked or TUNE_METHODS))
    need_graph = [m for m in method_list if m in GRAPH_METHODS]
    if need_graph and not offline_graph:
        if asked is None:
            method_list = [m for m in method_list if m not in GRAPH_METHODS]
            click.echo(
                f"Note: skipped {', '.join(need_graph)}: it needs the street graph and [graph] "
                "osm_file is not set (set it to an OSM extract to include it)"
            )
        elif not online_graph:
            raise CorridorsError(
                f"tune: {', '.join(need_graph)} needs the street graph, and [graph] osm_file is "
                "not set: set [graph] osm_file to an OSM extract of the area, or compare the "
                "other methods (--methods dbscan,hdbscan,kde)"
            )
    sweep["method"] = method_list
    inputs = pipeline.read_inputs(cfg)
    street = (
        pipeline.build_graph(cfg, inputs) if any(m in GRAPH_METHODS for m in method_list) else None
    )
    table = hotspots.tune(
        inputs.incidents,
        cfg.hotspots,
        grid=sweep,
        timezone=inputs.timezone,
        study_area=inputs.study_area,
        street=street,
        periods=periods,
    )
    if out_dir is not None:
        paths = hotspots.write_backtest(table, out_dir)
    else:
        with pipeline.locked(cfg, "tune"):
            paths = hotspots.write_backtest(table, pipeline.week_folder(cfg).tune)
    n_periods = int(table["periods"].max()) if len(table) else 0
    click.echo(
        f"Backtest of {len(table) - 1} configuration(s) ({', '.join(method_list)}) over "
        f"{n_periods} test periods"
    )
    click.echo(hotspots.format_backtest(table))
    for p in paths:
        click.echo(f"Wrote {p}")


TUNE_METHODS = ("dbscan", "hdbscan", "kde", "network")
GRAPH_METHODS = frozenset({"network"})  # methods that need the street graph


# -- routes, roster, plan -------------------------------------------------------------------


@cli.command()
@click.option("--week", help="ISO week to plan, e.g. 2022-W45 (overrides [area] week).")
@pass_state
@_handle_errors
def plan(state: _State, week: str | None) -> None:
    """Plan the week: load, graph, hotspots, corridors, loops, roster, maps.

    Writes everything to <maps>/<area>/<ISO week>/.

    \b
    Example:
      corridors -c data/rutland.toml plan
    """
    cfg = override(state.config(), "area", week=week)
    from corridors import pipeline

    t = time.perf_counter()
    with pipeline.locked(cfg, "plan"), _progress_bar("plan") as progress:
        result = pipeline.run(cfg, progress=progress)
        paths = pipeline.write_plan(result)
    _echo_plan_summary(result, paths, time.perf_counter() - t)


def _echo_plan_summary(result: Any, paths: list[Path], elapsed_s: float) -> None:
    from corridors import load

    click.echo(load.summarise(result.reports))
    plan = result.plan
    patrolled = (
        plan.corridors[plan.corridors["patrolled"]] if len(plan.corridors) else plan.corridors
    )
    click.echo(
        f"\n{len(plan.corridors)} corridors ({len(patrolled)} patrolled), "
        f"{len(plan.loops)} patrol loops, "
        f"{len(result.spots.polygons)} hotspots ({result.spots.method})"
    )
    loops_of: dict[str, list[Any]] = {}
    for lp in plan.loops.itertuples(index=False):
        loops_of.setdefault(lp.corridor_id, []).append(lp)
    for row in plan.corridors.itertuples(index=False):
        names = str(row.school_names).replace(";", " + ")
        line = f"  {row.corridor_id} {names}: {row.incidents} incident" + "s" * (row.incidents != 1)
        for lp in loops_of.get(str(row.corridor_id), []):
            line += (
                f"; loop {lp.loop_id} {lp.length_m / 1000:.1f} km, {lp.duration_min:.0f} min "
                f"from {lp.meeting_point} at {lp.start_time}, {lp.risk_share:.0%} of its risk"
            )
        click.echo(line)
    for row in plan.unpatrolled.itertuples(index=False):
        click.echo(f"  no patrol: {row.name}: {row.reason}")
    for note in (*result.notes, *result.spots.notes, *plan.notes):
        click.echo(f"Note: {note}")
    if result.rota is not None:
        rota = result.rota
        filled = int(rota.slots["filled"].sum()) if len(rota.slots) else 0
        click.echo(
            f"Roster: {filled}/{len(rota.slots)} patrol slots filled "
            f"({rota.status}, gap {rota.gap:.1%})"
        )
        for problem in rota.problems:
            click.echo(f"  {problem}")
    click.echo(f"\nWrote {len(paths)} files to {result.out_dir} in {elapsed_s:.1f} s")
    for name in ("internal.html", "shared.html"):
        click.echo(f"  {result.out_dir / name}")


@cli.command("roster")
@click.option("--week", help="ISO week, e.g. 2022-W45 (overrides [area] week).")
@click.option("--absent", help="Staff id of a person who is away: re-plan around them.")
@click.option(
    "--on",
    "on_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="With --absent: the first day they are away (default: the whole week).",
)
@click.option(
    "--staff",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A staff CSV instead of the config's (e.g. updated availability).",
)
@pass_state
@_handle_errors
def roster_cmd(
    state: _State, week: str | None, absent: str | None, on_date: Any, staff: Path | None
) -> None:
    """Roster the week's patrol loops, or re-plan it after an absence with minimal changes.

    \b
    Examples:
      corridors -c data/rutland.toml roster
      corridors -c data/rutland.toml roster --absent P03 --on 2022-11-09
    """
    from corridors import load, pipeline, roster

    cfg = override(override(state.config(), "area", week=week), "roster", staff=staff)
    if cfg.roster.staff is None and not cfg.roster.people:
        raise CorridorsError(
            "no staff: set [roster] staff (a CSV) or [[roster.people]] in the config"
        )
    if on_date is not None and absent is None:
        raise CorridorsError("--on goes with --absent: say who is away (--absent ID)")
    plan_week = cfg.area.plan_week()
    week_start, week_end = plan_week.start, plan_week.end
    folder = pipeline.week_folder(cfg)
    with pipeline.locked(cfg, "roster"):
        if absent is None:
            result = pipeline.run(cfg)
        else:
            current = folder.file("roster.csv")
            if not current.exists():
                raise CorridorsError(
                    f"{current}: no roster for this week yet; run 'corridors plan' first"
                )
            start = on_date.date() if on_date is not None else week_start
            if not week_start <= start <= week_end:
                raise CorridorsError(
                    f"--on {start} is not in week {plan_week} "
                    f"({week_start} to {week_end}); pass --week too"
                )
            before = roster.read_roster(current)
            result = pipeline.run(cfg, make_rota=False)
            if result.staff is None:
                raise CorridorsError("no staff were loaded: check [roster] staff")
            res = roster.replan(
                before, result.staff, absent, start, cfg.roster, corridors=result.plan
            )
            result = dataclasses.replace(
                result,
                rota=res.roster,
                absences=(*result.absences, pipeline.Absence(absent, start, week_end)),
            )
            click.echo(f"Re-planned without {absent} from {start}: {len(res.messages)} change(s)")
            for message in res.messages:
                click.echo(f"  {message}")
        if result.rota is None or result.staff is None:
            raise CorridorsError("no roster was made: check [roster] staff")
        paths = pipeline.write_plan(result)
    click.echo(load.summarise(result.staff.reports))
    filled = int(result.rota.slots["filled"].sum()) if len(result.rota.slots) else 0
    click.echo(f"Roster: {filled}/{len(result.rota.slots)} slots filled ({result.rota.status})")
    for problem in result.rota.problems:
        click.echo(f"  {problem}")
    click.echo(f"Wrote {len(paths)} files to {folder.path} (maps, roster, calendars, manifest)")


@cli.command()
@click.argument("week_folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_handle_errors
def verify(week_folder: Path) -> None:
    """Check a week's folder against its manifest: every file, its SHA-256, nothing extra.

    Exits 1 and lists the files that differ.

    \b
    Example:
      corridors verify maps/rutland/2022-W45
    """
    from corridors import publish

    problems = publish.verify_week(week_folder)
    if problems:
        for line in problems:
            click.echo(f"  {line}")
        raise CorridorsError(
            f"{week_folder}: {len(problems)} file(s) differ from the manifest: not the plan "
            "it describes (re-run the plan for the week)"
        )
    manifest = publish.read_manifest(week_folder)
    click.echo(
        f"OK: {week_folder}: {len(manifest['files'])} files match the manifest of run "
        f"{manifest.get('run_id')}"
    )


@cli.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("docs"),
    show_default=True,
    help="Folder for the PNG screenshots.",
)
@pass_state
@_handle_errors
def screenshots(state: _State, out_dir: Path) -> None:
    """Plan the week, then screenshot both maps in headless Chromium (for the README).

    \b
    Example:
      corridors -c data/rutland.toml screenshots --out docs
    """
    from corridors import maps, pipeline

    cfg = state.config()
    with pipeline.locked(cfg, "screenshots"):
        result = pipeline.run(cfg)
        pipeline.write_plan(result)
    for name in ("internal", "shared"):
        png = maps.take_screenshot(result.out_dir / f"{name}.html", out_dir / f"map-{name}.png")
        click.echo(f"Wrote {png}")
    patrolled = result.plan.corridors[result.plan.corridors["patrolled"]]
    if len(patrolled):  # close-up of the riskiest corridor (ids run by decreasing risk)
        top = patrolled.sort_values("corridor_id").iloc[:1]
        west, south, east, north = top.buffer(150).to_crs("EPSG:4326").total_bounds
        png = maps.take_screenshot(
            result.out_dir / "internal.html",
            out_dir / "map-internal-corridor.png",
            bounds=(south, west, north, east),
        )
        click.echo(f"Wrote {png}")


def main() -> None:  # pragma: no cover - console entry point
    """Run the CLI; SIGTERM unwinds like Ctrl-C, so a stopped run removes its staging."""

    def _stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _stop)
    cli()
