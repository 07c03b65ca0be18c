"""The graph stage's entry: :func:`build_street_graph` chooses the source, the cache, the clip.

The whole source's graph is what is cached (keyed by the source's SHA-256, the settings, the
CRS and the cache version), so ``corridors graph`` and ``corridors plan`` share one cache entry
whatever study area each passes; a study area (buffered by ``GraphConfig.clip_buffer_m``) then
clips it: edges with both ends inside are kept, and the largest connected piece of them (unless
``retain_all``). Street ids do not change.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from corridors.config import GraphConfig
from corridors.errors import ConfigError
from corridors.graph.cache import _cache_path, _read_cache, _write_cache
from corridors.graph.cache_layout import _cache_key
from corridors.graph.online import _NO_SOURCE, _online_description, _read_online
from corridors.graph.osm_file import _file_sha256, _read_osm_file
from corridors.graph.segments import _Raw
from corridors.graph.simplify import _build_parts, _in_largest_piece, _no_street_left
from corridors.graph.street import (
    REVERSED,
    STREET_COUNT,
    GraphTables,
    StreetGraph,
    _assemble,
    _length_km,
)

logger = logging.getLogger(__name__)


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
    clip = _clip_area(cfg, study_area)
    key = _cache_key(cfg, sha, crs_str)  # the whole file's graph: clipping comes after
    cache_path = _cache_path(cfg.cache_dir, key)

    if cfg.use_cache and not refresh:
        cached = _read_cache(cache_path, key, sha, crs_str)
        if cached is not None:
            if clip is not None:
                cached = _clip_parts(cached, clip, cfg, source)
            street = _assemble(cached, crs_str, source, sha, True, started, str(cache_path))
            logger.info(
                "Loaded street graph from cache %s: %s nodes, %s edges (%.2f s)",
                cache_path, f"{len(street.nodes):,}", f"{len(street.edges):,}",
                street.build_seconds,
            )  # fmt: skip
            return street

    raw = _read_raw(cfg, study_area, crs_obj)
    parts = _build_parts(raw, cfg, crs_obj, source)
    if cfg.use_cache:
        _write_cache(cache_path, key, sha, crs_str, parts)
    if clip is not None:
        parts = _clip_parts(parts, clip, cfg, source)
    street = _assemble(parts, crs_str, source, sha, False, started,
                       str(cache_path) if cfg.use_cache else None)  # fmt: skip
    logger.info(
        "Built street graph from %s: %s nodes, %s edges, %.1f km (%.2f s)",
        source, f"{len(street.nodes):,}", f"{len(street.edges):,}",
        _length_km(street.edges), street.build_seconds,
    )  # fmt: skip
    return street


def _read_raw(cfg: GraphConfig, study_area: BaseGeometry | None, crs: pyproj.CRS) -> _Raw:
    """Read the raw walkable segments: from the OSM file if there is one, else online."""
    if cfg.osm_file is not None:
        return _read_osm_file(Path(cfg.osm_file), cfg.network_type)
    return _read_online(cfg, study_area, crs)


def _source_identity(
    cfg: GraphConfig, study_area: BaseGeometry | None, crs: pyproj.CRS
) -> tuple[str, str]:
    """Name the source (file path or online query); its SHA-256 (of the file or query)."""
    if cfg.osm_file is not None:
        path = Path(cfg.osm_file)
        return str(path), _file_sha256(path)
    if cfg.place is None and cfg.point is None and study_area is None:
        raise ConfigError(_NO_SOURCE)
    what = _online_description(cfg, study_area)
    return f"online: {what}", hashlib.sha256(what.encode("utf-8")).hexdigest()


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


def _clip_area(cfg: GraphConfig, study_area: BaseGeometry | None) -> BaseGeometry | None:
    """Return the polygon to clip to: the study area, buffered (``None``: no clip)."""
    if study_area is None or not cfg.clip_to_study_area:
        return None
    return study_area.buffer(cfg.clip_buffer_m) if cfg.clip_buffer_m > 0 else study_area


def _clip_parts(
    parts: GraphTables, clip: BaseGeometry, cfg: GraphConfig, source: str
) -> GraphTables:
    """Keep the edges with both ends inside ``clip`` (and their largest connected piece)."""
    nodes: pd.DataFrame = parts["nodes"]
    edges: pd.DataFrame = parts["edges"]
    node_ids = nodes.index.to_numpy(dtype=np.int64)
    inside = shapely.contains_xy(clip, nodes["x"].to_numpy(float), nodes["y"].to_numpy(float))
    u = nodes.index.get_indexer(edges.index.get_level_values(0))
    v = nodes.index.get_indexer(edges.index.get_level_values(1))
    keep = inside[u] & inside[v]
    if keep.any() and not cfg.retain_all:
        keep = _in_largest_piece(u, v, keep, len(node_ids))
    if not keep.any():
        raise _no_street_left(source)
    kept_edges = edges[keep]
    fwd = ~kept_edges[REVERSED].to_numpy(dtype=bool)
    ends = np.concatenate([u[keep][fwd], v[keep][fwd]])
    used = np.unique(ends)
    kept_nodes = nodes.iloc[used].copy()
    kept_nodes[STREET_COUNT] = np.bincount(ends, minlength=len(node_ids))[used].astype(np.int64)
    logger.info("Clipped the street graph to the study area: %s of %s nodes kept",
                f"{len(kept_nodes):,}", f"{len(nodes):,}")  # fmt: skip
    return {"nodes": kept_nodes, "edges": kept_edges}
