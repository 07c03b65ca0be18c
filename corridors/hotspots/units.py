"""The units hotspots are made of and scored on: points, grid cells, street segments, area.

Pure array code: incident coordinates (deduplicated snap points), a regular grid with kernel
density, the undirected street segments of the walking graph (snapping, per-edge values,
connected runs), choosing the best units within an area budget, and the study area's extent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint
from shapely.geometry.base import BaseGeometry

from corridors.errors import InputDataError

if TYPE_CHECKING:
    from corridors.graph import StreetGraph


def _xy(table: gpd.GeoDataFrame) -> np.ndarray:
    if len(table) == 0:
        return np.zeros((0, 2))
    return shapely.get_coordinates(table.geometry.to_numpy())[:, :2].astype(float)


def _dedupe(xy: np.ndarray, thin_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge identical (or, with ``thin_m``, same-cell) points: (centres, counts, inverse)."""
    if len(xy) == 0:
        return xy, np.zeros(0), np.zeros(0, dtype=np.intp)
    key = np.floor(xy / thin_m) if thin_m > 0 else xy
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    counts = np.bincount(inverse).astype(float)
    if thin_m > 0:
        centres = np.column_stack([
            np.bincount(inverse, xy[:, 0]) / counts, np.bincount(inverse, xy[:, 1]) / counts,
        ])  # fmt: skip
    else:
        centres = xy[first]
    return centres, counts, inverse


@dataclass(frozen=True)
class _Grid:
    x0: float
    y0: float
    cell_m: float
    nx: int
    ny: int

    @classmethod
    def over(cls, bounds: Sequence[float], cell_m: float) -> _Grid:
        minx, miny, maxx, maxy = bounds
        x0 = math.floor(minx / cell_m) * cell_m
        y0 = math.floor(miny / cell_m) * cell_m
        nx = max(1, math.ceil((maxx - x0) / cell_m))
        ny = max(1, math.ceil((maxy - y0) / cell_m))
        return cls(x0, y0, cell_m, nx, ny)

    def index(self, xy: np.ndarray) -> np.ndarray:
        """Flat cell index per point (-1 outside the grid)."""
        ix = np.floor((xy[:, 0] - self.x0) / self.cell_m).astype(np.int64)
        iy = np.floor((xy[:, 1] - self.y0) / self.cell_m).astype(np.int64)
        ok = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        return np.where(ok, iy * self.nx + ix, -1)

    def sums(self, xy: np.ndarray, weights: np.ndarray) -> np.ndarray:
        idx = self.index(xy)
        ok = idx >= 0
        return np.bincount(idx[ok], weights[ok], minlength=self.nx * self.ny)

    def centres(self) -> np.ndarray:
        ix, iy = np.meshgrid(np.arange(self.nx), np.arange(self.ny))
        return np.column_stack([
            self.x0 + (ix.ravel() + 0.5) * self.cell_m, self.y0 + (iy.ravel() + 0.5) * self.cell_m,
        ])  # fmt: skip

    def boxes(self, cells: np.ndarray) -> np.ndarray:
        iy, ix = np.divmod(cells, self.nx)
        x = self.x0 + ix * self.cell_m
        y = self.y0 + iy * self.cell_m
        return shapely.box(x, y, x + self.cell_m, y + self.cell_m)


def _kde_surface(
    xy: np.ndarray, weights: np.ndarray, grid: _Grid, bandwidth_m: float
) -> np.ndarray:
    """Gaussian kernel density per cell (weight per m2), flat like ``grid.index``."""
    return _smooth_cells(grid.sums(xy, weights), grid, bandwidth_m) / grid.cell_m**2


def _smooth_cells(values: np.ndarray, grid: _Grid, bandwidth_m: float) -> np.ndarray:
    """Gaussian smoothing of per-cell values (flat like ``grid.index``), mass kept."""
    from scipy.ndimage import gaussian_filter

    mass = values.reshape(grid.ny, grid.nx)
    smooth = gaussian_filter(mass, sigma=bandwidth_m / grid.cell_m, mode="constant", truncate=4.0)
    out: np.ndarray = smooth.ravel()
    return out


def _top_units(scores: np.ndarray, areas: np.ndarray, budget_m2: float) -> np.ndarray:
    """Return the best-scoring units (score > 0) whose areas fit in ``budget_m2``."""
    order = np.lexsort((np.arange(len(scores)), -scores))
    order = order[scores[order] > 0]
    cum = np.cumsum(areas[order])
    return order[cum <= budget_m2 + 1e-6]


