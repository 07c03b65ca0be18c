"""The stage's entry: :func:`plan_corridors` chains the steps and builds :class:`Corridors`.

Steps: the schools in scope and the hubs are snapped to the network; home areas and the
look-back incidents give the demand and the intensity; each school is routed
(:mod:`.corridors`); corridors are merged, numbered by risk, judged on their evidence
(:mod:`.evidence`) and the patrolled ones get loops (:mod:`.loops`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors import load
from corridors.config import RouteConfig
from corridors.errors import EmptyResultError
from corridors.graph import StreetGraph
from corridors.hotspots import Hotspots, SelectionRules, select_incidents
from corridors.routes.corridors import _Corridor, _corridors, _merge_groups, _route_schools
from corridors.routes.evidence import (
    _evidence,
    _reason,
    _segment_intensity,
    _street_list,
    _uses_spots,
    _why_not_patrolled,
    nearest_incident_m,
    uncovered_reason,
)
from corridors.routes.footfall import (
    _home_weights,
    _HomeAreas,
    _Hubs,
    _snap_hubs,
    _street_length_weights,
)
from corridors.routes.loops import (
    _corridor_loops,
    _loop_job,
    _LoopJob,
    _meeting_points,
    _no_loop_reason,
)
from corridors.routes.network import _build_net, _edge_keys, _Net, _snap, _text
from corridors.routes.result import (
    CORRIDOR_COLUMNS,
    CORRIDOR_ID,
    FOOTFALL,
    INCIDENTS,
    INTENSITY,
    LOOP_COLUMNS,
    MONTH_ONLY_NOTE,
    OFFENCES,
    PATROLLED,
    REASON,
    RISK,
    SCHOOL_IDS,
    SCHOOL_NAMES,
    SEGMENT_COLUMNS,
    STREET_ID,
    STREETS,
    TIME_NOTE,
    UNPATROLLED_COLUMNS,
    Corridors,
)
from corridors.routes.solver import Routes, solve_tasks, split_budget
from corridors.routes.starts import _deal_waves, _month_only
from corridors.week import PlanWeek, Window

logger = logging.getLogger(__name__)


def plan_corridors(
    street: StreetGraph,
    inputs: load.Inputs,
    spots: Hotspots | None,
    cfg: RouteConfig,
    *,
    week: PlanWeek,
    window: Window,
    progress: Callable[[int, int], None] | None = None,
) -> Corridors:
    """
    Plan the week's corridors, their risk and evidence, and patrol loops.

    Parameters
    ----------
    street
        The walking :class:`~corridors.graph.StreetGraph` in ``inputs.crs`` (metres).
    inputs
        Schools (SCHOOL_ID, NAME, PHASE), hubs (HUB_ID, NAME, KIND) and incidents
        (OCCURRED_AT, TIME_KNOWN, MONTH, OFFENCE), all in the area's projected CRS; homes
        (``inputs.homes``) weight the home areas.
    spots
        Hotspots of the week; its ``edge_intensity`` (per (u, v, key)) is the incident
        intensity. ``None`` (or an empty intensity) uses a recency-weighted count of
        incidents within ``cfg.incident_buffer_m`` of each street edge.
    cfg
        The ``[corridors]`` settings.
    week
        The planned week: its Monday (the look-back ends the day before), the area's time
        zone (for the after-school window) and the weeks of incidents used as evidence and
        intensity.
    window
        The after-school window (``Config.stage_window("corridors")``): incidents with a
        known time count in it, and loops start in it.
    progress
        Optional callback ``(done, total)`` called after each corridor's loops.

    Returns
    -------
    Corridors
        Corridors, their street segments, patrol loops and unpatrolled schools, in the
        area's CRS.
    """
    net = _build_net(street)
    notes: list[str] = []
    schools = inputs.schools
    in_phase = schools_in_scope(schools, cfg)
    chosen = schools[in_phase]
    if (~in_phase).any():
        notes.append(_phase_skip_note(schools[load.PHASE][~in_phase], cfg.phases))
    school_ids = chosen[load.SCHOOL_ID].astype(str).tolist()
    name_of = dict(zip(school_ids, chosen[load.NAME].astype(str).tolist(), strict=True))
    school_pos, school_snap = _snap(
        net, shapely.get_coordinates(chosen.geometry.to_numpy()), min_component=50
    )
    hubs = _snap_hubs(net, inputs.hubs, cfg.max_snap_m)
    home_w, home_note = _home_weights(inputs.homes, street.crs, net)
    notes.append(home_note)
    recent = lookback_incidents(inputs.incidents, cfg, week, window)
    intensity, intensity_note = _segment_intensity(net, spots, recent, street, cfg)
    notes.append(intensity_note)
    homes = _HomeAreas(home_w, _street_length_weights(net))
    walking = _route_schools(net, school_ids, school_pos, school_snap, homes, hubs, cfg)
    seg_risk = walking.seg_foot * intensity
    corridors = _corridors(
        net, _merge_groups(net, walking.school_segs), walking.school_segs, seg_risk, recent,
        cfg.incident_buffer_m,
    )  # fmt: skip
    ctx = _Context(
        net, street, cfg, window, week.lookback_weeks, name_of, walking.school_node, hubs,
        len(recent),
        _uses_spots(spots), _SegmentScores(walking.seg_foot, intensity, seg_risk),
        nearest_incident_m(chosen, inputs.incidents),
    )  # fmt: skip
    _check_coverage(ctx, corridors)
    judged = _judge_corridors(ctx, corridors, progress)
    unrouted = [(sid, name_of[sid], why) for sid, why in walking.unrouted]
    notes += _evidence_notes(recent, bool(corridors), week)
    result = _assemble(judged, unrouted, street.crs, notes)
    logger.info(
        "Planned corridors: %d schools, %d corridors (%d patrolled), %d loops, "
        "%d schools without a patrol",
        len(chosen), len(result.corridors), int(result.corridors[PATROLLED].sum()),
        len(result.loops), len(result.unpatrolled),
    )  # fmt: skip
    return result


def lookback_incidents(
    incidents: gpd.GeoDataFrame, cfg: RouteConfig, week: PlanWeek, window: Window
) -> gpd.GeoDataFrame:
    """
    Return the look-back incidents the stage uses as evidence (the one selection).

    Every offence counts (weight 1), decayed by age with ``cfg.half_life_weeks``;
    time-known incidents count only in ``window``, month-only ones in the months of the
    look-back. Columns added: WEIGHT, IN_WINDOW, AGE_WEEKS, MINUTE.
    """
    rules = SelectionRules(half_life_weeks=cfg.half_life_weeks)
    return select_incidents(incidents, week, window, rules=rules).table


# -- schools in scope -----------------------------------------------------------------------


def schools_in_scope(schools: pd.DataFrame, cfg: RouteConfig) -> np.ndarray:
    """Return a boolean mask of the schools whose phase is one of ``cfg.phases``."""
    if not len(schools):
        return np.zeros(0, dtype=bool)
    phases = {p.lower() for p in cfg.phases}
    return schools[load.PHASE].astype(str).str.lower().isin(phases).to_numpy()


def check_schools_in_scope(schools: pd.DataFrame, cfg: RouteConfig) -> int:
    """
    Return how many schools a plan covers (their phase is in ``cfg.phases``).

    Raises
    ------
    EmptyResultError
        If there are none: which input is empty and what to set.
    """
    n = int(schools_in_scope(schools, cfg).sum())
    if n:
        return n
    if not len(schools):
        raise EmptyResultError(
            "no schools to plan for: no school was loaded; add a [[schools]] source "
            "(check it with 'corridors validate')"
        )
    phases = schools[load.PHASE].astype(str).str.lower().value_counts()
    found = ", ".join(f"{k} ({v:,})" for k, v in phases.head(6).items())
    raise EmptyResultError(
        f"no schools in scope: {len(schools):,} schools loaded, none with a phase in "
        f"[corridors] phases ({', '.join(cfg.phases)}); their phases: {found}. Set "
        "[corridors] phases to the phases to plan for, or give the schools' phases "
        "(a GIAS extract has them)"
    )


def _phase_skip_note(skipped: pd.Series, phases: Sequence[str]) -> str:
    """
    Say how many schools were left out by ``[corridors] phases``, by phase, and the fix.

    Examples
    --------
    >>> print(_phase_skip_note(pd.Series(["unknown"] * 3 + ["primary"]), ["secondary"]))
    4 schools skipped: phase not in corridors.phases: unknown (3), primary (1); add a phase \
