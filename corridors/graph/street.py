"""The street graph value: :class:`StreetGraph`, its column names, and its summary.

:func:`_assemble` turns the node and edge tables (built from OSM or read from the cache) into
the GeoDataFrames of a :class:`StreetGraph`, whose osmnx-compatible MultiDiGraph is built from
them when first asked for (:mod:`corridors.graph.nx_graph`); :func:`graph_stats` is what
``corridors graph`` prints.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, TypedDict

import geopandas as gpd
import networkx as nx
import pandas as pd

from corridors.graph.nx_graph import networkx_graph

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


@dataclass(frozen=True, init=False)
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
    ``build_seconds`` is the time the build (or the cache load) took, tables and GeoDataFrames
    included, and ``cache_hit`` says whether the graph came from the cache.

    Pass ``graph=None`` to have ``graph`` built from ``nodes`` and ``edges`` the first time it
    is asked for (:func:`~corridors.graph.nx_graph.networkx_graph`; the stages use the tables
    and the CSR matrix, so a plan never builds it): that is what the graph stage does.
    """

    crs: str
    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    source: str  # file path or place name
    source_sha256: str
    cache_hit: bool = False
    build_seconds: float = 0.0
    cache_path: str | None = None
    _graph: nx.MultiDiGraph[Any] | None = field(default=None, repr=False, compare=False)

    def __init__(
        self,
        graph: nx.MultiDiGraph[Any] | None,
        crs: str,
        nodes: gpd.GeoDataFrame,
        edges: gpd.GeoDataFrame,
        source: str,
        source_sha256: str,
        cache_hit: bool = False,
        build_seconds: float = 0.0,
        cache_path: str | None = None,
    ) -> None:
        values = {
            "_graph": graph, "crs": crs, "nodes": nodes, "edges": edges, "source": source,
            "source_sha256": source_sha256, "cache_hit": cache_hit,
            "build_seconds": build_seconds, "cache_path": cache_path,
        }  # fmt: skip
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def graph(self) -> nx.MultiDiGraph[int]:
        """The MultiDiGraph; built from the tables on first use if none was given."""
        if self._graph is None:
            built = networkx_graph(
                self.nodes, self.edges, crs=self.crs, simplified=True, source=self.source
            )
            object.__setattr__(self, "_graph", built)
            return built
        return self._graph


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
    started: float,
    cache_path: str | None,
) -> StreetGraph:
    """Node and edge tables -> GeoDataFrames; the MultiDiGraph is built when first asked for.

    ``build_seconds`` is the time since ``started`` (a :func:`time.perf_counter` reading).
    """
    nodes_df: pd.DataFrame = parts["nodes"]
    edges_df: pd.DataFrame = parts["edges"]
    nodes = gpd.GeoDataFrame(
        nodes_df,
        geometry=gpd.points_from_xy(nodes_df["x"], nodes_df["y"]),
        crs=crs,
    )
    edges = gpd.GeoDataFrame(edges_df, geometry="geometry", crs=crs)
    return StreetGraph(
        graph=None, crs=crs, nodes=nodes, edges=edges, source=source, source_sha256=sha,
        cache_hit=cache_hit, build_seconds=time.perf_counter() - started, cache_path=cache_path,
    )  # fmt: skip
