"""The whole chain on one screen: load -> graph -> hotspots -> corridors -> roster -> maps.

Examples
--------
>>> from corridors.config import load_config
>>> result = run(load_config("data/rutland.toml"))  # doctest: +SKIP
>>> paths = write_plan(result)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from corridors import graph, hotspots, load, maps, publish, roster, routes
from corridors.config import Config, override
from corridors.errors import CorridorsError, describe_os_error
from corridors.evidence import check_usable_incidents, data_age_notes, unknown_school_links
from corridors.outputs import read_csv, write_csv
from corridors.week import PlanWeek, WeekFolder

__all__ = [
    "NO_STAFF_NOTE", "Absence", "Progress", "Result", "build_graph", "check",
    "check_usable_incidents", "choose_hotspot_method", "find_hotspots", "locked", "plan_week",
    "read_inputs", "recorded_absences", "resolve_week", "run", "week_folder", "write_plan",
]  # fmt: skip

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""Progress callback: (stage label, done, total). The CLI draws it; the library never prints."""


@dataclass(frozen=True)
class Absence:
    """A person away from ``first`` to ``last`` (inclusive), recorded by a re-plan."""

    person_id: str
    first: dt.date
    last: dt.date


def resolve_week(cfg: Config, today: dt.date | None = None) -> Config:
    """Return ``cfg`` with ``[area] week = "current"`` fixed to an ISO week, once per run."""
    return override(cfg, "area", week=cfg.area.iso_week(today))


def check(cfg: Config) -> None:
    """
    Check, before any work, what would otherwise fail late: names, languages, the output root.

    Raises
    ------
    CorridorsError
        With the setting to change.
    """
    publish.area_dir(cfg.maps.out_dir, cfg.area.name)
    maps.check_languages(cfg.maps)
    publish.check_output_root(cfg.maps.out_dir)


def week_folder(cfg: Config) -> WeekFolder:
    """Return the planned week's paths (``<maps.out_dir>/<area>/<ISO week>/`` and its area's)."""
    return WeekFolder(cfg.maps.out_dir, cfg.area.name, cfg.area.iso_week())


def plan_week(cfg: Config, inputs: load.Inputs) -> PlanWeek:
    """Return the planned week in the area's time zone (``cfg`` resolved by resolve_week)."""
    return cfg.area.plan_week(inputs.timezone)


@contextlib.contextmanager
def locked(cfg: Config, command: str) -> Iterator[None]:
    """
    Hold the area's lock for a command that writes, after finishing what killed runs left.

    Raises
    ------
    corridors.publish.LockedError
        If another run holds the lock for longer than ``publish.LOCK_WAIT_S``.
    """
    check(cfg)
    area = week_folder(cfg).area_dir
    with publish.area_lock(area, command=command):
        try:
            if publish.recover(area):  # a killed run may have left the index behind
                maps.write_index(cfg.maps.out_dir)
        except OSError as exc:
            raise CorridorsError(describe_os_error(exc, area, hint=publish.OUT_HINT)) from exc
        yield


@dataclass(frozen=True)
class Result:
    """Everything one run produced, stage by stage."""

    cfg: Config
    plan_week: PlanWeek
    inputs: load.Inputs
    street: graph.StreetGraph
    spots: hotspots.Hotspots
    plan: routes.Corridors
    rota: roster.Roster | None
    staff: roster.Staff | None
    timings_s: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    absences: tuple[Absence, ...] = ()
    """Absences recorded for this week by re-plans: kept by every later run of the week."""

    @property
    def reports(self) -> tuple[load.SourceReport, ...]:
        """Per-source row counts of every input, staff included."""
        staff = tuple(self.staff.reports) if self.staff is not None else ()
        return (*self.inputs.reports, *staff)

    @property
    def week(self) -> str:
        """The planned ISO week, ``YYYY-Www``."""
        return self.plan_week.iso

    @property
    def week_start(self) -> dt.date:
        """The planned week's Monday."""
        return self.plan_week.start

    @property
    def folder(self) -> WeekFolder:
        """Every path of the planned week."""
        return WeekFolder(self.cfg.maps.out_dir, self.cfg.area.name, self.week)

    @property
    def out_dir(self) -> Path:
        """The week's folder: ``<maps.out_dir>/<area>/<ISO week>/``."""
        return self.folder.path