to [corridors] phases to include it (now phases = ["secondary"])
    """
    counts = skipped.astype(str).str.lower().value_counts()
    counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    listed = ", ".join(f"{k} ({v:,})" for k, v in counts.items())
    now = ", ".join(json.dumps(p, ensure_ascii=False) for p in phases)
    return (
        f"{len(skipped):,} schools skipped: phase not in corridors.phases: {listed}; "
        f"add a phase to [corridors] phases to include it (now phases = [{now}])"
    )


# -- judging each corridor ------------------------------------------------------------------


@dataclass(frozen=True)
class _SegmentScores:
    """Per segment, over all schools: walkers, incident intensity and risk (their product)."""

    foot: np.ndarray
    intensity: np.ndarray
    risk: np.ndarray


@dataclass(frozen=True)
class _Context:
    """What judging a corridor needs from the rest of the plan."""

    net: _Net
    street: StreetGraph
    cfg: RouteConfig
    window: Window
    lookback_weeks: int
    name_of: dict[str, str]  # school id -> name
    school_node: dict[str, int]  # school id -> node position of its gate
    hubs: _Hubs
    n_recent: int  # usable look-back incidents in the whole area
    from_spots: bool
    scores: _SegmentScores
    nearest: dict[str, float]  # school id -> metres to the nearest loaded incident


@dataclass(frozen=True)
class _Judged:
    """The rows of the plan's tables, in corridor order."""

    corridor_rows: list[dict[str, object]]
    segment_frames: list[pd.DataFrame]
    loop_records: list[dict[str, object]]
    unpatrolled: list[tuple[str, str, str]]


