"""The one incident selection: the incidents of a planned week's look-back, weighted.

Every stage that learns from incidents (hotspots, the corridor stage, the evidence checks,
the backtests) selects them here, by one rule: the look-back (the weeks before the planned
week; month-only records by the complete-month rule), the after-school window (local time
in the area's time zone, the window's weekdays, school days only when asked and a school
calendar is given), offence weights and recency decay by exact age. :func:`select_incidents`
is pure: incidents, the :class:`~corridors.week.PlanWeek`, the
:class:`~corridors.week.Window` and the :class:`SelectionRules` in, a :class:`Selection` out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from corridors.config import HotspotConfig
from corridors.errors import ConfigError, InputDataError
from corridors.hotspots.result import AGE_WEEKS, IN_WINDOW, MINUTE, MONTH_ONLY_NOTE, WEIGHT
from corridors.hotspots.terms import TermCalendar
from corridors.hotspots.weights import offence_weights
from corridors.load import MONTH, OCCURRED_AT, OFFENCE, TIME_KNOWN, months_in_lookback
from corridors.week import PlanWeek, Window


@dataclass(frozen=True)
class SelectionRules:
    """How the selected incidents are weighted, and which hours and days count.

    ``offence_weights``: weight per offence name (``None``: every offence weighs 1, as the
    corridor stage counts them); names not in it weigh ``other_weight`` (0: left out).
    ``half_life_weeks``: recency decay, ``0.5 ** (age / half_life_weeks)``. ``all_hours``:
    keep time-known incidents of every hour (training on all hours), not just those in the
    window. ``term``: the school calendar (``None``: every day is a school day).
    """

    half_life_weeks: float = 26.0
    offence_weights: Mapping[str, float] | None = None
    other_weight: float = 0.0
    all_hours: bool = False
    term: TermCalendar | None = None

    @classmethod
    def of(
        cls, cfg: HotspotConfig, *, term: TermCalendar | None, all_hours: bool | None = None
    ) -> SelectionRules:
        """Return the hotspots stage's rules: ``cfg``'s weights and half-life, ``term``."""
        return cls(
            half_life_weeks=cfg.half_life_weeks,
            offence_weights=offence_weights(cfg),
            other_weight=cfg.other_weight,
            all_hours=cfg.train_all_hours if all_hours is None else all_hours,
            term=term,
        )


@dataclass(frozen=True)
class Selection:
    """The selected incidents and what the selection found out about them.

    ``table``: the selected rows with WEIGHT, IN_WINDOW, AGE_WEEKS and MINUTE. ``notes``:
    plain-words caveats (month-only rows, all-hours training, offences not in the weights
    table). ``time_known``: no month-only row was used. ``unknown_offences``: offence names
    in the look-back that the weights table does not list, with their counts.
    """

    table: gpd.GeoDataFrame
    notes: tuple[str, ...]
    time_known: bool
    unknown_offences: dict[str, int]


def select_incidents(
    incidents: gpd.GeoDataFrame,
    week: PlanWeek,
    window: Window,
    *,
    rules: SelectionRules | None = None,
) -> Selection:
    """
    Select and weight the incidents of one planned week's look-back (data in, data out).

    Keeps incidents of the ``week.lookback_weeks`` weeks before ``week.start`` (month-only
    records when their whole month ended before ``week.start`` and mid-month falls in the
    look-back, or it is the newest such month: :func:`corridors.load.months_in_lookback`),
    with a positive offence weight, and (unless ``rules.all_hours``) those with a known
    time inside the after-school ``window``: local time (``week.timezone``, so daylight
    saving is handled) in ``[window.start, window.end)`` on ``window.weekdays``, and on
    school days when ``window.school_days_only`` and ``rules.term`` is given. Month-only
    records are kept without the time filter.

    Parameters
    ----------
    incidents
        Incidents in the io contract (OFFENCE, MONTH, OCCURRED_AT tz-aware or NaT,
        TIME_KNOWN, geometry in a projected CRS in metres).
    week
        The planned week: its Monday (ages are measured from its local midnight), the
        area's time zone and the look-back.
    window
        The after-school window.
    rules
        Offence weights, half-life, all hours or not, the school calendar (default
        :class:`SelectionRules`: every offence weighs 1, window only, no calendar).

    Returns
    -------
    Selection
        The selected rows (same CRS) with WEIGHT (offence weight x
        ``0.5 ** (AGE_WEEKS / half_life_weeks)``), IN_WINDOW (bool), AGE_WEEKS and MINUTE
        (local minute of the day), and the notes.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> inc = gpd.GeoDataFrame({"offence": ["Robbery", "Drugs"], "month": ["2022-10"] * 2,
    ...     "occurred_at": pd.to_datetime(["2022-10-03 15:30", "2022-10-03 20:00"]).tz_localize(
    ...     "Europe/London"), "time_known": True}, geometry=[Point(0, 0)] * 2, crs="EPSG:27700")
    >>> week = PlanWeek.parse("2022-W45", timezone="Europe/London", lookback_weeks=52)
    >>> sel = select_incidents(inc, week, Window())
    >>> sel.table[["offence", "in_window", "minute"]].to_dict("records")
    [{'offence': 'Robbery', 'in_window': True, 'minute': 930.0}]
    """
    rules = rules or SelectionRules()
    _check_incidents(incidents)
    _check_lookback(week.lookback_weeks)
    tz = week.timezone
    local, known = _known_times(incidents, tz)
    end = pd.Timestamp(week.start).tz_localize(tz)
    when = _dated(incidents, local, known, tz)
    in_time = ((when >= end - pd.Timedelta(weeks=week.lookback_weeks)) & (when < end)).fillna(False)
    months = incidents[MONTH] if MONTH in incidents else pd.Series("", index=incidents.index)
    in_span = np.where(
        known,
        in_time.to_numpy(dtype=bool),
        months_in_lookback(months, week.start, week.lookback_weeks),
    )
    in_window = known & window_mask(local, window, rules.term)
    keep_time = in_window | ~known if not rules.all_hours else np.ones(len(incidents), dtype=bool)
    w_off, unknown_offences = _offence_weights_of(incidents, rules, in_span)
    age_weeks = ((end - when).dt.total_seconds() / (7 * 86400)).to_numpy(
        dtype=float, na_value=np.nan
    )
    rows = in_span & keep_time & (w_off > 0)
    table = incidents.loc[rows].copy()
    table[WEIGHT] = (w_off * np.power(0.5, age_weeks / rules.half_life_weeks))[rows]
    table[IN_WINDOW] = in_window[rows]
    table[AGE_WEEKS] = age_weeks[rows]
    table[MINUTE] = _minutes(local)[rows]
    notes = _notes(window, rules, known[rows], unknown_offences=unknown_offences)
    return Selection(table, notes, bool((known[rows]).all()), unknown_offences)


def window_of(cfg: HotspotConfig) -> Window:
    """
    Return the window of a ``[hotspots]`` configuration.

    Its ``window_start``, ``window_end`` and ``weekdays``; school days only with
    ``exclude_holidays``. The config sets them from ``[window]`` when it is read; a
    backtest sweep may vary them.
    """
    return Window(cfg.window_start, cfg.window_end, cfg.weekdays, cfg.exclude_holidays)


def _known_times(incidents: pd.DataFrame, timezone: str) -> tuple[pd.Series, np.ndarray]:
    """Local times (``timezone``) and whether each row's time is known."""
    local = _local_times(incidents, timezone)
    if TIME_KNOWN in incidents:
        known = incidents[TIME_KNOWN].fillna(False).to_numpy(dtype=bool) & local.notna().to_numpy()
    else:
        known = local.notna().to_numpy()
    return local, known


