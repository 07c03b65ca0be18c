"""What the corridor stage returns: the column names, :class:`Corridors` and :class:`Loop`."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import TypeAlias

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString

from corridors import load

NodeId: TypeAlias = Hashable  # a street node id (an OSM node id in a built StreetGraph)

# -- column names ---------------------------------------------------------------------------
CORRIDOR_ID = "corridor_id"
LOOP_ID = "loop_id"
SCHOOL_IDS = "school_ids"
SCHOOL_NAMES = "school_names"
STREETS = "streets"
FOOTFALL = "footfall"
INTENSITY = "intensity"
RISK = "risk"
INCIDENTS = "incidents"
OFFENCES = "offences"
TIME_NOTE = "time_note"
REASON = "reason"
PATROLLED = "patrolled"
STREET_ID = "street_id"
MEETING_POINT = "meeting_point"
MEETING_KIND = "meeting_kind"
MEETING_NODE = "meeting_node"
START_TIME = "start_time"
DURATION_MIN = "duration_min"
LENGTH_M = "length_m"
RISK_COVERED = "risk_covered"
RISK_SHARE = "risk_share"
GAP = "gap"
BOUND = "bound"

CORRIDOR_COLUMNS = (
    CORRIDOR_ID, SCHOOL_IDS, SCHOOL_NAMES, STREETS, FOOTFALL, RISK, INCIDENTS, OFFENCES,
    TIME_NOTE, REASON, PATROLLED,
)  # fmt: skip
SEGMENT_COLUMNS = (CORRIDOR_ID, "u", "v", "key", STREET_ID, "name", FOOTFALL, INTENSITY, RISK)
LOOP_COLUMNS = (
    LOOP_ID, CORRIDOR_ID, SCHOOL_IDS, MEETING_POINT, MEETING_KIND, MEETING_NODE, START_TIME,
    DURATION_MIN, LENGTH_M, RISK_COVERED, RISK_SHARE, GAP, BOUND,
)  # fmt: skip
UNPATROLLED_COLUMNS = (load.SCHOOL_ID, load.NAME, REASON)

MONTH_ONLY_NOTE = "month-only data: time of day unknown"


@dataclass(frozen=True)
class Corridors:
    """Corridors and their patrol loops for one week, in the area's CRS.

    ``corridors``: one row per corridor: corridor_id, school_ids and school_names (";"-joined),
    streets (";"-joined street names), footfall, risk, incidents (count near the corridor in
    the look-back), offences (JSON {offence: count}), time_note, reason (plain words),
    patrolled (bool), geometry (MultiLineString). ``segments``: one row per corridor street
    edge (corridor_id, u, v, key, street_id, name, footfall, intensity, risk, geometry).
    ``loops``: one row per patrol loop: loop_id, corridor_id, school_ids, meeting_point
    (name), meeting_kind ("school" or "hub"), meeting_node, start_time ("HH:MM"),
    duration_min, length_m, risk_covered, risk_share, gap, bound, geometry (closed
    LineString). ``unpatrolled``: school_id, name, reason.

    Footfall is in school-equivalents: each school sends 1.0 unit of after-school walkers.
    """

    corridors: gpd.GeoDataFrame
    segments: gpd.GeoDataFrame
    loops: gpd.GeoDataFrame
    unpatrolled: pd.DataFrame
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Loop:
    """One closed patrol walk on the street graph (projected CRS, metres).

    ``nodes`` is the sequence of street nodes walked (first == last == ``depot``); the walk
    may turn back at the midpoint of an edge, which ``geometry`` shows. ``length_m`` sums the
    edges' walking ``length`` (metres) along the walk. ``risk_covered`` is
    the risk of the distinct edges walked (at least to their midpoint); ``prize`` the risk of
    the solver's candidate edges it visits. ``bound`` and ``gap`` refer to all loops of one
    call together: ``gap = 1 - sum(prize) / bound``.
    """

    depot: NodeId
    nodes: tuple[NodeId, ...]
    geometry: LineString
    length_m: float
    risk_covered: float
    risk_share: float
    prize: float
    bound: float
    gap: float
