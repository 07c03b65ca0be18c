"""The street graph value: :class:`StreetGraph`, its column names, and its summary.

:func:`_assemble` turns the node and edge tables (built from OSM or read from the cache) into
the GeoDataFrames and the osmnx-compatible MultiDiGraph; :func:`graph_stats` is what
``corridors graph`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

import geopandas as gpd
import networkx as nx
import pandas as pd

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

TEXT_COLUMNS = (STREET_ID, STREET_NAME, NAME, HIGHWAY, FOOTWAY, REF, OSM_WAYS)
"""The edge columns holding text (``str``, missing values NaN)."""
EDGE_COLUMNS = (STREET_ID, STREET_NAME, NAME, HIGHWAY, FOOTWAY, REF, LENGTH, OSM_WAYS, REVERSED)
"""The edge columns besides ``geometry``, in their order."""


class GraphTables(TypedDict):
    """The node and edge tables a graph is built from (and the cache holds).

    ``nodes`` is indexed by ``osmid`` with ``x``, ``y``, ``lon``, ``lat``, ``street_count``;
    ``edges`` by (``u``, ``v``, ``key``) with :data:`EDGE_COLUMNS` and ``geometry``.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame


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

    graph: nx.MultiDiGraph[int]
    crs: str
    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    source: str  # file path or place name
    source_sha256: str
    cache_hit: bool = False
    build_seconds: float = 0.0
    cache_path: str | None = None


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
    >>> from pathlib import Path
    >>> from corridors.config import GraphConfig
    >>> from corridors.graph import build_street_graph
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


def _length_km(edges: pd.DataFrame) -> float:
    """Total length (km) of the street segments, each counted once (not its reversed twin)."""
    forward = ~edges[REVERSED].to_numpy(dtype=bool)
    return float(edges[LENGTH].to_numpy(float)[forward].sum() / 1000.0)


def _assemble(
    parts: GraphTables,
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
    graph: nx.MultiDiGraph[int] = nx.MultiDiGraph(crs=crs, simplified=True, source=source)
    graph.add_nodes_from(
        (int(n), {"x": x, "y": y, LON: lon, LAT: lat, STREET_COUNT: int(c)})
        for n, x, y, lon, lat, c in zip(
            nodes.index, nodes["x"], nodes["y"], nodes[LON], nodes[LAT], nodes[STREET_COUNT],
            strict=True,
        )
    )  # fmt: skip
    edges_in = _edge_records(edges)
    graph.add_edges_from(edges_in)  # type: ignore[arg-type]  # stubs lack (u, v, key, data)
    return StreetGraph(
        graph=graph, crs=crs, nodes=nodes, edges=edges, source=source, source_sha256=sha,
        cache_hit=cache_hit, build_seconds=seconds, cache_path=cache_path,
    )  # fmt: skip


def _edge_records(edges: gpd.GeoDataFrame) -> list[tuple[int, int, int, dict[str, Any]]]:
    """``(u, v, key, attributes)`` of every edge; missing tags are left out (osmnx style)."""
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
    return list(
        zip(
            idx.get_level_values(0).tolist(), idx.get_level_values(1).tolist(),
            idx.get_level_values(2).tolist(), records, strict=True,
        )
    )  # fmt: skip