def read_inputs(cfg: Config) -> load.Inputs:
    """Load and validate every source of the area."""
    return load.load_inputs(cfg)


def build_graph(cfg: Config, inputs: load.Inputs) -> graph.StreetGraph:
    """Build (or load from cache) the walking street graph of the area."""
    return graph.build_street_graph(cfg.graph, crs=inputs.crs, study_area=inputs.study_area)


def choose_hotspot_method(cfg: Config) -> tuple[Config, str]:
    """
    Return ``cfg`` with the hotspot method to use, and where it came from in plain words.

    When the config names no ``[hotspots] method`` (or ``"auto"``), the method and
    parameters ``corridors tune`` recorded in the area's ``hotspots-choice.json`` are used;
    without that file, the default method. A named method is used as it is.

    Raises
    ------
    ConfigError
        Naming the choice file when it cannot be read or names an unknown method.
    """
    method = cfg.hotspots.method
    if not cfg.hotspots_method_auto:
        return cfg, hotspots.describe_choice(None, method)
    path = week_folder(cfg).hotspots_choice
    choice = hotspots.read_choice(path)
    cfg = dataclasses.replace(cfg, hotspots_method_auto=False)
    if choice is None:
        return cfg, hotspots.describe_choice(
            None, method, f"the default: no `corridors tune` choice ({path.name}) for the area"
        )
    chosen = hotspots.apply_choice(cfg.hotspots, choice, str(path))
    source = f"{hotspots.describe_choice(choice, chosen.method)} [{path.name}]"
    return dataclasses.replace(cfg, hotspots=chosen), source


def find_hotspots(
    cfg: Config,
    inputs: load.Inputs,
    street: graph.StreetGraph | None,
    week: PlanWeek | None = None,
    term: hotspots.TermCalendar | None = None,
    method_source: str | None = None,
) -> hotspots.Hotspots:
    """
    Find the week's after-school hotspots; keep last week's ids where clusters persist.

    ``week``: the run's planned week (default: :func:`plan_week`); ``term``: the school
    calendar (default: read from ``[hotspots] term_dates``); ``method_source``: where the
    method came from (default: :func:`choose_hotspot_method` chooses it here).
    """
    if method_source is None:
        cfg, method_source = choose_hotspot_method(cfg)
    # drawn at street scale: what one corridor's loops walk ([corridors] settings)
    drawn = hotspots.draw_length_km(cfg.hotspots, cfg.corridors)
    spots = hotspots.find_hotspots(
        inputs.incidents,
        dataclasses.replace(cfg.hotspots, draw_street_km=drawn),
        week=week or plan_week(cfg, inputs),
        window=cfg.stage_window("hotspots"),
        term=term,
        street=street,
        study_area=inputs.study_area,
        previous=_previous_hotspots(cfg),
        places=(inputs.schools, inputs.hubs),
    )
    return dataclasses.replace(spots, method_source=method_source)


ABSENCES_CSV = "absences.csv"


def recorded_absences(cfg: Config) -> tuple[Absence, ...]:
    """Return the absences recorded for the planned week by earlier re-plans."""
    path = week_folder(cfg).file(ABSENCES_CSV)
    if not path.exists():
        return ()
    try:
        rows = read_csv(path, dtype=str, keep_default_na=False)
        return tuple(
            Absence(
                str(r.person_id),
                dt.date.fromisoformat(str(r.first_date)),
                dt.date.fromisoformat(str(r.last_date)),
            )
            for r in rows.itertuples(index=False)
        )
    except (ValueError, AttributeError, pd.errors.ParserError) as exc:
        raise CorridorsError(
            f"{path}: cannot read the recorded absences ({exc}); fix the file or remove it "
            "(person_id, first_date, last_date)"
        ) from exc


def _with_absences(staff: roster.Staff, absences: tuple[Absence, ...]) -> roster.Staff:
    """Return ``staff`` with the recorded absences applied."""
    for a in absences:
        staff = roster.add_absence(staff, a.person_id, a.first, a.last)
    return staff


def _write_absences(absences: tuple[Absence, ...], path: Path) -> Path:
    rows = pd.DataFrame(
        [(a.person_id, a.first.isoformat(), a.last.isoformat()) for a in absences],
        columns=["person_id", "first_date", "last_date"],
    ).drop_duplicates()
    return write_csv(rows, path)


