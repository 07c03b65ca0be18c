"""Commands about hotspots: ``hotspots`` (the week's clusters) and ``tune`` (backtests)."""

from __future__ import annotations

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
    from corridors.config import parse_grid

    cfg = state.config()
    sweep = {**cfg.hotspots.sweep, **parse_grid(grid, flag="--grid")}
    method_list = _methods_to_tune(cfg, methods, sweep)
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
        places=(inputs.schools, inputs.hubs),
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
