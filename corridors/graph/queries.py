"""Questions asked of a built street graph: nearest node and edge of points, the CSR matrix.

:func:`snap_points` finds the nearest node and street edge of each point (a KD-tree on the
nodes, an STRtree on the edges); :func:`to_csr` exports the graph as a scipy sparse matrix for
fast many-to-many routing with ``scipy.sparse.csgraph``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyproj
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree

from corridors.errors import ConfigError, InputDataError
from corridors.graph.street import REVERSED, StreetGraph

Points: TypeAlias = gpd.GeoSeries | gpd.GeoDataFrame | npt.ArrayLike
"""What :func:`snap_points` takes: a GeoSeries/GeoDataFrame, or an ``(n, 2)`` array of x/y."""


@dataclass(frozen=True)
class SnapResult:
    """Nearest node and nearest edge of each point (arrays aligned with the input points).

    Points farther than ``max_dist_m`` get node ``-1``, edge ``(-1, -1, -1)`` and NaN distances.
    ``edge_offset_m`` is the distance (m) along the edge geometry, from ``edge_u``, of the point
    on the edge nearest to the input point. Edges are the ``reversed == False`` copies.
    """

    node: np.ndarray  # int64 node ids
    node_dist_m: np.ndarray  # float64
    edge_u: np.ndarray  # int64
    edge_v: np.ndarray  # int64
    edge_key: np.ndarray  # int64
    edge_dist_m: np.ndarray  # float64
    edge_offset_m: np.ndarray  # float64

    @property
    def edge(self) -> list[tuple[int, int, int]]:
        """The nearest edges as ``(u, v, key)`` tuples (``(-1, -1, -1)`` when too far)."""
        return list(
            zip(self.edge_u.tolist(), self.edge_v.tolist(), self.edge_key.tolist(), strict=True)
        )


def snap_points(
    street: StreetGraph, points: Points, *, max_dist_m: float | None = None
) -> SnapResult:
    """
    Find the nearest graph node and the nearest street edge of each point.

    Parameters
    ----------
    street
        The street graph.
    points
        A GeoSeries or GeoDataFrame of points (reprojected to ``street.crs`` if it has
        another CRS; taken to be in ``street.crs`` if it has none), or an ``(n, 2)`` array of
        x/y in ``street.crs`` (metres). Non-point geometries use their centroid.
    max_dist_m
        Points farther than this (m) from every node / edge get -1 and NaN.

    Returns
    -------
    SnapResult
        Arrays aligned with ``points``.

    Examples
    --------
    >>> from pathlib import Path
    >>> from corridors.config import GraphConfig
    >>> from corridors.graph import build_street_graph
    >>> cfg = GraphConfig(osm_file=Path("tests/data/graph/tiny.osm"), use_cache=False)
    >>> street = build_street_graph(cfg, crs="EPSG:27700")
    >>> snap = snap_points(street, np.array([[450_000.0, 250_010.0]]), max_dist_m=50)
    >>> int(snap.node[0]), round(float(snap.node_dist_m[0]), 1)
    (1000, 10.0)
    """
    xy = _points_xy(points, street.crs)
    if max_dist_m is not None and max_dist_m < 0:
        raise ConfigError(f"snap_points: max_dist_m must be >= 0 metres, got {max_dist_m}")
    node, node_dist = _nearest_nodes(street, xy, max_dist_m)
    return SnapResult(node, node_dist, *_nearest_edges(street, xy, max_dist_m))


def _nearest_nodes(
    street: StreetGraph, xy: np.ndarray, max_dist_m: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest node id and its distance per point (-1 and NaN beyond ``max_dist_m``)."""
    n = len(xy)
    limit = math.inf if max_dist_m is None else float(max_dist_m)
    node_ids = street.nodes.index.to_numpy(dtype=np.int64)
    node_xy = street.nodes[["x", "y"]].to_numpy(dtype=float)
    node = np.full(n, -1, dtype=np.int64)
    node_dist = np.full(n, np.nan)
    if n and len(node_ids):
        dist, idx = cKDTree(node_xy).query(xy, k=1, distance_upper_bound=limit)
        dist, idx = np.asarray(dist, dtype=float), np.asarray(idx, dtype=np.int64)
        ok = np.isfinite(dist)
        node[ok] = node_ids[idx[ok]]
        node_dist[ok] = dist[ok]
    return node, node_dist


