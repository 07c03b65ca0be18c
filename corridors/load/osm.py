"""Points of interest from OSM files (schools, transport hubs), offline.

CONTRACT (io work fills this in):
- ``read_osm_schools(path) -> gpd.GeoDataFrame`` in EPSG:4326: osm_id ("node/1", "way/2",
  "relation/3"), name, phase (best guess from ``isced:level``, ``school:type`` or the name,
  else "unknown"), geometry (Point: polygons become a representative point).
- ``read_osm_hubs(path) -> gpd.GeoDataFrame`` in EPSG:4326: osm_id, name, kind ("rail",
  "tube", "tram", "bus"), geometry (Point).
Reads ``.osm``, ``.osm.bz2``, ``.osm.gz`` and ``.osm.pbf`` with pyosmium.

Also ``read_osm_pois(path) -> (schools, hubs)`` (both in one pass over the file; ``io`` uses
it), ``guess_phase(tags) -> str`` and ``osm_bounds(path) -> (min_lon, min_lat, max_lon,
max_lat)``: the header bounding box, or the extent of the file's nodes when the header has none.

Clipped extracts reference nodes that are not in the file: such nodes are skipped, and a way
or multipolygon with too few known nodes falls back to the points it has (or is dropped with
a log line when it has none).
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import shapely
from shapely.geometry import LineString, Point, Polygon

from corridors.errors import InputDataError
from corridors.load.phases import PHASES, guess_phase, normalise_phase

logger = logging.getLogger(__name__)

OSM_ID = "osm_id"
NAME = "name"
PHASE = "phase"
KIND = "kind"

OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".osm.xml")

_DEDUP_M = {"rail": 400.0, "tube": 400.0, "tram": 100.0, "bus": 30.0}

_Row = tuple[str, dict[str, str], Point]
"""One matching object: its id ("node/1", "way/2", "relation/3"), tags and point."""


def _check_path(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise InputDataError(f"{path}: OSM file not found; give an existing .osm/.osm.pbf file")
    if path.is_dir():
        raise InputDataError(f"{path}: is a folder; expected an OSM file (.osm, .osm.pbf, ...)")
    if not path.name.lower().endswith(OSM_SUFFIXES):
        raise InputDataError(
            f"{path.name}: not an OSM file name; expected one of {', '.join(OSM_SUFFIXES)}"
        )
    if path.stat().st_size == 0:
        raise InputDataError(f"{path.name}: the file is empty; expected OSM data")
    return path


def _processor(path: Path, filters: list[tuple[str, str]], *, areas: bool) -> osmium.FileProcessor:
    fp = osmium.FileProcessor(str(path)).with_locations()
    if areas:
        fp = fp.with_areas(osmium.filter.TagFilter(*filters))
    return fp.with_filter(osmium.filter.TagFilter(*filters))


def _way_point(way: osmium.osm.Way) -> Point | None:
    """Return a representative point of a way from the nodes located in the file."""
    coords = [(n.lon, n.lat) for n in way.nodes if n.location.valid()]
    if not coords:
        return None
    if len(coords) >= 4 and coords[0] == coords[-1]:
        poly = Polygon(coords)
        if poly.is_valid and poly.area > 0:
            return poly.representative_point()
    if len(coords) >= 2:
        return LineString(coords).interpolate(0.5, normalized=True)
    return Point(coords[0])


def _area_point(area: osmium.osm.Area, factory: osmium.geom.WKBFactory) -> Point | None:
    try:
        geom = shapely.from_wkb(factory.create_multipolygon(area))
    except (RuntimeError, shapely.errors.GEOSException) as exc:  # incomplete rings
        logger.debug("area %s: no geometry (%s)", area.orig_id(), exc)
        return None
    if geom.is_empty:
        return None
    return geom.representative_point()


def _iter_objects(path: Path, filters: list[tuple[str, str]]) -> list[_Row]:
    """Return (osm_id, tags, point) for matching nodes, ways and multipolygon relations."""
    factory = osmium.geom.WKBFactory()
    out: list[_Row] = []
    dropped: list[str] = []
    try:
        for obj in _processor(path, filters, areas=True):
            found = _object_point(obj, factory)
            if found is None:
                continue
            oid, pt = found
            if pt is None:
                dropped.append(oid)
            else:
                out.append((oid, dict(obj.tags), pt))
    except RuntimeError as exc:
        if "out of order" not in str(exc):
            raise InputDataError(
                f"{path.name}: cannot read as OSM data ({exc}); expected an OSM XML or PBF file"
            ) from exc
        # unsorted files (some OSM API exports) cannot go through the area assembler
        logger.debug("%s: %s; reading without the area assembler", path.name, exc)
        return _iter_objects_unsorted(path, filters)
    if dropped:
        logger.info(
            "%s: %d objects without known node locations skipped: %s",
            path.name,
            len(dropped),
            ", ".join(dropped[:5]),
        )
    return out


def _object_point(
    obj: osmium.osm.types.OSMEntity, factory: osmium.geom.WKBFactory
) -> tuple[str, Point | None] | None:
    """Return the id and point (None: no known location) of a node, way or multipolygon.

    None for what is none of them, a node without a location and an area made from a way
    (the way itself is read).
    """
    if isinstance(obj, osmium.osm.Node):
        return (f"node/{obj.id}", Point(obj.lon, obj.lat)) if obj.location.valid() else None
    if isinstance(obj, osmium.osm.Way):
        return f"way/{obj.id}", _way_point(obj)
    if isinstance(obj, osmium.osm.Area) and not obj.from_way():
        return f"relation/{obj.orig_id()}", _area_point(obj, factory)
    return None


def _matches(tags: osmium.osm.TagList, filters: list[tuple[str, str]]) -> bool:
    return any(tags.get(key) == value for key, value in filters)


def _iter_objects_unsorted(path: Path, filters: list[tuple[str, str]]) -> list[_Row]:
    """Like :func:`_iter_objects` for files whose ids are not sorted (two passes, no areas)."""
    try:
        relations = _unsorted_relations(path, filters)
        members = {w for _, ways in relations.values() for w in ways}
        out, member_coords = _unsorted_nodes_and_ways(path, filters, members)
    except RuntimeError as exc:
        raise InputDataError(
            f"{path.name}: cannot read as OSM data ({exc}); expected an OSM XML or PBF file"
        ) from exc
    return out + _relation_points(path, relations, member_coords)


def _unsorted_relations(
    path: Path, filters: list[tuple[str, str]]
) -> dict[int, tuple[dict[str, str], list[int]]]:
    """Return the matching relations: their tags and outer member ways."""
    relations: dict[int, tuple[dict[str, str], list[int]]] = {}
    processor = osmium.FileProcessor(str(path), osmium.osm.RELATION).with_filter(
        osmium.filter.TagFilter(*filters)
    )
    for rel in processor:
        if isinstance(rel, osmium.osm.Relation):
            ways = [m.ref for m in rel.members if m.type == "w" and m.role != "inner"]
            relations[rel.id] = (dict(rel.tags), ways)
    return relations


def _unsorted_nodes_and_ways(
    path: Path, filters: list[tuple[str, str]], members: set[int]
) -> tuple[list[_Row], dict[int, list[tuple[float, float]]]]:
    """Return the matching nodes and ways, and the located nodes of the member ways."""
    member_coords: dict[int, list[tuple[float, float]]] = {}
    out: list[_Row] = []
    for obj in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations():
        if isinstance(obj, osmium.osm.Node):
            if len(obj.tags) and _matches(obj.tags, filters) and obj.location.valid():
                out.append((f"node/{obj.id}", dict(obj.tags), Point(obj.lon, obj.lat)))
            continue
        if not isinstance(obj, osmium.osm.Way):
            continue
        if obj.id in members:
            member_coords[obj.id] = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
        if _matches(obj.tags, filters):
            pt = _way_point(obj)
            if pt is not None:
                out.append((f"way/{obj.id}", dict(obj.tags), pt))
    return out, member_coords


def _relation_points(
    path: Path,
    relations: dict[int, tuple[dict[str, str], list[int]]],
    member_coords: dict[int, list[tuple[float, float]]],
) -> list[_Row]:
    """Return a point inside each relation's polygons, from its member ways in the file."""
    out: list[_Row] = []
    for rid, (tags, ways) in relations.items():
        lines = [LineString(member_coords[w]) for w in ways if len(member_coords.get(w, [])) >= 2]
        if not lines:
            logger.info("%s: relation/%d has no known member locations; skipped", path.name, rid)
            continue
        polys = shapely.get_parts(shapely.polygonize(lines))
        geom = shapely.union_all(polys) if len(polys) else shapely.union_all(lines).centroid
        out.append((f"relation/{rid}", tags, geom.representative_point()))
    return out