def _judge_corridors(
    ctx: _Context,
    corridors: list[_Corridor],
    progress: Callable[[int, int], None] | None,
) -> _Judged:
    """Describe every corridor, and plan loops on those whose evidence calls for a patrol.

    The loop problems are built here (they need the network), solved together across
    processes within ``[corridors] loop_budget_s`` (:func:`_solve_jobs`), and their rows
    collected in corridor order, so the plan does not depend on the number of workers.
    """
    keys = _edge_keys(ctx.street.edges)
    edges = ctx.street.edges
    names = (
        edges["name"].astype(object).map(_text).to_numpy(dtype=object)
        if "name" in edges.columns
        else np.full(len(edges), "", dtype=object)
    )
    out = _Judged([], [], [], [])
    verdicts: list[str | None] = []
    month_only: list[bool] = []
    jobs: dict[int, _LoopJob] = {}
    for i, corridor in enumerate(corridors):
        row, why_not = _describe(ctx, corridor, names)
        out.corridor_rows.append(row)
        out.segment_frames.append(_segment_frame(ctx, corridor, keys, names))
        verdicts.append(why_not)
        if why_not is None:
            points = _meeting_points(corridor, ctx.name_of, ctx.school_node, ctx.hubs)
            job = _loop_job(ctx.net, corridor, points, ctx.scores.risk, ctx.cfg)
            if job is not None:
                jobs[i] = job
    solved = _solve_jobs(ctx.cfg, list(jobs.values()), len(corridors), progress)
    routes = dict(zip(jobs, solved, strict=True))
    for i, (corridor, why_not) in enumerate(zip(corridors, verdicts, strict=True)):
        members = corridor.members
        if why_not is not None:
            # "no patrol needed" only on evidence: usable incidents in the look-back, and too
            # few of them near this corridor; without any there is no evidence either way
            verdict = "; no patrol needed" if ctx.n_recent else ""
            uncovered = uncovered_reason(members, ctx.nearest, ctx.cfg) if ctx.n_recent else None
            if uncovered:  # quiet only where the data reaches: else no evidence either way
                why_not, verdict = uncovered, ""
            reason = f"corridor {corridor.cid}: {why_not}{verdict}"
            out.unpatrolled.extend((s, ctx.name_of[s], reason) for s in members)
            continue
        records = (
            _corridor_loops(ctx.net, jobs[i], routes[i], ctx.cfg, ctx.window) if i in jobs else []
        )
        if not records:
            reason = _no_loop_reason(corridor.cid, ctx.cfg)
            out.unpatrolled.extend((s, ctx.name_of[s], reason) for s in members)
        out.loop_records.extend(records)
        month_only.extend([_month_only(corridor.near)] * len(records))
    _deal_waves(out.loop_records, month_only, ctx.cfg, ctx.window)
    return out


