"""Find a week's hotspots: select the incidents, run the method, make the polygon table.

The stage's entry point :func:`find_hotspots` (pure: data in, a :class:`Hotspots` out;
with no ``term`` given, the school calendar is read from ``[hotspots] term_dates``). The
incidents are chosen by the one selection, :func:`~corridors.hotspots.select.select_incidents`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from corridors.config import HotspotConfig, config_to_dict
from corridors.errors import ConfigError
from corridors.hotspots.methods import METHODS, Found, find_with
from corridors.hotspots.polygons import _polygon_table
from corridors.hotspots.result import CLUSTER, WEIGHT, Hotspots
from corridors.hotspots.select import SelectionRules, select_incidents
from corridors.hotspots.term_file import term_calendar
from corridors.hotspots.terms import TermCalendar
from corridors.hotspots.units import _bounds, _reference_area, _segments, _xy
from corridors.hotspots.weights import check_weighted
from corridors.week import PlanWeek, Window

if TYPE_CHECKING:
    from corridors.graph import StreetGraph

logger = logging.getLogger(__name__)


def find_hotspots(
    incidents: gpd.GeoDataFrame,
    cfg: HotspotConfig,
    *,
    week: PlanWeek,
    window: Window,
    street: StreetGraph | None = None,
    previous: Hotspots | gpd.GeoDataFrame | None = None,
    study_area: BaseGeometry | None = None,
    term: TermCalendar | None = None,
) -> Hotspots:
    """
    Find the hotspots for one planned week.

    Parameters
    ----------
    incidents
        Incidents in the io contract, projected CRS (metres).
    cfg
        ``method`` (``dbscan``, ``hdbscan``, ``kde`` or ``network``), the selection settings
        (offence weights, ``half_life_weeks``, ``train_all_hours``: see
        :func:`select_incidents`) and the method's parameters: ``eps_m`` and
        ``min_samples`` (DBSCAN; ``min_samples`` counts incidents), ``min_cluster_size`` and
        ``min_samples`` (HDBSCAN, on distinct locations), ``cell_m`` and ``bandwidth_m``
        (KDE), ``snap_m`` (network; also the snapping distance for ``edge_intensity``).
        KDE and network hotspots are the best cells / street segments that together cover
        ``area_share`` of the study area (segments count as ``length x 2 snap_m``).
    week
        The planned week (its Monday, the area's time zone, the look-back).
    window
        The after-school window (``Config.stage_window("hotspots")``; school days only
        needs ``term``).
    street
        The walking graph; needed for ``network`` and for ``edge_intensity``.
    previous
        Last week's hotspots: a new hotspot that overlaps one of them keeps its id.
    study_area
        Polygon (same CRS) for the area share; default: the street graph's convex hull, or
        the incidents' convex hull.
    term
        School calendar (default from the config).

    Returns
    -------
    Hotspots
        Selected incidents, polygons (projected CRS) and per-edge intensity.

    Raises
    ------
    ConfigError
        If ``method`` is ``network`` and no street graph is given.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> from corridors.week import PlanWeek, Window
    >>> pts = [Point(1000 + i % 3, 1000) for i in range(12)]
    >>> inc = gpd.GeoDataFrame({"offence": ["Robbery"] * 12, "month": ["2022-09"] * 12,
    ...     "occurred_at": pd.NaT, "time_known": False}, geometry=pts, crs="EPSG:27700")
    >>> week = PlanWeek.parse("2022-W45", timezone="Europe/London", lookback_weeks=52)
    >>> spots = find_hotspots(inc, HotspotConfig(method="dbscan"), week=week, window=Window())
    >>> len(spots.polygons), spots.time_known
    (1, False)
    """
    _check_method(cfg, street)
    rules = SelectionRules.of(cfg, term=term_calendar(cfg) if term is None else term)
    sel = select_incidents(incidents, week, window, rules=rules)
    check_weighted(incidents, cfg)
    table = sel.table
    xy = _xy(table)
    weights = table[WEIGHT].to_numpy(dtype=float) if len(table) else np.zeros(0)
    seg = _segments(street) if street is not None else None
    budget = cfg.area_share * _reference_area(incidents, street, study_area)
    bounds = _bounds(incidents, street, study_area, pad=3 * cfg.bandwidth_m)
    found = find_with(cfg, xy, weights, seg, bounds=bounds, budget_m2=budget)
    table = table.copy()
    table[CLUSTER] = found.labels.astype(int)
    polygons = _polygon_table(table, found.polygons, incidents.crs, previous)
    notes = [*sel.notes, *found.notes, *_empty_notes(cfg, len(table), len(polygons), week)]
    logger.info(
        "Found %d %s hotspots from %s selected incidents (week of %s)",
        len(polygons), cfg.method, f"{len(table):,}", week.start,
    )  # fmt: skip
    return Hotspots(
        selected=table,
        polygons=polygons,
        edge_intensity=_edge_intensity(found),
        method=cfg.method,
        params=_params(cfg, found),
        time_known=sel.time_known,
        notes=tuple(notes),
    )


def _check_method(cfg: HotspotConfig, street: StreetGraph | None) -> None:
    if cfg.method not in METHODS:
        raise ConfigError(f"hotspots.method must be one of {list(METHODS)}, got {cfg.method!r}")
    if cfg.method == "network" and street is None:
        raise ConfigError(
            "hotspots.method = 'network' needs the street graph; pass street= or choose "
            "'dbscan', 'hdbscan' or 'kde'"
        )


def _params(cfg: HotspotConfig, found: Found) -> dict[str, object]:
    """Return the settings used (bar the sweep), and the thinning cell of DBSCAN/HDBSCAN."""
    params: dict[str, object] = {k: v for k, v in config_to_dict(cfg).items() if k != "sweep"}
    if found.thin_m is not None:
        params["thin_m_used"] = found.thin_m
    return params


def _edge_intensity(found: Found) -> pd.Series:
    """Return the method's per-edge intensity, or an empty series indexed (u, v, key)."""
    if len(found.edge_intensity):
        return found.edge_intensity
    return pd.Series(
        dtype=float, name="intensity",
        index=pd.MultiIndex.from_arrays([[], [], []], names=["u", "v", "key"]),
    )  # fmt: skip


def _empty_notes(cfg: HotspotConfig, n_selected: int, n_polygons: int, week: PlanWeek) -> list[str]:
    """Say (and log) why a week has no hotspots."""
    if n_selected == 0:
        logger.warning("No incidents selected for hotspots (week of %s)", week.start)
        return ["no incidents were selected: no hotspots this week"]
    if n_polygons == 0:
        note = no_hotspots_note(cfg, n_selected)
        logger.warning("%s", note)
        return [note]
    return []


def no_hotspots_note(cfg: HotspotConfig, n_selected: int) -> str:
    """
    Say plainly that a method found no hotspot in ``n_selected`` incidents, and what to try.

    Examples
    --------
    >>> print(no_hotspots_note(HotspotConfig(method="dbscan"), 40))  # doctest: +ELLIPSIS
    0 hotspots (dbscan) from 40 selected incidents: ... min_samples (5) ... eps_m (150 m) ...
    """
    look = {
        "dbscan": (
            f"a hotspot needs min_samples ({cfg.min_samples}) incidents within eps_m "
            f"({cfg.eps_m:g} m) of each other: raise [hotspots] eps_m or lower min_samples"
        ),
        "hdbscan": (
            f"a hotspot needs min_cluster_size ({cfg.min_cluster_size}) distinct places, "
            f"min_samples ({cfg.min_samples}) of them close together: lower [hotspots] "
            "min_cluster_size or min_samples"
        ),
        "kde": (
            f"no grid cell has any density at bandwidth_m ({cfg.bandwidth_m:g} m), cell_m "
            f"({cfg.cell_m:g} m) and area_share ({cfg.area_share:g}): raise [hotspots] "
            "bandwidth_m or area_share"
        ),
        "network": (
            f"no incident lies within snap_m ({cfg.snap_m:g} m) of a street, or the area_share "
            f"({cfg.area_share:g}) holds no street: raise [hotspots] snap_m or area_share, "
            "and check that the street graph covers the incidents"
        ),
    }[cfg.method]
    return f"0 hotspots ({cfg.method}) from {n_selected:,} selected incidents: {look}"
