"""Walking street graph from OSM (offline file or online), cached on disk.

CONTRACT:
- ``build_street_graph(cfg: GraphConfig, *, crs: str, study_area=None) -> StreetGraph``
- ``snap_points(street, points: gpd.GeoSeries, *, max_dist_m=None) -> SnapResult`` (nearest
  node and nearest edge (u, v, key) per point, with distances in metres)
- ``to_csr(street, *, weight="length") -> (scipy.sparse.csr_matrix, node_ids, node_index)``
- ``graph_stats(street) -> dict`` (what ``corridors graph`` prints)

How the graph is built (offline)
--------------------------------
1. pyosmium reads the OSM file (``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``) once, with a
   node-location cache, and keeps the *walkable* ways (:func:`is_walkable`). Ways of clipped
   extracts that reference nodes missing from the file are split at the gaps.
2. The ways become an undirected graph; only its largest connected component is kept
   (``GraphConfig.retain_all`` keeps every piece).
3. Chains of degree-2 nodes are merged into one edge (osmnx-style simplification), except where
   the street's ``highway``, ``name``, ``ref`` or ``footway`` tag changes, so that an edge
   never spans two streets.
4. Coordinates are projected to ``crs``; ``length`` is the geodesic length in metres on the
   WGS84 ellipsoid, summed over the original OSM segments (osmnx uses a sphere, which is about
   0.3 % short east-west in England; the projected geometry's length differs from ``length``
   only by the projection's scale factor, 0.04 % in England on EPSG:27700).
5. Every edge gets a ``street_id`` (see :data:`STREET_ID`).
6. The walking graph is undirected in effect: the MultiDiGraph holds every street segment in
   both directions (``oneway`` is ignored for walkers). ``StreetGraph.edges`` has one row per
   directed edge; the copy with ``reversed == False`` is the segment as it was walked during
   simplification, its twin (``reversed == True``) runs the other way with the geometry
   reversed. Use ``edges[~edges["reversed"]]`` for one row per street segment.
7. The whole file's graph is what is cached; a study area (buffered by
   ``GraphConfig.clip_buffer_m``) then clips it: edges with both ends inside are kept, and
   the largest connected piece of them (unless ``retain_all``). Street ids do not change.

The whole file's graph is cached as one file under ``GraphConfig.cache_dir``, keyed by the
SHA-256 of the source file (for online sources: of the query), the graph settings, the CRS and
:data:`CACHE_VERSION`; so ``corridors graph`` and ``corridors plan`` share one cache entry
whatever study area each passes. The file (``street-graph-<key>.npz``) holds data only, never
code: an uncompressed zip of typed ``.npy`` arrays (read with ``allow_pickle=False``; text
columns as integer codes plus their distinct values in JSON, edge geometry as vertex
coordinates plus offsets) and a ``meta.json`` with the format version, the full cache key and
the source's SHA-256. It is written atomically and
checked (metadata, then every array's type, length and values) before use; a truncated,
corrupt, foreign or outdated file is rebuilt with a :class:`CacheWarning`. Pickle files of
older versions (``street-graph-*.pkl``) are never opened.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import math
import re
import socket
import threading
import time
import warnings
import zipfile
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from corridors.config import GraphConfig
from corridors.errors import (
    ConfigError,
    EmptyResultError,
    InputDataError,
    NetworkUnavailableError,
)
from corridors.outputs import atomic_open

logger = logging.getLogger(__name__)

CACHE_VERSION = 2
"""Bump when the cached graph's layout or the building rules change (2: data-only ``.npz``
file instead of a pickle)."""

# Edge columns (``StreetGraph.edges``; index levels ``u``, ``v``, ``key``)
STREET_ID = "street_id"
"""Stable id of the street an edge belongs to: a slug of the street's name (``"high-street"``;
``"high-street~2"`` for a second, unconnected street of the same name), or ``"way/<osm id>"``
for unnamed ways. A pavement drawn separately (``footway=sidewalk``) carries the id of the
named street it runs beside."""
STREET_NAME = "street_name"
"""The name (or ``ref``) of the street of ``street_id``; for attached pavements the street's."""
NAME = "name"
HIGHWAY = "highway"
FOOTWAY = "footway"
REF = "ref"
LENGTH = "length"
OSM_WAYS = "osm_ways"
"""The OSM way id(s) the edge was built from, ``";"``-joined."""
REVERSED = "reversed"
# Node columns (``StreetGraph.nodes``; index ``osmid``)
STREET_COUNT = "street_count"
LON = "lon"
LAT = "lat"

WALKABLE_HIGHWAYS = frozenset({
    "footway", "path", "pedestrian", "steps", "living_street", "residential", "unclassified",
    "service", "tertiary", "tertiary_link", "secondary", "secondary_link", "primary",
    "primary_link", "trunk", "trunk_link", "track", "cycleway", "bridleway", "corridor",
    "crossing", "road", "elevator", "busway",
})  # fmt: skip
"""``highway`` values a pedestrian may use (unless ``foot``/``access`` say otherwise)."""
NEVER_HIGHWAYS = frozenset({
    "motorway", "motorway_link", "construction", "proposed", "abandoned", "planned", "razed",
    "disused", "raceway", "bus_guideway", "escape", "no", "platform", "bus_stop", "rest_area",
    "services",
})  # fmt: skip
"""``highway`` values that never become edges, whatever the other tags say."""
_FOOT_YES = frozenset({"yes", "designated", "permissive", "official", "destination"})
_FOOT_NO = frozenset({"no", "private", "use_sidepath"})
_AREA_OK = frozenset({"pedestrian", "footway", "path", "living_street"})
_ONLINE_TAGS = ("foot", "footway", "path", "sidewalk", "motorroad", "ref", "name", "highway",
                "access", "service", "area")  # fmt: skip


class CacheWarning(UserWarning):
    """A cached street graph is unreadable, damaged or not for these inputs; it is rebuilt."""


@dataclass(frozen=True)
class StreetGraph:
    """A projected, simplified walking graph and its GeoDataFrames.

    ``graph`` is an osmnx-compatible MultiDiGraph in ``crs`` (metres) with edge ``length`` (m),
    ``geometry``, ``street_id``, ``street_name``, ``name``, ``highway``, ``footway``,
    ``reversed`` and node ``x``/``y`` (metres), ``lon``/``lat`` (degrees), ``street_count``.
    Every street segment is present in both directions. ``edges`` is indexed by (u, v, key) and
    carries ``street_id``: the id of the street the edge belongs to (pavements drawn separately
    are attached to their street), ``street_name``, ``name``, ``highway``, ``footway``, ``ref``,
    ``length`` (m), ``osm_ways``, ``reversed`` and geometry (LineString in ``crs``). ``nodes``
    is indexed by ``osmid`` with ``x``, ``y``, ``lon``, ``lat``, ``street_count``, geometry.
    ``build_seconds`` is the time the build (or the cache load) took and ``cache_hit`` says
    whether the graph came from the cache.
    """

    graph: nx.MultiDiGraph
    crs: str
    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    source: str  # file path or place name
    source_sha256: str
    cache_hit: bool = False
    build_seconds: float = 0.0
    cache_path: str | None = None


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


# -- public API ------------------------------------------------------------------------------


