"""
When patrol loops start: by the corridor's after-school incidents, or in waves.

A loop starts at the 15-minute-aligned time its walk overlaps the most time-known
after-school incidents near its corridor (:func:`_start_time`); with none (month-only police
data) at ``[corridors] closing_time``, or, with ``waves`` > 1, at one of up to ``waves``
starts dealt to the loops in turn, riskiest corridor first (:func:`_deal_waves`), so a team
can walk several in an afternoon.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import cast

import geopandas as gpd
import numpy as np

from corridors.config import RouteConfig
from corridors.hotspots import IN_WINDOW, MINUTE
from corridors.routes.result import DURATION_MIN, START_TIME
from corridors.week import Window, hhmm_minutes, minutes_hhmm


def _start_time(
    near: gpd.GeoDataFrame, duration_min: float, cfg: RouteConfig, window: Window
) -> str:
    """Start of the 15-minute-aligned walk that overlaps the most after-school incidents."""
    lo, hi = window.start_minute, window.end_minute
    minutes = _window_minutes(near)
    if len(minutes) == 0:
        start = _closing_start(cfg)
    else:
        latest = max(lo, int(15 * math.floor((hi - duration_min) / 15)))
        starts = np.arange(lo, latest + 1, 15)
        span = max(duration_min, 15.0)
        counts = [int(((minutes >= s) & (minutes < s + span)).sum()) for s in starts]
        start = int(starts[int(np.argmax(counts))])
    return minutes_hhmm(start)


def _window_minutes(near: gpd.GeoDataFrame) -> np.ndarray:
    """Minutes of the day of the corridor's time-known incidents within the window."""
    return near.loc[near[IN_WINDOW], MINUTE].to_numpy(float) if len(near) else np.zeros(0)


def _month_only(near: gpd.GeoDataFrame) -> bool:
    """Whether no incident near the corridor has a known time in the window (month-only data)."""
    return len(_window_minutes(near)) == 0


def _closing_start(cfg: RouteConfig) -> int:
    return int(15 * round(hhmm_minutes(cfg.closing_time) / 15))


def _wave_starts(durations: Sequence[float], cfg: RouteConfig, window: Window) -> list[int]:
    """Start minutes of the ``[corridors] waves`` month-only loops are dealt to.

    The first at closing time (to 15 minutes), then every step: the longest loop's duration
    plus 15 minutes to reach the next meeting point, rounded up to 15 minutes. Only waves
    whose longest loop ends by the window's end are kept (the first always is).
    """
    first = _closing_start(cfg)
    if cfg.waves == 1 or not durations:
        return [first]
    longest = max(durations)
    step = 15 * math.ceil((longest + 15) / 15)
    later = (first + k * step for k in range(1, cfg.waves))
    return [first, *(s for s in later if s + longest <= window.end_minute)]


def _deal_waves(
    records: list[dict[str, object]], month_only: Sequence[bool], cfg: RouteConfig, window: Window
) -> None:
    """Give the month-only loops their wave's start time, in place.

    ``records`` are in corridor risk order (riskiest first), so loop i of the month-only
    ones goes to wave i mod the number of waves. Loops with time-known incidents keep their
    data-driven start.
    """
    picked = [r for r, m in zip(records, month_only, strict=True) if m]
    starts = _wave_starts([cast("float", r[DURATION_MIN]) for r in picked], cfg, window)
    for i, rec in enumerate(picked):
        rec[START_TIME] = minutes_hhmm(starts[i % len(starts)])