def _check_coverage(ctx: _Context, corridors: list[_Corridor]) -> None:
    """
    Stop when the incident data covers none of the corridors' schools.

    Every corridor would otherwise look quiet ("no patrol needed") for want of data: the
    incidents are of another area (another force's file, the wrong month folder, a
    different CRS read as this one).

    Raises
    ------
    EmptyResultError
        Naming the schools, how far the nearest incident is, and what to set.
    """
    if not corridors or ctx.cfg.coverage_m <= 0 or not ctx.n_recent:
        return  # no usable incident at all: each corridor says so (no evidence either way)
    members = [s for c in corridors for s in c.members]
    if any(uncovered_reason([s], ctx.nearest, ctx.cfg) is None for s in members):
        return
    near = min(ctx.nearest.get(s, float("inf")) for s in members)
    schools = ", ".join(ctx.name_of[s] for s in members[:5]) + (" ..." if len(members) > 5 else "")
    raise EmptyResultError(
        f"incidents: the loaded incident data does not cover any school the plan covers "
        f"({schools}): the nearest incident to any of them is {near / 1000:.1f} km away, more "
        f"than corridors.coverage_m ({ctx.cfg.coverage_m:g} m); every corridor would look "
        "quiet for want of data. Add the [[incidents]] source of the force that covers these "
        "schools (check the files' area and CRS), or set [corridors] coverage_m = 0 to plan "
        "anyway"
    )


def _solve_jobs(
    cfg: RouteConfig,
    jobs: list[_LoopJob],
    n_corridors: int,
    progress: Callable[[int, int], None] | None,
) -> list[Routes]:
    """Solve the corridors' loop problems within one time budget, shared by their size.

    ``progress`` counts corridors: those without a loop problem first, then each as it is
    solved.
    """
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, n_corridors)

    for _ in range(n_corridors - len(jobs)):
        tick()
    seconds = split_budget(
        [job.inst.prize.size for job in jobs], cfg.loop_budget_s, cap_s=cfg.solver_seconds
    )
    tasks = [job.task(cfg, s) for job, s in zip(jobs, seconds, strict=True)]
    return solve_tasks(tasks, workers=cfg.workers, on_done=tick)


