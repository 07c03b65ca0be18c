"""Load and validate schools, hubs and incidents; choose the area's metric CRS.

CONTRACT (filled in by the io work; other stages rely on exactly these names):

- ``load_inputs(cfg: Config) -> Inputs``
- Column constants below. Every GeoDataFrame is in ``Inputs.crs`` (metres).
- schools: SCHOOL_ID (str), NAME, PHASE (lower-case: "primary", "secondary",
  "all-through", "16 plus", "middle deemed secondary", "nursery", "special", "not applicable",
  "unknown"), SOURCE, geometry (Point).
- hubs: HUB_ID (str), NAME, KIND ("rail", "tube", "tram", "bus"), SOURCE, geometry (Point).
- incidents: INCIDENT_ID (str, unique; generated "<source>:<line>" when the file has none),
  OFFENCE (str, as published, e.g. "Violence and sexual offences"), MONTH ("YYYY-MM"),
  OCCURRED_AT (tz-aware pandas Timestamp in the area's timezone, NaT when month-only),
  TIME_KNOWN (bool), SOURCE (str), SOURCE_LINE (int, 1-based line in the file incl. header),
  geometry (Point).

Added by the io work: every table also has SOURCE_LINE and SOURCE_FILE (the file inside a
multi-file source, e.g. ``2014-09/2014-09-city-of-london-street.csv``); incidents have
LOCATION (the data.police.uk "On or near ..." text, else ""). Public loaders
:func:`load_schools`, :func:`load_hubs`, :func:`load_incidents` return ``(frame, reports,
rejects)``; :func:`choose_crs`, :func:`study_area_from`, :func:`summarise` and
:func:`write_rejects` complete the stage.

Formats (``format`` of a source; ``"auto"`` sniffs the extension and the CSV header):

- ``police-street``: data.police.uk street CSV (one file, a glob, or a download folder of
  ``YYYY-MM/*-street.csv``; ``.csv.gz`` too). Month only: TIME_KNOWN False, OCCURRED_AT NaT.
  OFFENCE is ``Crime type``; an empty ``Crime ID`` (anti-social behaviour) gets a generated id;
  a repeated ``Crime ID`` is rejected.
- ``police-stop-search``: data.police.uk stop-and-search CSV. ``Date`` is ISO with a UTC
  offset; OFFENCE is ``"Stop and search: <Object of search>"``. The personal columns (gender,
  age range, ethnicity) are never read into the tables.
- ``gias``: DfE "Get Information about Schools" ``edubasealldata`` CSV (cp1252, Easting /
  Northing in EPSG:27700). Closed schools are rejected with the reason "closed school".
- ``edubase``: the older EduBase "Schools in England" CSV; coordinates from ``X``/``Y`` in the
  file or from a row-aligned ``geocode`` CSV (EPSG:27700 unless ``crs`` says otherwise).
- ``osm``: ``amenity=school`` or transport hubs from an OSM file (see :mod:`corridors.load.osm`).
- ``csv``: any CSV, columns given by ``columns`` (see ``SourceConfig``) or found by common
  names (``lat``/``latitude``, ``lon``/``longitude``, ``x``/``easting`` ...). x/y need ``crs``.
- ``geojson`` / ``gpkg``: any geometry (polygons become a representative point); attribute
  columns as for ``csv``. The "line" of a feature is its 1-based feature number.

Dates as people have them: police months are also read in the forms a spreadsheet writes
(``Feb-25``, ``February 2025``, ``02/2025``, ``2025-02-01``) and normalised to ``YYYY-MM``, with
a note in the :class:`SourceReport`; ``date_format`` is used for every date, datetime and month
column when given; separate ``year``, ``month``, ``day``, ``hour``, ``minute`` columns are
read. A date before 1990 or after the planned week (after today when no week is known) is
rejected. Dates that look wrongly mapped (all one day, every time midnight) raise a
:class:`DateMappingWarning` and are noted in the report.

Coordinates as people have them: a row whose numbers cannot be a place (non-finite, out of
range once projected) is rejected, never the whole source; a source whose two coordinate
columns look exchanged (:func:`_check_swaps`) is refused with the ``columns`` setting that
fixes it; a study area made from points leaves strays out (:func:`robust_extent`).
"""

from __future__ import annotations

import csv
import datetime as dt
import glob
import gzip
import hashlib
import io as _stdio
import itertools
import logging
import math
import re
import warnings
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from corridors.load import osm
from corridors.config import Config, SourceConfig
from corridors.errors import ConfigError, InputDataError
from corridors.outputs import write_csv

logger = logging.getLogger(__name__)

SCHOOL_ID = "school_id"
HUB_ID = "hub_id"
INCIDENT_ID = "incident_id"
NAME = "name"
PHASE = "phase"
KIND = "kind"
OFFENCE = "offence"
MONTH = "month"
OCCURRED_AT = "occurred_at"
TIME_KNOWN = "time_known"
SOURCE = "source"
SOURCE_LINE = "source_line"
SOURCE_FILE = "source_file"
LOCATION = "location"

REJECT_COLUMNS = ("source", "file", "line", "column", "reason", "value")

# reasons (the keys of SourceReport.rejected)
R_MISSING_XY = "missing coordinates"
R_BAD_XY = "non-numeric coordinates"
R_ZERO_XY = "coordinates withheld (0, 0)"
R_RANGE_XY = "coordinates out of range for the CRS"
R_OUTSIDE = "outside the study area"
R_BAD_DATE = "unparseable date"
R_BAD_TIME = "unparseable time"
R_BAD_MONTH = "unparseable month"
R_NO_TIME = "local time does not exist (clock change)"
R_NO_OFFENCE = "unknown/empty offence"
R_DUP_ID = "duplicate ID"
R_NO_ID = "empty ID"
R_CLOSED = "closed school"
R_NO_KIND = "unknown hub kind"
R_EMPTY_ROW = "empty row"
R_SWAPPED_LONLAT = "lat/lon look swapped"
R_SWAPPED_XY = "x/y (easting/northing) look swapped"
R_OLD_DATE = "date before 1990"
R_LATE_DATE = "date after the planned week"
R_FUTURE_DATE = "date in the future"

EARLIEST_DATE = dt.date(1990, 1, 1)
"""Incident dates before this are rejected (R_OLD_DATE): no source of this tool goes back so
far, and such dates are typing or spreadsheet errors (``0001-01``, ``1900-01-00``)."""

SWAPPED_SHARE = 0.9
"""A source whose located rows lie outside the reference extent but inside it with the two
coordinates exchanged, this share of them or more, has its columns swapped: an error."""

GB_LONLAT = (-8.7, 49.85, 1.8, 60.9)
"""Great Britain's extent (west, south, east, north; degrees), as in :func:`choose_crs`."""

_MIN_SUSPECT_ROWS = 5  # fewer dated rows than this are never "suspiciously all equal"


class DateMappingWarning(UserWarning):
    """A source's dates look wrongly mapped (every date equal, or every time midnight)."""


HUB_KINDS = ("rail", "tube", "tram", "bus")

_POLICE_STREET = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
)  # fmt: skip
_POLICE_STREET_NEED = ("Crime ID", "Month", "Longitude", "Latitude", "Crime type")
_STOP_SEARCH = (
    "Type", "Date", "Part of a policing operation", "Policing operation", "Latitude",
    "Longitude", "Gender", "Age range", "Self-defined ethnicity", "Officer-defined ethnicity",
    "Legislation", "Object of search", "Outcome", "Outcome linked to object of search",
    "Removal of more than just outer clothing",
)  # fmt: skip
_STOP_SEARCH_NEED = ("Type", "Date", "Latitude", "Longitude", "Object of search")
_STOP_SEARCH_PERSONAL = (
    "Gender", "Age range", "Self-defined ethnicity", "Officer-defined ethnicity",
)  # fmt: skip
_GIAS_NEED = (
    "URN", "EstablishmentName", "PhaseOfEducation (name)", "EstablishmentStatus (name)",
    "Easting", "Northing",
)  # fmt: skip
_EDUBASE_NEED = ("URN", "Establishment name", "Phase of education")
_NA_STRINGS = frozenset({"", "na", "n/a", "nan", "null", "none", "#n/a", "-"})
_NA_ANY_CASE = sorted(
    _NA_STRINGS
    | {v.upper() for v in _NA_STRINGS}
    | {v.title() for v in _NA_STRINGS}
    | {"NaN", "N/a"}
)

# common column names for generic files (compared case-insensitively, spaces/_ ignored)
_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "schoolid", "hubid", "incidentid", "urn", "crimeid", "osmid"),
    "name": ("name", "schoolname", "establishmentname", "stopname", "stationname"),
    "phase": ("phase", "phaseofeducation(name)", "phaseofeducation"),
    "status": ("status", "establishmentstatus(name)", "establishmentstatus"),
    "kind": ("kind", "type", "mode"),
    "offence": ("offence", "offense", "crimetype", "category", "crime"),
    "datetime": ("occurredat", "datetime", "timestamp"),
    "date": ("date",),
    "time": ("time",),
    "year": ("year",),
    "day": ("day",),
    "hour": ("hour",),
    "minute": ("minute",),
    "month": ("month",),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "long", "longitude"),
    "x": ("x", "easting"),
    "y": ("y", "northing"),
}

_PHASE_ALIASES = {
    "": "unknown",
    "all through": "all-through",
    "all-through": "all-through",
    "16 plus": "16 plus",
    "16+": "16 plus",
    "not applicable": "not applicable",
}


@dataclass(frozen=True)
class SourceReport:
    """What happened to the rows of one source: read = accepted + sum(rejected)."""

    kind: str  # "schools", "hubs" or "incidents"
    name: str
    path: str
    read: int
    accepted: int
    rejected: dict[str, int]
    sha256: str
    format: str = ""
    files: int = 1
    optional: bool = False  # the source's ``optional``: may have every row rejected
    notes: tuple[str, ...] = ()
    """What the loader did or suspects (months normalised, dates that look wrongly mapped)."""


@dataclass(frozen=True)
class Homes:
    """Where people live, from the street source's OSM file, in the area's CRS (metres)."""

    buildings: gpd.GeoDataFrame
    """One point per residential building, with ``weight`` (dwellings, a rough guess)."""
    landuse: gpd.GeoDataFrame
    """One polygon per closed ``landuse=residential`` way."""
    source: str


@dataclass(frozen=True)
class Inputs:
    """Validated inputs of one area, all in one projected CRS (metres)."""

    crs: str
    timezone: str
    study_area: BaseGeometry
    schools: gpd.GeoDataFrame
    hubs: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame
    reports: tuple[SourceReport, ...]
    rejects: pd.DataFrame  # columns REJECT_COLUMNS
    homes: Homes | None = None
    """Residential buildings and land use (see :func:`with_homes`); None: not read."""


def load_homes(osm_file: str | Path, crs: str) -> Homes | None:
    """
    Read residential buildings and land use from an OSM file, in ``crs``.

    Returns None (and logs a warning) when the file cannot be read: corridors then weight
    home areas by street length, and say so in the plan's notes.
    """
    try:
        buildings, landuse = osm.read_residential(osm_file)
    except (InputDataError, OSError, RuntimeError) as exc:  # osmium raises RuntimeError
        logger.warning("Could not read residential buildings from %s (%s)", osm_file, exc)
        return None
    return Homes(
        buildings.to_crs(crs) if len(buildings) else buildings,
        landuse.to_crs(crs) if len(landuse) else landuse,
        str(osm_file),
    )


def with_homes(inputs: Inputs, osm_file: str | Path | None) -> Inputs:
    """``inputs`` with :attr:`Inputs.homes` read from ``osm_file`` (unchanged when None)."""
    if osm_file is None or not Path(osm_file).is_file():
        return inputs
    return replace(inputs, homes=load_homes(osm_file, inputs.crs))


# -- CRS --------------------------------------------------------------------------------


