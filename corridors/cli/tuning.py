"""Commands about hotspots: ``hotspots`` (the week's clusters) and ``tune`` (backtests)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import click

from corridors.cli.app import _handle_errors, _State, cli, pass_state
from corridors.config import Config, override
from corridors.errors import CorridorsError

# -- hotspots and tune --------------------------------------------------------------------


@cli.command("hotspots")
@click.option(
    "--method",
    type=click.Choice(["dbscan", "hdbscan", "kde", "network", "blend", "learned"]),
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
    if method is not None:  # named on the command line: not tune's recorded choice
        cfg = dataclasses.replace(cfg, hotspots_method_auto=False)
    cfg, source = pipeline.choose_hotspot_method(cfg)
    inputs = pipeline.read_inputs(cfg)
    street = pipeline.build_graph(cfg, inputs) if cfg.hotspots.method == "network" else None
    spots = pipeline.find_hotspots(cfg, inputs, street, method_source=source)
    # a folder of its own: the week's plan keeps the hotspots its corridors were built on
    with pipeline.locked(cfg, "hotspots"):
        paths = hotspots.write_hotspots(spots, pipeline.week_folder(cfg).hotspots(spots.method))
    click.echo(
        f"{len(spots.polygons)} hotspots ({spots.method}) from {len(spots.selected):,} incidents"
    )
    click.echo(source)
    for note in spots.notes:
        click.echo(f"Note: {note}")
    for p in paths:
        click.echo(f"Wrote {p}")


@cli.command()
@click.option(
    "--methods",
    default=None,
    help="Comma-separated methods to compare [default: the methods of [hotspots] sweep, else "
    "dbscan,hdbscan,kde,blend,learned, and network when [graph] osm_file is set].",
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
    "--period",
    type=click.Choice(["auto", "week", "month"]),
    default="auto",
    show_default=True,
    help="Length of each test period; auto: weeks when most incidents have times, else months.",
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
    period: str, out_dir: Path | None,
) -> None:  # fmt: skip
    """Backtest hotspot methods and parameters; print a ranked table (hit rate, PAI, PEI).

    Every table includes the baselines: naive (last period's counts per grid cell), counts
    (the training periods' counts per cell, in the window) and, when times are known, counts
    on all hours; the best of them is the bar. PAI has a 95% bootstrap interval over the test
    periods, each method its ratio to the bar (paired interval), and with [graph] osm_file a
    PAI over street length. The best method is recorded in <maps>/<area>/hotspots-choice.json,
    which `plan` uses when [hotspots] method is "auto" or not set. Runs offline: without
    [graph] osm_file, the methods that need the street graph (network) are left out unless
    you ask for them.

    \b
    Example:
      corridors -c data/rutland.toml tune --grid eps_m=100,200 --periods 6
    """
    from corridors import hotspots, pipeline
    from corridors.config import parse_grid

    cfg = state.config()
    sweep = {**cfg.hotspots.sweep, **parse_grid(grid, flag="--grid")}
    method_list = _methods_to_tune(cfg, methods, sweep)
    sweep["method"] = method_list
    inputs = pipeline.read_inputs(cfg)
    # the street graph for the network method, and for PAI over street length when offline
    need_street = any(m in GRAPH_METHODS for m in method_list) or cfg.graph.osm_file is not None
    street = pipeline.build_graph(cfg, inputs) if need_street else None
    table = hotspots.tune(
        inputs.incidents,
        cfg.hotspots,
        grid=sweep,
        timezone=inputs.timezone,
        study_area=inputs.study_area,
        street=street,
        periods=periods,
        period=period,
        places=(inputs.schools, inputs.hubs),
    )
    choice = _choice(table, inputs.incidents)
    folder = pipeline.week_folder(cfg)
    with pipeline.locked(cfg, "tune"):
        paths = hotspots.write_backtest(table, out_dir or folder.tune)
        if choice is not None:
            paths.append(hotspots.write_choice(choice, folder.hotspots_choice))
    n_periods = int(table["periods"].max()) if len(table) else 0
    n_configs = int((~table["method"].isin(list(hotspots.BASELINES))).sum())
    click.echo(
        f"Backtest of {n_configs} configuration(s) ({', '.join(method_list)}) and "
        f"{len(table) - n_configs} baselines over {n_periods} test periods"
    )
    if street is None:
        click.echo("Note: no street graph ([graph] osm_file not set): area PAI only")
    click.echo(hotspots.format_backtest(table))
    warning = hotspots.choice_warning(choice) if choice is not None else None
    if warning:
        click.echo(warning)
    if choice is not None and choice.get("baseline"):
        click.echo(
            f"No method beat the bar: {choice['label']} is recorded for plan (method counts; "
            f"the best method, {choice.get('best_method')}, scored "
            f"x{choice.get('best_method_vs_best_baseline') or float('nan'):.2f} of it)"
        )
    for p in paths:
        click.echo(f"Wrote {p}")


def _choice(table: Any, incidents: Any) -> dict[str, Any] | None:
    """Return the record of the table's best row for ``plan``, baselines included."""
    import datetime as dt

    from corridors import hotspots
    from corridors.load import MONTH

    months = incidents[MONTH].dropna().astype(str) if MONTH in incidents else []
    first, last = (min(months), max(months)) if len(months) else ("", "")
    period = "week" if table["time_note"].str.contains("times known").any() else "month"
    return hotspots.choice_from_table(
        table,
        data_range=(first, last),
        written_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        period=period,
    )


def _methods_to_tune(cfg: Config, methods: str | None, sweep: dict[str, Any]) -> list[str]:
    """Return the methods ``tune`` compares: asked for, else every one that can run here."""
    from corridors.config import sweep_value

    if methods is not None:
        asked = [sweep_value("method", m, "--methods") for m in methods.split(",") if m.strip()]
        if not asked:
            raise CorridorsError(
                "--methods: name at least one of dbscan, hdbscan, kde, network, blend, learned"
            )
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
    return method_list


TUNE_METHODS = ("dbscan", "hdbscan", "kde", "network", "blend", "learned")
GRAPH_METHODS = frozenset({"network"})  # methods that need the street graph