def _last_week_file(cfg: Config, name: str) -> Path | None:
    """Return ``name`` in last week's folder, if that week was planned."""
    path = week_folder(cfg).previous().file(name)
    return path if path.exists() else None


def _previous_hotspots(cfg: Config) -> gpd.GeoDataFrame | None:
    """Return last week's hotspot polygons, so persisting hotspots keep their ids."""
    path = _last_week_file(cfg, "hotspots.geojson")
    if path is None:
        return None
    try:
        return gpd.read_file(path)
    except Exception as exc:  # a damaged file only costs id continuity
        warnings.warn(f"{path}: cannot read last week's hotspots ({exc}); new ids", stacklevel=2)
        return None


def run(cfg: Config, *, progress: Progress | None = None, make_rota: bool = True) -> Result:
    """
    Run every stage for the configured area and week.

    Parameters
    ----------
    cfg
        The area's configuration.
    progress
        Optional callback ``(stage, done, total)`` for long stages.
    make_rota
        Solve the week's roster (False: load the staff but leave ``rota`` empty, for a
        re-plan of an existing roster).

    Returns
    -------
    Result
        Inputs, street graph, hotspots, corridors and loops, roster; ``timings_s`` holds each
        stage's time. A run that fails logs (info) the stage times it reached.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    try:
        return _run_stages(cfg, timings, progress, make_rota)
    except BaseException:
        done = ", ".join(f"{stage} {s:.1f} s" for stage, s in timings.items()) or "none"
        logger.info("Run stopped after %.1f s; stages done: %s", time.perf_counter() - started,
                    done)  # fmt: skip
        raise


def _run_stages(
    cfg: Config, timings: dict[str, float], progress: Progress | None, make_rota: bool
) -> Result:
    """Run every stage (see :func:`run`), adding each stage's time to ``timings`` as it ends."""
    cfg = resolve_week(cfg)  # one week for the whole run, even across midnight on Sunday
    check(cfg)
    cfg, method_source = choose_hotspot_method(cfg)  # tune's recorded choice, or the config's

    t = time.perf_counter()
    inputs = read_inputs(cfg)
    week = plan_week(cfg, inputs)  # fixed once, passed to every stage
    term = hotspots.term_calendar(cfg.hotspots)
    routes.check_schools_in_scope(inputs.schools, cfg.corridors)
    check_usable_incidents(cfg, inputs, week, term)
    timings["load"] = time.perf_counter() - t

    t = time.perf_counter()
    street = build_graph(cfg, inputs)
    timings["graph"] = time.perf_counter() - t

    t = time.perf_counter()
    spots = find_hotspots(cfg, inputs, street, week, term, method_source)
    timings["hotspots"] = time.perf_counter() - t

    t = time.perf_counter()
    route_progress = None
    if progress is not None:

        def route_progress(done: int, total: int) -> None:
            progress("corridors", done, total)

    plan = routes.plan_corridors(
        street,
        load.with_homes(inputs, cfg.graph.osm_file),
        spots,
        cfg.corridors,
        week=week,
        window=cfg.stage_window("corridors"),
        progress=route_progress,
    )
    timings["corridors"] = time.perf_counter() - t

    t = time.perf_counter()
    has_staff = cfg.roster.staff is not None or bool(cfg.roster.people)
    staff = roster.staff_for_config(cfg.roster) if has_staff else None
    absences = recorded_absences(cfg)
    if staff is not None:
        staff = _with_absences(staff, absences)
    rota = None
    if staff is not None and make_rota:
        previous_csv = cfg.roster.previous or _last_week_file(cfg, "roster.csv")
        previous = roster.read_roster(previous_csv) if previous_csv else None
        rota = roster.make_roster(
            plan,
            staff,
            cfg.roster,
            week_start=week.start,
            previous=previous,
            timezone=inputs.timezone,
        )
    timings["roster"] = time.perf_counter() - t

    logger.info("Planned %s %s in %.1f s", cfg.area.name, week, sum(timings.values()))
    notes = data_age_notes(inputs, week.start, week.lookback_weeks)
    notes += unknown_school_links(staff, inputs)
    if not has_staff:
        notes += (NO_STAFF_NOTE,)
    return Result(cfg, week, inputs, street, spots, plan, rota, staff, timings, notes, absences)


NO_STAFF_NOTE = "no staff file: no roster; set [roster] staff to roster the week"
"""The plan note (manifest ``plan_notes``, the CLI summary) of a week planned without staff."""


