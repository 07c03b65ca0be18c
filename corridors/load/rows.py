"""Row checks shared by every tabular source, and the steps that start and end parsing a table.

The first failing reason of each row, columns found by name, coordinates and ids.

A parser (schools, hubs, incidents) makes a :class:`_Checker`, finds its columns, calls
:func:`_locate` (empty rows, then coordinates), adds its own columns and checks, and ends
with :func:`_finish_parse`. The order of the checks is the order of the reasons: a row is
rejected for the first one it fails.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyproj

from corridors.config import SourceConfig
from corridors.errors import ConfigError, InputDataError
from corridors.load.area import _swap_error
from corridors.load.schema import (
    R_BAD_XY,
    R_EMPTY_ROW,
    R_MISSING_XY,
    R_RANGE_XY,
    R_SWAPPED_LONLAT,
    R_ZERO_XY,
    SWAPPED_SHARE,
)
from corridors.load.tables import _Parsed, _Table

logger = logging.getLogger(__name__)


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
        return np.asarray(pd.isna(self.reason), dtype=bool)  # no reason yet

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


@dataclass(frozen=True)
class _Located:
    """Coordinates of every row of a table, as read (rows rejected so far included)."""

    x: np.ndarray
    y: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    crs: str  # of x and y
    labels: tuple[str, str]  # the file's x (lon) and y (lat) columns, for messages
    located: np.ndarray  # longitude, latitude of the rows with usable coordinates


@dataclass(frozen=True)
class _Columns:
    """A parser's own columns of every row (standard names), and what its report says."""

    frame: pd.DataFrame
    id_col: str | None
    id_generated: np.ndarray  # bool per row
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # notes also raised as DateMappingWarning


def _reject_empty_rows(chk: _Checker, f: pd.DataFrame) -> None:
    data_cols = [c for c in f.columns if not c.startswith("_")]
    if len(f) and data_cols:
        empty = np.ones(len(f), dtype=bool)
        for c in data_cols:
            empty &= (f[c] == "").to_numpy(dtype=bool)
        chk.reject(empty, R_EMPTY_ROW, "", "")


def _coordinate_columns(
    table: _Table, src: SourceConfig, cols: Mapping[str, str | None], crs: str
) -> tuple[str, str, tuple[str, str], str]:
    """Return the x (lon) and y (lat) columns, their labels and their CRS.

    x/y (with a CRS) first; lat/lon when a plain CSV gives no CRS.
    """
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
        return xcol, ycol, (labels.get(xcol, xcol), labels.get(ycol, ycol)), crs
    if has_lonlat:
        xcol, ycol = str(cols["lon"]), str(cols["lat"])
        crs = table.crs or ("EPSG:4326" if table.fmt != "csv" or not src.crs else src.crs)
        return xcol, ycol, (xcol, ycol), crs
    raise InputDataError(
        f"{table.path.name}: no coordinate columns; map lat/lon (or x/y with crs) in the "
        f"source's columns; the file has {', '.join(table.header[:20])}"
    )


def _locate(
    chk: _Checker, table: _Table, src: SourceConfig, cols: Mapping[str, str | None], crs: str
) -> _Located:
    """Run the first checks of every table: empty rows, then coordinates."""
    f = table.frame
    _reject_empty_rows(chk, f)
    xcol, ycol, labels, crs = _coordinate_columns(table, src, cols, crs)
    x, y, lon, lat = _coords(chk, f, xcol, ycol, crs, labels)
    located = np.column_stack([lon, lat])[chk.ok]
    return _Located(x, y, lon, lat, crs, labels, located)


def _finish_parse(
    kind: str, table: _Table, src: SourceConfig, chk: _Checker, where: _Located, cols: _Columns
) -> _Parsed:
    """Return the rows that passed every check, with their coordinates, file and line."""
    f = table.frame
    out = cols.frame.copy()
    out["_x"] = where.x
    out["_y"] = where.y
    out["_lon"] = where.lon
    out["_lat"] = where.lat
    out["_file"] = f["_file"].to_numpy()
    out["_line"] = f["_line"].to_numpy()
    keep = chk.ok
    return _Parsed(
        kind=kind,
        name=chk.name,
        src=src,
        table_path=table.path,
        fmt=table.fmt,
        files=len(table.files),
        sha256=table.sha256,
        read=len(f),
        frame=out[keep].reset_index(drop=True),
        crs=where.crs,
        rejects=[chk.rejects()],
        id_col=str(cols.id_col or ""),
        id_generated=np.asarray(cols.id_generated)[keep],
        notes=list(cols.notes + cols.warnings),
        warnings=list(cols.warnings),
        coords=where.labels,
        located=where.located,
    )
