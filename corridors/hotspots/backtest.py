"""Backtests: score hotspot configurations on rolling test periods (hit rate, PAI, PEI).

Pure: incidents, configurations and the study area in, a ranked table out. Every table has
the strong simple baselines (last period's counts, the training period's counts per cell in
the window and, when times are known, on all hours); the best of them is the bar. Scoring,
street length and the bootstrap intervals are in :mod:`corridors.hotspots.scoring`.
Sweeps and ``tune`` are in :mod:`corridors.hotspots.sweep`; the table's CSV and chart are
written by :mod:`corridors.hotspots.export`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from corridors.config import HotspotConfig, config_to_dict
from corridors.errors import ConfigError, InputDataError
from corridors.hotspots.blend import History, Places
from corridors.hotspots.methods import (
    HISTORY_METHODS,
    _buffer_m,
    _cluster_labels,
    count_scores,
    model_scores,
    network_scores,
)
from corridors.hotspots.offence_share import learned_rules
from corridors.hotspots.polygons import _cluster_polygons
from corridors.hotspots.result import MONTH_ONLY_NOTE, WEIGHT
from corridors.hotspots.scoring import (
    PeriodScores,
    _evaluate,
    _Score,
    add_intervals,
    cell_street_m,
    format_table,
)
from corridors.hotspots.select import (
    SelectionRules,
    _local_times,
    _month_starts,
    select_incidents,
    window_mask,
    window_of,
)
from corridors.hotspots.term_file import term_calendar
from corridors.hotspots.terms import TermCalendar
from corridors.hotspots.units import _Grid, _kde_surface, _Segments, _segments, _xy
from corridors.hotspots.weights import offence_weights
from corridors.load import OFFENCE, TIME_KNOWN
from corridors.week import PlanWeek

if TYPE_CHECKING:
    from corridors.graph import StreetGraph

logger = logging.getLogger(__name__)

BASELINE = "naive baseline"
"""The label of the naive baseline row (method ``naive``: last period's counts per cell)."""
COUNTS = "counts baseline, window"
COUNTS_ALL = "counts baseline, all hours"
#: The baselines' ``method`` values: label and training window of each.
BASELINES: dict[str, tuple[str, str]] = {
    "naive": (BASELINE, "last period, after-school window"),
    "counts": (COUNTS, "training periods, after-school window"),
    "counts (all hours)": (COUNTS_ALL, "training periods, all hours"),
}
TABLE_COLUMNS = (
    "rank", "label", "method", "params", "train_window", "periods", "test_incidents", "hits",
    "hit_rate", "area_share", "ranked_share", "pai", "pai_lo", "pai_hi", "street_share",
    "street_pai", "street_pai_lo", "street_pai_hi", "pei", "bar", "vs_best_baseline",
    "vs_best_baseline_lo", "vs_best_baseline_hi", "street_vs_best", "street_vs_best_lo",
    "street_vs_best_hi", "small_sample", "time_note",
)  # fmt: skip

Span = tuple[pd.Timestamp, pd.Timestamp]


@dataclass(frozen=True)
class _Folds:
    """The test periods of a backtest and what every configuration is scored against."""

    period: str  # "week" or "month"
    spans: list[Span]
    lookback_weeks: int  # training look-back before each test period
    timezone: str
    term: TermCalendar | None
    seg: _Segments | None
    all_xy: np.ndarray  # every incident's coordinates
    bounds: tuple[float, float, float, float]  # the study area's (grids are laid over it)
    total_area: float
    total_street: float  # street length inside the study area (NaN without a street graph)
    cell_street: dict[float, np.ndarray]  # street length per grid cell, by cell size
    places: Places | None = None  # schools and hubs (the learned model's covariates)


def backtest(
    incidents: gpd.GeoDataFrame,
    cfgs: Sequence[HotspotConfig],
    *,
    timezone: str,
    study_area: BaseGeometry,
    street: StreetGraph | None = None,
    periods: int | None = None,
    period: str = "auto",
    train_periods: int | None = None,
    term: TermCalendar | None = None,
    places: Places | None = None,
) -> pd.DataFrame:
    """
    Score hotspot configurations with rolling backtests.

    For each of the last ``periods`` weeks (or months: ``period="auto"`` chooses months when
    most incidents are month-only), each configuration is trained on the ``train_periods``
    before it (the one selection, :func:`select_incidents`, for a
    :class:`~corridors.week.PlanWeek` that starts with the test period: all hours or the
    window only, decay, offence weights; each configuration's window is its own
    ``window_start``, ``window_end`` and ``weekdays``, which a sweep may vary) and predicts
    the best units covering ``area_share`` of the study area: grid cells of ``cell_m`` for
    DBSCAN, HDBSCAN (cells whose centre is in a cluster polygon, ranked by the cluster's
    weight per area) and KDE; street segments (area ``length x 2 snap_m``) for the network
    method, scored by snapping the test incidents. Test incidents are those of the period in
    the after-school window (month-only: the whole month) with a positive offence weight,
    counted once each.

    Measures, pooled over the periods: hit rate = hits / test incidents; PAI = hit rate /
    area share; PEI = hits / the most hits any choice of units of the same total area could
    have had (greedy by test count per area; exact for equal cells). So that every method is
    compared at the same coverage, a method whose ranked units cover less than
    ``area_share`` has the rest filled at random (it gets the expected hits of chance);
    ``ranked_share`` is the share it ranked itself. ``hits`` may therefore be fractional.

    Parameters
    ----------
    incidents
        Incidents in the io contract, projected CRS (metres).
    cfgs
        Configurations to compare (see :func:`expand_sweep`).
    timezone
        The area's time zone.
    study_area
        Polygon of the study area (same CRS); its area is the denominator of area shares.
    street
        The walking graph; needed for ``network`` configurations.
    periods
        Number of test periods (default ``cfgs[0].backtest_periods``).
    period
        ``"auto"``, ``"week"`` or ``"month"``.
    train_periods
        Training periods before each test period (default ``cfgs[0].train_periods``, and
        0 means 52 weeks or 12 months).
    term
        School calendar (default from the first config).
    places
        The schools and transport hubs (covariates of the ``learned`` method).

    Returns
    -------
    pd.DataFrame
        One row per configuration plus the baselines, ranked by PAI (columns
        ``TABLE_COLUMNS``): ``naive`` (last period's counts per ``cell_m`` grid cell of the
        first configuration), ``counts`` (every training-period incident in the window, per
        cell, no decay) and, when some incidents have times, ``counts (all hours)``. The
        best baseline by PAI is the ``bar``; ``vs_best_baseline`` is each row's PAI over the
        bar's, with a paired bootstrap interval over the test periods (``pai_lo``/``pai_hi``
        likewise, seeded by ``cfgs[0].seed``). ``street_pai`` divides the hit rate by the
        share of the street length flagged (street length in the flagged cells or segments
        / street length in the study area; NaN without ``street``). ``small_sample`` is True
        when fewer than 100 incidents were tested: too few to rank. A ``counts``
        configuration is plain counts on its own grid, a baseline too (method ``counts``);
        on a tie the baseline row is the bar.

    Examples
    --------
    >>> import datetime as dt
    >>> from shapely.geometry import Point, box
    >>> pts = [Point(1000 + (i % 4), 1000) for i in range(40)]
    >>> pts += [Point(5000, 5000 + i) for i in range(8)]
    >>> months = [f"2022-{1 + i % 8:02d}" for i in range(48)]
    >>> inc = gpd.GeoDataFrame({"offence": "Robbery", "month": months, "occurred_at": pd.NaT,
    ...     "time_known": False}, geometry=pts, crs="EPSG:27700")
    >>> table = backtest(inc, [HotspotConfig(method="kde")], timezone="Europe/London",
    ...     study_area=box(0, 0, 6000, 6000), periods=2)
    >>> table["method"].tolist()
    ['counts', 'kde', 'naive']
    >>> bool(table["small_sample"].all())
    True
    """
    if not cfgs:
        raise ConfigError("backtest needs at least one hotspot configuration")
    folds = _folds(
        incidents, cfgs, timezone=timezone, study_area=study_area, street=street,
        periods=periods, period=period, train_periods=train_periods, term=term,
    )  # fmt: skip
    folds = dataclasses.replace(folds, places=places)
    kinds = ["naive", "counts"] + (["counts (all hours)"] if _time_known_share(incidents) else [])
    rows, per_period = [], []
    # baselines first: on a tie (a ``counts`` configuration on their grid) a baseline is the bar
    items: list[HotspotConfig | str] = [*kinds, *cfgs]
    for item in items:
        row, scores = _score_config(incidents, item, cfgs[0], folds)
        rows.append(row)
        per_period.append(PeriodScores.of(scores, folds.total_area, folds.total_street))
    table = pd.DataFrame(rows)
    table = add_intervals(table, per_period, baselines=list(BASELINES), seed=cfgs[0].seed)
    table = table.sort_values(
        ["pai", "hit_rate", "label"], ascending=[False, False, True], na_position="last"
    )
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    table = table.reset_index(drop=True)
    logger.info(
        "Backtested %d configurations over %d %ss (%.0f%% of incidents with times)",
        len(cfgs), len(folds.spans), folds.period, 100 * _time_known_share(incidents),
    )  # fmt: skip
    return table[list(TABLE_COLUMNS)]


def _folds(
    incidents: gpd.GeoDataFrame,
    cfgs: Sequence[HotspotConfig],
    *,
    timezone: str,
    study_area: BaseGeometry,
    street: StreetGraph | None,
    periods: int | None,
    period: str,
    train_periods: int | None,
    term: TermCalendar | None,
) -> _Folds:
    """Check the arguments and lay out the test periods (defaults from ``cfgs[0]``)."""
    first = cfgs[0]
    period, spans = _periods(incidents, timezone, period, periods or first.backtest_periods)
    tp = train_periods if train_periods is not None else first.train_periods
    if tp <= 0:
        tp = 52 if period == "week" else 12
    if term is None:
        term = term_calendar(first)
    if any(c.method == "network" for c in cfgs) and street is None:
        raise ConfigError("backtesting the 'network' method needs the street graph (street=)")
    total_area = float(study_area.area)
    if total_area <= 0:
        raise InputDataError("study_area has no area; pass the area's polygon in metres")
    seg = _segments(street) if street is not None else None
    total_street = math.nan
    if seg is not None and len(seg.geometry):
        total_street = float(shapely.length(shapely.intersection(seg.geometry, study_area)).sum())
    return _Folds(
        period=period,
        spans=spans,
        lookback_weeks=tp if period == "week" else math.ceil(tp * 52 / 12),
        timezone=timezone,
        term=term,
        seg=seg,
        all_xy=_xy(incidents),
        bounds=study_area.bounds,
        total_area=total_area,
        total_street=total_street,
        cell_street={},
    )


def _score_config(
    incidents: gpd.GeoDataFrame,
    item: HotspotConfig | str,
    first: HotspotConfig,
    folds: _Folds,
) -> tuple[dict[str, Any], list[_Score]]:
    """Return the row of one configuration or baseline (on ``first``'s grid) and its scores."""
    use = item if isinstance(item, HotspotConfig) else first
    grid = _Grid.over(folds.bounds, use.cell_m)
    scores = [_score_period(incidents, item, use, grid, span, folds) for span in folds.spans]
    hits = sum((s.hits for s in scores), 0.0)
    n_test = sum((s.test for s in scores), 0)
    best = sum((s.best for s in scores), 0.0)
    area_used = [s.area_m2 / folds.total_area for s in scores]
    street_used = [s.street_m / folds.total_street for s in scores]
    ranked_used = [s.ranked_m2 / folds.total_area for s in scores]
    hit_rate = hits / n_test if n_test else float("nan")
    share = float(np.mean(area_used)) if area_used else float("nan")
    street_share = float(np.mean(street_used)) if street_used else float("nan")
    row = {
        **_describe(item, first),
        "periods": len(folds.spans),
        "test_incidents": n_test,
        "hits": hits,
        "hit_rate": hit_rate,
        "area_share": share,
        "ranked_share": float(np.mean(ranked_used)) if ranked_used else float("nan"),
        "pai": hit_rate / share if share > 0 else float("nan"),
        "street_share": street_share,
        "street_pai": hit_rate / street_share if street_share > 0 else float("nan"),
        "pei": hits / best if best else float("nan"),
        "time_note": (
            "after-school window (times known)"
            if folds.period == "week"
            else f"month-only data: {MONTH_ONLY_NOTE}; tested on whole months"
        ),
    }
    return row, scores


def _describe(item: HotspotConfig | str, first: HotspotConfig) -> dict[str, str]:
    """
    Return the label, method, parameters and training window columns of a row.

    A counts baseline's parameters are its grid (``first``'s ``cell_m``) and
    ``train_all_hours``: what ``plan``'s ``counts`` method needs to draw it.
    """
    if isinstance(item, str):
        label, window = BASELINES[item]
        params: dict[str, float | bool] = {"cell_m": first.cell_m}
        if item != "naive":
            params["train_all_hours"] = item == "counts (all hours)"
        return {
            "label": label,
            "method": item,
            "params": json.dumps(params),
            "train_window": window,
        }
    params = {k: v for k, v in config_to_dict(item).items() if k != "sweep"}
    return {
        "label": _label(item),
        "method": item.method,
        "params": json.dumps(params, default=str),
        "train_window": "all hours" if item.train_all_hours else "after-school window",
    }


def _score_period(
    incidents: gpd.GeoDataFrame,
    item: HotspotConfig | str,
    use: HotspotConfig,
    grid: _Grid,
    span: Span,
    folds: _Folds,
) -> _Score:
    """Train on the periods before ``span`` (naive baseline: the last one) and score ``span``."""
    test = _test_mask(incidents, use, span, folds.period, folds.timezone, folds.term)
    network = isinstance(item, HotspotConfig) and item.method == "network"
    if item == "naive":
        step = pd.Timedelta(weeks=1) if folds.period == "week" else pd.DateOffset(months=1)
        prev_span = (span[0] - step, span[0])
        prev = _test_mask(incidents, use, prev_span, folds.period, folds.timezone, folds.term)
        scores = count_scores(folds.all_xy[prev], grid)
    else:
        week = PlanWeek.starting(
            span[0].tz_localize(None).date(), timezone=folds.timezone,
            lookback_weeks=folds.lookback_weeks,
        )  # fmt: skip
        cfg = item if isinstance(item, HotspotConfig) else _counts_config(use, item)
        if isinstance(item, HotspotConfig):  # learned offence weights: hotspots/offence_share.py
            rules, _ = learned_rules(incidents, cfg, week, window_of(cfg), folds.term)
        else:
            rules = SelectionRules.of(cfg, term=folds.term)
        train = select_incidents(incidents, week, window_of(cfg), rules=rules).table
        if isinstance(item, HotspotConfig):
            scores = _unit_scores(train, cfg, grid, folds.seg, start=span[0], places=folds.places)
        else:  # plain counts per cell: every selected incident counts 1
            scores = count_scores(_xy(train), grid)
    street_m = None
    if network and folds.seg is not None:
        assert isinstance(item, HotspotConfig)
        areas = folds.seg.length_m * 2 * item.snap_m
        units = folds.seg.snap(folds.all_xy[test], item.snap_m)
        street_m = folds.seg.length_m
    else:
        areas = np.full(grid.nx * grid.ny, grid.cell_m**2)
        units = grid.index(folds.all_xy[test])
        if folds.seg is not None:
            if grid.cell_m not in folds.cell_street:
                folds.cell_street[grid.cell_m] = cell_street_m(grid, folds.seg.geometry)
            street_m = folds.cell_street[grid.cell_m]
    return _evaluate(scores, areas, units, folds.total_area, use.area_share, street_m)


def _counts_config(first: HotspotConfig, kind: str) -> HotspotConfig:
    """Return the selection of a counts baseline: ``first``'s, all hours or the window only."""
    return dataclasses.replace(first, train_all_hours=kind == "counts (all hours)", sweep={})


def _label(cfg: HotspotConfig) -> str:
    keys = {
        "dbscan": ("eps_m", "min_samples", "cell_m"),
        "hdbscan": ("min_cluster_size", "min_samples", "cell_m"),
        "kde": ("bandwidth_m", "cell_m"),
        "network": ("snap_m", "network_radius_m"),
        "blend": ("bandwidth_m", "cell_m", "period_weeks"),
        "learned": ("cell_m", "period_weeks", "learned_max_iter", "learned_min_leaf"),
        "counts": ("cell_m",),
    }[cfg.method]
    parts = [f"{k}={getattr(cfg, k):g}" for k in keys]
    parts.append(f"half_life={cfg.half_life_weeks:g}w")
    parts.append("all hours" if cfg.train_all_hours else "window only")
    if cfg.offence_weighting == "learned":
        parts.append(f"learned offence weights (prior {cfg.offence_prior:g})")
    return f"{cfg.method} " + " ".join(parts)


def _periods(
    incidents: gpd.GeoDataFrame, timezone: str, period: str, n: int
) -> tuple[str, list[tuple[pd.Timestamp, pd.Timestamp]]]:
    local = _local_times(incidents, timezone)
    known = local.notna()
    if TIME_KNOWN in incidents:
        known &= incidents[TIME_KNOWN].fillna(False).astype(bool)
    if period == "auto":
        period = "week" if known.mean() >= 0.5 else "month"
    if period == "week":
        if not known.any():
            raise ConfigError(
                "backtest period 'week' needs incidents with known times; use 'month'"
            )
        last = local[known].max()
        last_day = last.tz_localize(None).normalize()
        # the last complete week ends on the Monday after the last incident's week
        end = last_day - pd.Timedelta(days=last_day.day_of_week)
        if (last_day - end).days >= 6:
            end = end + pd.Timedelta(days=7)
        starts = [end - pd.Timedelta(weeks=i) for i in range(n, 0, -1)]
        spans = [
            (s.tz_localize(timezone), (s + pd.Timedelta(weeks=1)).tz_localize(timezone))
            for s in starts
        ]
    elif period == "month":
        months = _month_starts(incidents).dropna()
        if months.empty:
            raise InputDataError("incidents: no valid 'month' values (YYYY-MM) to backtest on")
        last = months.max()
        starts = [last - pd.DateOffset(months=i) for i in range(n - 1, -1, -1)]
        spans = [
            (s.tz_localize(timezone), (s + pd.DateOffset(months=1)).tz_localize(timezone))
            for s in starts
        ]
    else:
        raise ConfigError(f"backtest period must be 'auto', 'week' or 'month', got {period!r}")
    return period, spans


def _test_mask(
    incidents: gpd.GeoDataFrame,
    cfg: HotspotConfig,
    span: tuple[pd.Timestamp, pd.Timestamp],
    period: str,
    timezone: str,
    term: TermCalendar | None,
) -> np.ndarray:
    local = _local_times(incidents, timezone)
    known = local.notna().to_numpy()
    if TIME_KNOWN in incidents:
        known = known & incidents[TIME_KNOWN].fillna(False).to_numpy(dtype=bool)
    weights = offence_weights(cfg)
    offence = incidents[OFFENCE].astype("string").fillna("")
    positive = offence.map(lambda o: weights.get(o, cfg.other_weight) > 0).to_numpy(dtype=bool)
    start, end = span
    timed = known & ((local >= start) & (local < end)).fillna(False).to_numpy(dtype=bool)
    timed &= window_mask(local, window_of(cfg), term)
    if period == "month":
        month = _month_starts(incidents)
        same = (month == start.tz_localize(None)).fillna(False).to_numpy(dtype=bool)
        return positive & (timed | (~known & same))
    return positive & timed


def _unit_scores(
    train: gpd.GeoDataFrame,
    cfg: HotspotConfig,
    grid: _Grid,
    seg: _Segments | None,
    *,
    start: pd.Timestamp,
    places: Places | None = None,
) -> np.ndarray:
    xy = _xy(train)
    w = train[WEIGHT].to_numpy(dtype=float) if len(train) else np.zeros(0)
    if cfg.method == "kde":
        return _kde_surface(xy, w, grid, cfg.bandwidth_m)
    if cfg.method == "counts":  # the counts baseline as a method (same selection rules)
        return count_scores(xy, grid)
    if cfg.method in HISTORY_METHODS:  # blend, learned (hotspots/blend.py, learned.py)
        return model_scores(cfg, History.of(train, cfg, start, places), grid)
    if cfg.method == "network":
        assert seg is not None
        return network_scores(cfg, xy, w, seg)[1]
    labels, _ = _cluster_labels(xy, cfg, cfg.method)
    polys = _cluster_polygons(xy, labels, _buffer_m(cfg))
    scores = np.zeros(grid.nx * grid.ny)
    centres = grid.centres()
    for c, poly in enumerate(polys):
        density = w[labels == c].sum() / max(poly.area, 1.0)
        inside = shapely.contains_xy(poly, centres[:, 0], centres[:, 1])
        scores[inside] = np.maximum(scores[inside], density)
    return scores


def _time_known_share(incidents: gpd.GeoDataFrame) -> float:
    if TIME_KNOWN not in incidents or not len(incidents):
        return 0.0
    return float(incidents[TIME_KNOWN].fillna(False).astype(bool).mean())


#: Alias of :func:`format_table` (the name ``cli.py`` uses).
format_backtest = format_table

__all__ = [
    "BASELINE", "BASELINES", "COUNTS", "COUNTS_ALL", "TABLE_COLUMNS", "backtest",
    "format_backtest", "format_table",
]  # fmt: skip
