"""Points of interest from OSM files (schools, transport hubs), offline.

CONTRACT (io work fills this in):
- ``read_osm_schools(path) -> gpd.GeoDataFrame`` in EPSG:4326: osm_id ("node/1", "way/2",
  "relation/3"), name, phase (best guess from ``isced:level``, ``school:type`` or the name,
  else "unknown"), geometry (Point: polygons become a representative point).
- ``read_osm_hubs(path) -> gpd.GeoDataFrame`` in EPSG:4326: osm_id, name, kind ("rail",
  "tube", "tram", "bus"), geometry (Point).
Reads ``.osm``, ``.osm.bz2``, ``.osm.gz`` and ``.osm.pbf`` with pyosmium.
"""
