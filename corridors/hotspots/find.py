"""Find a week's hotspots: select the incidents, run the method, make the polygon table.

The stage's entry point :func:`find_hotspots` (pure: data in, a :class:`Hotspots` out;
with no ``term`` given, the school calendar is read from ``[hotspots] term_dates``). The
incidents are chosen by the one selection, :func:`~corridors.hotspots.select.select_incidents`.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from corridors.config import HotspotConfig, RouteConfig, config_to_dict
from corridors.errors import ConfigError
from corridors.hotspots.blend import History, Places
from corridors.hotspots.methods import METHODS, Found, find_with
from corridors.hotspots.offence_share import learned_rules
from corridors.hotspots.polygons import _polygon_table, _street_scale
from corridors.hotspots.result import CLUSTER, WEIGHT, Hotspots
from corridors.hotspots.select import select_incidents
from corridors.hotspots.term_file import term_calendar
from corridors.hotspots.terms import TermCalendar
from corridors.hotspots.units import _bounds, _reference_area, _Segments, _segments, _xy
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
    places: Places | None = None,
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
        (KDE), ``snap_m`` and ``network_radius_m`` (network; ``snap_m`` is also the
        snapping distance for ``edge_intensity``); ``blend`` and ``learned`` fit models of
        the incidents' history per ``period_weeks`` (:mod:`corridors.hotspots.blend`,
        :mod:`corridors.hotspots.learned`). ``offence_weighting = "learned"`` weights
        offence types by their past after-school share
        (:mod:`corridors.hotspots.offence_share`). KDE and network hotspots are the best
        cells / street segments that together cover ``area_share`` of the study area
        (segments count as ``length x 2 snap_m``); with streets, the drawn hotspots are the
        best street segments up to :func:`draw_length_km` of street (``draw_street_km``;
        0 = the area share).
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
    places
        The schools and transport hubs (covariates of the ``learned`` method).

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
    term = term_calendar(cfg) if term is None else term
    rules, shares = learned_rules(incidents, cfg, week, window, term)
    sel = select_incidents(incidents, week, window, rules=rules)
    check_weighted(incidents, cfg)
    table = sel.table
    xy = _xy(table)
    weights = table[WEIGHT].to_numpy(dtype=float) if len(table) else np.zeros(0)
    seg = _segments(street) if street is not None else None
    budget = cfg.area_share * _reference_area(incidents, street, study_area)
    bounds = _bounds(incidents, street, study_area, pad=3 * cfg.bandwidth_m)
    history = History.of(table, cfg, pd.Timestamp(week.start), places)
    found = find_with(cfg, xy, weights, seg, bounds=bounds, budget_m2=budget, history=history)
    found, scores, draw_notes = _drawn(found, cfg, seg, xy)
    table = table.copy()
    table[CLUSTER] = found.labels.astype(int)
    polygons = _polygon_table(table, found.polygons, incidents.crs, previous, scores)
    notes = [
        *sel.notes, *found.notes, *draw_notes, *_shares_notes(cfg, shares),
        *_empty_notes(cfg, len(table), len(polygons), week, on_streets=bool(draw_notes)),
    ]  # fmt: skip
    logger.info(
        "Found %d %s hotspots from %s selected incidents (week of %s)",
        len(polygons), cfg.method, f"{len(table):,}", week.start,
    )  # fmt: skip
    return Hotspots(
        selected=table,
        polygons=polygons,
        edge_intensity=_edge_intensity(found),
        method=cfg.method,
        params=_params(cfg, found, shares),
        time_known=sel.time_known,
        notes=tuple(notes),
    )


def draw_length_km(cfg: HotspotConfig, route: RouteConfig | None = None) -> float:
    """
    Return the street length (km) the drawn hotspots cover (0: the area share instead).

    ``draw_street_km`` = -1 (the default) asks for what one corridor's loops walk in an
    afternoon: ``loop_budget_min`` at ``speed_kmh``, ``max_loops_per_corridor`` times, from
    the ``[corridors]`` settings ``route`` (the plan passes them); without ``route`` it is
    0, so a library call draws the area share as before.

    Examples
    --------
    >>> draw_length_km(HotspotConfig(), RouteConfig()), draw_length_km(HotspotConfig())
    (6.75, 0.0)
    """
    if cfg.draw_street_km >= 0:
        return cfg.draw_street_km
    if route is None:
        return 0.0
    return route.loop_budget_min / 60 * route.speed_kmh * route.max_loops_per_corridor


def _drawn(
    found: Found, cfg: HotspotConfig, seg: _Segments | None, xy: np.ndarray
) -> tuple[Found, np.ndarray | None, list[str]]:
    """
    Redraw the hotspots at street scale: the best segments up to the drawn length.

    Each is ranked by the method's score (``None``: drawn as found, ranked by density).
    """
    km = draw_length_km(cfg)
    if km <= 0 or seg is None or found.segment_score is None:
        return found, None, []
    polys, labels, scores = _street_scale(
        seg, found.segment_score, xy, length_m=km * 1000, snap_m=cfg.snap_m
    )
    note = (
        f"hotspots are drawn at street scale: the {len(polys)} best street segments by "
        f"{cfg.method}, up to {km:g} km of street, ranked ([hotspots] draw_street_km; the "
        f"backtests score {cfg.area_share:.0%} of the area)"
    )
    return dataclasses.replace(found, labels=labels, polygons=polys), scores, [note]


def _shares_notes(cfg: HotspotConfig, shares: pd.DataFrame | None) -> list[str]:
    if cfg.offence_weighting != "learned":
        return []
    if shares is None:
        return [
            "offence weights could not be learned (no incident in the look-back has a "
            "time of day): the weights table was used"
        ]
    return [
        "offence types were weighted by their past share of after-school incidents "
        f"(shrunk toward the overall share by {cfg.offence_prior:g} incidents)"
    ]


def _check_method(cfg: HotspotConfig, street: StreetGraph | None) -> None:
    if cfg.method not in METHODS:
        raise ConfigError(f"hotspots.method must be one of {list(METHODS)}, got {cfg.method!r}")
    if cfg.method == "network" and street is None:
        raise ConfigError(
            "hotspots.method = 'network' needs the street graph; pass street= or choose "
            "'dbscan', 'hdbscan' or 'kde'"
        )


def _params(cfg: HotspotConfig, found: Found, shares: pd.DataFrame | None) -> dict[str, object]:
    """
    Return the settings used (bar the sweep) and what the run found out.

    The thinning cell of DBSCAN/HDBSCAN, the drawn street length and the learned offence
    weights (a table, one record per type).
    """
    params: dict[str, object] = {k: v for k, v in config_to_dict(cfg).items() if k != "sweep"}
    if found.thin_m is not None:
        params["thin_m_used"] = found.thin_m
    params["draw_street_km_used"] = draw_length_km(cfg) if found.segment_score is not None else 0
    if shares is not None:
        params["learned_offence_weights"] = shares.to_dict("records")
    return params


def _edge_intensity(found: Found) -> pd.Series:
    """Return the method's per-edge intensity, or an empty series indexed (u, v, key)."""
    if len(found.edge_intensity):
        return found.edge_intensity
    return pd.Series(
        dtype=float, name="intensity",
        index=pd.MultiIndex.from_arrays([[], [], []], names=["u", "v", "key"]),
    )  # fmt: skip


