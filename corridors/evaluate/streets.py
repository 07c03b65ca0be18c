"""Street segments as the units of an evaluation, and which incidents fell on which.

One row per street segment of the walking graph (the ``reversed == False`` copy of each
edge), with its length, a footfall proxy and its midpoint. Incidents are placed on the
nearest segment within ``max_m``; a period's incidents are weighted by how much of them
falls in it (a month-only record is spread evenly over its month's days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors.graph import StreetGraph
from corridors.load import MONTH, OCCURRED_AT, TIME_KNOWN
from corridors.week import Window

LENGTH_M = "length_m"
FOOTFALL = "footfall_proxy"
#: how far (m) a school or transport hub counts towards a segment's footfall proxy
FOOTFALL_RADIUS_M = 400.0


def street_segments(
    street: StreetGraph, places: Sequence[gpd.GeoSeries], *, radius_m: float = FOOTFALL_RADIUS_M
) -> gpd.GeoDataFrame:
    """
    Return one row per street segment with ``length_m`` and ``footfall_proxy``.

    The plan's own footfall is known only along school routes, so comparison streets need a
    proxy known everywhere: the number of schools and transport hubs (``places``) within
    ``radius_m`` of the segment's midpoint.
    """
    edges = street.edges
    if "reversed" in edges.columns:
        edges = edges[~edges["reversed"].astype(bool)]
    seg = gpd.GeoDataFrame(
        {LENGTH_M: edges["length"].to_numpy(dtype=float)},
        geometry=edges.geometry.to_numpy(),
        index=edges.index,
        crs=street.crs,
    )
    mids = shapely.line_interpolate_point(seg.geometry.to_numpy(), 0.5, normalized=True)
    points = [g.to_crs(street.crs) for g in places if len(g)]
    near = np.zeros(len(seg))
    if points:
        xy = np.vstack([shapely.get_coordinates(p.to_numpy()) for p in points])
        tree = shapely.STRtree(np.asarray(shapely.points(xy)))
        left, _ = tree.query(mids, predicate="dwithin", distance=radius_m)
        near = np.bincount(left, minlength=len(seg)).astype(float)
    seg[FOOTFALL] = near
    return seg


def place_incidents(
    segments: gpd.GeoDataFrame, points: gpd.GeoSeries, *, max_m: float
) -> np.ndarray:
    """Return each point's segment position (row number in ``segments``), -1 beyond ``max_m``."""
    where = np.full(len(points), -1, dtype=np.int64)
    if not len(points) or not len(segments):
        return where
    tree = shapely.STRtree(segments.geometry.to_numpy())
    left, right = tree.query_nearest(
        points.to_crs(str(segments.crs)).to_numpy(), max_distance=max_m, all_matches=False
    )
    where[left] = right
    return where


def near_lines(segments: gpd.GeoDataFrame, lines: gpd.GeoSeries, dist_m: float) -> np.ndarray:
    """Return True for the segments whose midpoint lies within ``dist_m`` of any of ``lines``."""
    if not len(lines):
        return np.zeros(len(segments), dtype=bool)
    mids = shapely.line_interpolate_point(segments.geometry.to_numpy(), 0.5, normalized=True)
    union = shapely.union_all(lines.to_crs(str(segments.crs)).to_numpy())
    return np.asarray(shapely.dwithin(mids, union, dist_m), dtype=bool)


def period_weights(
    incidents: pd.DataFrame, start: dt.date, end: dt.date, window: Window
) -> np.ndarray:
    """
    How much of each incident falls in ``[start, end)`` (days, local dates), in the window.

    An incident with a time of day counts 1 when it is in the period, on one of the window's
    weekdays and within its hours, else 0. A month-only record counts the share of its
    month's days that lie in the period (its day and hour are unknown).

    Examples
    --------
    >>> frame = pd.DataFrame({"month": ["2022-10"], "occurred_at": [pd.NaT],
    ...                       "time_known": [False]})
    >>> float(period_weights(frame, dt.date(2022, 10, 1), dt.date(2022, 10, 11), Window())[0])
    0.3225806451612903
    """
    known = incidents[TIME_KNOWN].to_numpy(dtype=bool)
    out = np.zeros(len(incidents))
    if known.any():
        when = pd.DatetimeIndex(incidents.loc[known, OCCURRED_AT])
        day = np.asarray(when.date)
        minute = when.hour.to_numpy() * 60 + when.minute.to_numpy()
        inside = (
            (day >= start)
            & (day < end)
            & np.isin(when.day_of_week.to_numpy(), list(window.weekdays))
            & (minute >= window.start_minute)
            & (minute < window.end_minute)
        )
        out[known] = inside.astype(float)
    months = pd.PeriodIndex(incidents.loc[~known, MONTH].astype(str), freq="M")
    if len(months):
        first = months.start_time.date
        last = (months.end_time + pd.Timedelta(days=0)).date
        overlap = np.array(
            [
                (min(b + dt.timedelta(days=1), end) - max(a, start)).days
                for a, b in zip(first, last, strict=True)
            ],
            dtype=float,
        )
        out[~known] = np.clip(overlap, 0, None) / months.days_in_month.to_numpy()
    return out


def data_end(incidents: pd.DataFrame) -> dt.date:
    """Return the day after the newest incident (the end of its month for month-only records)."""
    known = incidents[TIME_KNOWN].to_numpy(dtype=bool)
    ends = []
    if known.any():
        ends.append(pd.DatetimeIndex(incidents.loc[known, OCCURRED_AT]).max().date())
    if (~known).any():
        newest = pd.Period(str(incidents.loc[~known, MONTH].astype(str).max()), freq="M")
        ends.append(newest.end_time.date())
    return max(ends) + dt.timedelta(days=1) if ends else dt.date.min
