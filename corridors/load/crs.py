"""The area's metric CRS and time zone, chosen from where its data lie.

:func:`choose_crs` picks the British National Grid in Great Britain, else the local UTM
zone; :func:`choose_timezone` reads the IANA zone at the area's centre (``"auto"``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import math
from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from corridors.errors import ConfigError, InputDataError
from corridors.load.tables import _Parsed, _to_lonlat

logger = logging.getLogger(__name__)


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
            f'cannot choose [area] timezone = "auto": the area\'s centre ({lon:.4f}, '
            f"{lat:.4f}) is at sea or outside every time zone; {fix}"
        )
    chosen = centre or max(sorted(found), key=lambda z: found[z])
    try:
        ZoneInfo(chosen)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # an older tz database than the map's
        raise ConfigError(
            f'cannot choose [area] timezone = "auto": {chosen!r} (the zone at ({lon:.4f}, '
            f"{lat:.4f})) is not in this system's time-zone database; {fix}"
        ) from exc
    others = sorted(z for z in found if not _same_clock(z, chosen))
    if others:
        raise ConfigError(
            f'cannot choose [area] timezone = "auto": the area around ({lon:.4f}, '
            f"{lat:.4f}) spans time zones that keep different times ({chosen}, "
            f"{', '.join(others)}); {fix}"
        )
    return chosen


def _area_timezone(study_area: BaseGeometry, crs: str) -> str:
    """``[area] timezone = "auto"``: the zone of the study area (logged)."""
    area = gpd.GeoSeries([study_area], crs=crs).to_crs("EPSG:4326").iloc[0]
    centre = gpd.GeoSeries([study_area.centroid], crs=crs).to_crs("EPSG:4326").iloc[0]
    (lon, lat), *_ = shapely.get_coordinates(centre).tolist()
    tz = choose_timezone(lon, lat, area)
    logger.info(
        'Time zone %s, from the area\'s location ([area] timezone = "auto"; set it to override)',
        tz,
    )
    return tz


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