def _describe(
    ctx: _Context, corridor: _Corridor, names: np.ndarray
) -> tuple[dict[str, object], str | None]:
    """Return the corridor's ``corridors`` row, and why it gets no patrol (or None)."""
    cfg, net, segs = ctx.cfg, ctx.net, corridor.segs
    rows = net.seg_rows[segs]
    risk = float(ctx.scores.risk[segs].sum())
    street_names = _street_list(names[rows], net.length[rows])
    n_inc, offences, time_note = _evidence(corridor.near, ctx.window)
    why_not = _why_not_patrolled(n_inc, risk, ctx.from_spots, cfg, ctx.lookback_weeks, ctx.n_recent)
    member_names = [ctx.name_of[s] for s in corridor.members]
    reason = _reason(
        member_names, street_names, n_inc, offences, time_note, why_not, cfg, ctx.lookback_weeks
    )
    row: dict[str, object] = {
        CORRIDOR_ID: corridor.cid, SCHOOL_IDS: ";".join(corridor.members),
        SCHOOL_NAMES: ";".join(member_names), STREETS: ";".join(street_names),
        FOOTFALL: float(ctx.scores.foot[segs].sum()), RISK: risk, INCIDENTS: n_inc,
        OFFENCES: json.dumps(offences, sort_keys=True), TIME_NOTE: time_note,
        REASON: reason, PATROLLED: why_not is None, "geometry": corridor.geom,
    }  # fmt: skip
    return row, why_not


def _segment_frame(
    ctx: _Context, corridor: _Corridor, keys: pd.DataFrame, names: np.ndarray
) -> pd.DataFrame:
    """Return the corridor's rows of the ``segments`` table: one per street edge."""
    net, segs, scores = ctx.net, corridor.segs, ctx.scores
    rows = net.seg_rows[segs]
    return pd.DataFrame({
        CORRIDOR_ID: corridor.cid, "u": keys["u"].to_numpy()[rows],
        "v": keys["v"].to_numpy()[rows], "key": keys["key"].to_numpy()[rows],
        STREET_ID: net.street[rows], "name": names[rows], FOOTFALL: scores.foot[segs],
        INTENSITY: scores.intensity[segs], RISK: scores.risk[segs], "geometry": net.geoms[rows],
    })  # fmt: skip


# -- the result -----------------------------------------------------------------------------


def _assemble(
    judged: _Judged, unrouted: list[tuple[str, str, str]], crs: str, notes: list[str]
) -> Corridors:
    """Build the plan's tables in ``crs``; schools without a route are listed first."""
    corridors = gpd.GeoDataFrame(
        pd.DataFrame(judged.corridor_rows, columns=[*CORRIDOR_COLUMNS, "geometry"]),
        geometry="geometry", crs=crs,
    )  # fmt: skip
    corridors[PATROLLED] = corridors[PATROLLED].astype(bool)
    frames = judged.segment_frames
    segments = gpd.GeoDataFrame(
        pd.concat(frames, ignore_index=True) if frames
        else pd.DataFrame(columns=[*SEGMENT_COLUMNS, "geometry"]),
        geometry="geometry", crs=crs,
    )  # fmt: skip
    loops = gpd.GeoDataFrame(
        pd.DataFrame(judged.loop_records, columns=[*LOOP_COLUMNS, "geometry"]),
        geometry="geometry", crs=crs,
    )  # fmt: skip
    unpatrolled = pd.DataFrame([*unrouted, *judged.unpatrolled], columns=list(UNPATROLLED_COLUMNS))
    return Corridors(corridors, segments, loops, unpatrolled, tuple(notes))


def _evidence_notes(recent: gpd.GeoDataFrame, any_corridor: bool, week: PlanWeek) -> list[str]:
    """Say what holds for the evidence as a whole: none usable, or month-only throughout."""
    notes = []
    if not len(recent) and any_corridor:
        notes.append(
            f"no usable incidents in the {week.lookback_weeks} weeks before {week.start}: no "
            "corridor could be judged quiet or risky; load incidents that cover those weeks"
        )
    if len(recent) and not bool(recent[load.TIME_KNOWN].fillna(False).astype(bool).any()):
        notes.append(MONTH_ONLY_NOTE + ": evidence counts all look-back incidents")
    return notes
