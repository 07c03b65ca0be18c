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
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import shapely
from shapely.geometry import LineString, Point, Polygon

from corridors.errors import InputDataError

logger = logging.getLogger(__name__)

OSM_ID = "osm_id"
NAME = "name"
PHASE = "phase"
KIND = "kind"

OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".osm.xml")

_DEDUP_M = {"rail": 400.0, "tube": 400.0, "tram": 100.0, "bus": 30.0}


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


def _iter_objects(
    path: Path, filters: list[tuple[str, str]]
) -> list[tuple[str, dict[str, str], Point]]:
    """Return (osm_id, tags, point) for matching nodes, ways and multipolygon relations."""
    factory = osmium.geom.WKBFactory()
    out: list[tuple[str, dict[str, str], Point]] = []
    dropped: list[str] = []
    try:
        for obj in _processor(path, filters, areas=True):
            if obj.is_node():
                if obj.location.valid():
                    out.append((f"node/{obj.id}", dict(obj.tags), Point(obj.lon, obj.lat)))
            elif obj.is_way():
                pt = _way_point(obj)
                if pt is None:
                    dropped.append(f"way/{obj.id}")
                else:
                    out.append((f"way/{obj.id}", dict(obj.tags), pt))
            elif obj.is_area():
                if obj.from_way():
                    continue  # the way itself was handled above
                pt = _area_point(obj, factory)
                if pt is None:
                    dropped.append(f"relation/{obj.orig_id()}")
                else:
                    out.append((f"relation/{obj.orig_id()}", dict(obj.tags), pt))
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


def _matches(tags: osmium.osm.TagList, filters: list[tuple[str, str]]) -> bool:
    return any(tags.get(key) == value for key, value in filters)


def _iter_objects_unsorted(
    path: Path, filters: list[tuple[str, str]]
) -> list[tuple[str, dict[str, str], Point]]:
    """Like :func:`_iter_objects` for files whose ids are not sorted (two passes, no areas)."""
    relations: dict[int, tuple[dict[str, str], list[int]]] = {}
    try:
        for rel in osmium.FileProcessor(str(path), osmium.osm.RELATION).with_filter(
            osmium.filter.TagFilter(*filters)
        ):
            ways = [m.ref for m in rel.members if m.type == "w" and m.role != "inner"]
            relations[rel.id] = (dict(rel.tags), ways)
        members = {w for _, ways in relations.values() for w in ways}
        member_coords: dict[int, list[tuple[float, float]]] = {}
        out: list[tuple[str, dict[str, str], Point]] = []
        for obj in osmium.FileProcessor(
            str(path), osmium.osm.NODE | osmium.osm.WAY
        ).with_locations():
            if obj.is_node():
                if len(obj.tags) and _matches(obj.tags, filters) and obj.location.valid():
                    out.append((f"node/{obj.id}", dict(obj.tags), Point(obj.lon, obj.lat)))
                continue
            if obj.id in members:
                member_coords[obj.id] = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
            if _matches(obj.tags, filters):
                pt = _way_point(obj)
                if pt is not None:
                    out.append((f"way/{obj.id}", dict(obj.tags), pt))
    except RuntimeError as exc:
        raise InputDataError(
            f"{path.name}: cannot read as OSM data ({exc}); expected an OSM XML or PBF file"
        ) from exc
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
            if node.location.valid():
                lons.append(node.lon)
                lats.append(node.lat)
    except RuntimeError as exc:
        raise InputDataError(
            f"{path.name}: cannot read as OSM data ({exc}); expected an OSM XML or PBF file"
        ) from exc
    if not lons:
        raise InputDataError(f"{path.name}: the OSM file holds no nodes; expected OSM data")
    return (min(lons), min(lats), max(lons), max(lats))


#: The phase vocabulary of the schools table (the GIAS "phase of education" names, lower
#: case, with "special" and "unknown"). ``[corridors] phases`` chooses among them.
PHASES = (
    "nursery",
    "primary",
    "middle deemed primary",
    "middle deemed secondary",
    "secondary",
    "16 plus",
    "all-through",
    "special",
    "not applicable",
    "unknown",
)

