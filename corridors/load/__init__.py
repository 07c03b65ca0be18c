"""The load stage: read, check and project an area's schools, hubs and incidents.

CONTRACT (other stages rely on exactly these names):

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

Every table also has SOURCE_LINE and SOURCE_FILE (the file inside a multi-file source, e.g.
``2014-09/2014-09-city-of-london-street.csv``); incidents have LOCATION (the data.police.uk
"On or near ..." text, else ""). Public loaders :func:`load_schools`, :func:`load_hubs`,
:func:`load_incidents` return ``(frame, reports, rejects)``; :func:`choose_crs`,
:func:`study_area_from`, :func:`summarise` and :func:`write_rejects` complete the stage.

Which file holds what, in the order a source flows through them:

- ``inputs``: :class:`Inputs`, :class:`Homes`, :func:`load_inputs` and :func:`with_homes` (the
  stage's entry); ``loaders``: :func:`load_schools`, :func:`load_hubs`, :func:`load_incidents`.
- ``sources``: a source's config -> its files, its format and the parser for its kind.
- ``files``: raw CSV files (checks, encodings, gzip, line numbers); ``tables``: formats
  (police, GIAS, EduBase, CSV, GeoJSON, GeoPackage) and the rows of a source as strings.
- ``osm``: schools, hubs and homes from OSM files; ``phases``: the phase of education.
- ``rows``: row checks shared by every parser (reasons, columns, coordinates, ids).
- ``schools``, ``hubs``, ``incidents``: each kind's columns and checks; ``times`` and
  ``months``: when incidents happened (dates, times, zones, months, the look-back).
- ``crs``: the area's CRS and time zone; ``area``: the study area and swapped coordinates.
- ``combine``: projection, the study-area check and repeated ids across sources.
- ``report``: :class:`SourceReport`, rejected rows, :func:`summarise`, :func:`check_usable`.
- ``stops``: stop-and-search records with their personal columns, read only for
  ``[equality]`` (``corridors evaluate``); every other reader drops those columns.
- ``schema``: column names, reject reasons and limits.
"""

from __future__ import annotations

from corridors.load import osm
from corridors.load.area import ROBUST_FLOOR_M, robust_extent, study_area_from
from corridors.load.crs import choose_crs, choose_timezone
from corridors.load.files import _check_text_file as _check_text_file  # corridors.hotspots
from corridors.load.inputs import Homes, Inputs, load_homes, load_inputs, with_homes
from corridors.load.loaders import load_hubs, load_incidents, load_schools
from corridors.load.months import first_week_after, months_in_lookback
from corridors.load.report import (
    SourceReport,
    all_rejected,
    check_usable,
    summarise,
    write_rejects,
)
from corridors.load.schema import (
    EARLIEST_DATE,
    GB_LONLAT,
    HUB_ID,
    HUB_KINDS,
    INCIDENT_ID,
    KIND,
    LOCATION,
    MONTH,
    NAME,
    OCCURRED_AT,
    OFFENCE,
    PHASE,
    R_BAD_DATE,
    R_BAD_MONTH,
    R_BAD_TIME,
    R_BAD_XY,
    R_CLOSED,
    R_DUP_ID,
    R_EMPTY_ROW,
    R_FUTURE_DATE,
    R_LATE_DATE,
    R_MISSING_XY,
    R_NO_ID,
    R_NO_KIND,
    R_NO_OFFENCE,
    R_NO_TIME,
    R_OLD_DATE,
    R_OUTSIDE,
    R_RANGE_XY,
    R_SWAPPED_LONLAT,
    R_SWAPPED_XY,
    R_ZERO_XY,
    REJECT_COLUMNS,
    SCHOOL_ID,
    SOURCE,
    SOURCE_FILE,
    SOURCE_LINE,
    SWAPPED_SHARE,
    TIME_KNOWN,
    DateMappingWarning,
)

__all__ = [
    "EARLIEST_DATE",
    "GB_LONLAT",
    "HUB_ID",
    "HUB_KINDS",
    "INCIDENT_ID",
    "KIND",
    "LOCATION",
    "MONTH",
    "NAME",
    "OCCURRED_AT",
    "OFFENCE",
    "PHASE",
    "REJECT_COLUMNS",
    "ROBUST_FLOOR_M",
    "R_BAD_DATE",
    "R_BAD_MONTH",
    "R_BAD_TIME",
    "R_BAD_XY",
    "R_CLOSED",
    "R_DUP_ID",
    "R_EMPTY_ROW",
    "R_FUTURE_DATE",
    "R_LATE_DATE",
    "R_MISSING_XY",
    "R_NO_ID",
    "R_NO_KIND",
    "R_NO_OFFENCE",
    "R_NO_TIME",
    "R_OLD_DATE",
    "R_OUTSIDE",
    "R_RANGE_XY",
    "R_SWAPPED_LONLAT",
    "R_SWAPPED_XY",
    "R_ZERO_XY",
    "SCHOOL_ID",
    "SOURCE",
    "SOURCE_FILE",
    "SOURCE_LINE",
    "SWAPPED_SHARE",
    "TIME_KNOWN",
    "DateMappingWarning",
    "Homes",
    "Inputs",
    "SourceReport",
    "all_rejected",
    "check_usable",
    "choose_crs",
    "choose_timezone",
    "first_week_after",
    "load_homes",
    "load_hubs",
    "load_incidents",
    "load_inputs",
    "load_schools",
    "months_in_lookback",
    "osm",
    "robust_extent",
    "study_area_from",
    "summarise",
    "with_homes",
    "write_rejects",
]
