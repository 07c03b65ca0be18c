"""The stage's entry: every source of an area loaded, checked and projected into :class:`Inputs`.

:func:`load_inputs` reads the schools, hubs and incidents a config names, finds the CRS, the
study area and the time zone when they are "auto", and returns them with one
:class:`~corridors.load.report.SourceReport` per source and every rejected row;
:func:`with_homes` adds where people live (:class:`Homes`) from the street OSM file.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from corridors.config import Config
from corridors.errors import InputDataError
from corridors.load import osm
from corridors.load.area import _check_swaps, _reference_extent, study_area_from
from corridors.load.combine import _combine, _empty_frame
from corridors.load.crs import _area_timezone, _auto_crs
from corridors.load.report import (
    SourceReport,
    _concat_rejects,
    _log_reports,
    _report,
    _warn,
    all_rejected,
    check_usable,
)
from corridors.load.sources import _parse_source
from corridors.load.tables import _Parsed, _to_lonlat
from corridors.load.times import _DateLimit

logger = logging.getLogger(__name__)


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
    """Return ``inputs`` with :attr:`Inputs.homes` read from ``osm_file`` (same when None)."""
    if osm_file is None or not Path(osm_file).is_file():
        return inputs
    return replace(inputs, homes=load_homes(osm_file, inputs.crs))


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
    ref, where = _reference_extent(area.crs, boundary=area.boundary, osm_file=cfg.graph.osm_file)
    schools_p = [_check_swaps(p, ref, where) for p in schools_p]
    hubs_p = [_check_swaps(p, ref, where) for p in hubs_p]
    incidents_p = _read_incidents(cfg, tz, ref, where) if early else []
    # no located row anywhere, for want of good rows: say so before asking for a CRS
    unplaced = _nothing_placed([*schools_p, *hubs_p, *incidents_p], tz, strict=strict)
    if unplaced is not None:
        return unplaced
    centre = _centre(area.crs, ref, where)
    crs = _auto_crs(area.crs, [*schools_p, *incidents_p, *hubs_p], centre)
    study_area = study_area_from(
        crs=crs,
        boundary=area.boundary,
        osm_file=cfg.graph.osm_file,
        points=_area_points(cfg, schools_p, incidents_p),
        buffer_m=area.buffer_m,
    )
    if area.timezone == "auto":
        first, tz = tz, _area_timezone(study_area, crs)
        if not early or tz != first:
            incidents_p = _read_incidents(cfg, tz, ref, where)
    _warn([*schools_p, *hubs_p, *incidents_p], stacklevel=3)
    return _assemble(_Sources(crs, tz, study_area, schools_p, hubs_p, incidents_p), strict=strict)


def _read_incidents(cfg: Config, tz: str, ref: BaseGeometry | None, where: str) -> list[_Parsed]:
    """Parse the incident sources with times in ``tz``; refuse swapped coordinates."""
    area = cfg.area
    # incidents after the planned week (or, for validate's "current" week, after today)
    limit = _DateLimit.of(None if area.week == "current" else area.week_start(), tz)
    parsed = [_parse_source(s, "incidents", tz, limit=limit) for s in cfg.incidents]
    return [_check_swaps(p, ref, where) for p in parsed]


def _centre(crs: str, ref: BaseGeometry | None, where: str) -> tuple[float, float] | None:
    """For ``crs = "auto"``: the middle of the boundary or the OSM file, when known."""
    if crs == "auto" and ref is not None and where != "Great Britain":
        c = ref.centroid  # the boundary's or the OSM file's middle
        return (c.x, c.y)
    return None


def _area_points(
    cfg: Config, schools_p: Sequence[_Parsed], incidents_p: Sequence[_Parsed]
) -> gpd.GeoSeries | None:
    """Return the points that make the study area when there is no boundary or OSM file."""
    if cfg.area.boundary is not None or cfg.graph.osm_file is not None:
        return None
    frames = [p for p in schools_p if len(p.frame)] or [p for p in incidents_p if len(p.frame)]
    if frames:
        lonlat = np.concatenate([np.column_stack(_to_lonlat(p)) for p in frames])
    else:  # every row rejected (for dates, say): still report them, in an area of their own
        lonlat = np.concatenate(
            [np.zeros((0, 2)), *(p.located for p in [*schools_p, *incidents_p])]
        )
    if not len(lonlat):
        return None
    return gpd.GeoSeries(gpd.points_from_xy(lonlat[:, 0], lonlat[:, 1]), crs="EPSG:4326")


@dataclass(frozen=True)
class _Sources:
    """Every parsed source of an area, and the CRS, zone and study area they are put in."""

    crs: str
    tz: str
    study_area: BaseGeometry
    schools: list[_Parsed]
    hubs: list[_Parsed]
    incidents: list[_Parsed]


def _assemble(s: _Sources, *, strict: bool) -> Inputs:
    """Project and combine the sources of each kind; report; check each source is usable."""
    schools, r1, j1 = _combine_kind("schools", s.schools, s)
    hubs, r2, j2 = _combine_kind("hubs", s.hubs, s)
    incidents, r3, j3 = _combine_kind("incidents", s.incidents, s)
    reports = (*r1, *r2, *r3)
    _log_reports(reports)
    logger.info(
        "Loaded %s schools, %s hubs, %s incidents in %s",
        f"{len(schools):,}",
        f"{len(hubs):,}",
        f"{len(incidents):,}",
        s.crs,
    )
    rejects = _concat_rejects([j1, j2, j3])
    if strict:
        check_usable(reports, rejects)
    return Inputs(
        crs=s.crs,
        timezone=s.tz,
        study_area=s.study_area,
        schools=schools,
        hubs=hubs,
        incidents=incidents,
        reports=reports,
        rejects=rejects,
    )


def _combine_kind(
    kind: str, parsed: list[_Parsed], s: _Sources
) -> tuple[gpd.GeoDataFrame, list[SourceReport], pd.DataFrame]:
    """:func:`_combine` of one kind's sources; no source: an empty table of that kind."""
    frame, reports, rejects = _combine(parsed, s.crs, s.study_area, s.tz)
    if not parsed:
        frame = _empty_frame(kind, s.crs, s.tz)
    return frame, reports, rejects


def _nothing_placed(parsed: Sequence[_Parsed], tz: str, *, strict: bool) -> Inputs | None:
    """
    Say so when no source kept a located row because sources lost every row while parsing.

    Then no CRS or study area can be found: raise that (``strict``), or return their reports
    and no rows (``corridors validate``). None when that is not the cause.
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
    return Inputs(
        crs=crs,
        timezone=tz,
        study_area=box(0, 0, 0, 0),
        schools=_empty_frame("schools", crs, tz),
        hubs=_empty_frame("hubs", crs, tz),
        incidents=_empty_frame("incidents", crs, tz),
        reports=reports,
        rejects=rejects,
    )