def _nearest_edges(
    street: StreetGraph, xy: np.ndarray, max_dist_m: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(u, v, key, distance, offset along the edge)`` of the nearest forward edge per point."""
    n = len(xy)
    fwd = street.edges[~street.edges[REVERSED].to_numpy(dtype=bool)]
    eu = np.full(n, -1, dtype=np.int64)
    ev = np.full(n, -1, dtype=np.int64)
    ek = np.full(n, -1, dtype=np.int64)
    edist = np.full(n, np.nan)
    eoff = np.full(n, np.nan)
    if n and len(fwd):
        geoms = np.asarray(fwd.geometry.to_numpy(), dtype=object)
        pts = np.asarray(shapely.points(xy), dtype=object)
        tree = shapely.STRtree(geoms)
        kwargs: dict[str, Any] = {"return_distance": True, "all_matches": False}
        if max_dist_m is not None:
            kwargs["max_distance"] = float(max_dist_m)
        (i_pt, i_edge), dist = tree.query_nearest(pts, **kwargs)
        idx = fwd.index
        eu[i_pt] = idx.get_level_values(0).to_numpy(dtype=np.int64)[i_edge]
        ev[i_pt] = idx.get_level_values(1).to_numpy(dtype=np.int64)[i_edge]
        ek[i_pt] = idx.get_level_values(2).to_numpy(dtype=np.int64)[i_edge]
        edist[i_pt] = dist
        eoff[i_pt] = shapely.line_locate_point(geoms[i_edge], pts[i_pt])
    return eu, ev, ek, edist, eoff


def to_csr(
    street: StreetGraph, *, weight: str = "length"
) -> tuple[sp.csr_matrix, np.ndarray, dict[int, int]]:
    """
    Export the graph as a sparse matrix for scipy's ``csgraph`` (fast many-to-many routing).

    Parameters
    ----------
    street
        The street graph.
    weight
        Edge column used as the weight (metres for ``"length"``).

    Returns
    -------
    matrix
        ``(n, n)`` CSR matrix; entry ``[i, j]`` is the *smallest* weight of the edges from node
        ``node_ids[i]`` to ``node_ids[j]`` (parallel edges are not summed). Self-loops are
        dropped. Zero weights are kept as explicit entries, which ``csgraph`` treats as edges.
    node_ids
        int64 node ids in matrix order (sorted).
    node_index
        ``{node id: row}``.

    Examples
    --------
    >>> from pathlib import Path
    >>> from scipy.sparse.csgraph import dijkstra
    >>> from corridors.config import GraphConfig
    >>> from corridors.graph import build_street_graph
    >>> cfg = GraphConfig(osm_file=Path("tests/data/graph/tiny.osm"), use_cache=False)
    >>> matrix, ids, index = to_csr(build_street_graph(cfg, crs="EPSG:27700"))
    >>> dist = dijkstra(matrix, indices=index[1000])
    >>> round(float(dist[index[1066]]))  # corner to corner: 12 blocks of about 100 m
    1200
    """
    node_ids = np.sort(street.nodes.index.to_numpy(dtype=np.int64))
    node_index = {int(v): i for i, v in enumerate(node_ids)}
    idx = street.edges.index
    u = np.searchsorted(node_ids, idx.get_level_values(0).to_numpy(dtype=np.int64))
    v = np.searchsorted(node_ids, idx.get_level_values(1).to_numpy(dtype=np.int64))
    w = street.edges[weight].to_numpy(dtype=float)
    keep = u != v
    u, v, w = u[keep], v[keep], w[keep]
    order = np.lexsort((w, v, u))  # by u, then v, then weight
    u, v, w = u[order], v[order], w[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    n = len(node_ids)
    matrix = sp.csr_matrix((w[first], (u[first], v[first])), shape=(n, n))
    return matrix, node_ids, node_index


def _points_xy(points: Points, crs: str) -> np.ndarray:
    """Return the points as an ``(n, 2)`` array of x/y in ``crs`` (centroids of shapes)."""
    if isinstance(points, gpd.GeoDataFrame):
        points = points.geometry
    if isinstance(points, gpd.GeoSeries):
        if points.crs is not None and not pyproj.CRS(points.crs).equals(pyproj.CRS(crs)):
            points = points.to_crs(crs)
        geoms = points.to_numpy()
        if len(geoms) and not (shapely.get_type_id(geoms) == 0).all():
            geoms = shapely.centroid(geoms)
        xy = shapely.get_coordinates(geoms) if len(geoms) else np.empty((0, 2))
        if len(xy) != len(geoms):
            raise InputDataError("snap_points: some points are empty geometries; drop them first.")
        return np.asarray(xy, dtype=float)
    xy = np.asarray(points, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise InputDataError(
            f"snap_points: expected points as a GeoSeries or an (n, 2) array of x/y, got shape "
            f"{xy.shape}."
        )
    return xy
