"""The load stage's vocabulary: column names, reject reasons and the limits rows are checked by.

Every table the stage returns uses these column names (see :mod:`corridors.load`); every
rejected row carries one of the ``R_*`` reasons (the keys of ``SourceReport.rejected``).
"""

from __future__ import annotations

import datetime as dt

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


class DateMappingWarning(UserWarning):
    """A source's dates look wrongly mapped (every date equal, or every time midnight)."""


HUB_KINDS = ("rail", "tube", "tram", "bus")
