"""Footfall: where a school's after-school walkers go, and the streets they walk.

Home areas are weighted by the residential buildings the load stage read (``inputs.homes``),
else by street length inside residential land use, else by street length. Hubs are weighted
by kind (rail/tube 3, tram 2, bus 1). :func:`_school_demand` splits one school's walkers
between the hubs and home areas it reaches; :func:`_accumulate` sums them back up the
school's shortest-path tree, so every tree edge carries the walkers who pass along it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csgraph

from corridors import load
from corridors.config import RouteConfig
from corridors.graph import StreetGraph
from corridors.routes.network import _build_net, _edge_keys, _edge_row, _Net, _snap
from corridors.routes.result import FOOTFALL, NodeId

_HUB_WEIGHTS = {"rail": 3.0, "tube": 3.0, "tram": 2.0, "bus": 1.0}
_HOME_SNAP_M = 250.0  # a building further than this from any street node is not counted


def route_footfall(
    street: StreetGraph,
    sources: Sequence[NodeId],
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
    >>> from corridors.graph import toy_street
    >>> street = toy_street()
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
    sources: Sequence[NodeId],
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
            net.csr, indices=np.asarray(net.index[src]), limit=limit_m, return_predecessors=True
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


def _home_weights(homes: load.Homes | None, crs: str, net: _Net) -> tuple[np.ndarray, str]:
    """Residential weight per node, and a note saying how it was measured."""
    if homes is not None:
        if len(homes.buildings):
            found = _building_weights(homes.buildings, net)
            if found is not None:
                return found
        if len(homes.landuse):
            weights = _landuse_weights(homes.landuse, crs, net)
            if weights.sum() > 0:
                return weights, "home areas weighted by street length inside residential land use"
    return _street_length_weights(net), (
        "home areas weighted by street length (no residential buildings in the source)"
    )


def _building_weights(buildings: gpd.GeoDataFrame, net: _Net) -> tuple[np.ndarray, str] | None:
    """Residential buildings' weight summed at their nearest node (None if nothing counts)."""
    pts = shapely.get_coordinates(buildings.geometry.to_numpy())
    pos, dist = _snap(net, pts)
    near = dist <= _HOME_SNAP_M
    weights = np.zeros(len(net.node_ids))
    np.add.at(weights, pos[near], buildings["weight"].to_numpy()[near])
    if weights.sum() <= 0:
        return None
    return weights, (
        f"home areas weighted by {int(near.sum()):,} residential buildings from the OSM file"
    )


def _landuse_weights(landuse: gpd.GeoDataFrame, crs: str, net: _Net) -> np.ndarray:
    """Length of the edges whose midpoint lies in residential land use, half to each end."""
    mids = shapely.line_interpolate_point(net.geoms, 0.5, normalized=True)
    hit = np.zeros(len(mids), dtype=bool)
    idx = gpd.GeoSeries(mids, crs=crs).sindex.query(
        landuse.geometry.to_numpy(), predicate="contains"
    )
    hit[idx[1]] = True
    weights = np.zeros(len(net.node_ids))
    np.add.at(weights, net.eu[hit], net.length[hit] / 2)
    np.add.at(weights, net.ev[hit], net.length[hit] / 2)
    return weights


# -- hubs and one school's walkers ----------------------------------------------------------


@dataclass(frozen=True)
class _Hubs:
    """Transport hubs on the network: the table, node positions, usable flags, weights."""

    frame: gpd.GeoDataFrame
    pos: np.ndarray  # node position of each hub
    ok: np.ndarray  # snapped within max_snap_m
    weight: np.ndarray  # by kind


def _snap_hubs(net: _Net, hubs: gpd.GeoDataFrame, max_snap_m: float) -> _Hubs:
    pos, snap = _snap(net, shapely.get_coordinates(hubs.geometry.to_numpy()), min_component=50)
    kind = hubs[load.KIND].astype(str).str.lower()
    weight = kind.map(_HUB_WEIGHTS).fillna(1.0).to_numpy(float)
    return _Hubs(hubs, pos, snap <= max_snap_m, weight)


@dataclass(frozen=True)
class _HomeAreas:
    """Residential weight per node, and street length per node when none is near a school."""

    weight: np.ndarray
    street: np.ndarray


def _school_demand(
    dist: np.ndarray, pos: int, homes: _HomeAreas, hubs: _Hubs, cfg: RouteConfig
) -> np.ndarray:
    """One school's walkers (1.0 in all) per node: ``hub_share`` to hubs, the rest home."""
    demand = np.zeros(len(dist))
    home = np.where(dist <= cfg.catchment_m, homes.weight, 0.0)
    home[pos] = 0.0
    if home.sum() <= 0:  # no residential buildings mapped here: use street length
        home = np.where(dist <= cfg.catchment_m, homes.street, 0.0)
        home[pos] = 0.0
    reach_hub = hubs.ok & (dist[hubs.pos] <= cfg.hub_walk_m)
    hub_share = cfg.hub_share if reach_hub.any() else 0.0
    if home.sum() <= 0:
        hub_share = 1.0 if reach_hub.any() else 0.0
    if hub_share > 0:
        w = hubs.weight[reach_hub]
        np.add.at(demand, hubs.pos[reach_hub], hub_share * w / w.sum())
    if home.sum() > 0:
        demand += (1.0 - hub_share) * home / home.sum()
    return demand
