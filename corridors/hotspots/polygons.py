"""Turn clusters, cells and street runs into hotspot polygons with stable ids.

Pure geometry: cluster hulls, dissolved grid cells, buffered street runs, which polygon
each incident lies in, and the polygon table of a week (counts, share, offences, rank, ids
kept from the previous week where a hotspot overlaps one).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry import MultiPoint
from shapely.geometry.base import BaseGeometry

from corridors.hotspots.result import (
    AREA_M2,
    CLUSTER,
    HOTSPOT_ID,
    INCIDENTS,
    OFFENCES,
    RANK,
    SHARE,
    WEIGHT,
    WEIGHTED_COUNT,
    Hotspots,
)
from corridors.hotspots.units import _components, _Segments, _top_units, _xy
from corridors.load import OFFENCE

_ID_CELL_M = 250.0
_STREET_HALF_WIDTH_M = 12.0  # street-scale hotspots are drawn this far either side
_COLUMNS = [HOTSPOT_ID, RANK, WEIGHTED_COUNT, INCIDENTS, SHARE, AREA_M2, OFFENCES]


def _cluster_polygons(xy: np.ndarray, labels: np.ndarray, buffer_m: float) -> list[BaseGeometry]:
    """One polygon per cluster label 0..: the hull of its points, buffered by ``buffer_m``."""
    polys: list[BaseGeometry] = []
    for c in range(labels.max() + 1 if len(labels) else 0):
        pts = np.unique(xy[labels == c], axis=0)
        polys.append(MultiPoint(pts).convex_hull.buffer(buffer_m, quad_segs=4))
    return polys


def _street_polygons(
    seg: _Segments, chosen: np.ndarray, snap_m: float
) -> tuple[list[BaseGeometry], np.ndarray]:
    """Polygons of the connected runs of ``chosen`` segments, and each segment's run (-1)."""
    comp = _components(seg, chosen)
    polys: list[BaseGeometry] = []
    seg_label = np.full(len(seg.length_m), -1)
    for c in range(comp.max() + 1 if len(comp) else 0):
        members = chosen[comp == c]
        seg_label[members] = c
        polys.append(shapely.union_all(shapely.buffer(seg.geometry[members], snap_m, quad_segs=4)))
    return polys, seg_label


def _street_scale(
    seg: _Segments, score: np.ndarray, xy: np.ndarray, *, length_m: float, snap_m: float
) -> tuple[list[BaseGeometry], np.ndarray, np.ndarray]:
    """Hotspots of the best segments by ``score`` up to ``length_m`` of street in all.

    One per segment, drawn as the street (buffered by :data:`_STREET_HALF_WIDTH_M`), best
    first; returns the polygons, the one each point lies in (the segment it snaps to within
    ``snap_m``; -1 = none) and their scores.
    """
    chosen = _top_units(score, seg.length_m, length_m)
    polys = list(shapely.buffer(seg.geometry[chosen], _STREET_HALF_WIDTH_M, quad_segs=4))
    position = np.full(len(seg.length_m) + 1, -1)
    position[chosen] = np.arange(len(chosen))
    return polys, position[seg.snap(xy, snap_m)], score[chosen]


def _points_in(xy: np.ndarray, polys: Sequence[BaseGeometry]) -> np.ndarray:
    labels = np.full(len(xy), -1)
    for i, poly in enumerate(polys):
        inside = shapely.contains_xy(poly, xy[:, 0], xy[:, 1]) if len(xy) else np.zeros(0, bool)
        labels[inside & (labels < 0)] = i
    return labels


def _dissolve(boxes: np.ndarray) -> list[BaseGeometry]:
    if len(boxes) == 0:
        return []
    merged = shapely.union_all(boxes, grid_size=0.01)
    parts: list[BaseGeometry] = list(getattr(merged, "geoms", [merged]))
    parts.sort(key=lambda g: (g.bounds[0], g.bounds[1]))
    return parts


def _stable_id(x: float, y: float) -> str:
    key = f"{math.floor(x / _ID_CELL_M)}:{math.floor(y / _ID_CELL_M)}"
    return "hs-" + hashlib.sha1(key.encode()).hexdigest()[:8]


