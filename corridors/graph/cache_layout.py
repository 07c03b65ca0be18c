"""What a street-graph cache entry holds: its key, its arrays, and their checks.

The cache file (written and read by :mod:`corridors.graph.cache`) holds data only, never code:
typed ``.npy`` arrays (text columns as integer codes plus their distinct values in JSON, edge
geometry as vertex coordinates plus offsets) and a ``meta.json`` with the format version, the
full cache key and the source's SHA-256. This module turns the node and edge tables into those
arrays (:func:`_cache_arrays`) and back (:func:`_parts_from_arrays`), checking every array's
type, length and values, and the metadata (:func:`_check_meta`), on data it is given.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import shapely

from corridors.config import GraphConfig
from corridors.graph.street import (
    EDGE_COLUMNS,
    LAT,
    LENGTH,
    LON,
    REVERSED,
    STREET_COUNT,
    TEXT_COLUMNS,
    GraphTables,
)

CACHE_VERSION = 2
"""Bump when the cached graph's layout or the building rules change (2: data-only ``.npz``
file instead of a pickle)."""

_CACHE_FORMAT = "corridors-street-graph"
"""``format`` of a cache file's ``meta.json``."""
_CACHE_META = "meta.json"
_CACHE_TEXT = "text.json"

Schema: TypeAlias = dict[str, tuple[np.dtype[Any], int | None]]
"""Member name (without ``.npy``) -> (dtype, length; ``None`` for any length)."""


class _CacheError(ValueError):
    """A cache file that is not ours, not for these inputs, or damaged."""


def _cache_key(cfg: GraphConfig, sha: str, crs: str) -> str:
    """Hash the source's SHA-256, the graph settings, the CRS and the version: the key."""
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


def _cache_meta(key: str, sha: str, crs: str, parts: GraphTables) -> dict[str, Any]:
    """Return the ``meta.json`` of a cache entry."""
    return {
        "format": _CACHE_FORMAT,
        "version": CACHE_VERSION,
        "key": key,
        "source_sha256": sha,
        "crs": crs,
        "nodes": len(parts["nodes"]),
        "edges": len(parts["edges"]),
    }


def _check_meta(meta: object, key: str, sha: str, crs: str) -> tuple[int, int]:
    """Check a cache entry's metadata against the inputs; return its node and edge counts."""
    if not isinstance(meta, dict) or meta.get("format") != _CACHE_FORMAT:
        raise _CacheError("not a street graph cache")
    if meta.get("version") != CACHE_VERSION:
        raise _CacheError(f"cache format version {meta.get('version')!r}, expected {CACHE_VERSION}")
    if meta.get("key") != key:
        raise _CacheError("cache key does not match the settings")
    if meta.get("source_sha256") != sha:
        raise _CacheError("made from another OSM input (SHA-256 differs)")
    if meta.get("crs") != crs:
        raise _CacheError(f"made for CRS {meta.get('crs')!r}, not {crs!r}")
    n_nodes, n_edges = meta.get("nodes"), meta.get("edges")
    if not (type(n_nodes) is int and type(n_edges) is int and n_nodes > 0 and n_edges > 0):
        raise _CacheError("bad node or edge count")
    return n_nodes, n_edges


def _cache_schema(n_nodes: int, n_edges: int) -> Schema:
    """Member name (without ``.npy``) -> (dtype, length; ``None`` for any length)."""
    i8, f8 = np.dtype("<i8"), np.dtype("<f8")
    schema: Schema = {
        "nodes/osmid": (i8, n_nodes),
        **{f"nodes/{c}": (f8, n_nodes) for c in ("x", "y", LON, LAT)},
        f"nodes/{STREET_COUNT}": (i8, n_nodes),
        **{f"edges/{c}": (i8, n_edges) for c in ("u", "v", "key")},
        f"edges/{LENGTH}": (f8, n_edges),
        f"edges/{REVERSED}": (np.dtype("|b1"), n_edges),
        **{f"edges/{c}.codes": (np.dtype("<i4"), n_edges) for c in TEXT_COLUMNS},
        "edges/geometry.x": (f8, None),  # the vertices of every edge, edge after edge
        "edges/geometry.y": (f8, None),
        "edges/geometry.offsets": (i8, n_edges + 1),  # edge i: vertices offsets[i]:offsets[i+1]
    }
    return schema


def _check_array(name: str, arr: np.ndarray, dtype: np.dtype[Any], length: int | None) -> None:
    """Check that an array member has the schema's dtype, one dimension and its length."""
    if arr.dtype != dtype or arr.ndim != 1 or (length is not None and len(arr) != length):
        raise _CacheError(
            f"{name}: {arr.dtype} {arr.shape}, expected {dtype} of length "
            f"{'any' if length is None else length}"
        )


