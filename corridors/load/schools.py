"""Schools from GIAS, EduBase and generic tables: their columns, phases and closed schools.

GIAS and EduBase files have fixed columns (EduBase's coordinates may come from a row-aligned
``geocode`` file); other tables are mapped by ``columns`` or common names. Phases are put in
the vocabulary of :data:`corridors.load.osm.PHASES`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from corridors.config import SourceConfig
from corridors.errors import InputDataError
from corridors.load import osm
from corridors.load.files import _read_csv_file
from corridors.load.rows import (
    _NA_STRINGS,
    _Checker,
    _col,
    _Columns,
    _coordinate_overrides,
    _find_columns,
    _finish_parse,
    _ids,
    _locate,
)
from corridors.load.schema import NAME, PHASE, R_CLOSED, R_NO_ID, SCHOOL_ID
from corridors.load.tables import _Parsed, _Table

logger = logging.getLogger(__name__)


_PHASE_ALIASES = {
    "": "unknown",
    "all through": "all-through",
    "all-through": "all-through",
    "16 plus": "16 plus",
    "16+": "16 plus",
    "not applicable": "not applicable",
}


def _norm_phase(values: pd.Series) -> np.ndarray:
    """Phases in the vocabulary of :data:`corridors.load.osm.PHASES` ("Elementary" -> primary)."""
    low = values.astype(str).str.strip().str.lower()
    mapping = {v: _PHASE_ALIASES.get(v) or osm.normalise_phase(v) for v in low.unique()}
    return low.map(mapping).to_numpy(dtype=object)


def _parse_schools(table: _Table, src: SourceConfig, name: str) -> _Parsed:
    if table.fmt == "gias":
        cols = _coordinate_overrides(table, src, _GIAS_COLUMNS)
        crs = src.crs or "EPSG:27700"
    elif table.fmt == "edubase":
        table, cols = _edubase_columns(table, src)
        crs = src.crs or "EPSG:27700"
    else:
        cols = _find_columns(
            table,
            src,
            ("id", "name", "phase", "status", "x", "y", "lat", "lon"),
            defaults={"x": "_x", "y": "_y"} if table.crs else None,
        )
        crs = table.crs or src.crs or "EPSG:4326"
    chk = _Checker(table, name)
    where = _locate(chk, table, src, cols, crs)
    return _finish_parse("schools", table, src, chk, where, _school_columns(chk, table, cols))


_GIAS_COLUMNS: dict[str, str | None] = {
    "id": "URN", "name": "EstablishmentName", "phase": "PhaseOfEducation (name)",
    "status": "EstablishmentStatus (name)", "x": "Easting", "y": "Northing",
    "lat": None, "lon": None,
}  # fmt: skip


def _edubase_columns(table: _Table, src: SourceConfig) -> tuple[_Table, dict[str, str | None]]:
    """Return an EduBase file's columns (and, with a ``geocode`` file, the table + X/Y)."""
    f = table.frame
    cols: dict[str, str | None] = {
        "id": "URN", "name": "Establishment name", "phase": "Phase of education",
        "status": "Establishment status" if "Establishment status" in f.columns else None,
        "x": "X" if "X" in f.columns else None, "y": "Y" if "Y" in f.columns else None,
        "lat": None, "lon": None,
    }  # fmt: skip
    if src.geocode is not None:
        return _with_geocode(table, src.geocode, src), {**cols, "x": "_gx", "y": "_gy"}
    cols = _coordinate_overrides(table, src, cols)
    xcol = cols["x"]
    if xcol is None or f[xcol].str.strip().str.lower().isin(_NA_STRINGS).all():
        raise InputDataError(
            f"{table.path.name}: no X/Y coordinates (columns missing or empty in every "
            "row); give the row-aligned geocode file as "
            'geocode = "geocoded_schools.csv" in the source'
        )
    return table, cols


def _with_geocode(table: _Table, geocode: Path, src: SourceConfig) -> _Table:
    """Return the table with ``_gx``/``_gy`` from a row-aligned geocode CSV (X, Y)."""
    f = table.frame
    geo = _read_csv_file(geocode, encoding=None, fallback="cp1252", what="a CSV of X,Y")
    gx = src.columns.get("x", "X")
    gy = src.columns.get("y", "Y")
    for c in (gx, gy):
        if c not in geo.columns:
            raise InputDataError(
                f"{geocode.name}: missing column {c!r}; the geocode file of an EduBase "
                "source has X, Y (one row per school, in the same order)"
            )
    if len(geo) != len(f):
        raise InputDataError(
            f"{geocode.name}: {len(geo)} rows but {table.path.name} has {len(f)}; "
            "the geocode file must be row-aligned with the schools file"
        )
    f = f.copy()
    f["_gx"] = geo[gx].to_numpy()
    f["_gy"] = geo[gy].to_numpy()
    return replace(table, frame=f)


def _school_columns(chk: _Checker, table: _Table, cols: Mapping[str, str | None]) -> _Columns:
    """SCHOOL_ID, NAME and PHASE; closed schools (and, in GIAS/EduBase, empty ids) rejected."""
    f = table.frame
    id_col = cols.get("id")
    ids, generated = _ids(chk, f, id_col, chk.name, table.multi)
    out = pd.DataFrame(index=f.index)
    out[SCHOOL_ID] = ids
    out[NAME] = _col(f, cols.get("name")).to_numpy(dtype=object)
    out[PHASE] = _norm_phase(_col(f, cols.get("phase")))
    status_col = cols.get("status")
    if status_col:
        status = _col(f, status_col)
        chk.reject(
            status.str.lower().eq("closed").to_numpy(), R_CLOSED, status_col, status.to_numpy()
        )
    if table.fmt in ("gias", "edubase"):
        chk.reject(generated, R_NO_ID, str(id_col), "")
    return _Columns(out, id_col, generated)
