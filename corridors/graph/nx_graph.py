"""The osmnx-compatible networkx MultiDiGraph of the node and edge tables, built in bulk.

:attr:`StreetGraph.graph <corridors.graph.street.StreetGraph.graph>` is built from the tables
the first time it is asked for (the stages use the tables and the CSR matrix, not networkx).
Adding 1.6 million edges one by one through ``add_edges_from`` (which calls ``add_edge`` and
updates every edge's data through views) takes about 8 µs an edge; here the attribute dicts
are made column-wise, one group of rows per pattern of missing tags, and placed straight into
the MultiDiGraph's dict-of-dict-of-dict adjacency (``_node``, ``_succ``, ``_pred``: the
layout networkx documents for subclasses), in table order, so the graph is the one
``add_nodes_from`` and ``add_edges_from`` would make, node for node and edge for edge
(``tests/test_graph.py`` compares them).
"""

from __future__ import annotations

import gc
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd


def networkx_graph(
    nodes: pd.DataFrame, edges: pd.DataFrame, **graph_attrs: Any
) -> nx.MultiDiGraph[int]:
    """Return the MultiDiGraph of the tables: nodes, then every edge ``(u, v, key)`` in order.

    Node attributes are the node table's columns but ``geometry``; edge attributes are the
    edge table's columns, a missing value (NaN) left out (osmnx style), and ``geometry``.
    Edge ends missing from the node table are added as nodes without attributes.
    """
    collecting = gc.isenabled()
    gc.disable()  # millions of new dicts would start a full collection again and again
    try:
        return _filled(nx.MultiDiGraph(**graph_attrs), nodes, edges)
    finally:
        if collecting:
            gc.enable()


def _filled(
    graph: nx.MultiDiGraph[int], nodes: pd.DataFrame, edges: pd.DataFrame
) -> nx.MultiDiGraph[int]:
    """Put the nodes, then the edges, into the empty ``graph``'s adjacency dicts, in order."""
    node_ids = nodes.index.tolist()
    node_data = _row_dicts(pd.DataFrame(nodes.drop(columns="geometry", errors="ignore")))
    u, v, k = (edges.index.get_level_values(i) for i in range(3))
    ends = pd.Index(u).append(pd.Index(v)).unique()
    missing = ends[~ends.isin(nodes.index)].tolist()
    node_ids += missing
    node_data += [{} for _ in missing]
    inner: Any = graph  # the dict-of-dict-of-dict layout networkx documents for subclasses
    succ: dict[Any, dict[Any, dict[Any, dict[str, Any]]]] = inner._succ
    pred: dict[Any, dict[Any, dict[Any, dict[str, Any]]]] = inner._pred
    inner._node.update(zip(node_ids, node_data, strict=True))
    succ.update((n, {}) for n in node_ids)
    pred.update((n, {}) for n in node_ids)
    for a, b, key, data in zip(u.tolist(), v.tolist(), k.tolist(), _edge_data(edges), strict=True):
        keydict = succ[a].get(b)
        if keydict is None:
            keydict = succ[a][b] = pred[b][a] = {}
        keydict[key] = data
    return graph


_NO_DATA: dict[str, Any] = {}
"""A placeholder, replaced in every row by :func:`_row_dicts`."""


def _edge_data(edges: pd.DataFrame) -> list[dict[str, Any]]:
    """One attribute dict per edge row: the columns it has a value in, then ``geometry``."""
    data = _row_dicts(pd.DataFrame(edges.drop(columns="geometry", errors="ignore")), skip_na=True)
    if "geometry" in edges.columns:
        for d, geom in zip(data, edges["geometry"].to_numpy().tolist(), strict=True):
            d["geometry"] = geom
    return data


def _row_dicts(table: pd.DataFrame, *, skip_na: bool = False) -> list[dict[str, Any]]:
    """One dict per row of ``table`` (Python values); ``skip_na``: without its missing values.

    Rows are grouped by which columns they have a value in (a handful of patterns), and each
    group's dicts are made from its columns as lists, not cell by cell.
    """
    columns = list(table.columns)
    groups: dict[tuple[bool, ...], Any] = {tuple(True for _ in columns): np.arange(len(table))}
    if skip_na and columns and len(table):
        has = pd.DataFrame(table.notna().to_numpy())
        groups = {
            flags if isinstance(flags, tuple) else (flags,): rows
            for flags, rows in has.groupby(list(has.columns), sort=False).indices.items()
        }
    out: list[dict[str, Any]] = [_NO_DATA] * len(table)
    for flags, rows in groups.items():
        keep = [c for c, has_value in zip(columns, flags, strict=True) if has_value]
        values = [table[c].to_numpy()[rows].tolist() for c in keep]
        records = zip(*values, strict=True) if values else (() for _ in range(len(rows)))
        for r, row in zip(rows.tolist(), records, strict=True):
            out[r] = dict(zip(keep, row, strict=True))
    return out