def write_plan(result: Result) -> list[Path]:
    """
    Publish the week's folder whole, then update the history and the index.

    The folder (rejects, hotspots, corridor and roster exports, calendars, maps, absences,
    ``manifest.json`` listing every file with its SHA-256 and the run id) is built in a
    staging folder, checked and swapped in (:mod:`corridors.publish`), under the area's lock.
    On any failure the previous week's folder is left as it was.

    Returns
    -------
    list of Path
        Every file of the published week, then the history and the index.

    Raises
    ------
    CorridorsError
        One line naming the path and what to do, for any fault while writing.
    """
    cfg = result.cfg
    folder = result.folder
    final = folder.path
    run_id = publish.new_run_id()
    with locked(cfg, "plan"):
        try:
            with publish.staged_week(final, run_id=run_id) as stage:
                _write_week_files(result, stage)
                maps.append_history(
                    folder.history,
                    week=result.week,
                    corridors=result.plan,
                    rota=result.rota,
                    spots=result.spots,
                    into=folder.pending_history(run_id),
                )
                doc = maps.manifest_doc(
                    cfg=cfg,
                    reports=result.reports,
                    extra=_manifest_facts(result),
                )
                publish.write_manifest(stage, doc, run_id=run_id)
                publish.publish_week(stage, final)
            history = publish.commit_history(folder.area_dir, run_id)
            index = maps.write_index(cfg.maps.out_dir)
        except OSError as exc:
            folder.pending_history(run_id).unlink(missing_ok=True)
            hint = f"{publish.OUT_HINT}; the week's last published plan is unchanged"
            raise CorridorsError(describe_os_error(exc, final, hint=hint)) from exc
    files = [final / name for name in publish.read_manifest(final)["files"]]
    written = [*files, folder.manifest, *([history] if history else []), index]
    logger.info("Published %s (%d files, run %s)", final, len(files) + 1, run_id)
    return written


def _write_week_files(result: Result, folder: Path) -> None:
    """Write every file of the week into ``folder`` (the staging folder).

    The stages' tables and calendars are written while worker processes draw a big week's
    part pages and notices (``maps.write_week``'s ``meanwhile``), not before they start.
    """

    def exports() -> None:
        load.write_rejects(_all_rejects(result), folder / "rejects.csv")
        hotspots.write_hotspots(result.spots, folder)
        routes.write_corridor_exports(result.plan, folder)
        if result.rota is not None:
            roster.write_roster_exports(result.rota, result.plan, folder)
        if result.absences:
            _write_absences(result.absences, folder / ABSENCES_CSV)

    maps.write_week(
        folder,
        inputs=dataclasses.replace(result.inputs, reports=result.reports),
        street=result.street,
        spots=result.spots,
        corridors=result.plan,
        rota=result.rota,
        config=result.cfg,
        week=result.week,
        meanwhile=exports,
    )


def _manifest_facts(result: Result) -> dict[str, object]:
    """Return what produced this plan: week, config file, graph, method, parameters."""
    cfg = result.cfg
    return {
        "week": result.week,
        "area": cfg.area.name,
        "street_source": result.street.source,
        "street_sha256": result.street.source_sha256,
        "notes": [*result.spots.notes, *result.plan.notes],
        "absences": [dataclasses.asdict(a) for a in result.absences],
        "week_start": result.week_start.isoformat(),
        "config_file": str(cfg.source_file) if cfg.source_file else None,
        "graph": graph.graph_stats(result.street),
        "hotspots": {
            "method": result.spots.method,
            "method_source": result.spots.method_source,
            "params": result.spots.params,
            "time_known": result.spots.time_known,
        },
        "roster": None
        if result.rota is None
        else {
            "status": result.rota.status,
            "objective": result.rota.objective,
            "bound": result.rota.bound,
            "gap": result.rota.gap,
            "problems": list(result.rota.problems),
        },
        "timings_s": {k: round(v, 3) for k, v in result.timings_s.items()},
        "plan_notes": list(result.notes),
    }


def _all_rejects(result: Result) -> pd.DataFrame:
    frames = [result.inputs.rejects]
    if result.staff is not None:
        frames.append(result.staff.rejects)
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(load.REJECT_COLUMNS))
    return pd.concat(frames, ignore_index=True)