# Phase words in tag values (``school=*``, ``school:FR=*``, ...) and in phase columns, after
# :func:`_tag_word`: lower case, accents kept, spaces and hyphens as "_", "_school" dropped.
_TAG_PHASES = {
    # primary: elementary (US/Canada), infant/junior/first (England), lower (Bedfordshire)
    "primary": "primary",
    "elementary": "primary",
    "infant": "primary",
    "infants": "primary",
    "junior": "primary",
    "first": "primary",
    "lower": "primary",
    "pre_prep": "primary",
    "primaire": "primary",
    "élémentaire": "primary",
    "elementaire": "primary",
    "grundschule": "primary",
    "basisschool": "primary",
    # middle / junior high / intermediate (US, Canada, New Zealand; English middle schools)
    "middle": "middle deemed secondary",
    "intermediate": "middle deemed secondary",
    "junior_high": "middle deemed secondary",
    # secondary: high school, gymnasium, lycée, collège (French, 11-15), ...
    "secondary": "secondary",
    "high": "secondary",
    "senior_high": "secondary",
    "upper": "secondary",
    "grammar": "secondary",
    "comprehensive": "secondary",
    "gymnasium": "secondary",
    "gymnasiet": "secondary",
    "lycée": "secondary",
    "lycee": "secondary",
    "collège": "secondary",
    "college": "secondary",  # a tag or phase value on a school: the French collège
    "collegiate": "secondary",
    "secondaire": "secondary",
    "liceo": "secondary",
    "lyceum": "secondary",
    "realschule": "secondary",
    "hauptschule": "secondary",
    "gesamtschule": "secondary",
    "oberschule": "secondary",
    "mittelschule": "secondary",
    "sixth_form": "16 plus",
    "sixth_form_college": "16 plus",
    "further_education": "16 plus",
    # several phases
    "all_through": "all-through",
    "through": "all-through",
    "k_8": "all-through",
    "k8": "all-through",
    "k_12": "all-through",
    "k12": "all-through",
    "p_12": "all-through",
    "prep": "all-through",
    "preparatory": "all-through",
    "nursery": "nursery",
    "kindergarten": "nursery",
    "preschool": "nursery",
    "pre_school": "nursery",
    "pre_k": "nursery",
    "maternelle": "nursery",
    "special": "special",
    "special_education_needs": "special",
    "university": "not applicable",
    "higher_education": "not applicable",
}
_PHASE_TAG_KEYS = ("school:phase", "school", "school:FR", "school:type", "school:level")
#: Tags that say an object is a school (a "College" with none of them is not one).
_SCHOOL_KEYS = ("isced:level", "grades", *_PHASE_TAG_KEYS)

_W = r"(?<![^\W\d_])"  # a word starts here (accented letters count as letters)
_E = r"(?![^\W\d_])"  # a word ends here


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(_W + "(?:" + "|".join(alternatives) + ")" + _E, re.IGNORECASE)


_HIGHER_WORDS = _words(
    r"universit(?:y|é|e|ät|at|à|a|y college)", "universidad", "polytechnic", "hochschule",
    r"college of (?:art|arts|music|technology|higher education|education|science)",
)  # fmt: skip
_ALL_THROUGH_WORDS = _words(
    r"all[- ]through",
    r"[kp] ?(?:-|–|to) ?(?:8|12)",
    "k12",
    r"prep ?(?:-|–) ?12",
    "through school",
)
_SIXTEEN_WORDS = _words(r"sixth[- ]form (?:college|centre|center)", "further education")
_MIDDLE_WORDS = _words(r"middle school", r"junior high(?: school)?", r"intermediate school")
_PRE_PREP_WORDS = _words("pre-prep")  # English independent schools' ages 3-7
_NURSERY_FIRST_WORDS = _words(r"[ée]cole maternelle", "pre-k", "pre-kindergarten")
_PRIMARY_WORDS = re.compile(
    _W + r"(?:primary|infants?|junior|first school|lower school|elementary|public school|"
    r"state school|c\.? ?of ?e\.?|cofe|c ?e|church of england|[ée]l[ée]mentaire|primaire|"
    r"[ée]cole|groupe scolaire|scuola primaria|basisschool)" + _E + r"|grundschule" + _E,
    re.IGNORECASE,
)
_NOT_PRIMARY_WORDS = _words(
    "college", "collège", "high school", "secondary", "secondaire", "grammar", "lycée", "lycee"
)
_SECONDARY_WORDS = re.compile(
    _W + r"(?:high school|high|secondary|secondaire|grammar|upper school|upper|senior high|"
    r"coll[èe]ge prep(?:aratory)?|collège|collegiate|lyc[ée]e|liceo|lyceum|scuola media|"
    r"instituto|gymnasiet)" + _E
    + r"|(?:gymnasium|realschule|hauptschule|gesamtschule|oberschule|mittelschule)" + _E,
    re.IGNORECASE,
)  # fmt: skip
_COLLEGE_WORDS = _words("college")
_PREP_WORDS = _words("prep", "preparatory")
_NURSERY_WORDS = _words("nursery", r"pre-?school", "kindergarten", "kita")
_SPECIAL_WORDS = _words("special school")