def build_street_graph(
    cfg: GraphConfig,
    *,
    crs: str,
    study_area: BaseGeometry | None = None,
    refresh: bool = False,
) -> StreetGraph:
    """
    Build the walking street graph (or load it from the cache).

    Parameters
    ----------
    cfg
        The source (``osm_file``, else ``place``, else ``point`` + ``dist_m``, else the study
        area polygon, online), ``network_type``, ``retain_all``, pavement matching
        (``sidewalk_match_m``, ``sidewalk_bearing_deg``) and the cache (``cache_dir``,
        ``use_cache``).
    crs
        The projected CRS of the area (metres), e.g. ``"EPSG:27700"``.
    study_area
        Optional polygon in ``crs``. With ``cfg.clip_to_study_area`` the graph keeps only
        the street segments whose both ends lie inside it, buffered by ``cfg.clip_buffer_m``;
        online without ``place`` or ``point`` it is the polygon downloaded.
    refresh
        Rebuild the graph even if it is cached (and replace the cache entry).

    Returns
    -------
    StreetGraph
        The projected, simplified walking graph with its node and edge GeoDataFrames.

    Raises
    ------
    InputDataError
        If the OSM file is missing or cannot be read.
    NetworkUnavailableError
        If an online source was asked for and the server cannot be reached.
    EmptyResultError
        If no walkable street is left.
    ConfigError
        If no source is configured or ``crs`` is not a projected CRS.

    Warns
    -----
    CacheWarning
        If the cache file exists but is truncated, corrupt, not a street graph cache, or
        made for another cache version, key or source (the message names the file and the
        reason); the graph is then rebuilt and the cache entry replaced.

    Examples
    --------
    >>> from corridors.config import GraphConfig
    >>> cfg = GraphConfig(osm_file=Path("tests/data/graph/tiny.osm"), use_cache=False)
    >>> street = build_street_graph(cfg, crs="EPSG:27700")
    >>> len(street.nodes), int((~street.edges["reversed"]).sum())
    (54, 91)
    >>> street.edges.loc[street.edges["footway"] == "sidewalk", "street_id"].unique().tolist()
    ['high-street']
    """
    started = time.perf_counter()
    crs_obj = _projected_crs(crs)
    crs_str = crs_obj.to_string()
    source, sha = _source_identity(cfg, study_area, crs_obj)
    clip = None
    if study_area is not None and cfg.clip_to_study_area:
        clip = study_area.buffer(cfg.clip_buffer_m) if cfg.clip_buffer_m > 0 else study_area
    key = _cache_key(cfg, sha, crs_str)  # the whole file's graph: clipping comes after
    cache_path = _cache_path(cfg.cache_dir, key)

    if cfg.use_cache and not refresh:
        cached = _read_cache(cache_path, key, sha, crs_str)
        if cached is not None:
            if clip is not None:
                cached = _clip_parts(cached, clip, cfg, source)
            seconds = time.perf_counter() - started
            street = _assemble(cached, crs_str, source, sha, True, seconds, str(cache_path))
            logger.info(
                "Loaded street graph from cache %s: %s nodes, %s edges (%.2f s)",
                cache_path, f"{len(street.nodes):,}", f"{len(street.edges):,}", seconds,
            )  # fmt: skip
            return street

    raw = _read_raw(cfg, study_area, crs_obj)
    parts = _build_parts(raw, cfg, crs_obj, source)
    if cfg.use_cache:
        _write_cache(cache_path, key, sha, crs_str, parts)
    if clip is not None:
        parts = _clip_parts(parts, clip, cfg, source)
    seconds = time.perf_counter() - started
    street = _assemble(parts, crs_str, source, sha, False, seconds,
                       str(cache_path) if cfg.use_cache else None)  # fmt: skip
    logger.info(
        "Built street graph from %s: %s nodes, %s edges, %.1f km (%.2f s)",
        source, f"{len(street.nodes):,}", f"{len(street.edges):,}",
        _length_km(street.edges), seconds,
    )  # fmt: skip
    return street


def graph_stats(street: StreetGraph) -> dict[str, Any]:
    """
    Summarise a street graph for the ``corridors graph`` command.

    Parameters
    ----------
    street
        The graph.

    Returns
    -------
    dict
        ``nodes``, ``edges`` (directed, both ways), ``segments`` (undirected), ``streets``
        (distinct ``street_id``), ``length_km`` (each segment once), ``seconds`` (build or
        cache load), ``cache_hit`` (and its alias ``from_cache``), ``source``, ``crs``.
        Every value is JSON-serialisable.

    Examples
    --------
    >>> from corridors.config import GraphConfig
    >>> cfg = GraphConfig(osm_file=Path("tests/data/graph/tiny.osm"), use_cache=False)
    >>> stats = graph_stats(build_street_graph(cfg, crs="EPSG:27700"))
    >>> stats["nodes"], stats["edges"], stats["segments"], round(stats["length_km"], 1)
    (54, 182, 91, 8.7)
    """
    forward = ~street.edges[REVERSED].to_numpy(dtype=bool)
    return {
        "nodes": len(street.nodes),
        "edges": len(street.edges),
        "segments": int(forward.sum()),
        "streets": int(street.edges[STREET_ID].nunique()),
        "length_km": _length_km(street.edges),
        "seconds": street.build_seconds,
        "cache_hit": street.cache_hit,
        "from_cache": street.cache_hit,
        "source": street.source,
        "crs": street.crs,
    }


