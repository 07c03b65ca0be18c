"""The graph stage: the walking street graph from OSM (offline file or online), cached on disk.

CONTRACT:
- ``build_street_graph(cfg: GraphConfig, *, crs: str, study_area=None) -> StreetGraph``
- ``snap_points(street, points: gpd.GeoSeries, *, max_dist_m=None) -> SnapResult`` (nearest
  node and nearest edge (u, v, key) per point, with distances in metres)
- ``to_csr(street, *, weight="length") -> (scipy.sparse.csr_matrix, node_ids, node_index)``
- ``graph_stats(street) -> dict`` (what ``corridors graph`` prints)

Which file holds what
---------------------
- ``build.py``: :func:`build_street_graph`, the stage's entry: picks the source, uses or fills
  the cache, clips to the study area.
- ``osm_file.py``: reads the OSM file with pyosmium (an I/O edge); its SHA-256.
- ``from_edges.py``: small street graphs from node coordinates and pairs (tests, examples).
- ``online.py``: downloads the streets with osmnx by place, point or polygon; network errors.
- ``segments.py``: :func:`is_walkable` and the raw walkable segments both readers produce.
- ``simplify.py``: raw segments -> projected, simplified node and edge tables.
- ``street_ids.py``: street ids from names; pavements attached to their street.
- ``street.py``: :class:`StreetGraph`, its column names, :func:`graph_stats`.
- ``nx_graph.py``: the networkx MultiDiGraph of the tables, built in bulk when first asked for.
- ``queries.py``: :func:`snap_points` and :func:`to_csr`.
- ``cache_layout.py``: the cache key and what an entry holds, checked (on data).
- ``cache.py``: the cache file, written and read (an I/O edge); :class:`CacheWarning`.

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

from corridors.graph.build import build_street_graph
from corridors.graph.cache import CacheWarning
from corridors.graph.cache_layout import CACHE_VERSION
from corridors.graph.from_edges import street_from_edges, toy_street
from corridors.graph.queries import SnapResult, snap_points, to_csr
from corridors.graph.segments import NEVER_HIGHWAYS, WALKABLE_HIGHWAYS, is_walkable
from corridors.graph.street import STREET_ID, STREET_NAME, StreetGraph, graph_stats
from corridors.graph.street import _assemble as _assemble  # benchmarks/bench_graph.py uses it

__all__ = [
    "CACHE_VERSION",
    "NEVER_HIGHWAYS",
    "STREET_ID",
    "STREET_NAME",
    "WALKABLE_HIGHWAYS",
    "CacheWarning",
    "SnapResult",
    "StreetGraph",
    "build_street_graph",
    "graph_stats",
    "is_walkable",
    "snap_points",
    "street_from_edges",
    "to_csr",
    "toy_street",
]