def _dated(
    incidents: pd.DataFrame, local: pd.Series, known: np.ndarray, timezone: str
) -> pd.Series:
    """When each incident happened: its local time, or mid-month for month-only rows."""
    month = _month_starts(incidents)
    mid = (month + pd.Timedelta(days=14)).dt.tz_localize(timezone, nonexistent="shift_forward")
    return local.where(pd.Series(known, index=incidents.index), mid)


def _offence_weights_of(
    incidents: pd.DataFrame, rules: SelectionRules, in_span: np.ndarray
) -> tuple[np.ndarray, dict[str, int]]:
    """Each row's offence weight, and the look-back's offences the weights table lacks."""
    if rules.offence_weights is None:
        return np.ones(len(incidents)), {}
    weights = rules.offence_weights
    offence = incidents[OFFENCE].astype("string").fillna("")
    w_off = offence.map(lambda o: weights.get(o, rules.other_weight)).to_numpy(dtype=float)
    unknown_mask = ~offence.isin(list(weights)).to_numpy() & in_span
    unknown = offence[unknown_mask].value_counts().sort_index()
    return w_off, {str(k): int(v) for k, v in unknown.items()}


def _notes(
    window: Window,
    rules: SelectionRules,
    known: np.ndarray,
    *,
    unknown_offences: dict[str, int],
) -> tuple[str, ...]:
    """Return the selection's caveats; ``known`` is per selected row."""
    notes: list[str] = []
    n_month_only = int((~known).sum())
    if n_month_only:
        notes.append(f"{n_month_only:,} {MONTH_ONLY_NOTE}")
    if rules.all_hours and known.any():
        notes.append(
            "hotspots were trained on incidents of all hours to predict the after-school "
            f"window ({window.start}-{window.end}, {window.days_label()})"
        )
    if unknown_offences:
        listed = ", ".join(f"{k} ({v})" for k, v in unknown_offences.items())
        verb = f"weighted {rules.other_weight:g}" if rules.other_weight > 0 else "left out"
        notes.append(f"offence categories not in the weights table were {verb}: {listed}")
    return tuple(notes)