def choose_crs(lon: float, lat: float) -> str:
    """
    Choose the metric CRS for an area from a point in it (degrees, EPSG:4326).

    Parameters
    ----------
    lon, lat
        A point of the area (its centre), in degrees.

    Returns
    -------
    str
        ``"EPSG:27700"`` (British National Grid) in Great Britain (with the Isle of Man and
        the Channel-side islands, not Ireland), else the local UTM zone (``"EPSG:326NN"``
        north of the equator, ``"EPSG:327NN"`` south).

    Raises
    ------
    ConfigError
        If the point is not a valid longitude/latitude.

    Examples
    --------
    >>> choose_crs(-0.72, 52.67)   # Oakham, Rutland
    'EPSG:27700'
    >>> choose_crs(13.40, 52.52)   # Berlin
    'EPSG:32633'
    >>> choose_crs(-6.26, 53.35)   # Dublin
    'EPSG:32629'
    >>> choose_crs(151.2, -33.87)  # Sydney
    'EPSG:32756'
    """
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise ConfigError(f"cannot choose a CRS: ({lon}, {lat}) is not a longitude/latitude")
    in_box = -8.7 <= lon <= 1.8 and 49.85 <= lat <= 60.9
    ireland = lon < -5.35 and 51.3 < lat < 55.3 and not (lon > -6.3 and lat > 55.2)
    if in_box and not ireland:
        return "EPSG:27700"
    zone = int((lon + 180) // 6) + 1
    zone = min(zone, 60)
    if 56 <= lat < 64 and 3 <= lon < 12:
        zone = 32  # south-west Norway
    if 72 <= lat < 84 and lon >= 0:  # Svalbard
        zone = 31 if lon < 9 else 33 if lon < 21 else 35 if lon < 33 else 37 if lon < 42 else zone
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


# -- time zone --------------------------------------------------------------------------

def _same_clock(a: str, b: str) -> bool:
    """Whether two zones keep the same time all this year and next (1st and 15th of months)."""
    za, zb = ZoneInfo(a), ZoneInfo(b)
    year = dt.date.today().year
    for y, m, d in itertools.product((year, year + 1), range(1, 13), (1, 15)):
        when = dt.datetime(y, m, d, 12, tzinfo=dt.UTC)
        if when.astimezone(za).utcoffset() != when.astimezone(zb).utcoffset():
            return False
    return True


def choose_timezone(lon: float, lat: float, extent: BaseGeometry | None = None) -> str:
    """
    Choose the area's time zone from its location (degrees, EPSG:4326), offline.

    Parameters
    ----------
    lon, lat
        The centre of the area (the study area's centroid).
    extent
        Optional study area in EPSG:4326: points of it (a 5 x 5 grid) are looked up too, so
        that an area across a time-zone border is an error, not a silent choice, and an
        area whose centre is on water takes the zone of its land.

    Returns
    -------
    str
        ``"Europe/London"`` in Great Britain (where :func:`choose_crs` picks the British
        National Grid), else the IANA zone of the point from the ``timezonefinder`` data
        (e.g. ``"America/New_York"``).

    Raises
    ------
    ConfigError
        If the point is at sea with no land in the area, or the area spans zones that keep
        different times; the message asks for ``[area] timezone``.

    Examples
    --------
    >>> choose_timezone(-0.72, 52.67)   # Oakham, Rutland
    'Europe/London'
    >>> choose_timezone(-73.99, 40.73)  # New York
    'America/New_York'
    >>> choose_timezone(2.35, 48.86)    # Paris
    'Europe/Paris'
    """
    fix = 'set [area] timezone (an IANA name such as "America/New_York") in the config'
    if choose_crs(lon, lat) == "EPSG:27700":
        return "Europe/London"
    from timezonefinder import TimezoneFinder  # loads in 0.2 s: only off Great Britain

    found: dict[str, int] = {}
    with TimezoneFinder() as finder:  # maps its data files; closes them on leaving
        centre = finder.timezone_at_land(lng=lon, lat=lat)
        if extent is not None and not extent.is_empty:
            west, south, east, north = extent.bounds
            shapely.prepare(extent)
            grid = itertools.product(np.linspace(west, east, 5), np.linspace(south, north, 5))
            for gx, gy in grid:
                if shapely.intersects_xy(extent, gx, gy):
                    zone = finder.timezone_at_land(lng=float(gx), lat=float(gy))
                    if zone:
                        found[zone] = found.get(zone, 0) + 1
    if centre is None and not found:
        raise ConfigError(
            f"cannot choose [area] timezone = \"auto\": the area's centre ({lon:.4f}, "
            f"{lat:.4f}) is at sea or outside every time zone; {fix}"
        )
    chosen = centre or max(sorted(found), key=lambda z: found[z])
    try:
        ZoneInfo(chosen)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # an older tz database than the map's
        raise ConfigError(
            f"cannot choose [area] timezone = \"auto\": {chosen!r} (the zone at ({lon:.4f}, "
            f"{lat:.4f})) is not in this system's time-zone database; {fix}"
        ) from exc
    others = sorted(z for z in found if not _same_clock(z, chosen))
    if others:
        raise ConfigError(
            f"cannot choose [area] timezone = \"auto\": the area around ({lon:.4f}, "
            f"{lat:.4f}) spans time zones that keep different times ({chosen}, "
            f"{', '.join(others)}); {fix}"
        )
    return chosen


def _area_timezone(study_area: BaseGeometry, crs: str) -> str:
    """``[area] timezone = "auto"``: the zone of the study area (logged)."""
    area = gpd.GeoSeries([study_area], crs=crs).to_crs("EPSG:4326").iloc[0]
    centre = gpd.GeoSeries([study_area.centroid], crs=crs).to_crs("EPSG:4326").iloc[0]
    tz = choose_timezone(centre.x, centre.y, area)
    logger.info(
        'Time zone %s, from the area\'s location ([area] timezone = "auto"; set it to override)',
        tz,
    )
    return tz


# -- reading files ----------------------------------------------------------------------


@dataclass
class _Table:
    """Raw rows of one source as strings, with their file and 1-based line."""

    frame: pd.DataFrame  # str columns + "_file" + "_line"
    path: Path
    files: list[Path]
    sha256: str
    fmt: str
    multi: bool
    header: list[str] = field(default_factory=list)
    crs: str | None = None  # for geo files


@dataclass
class _Parsed:
    """A source after parsing, before projection and the study-area check."""

    kind: str
    name: str
    src: SourceConfig
    table_path: Path
    fmt: str
    files: int
    sha256: str
    read: int
    frame: pd.DataFrame  # valid rows: standard columns + "_x", "_y", "_file", "_line"
    crs: str  # CRS of _x/_y
    rejects: list[pd.DataFrame]
    id_col: str
    id_generated: np.ndarray  # bool per row of frame
    notes: list[str] = field(default_factory=list)  # for the SourceReport
    warnings: list[str] = field(default_factory=list)  # notes also raised as DateMappingWarning
    coords: tuple[str, str] = ("", "")  # the file's x (lon) and y (lat) columns, for messages
    located: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    """Longitude, latitude of every row with usable coordinates, kept or rejected for another
    reason (bad dates, say): they still place the area when no row is kept."""


@dataclass(frozen=True)
class _DateLimit:
    """The last day an incident may fall on, and the reject reason for later ones."""

    last: dt.date
    reason: str

    @classmethod
    def of(cls, week_start: dt.date | None, tz: str) -> _DateLimit:
        """Return the limit for a week: its Sunday, or today (in ``tz``) without a week."""
        if week_start is None:
            return cls(dt.datetime.now(ZoneInfo(tz)).date(), R_FUTURE_DATE)
        return cls(week_start + dt.timedelta(days=6), R_LATE_DATE)


def _file_sha(paths: list[Path]) -> str:
    """SHA-256 of one file, or of the (name, SHA-256) pairs of several files."""
    digests = []
    for p in sorted(paths):
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        digests.append((p.name, h.hexdigest()))
    if len(digests) == 1:
        return digests[0][1]
    total = hashlib.sha256()
    for name, digest in digests:
        total.update(f"{name}:{digest}\n".encode())
    return total.hexdigest()


def _head_bytes(path: Path, n: int = 4096) -> bytes:
    with open(path, "rb") as fh:
        head = fh.read(n)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as gz:
                return gz.read(n)
        except _GZIP_ERRORS as exc:
            raise _damaged_gzip(path, exc) from exc
    return head


def _check_text_file(path: Path, what: str, encoding: str | None = None) -> bytes:
    """Raise InputDataError if ``path`` cannot be a CSV; return its first bytes."""
    if not path.exists():
        raise InputDataError(f"{path}: file not found; expected {what}")
    if path.is_dir():
        raise InputDataError(f"{path}: is a folder; expected {what}")
    if path.stat().st_size == 0:
        raise InputDataError(f"{path.name}: the file is empty; expected {what}")
    head = _head_bytes(path)
    if not head.strip():
        raise InputDataError(f"{path.name}: the file is empty; expected {what}")
    if head.startswith(b"PK\x03\x04"):
        raise InputDataError(
            f"{path.name}: is a zip archive, not a CSV; unzip it and give the CSV "
            f"(or the unzipped folder); expected {what}"
        )
    probe = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if probe.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml", b"<")):
        kind = "an HTML page" if b"html" in probe[:200] else "XML/markup"
        raise InputDataError(
            f"{path.name}: is {kind}, not a CSV (a failed download saved as .csv?); expected {what}"
        )
    if (encoding or "").lower().replace("_", "-").startswith(("utf-16", "utf-32")):
        return head  # declared: its BOM and NUL bytes are expected
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputDataError(
            f"{path.name}: is UTF-16 text; save it as UTF-8 CSV or set encoding = "
            f'"utf-16" in the source; expected {what}'
        )
    if b"\x00" in head:
        raise InputDataError(f"{path.name}: is a binary file, not a CSV text file; expected {what}")
    return head


def _read_csv_file(
    path: Path, *, encoding: str | None, fallback: str | None, what: str
) -> pd.DataFrame:
    """Read one CSV as strings; add ``_line`` (1-based, header = line 1)."""
    _check_text_file(path, what, encoding)
    with open(path, "rb") as fh:
        compression = "gzip" if fh.read(2) == b"\x1f\x8b" else None
    enc = encoding or "utf-8-sig"

    def _read(enc_: str) -> pd.DataFrame:
        return pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            encoding=enc_,
            compression=compression,
            encoding_errors="strict",
        )

    try:
        try:
            frame = _read(enc)
        except UnicodeDecodeError:
            if encoding is not None or fallback is None:
                raise
            frame = _read(fallback)
    except UnicodeDecodeError as exc:
        bad = exc.object[exc.start : exc.start + 1].hex() if exc.object else "?"
        hint = "cp1252" if enc.lower().startswith("utf") else "utf-8"
        shown_enc = "UTF-8" if enc.lower() in ("utf-8-sig", "utf-8", "utf8") else enc
        raise InputDataError(
            f"{path.name}: not {shown_enc} text (byte 0x{bad} at offset {exc.start}); save it as "
            f'UTF-8 or set encoding = "{hint}" in the source; expected {what}'
        ) from exc
    except UnicodeError as exc:  # e.g. "UTF-16 stream does not start with BOM"
        raise InputDataError(
            f"{path.name}: cannot be read as {enc} ({exc}); check the source's encoding (most "
            f'files are "utf-8"); expected {what}'
        ) from exc
    except LookupError as exc:
        raise InputDataError(f'{path.name}: unknown encoding {enc!r}; use e.g. "utf-8"') from exc
    except pd.errors.EmptyDataError as exc:
        raise InputDataError(f"{path.name}: the file is empty; expected {what}") from exc
    except _GZIP_ERRORS as exc:
        raise _damaged_gzip(path, exc) from exc
    except pd.errors.ParserError as exc:
        msg = " ".join(str(exc).replace("Error tokenizing data. C error: ", "").split())
        raise InputDataError(
            f"{path.name}: not a well-formed CSV ({msg}); quote fields that contain commas; "
            f"expected {what}"
        ) from exc
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    frame = frame.fillna("")  # short rows
    lines = np.arange(len(frame), dtype=np.int64) + 2
    if len(frame) and _physical_lines(path, compression) != len(frame) + 1:
        # quoted fields span lines: count them so each row keeps its first line number
        nl = np.zeros(len(frame), dtype=np.int64)
        for col in frame.columns:
            s = frame[col]
            if s.str.contains("\n", regex=False).any():
                nl += s.str.count("\n").to_numpy(dtype=np.int64)
        if nl.any():
            lines = lines + np.concatenate([[0], np.cumsum(nl)[:-1]])
    frame["_line"] = lines
    return frame


_GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)


def _damaged_gzip(path: Path, exc: BaseException) -> InputDataError:
    return InputDataError(
        f"{path}: a damaged or truncated gzip file ({type(exc).__name__}: {exc}); download it "
        "again or give the uncompressed CSV"
    )