def _parts_from_arrays(arrays: Mapping[str, np.ndarray], text: object) -> GraphTables:
    """Turn checked arrays into the ``nodes`` and ``edges`` tables the build makes."""
    _check_values(arrays)
    node_index = pd.Index(arrays["nodes/osmid"], name="osmid")
    if not node_index.is_unique:
        raise _CacheError("duplicate node ids")
    edge_index = _edge_index(arrays, node_index)
    columns: dict[str, Any] = _text_columns(arrays, text)
    geoms = _edge_geometries(arrays)
    nodes = pd.DataFrame(
        {"x": arrays["nodes/x"], "y": arrays["nodes/y"], LON: arrays[f"nodes/{LON}"],
         LAT: arrays[f"nodes/{LAT}"], STREET_COUNT: arrays[f"nodes/{STREET_COUNT}"]},
        index=node_index,
    )  # fmt: skip
    columns[LENGTH] = arrays[f"edges/{LENGTH}"]
    columns[REVERSED] = arrays[f"edges/{REVERSED}"]
    edges = pd.DataFrame({c: columns[c] for c in EDGE_COLUMNS}, index=edge_index)
    edges["geometry"] = geoms
    return {"nodes": nodes, "edges": edges}


def _check_values(arrays: Mapping[str, np.ndarray]) -> None:
    """Finite coordinates and lengths, no negative length or count, booleans as 0/1."""
    floats = [arrays[f"nodes/{c}"] for c in ("x", "y", LON, LAT)] + [arrays[f"edges/{LENGTH}"]]
    floats += [arrays["edges/geometry.x"], arrays["edges/geometry.y"]]
    if not all(np.isfinite(a).all() for a in floats) or (arrays[f"edges/{LENGTH}"] < 0).any():
        raise _CacheError("non-finite coordinates or lengths")
    if (arrays[f"nodes/{STREET_COUNT}"] < 0).any():
        raise _CacheError("negative street counts")
    if (arrays[f"edges/{REVERSED}"].view(np.uint8) > 1).any():
        raise _CacheError("reversed flags are not booleans")


def _edge_index(arrays: Mapping[str, np.ndarray], node_index: pd.Index) -> pd.MultiIndex:
    """Make the (u, v, key) index; every end must be in the node table, no edge twice."""
    u, v, k = (arrays[f"edges/{c}"] for c in ("u", "v", "key"))
    if (node_index.get_indexer(pd.Index(np.concatenate([u, v]))) < 0).any():
        raise _CacheError("edges refer to nodes that are not in the node table")
    edge_index = pd.MultiIndex.from_arrays([u, v, k], names=["u", "v", "key"])
    if not edge_index.is_unique:
        raise _CacheError("duplicate (u, v, key) edges")
    return edge_index


def _text_columns(arrays: Mapping[str, np.ndarray], text: object) -> dict[str, Any]:
    """Rebuild the text columns from codes and distinct values (code -1: missing)."""
    if not isinstance(text, dict) or set(text) != set(TEXT_COLUMNS):
        raise _CacheError(f"{_CACHE_TEXT}: expected the columns {list(TEXT_COLUMNS)}")
    columns: dict[str, Any] = {}
    for column in TEXT_COLUMNS:
        values, codes = text[column], arrays[f"edges/{column}.codes"]
        if not isinstance(values, list) or pd.api.types.infer_dtype(values, skipna=False) not in (
            "string", "empty"
        ):  # fmt: skip
            raise _CacheError(f"{_CACHE_TEXT}: {column} is not a list of strings")
        if codes.min() < -1 or codes.max() >= len(values):
            raise _CacheError(f"{column}: codes out of range")
        # the same conversion as the build, on the distinct values; code -1: missing
        distinct = pd.Series(np.array(values, dtype=object), dtype=object).astype("str")
        columns[column] = distinct.array.take(codes, allow_fill=True)
    return columns


def _edge_geometries(arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    """Rebuild the edges' LineStrings from the vertex coordinates and per-edge offsets."""
    xs, ys = arrays["edges/geometry.x"], arrays["edges/geometry.y"]
    offsets = arrays["edges/geometry.offsets"]
    if (
        len(xs) != len(ys) or offsets[0] != 0 or offsets[-1] != len(xs)
        or (np.diff(offsets) < 2).any()  # a LineString has two vertices or more
    ):  # fmt: skip
        raise _CacheError("edge geometry offsets do not match the vertices")
    return np.asarray(
        shapely.from_ragged_array(
            shapely.GeometryType.LINESTRING, np.column_stack([xs, ys]), (offsets,)
        ),
        dtype=object,
    )


def _cache_arrays(parts: GraphTables) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """Turn the ``nodes`` and ``edges`` tables into typed arrays and the text values."""
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
    for column in TEXT_COLUMNS:
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