def _tag_word(value: str) -> str:
    word = re.sub(r"[\s\-–]+", "_", value.strip().lower())
    return word.removesuffix("_school").removesuffix("_schule") or word


def _grades_phase(value: str) -> str | None:
    """
    Return the phase of a ``grades`` value ("K-5", "6-8", "9-12", "PK-8", "K;1;2"), or None.

    Kindergarten and earlier (``PK``, ``TK``, ``JK``, ``K``, ``P``, ``R``) count as grade 0.
    Grades up to 6 are primary; 6-9 middle; 9 (10, 11) and up secondary (16 plus from 11);
    a span from primary into middle or high school is all-through.
    """
    text = value.strip().lower()
    if not text:
        return None
    text = re.sub(r"\b(?:pre-?k|[pjst]k|k\d?|p|r|f)\b", "0", text)
    lo: int | None = None
    hi: int | None = None
    for part in re.split(r"[;,/\s]+", text):
        if not part:
            continue
        m = re.fullmatch(r"(\d{1,2})(?:\s*(?:-|–|to)\s*(\d{1,2}))?", part)
        if not m:
            return None
        a = int(m.group(1))
        b = int(m.group(2)) if m.group(2) else a
        a, b = min(a, b), max(a, b)
        if b > 13:
            return None
        lo = a if lo is None else min(lo, a)
        hi = b if hi is None else max(hi, b)
    if lo is None or hi is None:
        return None
    if hi <= 6:
        return "primary"
    if lo <= 5:
        return "all-through"
    if lo >= 11:
        return "16 plus"
    if hi <= 9:
        return "middle deemed secondary"
    return "secondary"


_SCHOOL_AGE = ("middle deemed secondary", "secondary", "16 plus", "all-through")


def _tag_phase(value: str) -> str | None:
    """The phase named by one tag or column value (``;``/``,`` lists combine), or None."""
    found: list[str] = []
    for part in re.split(r"[;,]", value):
        phase = _TAG_PHASES.get(_tag_word(part))
        if phase and phase not in found:
            found.append(phase)
    if not found:
        return None
    if "primary" in found and any(p != "primary" and p in _SCHOOL_AGE for p in found):
        return "all-through"
    return found[0]


def _name_phase(name: str, *, school: bool) -> str | None:
    """The phase that words of a school's name say, or None. ``school``: tagged as one."""
    if not name:
        return None
    if _ALL_THROUGH_WORDS.search(name):
        return "all-through"
    if _SIXTEEN_WORDS.search(name):
        return "16 plus"
    if _MIDDLE_WORDS.search(name):
        return "middle deemed secondary"
    if _PRE_PREP_WORDS.search(name):
        return "primary"
    if _NURSERY_FIRST_WORDS.search(name):
        return "nursery"
    if _PRIMARY_WORDS.search(name) and not _NOT_PRIMARY_WORDS.search(name):
        return "primary"
    if _SECONDARY_WORDS.search(name):
        return "secondary"
    if _PREP_WORDS.search(name):
        return "all-through"
    if _HIGHER_WORDS.search(name):  # after the school words: "University High School"
        return "not applicable"
    if school and _COLLEGE_WORDS.search(name):
        return "secondary"
    if _NURSERY_WORDS.search(name):
        return "nursery"
    if _SPECIAL_WORDS.search(name):
        return "special"
    return None


def normalise_phase(value: str) -> str:
    """
    Map a phase written in a schools file to the phase vocabulary (:data:`PHASES`).

    Values already in the vocabulary (any case) stay; school words of other countries map
    to their phase ("Elementary" -> primary, "High School" -> secondary, "Middle School" ->
    middle deemed secondary, "K-8" -> all-through, "Gymnasium" -> secondary, grades such
    as "9-12"); an empty value is "unknown"; anything else is kept (lower case), so that
    ``[corridors] phases`` can name it.

    Examples
    --------
    >>> [normalise_phase(v) for v in ["Primary", "Elementary", "High School", "K-12", ""]]
    ['primary', 'primary', 'secondary', 'all-through', 'unknown']
    >>> normalise_phase("Adult learning")
    'adult learning'
    """
    low = value.strip().lower()
    if low in PHASES:
        return low
    if not low:
        return "unknown"
    return _tag_phase(low) or _grades_phase(low) or _name_phase(low, school=True) or low


