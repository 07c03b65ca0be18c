"""After-school hotspots: selection, weighting, clustering and backtests.

CONTRACT:
- ``find_hotspots(incidents, cfg: HotspotConfig, *, timezone, week_start, lookback_weeks,
  street: StreetGraph | None = None) -> Hotspots``
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd


@dataclass(frozen=True)
class Hotspots:
    """Hotspots for one planned week.

    ``selected``: the incidents used, with WEIGHT (offence weight x recency decay) and
    CLUSTER (-1 = none). ``polygons``: one row per hotspot (hotspot_id, weighted_count,
    share, area_m2, offences, geometry). ``edge_intensity``: weighted incident intensity
    per street edge, indexed by (u, v, key) of the street graph (empty if no graph).
    ``time_known``: False when month-only data was used without a time filter; ``notes``
    are plain-words caveats every output repeats.
    """

    selected: gpd.GeoDataFrame
    polygons: gpd.GeoDataFrame
    edge_intensity: pd.Series
    method: str
    params: dict[str, object]
    time_known: bool
    notes: tuple[str, ...]
