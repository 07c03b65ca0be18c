"""Small street graphs built from edges, for tests, benchmarks and doctests.

Real graphs come from OSM (:func:`corridors.graph.build_street_graph`);
:func:`street_from_edges` builds the same :class:`StreetGraph` from node coordinates and
directed pairs, and :func:`toy_street` is a 3 x 3 grid for examples.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import networkx as nx
import pandas as pd
from shapely.geometry import LineString, Point

from corridors.graph.street import STREET_ID, StreetGraph


def street_from_edges(
    coords: dict[int, tuple[float, float]],
    pairs: Sequence[tuple[int, int]],
    *,
    crs: str,
    names: Sequence[str] | None = None,
) -> StreetGraph:
    """
    Build a small street graph (straight edges) from node coordinates and directed pairs.

    For tests and examples; real graphs come from :mod:`corridors.graph`.

    Parameters
    ----------
    coords
        Node id -> (x, y) in metres.
    pairs
        Directed edges (u, v); give both directions for two-way streets.
    crs
        The projected CRS of the coordinates.
    names
        Optional street name per pair (the ``street_id`` too).

    Returns
    -------
    StreetGraph
        With ``nodes`` (x, y), ``edges`` indexed by (u, v, key) with ``length``, ``name``,
        ``street_id`` and straight LineStrings; ``source`` and ``source_sha256`` are empty.

    Examples
    --------
    >>> street = street_from_edges({1: (0.0, 0.0), 2: (30.0, 40.0)}, [(1, 2), (2, 1)],
    ...                            crs="EPSG:27700")
    >>> street.edges["length"].tolist(), street.edges["name"].tolist()
    ([50.0, 50.0], ['1-2', '1-2'])
    """
    ids = list(coords)
    nodes = gpd.GeoDataFrame(
        {"x": [coords[n][0] for n in ids], "y": [coords[n][1] for n in ids]},
        geometry=[Point(coords[n]) for n in ids],
        index=pd.Index(ids, name="osmid"),
        crs=crs,
    )
    seen: dict[tuple[int, int], int] = {}
    u_list: list[int] = []
    v_list: list[int] = []
    k_list: list[int] = []
    geoms: list[LineString] = []
    lengths: list[float] = []
    for u, v in pairs:
        key = seen.get((u, v), 0)
        seen[(u, v)] = key + 1
        line = LineString([coords[u], coords[v]])
        u_list.append(u)
        v_list.append(v)
        k_list.append(key)
        geoms.append(line)
        lengths.append(line.length)
    if names is None:
        ends = [(min(u, v), max(u, v)) for u, v in pairs]
        names = [f"{a}-{b}" for a, b in ends]
    street_names = list(names)
    edges = gpd.GeoDataFrame(
        {"length": lengths, "name": street_names, STREET_ID: street_names,
         "highway": "residential"},
        geometry=geoms,
        index=pd.MultiIndex.from_arrays([u_list, v_list, k_list], names=["u", "v", "key"]),
        crs=crs,
    )  # fmt: skip
    graph: nx.MultiDiGraph[int] = nx.MultiDiGraph(crs=crs)
    for n in ids:
        graph.add_node(n, x=coords[n][0], y=coords[n][1])
    for (u, v, k), length in zip(edges.index, lengths, strict=True):
        graph.add_edge(u, v, key=k, length=length)
    return StreetGraph(graph, crs, nodes, edges, "", "")


def toy_street() -> StreetGraph:
    """Return a 3 x 3 grid street graph (100 m blocks) for doctests: nodes 0..8, row by row."""
    rows_uv = []
    for r in range(3):
        for c in range(3):
            n = r * 3 + c
            if c < 2:
                rows_uv += [(n, n + 1), (n + 1, n)]
            if r < 2:
                rows_uv += [(n, n + 3), (n + 3, n)]
    return street_from_edges(
        {n: (float(n % 3 * 100), float(n // 3 * 100)) for n in range(9)},
        rows_uv,
        crs="EPSG:27700",
    )