def guess_phase(tags: dict[str, str]) -> str:
    """
    Guess a school's phase of education from its OSM tags.

    The order is:

    1. ``amenity=college`` or ``university`` -> "not applicable" (not a school);
    2. ``isced:level`` (0 -> nursery, 1 -> primary, 2/3 -> secondary, 1 with 2 or 3 ->
       all-through, 4 -> 16 plus, only 5 and above -> not applicable);
    3. ``grades`` (US/Canada: "K-5" -> primary, "6-8" -> middle deemed secondary, "9-12" ->
       secondary, "K-8"/"K-12" -> all-through);
    4. phase words in ``school:phase``, ``school``, ``school:FR``, ``school:type`` or
       ``school:level`` (primary, elementary, middle, junior_high, secondary, high,
       gymnasium, lycée, collège, ...);
    5. words in the name: "All-through", "K-12", "K-8", "P-12" -> all-through; "Sixth Form
       College" -> 16 plus; "Middle School", "Junior High", "Intermediate School" -> middle
       deemed secondary; "Primary", "Elementary", "Infant", "Junior", "Public School",
       "C of E"/"CofE", "École", "Grundschule" -> primary; "High School", "High",
       "Secondary", "Grammar", "Upper", "Gymnasium", "Lycée", "Collège", "Collegiate" ->
       secondary; "Prep"/"Preparatory" -> all-through (pupils of several phases);
       "University" -> not applicable; "College" -> secondary only on an object tagged as
       a school (``amenity=school`` or a ``school*``/``isced:level``/``grades`` tag);
       "Nursery", "Preschool", "Kindergarten" -> nursery; "Academy" alone says nothing
       (most English academies are primary schools);
    6. ``school:type=independent`` -> all-through (most English independent schools with no
       other hint take pupils of several phases);
    7. else "unknown".

    Parameters
    ----------
    tags
        The OSM tags of one ``amenity=school`` object.

    Returns
    -------
    str
        A lower-case phase as used in the schools table (one of :data:`PHASES`).

    Examples
    --------
    >>> guess_phase({"amenity": "school", "name": "Catmose College"})
    'secondary'
    >>> guess_phase({"amenity": "university", "name": "Boston College"})
    'not applicable'
    >>> guess_phase({"name": "Uppingham School", "isced:level": "2;3"})
    'secondary'
    >>> guess_phase({"name": "Oakham CofE Primary School"})
    'primary'
    >>> guess_phase({"amenity": "school", "name": "Lincoln Elementary", "grades": "K-5"})
    'primary'
    >>> guess_phase({"name": "Hodges"})
    'unknown'
    >>> guess_phase({"name": "Cottesmore Millfield Academy"})
    'unknown'
    """
    if tags.get("amenity") in ("college", "university"):
        return "not applicable"
    isced = tags.get("isced:level", "")
    levels = {int(d) for d in re.findall(r"\d", isced.replace("-", ";"))}
    if "-" in isced:  # a range such as "1-3"
        nums = sorted(levels)
        if nums:
            levels = set(range(nums[0], nums[-1] + 1))
    if levels:
        upper = bool(levels & {2, 3})
        if 1 in levels and upper:
            return "all-through"
        if upper:
            return "secondary" if 4 not in levels else "16 plus"
        if 1 in levels:
            return "primary"
        if levels == {0}:
            return "nursery"
        if 4 in levels:
            return "16 plus"
        if min(levels) >= 5:
            return "not applicable"
    grades = _grades_phase(tags.get("grades", ""))
    if grades:
        return grades
    for key in _PHASE_TAG_KEYS:
        phase = _tag_phase(tags.get(key, ""))
        if phase:
            return phase
    school = tags.get("amenity") == "school" or any(k in tags for k in _SCHOOL_KEYS)
    name = tags.get("name", "") or tags.get("official_name", "")
    phase = _name_phase(name, school=school)
    if phase:
        return phase
    if tags.get("school:type", "").lower() == "independent":
        return "all-through"
    return "unknown"


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


def _schools_frame(rows: list[tuple[str, dict[str, str], Point]]) -> gpd.GeoDataFrame:
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


def _hubs_frame(rows: list[tuple[str, dict[str, str], Point]]) -> tuple[gpd.GeoDataFrame, int]:
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
        if not obj.is_way():
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