def snap_points(
    street: StreetGraph, points: Any, *, max_dist_m: float | None = None
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
    >>> from corridors.config import GraphConfig
    >>> cfg = GraphConfig(osm_file=Path("tests/data/graph/tiny.osm"), use_cache=False)
    >>> street = build_street_graph(cfg, crs="EPSG:27700")
    >>> snap = snap_points(street, np.array([[450_000.0, 250_010.0]]), max_dist_m=50)
    >>> int(snap.node[0]), round(float(snap.node_dist_m[0]), 1)
    (1000, 10.0)
    """
    xy = _points_xy(points, street.crs)
    n = len(xy)
    limit = math.inf if max_dist_m is None else float(max_dist_m)
    if max_dist_m is not None and max_dist_m < 0:
        raise ConfigError(f"snap_points: max_dist_m must be >= 0 metres, got {max_dist_m}")
    node_ids = street.nodes.index.to_numpy(dtype=np.int64)
    node_xy = street.nodes[["x", "y"]].to_numpy(dtype=float)
    node = np.full(n, -1, dtype=np.int64)
    node_dist = np.full(n, np.nan)
    if n and len(node_ids):
        dist, idx = cKDTree(node_xy).query(xy, k=1, distance_upper_bound=limit)
        ok = np.isfinite(dist)
        node[ok] = node_ids[idx[ok]]
        node_dist[ok] = dist[ok]

    fwd = street.edges[~street.edges[REVERSED].to_numpy(dtype=bool)]
    eu = np.full(n, -1, dtype=np.int64)
    ev = np.full(n, -1, dtype=np.int64)
    ek = np.full(n, -1, dtype=np.int64)
    edist = np.full(n, np.nan)
    eoff = np.full(n, np.nan)
    if n and len(fwd):
        geoms = fwd.geometry.to_numpy()
        pts = shapely.points(xy)
        tree = shapely.STRtree(geoms)
        kwargs: dict[str, Any] = {"return_distance": True, "all_matches": False}
        if max_dist_m is not None:
            kwargs["max_distance"] = limit
        (i_pt, i_edge), dist = tree.query_nearest(pts, **kwargs)
        idx = fwd.index
        eu[i_pt] = idx.get_level_values(0).to_numpy(dtype=np.int64)[i_edge]
        ev[i_pt] = idx.get_level_values(1).to_numpy(dtype=np.int64)[i_edge]
        ek[i_pt] = idx.get_level_values(2).to_numpy(dtype=np.int64)[i_edge]
        edist[i_pt] = dist
        eoff[i_pt] = shapely.line_locate_point(geoms[i_edge], pts[i_pt])
    return SnapResult(node, node_dist, eu, ev, ek, edist, eoff)


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
    >>> from scipy.sparse.csgraph import dijkstra
    >>> from corridors.config import GraphConfig
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


def is_walkable(tags: Mapping[str, str], network_type: Literal["walk", "all"] = "walk") -> bool:
    """
    Decide whether an OSM way is part of the walking network.

    Parameters
    ----------
    tags
        The way's OSM tags.
    network_type
        ``"walk"`` applies the pedestrian rules; ``"all"`` keeps every highway that exists.

    Returns
    -------
    bool
        True for ways in :data:`WALKABLE_HIGHWAYS` unless ``foot=no``/``private``/
        ``use_sidepath``, ``access=no``/``private`` (without ``foot=yes``), ``service=private``,
        ``motorroad=yes`` or a trunk road with ``sidewalk=no``. Motorways never; ``area=yes``
        only for pedestrian areas (walked along their outline).

    Examples
    --------
    >>> is_walkable({"highway": "residential"}), is_walkable({"highway": "motorway"})
    (True, False)
    >>> is_walkable({"highway": "cycleway", "foot": "no"})
    False
    >>> is_walkable({"highway": "service", "access": "private", "foot": "yes"})
    True
    """
    highway = tags.get("highway")
    if highway is None or highway in NEVER_HIGHWAYS:
        return False
    if network_type == "all":
        return True
    foot = tags.get("foot", "")
    if foot in _FOOT_NO:
        return False
    foot_ok = foot in _FOOT_YES
    if highway not in WALKABLE_HIGHWAYS:
        return foot_ok
    if foot_ok:
        return True
    if tags.get("access") in ("no", "private") or tags.get("service") == "private":
        return False
    if tags.get("motorroad") == "yes":
        return False
    if highway in ("trunk", "trunk_link") and tags.get("sidewalk") in ("no", "none"):
        return False
    return not (tags.get("area") == "yes" and highway not in _AREA_OK)


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Raw:
    """Unsimplified walkable segments in WGS84 (one row per OSM node pair, undirected)."""

    node_ids: np.ndarray  # int64, sorted
    lon: np.ndarray
    lat: np.ndarray
    seg_a: np.ndarray  # index into node_ids
    seg_b: np.ndarray
    seg_way: np.ndarray  # int64 OSM way id
    seg_tag: np.ndarray  # index into tags
    tags: list[tuple[str | None, ...]]  # (highway, name, ref, footway)


def _read_raw(cfg: GraphConfig, study_area: BaseGeometry | None, crs: pyproj.CRS) -> _Raw:
    if cfg.osm_file is not None:
        return _read_osm_file(Path(cfg.osm_file), cfg.network_type)
    return _read_online(cfg, study_area, crs)


def _way_tags(tags: Mapping[str, str]) -> tuple[str | None, ...]:
    footway = tags.get("footway")
    if footway is None and tags.get("path") == "sidewalk":
        footway = "sidewalk"
    return (tags.get("highway"), tags.get("name"), tags.get("ref"), footway)


def _read_osm_file(path: Path, network_type: Literal["walk", "all"]) -> _Raw:
    import osmium  # local import: only the offline path needs it

    if not path.is_file():
        raise InputDataError(
            f"{path}: OSM file not found. Set [graph] osm_file to an existing .osm, .osm.bz2, "
            ".osm.gz or .osm.pbf file."
        )
    coords: dict[int, tuple[float, float]] = {}
    seg_a: list[int] = []
    seg_b: list[int] = []
    seg_way: list[int] = []
    seg_tag: list[int] = []
    tag_index: dict[tuple[str | None, ...], int] = {}
    split_ways = 0
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()  # node locations are cached before the filters run
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for obj in processor:
            if not isinstance(obj, osmium.osm.Way) or "highway" not in obj.tags:
                continue
            way_tags = dict(obj.tags)
            if not is_walkable(way_tags, network_type):
                continue
            t = tag_index.setdefault(_way_tags(way_tags), len(tag_index))
            prev: int | None = None
            gap = False
            for ref in obj.nodes:
                loc = ref.location
                if not loc.valid():  # clipped extract: split the way here
                    prev, gap = None, True
                    continue
                nid = ref.ref
                if nid not in coords:
                    coords[nid] = (loc.lon, loc.lat)
                if prev is not None and prev != nid:
                    seg_a.append(prev)
                    seg_b.append(nid)
                    seg_way.append(obj.id)
                    seg_tag.append(t)
                prev = nid
            split_ways += gap
    except RuntimeError as exc:
        raise InputDataError(
            f"{path}: cannot read the OSM file ({exc}). Check that it is a complete .osm, "
            ".osm.bz2, .osm.gz or .osm.pbf file."
        ) from exc
    if split_ways:
        logger.info("%s: %d ways reference nodes missing from the file (clipped extract); "
                    "split at the gaps", path, split_ways)  # fmt: skip
    if not seg_a:
        raise EmptyResultError(
            f"{path}: no walkable street (highway=* way) found. Use an OSM extract that "
            "covers the area's streets."
        )
    return _raw_from_lists(coords, seg_a, seg_b, seg_way, seg_tag, list(tag_index))


def _raw_from_lists(
    coords: Mapping[int, tuple[float, float]],
    seg_a: list[int],
    seg_b: list[int],
    seg_way: list[int],
    seg_tag: list[int],
    tags: list[tuple[str | None, ...]],
) -> _Raw:
    node_ids = np.fromiter(coords.keys(), dtype=np.int64, count=len(coords))
    lonlat = np.array(list(coords.values()), dtype=float).reshape(-1, 2)
    order = np.argsort(node_ids)
    node_ids, lonlat = node_ids[order], lonlat[order]
    return _Raw(
        node_ids=node_ids,
        lon=lonlat[:, 0],
        lat=lonlat[:, 1],
        seg_a=np.searchsorted(node_ids, np.asarray(seg_a, dtype=np.int64)),
        seg_b=np.searchsorted(node_ids, np.asarray(seg_b, dtype=np.int64)),
        seg_way=np.asarray(seg_way, dtype=np.int64),
        seg_tag=np.asarray(seg_tag, dtype=np.int64),
        tags=tags,
    )


# -- online ------------------------------------------------------------------------------------


def _reachable(host: str, port: int = 443, timeout_s: float = 3.0) -> bool:
    """Open (and close) a TCP connection within ``timeout_s``, DNS lookup included."""
    result: list[bool] = []

    def probe() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout_s).close()
            result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout_s + 0.5)
    return bool(result and result[0])


@contextlib.contextmanager
def _osmnx_settings(timeout_s: float) -> Iterator[Any]:
    import osmnx as ox

    names = ("requests_timeout", "overpass_rate_limit", "use_cache", "useful_tags_way",
             "log_console")  # fmt: skip
    saved = {name: getattr(ox.settings, name) for name in names}
    try:
        ox.settings.requests_timeout = timeout_s
        ox.settings.overpass_rate_limit = False
        ox.settings.use_cache = False
        ox.settings.log_console = False
        ox.settings.useful_tags_way = sorted(set(saved["useful_tags_way"]) | set(_ONLINE_TAGS))
        yield ox
    finally:
        for name, value in saved.items():
            setattr(ox.settings, name, value)


def _read_online(cfg: GraphConfig, study_area: BaseGeometry | None, crs: pyproj.CRS) -> _Raw:
    import osmnx as ox
    import requests

    if cfg.place is None and cfg.point is None and study_area is None:
        raise ConfigError(
            "[graph]: no street source. Set osm_file (offline), or place or point (online)."
        )
    what = _online_description(cfg, study_area)
    urls = [ox.settings.overpass_url]
    if cfg.place is not None:
        urls.insert(0, ox.settings.nominatim_url)
    for url in urls:  # pre-flight: fail in seconds, not after osmnx's 60 s pause
        parsed = urlparse(url)
        host = parsed.hostname or ""
        port = parsed.port or (80 if parsed.scheme == "http" else 443)
        if not _reachable(host, port, min(cfg.timeout_s, 5.0)):
            raise NetworkUnavailableError(
                f"[graph] {what}: cannot reach {host}:{port} (no network?). Download an OSM "
                "extract (e.g. from download.geofabrik.de) and set [graph] osm_file to it."
            )
    network = "walk" if cfg.network_type == "walk" else "all"
    try:
        with _osmnx_settings(cfg.timeout_s) as oxs:
            kwargs = {"network_type": network, "simplify": False, "retain_all": True}
            if cfg.place is not None:
                graph = oxs.graph_from_place(cfg.place, **kwargs)
            elif cfg.point is not None:
                graph = oxs.graph_from_point(cfg.point, dist=cfg.dist_m, **kwargs)
            else:
                assert study_area is not None
                polygon = gpd.GeoSeries([study_area], crs=crs).to_crs("EPSG:4326").iloc[0]
                graph = oxs.graph_from_polygon(polygon, **kwargs)
    except requests.exceptions.RequestException as exc:
        raise NetworkUnavailableError(
            f"[graph] {what}: the OSM servers did not answer ({type(exc).__name__}: {exc}). "
            "Try again later, raise [graph] timeout_s, or set [graph] osm_file to an extract."
        ) from exc
    except ox._errors.ResponseStatusCodeError as exc:
        raise NetworkUnavailableError(
            f"[graph] {what}: the OSM server refused the request ({exc}). Try again later or "
            "set [graph] osm_file to an extract."
        ) from exc
    except (ox._errors.InsufficientResponseError, ValueError, TypeError) as exc:
        raise EmptyResultError(
            f"[graph] {what}: no streets found ({exc}). Check the place name or point."
        ) from exc
    return _raw_from_osmnx(graph, cfg.network_type)


def _raw_from_osmnx(graph: nx.MultiDiGraph, network_type: Literal["walk", "all"]) -> _Raw:
    coords = {int(n): (float(d["x"]), float(d["y"])) for n, d in graph.nodes(data=True)}
    seen: set[tuple[int, int, int]] = set()
    seg_a: list[int] = []
    seg_b: list[int] = []
    seg_way: list[int] = []
    seg_tag: list[int] = []
    tag_index: dict[tuple[str | None, ...], int] = {}
    for u, v, data in graph.edges(data=True):
        tags = {k: val for k, val in data.items() if isinstance(val, str)}
        if not is_walkable(tags, network_type):
            continue
        osmid = data.get("osmid", 0)
        way = int(osmid[0] if isinstance(osmid, list) else osmid)
        pair = (min(u, v), max(u, v), way)
        if u == v or pair in seen:
            continue
        seen.add(pair)
        t = tag_index.setdefault(_way_tags(tags), len(tag_index))
        seg_a.append(int(u))
        seg_b.append(int(v))
        seg_way.append(way)
        seg_tag.append(t)
    if not seg_a:
        raise EmptyResultError("[graph]: the online source returned no walkable street.")
    return _raw_from_lists(coords, seg_a, seg_b, seg_way, seg_tag, list(tag_index))


def _online_description(cfg: GraphConfig, study_area: BaseGeometry | None) -> str:
    if cfg.place is not None:
        return f"place {cfg.place!r}"
    if cfg.point is not None:
        return f"point {cfg.point[0]:.6f},{cfg.point[1]:.6f} + {cfg.dist_m:g} m"
    assert study_area is not None
    return f"study-area polygon {hashlib.sha256(study_area.wkb).hexdigest()[:12]}"


# -- building ----------------------------------------------------------------------------------


def _build_parts(
    raw: _Raw,
    cfg: GraphConfig,
    crs: pyproj.CRS,
    source: str,
) -> dict[str, Any]:
    """Raw segments -> projected, simplified node and edge tables (undirected + directed)."""
    to_crs = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = to_crs.transform(raw.lon, raw.lat)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    a, b, tag, way = raw.seg_a, raw.seg_b, raw.seg_tag, raw.seg_way
    seg_len = _geodesic_m(raw.lat[a], raw.lon[a], raw.lat[b], raw.lon[b])

    keep = np.ones(len(a), dtype=bool)
    n_nodes = len(raw.node_ids)
    if not cfg.retain_all and keep.any():
        adj = sp.coo_matrix(
            (np.ones(int(keep.sum())), (a[keep], b[keep])), shape=(n_nodes, n_nodes)
        )
        _, label = connected_components(adj, directed=False)
        sizes = np.bincount(label[a[keep]], minlength=label.max() + 1)
        keep &= label[a] == np.argmax(sizes)  # largest by number of segments
    if not keep.any():
        raise EmptyResultError(
            f"{source}: no walkable street left inside the study area. Check that the OSM "
            "file covers the area (or set [graph] clip_to_study_area = false)."
        )
    a, b, tag, way, seg_len = a[keep], b[keep], tag[keep], way[keep], seg_len[keep]
    chains = _simplify(a, b, tag)

    # one row per undirected simplified edge
    u = np.array([c[0][0] for c in chains], dtype=np.int64)
    v = np.array([c[0][-1] for c in chains], dtype=np.int64)
    chain_nodes = [c[0] for c in chains]
    chain_segs = [c[1] for c in chains]
    counts = np.array([len(nodes) for nodes in chain_nodes])
    flat = np.concatenate(chain_nodes)
    geoms = shapely.linestrings(
        np.column_stack([x[flat], y[flat]]), indices=np.repeat(np.arange(len(chains)), counts)
    )
    flat_segs = np.concatenate(chain_segs)
    seg_counts = np.array([len(s) for s in chain_segs])
    starts = np.concatenate([[0], np.cumsum(seg_counts)[:-1]])
    length = np.add.reduceat(seg_len[flat_segs], starts)
    edge_tag = tag[[s[0] for s in chain_segs]]
    osm_ways = [";".join(str(w) for w in sorted(set(way[s].tolist()))) for s in chain_segs]
    tag_rows = [raw.tags[t] for t in edge_tag]
    und = pd.DataFrame({
        "u": raw.node_ids[u], "v": raw.node_ids[v],
        HIGHWAY: [t[0] for t in tag_rows], NAME: [t[1] for t in tag_rows],
        REF: [t[2] for t in tag_rows], FOOTWAY: [t[3] for t in tag_rows],
        LENGTH: length, OSM_WAYS: osm_ways,
    })  # fmt: skip
    street_id, street_name = _assign_street_ids(und, geoms, cfg)
    und[STREET_ID] = street_id
    und[STREET_NAME] = street_name

    # nodes: the chain ends
    end_idx = np.unique(np.concatenate([u, v]))
    degree = np.bincount(np.concatenate([u, v]), minlength=n_nodes)[end_idx]
    nodes = pd.DataFrame(
        {"x": x[end_idx], "y": y[end_idx], LON: raw.lon[end_idx], LAT: raw.lat[end_idx],
         STREET_COUNT: degree.astype(np.int64)},
        index=pd.Index(raw.node_ids[end_idx], name="osmid"),
    )  # fmt: skip

    # directed edges: forward copy then reversed copy; keys numbered per (u, v) in that order
    fwd = und.assign(**{REVERSED: False})
    rev = und.assign(**{REVERSED: True}).rename(columns={"u": "v", "v": "u"})
    both = pd.concat([fwd, rev], ignore_index=True)
    both["key"] = both.groupby(["u", "v"], sort=False).cumcount().astype(np.int64)
    both_geoms = np.concatenate([geoms, shapely.reverse(geoms)])
    columns = [STREET_ID, STREET_NAME, NAME, HIGHWAY, FOOTWAY, REF, LENGTH, OSM_WAYS, REVERSED]
    edges = pd.DataFrame(both[columns].to_numpy(dtype=object), columns=columns)
    edges.index = pd.MultiIndex.from_arrays(
        [both["u"].to_numpy(np.int64), both["v"].to_numpy(np.int64), both["key"].to_numpy()],
        names=["u", "v", "key"],
    )
    for column in (STREET_ID, STREET_NAME, NAME, HIGHWAY, FOOTWAY, REF, OSM_WAYS):
        edges[column] = edges[column].astype("str")  # missing values become NaN
    edges[LENGTH] = edges[LENGTH].astype(float)
    edges[REVERSED] = edges[REVERSED].astype(bool)
    edges["geometry"] = both_geoms
    return {"format": CACHE_VERSION, "nodes": nodes, "edges": edges}


def _clip_parts(
    parts: Mapping[str, Any], clip: BaseGeometry, cfg: GraphConfig, source: str
) -> dict[str, Any]:
    """Keep the edges with both ends inside ``clip`` (and their largest connected piece)."""
    nodes: pd.DataFrame = parts["nodes"]
    edges: pd.DataFrame = parts["edges"]
    node_ids = nodes.index.to_numpy(dtype=np.int64)
    inside = shapely.contains_xy(clip, nodes["x"].to_numpy(float), nodes["y"].to_numpy(float))
    u = nodes.index.get_indexer(edges.index.get_level_values(0))
    v = nodes.index.get_indexer(edges.index.get_level_values(1))
    keep = inside[u] & inside[v]
    if keep.any() and not cfg.retain_all:
        n = len(node_ids)
        adj = sp.coo_matrix((np.ones(int(keep.sum())), (u[keep], v[keep])), shape=(n, n))
        _, label = connected_components(adj, directed=False)
        sizes = np.bincount(label[u[keep]], minlength=label.max() + 1)
        keep &= label[u] == np.argmax(sizes)
    if not keep.any():
        raise EmptyResultError(
            f"{source}: no walkable street left inside the study area. Check that the OSM "
            "file covers the area (or set [graph] clip_to_study_area = false)."
        )
    kept_edges = edges[keep]
    fwd = ~kept_edges[REVERSED].to_numpy(dtype=bool)
    ends = np.concatenate([u[keep][fwd], v[keep][fwd]])
    used = np.unique(ends)
    kept_nodes = nodes.iloc[used].copy()
    kept_nodes[STREET_COUNT] = np.bincount(ends, minlength=len(node_ids))[used].astype(np.int64)
    logger.info("Clipped the street graph to the study area: %s of %s nodes kept",
                f"{len(kept_nodes):,}", f"{len(nodes):,}")  # fmt: skip
    return {**parts, "nodes": kept_nodes, "edges": kept_edges}


def _simplify(
    a: np.ndarray, b: np.ndarray, tag: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Merge chains of degree-2 nodes whose two segments carry the same tags.

    Returns one ``(node indices, segment indices)`` pair per simplified edge, walked from the
    smaller end point (ties: in order of the first segment), so the result is deterministic.
    """
    incident: dict[int, list[int]] = defaultdict(list)
    for s, (p, q) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
        incident[p].append(s)
        incident[q].append(s)
    tags = tag.tolist()

    def is_end(n: int) -> bool:
        segs = incident[n]
        return len(segs) != 2 or tags[segs[0]] != tags[segs[1]]

    a_list, b_list = a.tolist(), b.tolist()
    used = np.zeros(len(a), dtype=bool)
    chains: list[tuple[np.ndarray, np.ndarray]] = []

    def walk(start: int, first: int) -> None:
        nodes, segs = [start], [first]
        used[first] = True
        here = b_list[first] if a_list[first] == start else a_list[first]
        nodes.append(here)
        while here != start and not is_end(here):
            s0, s1 = incident[here]
            nxt = s1 if s0 == segs[-1] else s0
            if used[nxt]:
                break
            used[nxt] = True
            segs.append(nxt)
            here = b_list[nxt] if a_list[nxt] == here else a_list[nxt]
            nodes.append(here)
        chains.append((np.array(nodes, dtype=np.int64), np.array(segs, dtype=np.int64)))

    for n in sorted(incident):
        if is_end(n):
            for s in incident[n]:
                if not used[s]:
                    walk(n, s)
    for s in np.flatnonzero(~used).tolist():  # rings with no end point
        if not used[s]:
            walk(min(a_list[s], b_list[s]), s)
    return chains


_SLUG = re.compile(r"[^0-9a-z]+")


def _slug(text: str) -> str:
    text = text.lower().replace("'", "").replace("\u2019", "")
    return _SLUG.sub("-", text).strip("-") or "street"


def _assign_street_ids(
    und: pd.DataFrame, geoms: np.ndarray, cfg: GraphConfig
) -> tuple[list[str], list[str | None]]:
    """One street id per undirected edge (see :data:`STREET_ID`)."""
    n = len(und)
    names = und[NAME].tolist()
    refs = und[REF].tolist()
    footway = und[FOOTWAY].tolist()
    sidewalk = np.array([f == "sidewalk" for f in footway], dtype=bool)
    key = [nm if isinstance(nm, str) and nm else (r if isinstance(r, str) and r else None)
           for nm, r in zip(names, refs, strict=True)]  # fmt: skip
    street_id: list[str | None] = [None] * n
    street_name: list[str | None] = [None] * n
    u = und["u"].to_numpy(np.int64)
    v = und["v"].to_numpy(np.int64)

    # named streets: connected pieces of one name, numbered by their smallest node id
    cand = np.flatnonzero(np.array([k is not None for k in key], dtype=bool) & ~sidewalk)
    if len(cand):
        codes, uniq = pd.factorize(np.array([key[i] for i in cand], dtype=object), sort=True)
        m = len(cand)
        pairs = np.concatenate([np.column_stack([codes, u[cand]]),
                                np.column_stack([codes, v[cand]])])  # fmt: skip
        vertices, inv = np.unique(pairs, axis=0, return_inverse=True)
        inv = inv.ravel()
        adj = sp.coo_matrix((np.ones(m), (inv[:m], inv[m:])), shape=(len(vertices),) * 2)
        k, label = connected_components(adj, directed=False)
        first_node = np.full(k, np.iinfo(np.int64).max)
        np.minimum.at(first_node, label, vertices[:, 1])
        comp_code = np.empty(k, dtype=np.int64)
        comp_code[label] = vertices[:, 0]
        slugs = [_slug(str(name)) for name in uniq]
        next_number: dict[str, int] = defaultdict(int)  # shared by names with one slug
        comp_id = [""] * k
        for c in np.lexsort((first_node, comp_code)).tolist():
            base = slugs[comp_code[c]]
            number = next_number[base]
            next_number[base] += 1
            comp_id[c] = base if number == 0 else f"{base}~{number + 1}"
        edge_label = label[inv[:m]]
        for i, c, code in zip(cand.tolist(), edge_label.tolist(), codes.tolist(), strict=True):
            street_id[i] = comp_id[c]
            street_name[i] = str(uniq[code])

    # pavements: the nearest roughly parallel named street within sidewalk_match_m
    sw = np.flatnonzero(sidewalk)
    if len(sw) and len(cand):
        matched = _match_sidewalks(geoms[sw], geoms[cand], cfg)
        for i, c in zip(sw.tolist(), matched.tolist(), strict=True):
            if c >= 0:
                street_id[i] = street_id[int(cand[c])]
                street_name[i] = street_name[int(cand[c])]

    osm_ways = und[OSM_WAYS].tolist()
    for i in range(n):
        if street_id[i] is None:
            street_id[i] = f"way/{osm_ways[i].split(';')[0]}"
    return [str(s) for s in street_id], street_name


def _unit_dir(line: np.ndarray, at_m: np.ndarray, half_m: np.ndarray) -> np.ndarray:
    """Return unit direction vectors of ``line`` around the positions ``at_m`` (± ``half_m``)."""
    length = shapely.length(line)
    p0 = shapely.line_interpolate_point(line, np.clip(at_m - half_m, 0, length))
    p1 = shapely.line_interpolate_point(line, np.clip(at_m + half_m, 0, length))
    d = shapely.get_coordinates(p1) - shapely.get_coordinates(p0)
    norm = np.hypot(d[:, 0], d[:, 1])
    norm[norm == 0] = 1.0
    return np.asarray(d / norm[:, None], dtype=float)


def _match_sidewalks(
    sidewalks: np.ndarray, streets: np.ndarray, cfg: GraphConfig
) -> np.ndarray:
    """Index into ``streets`` of each sidewalk's street (-1: none within range and bearing)."""
    sw_len = shapely.length(sidewalks)
    mid = shapely.line_interpolate_point(sidewalks, sw_len / 2)
    tree = shapely.STRtree(streets)
    i_sw, i_st = tree.query(mid, predicate="dwithin", distance=cfg.sidewalk_match_m)
    result = np.full(len(sidewalks), -1, dtype=np.int64)
    if not len(i_sw):
        return result
    dist = shapely.distance(mid[i_sw], streets[i_st])
    half = np.minimum(5.0, sw_len[i_sw] / 4 + 1e-9)
    d_sw = _unit_dir(sidewalks[i_sw], sw_len[i_sw] / 2, half)
    pos = shapely.line_locate_point(streets[i_st], mid[i_sw])
    d_st = _unit_dir(streets[i_st], pos, np.full(len(pos), 5.0))
    cos = np.abs(np.einsum("ij,ij->i", d_sw, d_st))
    # short pieces (stubs at crossings) have no reliable bearing: nearest street wins
    ok = (cos >= math.cos(math.radians(cfg.sidewalk_bearing_deg))) | (
        sw_len[i_sw] < cfg.sidewalk_match_m
    )
    i_sw, i_st, dist = i_sw[ok], i_st[ok], dist[ok]
    order = np.lexsort((i_st, dist, i_sw))  # per sidewalk: nearest first (ties: lower index)
    i_sw, i_st = i_sw[order], i_st[order]
    first = np.ones(len(i_sw), dtype=bool)
    first[1:] = i_sw[1:] != i_sw[:-1]
    result[i_sw[first]] = i_st[first]
    return result


def _geodesic_m(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Geodesic distance on the WGS84 ellipsoid, in metres (vectorised).

    More exact than osmnx's spherical great-circle length, which is about 0.3 % short for
    east-west streets in England.
    """
    _, _, dist = pyproj.Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist, dtype=float)


def _assemble(
    parts: Mapping[str, Any],
    crs: str,
    source: str,
    sha: str,
    cache_hit: bool,
    seconds: float,
    cache_path: str | None,
) -> StreetGraph:
    """Node and edge tables -> GeoDataFrames and the osmnx-compatible MultiDiGraph."""
    nodes_df: pd.DataFrame = parts["nodes"]
    edges_df: pd.DataFrame = parts["edges"]
    nodes = gpd.GeoDataFrame(
        nodes_df,
        geometry=gpd.points_from_xy(nodes_df["x"], nodes_df["y"]),
        crs=crs,
    )
    edges = gpd.GeoDataFrame(edges_df, geometry="geometry", crs=crs)
    graph = nx.MultiDiGraph(crs=crs, simplified=True, source=source)
    graph.add_nodes_from(
        (int(n), {"x": x, "y": y, LON: lon, LAT: lat, STREET_COUNT: int(c)})
        for n, x, y, lon, lat, c in zip(
            nodes.index, nodes["x"], nodes["y"], nodes[LON], nodes[LAT], nodes[STREET_COUNT],
            strict=True,
        )
    )  # fmt: skip
    columns = [c for c in edges.columns if c != "geometry"]
    values = [edges[c].tolist() for c in columns]
    geoms = edges.geometry.to_numpy()
    records = []
    for i, row in enumerate(zip(*values, strict=True)):
        # missing tags are left out (osmnx style), not NaN
        rec = {k: val for k, val in zip(columns, row, strict=True) if val == val}
        rec["geometry"] = geoms[i]
        records.append(rec)
    idx = edges.index
    graph.add_edges_from(
        zip(
            idx.get_level_values(0).tolist(), idx.get_level_values(1).tolist(),
            idx.get_level_values(2).tolist(), records, strict=True,
        )
    )  # fmt: skip
    return StreetGraph(
        graph=graph, crs=crs, nodes=nodes, edges=edges, source=source, source_sha256=sha,
        cache_hit=cache_hit, build_seconds=seconds, cache_path=cache_path,
    )  # fmt: skip


# -- cache -------------------------------------------------------------------------------------


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except FileNotFoundError as exc:
        raise InputDataError(
            f"{path}: OSM file not found. Set [graph] osm_file to an existing .osm, .osm.bz2, "
            ".osm.gz or .osm.pbf file."
        ) from exc
    except IsADirectoryError as exc:
        raise InputDataError(f"{path}: is a folder; [graph] osm_file must be a file.") from exc
    return digest.hexdigest()


def _source_identity(
    cfg: GraphConfig, study_area: BaseGeometry | None, crs: pyproj.CRS
) -> tuple[str, str]:
    if cfg.osm_file is not None:
        path = Path(cfg.osm_file)
        return str(path), _file_sha256(path)
    if cfg.place is None and cfg.point is None and study_area is None:
        raise ConfigError(
            "[graph]: no street source. Set osm_file (offline), or place or point (online)."
        )
    what = _online_description(cfg, study_area)
    return f"online: {what}", hashlib.sha256(what.encode("utf-8")).hexdigest()


def _cache_key(
    cfg: GraphConfig, sha: str, crs: str
) -> str:
    settings = {
        "format": CACHE_VERSION,
        "source_sha256": sha,
        "crs": crs,
        "network_type": cfg.network_type,
        "retain_all": cfg.retain_all,
        "sidewalk_match_m": cfg.sidewalk_match_m,
        "sidewalk_bearing_deg": cfg.sidewalk_bearing_deg,
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode("utf-8")).hexdigest()


_CACHE_FORMAT = "corridors-street-graph"
"""``format`` of a cache file's ``meta.json``."""
_CACHE_META = "meta.json"
_CACHE_TEXT = "text.json"
_CACHE_TEXT_COLUMNS = (STREET_ID, STREET_NAME, NAME, HIGHWAY, FOOTWAY, REF, OSM_WAYS)
_EDGE_COLUMNS = (STREET_ID, STREET_NAME, NAME, HIGHWAY, FOOTWAY, REF, LENGTH, OSM_WAYS, REVERSED)


def _cache_path(cache_dir: Path | str, key: str) -> Path:
    """Where the cache entry of ``key`` lives (one ``.npz`` file)."""
    return Path(cache_dir) / f"street-graph-{key[:24]}.npz"


class _CacheError(ValueError):
    """A cache file that is not ours, not for these inputs, or damaged."""


def _cache_schema(n_nodes: int, n_edges: int) -> dict[str, tuple[np.dtype[Any], int | None]]:
    """Member name (without ``.npy``) -> (dtype, length; ``None`` for any length)."""
    i8, f8 = np.dtype("<i8"), np.dtype("<f8")
    schema: dict[str, tuple[np.dtype[Any], int | None]] = {
        "nodes/osmid": (i8, n_nodes),
        **{f"nodes/{c}": (f8, n_nodes) for c in ("x", "y", LON, LAT)},
        f"nodes/{STREET_COUNT}": (i8, n_nodes),
        **{f"edges/{c}": (i8, n_edges) for c in ("u", "v", "key")},
        f"edges/{LENGTH}": (f8, n_edges),
        f"edges/{REVERSED}": (np.dtype("|b1"), n_edges),
        **{f"edges/{c}.codes": (np.dtype("<i4"), n_edges) for c in _CACHE_TEXT_COLUMNS},
        "edges/geometry.x": (f8, None),  # the vertices of every edge, edge after edge
        "edges/geometry.y": (f8, None),
        "edges/geometry.offsets": (i8, n_edges + 1),  # edge i: vertices offsets[i]:offsets[i+1]
    }
    return schema


def _read_cache(path: Path, key: str, sha: str, crs: str) -> dict[str, Any] | None:
    """Load a cache entry written by :func:`_write_cache`, or ``None`` (rebuild).

    Nothing in the file can run code: it is a zip of JSON and ``.npy`` members, read with
    ``allow_pickle=False``. The metadata (format, :data:`CACHE_VERSION`, cache key, source
    SHA-256, CRS, row counts) is checked before any array is read, and every array's dtype,
    length and values before a table is built. A file that fails any check warns
    (:class:`CacheWarning`, naming the file and the reason) and is rebuilt.
    """
    if not path.exists():
        return None
    try:
        return _load_cache_file(path, key, sha, crs)
    except Exception as exc:  # any unreadable, damaged, foreign or stale cache is rebuilt
        reason = str(exc) if isinstance(exc, _CacheError) else f"{type(exc).__name__}: {exc}"
        warnings.warn(
            f"{path}: cached street graph is unreadable ({reason}); rebuilding it.",
            CacheWarning,
            stacklevel=3,
        )
        return None


def _load_cache_file(path: Path, key: str, sha: str, crs: str) -> dict[str, Any]:
    size = path.stat().st_size
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        names = [info.filename for info in infos]
        if _CACHE_META not in names:
            raise _CacheError(f"no {_CACHE_META}: not a street graph cache")
        stored = sum(info.file_size for info in infos)
        if len(set(names)) != len(names) or stored > size or any(
            info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size
            for info in infos
        ):
            raise _CacheError("unexpected zip layout (compressed or duplicate members)")
        meta = json.loads(zf.read(_CACHE_META).decode("utf-8"))
        if not isinstance(meta, dict) or meta.get("format") != _CACHE_FORMAT:
            raise _CacheError("not a street graph cache")
        if meta.get("version") != CACHE_VERSION:
            raise _CacheError(
                f"cache format version {meta.get('version')!r}, expected {CACHE_VERSION}"
            )
        if meta.get("key") != key:
            raise _CacheError("cache key does not match the settings")
        if meta.get("source_sha256") != sha:
            raise _CacheError("made from another OSM input (SHA-256 differs)")
        if meta.get("crs") != crs:
            raise _CacheError(f"made for CRS {meta.get('crs')!r}, not {crs!r}")
        n_nodes, n_edges = meta.get("nodes"), meta.get("edges")
        if not (type(n_nodes) is int and type(n_edges) is int and n_nodes > 0 and n_edges > 0):
            raise _CacheError("bad node or edge count")
        schema = _cache_schema(n_nodes, n_edges)
        expected = {_CACHE_META, _CACHE_TEXT} | {f"{name}.npy" for name in schema}
        if set(names) != expected:
            raise _CacheError(
                f"members differ from the layout (missing {sorted(expected - set(names))}, "
                f"unexpected {sorted(set(names) - expected)})"
            )
        text = json.loads(zf.read(_CACHE_TEXT).decode("utf-8"))
        arrays: dict[str, np.ndarray] = {}
        for name, (dtype, length) in schema.items():
            data = zf.read(f"{name}.npy")  # checks the CRC
            arr = np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)
            if arr.dtype != dtype or arr.ndim != 1 or (length is not None and len(arr) != length):
                raise _CacheError(
                    f"{name}: {arr.dtype} {arr.shape}, expected {dtype} of length "
                    f"{'any' if length is None else length}"
                )
            arrays[name] = arr
    return _parts_from_arrays(arrays, text, n_edges)


def _parts_from_arrays(
    arrays: Mapping[str, np.ndarray], text: Any, n_edges: int
) -> dict[str, Any]:
    """Validated arrays -> the ``nodes`` and ``edges`` tables :func:`_build_parts` makes."""
    osmid = arrays["nodes/osmid"]
    floats = [arrays[f"nodes/{c}"] for c in ("x", "y", LON, LAT)] + [arrays[f"edges/{LENGTH}"]]
    floats += [arrays["edges/geometry.x"], arrays["edges/geometry.y"]]
    if not all(np.isfinite(a).all() for a in floats) or (arrays[f"edges/{LENGTH}"] < 0).any():
        raise _CacheError("non-finite coordinates or lengths")
    if (arrays[f"nodes/{STREET_COUNT}"] < 0).any():
        raise _CacheError("negative street counts")
    if (arrays[f"edges/{REVERSED}"].view(np.uint8) > 1).any():
        raise _CacheError("reversed flags are not booleans")
    node_index = pd.Index(osmid, name="osmid")
    if not node_index.is_unique:
        raise _CacheError("duplicate node ids")
    u, v, k = (arrays[f"edges/{c}"] for c in ("u", "v", "key"))
    if (node_index.get_indexer(np.concatenate([u, v])) < 0).any():
        raise _CacheError("edges refer to nodes that are not in the node table")
    edge_index = pd.MultiIndex.from_arrays([u, v, k], names=["u", "v", "key"])
    if not edge_index.is_unique:
        raise _CacheError("duplicate (u, v, key) edges")
    if not isinstance(text, dict) or set(text) != set(_CACHE_TEXT_COLUMNS):
        raise _CacheError(f"{_CACHE_TEXT}: expected the columns {list(_CACHE_TEXT_COLUMNS)}")
    columns: dict[str, Any] = {}
    for column in _CACHE_TEXT_COLUMNS:
        values, codes = text[column], arrays[f"edges/{column}.codes"]
        if not isinstance(values, list) or pd.api.types.infer_dtype(values, skipna=False) not in (
            "string", "empty"
        ):
            raise _CacheError(f"{_CACHE_TEXT}: {column} is not a list of strings")
        if codes.min() < -1 or codes.max() >= len(values):
            raise _CacheError(f"{column}: codes out of range")
        # the same conversion as _build_parts, on the distinct values; code -1: missing
        distinct = pd.Series(np.array(values, dtype=object), dtype=object).astype("str")
        columns[column] = distinct.array.take(codes, allow_fill=True)
    xs, ys = arrays["edges/geometry.x"], arrays["edges/geometry.y"]
    offsets = arrays["edges/geometry.offsets"]
    if (
        len(xs) != len(ys) or offsets[0] != 0 or offsets[-1] != len(xs)
        or (np.diff(offsets) < 2).any()  # a LineString has two vertices or more
    ):  # fmt: skip
        raise _CacheError("edge geometry offsets do not match the vertices")
    geoms = shapely.from_ragged_array(
        shapely.GeometryType.LINESTRING, np.column_stack([xs, ys]), (offsets,)
    )

    nodes = pd.DataFrame(
        {"x": arrays["nodes/x"], "y": arrays["nodes/y"], LON: arrays[f"nodes/{LON}"],
         LAT: arrays[f"nodes/{LAT}"], STREET_COUNT: arrays[f"nodes/{STREET_COUNT}"]},
        index=node_index,
    )  # fmt: skip
    columns[LENGTH] = arrays[f"edges/{LENGTH}"]
    columns[REVERSED] = arrays[f"edges/{REVERSED}"]
    edges = pd.DataFrame({c: columns[c] for c in _EDGE_COLUMNS}, index=edge_index)
    edges["geometry"] = geoms
    return {"format": CACHE_VERSION, "nodes": nodes, "edges": edges}


def _cache_arrays(parts: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """The ``nodes`` and ``edges`` tables -> typed arrays and the text columns' values."""
    nodes: pd.DataFrame = parts["nodes"]
    edges: pd.DataFrame = parts["edges"]
    arrays: dict[str, np.ndarray] = {
        "nodes/osmid": nodes.index.to_numpy(dtype="<i8"),
        **{f"nodes/{c}": nodes[c].to_numpy(dtype="<f8") for c in ("x", "y", LON, LAT)},
        f"nodes/{STREET_COUNT}": nodes[STREET_COUNT].to_numpy(dtype="<i8"),
        **{f"edges/{c}": edges.index.get_level_values(c).to_numpy(dtype="<i8")
           for c in ("u", "v", "key")},
        f"edges/{LENGTH}": edges[LENGTH].to_numpy(dtype="<f8"),
        f"edges/{REVERSED}": edges[REVERSED].to_numpy(dtype="|b1"),
    }  # fmt: skip
    text: dict[str, list[str]] = {}
    for column in _CACHE_TEXT_COLUMNS:
        codes, uniques = pd.factorize(edges[column], use_na_sentinel=True)
        values = list(uniques)
        if not all(isinstance(s, str) for s in values):
            raise TypeError(f"edge column {column} holds values that are not text")
        arrays[f"edges/{column}.codes"] = codes.astype("<i4")
        text[column] = values
    geom_type, coords, (offsets,) = shapely.to_ragged_array(edges["geometry"].to_numpy())
    if geom_type != shapely.GeometryType.LINESTRING or coords.shape[1] != 2:
        raise TypeError(f"edge geometries must be 2-D LineStrings, not {geom_type.name}")
    arrays["edges/geometry.x"] = np.ascontiguousarray(coords[:, 0], dtype="<f8")
    arrays["edges/geometry.y"] = np.ascontiguousarray(coords[:, 1], dtype="<f8")
    arrays["edges/geometry.offsets"] = offsets.astype("<i8")
    return arrays, text


def _write_cache(path: Path, key: str, sha: str, crs: str, parts: Mapping[str, Any]) -> None:
    """Write the cache entry: one uncompressed zip of JSON and ``.npy`` members, atomically."""
    arrays, text = _cache_arrays(parts)
    meta = {
        "format": _CACHE_FORMAT,
        "version": CACHE_VERSION,
        "key": key,
        "source_sha256": sha,
        "crs": crs,
        "nodes": len(parts["nodes"]),
        "edges": len(parts["edges"]),
    }
    try:
        with (
            atomic_open(path, "wb") as fh,
            zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf,
        ):
            zf.writestr(_CACHE_META, json.dumps(meta, indent=1))
            zf.writestr(_CACHE_TEXT, json.dumps(text))
            for name, arr in arrays.items():
                with zf.open(f"{name}.npy", "w", force_zip64=True) as out:
                    np.lib.format.write_array(out, arr, allow_pickle=False)
    except OSError as exc:
        logger.warning("Could not write the street graph cache %s (%s)", path, exc)
        return
    old = sorted(path.parent.glob("street-graph-*.pkl"))
    if old:  # never opened: pickles can run code
        logger.info(
            "%s: %d street-graph-*.pkl file(s) of an older version are ignored (never loaded); "
            "delete them to free the space.", path.parent, len(old),
        )  # fmt: skip


# -- helpers -----------------------------------------------------------------------------------


def _projected_crs(crs: str) -> pyproj.CRS:
    try:
        crs_obj = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise ConfigError(f"graph crs: unknown CRS {crs!r}; use e.g. 'EPSG:27700'.") from exc
    if not crs_obj.is_projected:
        raise ConfigError(
            f"graph crs: {crs!r} is not a projected CRS (metres); use e.g. 'EPSG:27700' in "
            "Great Britain or the local UTM zone."
        )
    return crs_obj


def _points_xy(points: Any, crs: str) -> np.ndarray:
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


def _length_km(edges: pd.DataFrame) -> float:
    forward = ~edges[REVERSED].to_numpy(dtype=bool)
    return float(edges[LENGTH].to_numpy(float)[forward].sum() / 1000.0)


__all__ = [
    "CACHE_VERSION",
    "STREET_ID",
    "STREET_NAME",
    "CacheWarning",
    "SnapResult",
    "StreetGraph",
    "build_street_graph",
    "graph_stats",
    "is_walkable",
    "snap_points",
    "to_csr",
]
