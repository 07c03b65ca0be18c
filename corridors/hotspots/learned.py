"""A learned model of next period's counts per grid cell (the ``learned`` method).

Pure: scikit-learn's ``HistGradientBoostingRegressor`` with Poisson loss on grid cells.
Features per cell, each built only from the periods before the one it predicts
(:func:`corridors.hotspots.blend.period_counts` raises on any incident at or after the
prediction start): mean counts over the last period, the last three and all of them, at
three scales (the cell, its 3x3 and 5x5 neighbourhoods); in-window counts over all
periods (the cell and 5x5; all-hours vs window when times are known); the time of year of
the period predicted; the distance to the nearest school and transport hub (when given).
Training is time-ordered: each training period is a target
predicted from the periods before it; the model then predicts the period to come from
every training period. Only cells with some incident in their 5x5 neighbourhood are
modelled (the rest score 0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from corridors.config import HotspotConfig
from corridors.hotspots.blend import History, history_sum, period_counts
from corridors.hotspots.units import _Grid

LEARNED_FEATURES = (
    "cell_last", "cell_last3", "cell_all", "3x3_last", "3x3_last3", "3x3_all",
    "5x5_last", "5x5_last3", "5x5_all", "window_cell_all", "window_5x5_all",
    "year_sin", "year_cos", "school_m", "hub_m",
)  # fmt: skip
_MIN_HISTORY = 1  # periods of history a training target needs


def _neighbourhood(values: np.ndarray, grid: _Grid, size: int) -> np.ndarray:
    """Sum over the ``size`` x ``size`` cells around each cell."""
    if size == 1:
        return values
    from scipy.ndimage import uniform_filter

    mean = uniform_filter(values.reshape(grid.ny, grid.nx), size=size, mode="constant")
    out: np.ndarray = mean.ravel() * size * size
    return out


def learned_features(
    stack: np.ndarray,
    window: np.ndarray,
    target: int,
    grid: _Grid,
    history: History,
    period_weeks: float,
) -> np.ndarray:
    """Return the (cells, features) matrix of :data:`LEARNED_FEATURES` for ``target``."""
    cols = []
    for size in (1, 3, 5):
        for n in (1, 3, None):
            cols.append(_neighbourhood(history_sum(stack, target, n), grid, size))
    win_all = history_sum(window, target, None)
    cols += [win_all, _neighbourhood(win_all, grid, 5)]
    middle = history.start - pd.Timedelta(weeks=(target + 0.5) * period_weeks)
    angle = 2 * np.pi * middle.day_of_year / 365.25
    n_cells = stack.shape[1]
    cols += [np.full(n_cells, np.sin(angle)), np.full(n_cells, np.cos(angle))]
    centres = grid.centres()
    cols += [_nearest_m(centres, history.schools_xy), _nearest_m(centres, history.hubs_xy)]
    return np.column_stack(cols)


def _nearest_m(centres: np.ndarray, places: np.ndarray) -> np.ndarray:
    """Distance (m) from each cell centre to the nearest place (0 everywhere: no places)."""
    if len(places) == 0:
        return np.zeros(len(centres))
    from scipy.spatial import cKDTree

    dist, _ = cKDTree(places).query(centres)
    out: np.ndarray = np.asarray(dist, dtype=float)
    return out


def _active(stack: np.ndarray, grid: _Grid) -> np.ndarray:
    """Cells with some incident in their 5x5 neighbourhood in any period."""
    return np.flatnonzero(_neighbourhood(stack.sum(axis=0), grid, 5) > 0)


def _training_rows(
    stack: np.ndarray,
    window: np.ndarray,
    grid: _Grid,
    history: History,
    cfg: HotspotConfig,
    targets: range,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, counts and period of every (target period, active cell) row."""
    cells = _active(stack, grid)
    xs, ys, ts = [], [], []
    for t in targets:
        feats = learned_features(stack, window, t, grid, history, cfg.period_weeks)
        xs.append(feats[cells])
        ys.append(stack[t, cells])
        ts.append(np.full(len(cells), t))
    if not xs:
        return np.zeros((0, len(LEARNED_FEATURES))), np.zeros(0), np.zeros(0, dtype=int)
    return np.vstack(xs), np.concatenate(ys), np.concatenate(ts)


def _model(cfg: HotspotConfig):  # type: ignore[no-untyped-def]  # sklearn has no types
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        loss="poisson", max_iter=cfg.learned_max_iter, min_samples_leaf=cfg.learned_min_leaf,
        learning_rate=0.1, early_stopping=False, random_state=cfg.seed,
    )  # fmt: skip


def learned_scores(history: History, grid: _Grid, cfg: HotspotConfig) -> np.ndarray:
    """
    Score every cell for the period to come (expected weighted count; 0 = not modelled).

    With fewer than two training periods, or no count to learn from, the long-term counts
    are the score.
    """
    stack, window = period_counts(history, grid, cfg.period_weeks)
    targets = range(0, stack.shape[0] - _MIN_HISTORY)
    x, y, _ = _training_rows(stack, window, grid, history, cfg, targets)
    if len(y) == 0 or not np.any(y > 0):
        plain: np.ndarray = history_sum(stack, -1, None)
        return plain
    model = _model(cfg).fit(x, y)
    cells = _active(stack, grid)
    scores = np.zeros(stack.shape[1])
    feats = learned_features(stack, window, -1, grid, history, cfg.period_weeks)
    scores[cells] = model.predict(feats[cells])
    return scores


def feature_importances(
    history: History, bounds: tuple[float, float, float, float], cfg: HotspotConfig
) -> pd.Series:
    """
    Permutation importance of each feature on the last training period (for the notebook).

    ``history``: :meth:`History.of` the selected incidents; ``bounds``: the study area's
    extent (a grid of ``cfg.cell_m`` cells is laid over it). The model is fitted on the
    periods before the last one and scored (Poisson deviance) on the last: how much worse
    it predicts when a feature is shuffled. Empty with fewer than three training periods.
    """
    from sklearn.inspection import permutation_importance

    grid = _Grid.over(bounds, cfg.cell_m)
    stack, window = period_counts(history, grid, cfg.period_weeks)
    x, y, t = _training_rows(
        stack, window, grid, history, cfg, range(0, stack.shape[0] - _MIN_HISTORY)
    )
    fit, held = t > 0, t == 0
    if not np.any(y[fit] > 0) or not held.any():
        return pd.Series(dtype=float, name="importance")
    model = _model(cfg).fit(x[fit], y[fit])
    result = permutation_importance(
        model, x[held], y[held], scoring="neg_mean_poisson_deviance", n_repeats=5,
        random_state=cfg.seed,
    )  # fmt: skip
    out = pd.Series(result.importances_mean, index=list(LEARNED_FEATURES), name="importance")
    return out.sort_values(ascending=False)