def _polygon_table(
    table: gpd.GeoDataFrame,
    polys: Sequence[BaseGeometry],
    crs: CRS | None,
    previous: Hotspots | gpd.GeoDataFrame | None,
    scores: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """Return the week's polygon table, ranked by weight per area (or by ``scores``)."""
    if not len(polys):
        empty = pd.DataFrame({c: pd.Series(dtype=float) for c in _COLUMNS})
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    total = float(table[WEIGHT].sum()) or 1.0
    labels = table[CLUSTER].to_numpy()
    xy = _xy(table)
    w = table[WEIGHT].to_numpy(dtype=float)
    k = len(polys)
    member = (labels >= 0) & (labels < k)
    lab = labels[member]
    wc = np.bincount(lab, w[member], minlength=k)
    n_in = np.bincount(lab, minlength=k)
    sx = np.bincount(lab, w[member] * xy[member, 0], minlength=k)
    sy = np.bincount(lab, w[member] * xy[member, 1], minlength=k)
    offences = _offence_counts(lab, table[OFFENCE].astype("string").to_numpy()[member])
    rows = []
    for c, poly in enumerate(polys):
        if wc[c] > 0:
            cx, cy = sx[c] / wc[c], sy[c] / wc[c]
        else:
            cx, cy = poly.centroid.x, poly.centroid.y
        rows.append({
            HOTSPOT_ID: _stable_id(cx, cy), WEIGHTED_COUNT: float(wc[c]), INCIDENTS: int(n_in[c]),
            SHARE: float(wc[c]) / total, AREA_M2: float(poly.area),
            OFFENCES: json.dumps(offences.get(c, {})), "geometry": poly,
        })  # fmt: skip
    out = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=crs)
    _match_previous(out, previous)
    density = out[WEIGHTED_COUNT] / out[AREA_M2].clip(lower=1.0)
    if scores is not None:
        density = pd.Series(scores, index=out.index)
    out[RANK] = density.rank(ascending=False, method="first").astype(int)
    out[HOTSPOT_ID] = _unique_ids(out[HOTSPOT_ID].tolist())
    return out[[*_COLUMNS, "geometry"]]


def _offence_counts(labels: np.ndarray, offences: np.ndarray) -> dict[int, dict[str, int]]:
    """``{cluster: {offence: count}}``, clusters and offences in sorted order."""
    pairs = pd.DataFrame({"c": labels, "o": offences})
    per = pairs.groupby(["c", "o"], sort=True).size()
    out: dict[int, dict[str, int]] = {}
    codes = per.index.get_level_values(0)
    names = per.index.get_level_values(1)
    for c, o, v in zip(codes, names, per.to_numpy(), strict=True):
        out.setdefault(int(c), {})[str(o)] = int(v)
    return out


def _unique_ids(ids: Sequence[str]) -> list[str]:
    """Make ids unique within the week: a repeated id gets ``-2``, ``-3``, ..."""
    seen: dict[str, int] = {}
    out = []
    for hid in ids:
        seen[hid] = seen.get(hid, 0) + 1
        out.append(hid if seen[hid] == 1 else f"{hid}-{seen[hid]}")
    return out


def _match_previous(out: gpd.GeoDataFrame, previous: Hotspots | gpd.GeoDataFrame | None) -> None:
    """Give each new polygon the id of the previous polygon it overlaps most (one-to-one)."""
    if previous is None:
        return
    prev = previous.polygons if isinstance(previous, Hotspots) else previous
    if len(prev) == 0 or HOTSPOT_ID not in prev:
        return
    if prev.crs is not None and out.crs is not None and prev.crs != out.crs:
        prev = prev.to_crs(out.crs)
    pairs = []
    prev_geoms = prev.geometry.to_numpy()
    prev_ids = prev[HOTSPOT_ID].astype(str).to_numpy()
    tree = shapely.STRtree(prev_geoms)
    for i, geom in enumerate(out.geometry.to_numpy()):
        for j in tree.query(geom, predicate="intersects"):
            overlap = geom.intersection(prev_geoms[j]).area
            if overlap > 0:
                pairs.append((-overlap, i, int(j)))
    used_new: set[int] = set()
    used_old: set[int] = set()
    ids = out[HOTSPOT_ID].to_numpy(dtype=object).copy()
    for _, i, j in sorted(pairs):
        if i in used_new or j in used_old:
            continue
        ids[i] = prev_ids[j]
        used_new.add(i)
        used_old.add(j)
    out[HOTSPOT_ID] = ids
