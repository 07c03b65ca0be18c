"""After-school walking routes, corridors (merged where schools share streets), patrol loops.

CONTRACT:
- ``plan_corridors(street, inputs, spots, cfg: RouteConfig, *, week_start, timezone,
  lookback_weeks, progress=None) -> Corridors`` (columns: see :class:`Corridors`)
- ``write_corridor_exports(corridors: Corridors, folder: Path) -> list[Path]``
- ``plan_patrol_loops(street, risk, depots, *, budget_m, max_loops, ...) -> list[Loop]``

How it works
------------
1. **Routes.** Each school (``RouteConfig.phases``) is snapped to its nearest street node.
   One bounded Dijkstra per school (scipy ``csgraph.dijkstra`` with ``limit``) gives the
   shortest-path tree to every node within ``max(catchment_m, hub_walk_m)``. The school's
   after-school walkers (1.0 per school) are split: ``hub_share`` to the hubs within
   ``hub_walk_m`` (rail/tube 3, tram 2, bus 1) and the rest to home areas within
   ``catchment_m``, weighted by residential buildings read from the OSM file (else
   ``landuse=residential``, else street length). Trips are summed back up the tree level by
   level (vectorised, deepest nodes first), so every tree edge carries the walkers who pass
   along it.
2. **Corridors.** A school's corridor is the smallest set of edges, taken in decreasing
   footfall order, that carries ``corridor_share`` of its walking (person-metres). Footfall
   never grows away from the school along the tree, so the set is contiguous from the
   school gate. Corridors that share a street (``street_id``) merge into one corridor
   listing its schools. Segment footfall is the sum over all schools.
3. **Risk** = footfall x incident intensity: ``Hotspots.edge_intensity`` when given, else a
   recency-weighted count (half-life ``half_life_weeks``) of look-back incidents snapped to
   their nearest edge within ``incident_buffer_m`` (time-known incidents only count in the
   after-school window on weekdays; month-only incidents count, and the evidence says so).
4. **Loops.** A prize-collecting walk (orienteering) per patrolled corridor, solved with
   PyVRP: clients are the midpoints of the ``max_candidates`` riskiest corridor edges,
   prizes their risk, the depot the school gate or hub that reaches the most risk, and each
   of up to ``max_loops_per_corridor`` walkers may walk ``loop_budget_min`` at
   ``speed_kmh``. The gap is measured against a fractional-knapsack upper bound.

Examples
--------
>>> from corridors.config import RouteConfig
>>> RouteConfig().loop_budget_min * RouteConfig().speed_kmh * 1000 / 60
3375.0
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree
from shapely.geometry import LineString, MultiLineString, Point
from shapely.ops import substring

from corridors import load
from corridors.config import RouteConfig
from corridors.errors import EmptyResultError, InputDataError
from corridors.outputs import write_csv, write_text

logger = logging.getLogger(__name__)

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
_HUB_WEIGHTS = {"rail": 3.0, "tube": 3.0, "tram": 2.0, "bus": 1.0}
_PRIZE_SCALE = 1e8  # total prize of a corridor, in solver units (distance is a tie-break)
_DIST_SCALE = 10  # solver distances in decimetres
_UNIT_DISTANCE_COST = 1  # a tie-break: prizes dominate


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

    depot: Any
    nodes: tuple[Any, ...]
    geometry: LineString
    length_m: float
    risk_covered: float
    risk_share: float
    prize: float
    bound: float
    gap: float


# -- the street network as arrays -----------------------------------------------------------


@dataclass(frozen=True)
class _Net:
    csr: sparse.csr_array  # node x node, shortest parallel edge length (m)
    lookup: sparse.csr_array  # node x node -> edge row + 1
    node_ids: np.ndarray
    index: dict[Any, int]
    xy: np.ndarray  # (n, 2) metres
    eu: np.ndarray  # edge row -> node position of u
    ev: np.ndarray
    length: np.ndarray
    seg: np.ndarray  # edge row -> undirected segment id
    seg_rows: np.ndarray  # segment id -> a representative edge row
    street: np.ndarray  # edge row -> street id (str)
    geoms: np.ndarray  # edge row -> LineString (u -> v)


def _edge_keys(edges: gpd.GeoDataFrame) -> pd.DataFrame:
    if isinstance(edges.index, pd.MultiIndex) and edges.index.nlevels == 3:
        keys = edges.index.to_frame(index=False)
        keys.columns = ["u", "v", "key"]
        return keys
    if {"u", "v"} <= set(edges.columns):
        key = edges["key"] if "key" in edges.columns else 0
        return pd.DataFrame({"u": edges["u"].to_numpy(), "v": edges["v"].to_numpy(),
                             "key": np.broadcast_to(np.asarray(key), len(edges))})
    raise InputDataError(
        "street graph edges: expected an index (u, v, key) or columns u, v, key, got "
        f"index {list(edges.index.names)} and columns {list(edges.columns)}. "
        "Build the graph with corridors.graph.build_street_graph."
    )


def _build_net(street: Any) -> _Net:
    nodes = street.nodes
    edges = street.edges
    node_ids = nodes.index.to_numpy()
    index = {n: i for i, n in enumerate(node_ids.tolist())}
    if {"x", "y"} <= set(nodes.columns):
        xy = np.column_stack([nodes["x"].to_numpy(float), nodes["y"].to_numpy(float)])
    else:
        xy = shapely.get_coordinates(nodes.geometry.to_numpy())
    keys = _edge_keys(edges)
    node_index = pd.Index(node_ids)
    eu = node_index.get_indexer(keys["u"]).astype(np.int64)
    ev = node_index.get_indexer(keys["v"]).astype(np.int64)
    if (eu < 0).any() or (ev < 0).any():
        bad = keys["u"].to_numpy()[eu < 0].tolist() + keys["v"].to_numpy()[ev < 0].tolist()
        raise InputDataError(
            f"street graph: edge endpoint {bad[0]!r} is not in the nodes table; "
            "rebuild the street graph (its nodes and edges tables disagree)."
        )
    length = np.maximum(edges["length"].to_numpy(float), 0.01)
    n = len(node_ids)
    ok = eu != ev
    rows = np.flatnonzero(ok)
    order = rows[np.lexsort((length[rows], ev[rows], eu[rows]))]
    pair = eu[order] * n + ev[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = pair[1:] != pair[:-1]
    best = order[first]
    csr = sparse.csr_array((length[best], (eu[best], ev[best])), shape=(n, n))
    lookup = sparse.csr_array(((best + 1).astype(np.int64), (eu[best], ev[best])), shape=(n, n))
    lo = np.minimum(eu, ev)
    hi = np.maximum(eu, ev)
    key = pd.factorize(keys["key"].to_numpy())[0].astype(np.int64)
    seg, uniques = pd.factorize((lo * n + hi) * (int(key.max(initial=0)) + 1) + key)
    seg_rows = np.full(len(uniques), -1, dtype=np.int64)
    seg_rows[seg[::-1]] = np.arange(len(seg))[::-1]
    if STREET_ID in edges.columns:
        street_ids = edges[STREET_ID].astype(str).to_numpy(dtype=object)
    elif "name" in edges.columns:
        names = edges["name"].astype(object).map(_text)
        street_ids = np.where(names != "", names, seg.astype(str)).astype(object)
    else:
        street_ids = seg.astype(str).astype(object)
    geoms = edges.geometry.to_numpy().copy()
    missing = shapely.is_missing(geoms)
    if missing.any():
        geoms[missing] = shapely.linestrings(
            np.stack([xy[eu[missing]], xy[ev[missing]]], axis=1)
        )
    # orient every geometry from u to v
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    start = coords[np.searchsorted(owner, np.arange(len(geoms)))]
    flip = np.hypot(*(start - xy[ev]).T) < np.hypot(*(start - xy[eu]).T)
    if flip.any():
        geoms[flip] = shapely.reverse(geoms[flip])
    return _Net(csr, lookup, node_ids, index, xy, eu, ev, length, seg, seg_rows,
                street_ids, geoms)


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value)


def _edge_row(net: _Net, frm: np.ndarray, to: np.ndarray) -> np.ndarray:
    if len(frm) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(net.lookup[frm, to]).ravel().astype(np.int64) - 1


def _snap(
    net: _Net, points: np.ndarray, *, min_component: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest node of each point (positions, metres); optionally only in big components."""
    allowed = np.arange(len(net.node_ids))
    if min_component > 0 and len(allowed):
        _, labels = csgraph.connected_components(net.csr, directed=True, connection="weak")
        sizes = np.bincount(labels)
        allowed = np.flatnonzero(sizes[labels] >= min(min_component, sizes.max()))
    if len(points) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    tree = cKDTree(net.xy[allowed])
    dist, pos = tree.query(points)
    return allowed[np.asarray(pos, dtype=np.int64)], np.asarray(dist, dtype=float)


