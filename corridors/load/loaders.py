"""One loader per kind of source: :func:`load_schools`, :func:`load_hubs`, :func:`load_incidents`.

Each reads every file a source names, parses its rows into the stage's columns and returns
the accepted rows, the rejects (file, line, column, reason) and a :class:`SourceReport`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry

from corridors.config import SourceConfig
from corridors.load.area import _check_swaps, _reference_extent
from corridors.load.combine import _combine
from corridors.load.crs import _auto_crs
from corridors.load.report import SourceReport, _log_reports, _warn
from corridors.load.sources import _parse_source
from corridors.load.times import _DateLimit

logger = logging.getLogger(__name__)


def _as_sources(
    sources: SourceConfig | str | Path | Iterable[SourceConfig | str | Path],
) -> list[SourceConfig]:
    if isinstance(sources, (SourceConfig, str, Path)):
        sources = [sources]
    return [s if isinstance(s, SourceConfig) else SourceConfig(path=Path(s)) for s in sources]


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
