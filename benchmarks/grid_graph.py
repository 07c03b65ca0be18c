"""A synthetic city street graph for the benchmarks: a jittered grid, as the graph stage makes it.

:func:`grid_tables` returns the node and edge tables (:class:`corridors.graph.street.GraphTables`)
of a ``side`` x ``side`` grid of street corners about 80 m apart in the British National Grid,
jittered by up to 15 m, with about 14 % of the blocks' sides left out (so edges / nodes is
about 3.4, as in a real city), a bend in every third street segment, street names per row and
column, and a few footways and refs. The edges go through the stage's own
``_directed_edges`` (forward copy, reversed twin, keys, column types), so the tables are what
``build_street_graph`` would cache. Same ``side`` and ``seed``: the same tables.

:func:`write_grid_cache` writes them as the cache entry of a small stand-in source file, so
``build_street_graph`` on that file is a warm load of the synthetic city.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import shapely

from corridors.config import GraphConfig
from corridors.graph.cache import _cache_path, _write_cache
from corridors.graph.cache_layout import _cache_key
from corridors.graph.osm_file import _file_sha256
from corridors.graph.simplify import _directed_edges
from corridors.graph.street import (
    FOOTWAY,
    HIGHWAY,
    LAT,
    LENGTH,
    LON,
    NAME,
    OSM_WAYS,
    REF,
    STREET_COUNT,
    STREET_ID,
    STREET_NAME,
    GraphTables,
)

CRS = "EPSG:27700"
ORIGIN = (440_000.0, 300_000.0)  # the English Midlands
BLOCK_M = 80.0


def grid_tables(side: int, seed: int = 14) -> GraphTables:
    """The node and edge tables of a jittered ``side`` x ``side`` street grid."""
    rng = np.random.default_rng(seed)
    n = side * side
    row, col = np.divmod(np.arange(n), side)
    x = ORIGIN[0] + col * BLOCK_M + rng.uniform(-15, 15, n)
    y = ORIGIN[1] + row * BLOCK_M + rng.uniform(-15, 15, n)
    ids = 1_000_000 + np.arange(n, dtype=np.int64) * 7  # sparse, like OSM ids
    # blocks' sides: along each row (east) and each column (north); ~14 % left out
    east = np.flatnonzero(col < side - 1)
    north = np.flatnonzero(row < side - 1)
    a = np.concatenate([east, north])
    b = np.concatenate([east + 1, north + side])
    along_row = np.concatenate([np.ones(len(east), bool), np.zeros(len(north), bool)])
    keep = rng.random(len(a)) >= 0.14
    a, b, along_row = a[keep], b[keep], along_row[keep]
    und, geoms = _segments(a, b, along_row, row, col, x, y, rng)
    und.insert(0, "u", ids[a])
    und.insert(1, "v", ids[b])
    used = np.unique(np.concatenate([a, b]))
    lon, lat = pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(
        x[used], y[used]
    )
    degree = np.bincount(np.concatenate([a, b]), minlength=n)[used]
    nodes = pd.DataFrame(
        {"x": x[used], "y": y[used], LON: np.asarray(lon), LAT: np.asarray(lat),
         STREET_COUNT: degree.astype(np.int64)},
        index=pd.Index(ids[used], name="osmid"),
    )  # fmt: skip
    return {"nodes": nodes, "edges": _directed_edges(und, geoms)}


def _segments(
    a: np.ndarray,
    b: np.ndarray,
    along_row: np.ndarray,
    row: np.ndarray,
    col: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per street segment (tags, length, way) and its LineString."""
    m = len(a)
    bend = np.arange(m) % 3 == 0  # every third segment has a middle vertex
    mid_x = (x[a] + x[b]) / 2 + rng.uniform(-5, 5, m)
    mid_y = (y[a] + y[b]) / 2 + rng.uniform(-5, 5, m)
    counts = np.where(bend, 3, 2)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    coords = np.empty((offsets[-1], 2))
    coords[offsets[:-1]] = np.column_stack([x[a], y[a]])
    coords[offsets[:-1][bend] + 1] = np.column_stack([mid_x[bend], mid_y[bend]])
    coords[offsets[1:] - 1] = np.column_stack([x[b], y[b]])
    geoms = np.asarray(
        shapely.from_ragged_array(shapely.GeometryType.LINESTRING, coords, (offsets,)),
        dtype=object,
    )
    line = np.where(along_row, row[a], col[a])
    kind = np.where(along_row, "road", "street")
    names = pd.Series([f"{k.title()} {i}" for k, i in zip(kind, line, strict=True)], dtype=object)
    slugs = pd.Series([f"{k}-{i}" for k, i in zip(kind, line, strict=True)], dtype=object)
    footway = np.where(np.arange(m) % 50 == 7, "sidewalk", None)
    ref = np.where(line % 40 == 0, "B" + line.astype(str), None)
    highway = np.where(line % 10 == 0, "secondary", "residential")
    und = pd.DataFrame(
        {STREET_ID: slugs, STREET_NAME: names, NAME: names.where(line % 17 != 3),
         HIGHWAY: highway, FOOTWAY: footway, REF: ref,
         LENGTH: shapely.length(geoms) * 1.0004,
         OSM_WAYS: (50_000_000 + np.arange(m)).astype(str)},
    )  # fmt: skip
    return und, geoms


def write_grid_cache(work: Path, side: int, seed: int = 14) -> tuple[GraphConfig, GraphTables]:
    """Write the grid as the cache entry of a stand-in source file in ``work``; its config."""
    source = work / f"grid-{side}-{seed}.osm"
    source.write_text(f"<!-- synthetic grid {side} x {side}, seed {seed}: see grid_graph.py -->")
    cfg = GraphConfig(osm_file=source, cache_dir=work / "cache")
    sha = _file_sha256(source)
    key = _cache_key(cfg, sha, CRS)
    tables = grid_tables(side, seed)
    path = _cache_path(cfg.cache_dir, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_cache(path, key, sha, CRS, tables)
    return cfg, tables