def osm_bounds(path: str | Path) -> tuple[float, float, float, float]:
    """
    Return the bounding box of an OSM file in degrees (EPSG:4326).

    Parameters
    ----------
    path
        An ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf`` file.

    Returns
    -------
    tuple of float
        ``(min_lon, min_lat, max_lon, max_lat)``: the header's bounding box, or the extent
        of the file's nodes when the header has none.

    Raises
    ------
    InputDataError
        If the file is missing, empty, not OSM data or holds no nodes.
    """
    path = _check_path(path)
    try:
        header = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING).header()
        box = header.box()
    except RuntimeError as exc:
        raise InputDataError(
            f"{path.name}: cannot read as OSM data ({exc}); expected an OSM XML or PBF file"
        ) from exc
    if box.valid():
        return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)
    lons: list[float] = []
    lats: list[float] = []
    try:
        for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
            if isinstance(node, osmium.osm.Node) and node.location.valid():
                lons.append(node.lon)
                lats.append(node.lat)
    except RuntimeError as exc:
        raise InputDataError(
            f"{path.name}: cannot read as OSM data ({exc}); expected an OSM XML or PBF file"
        ) from exc
    if not lons:
        raise InputDataError(f"{path.name}: the OSM file holds no nodes; expected OSM data")
    return (min(lons), min(lats), max(lons), max(lats))


