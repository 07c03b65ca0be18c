"""One evaluation on one screen: history, streets, targeting, effect, dosage, equality.

:func:`evaluate` takes what the edges read (the plan history, the inputs, the street graph,
the stop-and-search records) and returns an :class:`Evaluation`; it opens no file.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from corridors.config import Config
from corridors.evaluate import effect as fx
from corridors.evaluate.dosage import dosage_from_loops, dosage_table
from corridors.evaluate.equality import EqualityTables, equality_tables, in_patrol
from corridors.evaluate.history import PlanHistory, week_monday
from corridors.evaluate.streets import (
    FOOTFALL,
    LENGTH_M,
    data_end,
    near_lines,
    period_weights,
    place_incidents,
)
from corridors.evaluate.targeting import targeting_table
from corridors.hotspots import offence_weights
from corridors.load import OFFENCE, TIME_KNOWN

logger = logging.getLogger(__name__)

#: how close (m) a segment's midpoint must be to a loop to count as patrolled
ON_LOOP_M = 5.0
#: displacement: streets within this distance (m) of a patrolled one
DISPLACEMENT_M = 200.0
#: how far (m) an incident may lie from a street to be placed on it
PLACE_M = 50.0


@dataclass(frozen=True)
class Evaluation:
    """Everything a report shows: tables, the effect and notes in plain words.

    ``k`` (``[maps] min_shared_count``) is the smallest incident count the public report
    shows; the equality tables carry their own (``[equality] k``).
    """

    area: str
    first: str
    last: str
    weeks: tuple[str, ...]
    targeting: pd.DataFrame
    effect: fx.Effect | None
    dosage: pd.DataFrame
    equality: EqualityTables | None
    month_only: bool
    k: int
    notes: tuple[str, ...] = field(default=())


def evaluate(
    cfg: Config,
    history: PlanHistory,
    incidents: gpd.GeoDataFrame,
    segments: gpd.GeoDataFrame,
    *,
    stops: gpd.GeoDataFrame | None = None,
    seed: int = 0,
) -> Evaluation:
    """
    Evaluate the planned weeks of ``history`` on the incidents and street segments.

    Parameters
    ----------
    cfg
        The area's config (window, ``[maps] min_shared_count`` as k, ``[equality]``).
    history
        The checked plan history (:func:`corridors.evaluate.read_plan_history`).
    incidents
        The area's incidents (load contract).
    segments
        Street segments (:func:`corridors.evaluate.streets.street_segments`).
    stops
        Stop-and-search records with personal columns (only with ``[equality]``).
    """
    window = cfg.window
    notes: list[str] = []
    incidents = _relevant(incidents, cfg, notes)
    placed = place_incidents(segments, incidents.geometry, max_m=PLACE_M)
    patrolled = {w: _patrolled(segments, history, w) for w in history.weeks}
    weekly = {w: _week_weights(incidents, w, window) for w in history.weeks}
    intensity = {w: _segment_intensity(segments, history.intensity[w]) for w in history.weeks}
    targeting = targeting_table(segments, placed, weekly, patrolled, intensity)
    month_only = not bool(incidents[TIME_KNOWN].any()) if len(incidents) else True
    if month_only:
        notes.append(
            "month-only incidents (data.police.uk publishes month and place only): each is "
            "spread evenly over its month's days, without the after-school time filter"
        )
    effect = _effect(segments, incidents, placed, patrolled, history, cfg, seed, notes)
    equality = None
    if cfg.equality is not None and stops is not None:
        equality = _equality(cfg, history, stops)
    dosage = _dosage(history, cfg, notes)
    first, last = history.weeks[0], history.weeks[-1]
    return Evaluation(
        area=cfg.area.name, first=first, last=last, weeks=history.weeks, targeting=targeting,
        effect=effect, dosage=dosage, equality=equality, month_only=month_only,
        k=cfg.maps.min_shared_count, notes=tuple(notes),
    )  # fmt: skip


def _relevant(incidents: gpd.GeoDataFrame, cfg: Config, notes: list[str]) -> gpd.GeoDataFrame:
    """Return the incidents the plan targets: offences with a positive weight (``[hotspots]``)."""
    weights = offence_weights(cfg.hotspots)
    weight = incidents[OFFENCE].map(weights).fillna(cfg.hotspots.other_weight)
    keep = (weight > 0).to_numpy()
    if not keep.all():
        notes.append(
            f"{int(keep.sum()):,} of {len(incidents):,} incidents counted: the offences with a "
            "weight in [hotspots] offence_weights, which the plan targets"
        )
    return gpd.GeoDataFrame(incidents[keep])


def _dosage(history: PlanHistory, cfg: Config, notes: list[str]) -> pd.DataFrame:
    """From the roster; without one (no staff file), from the loops on each window day."""
    if not history.roster.empty:
        return dosage_table(history.roster)
    days = len(cfg.stage_window("roster").weekdays)
    notes.append(f"no roster in the plans: dosage assumes each loop walked once on {days} days")
    return dosage_from_loops(pd.DataFrame(history.loops.drop(columns="geometry")), days)


def _patrolled(segments: gpd.GeoDataFrame, history: PlanHistory, week: str) -> np.ndarray:
    lines = history.loops[history.loops["week"] == week].geometry
    return near_lines(segments, gpd.GeoSeries(lines, crs=history.loops.crs), ON_LOOP_M)


def _week_weights(incidents: pd.DataFrame, week: str, window: object) -> np.ndarray:
    monday = week_monday(week)
    return period_weights(incidents, monday, monday + dt.timedelta(days=7), window)  # type: ignore[arg-type]


def _segment_intensity(segments: gpd.GeoDataFrame, intensity: pd.Series) -> np.ndarray:
    if intensity.empty:
        return np.zeros(len(segments))
    return intensity.reindex(segments.index).fillna(0.0).to_numpy(dtype=float)


def _effect(
    segments: gpd.GeoDataFrame,
    incidents: pd.DataFrame,
    placed: np.ndarray,
    patrolled: dict[str, np.ndarray],
    history: PlanHistory,
    cfg: Config,
    seed: int,
    notes: list[str],
) -> fx.Effect | None:
    """Before/after on the streets patrolled in any evaluated week, and those near them."""
    start = week_monday(history.weeks[0])
    end = min(week_monday(history.weeks[-1]) + dt.timedelta(days=7), data_end(incidents))
    if end <= start:
        notes.append(
            f"no incident data after patrols began ({start}): the effect cannot be estimated"
        )
        return None
    if end < week_monday(history.weeks[-1]) + dt.timedelta(days=7):
        notes.append(
            f"the incident data end on {end - dt.timedelta(days=1)}: the after period stops there"
        )
    before_end = start
    if not bool(incidents[TIME_KNOWN].any()):
        # month-only: the before period must not share a month with the after period
        before_end = start.replace(day=1)
        notes.append(
            f"month-only data: the before period ends on {before_end - dt.timedelta(days=1)}, "
            "so that no month is counted on both sides"
        )
    before_start = before_end - (end - start)
    counts = {}
    for name, (a, b) in {"before": (before_start, before_end), "after": (start, end)}.items():
        w = period_weights(incidents, a, b, cfg.window)
        ok = placed >= 0
        counts[name] = np.bincount(placed[ok], weights=w[ok], minlength=len(segments))
    treated = np.logical_or.reduce(list(patrolled.values()))
    lines = history.loops.geometry
    nearby = near_lines(segments, gpd.GeoSeries(lines, crs=history.loops.crs), DISPLACEMENT_M)
    nearby &= ~treated
    pool = ~treated & ~nearby
    features = np.column_stack([segments[FOOTFALL].to_numpy(float), counts["before"]])
    main = fx.matched_did(features, counts["before"], counts["after"], treated, pool, seed=seed)
    if main is None:
        notes.append("no patrolled street or no comparison street: the effect cannot be estimated")
        return None
    moved = fx.matched_did(features, counts["before"], counts["after"], nearby, pool, seed=seed)
    length = segments[LENGTH_M].to_numpy(float)
    return fx.Effect(
        patrolled=main,
        displacement=moved,
        before=(before_start.isoformat(), before_end.isoformat()),
        after=(start.isoformat(), end.isoformat()),
        patrolled_km=float(length[treated].sum()) / 1000,
        nearby_km=float(length[nearby].sum()) / 1000,
    )


def _equality(cfg: Config, history: PlanHistory, stops: gpd.GeoDataFrame) -> EqualityTables:
    assert cfg.equality is not None
    tz = cfg.area.timezone if cfg.area.timezone != "auto" else "UTC"
    spans = {}
    for w in history.weeks:
        monday = pd.Timestamp(week_monday(w), tz=tz)
        spans[w] = (monday, monday + pd.Timedelta(days=7))
    first, last = spans[history.weeks[0]][0], spans[history.weeks[-1]][1]
    when = pd.DatetimeIndex(stops["occurred_at"])
    in_range = stops[np.asarray((when >= first) & (when < last), dtype=bool)]
    loops = {
        w: gpd.GeoSeries(history.loops[history.loops["week"] == w].geometry, crs=stops.crs)
        for w in history.weeks
    }
    inside = in_patrol(in_range, loops, spans, cfg.window, cfg.equality.corridor_m)
    return equality_tables(
        in_range,
        inside,
        young_ages=cfg.equality.young_ages,
        reference=cfg.equality.reference,
        k=cfg.equality.k,
    )
