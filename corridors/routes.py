"""After-school walking routes, corridors (merged where schools share streets), patrol loops.

CONTRACT:
- ``plan_corridors(street, inputs, spots, cfg: RouteConfig, *, week_start, timezone) -> Corridors``
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

CORRIDOR_ID = "corridor_id"
LOOP_ID = "loop_id"


@dataclass(frozen=True)
class Corridors:
    """Corridors and their patrol loops for one week, in the area's CRS.

    ``corridors``: one row per corridor: corridor_id, school_ids and school_names (";"-joined),
    footfall, risk, incidents (count near the corridor in the look-back), offences (JSON
    {offence: count}), time_note, reason (plain words), patrolled (bool), geometry
    (MultiLineString). ``segments``: one row per corridor street edge (corridor_id, u, v,
    key, street name, footfall, intensity, risk, geometry). ``loops``: one row per patrol
    loop: loop_id, corridor_id, school_ids, meeting_point (name), meeting_kind ("school" or
    "hub"), start_time ("HH:MM"), duration_min, length_m, risk_covered, risk_share, gap,
    geometry (closed LineString). ``unpatrolled``: school_id, name, reason.
    """

    corridors: gpd.GeoDataFrame
    segments: gpd.GeoDataFrame
    loops: gpd.GeoDataFrame
    unpatrolled: pd.DataFrame
    notes: tuple[str, ...]