# -- routes ---------------------------------------------------------------------------------


def route_footfall(
    street: Any,
    sources: Sequence[Any],
    destinations: Sequence[pd.Series],
    *,
    limit_m: float,
) -> list[pd.Series]:
    """
    Sum walkers over the shortest walking routes from each source to its destinations.

    One bounded multi-source pass: a single ``scipy.sparse.csgraph.dijkstra`` call per
    source with ``limit``, then trips are summed back up the shortest-path tree, deepest
    nodes first, one vectorised step per tree level.

    Parameters
    ----------
    street
        The walking :class:`~corridors.graph.StreetGraph` (projected CRS, metres).
    sources
        Street node ids, one per origin (e.g. a school gate).
    destinations
        For each source, walkers per destination node id (a Series indexed by node id).
        Destinations further than ``limit_m`` are dropped.
    limit_m
        Search radius in metres of walking.

    Returns
    -------
    list of pandas.Series
        For each source, walkers per directed street edge, indexed by (u, v, key).

    Examples
    --------
    >>> from corridors.routes import _toy_street
    >>> street = _toy_street()
    >>> flows = route_footfall(street, [0], [pd.Series({2: 1.0})], limit_m=1000)
    >>> sorted(flows[0].index.tolist()), flows[0].tolist()
    ([(0, 1, 0), (1, 2, 0)], [1.0, 1.0])
    """
    net = _build_net(street)
    edge_index = pd.MultiIndex.from_frame(_edge_keys(street.edges))
    return _footfall_on_net(net, edge_index, sources, destinations, limit_m=limit_m)


def _footfall_on_net(
    net: _Net,
    edge_index: pd.MultiIndex,
    sources: Sequence[Any],
    destinations: Sequence[pd.Series],
    *,
    limit_m: float,
) -> list[pd.Series]:
    out = []
    for src, dest in zip(sources, destinations, strict=True):
        demand = np.zeros(len(net.node_ids))
        pos = np.array([net.index[n] for n in dest.index.tolist()], dtype=np.int64)
        np.add.at(demand, pos, dest.to_numpy(float))
        dist, pred = csgraph.dijkstra(
            net.csr, indices=net.index[src], limit=limit_m, return_predecessors=True
        )
        demand[~np.isfinite(dist)] = 0.0
        rows, flow = _accumulate(net, dist, pred, demand)
        out.append(pd.Series(flow, index=edge_index[rows], name=FOOTFALL))
    return out