def _empty_notes(
    cfg: HotspotConfig, n_selected: int, n_polygons: int, week: PlanWeek, *, on_streets: bool
) -> list[str]:
    """Say (and log) why a week has no hotspots."""
    if n_selected == 0:
        logger.warning("No incidents selected for hotspots (week of %s)", week.start)
        return ["no incidents were selected: no hotspots this week"]
    if n_polygons == 0:
        note = no_hotspots_note(cfg, n_selected, on_streets=on_streets)
        logger.warning("%s", note)
        return [note]
    return []


def no_hotspots_note(cfg: HotspotConfig, n_selected: int, *, on_streets: bool = False) -> str:
    """
    Say plainly that a method found no hotspot in ``n_selected`` incidents, and what to try.

    ``on_streets``: the hotspots were drawn on street segments (``draw_street_km``), so none
    means no street lies where the method found intensity.

    Examples
    --------
    >>> print(no_hotspots_note(HotspotConfig(method="dbscan"), 40))  # doctest: +ELLIPSIS
    0 hotspots (dbscan) from 40 selected incidents: ... min_samples (5) ... eps_m (150 m) ...
    >>> note = no_hotspots_note(HotspotConfig(method="counts"), 40, on_streets=True)
    >>> print(note[:74])
    0 hotspots (counts) from 40 selected incidents: no street segment of the g
    """
    if on_streets:
        look = (
            f"no street segment of the graph lies where {cfg.method} found any intensity: "
            "check that the street graph ([graph] osm_file) covers the incidents, or set "
            "[hotspots] draw_street_km = 0 to draw the area share instead"
        )
        return f"0 hotspots ({cfg.method}) from {n_selected:,} selected incidents: {look}"
    cells = (
        f"no grid cell of cell_m ({cfg.cell_m:g} m) within the study area scores above zero at "
        f"area_share ({cfg.area_share:g}): raise [hotspots] area_share, and check that the "
        "incidents lie in the study area"
    )
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
    }.get(cfg.method, cells)  # counts, blend, learned: scores per grid cell
    return f"0 hotspots ({cfg.method}) from {n_selected:,} selected incidents: {look}"
