"""Select and weight the incidents a hotspot run uses (one planned week).

The look-back (the weeks before the planned week; month-only records by the complete-month
rule), the after-school window (local time, weekdays, optionally school days only), offence
weights and recency decay. :func:`select_week` is pure: incidents, settings and the school
calendar in, a :class:`Selection` out. :func:`select_incidents` and ``_select`` fill in the
defaults the stage has always had (the calendar read from ``[hotspots] term_dates``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from corridors.config import HotspotConfig
from corridors.errors import ConfigError, InputDataError
from corridors.hotspots.result import AGE_WEEKS, IN_WINDOW, MONTH_ONLY_NOTE, WEIGHT
from corridors.hotspots.term_file import term_calendar
from corridors.hotspots.terms import TermCalendar
from corridors.hotspots.weights import offence_weights
from corridors.load import MONTH, OCCURRED_AT, OFFENCE, TIME_KNOWN, months_in_lookback


@dataclass(frozen=True)
class Selection:
    """The selected incidents and what the selection found out about them.

    ``table``: the selected rows with WEIGHT, IN_WINDOW and AGE_WEEKS. ``notes``: plain-words
    caveats (month-only rows, all-hours training, offences not in the weights table).
    ``time_known``: no month-only row was used. ``unknown_offences``: offence names in the
    look-back that the weights table does not list, with their counts.
    """

    table: gpd.GeoDataFrame
    notes: tuple[str, ...]
    time_known: bool
    unknown_offences: dict[str, int]


def select_incidents(
    incidents: gpd.GeoDataFrame,
    cfg: HotspotConfig,
    *,
    timezone: str,
    week_start: dt.date,
    lookback_weeks: int,
    term: TermCalendar | None = None,
    all_hours: bool | None = None,
) -> gpd.GeoDataFrame:
    """
    Select and weight the incidents a hotspot run uses.

    Keeps incidents of the ``lookback_weeks`` weeks before ``week_start`` (month-only
    records when their whole month ended before ``week_start`` and mid-month falls in the
    look-back, or it is the newest such month: :func:`corridors.load.months_in_lookback`),
    with a positive offence weight, and (unless ``all_hours``) those with a
    known time inside the after-school window: local time (``timezone``, so daylight
    saving is handled) in ``[window_start, window_end)`` on ``weekdays``, and on school
    days when ``exclude_holidays`` is set. Month-only records are kept without the time
    filter.

    Parameters
    ----------
    incidents
        Incidents in the io contract (OFFENCE, MONTH, OCCURRED_AT tz-aware or NaT,
        TIME_KNOWN, geometry in a projected CRS in metres).
    cfg
        Window, weekdays, offence weights, ``half_life_weeks``, term dates.
    timezone
        The area's time zone, e.g. ``"Europe/London"``.
    week_start
        Monday of the planned week (local date); ages are measured from its midnight.
    lookback_weeks
        Length of the look-back in weeks.
    term
        School calendar; default: read from ``cfg.term_dates`` / ``cfg.holidays``.
    all_hours
        Use incidents of every hour (training on all hours); default
        ``cfg.train_all_hours``.

    Returns
    -------
    gpd.GeoDataFrame
        The selected rows (same CRS) with WEIGHT (offence weight x
        ``0.5 ** (AGE_WEEKS / half_life_weeks)``), IN_WINDOW (bool) and AGE_WEEKS.
    """
    return _select(
        incidents, cfg, timezone=timezone, week_start=week_start,
        lookback_weeks=lookback_weeks, term=term, all_hours=all_hours,
    ).table  # fmt: skip


def _select(
    incidents: gpd.GeoDataFrame,
    cfg: HotspotConfig,
    *,
    timezone: str,
    week_start: dt.date,
    lookback_weeks: int,
    term: TermCalendar | None = None,
    all_hours: bool | None = None,
) -> Selection:
    """:func:`select_week` with the defaults: ``term`` from the config, ``all_hours`` too."""
    _check_incidents(incidents)
    _check_lookback(lookback_weeks)
    return select_week(
        incidents, cfg, timezone=timezone, week_start=week_start,
        lookback_weeks=lookback_weeks,
        term=term_calendar(cfg) if term is None else term,
        all_hours=cfg.train_all_hours if all_hours is None else all_hours,
    )  # fmt: skip


def select_week(
    incidents: gpd.GeoDataFrame,
    cfg: HotspotConfig,
    *,
    timezone: str,
    week_start: dt.date,
    lookback_weeks: int,
    term: TermCalendar | None,
    all_hours: bool,
) -> Selection:
    """
    Select and weight the incidents of one planned week's look-back (data in, data out).

    As :func:`select_incidents`, with nothing defaulted: ``term`` is the school calendar
    (None: every day is a school day) and ``all_hours`` says whether incidents of every
    hour are kept.
    """
    _check_incidents(incidents)
    _check_lookback(lookback_weeks)
    local, known = _known_times(incidents, timezone)
    end = pd.Timestamp(week_start).tz_localize(timezone)
    when = _dated(incidents, local, known, timezone)
    in_time = ((when >= end - pd.Timedelta(weeks=lookback_weeks)) & (when < end)).fillna(False)
    months = incidents[MONTH] if MONTH in incidents else pd.Series("", index=incidents.index)
    in_span = np.where(
        known,
        in_time.to_numpy(dtype=bool),
        months_in_lookback(months, week_start, lookback_weeks),
    )
    in_window = known & _window_mask(local, cfg, term)
    keep_time = in_window | ~known if not all_hours else np.ones(len(incidents), dtype=bool)
    w_off, unknown_offences = _offence_weights_of(incidents, cfg, in_span)
    age_weeks = ((end - when).dt.total_seconds() / (7 * 86400)).to_numpy(
        dtype=float, na_value=np.nan
    )
    decay = np.power(0.5, age_weeks / cfg.half_life_weeks)
    rows = in_span & keep_time & (w_off > 0)
    table = incidents.loc[rows].copy()
    table[WEIGHT] = (w_off * decay)[rows]
    table[IN_WINDOW] = in_window[rows]
    table[AGE_WEEKS] = age_weeks[rows]
    notes = _notes(cfg, known[rows], all_hours=all_hours, unknown_offences=unknown_offences)
    return Selection(table, notes, bool((known[rows]).all()), unknown_offences)


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
    incidents: pd.DataFrame, cfg: HotspotConfig, in_span: np.ndarray
) -> tuple[np.ndarray, dict[str, int]]:
    """Each row's offence weight, and the look-back's offences the weights table lacks."""
    weights = offence_weights(cfg)
    offence = incidents[OFFENCE].astype("string").fillna("")
    w_off = offence.map(lambda o: weights.get(o, cfg.other_weight)).to_numpy(dtype=float)
    unknown_mask = ~offence.isin(list(weights)).to_numpy() & in_span
    unknown = offence[unknown_mask].value_counts().sort_index()
    return w_off, {str(k): int(v) for k, v in unknown.items()}


def _notes(
    cfg: HotspotConfig,
    known: np.ndarray,
    *,
    all_hours: bool,
    unknown_offences: dict[str, int],
) -> tuple[str, ...]:
    """Return the selection's caveats; ``known`` is per selected row."""
    notes: list[str] = []
    n_month_only = int((~known).sum())
    if n_month_only:
        notes.append(f"{n_month_only:,} {MONTH_ONLY_NOTE}")
    if all_hours and known.any():
        notes.append(
            "hotspots were trained on incidents of all hours to predict the after-school "
            f"window ({cfg.window_start}-{cfg.window_end}, weekdays)"
        )
    if unknown_offences:
        listed = ", ".join(f"{k} ({v})" for k, v in unknown_offences.items())
        verb = f"weighted {cfg.other_weight:g}" if cfg.other_weight > 0 else "left out"
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


def _window_mask(local: pd.Series, cfg: HotspotConfig, term: TermCalendar | None) -> np.ndarray:
    minutes = (local.dt.hour * 60 + local.dt.minute).to_numpy(dtype=float, na_value=np.nan)
    weekday = local.dt.day_of_week.to_numpy(dtype=float, na_value=np.nan)
    start = _hhmm(cfg.window_start)
    end = _hhmm(cfg.window_end)
    ok: np.ndarray = (minutes >= start) & (minutes < end) & np.isin(weekday, cfg.weekdays)
    if term is not None and cfg.exclude_holidays:
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


def _hhmm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)
