"""The ``evaluate`` command: targeting, effect, dosage (and equality) over planned weeks."""

from __future__ import annotations

from pathlib import Path

import click

from corridors.cli.app import _handle_errors, _State, cli, pass_state


@cli.command("evaluate")
@click.option("--from", "first", required=True, help="First ISO week to evaluate, e.g. 2022-W40.")
@click.option("--to", "last", required=True, help="Last ISO week to evaluate, e.g. 2022-W45.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the reports and CSVs [default: <maps>/<area>/evaluations/<from>_<to>].",
)
@pass_state
@_handle_errors
def evaluate_cmd(state: _State, first: str, last: str, out_dir: Path | None) -> None:
    """Evaluate the planned weeks: targeting, effect, dosage; equality with [equality].

    Reads the weeks from <maps>/<area>/plans.gpkg, checks each week's folder against its
    manifest (a week changed since it was published is refused), and writes report.html
    (the team's), public.html (nothing below k, no incident locations) and the figures as
    CSV.

    \b
    Example:
      corridors -c data/rutland.toml evaluate --from 2022-W42 --to 2022-W45
    """
    from corridors import evaluate, publish

    cfg = state.config()
    ev, plans = evaluate.run_evaluation(cfg, first, last)
    folder = out_dir or evaluate.evaluation_dir(cfg, first, last)
    with publish.area_lock(publish.area_dir(cfg.maps.out_dir, cfg.area.name), command="evaluate"):
        paths = evaluate.write_evaluation(ev, cfg, folder, plans=plans)
    click.echo(f"Evaluated {len(ev.weeks)} planned weeks: {', '.join(ev.weeks)}")
    for _, row in ev.targeting.iterrows():
        week = str(row["week"])
        if not row["incidents"]:
            click.echo(f"  {week}: no incident data for this week")
            continue
        click.echo(
            f"  {week}: {row['patrolled_share']:.1%} of {row['incidents']:.1f} incidents on "
            f"{row['patrolled_km']:.1f} km patrolled; top hotspots of the same km: "
            f"{row['hotspot_share']:.1%}"
        )
    if ev.effect is not None:
        p = ev.effect.patrolled
        click.echo(
            f"  difference in differences: {p.estimate:+.3f} incidents per street "
            f"({p.level:.0%} interval {p.low:+.3f} to {p.high:+.3f})"
        )
    for note in ev.notes:
        click.echo(f"Note: {note}")
    click.echo(f"Wrote {len(paths)} files to {folder}")
