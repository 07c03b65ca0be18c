"""The street graph as arrays (:class:`_Net`): the compact network every search runs on.

A :class:`~corridors.graph.StreetGraph` becomes a node x node sparse matrix of the shortest
parallel edge (for scipy's Dijkstra), a lookup from node pairs to edge rows, undirected
segment ids (both directions of a street edge are one segment), street ids and edge
geometries oriented from u to v. :func:`_snap` finds the nearest street node of points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from corridors.errors import InputDataError
from corridors.graph import StreetGraph
from corridors.routes.result import STREET_ID, NodeId


@dataclass(frozen=True)
class _Net:
    csr: sparse.csr_array  # node x node, shortest parallel edge length (m)
    lookup: sparse.csr_array  # node x node -> edge row + 1
    node_ids: np.ndarray
    index: dict[NodeId, int]
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
        keys.columns = pd.Index(["u", "v", "key"])
        return keys
    if {"u", "v"} <= set(edges.columns):
        key = edges["key"] if "key" in edges.columns else 0
        return pd.DataFrame({"u": edges["u"].to_numpy(), "v": edges["v"].to_numpy(),
                             "key": np.broadcast_to(np.asarray(key), len(edges))})  # fmt: skip
    raise InputDataError(
        "street graph edges: expected an index (u, v, key) or columns u, v, key, got "
        f"index {list(edges.index.names)} and columns {list(edges.columns)}. "
        "Build the graph with corridors.graph.build_street_graph."
    )


def _build_net(street: StreetGraph) -> _Net:
    nodes, edges = street.nodes, street.edges
    node_ids = nodes.index.to_numpy()
    index = {n: i for i, n in enumerate(node_ids.tolist())}
    xy = _node_xy(nodes)
    keys = _edge_keys(edges)
    eu, ev = _edge_ends(node_ids, keys)
    length = np.maximum(edges["length"].to_numpy(float), 0.01)
    n = len(node_ids)
    csr, lookup = _adjacency(eu, ev, length, n)
    seg, seg_rows = _segments(eu, ev, keys, n)
    street_ids = _street_ids(edges, seg)
    geoms = _oriented_geoms(edges, xy, eu, ev)
    return _Net(csr, lookup, node_ids, index, xy, eu, ev, length, seg, seg_rows,
                street_ids, geoms)  # fmt: skip


def _node_xy(nodes: gpd.GeoDataFrame) -> np.ndarray:
    if {"x", "y"} <= set(nodes.columns):
        return np.column_stack([nodes["x"].to_numpy(float), nodes["y"].to_numpy(float)])
    return shapely.get_coordinates(nodes.geometry.to_numpy())


def _edge_ends(node_ids: np.ndarray, keys: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Node positions of every edge's u and v; an unknown endpoint is an input error."""
    node_index = pd.Index(node_ids)
    eu = node_index.get_indexer(keys["u"]).astype(np.int64)
    ev = node_index.get_indexer(keys["v"]).astype(np.int64)
    if (eu < 0).any() or (ev < 0).any():
        bad = keys["u"].to_numpy()[eu < 0].tolist() + keys["v"].to_numpy()[ev < 0].tolist()
        raise InputDataError(
            f"street graph: edge endpoint {bad[0]!r} is not in the nodes table; "
            "rebuild the street graph (its nodes and edges tables disagree)."
        )
    return eu, ev


def _adjacency(
    eu: np.ndarray, ev: np.ndarray, length: np.ndarray, n: int
) -> tuple[sparse.csr_array, sparse.csr_array]:
    """Shortest parallel edge per node pair (metres), and the pair's edge row + 1."""
    ok = eu != ev
    rows = np.flatnonzero(ok)
    order = rows[np.lexsort((length[rows], ev[rows], eu[rows]))]
    pair = eu[order] * n + ev[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = pair[1:] != pair[:-1]
    best = order[first]
    csr = sparse.csr_array((length[best], (eu[best], ev[best])), shape=(n, n))
    lookup = sparse.csr_array(((best + 1).astype(np.int64), (eu[best], ev[best])), shape=(n, n))
    return csr, lookup


def _segments(
    eu: np.ndarray, ev: np.ndarray, keys: pd.DataFrame, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Undirected segment id of every edge row, and a representative edge row per segment."""
    lo = np.minimum(eu, ev)
    hi = np.maximum(eu, ev)
    key = pd.factorize(keys["key"].to_numpy())[0].astype(np.int64)
    seg, uniques = pd.factorize((lo * n + hi) * (int(key.max(initial=0)) + 1) + key)
    seg_rows = np.full(len(uniques), -1, dtype=np.int64)
    seg_rows[seg[::-1]] = np.arange(len(seg))[::-1]
    return seg, seg_rows


def _street_ids(edges: gpd.GeoDataFrame, seg: np.ndarray) -> np.ndarray:
    """Street id per edge row: ``street_id``, else the name, else the segment id."""
    if STREET_ID in edges.columns:
        return edges[STREET_ID].astype(str).to_numpy(dtype=object)
    if "name" in edges.columns:
        names = edges["name"].astype(object).map(_text)
        return np.where(names != "", names, seg.astype(str)).astype(object)
    return seg.astype(str).astype(object)


def _oriented_geoms(
    edges: gpd.GeoDataFrame, xy: np.ndarray, eu: np.ndarray, ev: np.ndarray
) -> np.ndarray:
    """Every edge's geometry (straight where missing), oriented from u to v."""
    geoms = edges.geometry.to_numpy().copy()
    missing = shapely.is_missing(geoms)
    if missing.any():
        geoms[missing] = shapely.linestrings(np.stack([xy[eu[missing]], xy[ev[missing]]], axis=1))
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    start = coords[np.searchsorted(owner, np.arange(len(geoms)))]
    flip = np.hypot(*(start - xy[ev]).T) < np.hypot(*(start - xy[eu]).T)
    if flip.any():
        geoms[flip] = shapely.reverse(geoms[flip])
    return geoms


def _text(value: object) -> str:
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
