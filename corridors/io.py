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
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

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

REJECT_COLUMNS = ("source", "file", "line", "column", "reason", "value")


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