def read_osm_schools(path: str | Path) -> gpd.GeoDataFrame:
    """
    Read ``amenity=school`` nodes, ways and multipolygon relations from an OSM file.

    Parameters
    ----------
    path
        An ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf`` file (read offline).

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326: ``osm_id`` ("node/1", "way/2", "relation/3"), ``name`` (empty when
        the object has none), ``phase`` (see :func:`guess_phase`) and ``geometry`` (Point;
        a school's grounds become a representative point inside them).

    Raises
    ------
    InputDataError
        If the file is missing, empty or not OSM data.

    Examples
    --------
    >>> schools = read_osm_schools("tests/data/io/st-georges-circus.osm.bz2")
    >>> sorted(schools["phase"])
    ['primary', 'primary', 'primary', 'unknown']
    """
    path = _check_path(path)
    frame = _schools_frame(_iter_objects(path, _SCHOOL_FILTERS))
    logger.info("Read %d schools from %s", len(frame), path.name)
    return frame


def _schools_frame(rows: list[_Row]) -> gpd.GeoDataFrame:
    rows = [r for r in rows if r[1].get("amenity") == "school"]
    return gpd.GeoDataFrame(
        {
            OSM_ID: [r[0] for r in rows],
            NAME: [r[1].get("name", "") for r in rows],
            PHASE: [guess_phase(r[1]) for r in rows],
        },
        geometry=[r[2] for r in rows],
        crs="EPSG:4326",
    )


def _hub_kind(tags: dict[str, str]) -> str | None:
    railway = tags.get("railway", "")
    if railway == "tram_stop" or tags.get("station") == "light_rail":
        return "tram"
    if railway in ("station", "halt"):
        if tags.get("station") == "subway" or tags.get("subway") == "yes":
            return "tube"
        return "rail"
    if tags.get("highway") == "bus_stop":
        return "bus"
    if tags.get("public_transport") == "platform" and tags.get("bus") == "yes":
        return "bus"
    return None


def read_osm_hubs(path: str | Path) -> gpd.GeoDataFrame:
    """
    Read transport hubs (stations, tram stops, bus stops) from an OSM file.

    ``railway=station|halt`` is "rail" ("tube" with ``station=subway`` or ``subway=yes``),
    ``railway=tram_stop`` or ``station=light_rail`` is "tram", ``highway=bus_stop`` and
    ``public_transport=platform`` + ``bus=yes`` are "bus". A hub drawn twice (a station as
    a node and as an area, a bus stop as a pole and a platform) is kept once: objects of the
    same kind and name closer than 400 m (rail, tube), 100 m (tram) or 30 m (bus) are merged,
    keeping the node (two nodes are never merged: stops on both sides of a road stay two).

    Parameters
    ----------
    path
        An ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf`` file (read offline).

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326: ``osm_id``, ``name``, ``kind`` and ``geometry`` (Point).

    Raises
    ------
    InputDataError
        If the file is missing, empty or not OSM data.

    Examples
    --------
    >>> hubs = read_osm_hubs("tests/data/io/st-georges-circus.osm.bz2")
    >>> hubs["kind"].value_counts().to_dict()
    {'bus': 7, 'tube': 1}
    """
    path = _check_path(path)
    frame, merged = _hubs_frame(_iter_objects(path, _HUB_FILTERS))
    logger.info("Read %d hubs from %s (%d duplicates merged)", len(frame), path.name, merged)
    return frame


