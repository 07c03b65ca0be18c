"""Which files a source names, which format they are in, and their rows as strings.

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

A source is read into a :class:`_Table` (strings, file and line of every row); the
parsers (:mod:`~corridors.load.schools`, :mod:`~corridors.load.hubs`,
:mod:`~corridors.load.incidents`) turn it into a :class:`_Parsed`.
"""

from __future__ import annotations

import csv
import glob
import io as _stdio
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from corridors.config import SourceConfig
from corridors.errors import InputDataError
from corridors.load import osm
from corridors.load.files import _check_text_file, _file_sha, _head_bytes, _read_csv_file

logger = logging.getLogger(__name__)


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


STOP_SEARCH_PERSONAL = (
    "Gender", "Age range", "Self-defined ethnicity", "Officer-defined ethnicity",
)  # fmt: skip


_GIAS_NEED = (
    "URN", "EstablishmentName", "PhaseOfEducation (name)", "EstablishmentStatus (name)",
    "Easting", "Northing",
)  # fmt: skip


_EDUBASE_NEED = ("URN", "Establishment name", "Phase of education")


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


def _to_lonlat(parsed: _Parsed) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of a parsed source's rows (checked finite and valid)."""
    f = parsed.frame
    return f["_lon"].to_numpy(dtype=float), f["_lat"].to_numpy(dtype=float)


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


def _read_table(
    src: SourceConfig, fmt: str, files: list[Path], root: Path, *, keep_personal: bool = False
) -> _Table:
    """Read a source's rows as strings; stop-and-search personal columns are dropped here.

    ``keep_personal`` (only :func:`corridors.load.stops.load_stops`, for ``[equality]``)
    keeps them.
    """
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
        if fmt == "police-stop-search" and not keep_personal:
            frame = frame.drop(columns=[c for c in STOP_SEARCH_PERSONAL if c in frame.columns])
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
        pts[not_point] = gpd.GeoSeries(geom[not_point]).representative_point()
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
