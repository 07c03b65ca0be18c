"""Targeting: whether the patrols went where the harm was, against plain hotspot patrols.

For each week: the share of the week's after-school incidents that fell on patrolled
streets, and that share per km of patrolled street; against the same for the week's top
hotspot street segments (by the plan's own hotspot intensity) of the same total length.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from corridors.evaluate.streets import LENGTH_M

TARGETING_COLUMNS = (
    "week",
    "incidents",
    "patrolled_km",
    "on_patrolled",
    "patrolled_share",
    "patrolled_share_per_km",
    "hotspot_km",
    "on_hotspots",
    "hotspot_share",
    "hotspot_share_per_km",
)


def top_segments(intensity: np.ndarray, length_m: np.ndarray, total_m: float) -> np.ndarray:
    """
    Return the highest-intensity segments adding up to ``total_m`` (the last one tips it).

    Examples
    --------
    >>> top_segments(np.array([1.0, 5.0, 3.0]), np.array([100.0, 100.0, 100.0]), 150.0)
    array([False,  True,  True])
    """
    chosen = np.zeros(len(intensity), dtype=bool)
    if total_m <= 0:
        return chosen
    order = np.argsort(-intensity, kind="stable")
    order = order[intensity[order] > 0]
    cum = np.cumsum(length_m[order])
    take = int(np.searchsorted(cum, total_m, side="left")) + 1
    chosen[order[:take]] = True
    return chosen


def targeting_table(
    segments: pd.DataFrame,
    placed: np.ndarray,
    weights: Mapping[str, np.ndarray],
    patrolled: Mapping[str, np.ndarray],
    intensity: Mapping[str, np.ndarray],
) -> pd.DataFrame:
    """
    One row per week: incidents, patrolled km and share, hotspot km and share.

    Parameters
    ----------
    segments
        The street segments (``length_m``).
    placed
        Each incident's segment position (-1: on no street).
    weights
        Per week, each incident's weight in that week (1, 0, or a month-only share).
    patrolled
        Per week, a mask of the segments the week's loops walk.
    intensity
        Per week, the plan's hotspot intensity of each segment (0 where none).
    """
    length = segments[LENGTH_M].to_numpy(dtype=float)
    on_street = placed >= 0
    rows = []
    for week, w in weights.items():
        total = float(w.sum())
        mask = patrolled[week]
        km = float(length[mask].sum()) / 1000
        hot = top_segments(intensity[week], length, km * 1000)
        hot_km = float(length[hot].sum()) / 1000
        on_patrol = float(w[on_street & mask[np.where(on_street, placed, 0)]].sum())
        on_hot = float(w[on_street & hot[np.where(on_street, placed, 0)]].sum())
        share = on_patrol / total if total else np.nan
        hot_share = on_hot / total if total else np.nan
        rows.append(
            (
                week,
                total,
                km,
                on_patrol,
                share,
                share / km if km else np.nan,
                hot_km,
                on_hot,
                hot_share,
                hot_share / hot_km if hot_km else np.nan,
            )
        )
    return pd.DataFrame(rows, columns=list(TARGETING_COLUMNS))