def read_osm_pois(path: str | Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """
    Read schools and hubs in one pass over an OSM file.

    Parameters
    ----------
    path
        An ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf`` file (read offline).

    Returns
    -------
    tuple of geopandas.GeoDataFrame
        ``(schools, hubs)`` exactly as :func:`read_osm_schools` and :func:`read_osm_hubs`
        return them.

    Raises
    ------
    InputDataError
        If the file is missing, empty or not OSM data.
    """
    path = _check_path(path)
    rows = _iter_objects(path, _SCHOOL_FILTERS + _HUB_FILTERS)
    schools = _schools_frame(rows)
    hubs, merged = _hubs_frame(rows)
    logger.info(
        "Read %d schools and %d hubs from %s (%d duplicate hubs merged)",
        len(schools),
        len(hubs),
        path.name,
        merged,
    )
    return schools, hubs


_SCHOOL_FILTERS = [("amenity", "school")]
_HUB_FILTERS = [
    ("railway", "station"),
    ("railway", "halt"),
    ("railway", "tram_stop"),
    ("station", "light_rail"),
    ("highway", "bus_stop"),
    ("public_transport", "platform"),
]


def _hubs_frame(rows: list[_Row]) -> tuple[gpd.GeoDataFrame, int]:
    """Hubs from matching objects, node/area duplicates merged; also the merged count."""
    hubs = [(oid, tags, pt, _hub_kind(tags)) for oid, tags, pt in rows]
    hubs = [r for r in hubs if r[3] is not None]
    # nodes first, so the node survives a node/area duplicate
    hubs.sort(key=lambda r: (not r[0].startswith("node/"), r[0]))
    kept: list[tuple[str, dict[str, str], Point, str | None]] = []
    for row in hubs:
        name = row[1].get("name", "").strip().lower()
        limit = _DEDUP_M[str(row[3])]
        duplicate = not row[0].startswith("node/") and any(
            k[3] == row[3]
            and k[1].get("name", "").strip().lower() == name
            and _metres(k[2], row[2]) < limit
            for k in kept
        )
        if not duplicate:
            kept.append(row)
    frame = gpd.GeoDataFrame(
        {
            OSM_ID: [r[0] for r in kept],
            NAME: [r[1].get("name", "") for r in kept],
            KIND: [r[3] for r in kept],
        },
        geometry=[r[2] for r in kept],
        crs="EPSG:4326",
    )
    return frame, len(hubs) - len(kept)


def _metres(a: Point, b: Point) -> float:
    """Approximate distance in metres between two lon/lat points (equirectangular)."""
    lat = np.radians((a.y + b.y) / 2)
    dx = np.radians(b.x - a.x) * np.cos(lat)
    dy = np.radians(b.y - a.y)
    return float(6_371_008.8 * np.hypot(dx, dy))


__all__ = [
    "KIND",
    "NAME",
    "OSM_ID",
    "PHASE",
    "PHASES",
    "guess_phase",
    "normalise_phase",
    "osm_bounds",
    "read_osm_hubs",
    "read_osm_pois",
    "read_osm_schools",
]


# -- homes: where the corridor stage sends after-school walkers --------------------------

_RESIDENTIAL_BUILDINGS = {
    "house": 1.0, "residential": 1.0, "detached": 1.0, "semidetached_house": 1.0,
    "terrace": 3.0, "bungalow": 1.0, "apartments": 6.0, "dormitory": 6.0, "farm": 1.0,
    "static_caravan": 1.0, "houseboat": 1.0,
}  # fmt: skip


def read_residential(path: str | Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """
    Read residential buildings and ``landuse=residential`` areas from an OSM file.

    Parameters
    ----------
    path
        An ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf`` file.

    Returns
    -------
    buildings : geopandas.GeoDataFrame
        One Point (the mean of the outline's nodes) per residential building way, with
        ``weight`` (dwellings, a rough guess by building type), EPSG:4326.
    landuse : geopandas.GeoDataFrame
        One Polygon per closed ``landuse=residential`` way, EPSG:4326. Multipolygon
        relations are skipped.
    """
    bx: list[float] = []
    by: list[float] = []
    bw: list[float] = []
    polys: list[shapely.Polygon] = []
    processor = (
        osmium.FileProcessor(str(_check_path(path)), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("building", "landuse"))
    )
    for obj in processor:
        if not isinstance(obj, osmium.osm.Way):
            continue
        tags = obj.tags
        building = tags.get("building")
        landuse = tags.get("landuse")
        if building is None and landuse != "residential":
            continue
        weight = _RESIDENTIAL_BUILDINGS.get(building) if building is not None else None
        if building is not None and weight is None:
            continue
        try:
            coords = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
        except osmium.InvalidLocationError:  # pragma: no cover - clipped extracts
            continue
        if len(coords) < 3:
            continue
        if weight is not None:
            arr = np.asarray(coords[:-1] if coords[0] == coords[-1] else coords)
            bx.append(float(arr[:, 0].mean()))
            by.append(float(arr[:, 1].mean()))
            bw.append(weight)
        elif coords[0] == coords[-1] and len(coords) >= 4:
            polys.append(shapely.Polygon(coords))
    buildings = gpd.GeoDataFrame(
        {"weight": np.asarray(bw, dtype=float)},
        geometry=gpd.points_from_xy(bx, by),
        crs="EPSG:4326",
    )
    landuse_gdf = gpd.GeoDataFrame(geometry=gpd.GeoSeries(polys, crs="EPSG:4326"))
    return buildings, landuse_gdf
