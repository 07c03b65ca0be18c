"""Is the evidence fit to plan on? Checks and notes on the incident data behind a plan.

- :func:`check_usable_incidents`: stop before planning when no incident can be used (and
  say which filter left none and what to set), so "no patrol needed" never rests on data
  the tool could not use;
- :func:`data_age_notes`: plan notes when the newest incidents are old, or a month-only
  month was left out;
- :func:`unknown_school_links`: plan notes for staff linked to schools the plan lacks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import geopandas as gpd
import pandas as pd

from corridors import hotspots, load, roster
from corridors.config import Config, HotspotConfig
from corridors.errors import EmptyResultError
from corridors.hotspots import SelectionRules, TermCalendar
from corridors.week import PlanWeek

logger = logging.getLogger(__name__)


def check_usable_incidents(
    cfg: Config,
    inputs: load.Inputs,
    week: PlanWeek | None = None,
    term: TermCalendar | None = None,
) -> int:
    """
    Return how many incidents the plan can use as evidence, or stop if there are none.

    Usable (by the one selection, :func:`corridors.hotspots.select_incidents`, with the
    hotspots stage's window and rules): in the look-back before the planned ``week``, with
    a positive offence weight, and in the after-school window (month-only records count
    without it). Without any, every corridor would look quiet for want of data, so the plan
    stops and names the filter that left nothing and the setting to change. ``term``: the
    school calendar (default: read from ``[hotspots] term_dates``).

    Raises
    ------
    EmptyResultError
        If no incident is usable.
    """
    week = week or cfg.area.plan_week(inputs.timezone)
    week_start, lookback = week.start, week.lookback_weeks
    window = cfg.stage_window("hotspots")
    term = hotspots.term_calendar(cfg.hotspots) if term is None else term

    def selected(hcfg: HotspotConfig, all_hours: bool) -> gpd.GeoDataFrame:
        rules = SelectionRules.of(hcfg, term=term, all_hours=all_hours)
        return hotspots.select_incidents(inputs.incidents, week, window, rules=rules).table

    incidents = inputs.incidents
    if len(incidents):
        usable = len(selected(cfg.hotspots, False))
        if usable:
            return usable
    head = f"no usable incidents for week {week}"
    sources = ", ".join(r.name for r in inputs.reports if r.kind == "incidents") or "none"
    if not len(incidents):
        raise EmptyResultError(
            f"{head}: no incident was loaded (incident sources: {sources}); add an "
            "[[incidents]] source with rows for the area (check it with 'corridors validate')"
        )
    hotspots.check_weighted(incidents, cfg.hotspots)  # offence names the weights do not know
    months = incidents[load.MONTH].dropna().astype(str)
    span, suggest = "", "a week the data cover"
    if len(months):
        span = f" (the data run {months.min()} to {months.max()})"
        after = load.first_week_after(months.max())
        suggest = f"a week the data cover (the first week after them is {after})"
    every = {str(o): 1.0 for o in incidents[load.OFFENCE].dropna().unique()}
    in_lookback = selected(
        dataclasses.replace(cfg.hotspots, offence_weights=every, other_weight=1.0), True
    )
    if not len(in_lookback):
        raise EmptyResultError(
            f"{head}: {len(incidents):,} incidents loaded, none in the {lookback} weeks before "
            f"{week_start}{span}; set [area] week to {suggest}, or [area] lookback_weeks, "
            "or load newer incidents"
        )
    weighted = selected(cfg.hotspots, True)
    if not len(weighted):
        raise EmptyResultError(
            f"{head}: {len(in_lookback):,} incidents in the look-back, none with an offence "
            "weight above 0; "
            + hotspots.unweighted_offences_hint(in_lookback[load.OFFENCE], cfg.hotspots)
        )
    h = cfg.hotspots
    school = window.school_days_only and bool(h.term_dates or h.holidays)
    on = " on school days" if school else ""
    raise EmptyResultError(
        f"{head}: {len(weighted):,} weighted incidents in the look-back, none in the "
        f"after-school window ({window.day_names()} {window.start}-{window.end}{on}); check "
        "[window] start, end, weekdays"
        + (", [hotspots] exclude_holidays and term_dates" if school else "")
    )


def unknown_school_links(staff: roster.Staff | None, inputs: load.Inputs) -> tuple[str, ...]:
    """Name the staff links to schools that are not schools of this area (typos, old names)."""
    if staff is None or not len(staff.people):
        return ()
    unknown = roster.unknown_school_links(
        staff, ids=inputs.schools[load.SCHOOL_ID], names=inputs.schools[load.NAME]
    )
    if not unknown:
        return ()
    note = (
        f"{len(unknown)} staff link(s) to schools that are not in this area's schools, so "
        f"they bring no familiar faces: {', '.join(unknown[:5])}"
        + (" ..." if len(unknown) > 5 else "")
    )
    logger.warning("%s", note)
    return (note,)


def data_age_notes(
    inputs: load.Inputs, week_start: dt.date, lookback_weeks: int | None = None
) -> tuple[str, ...]:
    """
    Say so when the incident data end long before the planned week (stale evidence).

    And when the newest month of month-only incidents is left out of the look-back: why.
    """
    months = inputs.incidents[load.MONTH].dropna().astype(str) if len(inputs.incidents) else None
    if months is None or not len(months):
        return ("no incidents were loaded: every corridor lacks evidence",)
    last = pd.Period(months.max(), freq="M")
    gap_days = (week_start - last.end_time.date()).days
    notes: list[str] = []
    if gap_days > 45:
        notes.append(
            f"the incident data end in {last} ({gap_days // 7} weeks before the planned week): "
            "load newer incidents before relying on this plan"
        )
    inc = inputs.incidents
    month_only = inc.loc[~inc[load.TIME_KNOWN].fillna(False).astype(bool), load.MONTH].dropna()
    month_only = month_only.astype(str)
    if len(month_only):
        newest = str(month_only.max())
        count = int((month_only == newest).sum())
        ended = pd.Period(newest, freq="M").end_time.date() < week_start
        why = None
        if not ended:
            why = (
                f"a month counts once it has ended before the planned week's Monday "
                f"({week_start}); its incidents may fall on any of its days"
            )
        elif (
            gap_days <= 45
            and lookback_weeks is not None
            and not load.months_in_lookback([newest], week_start, lookback_weeks)[0]
        ):
            why = f"it ended before the {lookback_weeks}-week look-back began"
        if why:
            notes.append(
                f"the newest month of month-only incidents, {newest} ({count:,}), was left "
                f"out: {why}"
            )
    for note in notes:
        logger.warning("%s", note)
    return tuple(notes)
