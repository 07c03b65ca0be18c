"""The hotspots stage's result (:class:`Hotspots`), its column names and its plain-words notes."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

# Columns added to the selected incidents.
WEIGHT = "weight"
CLUSTER = "cluster"
IN_WINDOW = "in_window"
AGE_WEEKS = "age_weeks"
MINUTE = "minute"  # local minute of the day (NaN when the time is not known)
# Columns of Hotspots.polygons.
HOTSPOT_ID = "hotspot_id"
WEIGHTED_COUNT = "weighted_count"
INCIDENTS = "incidents"
SHARE = "share"
AREA_M2 = "area_m2"
OFFENCES = "offences"
RANK = "rank"

MONTH_ONLY_NOTE = (
    "month-only incidents (data.police.uk publishes month and snapped location only) "
    "were used without the after-school time filter"
)
SNAP_NOTE = (
    "police.uk locations are anonymised snap points: many incidents share one point, "
    "so distinct locations are clustered with their counts as weights"
)


@dataclass(frozen=True)
class Hotspots:
    """Hotspots for one planned week.

    ``selected``: the incidents used, with WEIGHT (offence weight x recency decay) and
    CLUSTER (-1 = none). ``polygons``: one row per hotspot (hotspot_id, weighted_count,
    share, area_m2, offences, geometry). ``edge_intensity``: weighted incident intensity
    per street edge, indexed by (u, v, key) of the street graph (empty if no graph).
    ``time_known``: False when month-only data was used without a time filter; ``notes``
    are plain-words caveats every output repeats.

    Details added by the hotspots stage: ``selected`` also has IN_WINDOW (time known and
    inside the after-school window on a school day) and AGE_WEEKS (age at the start of the
    planned week). ``polygons`` (projected CRS, metres) also has ``rank`` (1 = most
    weight per area), ``incidents`` (count) and ``offences`` is a JSON object
    ``{offence: count}``. ``edge_intensity`` is in weighted incidents attributed to each
    edge (both directions of a street get the same value), for every method:

    - ``network``: weight of the incidents snapped (within ``snap_m``) to the edge;
    - ``dbscan``/``hdbscan``: the same, counting only incidents inside a hotspot polygon;
    - ``kde``: the kernel density at the edge's midpoint (weight per m2) times the area of
      the edge's ``snap_m`` buffer (``length x 2 snap_m``).
    """

    selected: gpd.GeoDataFrame
    polygons: gpd.GeoDataFrame
    edge_intensity: pd.Series
    method: str
    params: dict[str, object]
    time_known: bool
    notes: tuple[str, ...]
    method_source: str = ""
    """Where the method came from, in plain words, with its backtest against the best
    baseline when ``corridors tune`` chose it (the internal map and the manifest show it)."""