def _physical_lines(path: Path, compression: str | None) -> int:
    opener = gzip.open if compression == "gzip" else open
    count = 0
    last = b"\n"
    try:
        with opener(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                count += chunk.count(b"\n")
                last = chunk[-1:]
    except _GZIP_ERRORS as exc:
        raise _damaged_gzip(path, exc) from exc
    return count + (last != b"\n")


def _expand_paths(src: SourceConfig, fmt: str) -> tuple[list[Path], Path]:
    """Files of a source: one file, a glob pattern, or a police download folder."""
    path = src.path
    text = str(path)
    if any(ch in text for ch in "*?["):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        if not files:
            raise InputDataError(f"{text}: no file matches this pattern; check the path")
        return files, Path(text.split("*")[0].rsplit("/", 1)[0] or ".")
    if path.is_dir():
        if fmt not in ("auto", "police-street", "police-stop-search"):
            raise InputDataError(f"{path}: is a folder; expected one {fmt} file")
        if fmt in ("police-stop-search",):
            pats = ("*-stop-and-search.csv", "*-stop-and-search.csv.gz")
        else:
            pats = ("*-street.csv", "*-street.csv.gz")
        files = sorted({p for pat in pats for p in path.rglob(pat)})
        if not files and fmt == "auto":
            pats = ("*-stop-and-search.csv", "*-stop-and-search.csv.gz")
            files = sorted({p for pat in pats for p in path.rglob(pat)})
        if not files:
            raise InputDataError(
                f"{path}: folder holds no data.police.uk files ({' or '.join(pats)}); "
                "give a file or a download folder"
            )
        return files, path
    if not path.exists():
        raise InputDataError(f"{path}: file not found; check the source's path")
    return [path], path.parent


def _sniff_format(path: Path, header: list[str]) -> str:
    cols = set(header)
    if {"Crime ID", "Crime type", "Month"} <= cols:
        return "police-street"
    if {"Object of search", "Date", "Type"} <= cols or {"Object of search", "Legislation"} <= cols:
        return "police-stop-search"
    if "EstablishmentName" in cols or "PhaseOfEducation (name)" in cols:
        return "gias"
    if "Establishment name" in cols and "URN" in cols:
        return "edubase"
    name = path.name.lower()
    if name.endswith("-street.csv") or name.endswith("-street.csv.gz"):
        return "police-street"
    if "stop-and-search" in name:
        return "police-stop-search"
    return "csv"


def _format_of(src: SourceConfig, first: Path) -> str:
    if src.format != "auto":
        return src.format
    name = first.name.lower()
    if name.endswith(osm.OSM_SUFFIXES):
        return "osm"
    if name.endswith((".geojson", ".json")):
        return "geojson"
    if name.endswith(".gpkg"):
        return "gpkg"
    if name.endswith((".shp", ".fgb")):
        return "gpkg"  # any vector file pyogrio reads
    _check_text_file(first, "a CSV file", src.encoding)
    head = _head_bytes(first, 65536)
    try:
        text = head.decode(src.encoding or "utf-8", errors="replace").lstrip("\ufeff")
    except LookupError as exc:
        raise InputDataError(
            f'{first.name}: unknown encoding {src.encoding!r}; use e.g. "utf-8"'
        ) from exc
    first_line = text.splitlines()[0] if text else ""
    header = next(csv.reader(_stdio.StringIO(first_line)), [])
    return _sniff_format(first, [h.strip() for h in header])


_EXPECT = {
    "police-street": "a data.police.uk street file has " + ", ".join(_POLICE_STREET),
    "police-stop-search": "a data.police.uk stop-and-search file has " + ", ".join(_STOP_SEARCH),
    "gias": "a GIAS edubasealldata file has " + ", ".join(_GIAS_NEED) + " (and 134 more)",
    "edubase": "an EduBase file has "
    + ", ".join(_EDUBASE_NEED)
    + ", ... (+ X, Y or a geocode file)",
}


def _read_table(src: SourceConfig, fmt: str, files: list[Path], root: Path) -> _Table:
    what = {
        "police-street": "a data.police.uk street CSV",
        "police-stop-search": "a data.police.uk stop-and-search CSV",
        "gias": "a GIAS edubasealldata CSV",
        "edubase": "an EduBase schools CSV",
    }.get(fmt, "a CSV file")
    fallback = "cp1252" if fmt in ("gias", "edubase") else None
    frames = []
    header: list[str] = []
    for f in files:
        frame = _read_csv_file(f, encoding=src.encoding, fallback=fallback, what=what)
        need = {
            "police-street": _POLICE_STREET_NEED,
            "police-stop-search": _STOP_SEARCH_NEED,
            "gias": _GIAS_NEED,
            "edubase": _EDUBASE_NEED,
        }.get(fmt, ())
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise InputDataError(
                f"{f.name}: missing column {missing[0]!r}"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                + f"; {_EXPECT[fmt]}"
            )
        if fmt == "police-stop-search":
            frame = frame.drop(columns=[c for c in _STOP_SEARCH_PERSONAL if c in frame.columns])
        try:
            rel = f.relative_to(root).as_posix() if len(files) > 1 else f.name
        except ValueError:
            rel = f.name
        frame["_file"] = rel
        header = header or [c for c in frame.columns if not c.startswith("_")]
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    frame = frame.fillna("")
    frame.attrs["clean"] = fmt in ("police-street", "police-stop-search")
    return _Table(frame, src.path, files, _file_sha(files), fmt, len(files) > 1, header)


def _read_geo_table(src: SourceConfig, fmt: str, path: Path) -> _Table:
    if not path.exists():
        raise InputDataError(f"{path}: file not found; expected a GeoJSON or GeoPackage file")
    if path.stat().st_size == 0:
        raise InputDataError(f"{path.name}: the file is empty; expected a {fmt} file")
    try:
        gdf = gpd.read_file(path, layer=src.layer) if src.layer else gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several DataSourceError/ValueError types
        raise InputDataError(
            f"{path.name}: cannot read as {fmt} ({str(exc).splitlines()[0]}); expected a "
            "GeoJSON or GeoPackage file with point or polygon features"
        ) from exc
    crs = src.crs or (gdf.crs.to_string() if gdf.crs is not None else None)
    if crs is None:
        raise InputDataError(
            f'{path.name}: the file has no CRS; set crs = "EPSG:4326" (or its CRS) in the source'
        )
    geom = gdf.geometry
    missing = geom.isna() | geom.is_empty
    pts = geom.copy()
    not_point = ~missing & (geom.geom_type != "Point")
    if not_point.any():
        pts[not_point] = geom[not_point].representative_point()
    xs = np.where(missing, np.nan, pts.x.where(~missing))
    ys = np.where(missing, np.nan, pts.y.where(~missing))
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    frame = pd.DataFrame(index=range(len(gdf)))
    for col in attrs.columns:
        s = attrs[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(s):
            text = s.map(lambda v: "" if pd.isna(v) else v.isoformat())
        else:
            text = s.map(
                lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
            )
        frame[str(col)] = text.astype(str).to_numpy()
    frame["_x"] = (
        pd.Series(xs).map(lambda v: "" if not np.isfinite(v) else repr(float(v))).to_numpy()
    )
    frame["_y"] = (
        pd.Series(ys).map(lambda v: "" if not np.isfinite(v) else repr(float(v))).to_numpy()
    )
    frame["_line"] = np.arange(len(frame), dtype=np.int64) + 1
    frame["_file"] = path.name
    return _Table(frame, path, [path], _file_sha([path]), fmt, False, list(attrs.columns), crs)


# -- row checks -------------------------------------------------------------------------


class _Checker:
    """Collect the first failing reason of each row (vectorised)."""

    def __init__(self, table: _Table, name: str) -> None:
        self.table = table
        self.name = name
        n = len(table.frame)
        self.reason = np.full(n, None, dtype=object)
        self.column = np.full(n, "", dtype=object)
        self.value = np.full(n, "", dtype=object)

    @property
    def ok(self) -> np.ndarray:
        return np.equal(self.reason, None)

    def reject(self, mask: Any, reason: str, column: str, values: Any) -> None:
        m = np.asarray(mask, dtype=bool) & self.ok
        if not m.any():
            return
        self.reason[m] = reason
        self.column[m] = column
        vals = np.asarray(values, dtype=object) if not isinstance(values, str) else None
        self.value[m] = values if vals is None else vals[m]

    def rejects(self) -> pd.DataFrame:
        bad = ~self.ok
        f = self.table.frame
        return pd.DataFrame(
            {
                "source": self.name,
                "file": f["_file"].to_numpy()[bad],
                "line": f["_line"].to_numpy()[bad],
                "column": self.column[bad],
                "reason": self.reason[bad],
                "value": [str(v)[:200] for v in self.value[bad]],
            }
        )


def _col(frame: pd.DataFrame, name: str | None) -> pd.Series:
    """Return a column as stripped strings (police files are machine-written: not stripped)."""
    if name is None:
        return pd.Series("", index=frame.index, dtype=str)
    col = frame[name].astype(str)
    return col if frame.attrs.get("clean") else col.str.strip()


def _find_columns(
    table: _Table,
    src: SourceConfig,
    keys: Sequence[str],
    *,
    defaults: Mapping[str, str] | None = None,
) -> dict[str, str | None]:
    """Map the tool's field names to the table's columns (config first, then aliases)."""
    cols = [c for c in table.frame.columns if not c.startswith("_")]
    norm = {re.sub(r"[\s_]", "", c.lower()): c for c in cols}
    found: dict[str, str | None] = {}
    for key in keys:
        if key in src.columns:
            col = src.columns[key]
            if col not in table.frame.columns:
                raise InputDataError(
                    f"{table.path.name}: missing column {col!r} (columns.{key} in the config); "
                    f"the file has {', '.join(cols[:20])}"
                )
            found[key] = col
            continue
        if defaults and key in defaults and defaults[key] in table.frame.columns:
            found[key] = defaults[key]
            continue
        found[key] = next((norm[a] for a in _ALIASES.get(key, ()) if a in norm), None)
    return found


def _coords(
    chk: _Checker, frame: pd.DataFrame, xcol: str, ycol: str, crs: str, labels: tuple[str, str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Parse coordinates; reject missing, non-numeric, 0/0 and out-of-range values.

    Returns x, y (in ``crs``) and their longitude/latitude. Every kept row has finite,
    valid longitude/latitude (so no later step meets an infinite or absurd point). Longitude
    and latitude that are out of range but valid exchanged are rejected as swapped, and a
    file where nearly all are is refused (see :data:`SWAPPED_SHARE`).
    """
    xs = _col(frame, xcol)
    ys = _col(frame, ycol)
    label = f"{labels[0]}/{labels[1]}"
    shown = (xs + "," + ys).to_numpy()
    chk.reject(xs.isin(_NA_ANY_CASE) | ys.isin(_NA_ANY_CASE), R_MISSING_XY, label, shown)
    x = pd.to_numeric(xs, errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(ys, errors="coerce").to_numpy(dtype=float)
    chk.reject(~np.isfinite(x) | ~np.isfinite(y), R_BAD_XY, label, shown)
    chk.reject((x == 0) & (y == 0), R_ZERO_XY, label, shown)
    try:
        crs_obj = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise ConfigError(f'source {chk.name}: unknown crs {crs!r} (e.g. "EPSG:27700")') from exc
    located = chk.ok
    fx, fy = np.where(located, x, 0.0), np.where(located, y, 0.0)
    if crs_obj.is_geographic:
        lon, lat = fx, fy
        out = (np.abs(lon) > 180) | (np.abs(lat) > 90)
        swapped = located & out & (np.abs(lat) <= 180) & (np.abs(lon) <= 90)
        if swapped.any() and swapped.sum() >= SWAPPED_SHARE * located.sum():
            raise _swap_error(
                chk.table.path.name, int(swapped.sum()), int(located.sum()),
                "the valid range (latitude -90..90)", True, labels, crs,
            )  # fmt: skip
        chk.reject(swapped, R_SWAPPED_LONLAT, label, shown)
    else:
        to_lonlat = pyproj.Transformer.from_crs(crs_obj, "EPSG:4326", always_xy=True)
        with np.errstate(invalid="ignore", over="ignore"):
            lon, lat = (np.asarray(v, dtype=float) for v in to_lonlat.transform(fx, fy))
        out = ~np.isfinite(lon) | ~np.isfinite(lat) | (np.abs(lon) > 180) | (np.abs(lat) > 90)
    chk.reject(out, R_RANGE_XY, label, shown)
    return x, y, lon, lat


def _swap_error(
    name: str, k: int, n: int, where: str, lonlat: bool, labels: tuple[str, str], crs: str
) -> InputDataError:
    """Return the error for a file whose two coordinate columns look exchanged, with the fix."""
    xcol, ycol = labels
    axes = "longitude and latitude" if lonlat else "x and y"
    if xcol == "geometry":
        what = "the geometry's x and y"
        fix = "export the file again with x = longitude (easting) and y = latitude (northing)"
    elif lonlat:
        what = f"the columns {xcol!r} (read as longitude) and {ycol!r} (read as latitude)"
        fix = f'set columns = {{ lon = "{ycol}", lat = "{xcol}" }} in the source'
    else:
        what = f"the columns {xcol!r} (read as x, easting) and {ycol!r} (read as y, northing)"
        fix = (
            f'set columns = {{ x = "{ycol}", y = "{xcol}" }} in the source; if the numbers are '
            f"not in {crs}, set the source's crs instead (--crs on the command line)"
        )
    if where == "Great Britain":
        fix += (
            "; if the points really lie outside Great Britain, set [area] crs to their local "
            'CRS (e.g. "EPSG:32740")'
        )
    return InputDataError(
        f"{name}: {k:,} of {n:,} located rows lie outside {where} but inside it with {axes} "
        f"exchanged: {what} look swapped; {fix}"
    )


def _coordinate_overrides(
    table: _Table, src: SourceConfig, cols: dict[str, str | None]
) -> dict[str, str | None]:
    """Re-map a fixed format's coordinate columns by the source's ``columns`` (swaps)."""
    keys = [k for k in ("x", "y", "lat", "lon") if k in src.columns]
    if not keys:
        return cols
    found = _find_columns(table, src, keys)
    return {**cols, **found}


def _ids(
    chk: _Checker, frame: pd.DataFrame, col: str | None, name: str, multi: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Return ids (generated where empty) and a mask of generated ones."""
    raw = _col(frame, col).to_numpy(dtype=object)
    empty = np.asarray(raw == "", dtype=bool)
    if multi:
        gen = (name + ":" + frame["_file"].astype(str) + ":" + frame["_line"].astype(str)).to_numpy(
            dtype=object
        )
    else:
        gen = (name + ":" + frame["_line"].astype(str)).to_numpy(dtype=object)
    return np.where(empty, gen, raw), empty


def _norm_phase(values: pd.Series) -> np.ndarray:
    """Phases in the vocabulary of :data:`corridors.load.osm.PHASES` ("Elementary" -> primary)."""
    low = values.astype(str).str.strip().str.lower()
    mapping = {v: _PHASE_ALIASES.get(v) or osm.normalise_phase(v) for v in low.unique()}
    return low.map(mapping).to_numpy(dtype=object)


# -- per-format parsers ------------------------------------------------------------------


def _parse_schools(table: _Table, src: SourceConfig, name: str) -> _Parsed:
    f = table.frame
    chk = _Checker(table, name)
    fmt = table.fmt
    if fmt == "gias":
        cols: dict[str, str | None] = {
            "id": "URN", "name": "EstablishmentName", "phase": "PhaseOfEducation (name)",
            "status": "EstablishmentStatus (name)", "x": "Easting", "y": "Northing",
            "lat": None, "lon": None,
        }  # fmt: skip
        cols = _coordinate_overrides(table, src, cols)
        crs = src.crs or "EPSG:27700"
    elif fmt == "edubase":
        cols = {
            "id": "URN", "name": "Establishment name", "phase": "Phase of education",
            "status": "Establishment status" if "Establishment status" in f.columns else None,
            "x": "X" if "X" in f.columns else None, "y": "Y" if "Y" in f.columns else None,
            "lat": None, "lon": None,
        }  # fmt: skip
        crs = src.crs or "EPSG:27700"
        if src.geocode is not None:
            geo = _read_csv_file(src.geocode, encoding=None, fallback="cp1252", what="a CSV of X,Y")
            gx = src.columns.get("x", "X")
            gy = src.columns.get("y", "Y")
            for c in (gx, gy):
                if c not in geo.columns:
                    raise InputDataError(
                        f"{src.geocode.name}: missing column {c!r}; the geocode file of an EduBase "
                        "source has X, Y (one row per school, in the same order)"
                    )
            if len(geo) != len(f):
                raise InputDataError(
                    f"{src.geocode.name}: {len(geo)} rows but {table.path.name} has {len(f)}; "
                    "the geocode file must be row-aligned with the schools file"
                )
            f = f.copy()
            f["_gx"] = geo[gx].to_numpy()
            f["_gy"] = geo[gy].to_numpy()
            table.frame = f
            cols["x"], cols["y"] = "_gx", "_gy"
        else:
            cols = _coordinate_overrides(table, src, cols)
            xcol = cols["x"]
            if xcol is None or f[xcol].str.strip().str.lower().isin(_NA_STRINGS).all():
                raise InputDataError(
                    f"{table.path.name}: no X/Y coordinates (columns missing or empty in every "
                    "row); give the row-aligned geocode file as "
                    'geocode = "geocoded_schools.csv" in the source'
                )
    else:
        cols = _find_columns(
            table,
            src,
            ("id", "name", "phase", "status", "x", "y", "lat", "lon"),
            defaults={"x": "_x", "y": "_y"} if table.crs else None,
        )
        crs = table.crs or src.crs or "EPSG:4326"
    return _finish_parse("schools", table, src, name, chk, cols, crs)


def _parse_hubs(table: _Table, src: SourceConfig, name: str) -> _Parsed:
    chk = _Checker(table, name)
    cols = _find_columns(
        table,
        src,
        ("id", "name", "kind", "x", "y", "lat", "lon"),
        defaults={"x": "_x", "y": "_y"} if table.crs else None,
    )
    crs = table.crs or src.crs or "EPSG:4326"
    return _finish_parse("hubs", table, src, name, chk, cols, crs)


def _parse_incidents(
    table: _Table, src: SourceConfig, name: str, tz: str, limit: _DateLimit
) -> _Parsed:
    chk = _Checker(table, name)
    fmt = table.fmt
    if fmt == "police-street":
        cols: dict[str, str | None] = {
            "id": "Crime ID", "offence": "Crime type", "month": "Month",
            "lon": "Longitude", "lat": "Latitude", "x": None, "y": None,
            "location": "Location" if "Location" in table.frame.columns else None,
        }  # fmt: skip
        cols = _coordinate_overrides(table, src, cols)
        crs = "EPSG:4326"
    elif fmt == "police-stop-search":
        cols = {
            "id": None, "offence": "Object of search", "datetime": "Date",
            "lon": "Longitude", "lat": "Latitude", "x": None, "y": None,
        }  # fmt: skip
        cols = _coordinate_overrides(table, src, cols)
        crs = "EPSG:4326"
    else:
        keys = (
            "id",
            "offence",
            "datetime",
            "date",
            "time",
            "year",
            "month",
            "day",
            "hour",
            "minute",
            "x",
            "y",
            "lat",
            "lon",
        )
        cols = _find_columns(
            table, src, keys, defaults={"x": "_x", "y": "_y"} if table.crs else None
        )
        if cols.get("offence") is None:
            raise InputDataError(
                f"{table.path.name}: no offence column; map it with columns = {{offence = "
                f'"<column>"}}; the file has {", ".join(table.header[:20])}'
            )
        crs = table.crs or src.crs or "EPSG:4326"
    return _finish_parse("incidents", table, src, name, chk, cols, crs, tz=tz, limit=limit)


def _when(
    chk: _Checker,
    f: pd.DataFrame,
    cols: Mapping[str, str | None],
    fmt: str,
    src: SourceConfig,
    tz: str,
    limit: _DateLimit | None = None,
    notes: list[str] | None = None,
    warned: list[str] | None = None,
) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """Return (occurred_at in ``tz``, month strings, time_known); reject dates out of range.

    Dates come from, in this order: a datetime column; a date column, or year + month + day
    columns, with a time column or hour (+ minute) columns (without them the time of day is
    unknown); year + month columns (month only); a month column (month only).
    ``src.date_format`` parses every date, datetime and month text of the source when given.
    Dates before :data:`EARLIEST_DATE` or after ``limit.last`` are rejected; ``notes`` and
    ``warned`` (dates that look wrongly mapped) collect what the report should say.
    """
    n = len(f)
    nat = pd.DatetimeIndex([pd.NaT] * n).tz_localize(tz)
    src_tz = src.timezone or tz
    limit = limit or _DateLimit.of(None, tz)
    notes = notes if notes is not None else []
    warned = warned if warned is not None else []
    dt_col, date_col, month_col = cols.get("datetime"), cols.get("date"), cols.get("month")
    year_col, day_col = cols.get("year"), cols.get("day")
    time_col, hour_col, minute_col = cols.get("time"), cols.get("hour"), cols.get("minute")
    if dt_col is not None:
        text = _col(f, dt_col)
        _refuse_years_only(chk, text, dt_col, "datetime")
        _reject_text_years(chk, text, dt_col, limit)
        # stop-and-search Dates are UTC (with an offset); other files are in the source's zone
        zone = (src.timezone or "UTC") if fmt == "police-stop-search" else src_tz
        local = _parse_local(chk, text, dt_col, src.date_format, zone, tz)
        _reject_range(chk, local, dt_col, text.to_numpy(), limit)
        _suspect(chk, local, dt_col, warned, times=True)
        month = local.strftime("%Y-%m").to_numpy(dtype=object)
        return local, month, np.ones(n, dtype=bool)
    if date_col is not None or (year_col is not None and day_col is not None):
        if date_col is not None:
            dtext = _col(f, date_col)
            _refuse_years_only(chk, dtext, date_col, "date")
            _reject_text_years(chk, dtext, date_col, limit)
            day = _parse_date(dtext, src.date_format)
            chk.reject(day.isna().to_numpy(), R_BAD_DATE, date_col, dtext.to_numpy())
            dlabel = date_col
        else:
            assert year_col is not None and day_col is not None
            day, dtext, dlabel = _year_month_day(chk, f, year_col, month_col, day_col, limit)
        if time_col is None and hour_col is None:
            _reject_range(chk, day, dlabel, dtext.to_numpy(), limit)
            _suspect(chk, day, dlabel, warned, times=False)
            month = pd.DatetimeIndex(day).strftime("%Y-%m").to_numpy(dtype=object)
            return nat, month, np.zeros(n, dtype=bool)
        if time_col is not None:
            ttext = _col(f, time_col)
            parts = ttext.str.extract(r"^(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?$")
            hour = pd.to_numeric(parts[0], errors="coerce")
            minute = pd.to_numeric(parts[1], errors="coerce")
            second = pd.to_numeric(parts[2], errors="coerce").fillna(0)
            bad_col, bad_val = time_col, ttext.to_numpy()
        else:
            htext = _col(f, hour_col)
            mtext = _col(f, minute_col) if minute_col else pd.Series("0", index=f.index)
            hour = pd.to_numeric(htext, errors="coerce")
            minute = pd.to_numeric(mtext, errors="coerce")
            second = pd.Series(0.0, index=f.index)
            bad_col, bad_val = f"{hour_col}/{minute_col}", (htext + ":" + mtext).to_numpy()
        bad = (
            hour.isna() | minute.isna() | (hour < 0) | (hour > 23) | (minute < 0) | (minute > 59)
        ).to_numpy()
        chk.reject(bad, R_BAD_TIME, bad_col, bad_val)
        offset = pd.to_timedelta(hour.fillna(0) * 3600 + minute.fillna(0) * 60 + second, unit="s")
        naive = pd.DatetimeIndex(day + offset.to_numpy())
        shown = (dtext + " " + pd.Series(bad_val, index=f.index).astype(str)).to_numpy()
        local = _localize(chk, naive, src_tz, tz, f"{dlabel}+{bad_col}", shown)
        _reject_range(chk, local, f"{dlabel}+{bad_col}", shown, limit)
        _suspect(chk, local, f"{dlabel}+{bad_col}", warned, times=True)
        month = local.strftime("%Y-%m").to_numpy(dtype=object)
        return local, month, np.ones(n, dtype=bool)
    if year_col is not None:
        clocks = [k for k in ("time", "hour", "minute") if k in src.columns]
        if clocks:
            raise InputDataError(
                f"{chk.table.path.name}: columns.{clocks[0]} needs the day of the month: map "
                "columns.day too (or columns.date)"
            )
        month, shown, label = _year_month(chk, f, year_col, month_col)
        _reject_month_range(chk, month, label, shown, limit)
        return nat, month, np.zeros(n, dtype=bool)
    if month_col is not None:
        mtext = _col(f, month_col)
        month, normalised = _parse_months(mtext, src.date_format)
        chk.reject(month == "", R_BAD_MONTH, month_col, mtext.to_numpy())
        _reject_month_range(chk, month, month_col, mtext.to_numpy(), limit)
        done = normalised & chk.ok
        if done.any():
            example = mtext.to_numpy()[np.flatnonzero(done)[0]]
            note = (
                f"{int(done.sum()):,} {month_col!r} values normalised to YYYY-MM from the "
                f"forms spreadsheets write (e.g. {example!r})"
            )
            notes.append(note)
            logger.info("%s: %s", chk.name, note)
        return nat, month.to_numpy(dtype=object), np.zeros(n, dtype=bool)
    raise InputDataError(
        f"{chk.table.path.name}: no date column; map one of columns.datetime, columns.date "
        "(+ time, or hour + minute), columns.year + month (+ day, hour, minute) or "
        "columns.month in the source"
    )


_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_MONTH_NAMES = {
    name: number
    for number, full in enumerate(_MONTHS, start=1)
    for name in (full, full[:3], *(("sept",) if number == 9 else ()))
}


def _year_of(two_or_four: pd.Series) -> pd.Series:
    """Years from 2- or 4-digit text (2 digits: 69-99 -> 19xx, else 20xx, as strptime)."""
    year = pd.to_numeric(two_or_four, errors="coerce")
    short = two_or_four.str.len() == 2
    return year.where(~short, year + np.where(year < 69, 2000, 1900))


def _month_forms(text: pd.Series) -> pd.Series:
    """``YYYY-MM`` from the forms a spreadsheet writes a month in ("" where none fits).

    ``2025-02-01`` (and ``2025-02-01 00:00:00``), ``2025/02``, ``02/2025``, ``2-2025``,
    ``Feb-25``, ``Feb 2025``, ``February 2025``, ``feb.25``.
    """
    year = pd.Series(np.nan, index=text.index)
    month = pd.Series(np.nan, index=text.index)
    ymd = text.str.extract(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
    ok = ymd[0].notna()
    if ok.any():  # a whole date: the day must exist
        parts = ymd[ok].astype(int).set_axis(["year", "month", "day"], axis=1)
        valid = pd.to_datetime(parts, errors="coerce").notna()
        year[ok] = parts["year"].where(valid)
        month[ok] = parts["month"].where(valid)
    for pattern, y_at, m_at in (
        (r"^(\d{4})[-/.](\d{1,2})$", 0, 1),
        (r"^(\d{1,2})[-/.](\d{4})$", 1, 0),
        (r"^([A-Za-z]{3,9})\.?[-\s/'.]*(\d{4}|\d{2})$", 1, 0),
    ):
        todo = year.isna() & month.isna()
        found = text[todo].str.extract(pattern)
        hit = found[0].notna()
        if not hit.any():
            continue
        idx = found.index[hit]
        year[idx] = _year_of(found.loc[hit, y_at])
        raw_month = found.loc[hit, m_at]
        names = raw_month.str.lower().map(_MONTH_NAMES)
        month[idx] = pd.to_numeric(raw_month, errors="coerce").fillna(names)
    good = year.notna() & month.between(1, 12)
    out = pd.Series("", index=text.index, dtype=object)
    if good.any():
        pairs = zip(year[good], month[good], strict=True)
        out[good] = [f"{int(y):04d}-{int(m):02d}" for y, m in pairs]
    return out


def _parse_months(text: pd.Series, fmt: str | None) -> tuple[pd.Series, np.ndarray]:
    """Month text -> ``YYYY-MM`` ("" where unreadable), and which rows were not in that form.

    ``YYYY-MM`` is always read; other text with ``fmt`` when given, else in the forms of
    :func:`_month_forms`.
    """
    s = text.astype(str).str.strip()
    canon = s.str.fullmatch(r"\d{4}-(?:0[1-9]|1[0-2])").to_numpy(dtype=bool)
    out = pd.Series(np.where(canon, s, ""), index=text.index, dtype=object)
    todo = ~canon & (s != "").to_numpy(dtype=bool)
    if todo.any():
        t = s[todo]
        if fmt:
            stamps = pd.to_datetime(t, format=fmt, errors="coerce")
            got = pd.Series(pd.DatetimeIndex(stamps).strftime("%Y-%m"), index=t.index)
            got = got.fillna("").astype(str).replace("NaT", "")
        else:
            got = _month_forms(t)
        out[todo] = got.to_numpy()
    return out, todo & (out != "").to_numpy(dtype=bool)


def _month_numbers(mtext: pd.Series, year: pd.Series) -> pd.Series:
    """Month numbers (1-12) from numbers or English names, or from a whole month of ``year``."""
    num = pd.to_numeric(mtext, errors="coerce")
    num = num.where((num == num.round()) & num.between(1, 12))
    num = num.fillna(mtext.str.lower().str.rstrip(".").map(_MONTH_NAMES))
    rest = num.isna() & (mtext != "")
    if rest.any():  # "2024-05" or "May 2024" in the month column: its year must agree
        whole, _ = _parse_months(mtext[rest], None)
        same = pd.to_numeric(whole.str[:4], errors="coerce") == year[rest]
        num[rest] = pd.to_numeric(whole.str[5:7], errors="coerce").where(same)
    return num


def _year_numbers(ytext: pd.Series) -> pd.Series:
    year = pd.to_numeric(ytext, errors="coerce")
    return year.where((year == year.round()) & year.between(1, 9999))


def _year_month(
    chk: _Checker, f: pd.DataFrame, year_col: str, month_col: str | None
) -> tuple[np.ndarray, np.ndarray, str]:
    """Month strings from year and month columns (no day: month-only records)."""
    if month_col is None:
        raise InputDataError(
            f"{chk.table.path.name}: columns.year needs columns.month (a number or a name)"
        )
    ytext, mtext = _col(f, year_col), _col(f, month_col)
    year = _year_numbers(ytext)
    month = _month_numbers(mtext, year)
    chk.reject(year.isna().to_numpy(), R_BAD_DATE, year_col, ytext.to_numpy())
    chk.reject(month.isna().to_numpy(), R_BAD_MONTH, month_col, mtext.to_numpy())
    good = (year.notna() & month.notna()).to_numpy()
    out = np.full(len(f), "", dtype=object)
    pairs = zip(year[good], month[good], strict=True)
    out[good] = [f"{int(y):04d}-{int(m):02d}" for y, m in pairs]
    return out, (ytext + "-" + mtext).to_numpy(), f"{year_col}/{month_col}"


def _year_month_day(
    chk: _Checker,
    f: pd.DataFrame,
    year_col: str,
    month_col: str | None,
    day_col: str,
    limit: _DateLimit,
) -> tuple[pd.Series, pd.Series, str]:
    """Dates from year, month and day columns; the shown text and the columns' label."""
    month_str, _, _ = _year_month(chk, f, year_col, month_col)
    ytext, dtext = _col(f, year_col), _col(f, day_col)
    year = _year_numbers(ytext)
    shown = ytext + "-" + _col(f, str(month_col)) + "-" + dtext
    label = f"{year_col}/{month_col}/{day_col}"
    chk.reject((year < EARLIEST_DATE.year).to_numpy(), R_OLD_DATE, label, shown.to_numpy())
    chk.reject((year > limit.last.year).to_numpy(), limit.reason, label, shown.to_numpy())
    day_num = pd.to_numeric(dtext, errors="coerce")
    day_num = day_num.where((day_num == day_num.round()) & day_num.between(1, 31))
    parts = pd.DataFrame(
        {
            "year": year.where(chk.ok),
            "month": pd.to_numeric(pd.Series(month_str, index=f.index).str[5:7], errors="coerce"),
            "day": day_num,
        }
    )
    whole = parts.notna().all(axis=1)
    day = pd.Series(pd.NaT, index=f.index, dtype="datetime64[ns]")
    if whole.any():
        day[whole] = pd.to_datetime(parts[whole].astype(int), errors="coerce")
    chk.reject(day.isna().to_numpy(), R_BAD_DATE, day_col, dtext.to_numpy())
    return day, shown, label


def _refuse_years_only(chk: _Checker, text: pd.Series, col: str, key: str) -> None:
    """Refuse a date column that holds only years (it would date every row 1 January)."""
    filled = text[text != ""]
    if len(filled) and filled.str.fullmatch(r"\d{4}").all():
        raise InputDataError(
            f"{chk.table.path.name}: column {col!r} (columns.{key}) holds years only (e.g. "
            f"{filled.iloc[0]!r}), not dates; map the parts instead: columns = {{ year = "
            f'"{col}", month = "<month column>", day = "<day column>" }} (day optional)'
        )


def _reject_text_years(chk: _Checker, text: pd.Series, col: str, limit: _DateLimit) -> None:
    """Reject dates whose written year alone is out of range (pandas cannot hold 0001-01-01)."""
    found = text.str.extract(
        r"^(?:(\d{4})[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](\d{4}))(?:\D|$)"
    )
    year = pd.to_numeric(found[0].fillna(found[1]), errors="coerce")
    chk.reject((year < EARLIEST_DATE.year).to_numpy(), R_OLD_DATE, col, text.to_numpy())
    chk.reject((year > limit.last.year).to_numpy(), limit.reason, col, text.to_numpy())


def _wall_days(stamps: Any) -> pd.DatetimeIndex:
    """Local calendar days of naive or tz-aware timestamps (NaT kept)."""
    index = pd.DatetimeIndex(stamps)
    if index.tz is not None:
        index = index.tz_localize(None)
    return index.normalize()


def _reject_range(
    chk: _Checker, stamps: Any, col: str, shown: np.ndarray, limit: _DateLimit
) -> None:
    """Reject dates before :data:`EARLIEST_DATE` or after ``limit.last``."""
    days = _wall_days(stamps)
    chk.reject(np.asarray(days < pd.Timestamp(EARLIEST_DATE)), R_OLD_DATE, col, shown)
    chk.reject(np.asarray(days > pd.Timestamp(limit.last)), limit.reason, col, shown)


def _reject_month_range(
    chk: _Checker, month: Any, col: str, shown: np.ndarray, limit: _DateLimit
) -> None:
    """Reject months before 1990-01, or that begin after ``limit.last``."""
    m = pd.Series(np.asarray(month, dtype=object)).astype(str)
    filled = (m != "").to_numpy()
    chk.reject(filled & (m < EARLIEST_DATE.strftime("%Y-%m")).to_numpy(), R_OLD_DATE, col, shown)
    late = filled & (m > limit.last.strftime("%Y-%m")).to_numpy()
    chk.reject(late, limit.reason, col, shown)


def _suspect(chk: _Checker, stamps: Any, col: str, warned: list[str], *, times: bool) -> None:
    """Note dates that look wrongly mapped: every one the same day, or every time midnight."""
    index = pd.DatetimeIndex(stamps)
    ok = chk.ok & np.asarray(index.notna())
    n = int(ok.sum())
    if n < _MIN_SUSPECT_ROWS:
        return
    local = index[ok]
    days = _wall_days(local)
    if days.nunique() == 1:
        warned.append(
            f"all {n:,} dates from {col!r} are the same day ({days[0]:%Y-%m-%d}): check the "
            "source's columns mapping (a year, or the date of the report, read as the date?)"
        )
    if times and ((local.hour == 0) & (local.minute == 0)).all():
        warned.append(
            f"every one of the {n:,} times from {col!r} is midnight (00:00): the column "
            "seems to hold dates only, which puts every incident outside the after-school "
            "window; map the time of day (columns.time, or hour and minute) if the file has it"
        )


_ISO_DAY = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:$|[T ])")  # a year or "2024-05" is not a date


def _parse_date(text: pd.Series, fmt: str | None) -> pd.Series:
    if fmt:
        return pd.to_datetime(text, format=fmt, errors="coerce")
    iso = text.where(text.str.match(_ISO_DAY), "")
    day = pd.to_datetime(iso, format="ISO8601", errors="coerce")
    miss = day.isna() & (text != "")
    if miss.any():  # UK style day first
        for alt in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
            day = day.where(~miss, pd.to_datetime(text.where(miss), format=alt, errors="coerce"))
            miss = day.isna() & (text != "")
            if not miss.any():
                break
    return day


_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def _parse_local(
    chk: _Checker, text: pd.Series, col: str, fmt: str | None, src_tz: str, tz: str
) -> pd.DatetimeIndex:
    has_offset = text.str.contains(_OFFSET, regex=True).to_numpy(dtype=bool)
    out = pd.Series(pd.NaT, index=text.index, dtype=f"datetime64[ns, {tz}]")
    if has_offset.any():
        aware = pd.to_datetime(text[has_offset], format="ISO8601", utc=True, errors="coerce")
        out[has_offset] = aware.dt.tz_convert(tz).astype(out.dtype)
    naive_mask = ~has_offset
    bad = np.zeros(len(text), dtype=bool)
    if naive_mask.any():
        t = text[naive_mask]
        if fmt:
            naive = pd.to_datetime(t, format=fmt, errors="coerce")
        else:
            iso = t.where(t.str.match(_ISO_DAY), "")
            naive = pd.to_datetime(iso, format="ISO8601", errors="coerce")
            miss = naive.isna() & (t != "")
            for alt in ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d-%m-%Y %H:%M"):
                if not miss.any():
                    break
                naive = naive.where(
                    ~miss, pd.to_datetime(t.where(miss), format=alt, errors="coerce")
                )
                miss = naive.isna() & (t != "")
        bad[naive_mask] = naive.isna().to_numpy()
        chk.reject(bad, R_BAD_DATE, col, text.to_numpy())
        local = _localize(
            chk,
            pd.DatetimeIndex(naive),
            src_tz,
            tz,
            col,
            t.to_numpy(),
            positions=np.flatnonzero(naive_mask),
        )
        out[naive_mask] = local
    chk.reject(out.isna().to_numpy() & has_offset, R_BAD_DATE, col, text.to_numpy())
    return pd.DatetimeIndex(out)


def _localize(
    chk: _Checker,
    naive: pd.DatetimeIndex,
    src_tz: str,
    tz: str,
    col: str,
    shown: np.ndarray,
    positions: np.ndarray | None = None,
) -> pd.DatetimeIndex:
    """Local wall-clock times -> tz-aware; a time skipped by the clock change is rejected.

    A time that happens twice (the autumn change) is taken as the first (summer-time) one.
    """
    if naive.tz is not None:
        return naive.tz_convert(tz)
    aware = naive.tz_localize(src_tz, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="NaT")
    skipped = np.asarray(aware.isna() & ~naive.isna())
    if skipped.any():
        mask = np.zeros(len(chk.table.frame), dtype=bool)
        vals = np.full(len(chk.table.frame), "", dtype=object)
        pos = positions if positions is not None else np.arange(len(naive))
        mask[pos[skipped]] = True
        vals[pos] = shown
        chk.reject(mask, R_NO_TIME, col, vals)
    return aware.tz_convert(tz)


def _finish_parse(
    kind: str,
    table: _Table,
    src: SourceConfig,
    name: str,
    chk: _Checker,
    cols: Mapping[str, str | None],
    crs: str,
    *,
    tz: str = "Europe/London",
    limit: _DateLimit | None = None,
) -> _Parsed:
    f = table.frame
    data_cols = [c for c in f.columns if not c.startswith("_")]
    if len(f) and data_cols:
        empty = np.ones(len(f), dtype=bool)
        for c in data_cols:
            empty &= (f[c] == "").to_numpy(dtype=bool)
        chk.reject(empty, R_EMPTY_ROW, "", "")
    # coordinates: x/y (with a CRS) first; lat/lon when a plain CSV gives no CRS
    has_lonlat = bool(cols.get("lat") and cols.get("lon"))
    no_crs = table.crs is None and src.crs is None and table.fmt == "csv"
    if cols.get("x") and cols.get("y") and not (no_crs and has_lonlat):
        if no_crs:
            raise InputDataError(
                f"{table.path.name}: coordinates in {cols['x']!r}/{cols['y']!r} need a CRS; "
                'set crs = "EPSG:27700" (or the file\'s CRS) in the source'
            )
        xcol, ycol = str(cols["x"]), str(cols["y"])
        labels = {"_x": "geometry", "_y": "geometry", "_gx": "X", "_gy": "Y"}
        labels_xy = (labels.get(xcol, xcol), labels.get(ycol, ycol))
    elif has_lonlat:
        xcol, ycol = str(cols["lon"]), str(cols["lat"])
        labels_xy = (xcol, ycol)
        crs = table.crs or ("EPSG:4326" if table.fmt != "csv" or not src.crs else src.crs)
    else:
        raise InputDataError(
            f"{table.path.name}: no coordinate columns; map lat/lon (or x/y with crs) in the "
            f"source's columns; the file has {', '.join(table.header[:20])}"
        )
    x, y, lon, lat = _coords(chk, f, xcol, ycol, crs, labels_xy)
    located = np.column_stack([lon, lat])[chk.ok]
    out = pd.DataFrame(index=f.index)
    notes: list[str] = []
    warned: list[str] = []
    id_col = cols.get("id")
    ids, generated = _ids(chk, f, id_col, name, table.multi)
    if kind == "schools":
        out[SCHOOL_ID] = ids
        out[NAME] = _col(f, cols.get("name")).to_numpy(dtype=object)
        out[PHASE] = _norm_phase(_col(f, cols.get("phase")))
        if cols.get("status"):
            status = _col(f, cols["status"])
            chk.reject(
                status.str.lower().eq("closed").to_numpy(),
                R_CLOSED,
                str(cols["status"]),
                status.to_numpy(),
            )
        if table.fmt in ("gias", "edubase"):
            chk.reject(generated, R_NO_ID, str(id_col), "")
    elif kind == "hubs":
        out[HUB_ID] = ids
        out[NAME] = _col(f, cols.get("name")).to_numpy(dtype=object)
        kinds = _col(f, cols.get("kind")).str.lower()
        chk.reject(
            ~kinds.isin(HUB_KINDS).to_numpy(),
            R_NO_KIND,
            str(cols.get("kind") or "kind"),
            kinds.to_numpy(),
        )
        out[KIND] = kinds.to_numpy(dtype=object)
    else:
        offence_raw = _col(f, cols.get("offence"))
        if table.fmt == "police-stop-search":
            offence = ("Stop and search: " + offence_raw).where(offence_raw != "", "")
        else:
            offence = offence_raw
        chk.reject((offence_raw == "").to_numpy(), R_NO_OFFENCE, str(cols.get("offence")), "")
        when, month, known = _when(chk, f, cols, table.fmt, src, tz, limit, notes, warned)
        out[INCIDENT_ID] = ids
        out[OFFENCE] = offence.to_numpy(dtype=object)
        out[MONTH] = month
        out[OCCURRED_AT] = when
        out[TIME_KNOWN] = known
        out[LOCATION] = _col(f, cols.get("location")).to_numpy(dtype=object)
    out["_x"] = x
    out["_y"] = y
    out["_lon"] = lon
    out["_lat"] = lat
    out["_file"] = f["_file"].to_numpy()
    out["_line"] = f["_line"].to_numpy()
    keep = chk.ok
    return _Parsed(
        kind=kind,
        name=name,
        src=src,
        table_path=table.path,
        fmt=table.fmt,
        files=len(table.files),
        sha256=table.sha256,
        read=len(f),
        frame=out[keep].reset_index(drop=True),
        crs=crs,
        rejects=[chk.rejects()],
        id_col=str(id_col or ""),
        id_generated=np.asarray(generated)[keep],
        notes=notes + warned,
        warnings=warned,
        coords=labels_xy,
        located=located,
    )


def _parse_osm(
    src: SourceConfig, kind: str, name: str, path: Path, cache: dict[Path, Any] | None
) -> _Parsed:
    if cache is not None:
        key = path.resolve()
        if key not in cache:
            cache[key] = osm.read_osm_pois(path)
        gdf = cache[key][0 if kind == "schools" else 1]
    else:
        gdf = osm.read_osm_schools(path) if kind == "schools" else osm.read_osm_hubs(path)
    n = len(gdf)
    out = pd.DataFrame(index=range(n))
    ids = gdf[osm.OSM_ID].astype(str).to_numpy(dtype=object)
    names = gdf[osm.NAME].astype(str).to_numpy(dtype=object)
    unnamed = names == ""
    if kind == "schools":
        out[SCHOOL_ID] = ids
        out[NAME] = np.where(unnamed, "unnamed school (" + ids + ")", names)
        out[PHASE] = gdf[osm.PHASE].to_numpy(dtype=object)
    else:
        out[HUB_ID] = ids
        out[NAME] = np.where(
            unnamed,
            "unnamed " + gdf[osm.KIND].to_numpy(dtype=object) + " stop (" + ids + ")",
            names,
        )
        out[KIND] = gdf[osm.KIND].to_numpy(dtype=object)
    out["_x"] = gdf.geometry.x.to_numpy()
    out["_y"] = gdf.geometry.y.to_numpy()
    out["_lon"] = out["_x"]
    out["_lat"] = out["_y"]
    out["_file"] = path.name
    out["_line"] = np.arange(n, dtype=np.int64) + 1
    return _Parsed(
        kind, name, src, path, "osm", 1, _file_sha([path]), n, out, "EPSG:4326",
        [], "osm_id", np.zeros(n, dtype=bool),
    )  # fmt: skip


def _parse_source(
    src: SourceConfig,
    kind: str,
    tz: str,
    cache: dict[Path, Any] | None = None,
    limit: _DateLimit | None = None,
) -> _Parsed:
    if not isinstance(src, SourceConfig):
        src = SourceConfig(path=Path(src))
    name = src.name
    if name.endswith(".gz"):
        name = name[:-3]
    name = name[:-4] if name.endswith(".csv") else name
    fmt_hint = src.format
    text = str(src.path)
    if not any(ch in text for ch in "*?[") and not src.path.exists():
        raise InputDataError(f"{src.path}: file not found; check the {kind} source's path")
    files, root = _expand_paths(src, fmt_hint)
    fmt = _format_of(src, files[0])
    allowed = {
        "schools": ("gias", "edubase", "osm", "csv", "geojson", "gpkg"),
        "hubs": ("osm", "csv", "geojson", "gpkg"),
        "incidents": ("police-street", "police-stop-search", "csv", "geojson", "gpkg"),
    }[kind]
    if fmt not in allowed:
        raise InputDataError(
            f"{files[0].name}: format {fmt!r} cannot give {kind}; "
            f"expected one of {', '.join(allowed)}"
        )
    if fmt == "osm":
        return _parse_osm(src, kind, name, files[0], cache)
    if fmt in ("geojson", "gpkg"):
        table = _read_geo_table(src, fmt, files[0])
    else:
        table = _read_table(src, fmt, files, root)
    if kind == "schools":
        return _parse_schools(table, src, name)
    if kind == "hubs":
        return _parse_hubs(table, src, name)
    return _parse_incidents(table, src, name, tz, limit or _DateLimit.of(None, tz))


# -- projection, study area, reports -------------------------------------------------------


def _to_lonlat(parsed: _Parsed) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of a parsed source's rows (checked finite and valid)."""
    f = parsed.frame
    return f["_lon"].to_numpy(dtype=float), f["_lat"].to_numpy(dtype=float)


def _reference_extent(
    crs: str,
    *,
    study_area: BaseGeometry | None = None,
    boundary: Path | None = None,
    osm_file: Path | None = None,
) -> tuple[BaseGeometry | None, str]:
    """Return the extent (degrees) the sources' points should fall in, and its name.

    The study area (in ``crs``) or the boundary file, else the OSM file's bounds, else Great
    Britain when ``crs`` is "auto" or British National Grid, else the area of use of ``crs``.
    """
    if study_area is not None:
        return gpd.GeoSeries([study_area], crs=crs).to_crs("EPSG:4326").iloc[0], "the study area"
    if boundary is not None and boundary.exists():
        return study_area_from(crs="EPSG:4326", boundary=boundary), f"the boundary {boundary.name}"
    if osm_file is not None:
        return box(*osm.osm_bounds(osm_file)), f"the bounds of {osm_file.name}"
    if crs == "auto":
        return box(*GB_LONLAT), "Great Britain"
    try:
        crs_obj = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        return None, ""
    if crs_obj.to_epsg() == 27700:
        return box(*GB_LONLAT), "Great Britain"
    use = crs_obj.area_of_use
    if use is None:
        return None, ""
    return box(use.west, use.south, use.east, use.north), f"the area of use of {crs}"


def _check_swaps(parsed: _Parsed, ref: BaseGeometry | None, where: str) -> _Parsed:
    """Refuse a source whose two coordinates look exchanged; reject single rows that do.

    A row looks swapped when it lies outside ``ref`` (degrees), inside it with its two
    coordinates exchanged, and further from it than ``ref`` is wide (so an area near the
    diagonal x = y, where a swap moves a point only a little, is never judged). When that is
    :data:`SWAPPED_SHARE` of the rows or more, the columns are swapped: an error naming the
    fix. Fewer such rows are rejected one by one (R_SWAPPED_LONLAT / R_SWAPPED_XY).
    """
    f = parsed.frame
    if ref is None or ref.is_empty or parsed.fmt == "osm" or not len(f):
        return parsed
    lon, lat = _to_lonlat(parsed)
    x, y = f["_x"].to_numpy(dtype=float), f["_y"].to_numpy(dtype=float)
    crs_obj = pyproj.CRS.from_user_input(parsed.crs)
    lonlat = bool(crs_obj.is_geographic)
    shapely.prepare(ref)
    candidate = ~shapely.contains_xy(ref, lon, lat)
    if candidate.any():  # outside: inside the other way round?
        idx = np.flatnonzero(candidate)
        if lonlat:
            slon, slat = y[idx], x[idx]
        else:
            back = pyproj.Transformer.from_crs(crs_obj, "EPSG:4326", always_xy=True)
            with np.errstate(invalid="ignore", over="ignore"):
                slon, slat = (np.asarray(v, dtype=float) for v in back.transform(y[idx], x[idx]))
        finite = np.isfinite(slon) & np.isfinite(slat)
        candidate[idx] = finite & shapely.contains_xy(
            ref, np.where(finite, slon, 0.0), np.where(finite, slat, 0.0)
        )
    if candidate.any():
        idx = np.flatnonzero(candidate)
        west, south, east, north = ref.bounds
        wide = math.hypot(east - west, north - south)
        candidate[idx] = shapely.distance(ref, shapely.points(lon[idx], lat[idx])) > wide
    k, n = int(candidate.sum()), len(f)
    if not k:
        return parsed
    if k >= SWAPPED_SHARE * n:
        raise _swap_error(parsed.table_path.name, k, n, where, lonlat, parsed.coords, parsed.crs)
    logger.warning("%s: %d row(s) look swapped (outside %s)", parsed.name, k, where)
    rejects = pd.DataFrame(
        {
            "source": parsed.name,
            "file": f["_file"].to_numpy()[candidate],
            "line": f["_line"].to_numpy()[candidate],
            "column": "/".join(parsed.coords),
            "reason": R_SWAPPED_LONLAT if lonlat else R_SWAPPED_XY,
            "value": [f"{a:.6f},{b:.6f}" for a, b in zip(x[candidate], y[candidate], strict=True)],
        }
    )
    return replace(
        parsed,
        frame=f[~candidate].reset_index(drop=True),
        rejects=[*parsed.rejects, rejects],
        id_generated=parsed.id_generated[~candidate],
    )


def _project(
    parsed: _Parsed, crs: str, study_area: BaseGeometry | None
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Project to ``crs``, reject rows outside the area and duplicate ids."""
    f = parsed.frame
    tr = pyproj.Transformer.from_crs(parsed.crs, crs, always_xy=True)
    x, y = tr.transform(f["_x"].to_numpy(dtype=float), f["_y"].to_numpy(dtype=float))
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    reason = np.full(len(f), None, dtype=object)
    bad = ~np.isfinite(x) | ~np.isfinite(y)
    reason[bad] = R_RANGE_XY
    if study_area is not None and len(f):
        shapely.prepare(study_area)
        inside = shapely.contains_xy(study_area, np.where(bad, 0, x), np.where(bad, 0, y))
        reason[~bad & ~inside] = R_OUTSIDE
    id_col = {"schools": SCHOOL_ID, "hubs": HUB_ID, "incidents": INCIDENT_ID}[parsed.kind]
    ok = np.equal(reason, None)
    ids = f[id_col].to_numpy(dtype=object)
    dup = np.zeros(len(f), dtype=bool)
    if ok.any():
        dup[ok] = pd.Series(ids[ok]).duplicated(keep="first").to_numpy()
    reason[dup] = R_DUP_ID
    ok = np.equal(reason, None)
    bad_rows = ~ok
    column = np.where(reason == R_DUP_ID, parsed.id_col or id_col, "coordinates")
    shown = np.full(len(f), "", dtype=object)
    where = np.flatnonzero(bad_rows & (reason != R_DUP_ID))
    xs_in, ys_in = f["_x"].to_numpy(dtype=float), f["_y"].to_numpy(dtype=float)
    shown[where] = [f"{xs_in[i]:.6f},{ys_in[i]:.6f}" for i in where]
    value = np.where(reason == R_DUP_ID, ids, shown)
    rejects = pd.DataFrame(
        {
            "source": parsed.name,
            "file": f["_file"].to_numpy()[bad_rows],
            "line": f["_line"].to_numpy()[bad_rows],
            "column": column[bad_rows],
            "reason": reason[bad_rows],
            "value": value[bad_rows],
        }
    )
    keep = (
        f[ok]
        .drop(columns=["_x", "_y", "_lon", "_lat"])
        .rename(columns={"_file": SOURCE_FILE, "_line": SOURCE_LINE})
    )
    keep.insert(len(keep.columns) - 2, SOURCE, parsed.name)
    keep[SOURCE_LINE] = keep[SOURCE_LINE].astype("int64")
    gdf = gpd.GeoDataFrame(
        keep.reset_index(drop=True), geometry=gpd.points_from_xy(x[ok], y[ok]), crs=crs
    )
    return gdf, rejects


def _report(parsed: _Parsed, accepted: int, rejects: pd.DataFrame) -> SourceReport:
    counts = rejects["reason"].value_counts() if len(rejects) else pd.Series(dtype=int)
    return SourceReport(
        kind=parsed.kind,
        name=parsed.name,
        path=str(parsed.src.path),
        read=parsed.read,
        accepted=accepted,
        rejected={str(k): int(v) for k, v in counts.items()},
        sha256=parsed.sha256,
        format=parsed.fmt,
        files=parsed.files,
        optional=parsed.src.optional,
        notes=tuple(parsed.notes),
    )


def _empty_frame(kind: str, crs: str, tz: str) -> gpd.GeoDataFrame:
    cols: dict[str, Any] = {
        "schools": {SCHOOL_ID: [], NAME: [], PHASE: []},
        "hubs": {HUB_ID: [], NAME: [], KIND: []},
        "incidents": {
            INCIDENT_ID: [], OFFENCE: [], MONTH: [],
            OCCURRED_AT: pd.DatetimeIndex([], tz=tz), TIME_KNOWN: np.array([], dtype=bool),
            LOCATION: [],
        },
    }[kind]  # fmt: skip
    frame = pd.DataFrame(cols)
    frame[SOURCE_FILE] = pd.Series([], dtype=str)
    frame[SOURCE] = pd.Series([], dtype=str)
    frame[SOURCE_LINE] = pd.Series([], dtype="int64")
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def _combine(
    parsed: list[_Parsed], crs: str, study_area: BaseGeometry | None, tz: str
) -> tuple[gpd.GeoDataFrame, list[SourceReport], pd.DataFrame]:
    frames: list[gpd.GeoDataFrame] = []
    reports: list[SourceReport] = []
    all_rejects: list[pd.DataFrame] = []
    seen: set[str] = set()
    for p in parsed:
        gdf, rej = _project(p, crs, study_area)
        id_col = {"schools": SCHOOL_ID, "hubs": HUB_ID, "incidents": INCIDENT_ID}[p.kind]
        clash = gdf[id_col].isin(seen).to_numpy()
        if clash.any():  # the same id in an earlier source
            extra = pd.DataFrame(
                {
                    "source": p.name,
                    "file": gdf[SOURCE_FILE].to_numpy()[clash],
                    "line": gdf[SOURCE_LINE].to_numpy()[clash],
                    "column": p.id_col or id_col,
                    "reason": R_DUP_ID,
                    "value": gdf[id_col].to_numpy()[clash],
                }
            )
            rej = pd.concat([rej, extra], ignore_index=True)
            gdf = gdf[~clash].reset_index(drop=True)
        seen.update(gdf[id_col].tolist())
        rejects = pd.concat([*p.rejects, rej], ignore_index=True) if p.rejects else rej
        rejects = rejects.sort_values(["file", "line"], kind="stable", ignore_index=True)
        reports.append(_report(p, len(gdf), rejects))
        frames.append(gdf)
        all_rejects.append(rejects)
    kind = parsed[0].kind if parsed else "schools"
    nonempty = [f for f in frames if len(f)]
    if nonempty:
        frame = gpd.GeoDataFrame(
            pd.concat(nonempty, ignore_index=True), geometry="geometry", crs=crs
        )
    else:
        frame = _empty_frame(kind, crs, tz) if not frames else frames[0].iloc[0:0]
    rejects_all = _concat_rejects(all_rejects)
    return frame, reports, rejects_all


def _concat_rejects(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(
            {c: pd.Series([], dtype="int64" if c == "line" else str) for c in REJECT_COLUMNS}
        )
    out = pd.concat(frames, ignore_index=True)
    out["line"] = out["line"].astype("int64")
    for c in ("source", "file", "column", "reason", "value"):
        out[c] = out[c].astype(str)
    return out[list(REJECT_COLUMNS)]


def _as_sources(
    sources: SourceConfig | str | Path | Iterable[SourceConfig | str | Path],
) -> list[SourceConfig]:
    if isinstance(sources, (SourceConfig, str, Path)):
        sources = [sources]
    return [s if isinstance(s, SourceConfig) else SourceConfig(path=Path(s)) for s in sources]


def _auto_crs(
    crs: str, parsed: Sequence[_Parsed], study_area_lonlat: tuple[float, float] | None = None
) -> str:
    if crs != "auto":
        return crs
    if study_area_lonlat is not None:
        return choose_crs(*study_area_lonlat)
    # the rows kept; else (every row rejected, for dates say) the rows with usable coordinates
    for lonlat in [np.column_stack(_to_lonlat(p)) for p in parsed] + [p.located for p in parsed]:
        ok = np.isfinite(lonlat).all(axis=1)
        if ok.any():
            return choose_crs(float(np.median(lonlat[ok, 0])), float(np.median(lonlat[ok, 1])))
    which = ", ".join(f"{p.table_path.name} ({p.read:,} rows read)" for p in parsed) or "none"
    raise InputDataError(
        f'cannot choose area.crs = "auto": no row of any source has usable coordinates '
        f'(sources: {which}); give sources with located rows, or set [area] crs (e.g. "EPSG:27700")'
    )


def _load_kind(
    kind: str,
    sources: Any,
    *,
    crs: str,
    study_area: BaseGeometry | None,
    timezone: str,
    week_start: dt.date | None = None,
) -> tuple[gpd.GeoDataFrame, list[SourceReport], pd.DataFrame]:
    limit = _DateLimit.of(week_start, timezone)
    parsed = [_parse_source(s, kind, timezone, limit=limit) for s in _as_sources(sources)]
    _warn(parsed, stacklevel=4)
    ref, where = _reference_extent(crs, study_area=study_area if crs != "auto" else None)
    parsed = [_check_swaps(p, ref, where) for p in parsed]
    crs = _auto_crs(crs, parsed)
    frame, reports, rejects = _combine(parsed, crs, study_area, timezone)
    _log_reports(reports)
    return frame, reports, rejects


def _warn(parsed: Sequence[_Parsed], *, stacklevel: int) -> None:
    """Raise each source's suspicions as a DateMappingWarning (the caller's line)."""
    for p in parsed:
        for text in p.warnings:
            warnings.warn(f"{p.name}: {text}", DateMappingWarning, stacklevel=stacklevel)


def _log_reports(reports: Sequence[SourceReport]) -> None:
    for r in reports:
        rej = sum(r.rejected.values())
        logger.info(
            "Loaded %s from %s: %s read, %s accepted, %s rejected",
            r.kind,
            r.name,
            f"{r.read:,}",
            f"{r.accepted:,}",
            f"{rej:,}",
        )


# -- month-only records and the look-back -------------------------------------------------


def first_week_after(month: str) -> str:
    """
    Return the first ISO week that starts after ``month`` (``YYYY-MM``) has ended.

    Examples
    --------
    >>> first_week_after("2022-10")  # Monday 31 October is still in the month
    '2022-W45'
    >>> first_week_after("2025-02")
    '2025-W10'
    """
    end = pd.Period(month, freq="M").end_time.date()
    monday = end + dt.timedelta(days=(7 - end.weekday()) % 7 or 7)
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def months_in_lookback(months: Any, week_start: dt.date, lookback_weeks: int) -> np.ndarray:
    """
    Which month-only records (MONTH ``"YYYY-MM"``) a planned week's look-back uses.

    A month is used when it has ended before the week's Monday (its last day is before
    ``week_start``), and either its middle (the 15th) falls in the ``lookback_weeks`` weeks
    before that Monday or it is the newest month that has ended (the last complete month is
    used whenever it overlaps the look-back, however short the look-back or early in a month
    the week). The hotspots and corridors stages both use this rule.

    Examples
    --------
    >>> months = pd.Series(["2025-01", "2025-02", "2025-03"])
    >>> months_in_lookback(months, dt.date(2025, 3, 3), 52).tolist()   # March not ended yet
    [True, True, False]
    >>> months_in_lookback(months, dt.date(2025, 3, 24), 4).tolist()  # Feb still the newest
    [False, True, False]
    """
    text = pd.Series(np.asarray(months, dtype=object)).astype("string")
    start = pd.to_datetime(text, format="%Y-%m", errors="coerce")
    end = start + pd.offsets.MonthBegin(1)
    monday = pd.Timestamp(week_start)
    first = monday - pd.Timedelta(weeks=lookback_weeks)
    ended = end <= monday
    newest = end == pd.Timestamp(week_start.replace(day=1))
    middle_in = start + pd.Timedelta(days=14) >= first
    used = ended & (end > first) & (middle_in | newest)
    return np.asarray(used.fillna(False), dtype=bool)


# -- public loaders ----------------------------------------------------------------------


def load_schools(
    sources: Any,
    *,
    crs: str,
    study_area: BaseGeometry | None = None,
    timezone: str = "Europe/London",
) -> tuple[gpd.GeoDataFrame, list[SourceReport], pd.DataFrame]:
    """
    Load schools from GIAS, EduBase, OSM, CSV, GeoJSON or GeoPackage sources.

    Parameters
    ----------
    sources
        One :class:`~corridors.config.SourceConfig` (or a path), or several.
    crs
        The metric CRS to project to (e.g. ``"EPSG:27700"``), or ``"auto"``.
    study_area
        Optional polygon in ``crs``; schools outside it are rejected.
    timezone
        Unused for schools; accepted so all loaders share one call shape.

    Returns
    -------
    tuple
        ``(schools, reports, rejects)``: the schools GeoDataFrame (SCHOOL_ID, NAME, PHASE,
        SOURCE_FILE, SOURCE, SOURCE_LINE, geometry in ``crs``), one
        :class:`SourceReport` per source and the rejected rows (REJECT_COLUMNS).

    Raises
    ------
    InputDataError
        If a file cannot be used at all.

    Examples
    --------
    >>> schools, reports, rejects = load_schools(
    ...     SourceConfig(path=Path("tests/data/io/gias-fixture.csv")), crs="EPSG:27700")
    >>> reports[0].read == reports[0].accepted + sum(reports[0].rejected.values())
    True
    """
    del timezone
    return _load_kind("schools", sources, crs=crs, study_area=study_area, timezone="UTC")


def load_hubs(
    sources: Any,
    *,
    crs: str,
    study_area: BaseGeometry | None = None,
) -> tuple[gpd.GeoDataFrame, list[SourceReport], pd.DataFrame]:
    """
    Load transport hubs from OSM, CSV, GeoJSON or GeoPackage sources.

    Parameters
    ----------
    sources
        One :class:`~corridors.config.SourceConfig` (or a path), or several. Tables need a
        ``kind`` column with "rail", "tube", "tram" or "bus".
    crs
        The metric CRS to project to, or ``"auto"``.
    study_area
        Optional polygon in ``crs``; hubs outside it are rejected.

    Returns
    -------
    tuple
        ``(hubs, reports, rejects)``: HUB_ID, NAME, KIND, SOURCE_FILE, SOURCE, SOURCE_LINE,
        geometry in ``crs``.

    Raises
    ------
    InputDataError
        If a file cannot be used at all.
    """
    return _load_kind("hubs", sources, crs=crs, study_area=study_area, timezone="UTC")


def load_incidents(
    sources: Any,
    *,
    crs: str,
    timezone: str = "Europe/London",
    study_area: BaseGeometry | None = None,
    week_start: dt.date | None = None,
) -> tuple[gpd.GeoDataFrame, list[SourceReport], pd.DataFrame]:
    """
    Load incidents from data.police.uk files, mapped CSVs, GeoJSON or GeoPackage.

    Parameters
    ----------
    sources
        One :class:`~corridors.config.SourceConfig` (or a path), or several.
    crs
        The metric CRS to project to, or ``"auto"``.
    timezone
        The area's time zone: OCCURRED_AT is given in it. Local times in a file are read in
        the source's ``timezone`` (default: this one). A local time skipped by the spring
        clock change is rejected; one that happens twice in autumn is taken as the first.
    study_area
        Optional polygon in ``crs``; incidents outside it are rejected.
    week_start
        Monday of the planned week: incidents dated after its Sunday are rejected ("date
        after the planned week"); without it, those dated after today ("date in the
        future"). Dates before 1990 are always rejected.

    Returns
    -------
    tuple
        ``(incidents, reports, rejects)``: INCIDENT_ID, OFFENCE, MONTH, OCCURRED_AT,
        TIME_KNOWN, LOCATION, SOURCE_FILE, SOURCE, SOURCE_LINE, geometry in ``crs``.
        Month-only rows have TIME_KNOWN False and OCCURRED_AT NaT.

    Raises
    ------
    InputDataError
        If a file cannot be used at all.

    Examples
    --------
    >>> inc, reports, rejects = load_incidents(
    ...     SourceConfig(path=Path("tests/data/io/rutland-street-2m.csv")), crs="EPSG:27700")
    >>> bool(inc["time_known"].any()), inc["occurred_at"].isna().all()
    (False, np.True_)
    """
    return _load_kind(
        "incidents", sources, crs=crs, study_area=study_area, timezone=timezone,
        week_start=week_start,
    )  # fmt: skip


ROBUST_FLOOR_M = 50_000.0
"""Points within this distance (metres, on each axis) of the points' median are never left
out of an extent made from points (:func:`robust_extent`)."""


def robust_extent(
    x: np.ndarray, y: np.ndarray, *, floor: float = ROBUST_FLOOR_M, k: float = 10.0
) -> tuple[float, float, float, float]:
    """
    Return the bounding box of the bulk of some points, strays far from the rest left out.

    On each axis a point is kept when it lies within ``max(k * 1.4826 * MAD, floor)`` of the
    median (MAD: the median absolute deviation, robust to a few wild points however wild). So
    a few outliers never stretch the box, points within ``floor`` of the middle are always
    kept, and a large area spread evenly (a whole country) keeps all its points.

    Examples
    --------
    >>> robust_extent(np.array([486e3, 487e3, 485e3, 1e12]), np.array([308e3, 309e3, 307e3, 3e5]))
    (485000.0, 307000.0, 487000.0, 309000.0)
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.ones(len(x), dtype=bool)
    for v in (x, y):
        middle = np.median(v)
        mad = np.median(np.abs(v - middle))
        keep &= np.abs(v - middle) <= max(k * 1.4826 * mad, floor)
    if not keep.any():
        keep[:] = True
    left_out = int((~keep).sum())
    if left_out:
        logger.info("%d point(s) far from the rest left out of the extent", left_out)
    return (
        float(x[keep].min()), float(y[keep].min()), float(x[keep].max()), float(y[keep].max())
    )  # fmt: skip


def study_area_from(
    *,
    crs: str,
    boundary: Path | None = None,
    osm_file: Path | None = None,
    points: gpd.GeoSeries | None = None,
    buffer_m: float = 2000.0,
) -> BaseGeometry:
    """
    Return the study area polygon in ``crs``.

    The ``boundary`` polygon file wins; else the bounds of ``osm_file`` (its header bbox or
    the extent of its nodes); else the bounding box of the bulk of ``points`` (see
    :func:`robust_extent`: a stray point far from the rest is left out, so it is rejected as
    outside the study area rather than stretching it) buffered by ``buffer_m``.

    Raises
    ------
    InputDataError
        If the boundary file cannot be read or holds no polygon, or nothing is given.
    """
    if boundary is not None:
        if not boundary.exists():
            raise InputDataError(f"{boundary}: boundary file not found; check area.boundary")
        try:
            gdf = gpd.read_file(boundary)
        except Exception as exc:
            raise InputDataError(
                f"{boundary.name}: cannot read the boundary ({str(exc).splitlines()[0]}); "
                "expected a GeoJSON/GeoPackage/shapefile of polygons"
            ) from exc
        if gdf.crs is None:
            raise InputDataError(f"{boundary.name}: the boundary has no CRS; save it with one")
        polys = gdf[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
        if polys.empty:
            raise InputDataError(
                f"{boundary.name}: no polygon in the boundary file; expected polygons"
            )
        return shapely.make_valid(polys.to_crs(crs).union_all())
    if osm_file is not None:
        west, south, east, north = osm.osm_bounds(osm_file)
        ring = shapely.segmentize(box(west, south, east, north), 0.01)
        return gpd.GeoSeries([ring], crs="EPSG:4326").to_crs(crs).iloc[0]
    if points is not None and len(points):
        xy = shapely.get_coordinates(points.to_crs(crs).to_numpy())
        finite = np.isfinite(xy).all(axis=1)
        if finite.any():
            geographic = pyproj.CRS.from_user_input(crs).is_geographic
            minx, miny, maxx, maxy = robust_extent(
                xy[finite, 0], xy[finite, 1], floor=0.5 if geographic else ROBUST_FLOOR_M
            )
            return box(minx, miny, maxx, maxy).buffer(buffer_m, join_style="mitre")
    raise InputDataError(
        "no study area: set area.boundary or graph.osm_file, or give at least one school"
    )


def load_inputs(cfg: Config, *, strict: bool = True) -> Inputs:
    """
    Load, validate and project every source of an area.

    Parameters
    ----------
    cfg
        The run's configuration: ``[area]`` (CRS, time zone, boundary, buffer),
        ``[graph].osm_file`` (the study area's bounds when there is no boundary) and the
        ``[[schools]]``, ``[[hubs]]`` and ``[[incidents]]`` sources.
    strict
        Raise when a source that is not ``optional`` had rows but accepted none
        (:func:`check_usable`); ``corridors validate`` passes False, reports, then checks.

    Returns
    -------
    Inputs
        Schools, hubs and incidents in one metric CRS, the study area, one
        :class:`SourceReport` per source and every rejected row.

    Raises
    ------
    InputDataError
        If a file cannot be used at all, or (``strict``) every row of a source was rejected.

    Examples
    --------
    >>> from corridors.config import load_config
    >>> inputs = load_inputs(load_config("data/rutland.toml"))
    >>> inputs.crs, len(inputs.schools)
    ('EPSG:27700', 27)
    """
    area = cfg.area
    # "auto": the zone comes from the study area, known only after the sources are read;
    # incident times are then read in it (read first in UTC only when the area needs them)
    tz = area.timezone if area.timezone != "auto" else "UTC"
    osm_cache: dict[Path, Any] = {}  # one pass per OSM file for schools and hubs
    schools_p = [_parse_source(s, "schools", tz, osm_cache) for s in cfg.schools]
    hubs_p = [_parse_source(s, "hubs", tz, osm_cache) for s in cfg.hubs]
    located = cfg.graph.osm_file is not None or bool(area.boundary and area.boundary.exists())
    early = area.timezone != "auto" or not (located or any(len(p.frame) for p in schools_p))

    def incidents_in(zone: str) -> list[_Parsed]:
        # incidents after the planned week (or, for validate's "current" week, after today)
        limit = _DateLimit.of(None if area.week == "current" else area.week_start(), zone)
        parsed = [_parse_source(s, "incidents", zone, limit=limit) for s in cfg.incidents]
        return [_check_swaps(p, ref, where) for p in parsed]

    ref, where = _reference_extent(
        area.crs, boundary=area.boundary, osm_file=cfg.graph.osm_file
    )  # fmt: skip
    schools_p = [_check_swaps(p, ref, where) for p in schools_p]
    hubs_p = [_check_swaps(p, ref, where) for p in hubs_p]
    incidents_p = incidents_in(tz) if early else []
    centre: tuple[float, float] | None = None
    if area.crs == "auto" and ref is not None and where != "Great Britain":
        c = ref.centroid  # the boundary's or the OSM file's middle
        centre = (c.x, c.y)
    # no located row anywhere, for want of good rows: say so before asking for a CRS
    unplaced = _nothing_placed([*schools_p, *hubs_p, *incidents_p], tz, strict=strict)
    if unplaced is not None:
        return unplaced
    crs = _auto_crs(area.crs, [*schools_p, *incidents_p, *hubs_p], centre)
    points = None
    if area.boundary is None and cfg.graph.osm_file is None:
        frames = [p for p in schools_p if len(p.frame)] or [p for p in incidents_p if len(p.frame)]
        if frames:
            lonlat = np.concatenate([np.column_stack(_to_lonlat(p)) for p in frames])
        else:  # every row rejected (for dates, say): still report them, in an area of their own
            lonlat = np.concatenate(
                [np.zeros((0, 2)), *(p.located for p in schools_p + incidents_p)]
            )
        if len(lonlat):
            points = gpd.GeoSeries(gpd.points_from_xy(lonlat[:, 0], lonlat[:, 1]), crs="EPSG:4326")
    study_area = study_area_from(
        crs=crs,
        boundary=area.boundary,
        osm_file=cfg.graph.osm_file,
        points=points,
        buffer_m=area.buffer_m,
    )
    if area.timezone == "auto":
        first, tz = tz, _area_timezone(study_area, crs)
        if not early or tz != first:
            incidents_p = incidents_in(tz)
    _warn([*schools_p, *hubs_p, *incidents_p], stacklevel=3)
    schools, r1, j1 = _combine(schools_p, crs, study_area, tz)
    hubs, r2, j2 = _combine(hubs_p, crs, study_area, tz)
    incidents, r3, j3 = _combine(incidents_p, crs, study_area, tz)
    if not schools_p:
        schools = _empty_frame("schools", crs, tz)
    if not hubs_p:
        hubs = _empty_frame("hubs", crs, tz)
    if not incidents_p:
        incidents = _empty_frame("incidents", crs, tz)
    reports = (*r1, *r2, *r3)
    _log_reports(reports)
    logger.info(
        "Loaded %s schools, %s hubs, %s incidents in %s",
        f"{len(schools):,}",
        f"{len(hubs):,}",
        f"{len(incidents):,}",
        crs,
    )
    rejects = _concat_rejects([j1, j2, j3])
    if strict:
        check_usable(reports, rejects)
    return Inputs(
        crs=crs,
        timezone=tz,
        study_area=study_area,
        schools=schools,
        hubs=hubs,
        incidents=incidents,
        reports=reports,
        rejects=rejects,
    )


def _nothing_placed(parsed: Sequence[_Parsed], tz: str, *, strict: bool) -> Inputs | None:
    """
    When no source kept a located row (so no CRS or study area can be found) because sources
    lost every row while parsing: raise that (``strict``), or return their reports and no
    rows (``corridors validate``). None when that is not the cause.
    """
    if any(len(p.frame) for p in parsed):
        return None
    reports = tuple(_report(p, 0, _concat_rejects(p.rejects)) for p in parsed)
    rejects = _concat_rejects([r for p in parsed for r in p.rejects])
    if not all_rejected(reports, rejects):
        return None
    if strict:
        check_usable(reports, rejects)
    crs = "EPSG:4326"
    empty = [_empty_frame(kind, crs, tz) for kind in ("schools", "hubs", "incidents")]
    return Inputs(crs, tz, box(0, 0, 0, 0), *empty, reports=reports, rejects=rejects)


# what to set when every row of a source was rejected for this (its commonest) reason
_ALL_REJECTED_HINTS = {
    R_MISSING_XY: "map its coordinate columns (columns = { x = ..., y = ... } or lat/lon)",
    R_BAD_XY: "map its coordinate columns (columns = { x = ..., y = ... } or lat/lon)",
    R_ZERO_XY: "its coordinates are withheld (0, 0): it cannot place anything",
    R_RANGE_XY: (
        'set crs in its entry to the CRS of its x/y columns (crs = "EPSG:27700" for '
        'eastings/northings, "EPSG:4326" for longitude/latitude)'
    ),
    R_OUTSIDE: (
        "no row lies in the study area: check crs in its entry (x/y in another CRS?), "
        "[area] boundary and [graph] osm_file"
    ),
    R_BAD_DATE: 'set date_format in its entry to the file\'s dates (e.g. date_format = "%d/%m/%Y")',
    R_BAD_TIME: "check its time column (HH:MM) in columns",
    R_BAD_MONTH: "months must read YYYY-MM (as data.police.uk writes them); check its month column",
    R_NO_TIME: "check timezone in its entry",
    R_NO_OFFENCE: "map its offence column (columns = { offence = ... })",
    R_DUP_ID: "every row repeats an ID loaded from an earlier source: is the file listed twice?",
    R_NO_ID: "map its ID column (columns = { id = ... })",
    R_CLOSED: "every school in it is closed",
    R_NO_KIND: "map its kind column (columns = { kind = ... }: rail, tube, tram or bus)",
}
_ENTRY = {
    "schools": "[[schools]]",
    "hubs": "[[hubs]]",
    "incidents": "[[incidents]]",
    "staff": "[roster] staff",
    "term dates": "[hotspots] term_dates",
}


_MUST_HAVE_ROWS = ("schools", "incidents", "staff")
"""Kinds whose sources must hold rows (an area may well have no transport hubs)."""


def all_rejected(
    reports: Sequence[SourceReport], rejects: pd.DataFrame | None = None
) -> list[str]:
    """
    Describe each source that had rows but accepted none, or read none (schools, incidents
    and staff only), and is not ``optional``.

    Each line names the file, the commonest reject reasons with their counts (and an example
    value when ``rejects`` is given), the setting to look at, and how to go on without it.

    Examples
    --------
    >>> r = SourceReport("incidents", "a", "a.csv", 3, 0, {"unparseable month": 3}, "")
    >>> all_rejected([r])  # doctest: +ELLIPSIS
    ['a.csv: every incidents row was rejected (3 read, 0 accepted): unparseable month: 3; ...']
    """
    lines = []
    for r in reports:
        entry = _ENTRY.get(r.kind, f"[[{r.kind}]]")
        way_out = (
            f"or set optional = true in its {entry} entry to go on without it"
            if entry.startswith("[[")
            else f"or leave {entry} out of the config"
        )
        if r.read == 0 and not r.optional and r.kind in _MUST_HAVE_ROWS:
            lines.append(
                f"{r.path}: read 0 rows: the file holds no {r.kind} (a header only?); give the "
                f"file with its rows, {way_out}"
            )
            continue
        if r.read <= 0 or r.accepted > 0 or r.optional:
            continue
        top = sorted(r.rejected.items(), key=lambda kv: -kv[1])
        shown = []
        for reason, n in top[:3]:
            text = f"{reason}: {n:,}"
            if rejects is not None and len(rejects) and "value" in rejects:
                mine = (rejects["source"] == r.name) | (rejects["file"] == r.path)
                why = (rejects["reason"] == reason) | (rejects["column"] == reason)  # staff: column
                hit = rejects[mine & why]
                value = str(hit["value"].iloc[0]) if len(hit) else ""
                if value:
                    text += f" (e.g. {value[:40]!r})"
            shown.append(text)
        if len(top) > 3:
            shown.append(f"{len(top) - 3} more reasons")
        hint = _ALL_REJECTED_HINTS.get(top[0][0], "") if top else ""
        lines.append(
            f"{r.path}: every {r.kind} row was rejected ({r.read:,} read, 0 accepted): "
            f"{'; '.join(shown)}; " + (f"{hint}; " if hint else "") + way_out
        )
    return lines


def check_usable(
    reports: Sequence[SourceReport],
    rejects: pd.DataFrame | None = None,
    *,
    see: str = "run 'corridors validate' to list every rejected row",
) -> None:
    """
    Raise if a source that is not ``optional`` had rows but accepted none.

    Raises
    ------
    InputDataError
        One line per such source (see :func:`all_rejected`), ending with ``see`` (where to
        find every rejected row).
    """
    lines = all_rejected(reports, rejects)
    if not lines:
        return
    tail = f" ({see})"
    if len(lines) == 1:
        raise InputDataError(lines[0] + tail)
    raise InputDataError(
        f"{len(lines)} sources had every row rejected{tail}:\n  " + "\n  ".join(lines)
    )


def write_rejects(rejects: pd.DataFrame, path: str | Path) -> Path:
    """
    Write the rejects table to a CSV file atomically (formula-like text neutralised).

    Parameters
    ----------
    rejects
        Rows with REJECT_COLUMNS (as in :attr:`Inputs.rejects`).
    path
        The CSV file to write (UTF-8).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    cols = list(REJECT_COLUMNS) + [c for c in rejects.columns if c not in REJECT_COLUMNS]
    frame = rejects.reindex(columns=cols)
    return write_csv(frame, path)


def summarise(reports: Sequence[SourceReport]) -> str:
    """
    Return a readable per-source table: rows read, accepted, rejected by reason, a total.

    One ``Note:`` line follows for each note of a source (months normalised, suspect dates).

    Examples
    --------
    >>> r = SourceReport("incidents", "a.csv", "a.csv", 5, 3, {"duplicate ID": 2}, "")
    >>> print(summarise([r]))  # doctest: +NORMALIZE_WHITESPACE
    kind       source  read  accepted  rejected  reasons
    incidents  a.csv      5         3         2  duplicate ID: 2
    total                 5         3         2
    """
    rows = [("kind", "source", "read", "accepted", "rejected", "reasons")]
    tread = tacc = trej = 0
    for r in reports:
        rej = sum(r.rejected.values())
        reasons = "; ".join(
            f"{k}: {v:,}" for k, v in sorted(r.rejected.items(), key=lambda kv: -kv[1])
        )
        rows.append((r.kind, r.name, f"{r.read:,}", f"{r.accepted:,}", f"{rej:,}", reasons))
        tread, tacc, trej = tread + r.read, tacc + r.accepted, trej + rej
    rows.append(("total", "", f"{tread:,}", f"{tacc:,}", f"{trej:,}", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [row[i].rjust(widths[i]) for i in (2, 3, 4)]
        cells.append(row[5])
        lines.append("  ".join(cells).rstrip())
    lines += [f"Note: {r.name}: {note}" for r in reports for note in r.notes]
    return "\n".join(lines)
