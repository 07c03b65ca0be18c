"""Walking street graph from OSM (offline file or online), cached on disk.

CONTRACT:
- ``build_street_graph(cfg: GraphConfig, *, crs: str, study_area=None) -> StreetGraph``
- ``snap_points(street, points: gpd.GeoSeries, *, max_dist_m=None) -> SnapResult`` (nearest
  node and nearest edge (u, v, key) per point, with distances in metres)
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import networkx as nx


@dataclass(frozen=True)
class StreetGraph:
    """A projected, simplified walking graph and its GeoDataFrames.

    ``graph`` is an osmnx MultiDiGraph in ``crs`` (metres) with edge ``length`` (m) and
    node ``x``/``y``. ``edges`` is indexed by (u, v, key) and carries ``street_id``: the id
    of the street the edge belongs to (pavements drawn separately are attached to their
    street), ``name``, ``highway``, ``length`` and geometry.
    """

    graph: nx.MultiDiGraph
    crs: str
    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    source: str  # file path or place name
    source_sha256: str
