"""Incidents from data.police.uk (street, stop and search) and generic tables: offence and when.

Police files have fixed columns; other tables are mapped by ``columns`` or common names and
must have an offence column. When each incident happened is read by
:mod:`corridors.load.times`.
"""

from __future__ import annotations

import logging

import pandas as pd

from corridors.config import SourceConfig
from corridors.errors import InputDataError
from corridors.load.rows import (
    _Checker,
    _col,
    _Columns,
    _coordinate_overrides,
    _find_columns,
    _finish_parse,
    _ids,
    _locate,
)
from corridors.load.schema import (
    INCIDENT_ID,
    LOCATION,
    MONTH,
    OCCURRED_AT,
    OFFENCE,
    R_NO_OFFENCE,
    TIME_KNOWN,
)
from corridors.load.tables import _Parsed, _Table
from corridors.load.times import _DateColumns, _DateLimit, _when

logger = logging.getLogger(__name__)


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
    where = _locate(chk, table, src, cols, crs)
    dates = _DateColumns(chk, table.frame, cols, fmt, src, tz, limit)
    return _finish_parse("incidents", table, src, chk, where, _incident_columns(table, dates))


def _incident_columns(table: _Table, dates: _DateColumns) -> _Columns:
    """Return INCIDENT_ID, OFFENCE, MONTH, OCCURRED_AT, TIME_KNOWN and LOCATION.

    Rows without an offence, or with dates that cannot be read or are out of range, are
    rejected.
    """
    chk, f, cols = dates.chk, table.frame, dates.cols
    ids, generated = _ids(chk, f, cols.get("id"), chk.name, table.multi)
    offence_raw = _col(f, cols.get("offence"))
    if table.fmt == "police-stop-search":
        offence = ("Stop and search: " + offence_raw).where(offence_raw != "", "")
    else:
        offence = offence_raw
    chk.reject((offence_raw == "").to_numpy(), R_NO_OFFENCE, str(cols.get("offence")), "")
    when = _when(dates)
    out = pd.DataFrame(index=f.index)
    out[INCIDENT_ID] = ids
    out[OFFENCE] = offence.to_numpy(dtype=object)
    out[MONTH] = when.month
    out[OCCURRED_AT] = when.occurred_at
    out[TIME_KNOWN] = when.time_known
    out[LOCATION] = _col(f, cols.get("location")).to_numpy(dtype=object)
    return _Columns(out, cols.get("id"), generated, when.notes, when.warned)
