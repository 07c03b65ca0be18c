"""Tune: sweep hotspot settings and backtest every combination (``corridors tune``).

Sweeps are typed by :func:`corridors.config.typed_sweep` / :func:`corridors.config.parse_grid`
(the one sweep parser, shared with the CLI's ``--grid``). Pure: data in, a ranked table out.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from corridors.config import HotspotConfig, parse_grid, typed_sweep
from corridors.errors import ConfigError, EmptyResultError
from corridors.hotspots.backtest import backtest
from corridors.hotspots.blend import Places
from corridors.hotspots.methods import METHODS
from corridors.hotspots.weights import unweighted_offences_hint
from corridors.load import OFFENCE

if TYPE_CHECKING:
    from corridors.graph import StreetGraph

logger = logging.getLogger(__name__)

_METHOD_PARAMS = {
    "dbscan": {"eps_m", "min_samples", "thin_m", "cell_m"},
    "hdbscan": {"min_cluster_size", "min_samples", "thin_m", "cell_m"},
    "kde": {"bandwidth_m", "cell_m"},
    "network": {"snap_m", "network_radius_m"},
    "blend": {"bandwidth_m", "cell_m", "period_weeks"},
    "learned": {"cell_m", "period_weeks", "learned_max_iter", "learned_min_leaf"},
    "counts": {"cell_m"},
}


def expand_sweep(
    cfg: HotspotConfig, sweep: Mapping[str, Sequence[Any]] | None = None
) -> list[HotspotConfig]:
    """
    Return one config per combination of the sweep values (``cfg.sweep`` by default).

    A method's configs ignore the swept parameters it does not use (``eps_m`` for ``kde``,
    say), so no configuration appears twice.

    Examples
    --------
    >>> cfgs = expand_sweep(HotspotConfig(), {"method": ["kde", "dbscan"], "eps_m": [100, 200]})
    >>> [(c.method, c.eps_m) for c in cfgs]
    [('kde', 150.0), ('dbscan', 100.0), ('dbscan', 200.0)]
    """
    grid = dict(cfg.sweep if sweep is None else typed_sweep(sweep))
    if not grid:
        return [dataclasses.replace(cfg, sweep={})]
    keys = list(grid)
    every_method = set().union(*_METHOD_PARAMS.values())
    out: list[HotspotConfig] = []
    for combo in itertools.product(*(list(grid[k]) for k in keys)):
        values = dict(zip(keys, combo, strict=True))
        method = values.get("method", cfg.method)
        values = {
            k: v for k, v in values.items()
            if k not in every_method or k in _METHOD_PARAMS.get(str(method), every_method)
        }  # fmt: skip
        try:
            new = dataclasses.replace(cfg, sweep={}, **values)
        except TypeError as exc:
            raise ConfigError(f"hotspots.sweep: {exc}") from exc
        if new not in out:
            out.append(new)
    return out


def parse_sweep(items: Sequence[str]) -> dict[str, list[Any]]:
    """
    Parse command-line sweep options ``name=v1,v2,...`` into a sweep mapping.

    The one sweep parser (:func:`corridors.config.parse_grid`): each value is typed by its
    ``[hotspots]`` field, as ``[hotspots] sweep`` values are.

    Examples
    --------
    >>> parse_sweep(["eps_m=100,150", "method=kde,dbscan", "train_all_hours=true,false"])
    {'eps_m': [100.0, 150.0], 'method': ['kde', 'dbscan'], 'train_all_hours': [True, False]}
    """
    return parse_grid(items, flag="--grid")


def tune(
    incidents: gpd.GeoDataFrame,
    cfg: HotspotConfig,
    *,
    timezone: str,
    study_area: BaseGeometry,
    street: StreetGraph | None = None,
    methods: Sequence[str] | None = None,
    grid: Mapping[str, Sequence[Any]] | None = None,
    period: str = "auto",
    periods: int | None = None,
    train_periods: int | None = None,
    places: Places | None = None,
) -> pd.DataFrame:
    """
    Backtest the methods over the parameter grid (what ``corridors tune`` runs).

    Parameters
    ----------
    incidents
        Incidents in the io contract, projected CRS (metres).
    cfg
        Base configuration; ``cfg.sweep`` gives the grid unless ``grid`` is given.
    timezone
        The area's time zone.
    study_area
        Study area polygon (same CRS).
    street
        The walking graph; without it ``network`` configurations are left out (logged).
    methods
        Methods to compare (swept as ``method``, unless the grid already sweeps it).
    grid
        Parameter grid ``{field: [values]}`` overriding ``cfg.sweep`` (see
        :func:`parse_sweep`).
    period, periods, train_periods, places
        See :func:`backtest`.

    Returns
    -------
    pd.DataFrame
        The ranked table of :func:`backtest` (print it with :func:`format_backtest`, write
        it with :func:`write_backtest`).
    """
    sweep = dict(cfg.sweep if grid is None else grid)
    if methods and "method" not in sweep:
        unknown = [m for m in methods if m not in METHODS]
        if unknown:
            raise ConfigError(f"tune: unknown method(s) {unknown}; use some of {list(METHODS)}")
        sweep["method"] = list(methods)
    cfgs = expand_sweep(cfg, sweep)
    if street is None and any(c.method == "network" for c in cfgs):
        dropped = sum(c.method == "network" for c in cfgs)
        logger.warning("No street graph: leaving out %d network configurations", dropped)
        cfgs = [c for c in cfgs if c.method != "network"]
        if not cfgs:
            raise ConfigError("tune: only 'network' configurations and no street graph")
    table = backtest(
        incidents, cfgs, timezone=timezone, study_area=study_area, street=street,
        periods=periods, period=period, train_periods=train_periods, places=places,
    )  # fmt: skip
    if not len(table) or not (pd.to_numeric(table["test_incidents"], errors="coerce") > 0).any():
        offences = incidents[OFFENCE] if OFFENCE in incidents else pd.Series(dtype="string")
        raise EmptyResultError(
            "tune: no incident in the test periods has a weight, so nothing can be scored; "
            + unweighted_offences_hint(offences, cfg)
        )
    return table