# -- street segments ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Segments:
    """Undirected street segments: one per (min(u,v), max(u,v), key)."""

    edge_index: pd.MultiIndex  # every directed edge
    edge_segment: np.ndarray  # segment number per directed edge
    geometry: np.ndarray  # shapely lines per segment
    length_m: np.ndarray
    u: np.ndarray
    v: np.ndarray

    def snap(self, xy: np.ndarray, max_dist_m: float) -> np.ndarray:
        """Segment number per point (-1 when none within ``max_dist_m``)."""
        out = np.full(len(xy), -1, dtype=np.int64)
        if len(xy) == 0 or len(self.geometry) == 0:
            return out
        centres, _, inverse = _dedupe(xy, 0.0)
        tree = shapely.STRtree(self.geometry)
        pts = shapely.points(centres)
        pairs = tree.query_nearest(pts, max_distance=max_dist_m, all_matches=False)
        seg_u = np.full(len(centres), -1, dtype=np.int64)
        seg_u[pairs[0]] = pairs[1]
        snapped: np.ndarray = seg_u[inverse]
        return snapped

    def per_edge(self, values: np.ndarray) -> pd.Series:
        return pd.Series(
            values[self.edge_segment], index=self.edge_index, name="intensity", dtype=float
        )


def _segments(street: StreetGraph) -> _Segments:
    edges = street.edges
    if len(edges) == 0:
        empty = pd.MultiIndex.from_arrays([[], [], []], names=["u", "v", "key"])
        return _Segments(
            empty, np.zeros(0, np.int64), np.zeros(0, object), np.zeros(0), np.zeros(0), np.zeros(0)
        )
    idx = edges.index
    if not isinstance(idx, pd.MultiIndex) or idx.nlevels != 3:
        raise InputDataError("street.edges must be indexed by (u, v, key) (osmnx graph_to_gdfs)")
    u = idx.get_level_values(0).to_numpy()
    v = idx.get_level_values(1).to_numpy()
    k = idx.get_level_values(2).to_numpy()
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    canon = pd.MultiIndex.from_arrays([lo, hi, k])
    codes, uniques = pd.factorize(canon)
    first = np.zeros(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    geoms = edges.geometry.to_numpy()[first]
    if "length" in edges:
        length = edges["length"].to_numpy(dtype=float)[first]
    else:
        length = shapely.length(geoms)
    length = np.maximum(length, 1.0)
    index = pd.MultiIndex.from_arrays([u, v, k], names=["u", "v", "key"])
    return _Segments(index, codes.astype(np.int64), geoms, length, lo[first], hi[first])


def _components(seg: _Segments, chosen: np.ndarray) -> np.ndarray:
    """Connected-component label per chosen segment (segments sharing a node)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if len(chosen) == 0:
        return np.zeros(0, dtype=int)
    nodes, inv = np.unique(np.concatenate([seg.u[chosen], seg.v[chosen]]), return_inverse=True)
    n = len(chosen)
    a, b = inv[:n], inv[n:]
    mat = coo_matrix((np.ones(n), (a, b)), shape=(len(nodes), len(nodes)))
    _, node_label = connected_components(mat, directed=False)
    return node_label[a]


# -- the study area ----------------------------------------------------------------------


def _bounds(
    incidents: gpd.GeoDataFrame,
    street: StreetGraph | None,
    study_area: BaseGeometry | None,
    *,
    pad: float,
) -> tuple[float, float, float, float]:
    b: tuple[float, ...]
    if study_area is not None:
        b = study_area.bounds
    elif street is not None and len(street.edges):
        b = tuple(street.edges.total_bounds)
    elif len(incidents):
        b = tuple(incidents.total_bounds)
    else:
        b = (0.0, 0.0, 1.0, 1.0)
    return (b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad)


def _reference_area(
    incidents: gpd.GeoDataFrame, street: StreetGraph | None, study_area: BaseGeometry | None
) -> float:
    if study_area is not None and study_area.area > 0:
        return float(study_area.area)
    if street is not None and len(street.edges):
        hull = shapely.convex_hull(shapely.union_all(street.edges.geometry.to_numpy()))
        if hull.area > 0:
            return float(hull.area)
    if len(incidents):
        hull = MultiPoint(_xy(incidents)).convex_hull
        if hull.area > 0:
            return float(hull.area)
    return 1.0