def _check_lookback(lookback_weeks: int) -> None:
    if lookback_weeks <= 0:
        raise ConfigError(f"lookback_weeks must be > 0, got {lookback_weeks}")


def _local_times(incidents: pd.DataFrame, timezone: str) -> pd.Series:
    raw = (
        incidents[OCCURRED_AT]
        if OCCURRED_AT in incidents
        else pd.Series(pd.NaT, index=incidents.index)
    )
    if not isinstance(raw.dtype, pd.DatetimeTZDtype):
        converted = pd.to_datetime(raw, errors="coerce")
        if isinstance(converted.dtype, pd.DatetimeTZDtype):
            raw = converted
        else:
            raw = converted.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward")
    local: pd.Series = raw.dt.tz_convert(timezone)
    return local


def _month_starts(incidents: pd.DataFrame) -> pd.Series:
    if MONTH not in incidents:
        return pd.Series(pd.NaT, index=incidents.index, dtype="datetime64[ns]")
    return pd.to_datetime(incidents[MONTH].astype("string"), format="%Y-%m", errors="coerce")


def _minutes(local: pd.Series) -> np.ndarray:
    """Each row's local minute of the day (NaN without a time)."""
    minutes: np.ndarray = (local.dt.hour * 60 + local.dt.minute).to_numpy(
        dtype=float, na_value=np.nan
    )
    return minutes


def window_mask(local: pd.Series, window: Window, term: TermCalendar | None) -> np.ndarray:
    """
    Return which local times fall in ``window``; NaT is never in it.

    On school days only when the window asks for it and ``term`` is given.
    """
    minutes = _minutes(local)
    weekday = local.dt.day_of_week.to_numpy(dtype=float, na_value=np.nan)
    ok: np.ndarray = (
        (minutes >= window.start_minute)
        & (minutes < window.end_minute)
        & np.isin(weekday, window.weekdays)
    )
    if term is not None and window.school_days_only:
        days = local.dt.tz_localize(None).dt.floor("D").to_numpy(dtype="datetime64[D]")
        valid = ~np.isnat(days)
        school = np.zeros(len(days), dtype=bool)
        school[valid] = term.is_school_day(days[valid])
        ok &= school
    return ok


def _check_incidents(incidents: gpd.GeoDataFrame) -> None:
    if not isinstance(incidents, gpd.GeoDataFrame):
        raise InputDataError(
            "incidents must be a GeoDataFrame (from corridors.load), "
            f"got {type(incidents).__name__}"
        )
    if OFFENCE not in incidents:
        raise InputDataError(
            f"incidents: column {OFFENCE!r} is missing (found {list(incidents.columns)}); "
            "load them with corridors.load"
        )
    if incidents.crs is not None and not incidents.crs.is_projected:
        raise InputDataError(
            f"incidents are in {incidents.crs.to_string()}, not a projected CRS in metres; "
            "reproject them (corridors.load does) before finding hotspots"
        )
