"""Commands that plan and publish a week: ``plan``, ``roster``, ``verify``, ``screenshots``."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from corridors.cli.app import _handle_errors, _progress_bar, _State, cli, pass_state
from corridors.config import (
    override,
)
from corridors.errors import CorridorsError

if TYPE_CHECKING:
    import pandas as pd

# -- routes, roster, plan -------------------------------------------------------------------


@cli.command()
@click.option("--week", help="ISO week to plan, e.g. 2022-W45 (overrides [area] week).")
@click.option(
    "--areas",
    "many",
    is_flag=True,
    help="Plan the area config files listed (CONFIGS), each as a Dask task.",
)
@click.option(
    "--workers",
    type=int,
    help="Processes: with --areas, the local Dask workers (default: one per core); else the "
    "patrol-loop solver's and a big week's page and notice writers' (0 = every core; "
    "overrides [corridors] workers).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="With --areas: an existing Dask cluster's scheduler, e.g. tcp://host:8786.",
)
@click.argument("configs", nargs=-1, type=click.Path(path_type=Path))
@pass_state
@_handle_errors
def plan(
    state: _State,
    week: str | None,
    many: bool,
    workers: int | None,
    scheduler: str | None,
    configs: tuple[Path, ...],
) -> None:
    """Plan the week: load, graph, hotspots, corridors, loops, roster, maps.

    Writes everything to <maps>/<area>/<ISO week>/.

    With --areas, plans each config file listed (one area each) as its own Dask task, in
    parallel on local processes or on the cluster of --scheduler: every config is checked
    first (two naming the same area folder are an error); each area writes its own week as
    a plan of it alone would; one that fails costs no other. Prints a line per area and exits
    1 if any failed.

    \b
    Examples:
      corridors -c data/rutland.toml plan
      corridors plan --areas north.toml south.toml --workers 2
      corridors plan --areas areas/*.toml --scheduler tcp://scheduler-host:8786
    """
    if many:
        if workers is not None and workers < 0:
            raise CorridorsError(f"--workers must be >= 0 (0 = one per core), got {workers}")
        _plan_areas(state, week, configs, workers or None, scheduler)
        return
    if configs or scheduler is not None:
        raise CorridorsError(
            "config files and --scheduler go with --areas: "
            "corridors plan --areas A.toml B.toml (one area: corridors -c A.toml plan)"
        )
    cfg = override(state.config(), "area", week=week)
    cfg = override(cfg, "corridors", workers=workers)
    from corridors import pipeline

    t = time.perf_counter()
    with pipeline.locked(cfg, "plan"), _progress_bar("plan") as progress:
        result = pipeline.run(cfg, progress=progress)
        t_write = time.perf_counter()
        paths = pipeline.write_plan(result)
    stage_s = {**result.timings_s, "writing": time.perf_counter() - t_write}
    _echo_plan_summary(result, paths, time.perf_counter() - t, stage_s)


def _plan_areas(
    state: _State,
    week: str | None,
    configs: tuple[Path, ...],
    workers: int | None,
    scheduler: str | None,
) -> None:
    """``plan --areas``: every area as a Dask task, then a line per area."""
    if state.config_path is not None:
        raise CorridorsError("--config names one area; with --areas, list every area's config")
    import distributed  # its import sets its loggers to INFO: one line per worker event

    from corridors import areas

    if logging.getLogger().level > logging.DEBUG:  # -vv shows them
        logging.getLogger(distributed.__name__).setLevel(logging.WARNING)
    t = time.perf_counter()
    cfgs = areas.read_areas(configs, week)
    where = f"the Dask cluster at {scheduler}" if scheduler else "local processes"
    click.echo(f"Planning {len(cfgs)} areas on {where}", err=True)
    with _progress_bar("plan --areas") as progress:
        done = None if progress is None else (lambda n, total: progress("areas", n, total))
        outcomes = areas.plan_areas(cfgs, workers=workers, scheduler=scheduler, done=done)
    for outcome in outcomes:
        click.echo(f"  {outcome.line()}")
    failed = [o.area for o in outcomes if not o.ok]
    click.echo(
        f"\nPlanned {len(outcomes) - len(failed)} of {len(outcomes)} areas "
        f"in {time.perf_counter() - t:.1f} s"
    )
    if failed:
        raise CorridorsError(f"{len(failed)} of {len(outcomes)} areas failed: {', '.join(failed)}")


def _echo_plan_summary(
    result: Any, paths: list[Path], elapsed_s: float, stage_s: dict[str, float] | None = None
) -> None:
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
    lines = []
    for row in plan.corridors.itertuples(index=False):
        names = str(row.school_names).replace(";", " + ")
        line = f"  {row.corridor_id} {names}: {row.incidents} incident" + "s" * (row.incidents != 1)
        for lp in loops_of.get(str(row.corridor_id), []):
            line += (
                f"; loop {lp.loop_id} {lp.length_m / 1000:.1f} km, {lp.duration_min:.0f} min "
                f"from {lp.meeting_point} at {lp.start_time}, {lp.risk_share:.0%} of its risk"
            )
        lines.append(line)
    _echo_first(lines, "corridors: every one in corridors.geojson and loops.csv")
    _echo_first(
        [f"  no patrol: {row.name}: {row.reason}" for row in plan.unpatrolled.itertuples()],
        "schools without a patrol: each with its reason in unpatrolled.csv",
    )
    for note in (*result.notes, *result.spots.notes, *plan.notes):
        click.echo(f"Note: {note}")
    if result.rota is not None:
        rota = result.rota
        filled = int(rota.slots["filled"].sum()) if len(rota.slots) else 0
        click.echo(
            f"Roster: {filled}/{len(rota.slots)} patrol slots filled "
            f"({rota.status}, gap {rota.gap:.1%}){_unfilled_by_day(rota.slots)}"
        )
        _echo_first(
            [f"  {problem}" for problem in rota.problems],
            "roster problems: every one in problems.txt (and each slot in roster-slots.csv)",
        )
    click.echo(f"\nWrote {len(paths)} files to {result.out_dir} in {elapsed_s:.1f} s")
    for name in ("internal.html", "shared.html"):
        click.echo(f"  {result.out_dir / name}")
    notices = sorted((result.out_dir / "notice").glob("*.pdf"))
    if notices:
        click.echo(f"  {result.out_dir / 'notice'}/ ({len(notices)} printed notices, A4 PDF)")
    if stage_s and click.get_current_context().find_root().params.get("verbose"):  # -v
        times = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in stage_s.items())
        click.echo(f"Stage times: {times} (total {elapsed_s:.1f} s)")


#: At most this many lines of each list (corridors, schools without a patrol, roster problems)
#: reach the terminal; the week's files hold every one (a city's plan has thousands).
SHOWN_LINES = 15


def _echo_first(lines: Sequence[str], more: str) -> None:
    """Echo the first :data:`SHOWN_LINES` of ``lines``, then how many more and where they are."""
    for line in lines[:SHOWN_LINES]:
        click.echo(line)
    if len(lines) > SHOWN_LINES:
        click.echo(f"  ... and {len(lines) - SHOWN_LINES:,} more {more}")


def _unfilled_by_day(slots: pd.DataFrame) -> str:
    """``; unfilled: Monday 11, Tuesday 13`` (days in the week's order), or ``""``."""
    if not len(slots) or not {"filled", "day"} <= set(slots.columns):
        return ""
    unfilled = slots.loc[~slots["filled"].astype(bool), "day"].astype(str)
    if not len(unfilled):
        return ""
    counts = unfilled.value_counts(sort=False)  # in the order the days first appear
    return "; unfilled: " + ", ".join(f"{day} {n}" for day, n in counts.items())


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
    """Plan the week, then screenshot both maps (and the shared one on a phone) for the README.

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
    phone = out_dir / "map-shared-phone.png"  # the shared page as most parents open it
    png = maps.take_screenshot(result.out_dir / "shared.html", phone, size=(390, 844))
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
