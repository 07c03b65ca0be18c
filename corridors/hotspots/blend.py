"""A fitted blend of long-term and recent intensity per grid cell (the ``blend`` method).

Pure array code. The training incidents are binned into periods of ``period_weeks`` before
the prediction start (period 0 is the latest); nothing at or after that start may be used
(:func:`period_counts` raises). Features per cell: the long-term mean count per period,
that mean smoothed by kernels of ``bandwidth_m`` and ``2 x bandwidth_m``, and the last
period's count. Weights are fitted on the training periods only: non-negative least
squares of the latest training period's counts on the features of the periods before it;
the fitted weights are then applied to features of every training period to score the
period to come.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from corridors.config import HotspotConfig
from corridors.errors import InputDataError
from corridors.hotspots.result import AGE_WEEKS, IN_WINDOW, WEIGHT
from corridors.hotspots.units import _Grid, _smooth_cells, _xy

BLEND_FEATURES = ("long_term", "kde_narrow", "kde_wide", "recent")


@dataclass(frozen=True)
class History:
    """Training incidents in time: where, when (weeks before the start), how much.

    ``weight`` is the offence weight without the recency decay (the models learn how much
    the past counts); ``start`` is the start of the period to predict. ``schools_xy`` and
    ``hubs_xy`` are the schools' and transport hubs' coordinates (covariates of the
    ``learned`` model; none: empty).
    """

    xy: np.ndarray
    age_weeks: np.ndarray
    in_window: np.ndarray
    weight: np.ndarray
    start: pd.Timestamp
    schools_xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    hubs_xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))

    @classmethod
    def of(
        cls,
        table: gpd.GeoDataFrame,
        cfg: HotspotConfig,
        start: pd.Timestamp,
        places: Places | None = None,
    ) -> History:
        """Return the history of selected incidents (WEIGHT, AGE_WEEKS, IN_WINDOW)."""
        schools, hubs = places_xy(places)
        if not len(table):
            empty = np.zeros(0)
            return cls(np.zeros((0, 2)), empty, empty.astype(bool), empty, start, schools, hubs)
        age = table[AGE_WEEKS].to_numpy(dtype=float)
        decay = np.power(0.5, age / cfg.half_life_weeks)
        weight = table[WEIGHT].to_numpy(dtype=float) / np.where(decay > 0, decay, 1.0)
        in_window = table[IN_WINDOW].to_numpy(dtype=bool)
        return cls(_xy(table), age, in_window, weight, start, schools, hubs)


#: The schools and the transport hubs (GeoDataFrames of points, the incidents' CRS).
Places = tuple[gpd.GeoDataFrame | None, gpd.GeoDataFrame | None]


def places_xy(places: Places | None) -> tuple[np.ndarray, np.ndarray]:
    """Return the schools' and hubs' coordinates (empty arrays for what is missing)."""
    schools, hubs = places or (None, None)
    return (
        _xy(schools) if schools is not None else np.zeros((0, 2)),
        _xy(hubs) if hubs is not None else np.zeros((0, 2)),
    )


def period_counts(
    history: History, grid: _Grid, period_weeks: float
) -> tuple[np.ndarray, np.ndarray]:
    """
    Return weighted counts per (period, cell): all hours and in-window only.

    Period ``k`` holds the incidents ``k * period_weeks`` to ``(k + 1) * period_weeks``
    weeks before the prediction start.

    Raises
    ------
    InputDataError
        If an incident is at or after the prediction start (it would leak the future).
    """
    age = history.age_weeks
    bad = ~(age > 0)
    if bad.any():
        raise InputDataError(
            f"{int(bad.sum())} training incident(s) are at or after the start of the period "
            f"to predict ({history.start}); features may use only earlier incidents"
        )
    n_periods = max(1, int(np.ceil(age.max() / period_weeks))) if len(age) else 1
    k = np.minimum((age // period_weeks).astype(np.int64), n_periods - 1)
    cell = grid.index(history.xy)
    ok = cell >= 0
    flat = k[ok] * (grid.nx * grid.ny) + cell[ok]
    size = n_periods * grid.nx * grid.ny
    every = np.bincount(flat, history.weight[ok], minlength=size)
    win_w = history.weight[ok] * history.in_window[ok]
    window = np.bincount(flat, win_w, minlength=size)
    shape = (n_periods, grid.nx * grid.ny)
    return every.reshape(shape), window.reshape(shape)


def history_sum(stack: np.ndarray, target: int, n: int | None) -> np.ndarray:
    """
    Mean per period of the ``n`` periods before period ``target`` (``None``: all of them).

    ``target = -1`` is the period to predict. Only periods after ``target`` (further back
    in time) are read.
    """
    lo = target + 1
    hi = stack.shape[0] if n is None else min(stack.shape[0], lo + n)
    if hi <= lo:
        return np.zeros(stack.shape[1])
    mean: np.ndarray = stack[lo:hi].mean(axis=0)
    return mean


def blend_features(stack: np.ndarray, target: int, grid: _Grid, cfg: HotspotConfig) -> np.ndarray:
    """Return the (cells, 4) features of :data:`BLEND_FEATURES` to predict ``target``."""
    long_term = history_sum(stack, target, None)
    return np.column_stack([
        long_term,
        _smooth_cells(long_term, grid, cfg.bandwidth_m),
        _smooth_cells(long_term, grid, 2 * cfg.bandwidth_m),
        history_sum(stack, target, 1),
    ])  # fmt: skip


def fit_blend(features: np.ndarray, target: np.ndarray) -> np.ndarray:
    """
    Return non-negative weights of ``features`` (cells, k) that best predict ``target``.

    Least squares with a free non-negative constant (the background rate; it changes no
    ranking and is dropped). All-zero weights fall back to the first feature alone.

    Examples
    --------
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0]])
    >>> np.round(fit_blend(x, x @ np.array([2.0, 0.5])), 6).tolist()
    [2.0, 0.5]
    """
    from scipy.optimize import nnls

    design = np.column_stack([features, np.ones(len(features))])
    coef, _ = nnls(design, target)
    weights: np.ndarray = coef[:-1]
    if not np.any(weights > 0):
        weights = np.zeros(features.shape[1])
        weights[0] = 1.0
    return weights


def blend_scores(
    history: History, grid: _Grid, cfg: HotspotConfig
) -> tuple[np.ndarray, dict[str, float]]:
    """
    Score every cell for the period to come; also return the fitted weights by feature.

    With fewer than two training periods there is nothing to fit on: the long-term counts
    are the score.
    """
    stack, _ = period_counts(history, grid, cfg.period_weeks)
    if stack.shape[0] < 2:
        weights = np.array([1.0, 0.0, 0.0, 0.0])
    else:
        weights = fit_blend(blend_features(stack, 0, grid, cfg), stack[0])
    scores: np.ndarray = blend_features(stack, -1, grid, cfg) @ weights
    return scores, dict(zip(BLEND_FEATURES, map(float, weights), strict=True))