def _accumulate(
    net: _Net, dist: np.ndarray, pred: np.ndarray, demand: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sum ``demand`` up a shortest-path tree; return (edge rows, walkers) of used edges."""
    reach = np.flatnonzero(np.isfinite(dist))
    parent = pred[reach]
    has_parent = parent >= 0
    # local tree: position of each reached node's parent among the reached nodes
    local_parent = np.full(len(reach), -1, dtype=np.int64)
    local_parent[has_parent] = np.searchsorted(reach, parent[has_parent])
    depth = _depths(local_parent)
    flow = demand[reach].copy()
    order = np.argsort(-depth, kind="stable")
    levels = depth[order]
    bounds = np.flatnonzero(np.diff(levels)) + 1
    for group in np.split(order, bounds):
        if len(group) == 0 or depth[group[0]] == 0:
            continue
        np.add.at(flow, local_parent[group], flow[group])
    used = has_parent & (flow > 0)
    child = reach[used]
    rows = _edge_row(net, pred[child], child)
    return rows, flow[used]


def _depths(local_parent: np.ndarray) -> np.ndarray:
    """Depth of every node of a forest given by parent positions (-1 = root).

    Pointer jumping: log2(max depth) vectorised steps.
    """
    depth = (local_parent >= 0).astype(np.int64)
    anc = local_parent.copy()
    while True:
        live = np.flatnonzero(anc >= 0)
        if len(live) == 0:
            return depth
        up = anc[live]
        new_depth = depth[live] + depth[up]
        new_anc = anc[up]
        depth[live] = new_depth
        anc[live] = new_anc


# -- home areas -----------------------------------------------------------------------------


def _street_length_weights(net: _Net) -> np.ndarray:
    """Half the length of the street segments at each node (each direction counts once)."""
    half = np.zeros(len(net.node_ids))
    np.add.at(half, net.eu, net.length / 4)
    np.add.at(half, net.ev, net.length / 4)
    return half


def _home_weights(homes: load.Homes | None, crs: Any, net: _Net) -> tuple[np.ndarray, str]:
    """Residential weight per node, and a note saying how it was measured."""
    n = len(net.node_ids)
    half = _street_length_weights(net)
    if homes is not None:
        buildings, landuse = homes.buildings, homes.landuse
        if len(buildings):
            pts = shapely.get_coordinates(buildings.geometry.to_numpy())
            pos, dist = _snap(net, pts)
            near = dist <= 250.0
            weights = np.zeros(n)
            np.add.at(weights, pos[near], buildings["weight"].to_numpy()[near])
            if weights.sum() > 0:
                return weights, (
                    f"home areas weighted by {int(near.sum()):,} residential buildings "
                    "from the OSM file"
                )
        if len(landuse):
            zones = landuse.geometry
            mids = shapely.line_interpolate_point(net.geoms, 0.5, normalized=True)
            hit = np.zeros(len(mids), dtype=bool)
            idx = gpd.GeoSeries(mids, crs=crs).sindex.query(
                zones.to_numpy(), predicate="contains"
            )
            hit[idx[1]] = True
            weights = np.zeros(n)
            np.add.at(weights, net.eu[hit], net.length[hit] / 2)
            np.add.at(weights, net.ev[hit], net.length[hit] / 2)
            if weights.sum() > 0:
                return weights, "home areas weighted by street length inside residential land use"
    return half, "home areas weighted by street length (no residential buildings in the source)"


# -- incidents ------------------------------------------------------------------------------


def _hhmm_minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _lookback_incidents(
    incidents: gpd.GeoDataFrame,
    cfg: RouteConfig,
    *,
    week_start: dt.date,
    timezone: str,
    lookback_weeks: int,
) -> gpd.GeoDataFrame:
    """Incidents of the look-back period with ``_weight`` (recency), ``_window``, ``_minute``."""
    if len(incidents) == 0:
        out = incidents.copy()
        for col, dtype in (("_weight", float), ("_window", bool), ("_minute", float)):
            out[col] = pd.Series(dtype=dtype)
        return out
    start = pd.Timestamp(week_start - dt.timedelta(weeks=lookback_weeks))
    end = pd.Timestamp(week_start)
    known = incidents[load.TIME_KNOWN].fillna(False).astype(bool).to_numpy()
    occurred = pd.to_datetime(incidents[load.OCCURRED_AT], utc=True).dt.tz_convert(timezone)
    local_naive = occurred.dt.tz_localize(None)
    month_start = pd.to_datetime(incidents[load.MONTH].astype(str) + "-01", errors="coerce")
    mid_month = month_start + pd.Timedelta(days=14)
    when = pd.Series(np.where(known, local_naive, mid_month), index=incidents.index)
    when = pd.to_datetime(when)
    in_period = np.where(
        known,
        (local_naive >= start) & (local_naive < end),
        load.months_in_lookback(incidents[load.MONTH], week_start, lookback_weeks),
    )
    in_period = np.asarray(pd.Series(in_period).fillna(False), dtype=bool)
    minute = (local_naive.dt.hour * 60 + local_naive.dt.minute).to_numpy(
        dtype=float, na_value=np.nan
    )
    weekday = local_naive.dt.day_of_week.to_numpy(dtype=float, na_value=np.nan)
    lo, hi = _hhmm_minutes(cfg.window_start), _hhmm_minutes(cfg.window_end)
    window = known & (weekday < 5) & (minute >= lo) & (minute < hi)
    age_weeks = ((end - when).dt.days.to_numpy(dtype=float, na_value=np.nan)) / 7.0
    weight = np.power(0.5, np.clip(age_weeks, 0, None) / cfg.half_life_weeks)
    out = incidents.copy()
    out["_weight"] = np.nan_to_num(weight)
    out["_window"] = window
    out["_minute"] = minute
    keep = in_period & (window | ~known)
    return out[keep]


def _segment_intensity(
    net: _Net, spots: Any, recent: gpd.GeoDataFrame, street: Any, buffer_m: float
) -> tuple[np.ndarray, str]:
    n_seg = len(net.seg_rows)
    if spots is not None and len(getattr(spots, "edge_intensity", ())) > 0:
        per_edge = spots.edge_intensity.reindex(street.edges.index).fillna(0.0).to_numpy(float)
        inten = np.zeros(n_seg)
        np.maximum.at(inten, net.seg, per_edge)
        return inten, f"incident intensity from the hotspots stage ({spots.method})"
    inten = np.zeros(n_seg)
    if len(recent):
        tree = gpd.GeoSeries(net.geoms, crs=street.crs).sindex
        src, hit = tree.query(recent.geometry.to_numpy(), predicate="dwithin", distance=buffer_m)
        pairs = pd.DataFrame({"inc": src, "seg": net.seg[hit]}).drop_duplicates()
        weight = recent["_weight"].to_numpy(float)
        np.add.at(inten, pairs["seg"].to_numpy(), weight[pairs["inc"].to_numpy()])
    return inten, (
        "incident intensity: recency-weighted count (half-life {hl:g} weeks) of look-back "
        f"incidents within {buffer_m:g} m of each street segment"
    )


# -- patrol loops ---------------------------------------------------------------------------


def plan_patrol_loops(
    street: Any,
    risk: pd.Series,
    depots: Sequence[Any],
    *,
    budget_m: float,
    max_loops: int = 1,
    max_candidates: int = 60,
    iterations: int = 1500,
    seconds: float = 2.0,
    seed: int = 0,
) -> list[Loop]:
    """
    Plan closed walking loops that collect the most edge risk within a length budget.

    A prize-collecting walk (team orienteering) solved with PyVRP: clients are the midpoints
    of the ``max_candidates`` riskiest edges, prizes their risk; each of up to ``max_loops``
    walkers leaves the depot and returns to it within ``budget_m``. The depot is the one of
    ``depots`` from which the most candidate risk lies within a round trip. The gap is
    measured against a fractional-knapsack upper bound (each visited candidate costs at least
    its cheapest incoming walk).

    Parameters
    ----------
    street
        The walking :class:`~corridors.graph.StreetGraph` (projected CRS, metres).
    risk
        Risk per edge, indexed by (u, v, key); the two directions of a street edge are one
        segment (their maximum counts).
    depots
        Candidate meeting points (street node ids): school gates and hubs.
    budget_m
        Longest walk per loop in metres (minutes x speed).
    max_loops
        Most loops returned (each covers different candidates).
    max_candidates
        Riskiest segments offered to the solver.
    iterations, seconds
        Solver limits: iterations keep the result deterministic for a fixed ``seed``;
        ``seconds`` is a safety cap.
    seed
        Solver seed.

    Returns
    -------
    list of Loop
        Closed walks that start and end at the chosen depot, longest prize first; empty when
        no risky edge is within reach.

    Examples
    --------
    >>> from corridors.routes import _toy_street
    >>> street = _toy_street()
    >>> risk = pd.Series({(1, 2, 0): 5.0})
    >>> [loop] = plan_patrol_loops(street, risk, [0], budget_m=1000)
    >>> loop.nodes[0] == loop.nodes[-1] == 0, round(loop.length_m), loop.risk_share
    (True, 300, 1.0)
    """
    net = _build_net(street)
    seg_risk = _seg_risk_from_series(net, street, risk)
    depot_pos = [net.index[d] for d in depots]
    loops, _ = _solve_loops(
        net, seg_risk, depot_pos, budget_m=budget_m, max_loops=max_loops,
        max_candidates=max_candidates, iterations=iterations, seconds=seconds, seed=seed,
    )  # fmt: skip
    return loops


def _seg_risk_from_series(net: _Net, street: Any, risk: pd.Series) -> np.ndarray:
    keys = _edge_keys(street.edges)
    idx = pd.MultiIndex.from_frame(keys)
    per_edge = risk.reindex(idx).fillna(0.0).to_numpy(float)
    seg_risk = np.zeros(len(net.seg_rows))
    np.maximum.at(seg_risk, net.seg, per_edge)
    return seg_risk


@dataclass(frozen=True)
class _LoopStats:
    depot: int
    bound: float
    prize: float
    candidates: int


@dataclass(frozen=True)
class _Instance:
    """A prize-collecting instance: location 0 = depot, 1..k = candidate edge midpoints."""

    depot: int
    cand: np.ndarray  # segment ids
    prize: np.ndarray
    mat: np.ndarray  # (k+1, k+1) walking metres
    exit_at: np.ndarray  # node position where the walk leaves location i towards j
    entry_at: np.ndarray  # node position where it reaches location j
    dist: np.ndarray
    pred: np.ndarray
    row_of: dict[int, int]


def _loop_instance(
    net: _Net,
    seg_risk: np.ndarray,
    depot_pos: Sequence[int],
    *,
    budget_m: float,
    max_candidates: int,
) -> _Instance | None:
    cand = np.flatnonzero(seg_risk > 0)
    if len(cand) == 0 or not depot_pos:
        return None
    rows = net.seg_rows[cand]
    cu, cv, clen = net.eu[rows], net.ev[rows], net.length[rows]
    # choose the depot that reaches the most risk in a round trip
    dd = np.atleast_2d(
        csgraph.dijkstra(net.csr, indices=np.asarray(depot_pos), limit=budget_m / 2 + 1)
    )
    reach_ok = 2 * (np.minimum(dd[:, cu], dd[:, cv]) + clen[None, :] / 2) <= budget_m
    score = (reach_ok * seg_risk[cand][None, :]).sum(axis=1)
    best = int(np.argmax(score))
    if score[best] <= 0:
        return None
    depot = int(depot_pos[best])
    # the riskiest reachable segments become the candidates
    keep = np.flatnonzero(reach_ok[best])
    keep = keep[np.argsort(-seg_risk[cand[keep]], kind="stable")][:max_candidates]
    cand, cu, cv, clen = cand[keep], cu[keep], cv[keep], clen[keep]
    prize = seg_risk[cand]
    ends = np.unique(np.concatenate([[depot], cu, cv]))
    row_of = {int(p): i for i, p in enumerate(ends)}
    dist, pred = csgraph.dijkstra(
        net.csr, indices=ends, limit=budget_m + 1, return_predecessors=True
    )
    dist = np.atleast_2d(dist)
    pred = np.atleast_2d(pred)
    k = len(cand)
    # locations 0 = depot, 1..k = candidate midpoints; each has two ends (the depot twice)
    loc_ends = np.stack([np.concatenate([[depot], cu]), np.concatenate([[depot], cv])])
    loc_rows = np.vectorize(row_of.__getitem__, otypes=[np.int64])(loc_ends)
    halves = np.concatenate([[0.0], clen / 2])
    # combos[a, b, i, j]: walk from end a of location i to end b of location j
    combos = dist[loc_rows[:, None, :, None], loc_ends[None, :, None, :]]
    flat = combos.reshape(4, k + 1, k + 1)
    choice = np.argmin(flat, axis=0)
    value = np.take_along_axis(flat, choice[None], axis=0)[0]
    a_end, b_end = np.divmod(choice, 2)
    idx = np.arange(k + 1)
    exit_at = loc_ends[a_end, idx[:, None]]
    entry_at = loc_ends[b_end, idx[None, :]]
    mat = np.where(
        np.isfinite(value), halves[:, None] + value + halves[None, :], budget_m * 100.0
    )
    np.fill_diagonal(mat, 0.0)
    return _Instance(depot, cand, prize, mat, exit_at, entry_at, dist, pred, row_of)


def _solve_loops(
    net: _Net,
    seg_risk: np.ndarray,
    depot_pos: Sequence[int],
    *,
    budget_m: float,
    max_loops: int,
    max_candidates: int,
    iterations: int,
    seconds: float,
    seed: int,
) -> tuple[list[Loop], _LoopStats | None]:
    total_risk = float(seg_risk.sum())
    inst = _loop_instance(
        net, seg_risk, depot_pos, budget_m=budget_m, max_candidates=max_candidates
    )
    if inst is None:
        return [], None
    depot, cand, prize, mat = inst.depot, inst.cand, inst.prize, inst.mat
    k = len(cand)
    bound = _knapsack_bound(mat, prize, budget_m=budget_m, max_loops=max_loops)
    routes = _pyvrp_routes(
        mat, prize, budget_m=budget_m, max_loops=max_loops, iterations=iterations,
        seconds=seconds, seed=seed,
    )  # fmt: skip
    collected = float(sum(prize[c - 1] for r in routes for c in r))
    gap = 0.0 if bound <= 0 else max(0.0, round(1.0 - collected / bound, 9))
    loops = []
    for route in routes:
        loop = _expand(net, seg_risk, route, inst)
        loops.append((float(sum(prize[c - 1] for c in route)), loop))
    loops.sort(key=lambda t: -t[0])
    out = [
        Loop(
            depot=net.node_ids[depot].item() if hasattr(net.node_ids[depot], "item")
            else net.node_ids[depot],
            nodes=tuple(n.item() if hasattr(n, "item") else n for n in net.node_ids[lp[0]]),
            geometry=lp[1],
            length_m=float(lp[3]),
            risk_covered=lp[2],
            risk_share=min(1.0, lp[2] / total_risk) if total_risk > 0 else 0.0,
            prize=p,
            bound=bound,
            gap=gap,
        )
        for p, lp in loops
    ]
    return out, _LoopStats(depot, bound, collected, k)


def _knapsack_bound(
    mat: np.ndarray, prize: np.ndarray, *, budget_m: float, max_loops: int
) -> float:
    """Fractional knapsack: each visited candidate costs at least its cheapest way in."""
    k = len(prize)
    if k == 0:
        return 0.0
    inc = mat[:, 1:].copy()
    inc[np.arange(1, k + 1), np.arange(k)] = np.inf
    weight = inc.min(axis=0)
    feasible = mat[0, 1:] + mat[1:, 0] <= budget_m + 1e-6
    order = np.argsort(-(prize / np.maximum(weight, 1e-9)))
    cap = budget_m * max_loops
    total = 0.0
    for i in order:
        if not feasible[i]:
            continue
        if weight[i] <= cap:
            total += prize[i]
            cap -= weight[i]
        else:
            total += prize[i] * cap / weight[i]
            break
    return float(total)


def _pyvrp_routes(
    mat: np.ndarray,
    prize: np.ndarray,
    *,
    budget_m: float,
    max_loops: int,
    iterations: int,
    seconds: float,
    seed: int,
) -> list[list[int]]:
    """Solve the prize-collecting problem; return routes as lists of locations 1..k."""
    from pyvrp import Model, PenaltyParams, SolveParams
    from pyvrp.exceptions import PenaltyBoundWarning
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

    k = len(prize)
    scale = _PRIZE_SCALE / max(float(prize.sum()), 1e-12)
    dist = np.ceil(mat * _DIST_SCALE).astype(np.int64)
    max_dist = math.floor(budget_m * _DIST_SCALE)
    model = Model()
    locs = [model.add_location(x=0, y=0) for _ in range(k + 1)]
    model.add_depot(locs[0])
    for i in range(k):
        model.add_client(locs[i + 1], prize=max(1, round(prize[i] * scale)), required=False)
    model.add_vehicle_type(
        num_available=max_loops, max_distance=max_dist, unit_distance_cost=_UNIT_DISTANCE_COST
    )
    for i in range(k + 1):
        for j in range(k + 1):
            if i != j:
                model.add_edge(locs[i], locs[j], distance=int(dist[i, j]))
    stop = MultipleCriteria([MaxIterations(iterations), MaxRuntime(seconds)])
    with warnings.catch_warnings():
        # PyVRP warns when its penalty for overlong routes hits its cap; the routes it
        # returns are checked against the budget below, so the warning is not actionable
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = model.solve(
            stop, seed=seed, display=False, collect_stats=False,
            params=SolveParams(penalty=PenaltyParams(max_penalty=1e9)),
        )  # fmt: skip
    routes = []
    for route in result.best.routes():
        visits = _repair([a.idx + 1 for a in route if a.is_client()], mat, prize, budget_m)
        if visits:
            routes.append(visits)
    return routes


def _tour_length(mat: np.ndarray, visits: list[int]) -> float:
    seq = [0, *visits, 0]
    return float(sum(mat[a, b] for a, b in itertools.pairwise(seq)))


def _repair(visits: list[int], mat: np.ndarray, prize: np.ndarray, budget_m: float) -> list[int]:
    """Drop the visits that save the most walking per unit of prize until within budget."""
    visits = list(visits)
    while visits and _tour_length(mat, visits) > budget_m + 1e-6:
        length = _tour_length(mat, visits)
        best, best_ratio = 0, -1.0
        for i in range(len(visits)):
            saved = length - _tour_length(mat, visits[:i] + visits[i + 1:])
            ratio = saved / max(float(prize[visits[i] - 1]), 1e-12)
            if ratio > best_ratio:
                best, best_ratio = i, ratio
        del visits[best]
    return visits


def _node_path(pred: np.ndarray, row: int, src: int, dst: int) -> list[int]:
    path = [dst]
    while path[-1] != src:
        p = int(pred[row, path[-1]])
        if p < 0:
            raise RuntimeError(f"no path from node {src} to {dst}")  # pragma: no cover
        path.append(p)
    return path[::-1]


def _oriented(net: _Net, row: int, frm: int) -> np.ndarray:
    coords = shapely.get_coordinates(net.geoms[row])
    return coords if net.eu[row] == frm else coords[::-1]


def _expand(
    net: _Net, seg_risk: np.ndarray, route: list[int], inst: _Instance
) -> tuple[list[int], LineString, float, float]:
    """Turn a visiting order into a closed walk: (nodes, geometry, risk covered, metres).

    Metres are summed from the edges' ``length`` (the graph's walking distance), which can
    differ slightly from the projected geometry's length.
    """
    depot, cand, exit_at, entry_at = inst.depot, inst.cand, inst.exit_at, inst.entry_at
    coords: list[np.ndarray] = [net.xy[depot][None, :]]
    nodes = [depot]
    walked: set[int] = set()
    metres = 0.0
    seq = [0, *route, 0]
    for a_loc, b_loc in itertools.pairwise(seq):
        frm = int(exit_at[a_loc, b_loc])
        to = int(entry_at[a_loc, b_loc])
        if a_loc != 0:  # leave the previous candidate's midpoint towards ``frm``
            seg = int(cand[a_loc - 1])
            half = _half_from_mid(net, int(net.seg_rows[seg]), frm)
            coords.append(half[1:])
            nodes.append(frm)
            metres += net.length[net.seg_rows[seg]] / 2
        path = _node_path(inst.pred, inst.row_of[frm], frm, to)
        for p, q in itertools.pairwise(path):
            r = int(_edge_row(net, np.array([p]), np.array([q]))[0])
            coords.append(_oriented(net, r, p)[1:])
            nodes.append(q)
            metres += net.length[r]
            walked.add(int(net.seg[r]))
        if b_loc != 0:  # walk from ``to`` to the candidate's midpoint
            seg = int(cand[b_loc - 1])
            half = _half_from_mid(net, int(net.seg_rows[seg]), to)[::-1]
            coords.append(half[1:])
            walked.add(seg)
            metres += net.length[net.seg_rows[seg]] / 2
    line = np.concatenate(coords)
    keep = np.ones(len(line), dtype=bool)
    keep[1:] = np.any(np.abs(np.diff(line, axis=0)) > 1e-9, axis=1)
    line = line[keep]
    if len(line) < 2:
        line = np.vstack([line, line])
    risk = float(seg_risk[list(walked)].sum()) if walked else 0.0
    return nodes, LineString(line), risk, metres


def _half_from_mid(net: _Net, row: int, end: int) -> np.ndarray:
    """Coordinates from the midpoint of edge ``row`` to its endpoint ``end``."""
    geom = net.geoms[row]
    if net.eu[row] == end:  # midpoint -> u: first half reversed
        return shapely.get_coordinates(substring(geom, 0.0, 0.5, normalized=True))[::-1]
    return shapely.get_coordinates(substring(geom, 0.5, 1.0, normalized=True))


def _toy_street() -> Any:
    """Return a 3 x 3 grid street graph (100 m blocks) for doctests: nodes 0..8, row by row."""
    rows_uv = []
    for r in range(3):
        for c in range(3):
            n = r * 3 + c
            if c < 2:
                rows_uv += [(n, n + 1), (n + 1, n)]
            if r < 2:
                rows_uv += [(n, n + 3), (n + 3, n)]
    return street_from_edges(
        {n: (float(n % 3 * 100), float(n // 3 * 100)) for n in range(9)},
        rows_uv,
        crs="EPSG:27700",
    )


@dataclass(frozen=True)
class _SimpleStreet:
    graph: Any
    crs: str
    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    source: str
    source_sha256: str


def street_from_edges(
    coords: dict[Any, tuple[float, float]],
    pairs: Sequence[tuple[Any, Any]],
    *,
    crs: str,
    names: Sequence[str] | None = None,
) -> Any:
    """
    Build a small street graph (straight edges) from node coordinates and directed pairs.

    For tests and examples; real graphs come from :mod:`corridors.graph`.

    Parameters
    ----------
    coords
        Node id -> (x, y) in metres.
    pairs
        Directed edges (u, v); give both directions for two-way streets.
    crs
        The projected CRS of the coordinates.
    names
        Optional street name per pair (the ``street_id`` too).

    Returns
    -------
    StreetGraph-like
        With ``nodes`` (x, y), ``edges`` indexed by (u, v, key) with ``length``, ``name``,
        ``street_id`` and straight LineStrings.
    """
    import networkx as nx

    ids = list(coords)
    nodes = gpd.GeoDataFrame(
        {"x": [coords[n][0] for n in ids], "y": [coords[n][1] for n in ids]},
        geometry=[Point(coords[n]) for n in ids],
        index=pd.Index(ids, name="osmid"),
        crs=crs,
    )
    seen: dict[tuple[Any, Any], int] = {}
    u_list, v_list, k_list, geoms, lengths = [], [], [], [], []
    for u, v in pairs:
        key = seen.get((u, v), 0)
        seen[(u, v)] = key + 1
        line = LineString([coords[u], coords[v]])
        u_list.append(u)
        v_list.append(v)
        k_list.append(key)
        geoms.append(line)
        lengths.append(line.length)
    street_names = list(names) if names is not None else [
        f"{min(u, v)}-{max(u, v)}" for u, v in pairs
    ]
    edges = gpd.GeoDataFrame(
        {"length": lengths, "name": street_names, STREET_ID: street_names,
         "highway": "residential"},
        geometry=geoms,
        index=pd.MultiIndex.from_arrays([u_list, v_list, k_list], names=["u", "v", "key"]),
        crs=crs,
    )
    graph = nx.MultiDiGraph(crs=crs)
    for n in ids:
        graph.add_node(n, x=coords[n][0], y=coords[n][1])
    for (u, v, k), length in zip(edges.index, lengths, strict=True):
        graph.add_edge(u, v, key=k, length=length)
    return _SimpleStreet(graph, crs, nodes, edges, "", "")


# -- the stage ------------------------------------------------------------------------------


def _phase_skip_note(skipped: pd.Series, phases: Sequence[str]) -> str:
    """
    Say how many schools were left out by ``[corridors] phases``, by phase, and the fix.

    Examples
    --------
    >>> print(_phase_skip_note(pd.Series(["unknown"] * 3 + ["primary"]), ["secondary"]))
    4 schools skipped: phase not in corridors.phases: unknown (3), primary (1); add a phase \
