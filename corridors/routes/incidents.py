"""The look-back incidents the corridor stage uses as evidence, with recency and window.

Data in, data out: :func:`_lookback_incidents` takes the incident table and the week and
returns the incidents of the look-back period with three columns added: ``_weight``
(recency: half-life ``half_life_weeks``), ``_window`` (in the after-school window on a
weekday) and ``_minute`` (local minute of the day). Time-known incidents count only in the
window; month-only incidents count in the months of the look-back. (To be replaced by the
one incident selection shared with the hotspots stage, issue 13.)
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd

from corridors import load
from corridors.config import RouteConfig


def _hhmm_minutes(hhmm: str) -> int:
    """
    Minutes after midnight of an ``HH:MM`` time.

    >>> _hhmm_minutes("15:20")
    920
    """
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _lookback_incidents(
    incidents: gpd.GeoDataFrame,
    cfg: RouteConfig,
    *,
    week_start: dt.date,
    timezone: str,
    lookback_weeks: int,
) -> gpd.GeoDataFrame:
    """Incidents of the look-back period with ``_weight`` (recency), ``_window``, ``_minute``."""
    if len(incidents) == 0:
        out = incidents.copy()
        for col, dtype in (("_weight", float), ("_window", bool), ("_minute", float)):
            out[col] = pd.Series(dtype=dtype)
        return out
    start = pd.Timestamp(week_start - dt.timedelta(weeks=lookback_weeks))
    end = pd.Timestamp(week_start)
    known = incidents[load.TIME_KNOWN].fillna(False).astype(bool).to_numpy()
    occurred = pd.to_datetime(incidents[load.OCCURRED_AT], utc=True).dt.tz_convert(timezone)
    local_naive = occurred.dt.tz_localize(None)
    month_start = pd.to_datetime(incidents[load.MONTH].astype(str) + "-01", errors="coerce")
    mid_month = month_start + pd.Timedelta(days=14)
    when = pd.to_datetime(pd.Series(np.where(known, local_naive, mid_month), index=incidents.index))
    in_period = np.where(
        known,
        (local_naive >= start) & (local_naive < end),
        load.months_in_lookback(incidents[load.MONTH], week_start, lookback_weeks),
    )
    in_period = np.asarray(pd.Series(in_period).fillna(False), dtype=bool)
    minute = (local_naive.dt.hour * 60 + local_naive.dt.minute).to_numpy(
        dtype=float, na_value=np.nan
    )
    weekday = local_naive.dt.day_of_week.to_numpy(dtype=float, na_value=np.nan)
    lo, hi = _hhmm_minutes(cfg.window_start), _hhmm_minutes(cfg.window_end)
    window = known & (weekday < 5) & (minute >= lo) & (minute < hi)
    age_weeks = (end - when).dt.days.to_numpy(dtype=float, na_value=np.nan) / 7.0
    weight = np.power(0.5, np.clip(age_weeks, 0, None) / cfg.half_life_weeks)
    out = incidents.copy()
    out["_weight"] = np.nan_to_num(weight)
    out["_window"] = window
    out["_minute"] = minute
    keep = in_period & (window | ~known)
    return out[keep]