to [corridors] phases to include it (now phases = ["secondary"])
    """
    counts = skipped.astype(str).str.lower().value_counts()
    counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    listed = ", ".join(f"{k} ({v:,})" for k, v in counts.items())
    now = ", ".join(json.dumps(p, ensure_ascii=False) for p in phases)
    return (
        f"{len(skipped):,} schools skipped: phase not in corridors.phases: {listed}; "
        f"add a phase to [corridors] phases to include it (now phases = [{now}])"
    )


def plan_corridors(
    street: Any,
    inputs: load.Inputs,
    spots: Any | None,
    cfg: RouteConfig,
    *,
    week_start: dt.date,
    timezone: str,
    lookback_weeks: int,
    progress: Callable[[int, int], None] | None = None,
) -> Corridors:
    """
    Plan the week's corridors, their risk and evidence, and patrol loops.

    Parameters
    ----------
    street
        The walking :class:`~corridors.graph.StreetGraph` in ``inputs.crs`` (metres).
    inputs
        Schools (SCHOOL_ID, NAME, PHASE), hubs (HUB_ID, NAME, KIND) and incidents
        (OCCURRED_AT, TIME_KNOWN, MONTH, OFFENCE), all in the area's projected CRS.
    spots
        Hotspots of the week; its ``edge_intensity`` (per (u, v, key)) is the incident
        intensity. ``None`` (or an empty intensity) uses a recency-weighted count of
        incidents within ``cfg.incident_buffer_m`` of each street edge.
    cfg
        The ``[corridors]`` settings.
    week_start
        Monday of the planned week; the look-back ends the day before.
    timezone
        IANA name of the area's timezone (for the after-school window).
    lookback_weeks
        Weeks of incidents used as evidence and intensity.
    progress
        Optional callback ``(done, total)`` called after each corridor's loops.

    Returns
    -------
    Corridors
        Corridors, their street segments, patrol loops and unpatrolled schools, in the
        area's CRS.
    """
    net = _build_net(street)
    notes: list[str] = []
    unpatrolled: list[tuple[str, str, str]] = []
    schools = inputs.schools
    in_phase = schools_in_scope(schools, cfg)
    chosen = schools[in_phase]
    if (~in_phase).any():
        notes.append(_phase_skip_note(schools[load.PHASE][~in_phase], cfg.phases))
    school_ids = chosen[load.SCHOOL_ID].astype(str).tolist()
    school_names = chosen[load.NAME].astype(str).tolist()
    name_of = dict(zip(school_ids, school_names, strict=True))
    school_pos, school_snap = _snap(
        net, shapely.get_coordinates(chosen.geometry.to_numpy()), min_component=50
    )

    hubs = inputs.hubs
    hub_pos, hub_snap = _snap(
        net, shapely.get_coordinates(hubs.geometry.to_numpy()), min_component=50
    )
    hub_ok = hub_snap <= cfg.max_snap_m
    hub_w = hubs[load.KIND].astype(str).str.lower().map(_HUB_WEIGHTS).fillna(1.0).to_numpy(float)

    home_w, home_note = _home_weights(inputs.homes, street.crs, net)
    street_w = _street_length_weights(net)
    notes.append(home_note)
    recent = _lookback_incidents(
        inputs.incidents, cfg, week_start=week_start, timezone=timezone,
        lookback_weeks=lookback_weeks,
    )  # fmt: skip
    intensity, intensity_note = _segment_intensity(
        net, spots, recent, street, cfg.incident_buffer_m
    )
    notes.append(intensity_note.replace("{hl:g}", f"{cfg.half_life_weeks:g}"))
    from_spots = spots is not None and len(getattr(spots, "edge_intensity", ())) > 0

    # 1. routes: one bounded dijkstra per school, trips summed up the tree
    n_seg = len(net.seg_rows)
    seg_foot = np.zeros(n_seg)
    school_segs: dict[str, np.ndarray] = {}
    school_node: dict[str, int] = {}
    limit = max(cfg.catchment_m, cfg.hub_walk_m)
    for sid, pos, snap in zip(school_ids, school_pos, school_snap, strict=True):
        if snap > cfg.max_snap_m:
            unpatrolled.append((sid, name_of[sid], (
                f"no walking route: the school is {snap:,.0f} m from the nearest street of "
                f"the graph (corridors.max_snap_m = {cfg.max_snap_m:g})"
            )))  # fmt: skip
            continue
        dist, pred = csgraph.dijkstra(
            net.csr, indices=int(pos), limit=limit, return_predecessors=True
        )
        demand = np.zeros(len(net.node_ids))
        home = np.where(dist <= cfg.catchment_m, home_w, 0.0)
        home[pos] = 0.0
        if home.sum() <= 0:  # no residential buildings mapped here: use street length
            home = np.where(dist <= cfg.catchment_m, street_w, 0.0)
            home[pos] = 0.0
        reach_hub = hub_ok & (dist[hub_pos] <= cfg.hub_walk_m)
        hub_share = cfg.hub_share if reach_hub.any() else 0.0
        if home.sum() <= 0:
            hub_share = 1.0 if reach_hub.any() else 0.0
        if hub_share > 0:
            w = hub_w[reach_hub]
            np.add.at(demand, hub_pos[reach_hub], hub_share * w / w.sum())
        if home.sum() > 0:
            demand += (1.0 - hub_share) * home / home.sum()
        rows, flow = _accumulate(net, dist, pred, demand)
        if len(rows) == 0:
            unpatrolled.append((sid, name_of[sid], (
                f"no homes or transport hubs within {limit:,.0f} m of walking"
            )))  # fmt: skip
            continue
        segs = net.seg[rows]
        np.add.at(seg_foot, segs, flow)
        school_node[sid] = int(pos)
        school_segs[sid] = _corridor_segments(net, rows, flow, dist, cfg.corridor_share)

    # 2. merge corridors that share a street
    groups = _merge_groups(net, school_segs)
    seg_risk_all = seg_foot * intensity
    corridor_rows: list[dict[str, Any]] = []
    segment_frames: list[pd.DataFrame] = []
    plans: list[tuple[list[str], np.ndarray, MultiLineString, gpd.GeoDataFrame]] = []
    for members in groups:
        segs = np.unique(np.concatenate([school_segs[s] for s in members]))
        rows = net.seg_rows[segs]
        geom = MultiLineString(list(net.geoms[rows]))
        near = _near(recent, geom, cfg.incident_buffer_m)
        plans.append((members, segs, geom, near))
    # corridor ids by decreasing risk (ties: first school id), so C01 is the riskiest
    plans.sort(key=lambda p: (-float(seg_risk_all[p[1]].sum()), p[0][0]))
    keys = _edge_keys(street.edges)
    names = (
        street.edges["name"].astype(object).map(_text).to_numpy(dtype=object)
        if "name" in street.edges.columns else np.full(len(street.edges), "", dtype=object)
    )
    loop_records: list[dict[str, Any]] = []
    total = len(plans)
    for number, (members, segs, geom, near) in enumerate(plans, start=1):
        cid = f"C{number:02d}"
        rows = net.seg_rows[segs]
        risk = float(seg_risk_all[segs].sum())
        footfall = float(seg_foot[segs].sum())
        street_names = _street_list(names[rows], net.length[rows])
        n_inc, offences, time_note = _evidence(near, cfg)
        why_not = _why_not_patrolled(n_inc, risk, from_spots, cfg, lookback_weeks, len(recent))
        patrolled = why_not is None
        member_names = [name_of[s] for s in members]
        reason = _reason(
            member_names, street_names, n_inc, offences, time_note, why_not, cfg, lookback_weeks
        )
        corridor_rows.append({
            CORRIDOR_ID: cid, SCHOOL_IDS: ";".join(members),
            SCHOOL_NAMES: ";".join(member_names), STREETS: ";".join(street_names),
            FOOTFALL: footfall, RISK: risk, INCIDENTS: n_inc,
            OFFENCES: json.dumps(offences, sort_keys=True), TIME_NOTE: time_note,
            REASON: reason, PATROLLED: patrolled, "geometry": geom,
        })  # fmt: skip
        segment_frames.append(pd.DataFrame({
            CORRIDOR_ID: cid, "u": keys["u"].to_numpy()[rows], "v": keys["v"].to_numpy()[rows],
            "key": keys["key"].to_numpy()[rows], STREET_ID: net.street[rows],
            "name": names[rows], FOOTFALL: seg_foot[segs], INTENSITY: intensity[segs],
            RISK: seg_risk_all[segs], "geometry": net.geoms[rows],
        }))  # fmt: skip
        if why_not is not None:
            # "no patrol needed" only on evidence: usable incidents in the look-back, and too
            # few of them near this corridor; without any there is no evidence either way
            verdict = "; no patrol needed" if len(recent) else ""
            for s in members:
                unpatrolled.append((s, name_of[s], f"corridor {cid}: {why_not}{verdict}"))
        else:
            loop_records += _corridor_loops(
                net, cid, members, name_of, school_node, segs, seg_risk_all, geom, near,
                hubs, hub_pos, hub_ok, cfg, unpatrolled,
            )  # fmt: skip
        if progress is not None:
            progress(number, total)

    corridors_gdf = gpd.GeoDataFrame(
        pd.DataFrame(corridor_rows, columns=[*CORRIDOR_COLUMNS, "geometry"]),
        geometry="geometry", crs=street.crs,
    )  # fmt: skip
    corridors_gdf[PATROLLED] = corridors_gdf[PATROLLED].astype(bool)
    segments_gdf = gpd.GeoDataFrame(
        pd.concat(segment_frames, ignore_index=True) if segment_frames
        else pd.DataFrame(columns=[*SEGMENT_COLUMNS, "geometry"]),
        geometry="geometry", crs=street.crs,
    )  # fmt: skip
    loops_gdf = gpd.GeoDataFrame(
        pd.DataFrame(loop_records, columns=[*LOOP_COLUMNS, "geometry"]),
        geometry="geometry", crs=street.crs,
    )  # fmt: skip
    unpatrolled_df = pd.DataFrame(unpatrolled, columns=list(UNPATROLLED_COLUMNS))
    if not len(recent) and len(plans):
        notes.append(
            f"no usable incidents in the {lookback_weeks} weeks before {week_start}: no "
            "corridor could be judged quiet or risky; load incidents that cover those weeks"
        )
    if len(recent) and not bool(recent[load.TIME_KNOWN].fillna(False).astype(bool).any()):
        notes.append(MONTH_ONLY_NOTE + ": evidence counts all look-back incidents")
    logger.info(
        "Planned corridors: %d schools, %d corridors (%d patrolled), %d loops, "
        "%d schools without a patrol",
        len(chosen), len(corridors_gdf), int(corridors_gdf[PATROLLED].sum()),
        len(loops_gdf), len(unpatrolled_df),
    )  # fmt: skip
    return Corridors(corridors_gdf, segments_gdf, loops_gdf, unpatrolled_df, tuple(notes))


def schools_in_scope(schools: pd.DataFrame, cfg: RouteConfig) -> np.ndarray:
    """Return a boolean mask of the schools whose phase is one of ``cfg.phases``."""
    if not len(schools):
        return np.zeros(0, dtype=bool)
    phases = {p.lower() for p in cfg.phases}
    return schools[load.PHASE].astype(str).str.lower().isin(phases).to_numpy()


def check_schools_in_scope(schools: pd.DataFrame, cfg: RouteConfig) -> int:
    """
    Return how many schools a plan covers (their phase is in ``cfg.phases``).

    Raises
    ------
    EmptyResultError
        If there are none: which input is empty and what to set.
    """
    n = int(schools_in_scope(schools, cfg).sum())
    if n:
        return n
    if not len(schools):
        raise EmptyResultError(
            "no schools to plan for: no school was loaded; add a [[schools]] source "
            "(check it with 'corridors validate')"
        )
    phases = schools[load.PHASE].astype(str).str.lower().value_counts()
    found = ", ".join(f"{k} ({v:,})" for k, v in phases.head(6).items())
    raise EmptyResultError(
        f"no schools in scope: {len(schools):,} schools loaded, none with a phase in "
        f"[corridors] phases ({', '.join(cfg.phases)}); their phases: {found}. Set "
        "[corridors] phases to the phases to plan for, or give the schools' phases "
        "(a GIAS extract has them)"
    )


def _corridor_segments(
    net: _Net, rows: np.ndarray, flow: np.ndarray, dist: np.ndarray, share: float
) -> np.ndarray:
    """Smallest set of segments, by decreasing footfall, carrying ``share`` of the walking."""
    walk = flow * net.length[rows]
    # footfall never grows away from the school; ties go to the edge nearer the school
    order = np.lexsort((dist[net.ev[rows]], -flow))
    cum = np.cumsum(walk[order])
    n_take = int(np.searchsorted(cum, share * cum[-1] - 1e-9)) + 1
    return np.unique(net.seg[rows[order[:n_take]]])


def _merge_groups(net: _Net, school_segs: dict[str, np.ndarray]) -> list[list[str]]:
    """Group schools whose corridors share a segment or a street (within 30 m)."""
    ids = list(school_segs)
    parent = list(range(len(ids)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_seg: dict[int, int] = {}
    by_street: dict[str, list[int]] = {}
    for i, sid in enumerate(ids):
        for seg in school_segs[sid].tolist():
            if seg in by_seg:
                parent[find(i)] = find(by_seg[seg])
            else:
                by_seg[seg] = i
        for st in set(net.street[net.seg_rows[school_segs[sid]]].tolist()):
            by_street.setdefault(st, []).append(i)
    for st, members in by_street.items():
        for a_pos, a in enumerate(members):
            for b in members[a_pos + 1:]:
                if find(a) == find(b):
                    continue
                ga = _street_geom(net, school_segs[ids[a]], st)
                gb = _street_geom(net, school_segs[ids[b]], st)
                if shapely.distance(ga, gb) <= 30.0:
                    parent[find(a)] = find(b)
    groups: dict[int, list[str]] = {}
    for i, sid in enumerate(ids):
        groups.setdefault(find(i), []).append(sid)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def _street_geom(net: _Net, segs: np.ndarray, street_id: str) -> Any:
    rows = net.seg_rows[segs]
    return shapely.union_all(net.geoms[rows[net.street[rows] == street_id]])


def _street_list(names: np.ndarray, lengths: np.ndarray) -> list[str]:
    frame = pd.DataFrame({"name": names.astype(str), "length": lengths})
    frame = frame[frame["name"] != ""]
    if frame.empty:
        return ["unnamed streets"]
    totals = frame.groupby("name", sort=False)["length"].sum().sort_values(ascending=False)
    return totals.index.tolist()


def _near(recent: gpd.GeoDataFrame, geom: Any, buffer_m: float) -> gpd.GeoDataFrame:
    if len(recent) == 0:
        return recent
    idx = recent.sindex.query(geom, predicate="dwithin", distance=buffer_m)
    return recent.iloc[np.sort(idx)]


def _evidence(near: gpd.GeoDataFrame, cfg: RouteConfig) -> tuple[int, dict[str, int], str]:
    n = len(near)
    offences = (
        {str(k): int(v) for k, v in near[load.OFFENCE].astype(str).value_counts().items()}
        if n else {}
    )
    known = int(near["_window"].sum()) if n else 0
    window = f"weekdays {cfg.window_start}-{cfg.window_end}"
    if n == 0:
        note = f"no incidents nearby (after-school window {window})"
    elif known == n:
        note = f"after-school window ({window})"
    elif known == 0:
        note = MONTH_ONLY_NOTE
    else:
        note = f"{known} in the after-school window ({window}); {n - known} {MONTH_ONLY_NOTE}"
    return n, offences, note


def _why_not_patrolled(
    n_inc: int,
    risk: float,
    from_spots: bool,
    cfg: RouteConfig,
    lookback_weeks: int,
    n_recent: int | None = None,
) -> str | None:
    """Return why a corridor gets no patrol (no needless contact), or None if it does.

    ``n_recent`` is the number of usable look-back incidents in the whole area: with none,
    the reason says there is no evidence, never that the corridor is quiet.
    """
    if n_recent == 0:
        return (
            f"no usable incidents in the last {lookback_weeks} weeks (none loaded, or none in "
            "the look-back and the after-school window): no evidence either way"
        )
    counted = (
        f"{n_inc} incident{'' if n_inc == 1 else 's'} within {cfg.incident_buffer_m:g} m in "
        f"{lookback_weeks} weeks"
    )
    if n_inc == 0 and cfg.min_incidents > 0:
        return (
            f"no incidents within {cfg.incident_buffer_m:g} m of its streets in the last "
            f"{lookback_weeks} weeks"
        )
    if n_inc < cfg.min_incidents:
        return f"only {counted}, fewer than corridors.min_incidents ({cfg.min_incidents})"
    if risk > cfg.min_risk:
        return None
    if risk > 0:
        return f"risk {risk:.3g} is not above corridors.min_risk ({cfg.min_risk:g}); {counted}"
    if from_spots:
        return f"no after-school hotspot on its streets; {counted}"
    return f"no after-school incidents within {cfg.incident_buffer_m:g} m of its streets"


def _reason(
    names: list[str],
    streets: list[str],
    n_inc: int,
    offences: dict[str, int],
    time_note: str,
    why_not: str | None,
    cfg: RouteConfig,
    lookback_weeks: int,
) -> str:
    who = names[0] if len(names) == 1 else f"{len(names)} schools ({', '.join(names)})"
    where = ", ".join(streets[:3]) + (f" and {len(streets) - 3} more" if len(streets) > 3 else "")
    top = ", ".join(f"{k.lower()} ({v})" for k, v in list(offences.items())[:3])
    what = (
        f"{n_inc} incident{'' if n_inc == 1 else 's'} within {cfg.incident_buffer_m:g} m in the "
        f"last {lookback_weeks} "
        f"weeks ({time_note})" + (f", mostly {top}" if top else "")
    )
    walking = (
        f"{who}: the streets carrying {cfg.corridor_share:.0%} of after-school walking to "
        f"homes and transport are {where}"
    )
    if why_not is None:
        return f"Chosen: {walking}; {what}."
    return f"Not patrolled ({why_not}): {walking}; {what}."


def _corridor_loops(
    net: _Net,
    cid: str,
    members: list[str],
    name_of: dict[str, str],
    school_node: dict[str, int],
    segs: np.ndarray,
    seg_risk_all: np.ndarray,
    geom: Any,
    near: gpd.GeoDataFrame,
    hubs: gpd.GeoDataFrame,
    hub_pos: np.ndarray,
    hub_ok: np.ndarray,
    cfg: RouteConfig,
    unpatrolled: list[tuple[str, str, str]],
) -> list[dict[str, Any]]:
    seg_risk = np.zeros(len(net.seg_rows))
    seg_risk[segs] = seg_risk_all[segs]
    depots: list[tuple[int, str, str]] = [(school_node[s], name_of[s], "school") for s in members]
    if len(hubs):
        close = hub_ok & (shapely.distance(hubs.geometry.to_numpy(), geom) <= 100.0)
        for i in np.flatnonzero(close):
            depots.append((int(hub_pos[i]), str(hubs[load.NAME].iloc[i]), "hub"))
    budget_m = cfg.loop_budget_min * cfg.speed_kmh * 1000.0 / 60.0
    loops, _ = _solve_loops(
        net, seg_risk, [d[0] for d in depots], budget_m=budget_m,
        max_loops=cfg.max_loops_per_corridor, max_candidates=cfg.max_candidates,
        iterations=cfg.solver_iterations, seconds=cfg.solver_seconds, seed=cfg.seed,
    )  # fmt: skip
    if not loops:
        for s in members:
            unpatrolled.append((s, name_of[s], (
                f"corridor {cid}: no risky street within a {cfg.loop_budget_min:g}-minute "
                "round trip of a school gate or hub"
            )))  # fmt: skip
        return []
    records = []
    speed_m_min = cfg.speed_kmh * 1000.0 / 60.0
    for k, loop in enumerate(loops, start=1):
        depot_pos = net.index[loop.depot]
        name, kind = next((d[1], d[2]) for d in depots if d[0] == depot_pos)
        duration = loop.length_m / speed_m_min
        records.append({
            LOOP_ID: f"{cid}-L{k}", CORRIDOR_ID: cid, SCHOOL_IDS: ";".join(members),
            MEETING_POINT: name, MEETING_KIND: kind, MEETING_NODE: loop.depot,
            START_TIME: _start_time(near, duration, cfg), DURATION_MIN: round(duration, 1),
            LENGTH_M: round(loop.length_m, 1), RISK_COVERED: loop.risk_covered,
            RISK_SHARE: loop.risk_share, GAP: loop.gap, BOUND: loop.bound,
            "geometry": loop.geometry,
        })  # fmt: skip
    return records


def _start_time(near: gpd.GeoDataFrame, duration_min: float, cfg: RouteConfig) -> str:
    """Start of the 15-minute-aligned walk that overlaps the most after-school incidents."""
    lo, hi = _hhmm_minutes(cfg.window_start), _hhmm_minutes(cfg.window_end)
    minutes = near.loc[near["_window"], "_minute"].to_numpy(float) if len(near) else np.zeros(0)
    if len(minutes) == 0:
        closing = _hhmm_minutes(cfg.closing_time)
        start = int(15 * round(closing / 15))
    else:
        latest = max(lo, int(15 * math.floor((hi - duration_min) / 15)))
        starts = np.arange(lo, latest + 1, 15)
        span = max(duration_min, 15.0)
        counts = [int(((minutes >= s) & (minutes < s + span)).sum()) for s in starts]
        start = int(starts[int(np.argmax(counts))])
    return f"{start // 60:02d}:{start % 60:02d}"


# -- exports --------------------------------------------------------------------------------


def corridor_streets(corridors: Corridors) -> pd.DataFrame:
    """
    Summarise each corridor per street (pavements count with their street).

    Parameters
    ----------
    corridors
        The week's plan from :func:`plan_corridors`.

    Returns
    -------
    pandas.DataFrame
        One row per corridor and street: corridor_id, street_id, name, length_m (metres of
        street in the corridor), footfall (the busiest segment's), risk (sum), sorted by
        corridor and decreasing risk.
    """
    cols = [CORRIDOR_ID, STREET_ID, "name", LENGTH_M, FOOTFALL, RISK]
    segs = corridors.segments
    if len(segs) == 0:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame({
        CORRIDOR_ID: segs[CORRIDOR_ID].to_numpy(), STREET_ID: segs[STREET_ID].astype(str),
        "name": segs["name"].astype(object).map(_text).to_numpy(),
        LENGTH_M: segs.geometry.length.to_numpy(), FOOTFALL: segs[FOOTFALL].to_numpy(),
        RISK: segs[RISK].to_numpy(),
    })  # fmt: skip
    out = frame.groupby([CORRIDOR_ID, STREET_ID], sort=False).agg(
        name=("name", "first"), length_m=(LENGTH_M, "sum"), footfall=(FOOTFALL, "max"),
        risk=(RISK, "sum"),
    ).reset_index()  # fmt: skip
    out[LENGTH_M] = out[LENGTH_M].round(1)
    return out.sort_values([CORRIDOR_ID, RISK], ascending=[True, False], kind="stable")[
        cols
    ].reset_index(drop=True)


def write_corridor_exports(corridors: Corridors, folder: Path) -> list[Path]:
    """
    Write corridors and loops as GeoJSON and GPX, and CSVs of loops and unpatrolled schools.

    GeoJSON is in EPSG:4326 with coordinates rounded to 6 decimal places; the GPX file has
    one named track per loop. Every file is written atomically.

    Parameters
    ----------
    corridors
        The week's plan from :func:`plan_corridors`.
    folder
        The week's folder (created if missing).

    Returns
    -------
    list of Path
        ``corridors.geojson``, ``loops.geojson``, ``loops.gpx``, ``loops.csv``,
        ``unpatrolled.csv`` and ``corridor_streets.csv``.
    """
    import gpxpy.gpx

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [
        write_text(folder / "corridors.geojson", _geojson(corridors.corridors)),
        write_text(folder / "loops.geojson", _geojson(corridors.loops)),
    ]
    gpx = gpxpy.gpx.GPX()
    gpx.name = "Safer Corridors patrol loops"
    loops = corridors.loops
    wgs = loops.to_crs("EPSG:4326") if len(loops) else loops
    for _, row in wgs.iterrows():
        track = gpxpy.gpx.GPXTrack(
            name=f"{row[LOOP_ID]}: from {row[MEETING_POINT]} at {row[START_TIME]}",
            description=(
                f"{row[LENGTH_M]:.0f} m, about {row[DURATION_MIN]:.0f} min; corridor "
                f"{row[CORRIDOR_ID]}"
            ),
        )
        seg = gpxpy.gpx.GPXTrackSegment()
        for lon, lat in shapely.get_coordinates(row.geometry):
            seg.points.append(gpxpy.gpx.GPXTrackPoint(round(lat, 6), round(lon, 6)))
        track.segments.append(seg)
        gpx.tracks.append(track)
    written.append(write_text(folder / "loops.gpx", gpx.to_xml()))
    for name, frame in (
        ("loops.csv", loops),
        ("unpatrolled.csv", corridors.unpatrolled),
        ("corridor_streets.csv", corridor_streets(corridors)),
    ):
        table = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
        written.append(write_csv(table, folder / name, float_format="%.10g"))
    return written


def _geojson(frame: gpd.GeoDataFrame) -> str:
    if len(frame) == 0:
        return json.dumps({"type": "FeatureCollection", "features": []})
    wgs = frame.to_crs("EPSG:4326")
    geoms = shapely.transform(wgs.geometry.to_numpy(), lambda c: np.round(c, 6))
    wgs = wgs.set_geometry(gpd.GeoSeries(geoms, index=wgs.index, crs="EPSG:4326"))
    for col in wgs.columns:
        if col != "geometry" and not pd.api.types.is_numeric_dtype(wgs[col]) and \
                not pd.api.types.is_bool_dtype(wgs[col]):
            wgs[col] = wgs[col].astype(object).map(_text)
    return wgs.to_json(drop_id=True, to_wgs84=False)


__all__ = [
    "Corridors", "Loop", "corridor_streets", "plan_corridors", "plan_patrol_loops",
    "route_footfall", "street_from_edges", "write_corridor_exports",
]  # fmt: skip

