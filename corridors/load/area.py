"""Where the area is: the study area polygon, and points whose coordinates look exchanged.

Coordinates as people have them: a row whose numbers cannot be a place (non-finite, out of
range once projected) is rejected, never the whole source; a source whose two coordinate
columns look exchanged (:func:`_check_swaps`) is refused with the ``columns`` setting that
fixes it; a study area made from points leaves strays out (:func:`robust_extent`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from corridors.errors import InputDataError
from corridors.load import osm
from corridors.load.schema import GB_LONLAT, R_SWAPPED_LONLAT, R_SWAPPED_XY, SWAPPED_SHARE
from corridors.load.tables import _Parsed, _to_lonlat

logger = logging.getLogger(__name__)


ROBUST_FLOOR_M = 50_000.0
"""Points within this distance (metres, on each axis) of the points' median are never left
out of an extent made from points (:func:`robust_extent`)."""


def robust_extent(
    x: np.ndarray, y: np.ndarray, *, floor: float = ROBUST_FLOOR_M, k: float = 10.0
) -> tuple[float, float, float, float]:
    """
    Return the bounding box of the bulk of some points, strays far from the rest left out.

    On each axis a point is kept when it lies within ``max(k * 1.4826 * MAD, floor)`` of the
    median (MAD: the median absolute deviation, robust to a few wild points however wild). So
    a few outliers never stretch the box, points within ``floor`` of the middle are always
    kept, and a large area spread evenly (a whole country) keeps all its points.

    Examples
    --------
    >>> robust_extent(np.array([486e3, 487e3, 485e3, 1e12]), np.array([308e3, 309e3, 307e3, 3e5]))
    (485000.0, 307000.0, 487000.0, 309000.0)
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.ones(len(x), dtype=bool)
    for v in (x, y):
        middle = np.median(v)
        mad = np.median(np.abs(v - middle))
        keep &= np.abs(v - middle) <= max(k * 1.4826 * mad, floor)
    if not keep.any():
        keep[:] = True
    left_out = int((~keep).sum())
    if left_out:
        logger.info("%d point(s) far from the rest left out of the extent", left_out)
    return (
        float(x[keep].min()), float(y[keep].min()), float(x[keep].max()), float(y[keep].max())
    )  # fmt: skip


def study_area_from(
    *,
    crs: str,
    boundary: Path | None = None,
    osm_file: Path | None = None,
    points: gpd.GeoSeries | None = None,
    buffer_m: float = 2000.0,
) -> BaseGeometry:
    """
    Return the study area polygon in ``crs``.

    The ``boundary`` polygon file wins; else the bounds of ``osm_file`` (its header bbox or
    the extent of its nodes); else the bounding box of the bulk of ``points`` (see
    :func:`robust_extent`: a stray point far from the rest is left out, so it is rejected as
    outside the study area rather than stretching it) buffered by ``buffer_m``.

    Raises
    ------
    InputDataError
        If the boundary file cannot be read or holds no polygon, or nothing is given.
    """
    if boundary is not None:
        if not boundary.exists():
            raise InputDataError(f"{boundary}: boundary file not found; check area.boundary")
        try:
            gdf = gpd.read_file(boundary)
        except Exception as exc:
            raise InputDataError(
                f"{boundary.name}: cannot read the boundary ({str(exc).splitlines()[0]}); "
                "expected a GeoJSON/GeoPackage/shapefile of polygons"
            ) from exc
        if gdf.crs is None:
            raise InputDataError(f"{boundary.name}: the boundary has no CRS; save it with one")
        polys = gdf[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
        if polys.empty:
            raise InputDataError(
                f"{boundary.name}: no polygon in the boundary file; expected polygons"
            )
        return shapely.make_valid(polys.to_crs(crs).union_all())
    if osm_file is not None:
        west, south, east, north = osm.osm_bounds(osm_file)
        ring = shapely.segmentize(box(west, south, east, north), 0.01)
        return gpd.GeoSeries([ring], crs="EPSG:4326").to_crs(crs).iloc[0]
    if points is not None and len(points):
        xy = shapely.get_coordinates(points.to_crs(crs).to_numpy())
        finite = np.isfinite(xy).all(axis=1)
        if finite.any():
            geographic = pyproj.CRS.from_user_input(crs).is_geographic
            minx, miny, maxx, maxy = robust_extent(
                xy[finite, 0], xy[finite, 1], floor=0.5 if geographic else ROBUST_FLOOR_M
            )
            return box(minx, miny, maxx, maxy).buffer(buffer_m, join_style="mitre")
    raise InputDataError(
        "no study area: set area.boundary or graph.osm_file, or give at least one school"
    )


def _reference_extent(
    crs: str,
    *,
    study_area: BaseGeometry | None = None,
    boundary: Path | None = None,
    osm_file: Path | None = None,
) -> tuple[BaseGeometry | None, str]:
    """Return the extent (degrees) the sources' points should fall in, and its name.

    The study area (in ``crs``) or the boundary file, else the OSM file's bounds, else Great
    Britain when ``crs`` is "auto" or British National Grid, else the area of use of ``crs``.
    """
    if study_area is not None:
        return gpd.GeoSeries([study_area], crs=crs).to_crs("EPSG:4326").iloc[0], "the study area"
    if boundary is not None and boundary.exists():
        return study_area_from(crs="EPSG:4326", boundary=boundary), f"the boundary {boundary.name}"
    if osm_file is not None:
        return box(*osm.osm_bounds(osm_file)), f"the bounds of {osm_file.name}"
    if crs == "auto":
        return box(*GB_LONLAT), "Great Britain"
    try:
        crs_obj = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        return None, ""
    if crs_obj.to_epsg() == 27700:
        return box(*GB_LONLAT), "Great Britain"
    use = crs_obj.area_of_use
    if use is None:
        return None, ""
    return box(use.west, use.south, use.east, use.north), f"the area of use of {crs}"


def _check_swaps(parsed: _Parsed, ref: BaseGeometry | None, where: str) -> _Parsed:
    """Refuse a source whose two coordinates look exchanged; reject single rows that do.

    A row looks swapped when it lies outside ``ref`` (degrees), inside it with its two
    coordinates exchanged, and further from it than ``ref`` is wide (so an area near the
    diagonal x = y, where a swap moves a point only a little, is never judged). When that is
    :data:`SWAPPED_SHARE` of the rows or more, the columns are swapped: an error naming the
    fix. Fewer such rows are rejected one by one (R_SWAPPED_LONLAT / R_SWAPPED_XY).
    """
    f = parsed.frame
    if ref is None or ref.is_empty or parsed.fmt == "osm" or not len(f):
        return parsed
    lon, lat = _to_lonlat(parsed)
    x, y = f["_x"].to_numpy(dtype=float), f["_y"].to_numpy(dtype=float)
    crs_obj = pyproj.CRS.from_user_input(parsed.crs)
    lonlat = bool(crs_obj.is_geographic)
    shapely.prepare(ref)
    candidate = ~shapely.contains_xy(ref, lon, lat)
    if candidate.any():  # outside: inside the other way round?
        idx = np.flatnonzero(candidate)
        if lonlat:
            slon, slat = y[idx], x[idx]
        else:
            back = pyproj.Transformer.from_crs(crs_obj, "EPSG:4326", always_xy=True)
            with np.errstate(invalid="ignore", over="ignore"):
                slon, slat = (np.asarray(v, dtype=float) for v in back.transform(y[idx], x[idx]))
        finite = np.isfinite(slon) & np.isfinite(slat)
        candidate[idx] = finite & shapely.contains_xy(
            ref, np.where(finite, slon, 0.0), np.where(finite, slat, 0.0)
        )
    if candidate.any():
        idx = np.flatnonzero(candidate)
        west, south, east, north = ref.bounds
        wide = math.hypot(east - west, north - south)
        candidate[idx] = shapely.distance(ref, shapely.points(lon[idx], lat[idx])) > wide
    k, n = int(candidate.sum()), len(f)
    if not k:
        return parsed
    if k >= SWAPPED_SHARE * n:
        raise _swap_error(parsed.table_path.name, k, n, where, lonlat, parsed.coords, parsed.crs)
    logger.warning("%s: %d row(s) look swapped (outside %s)", parsed.name, k, where)
    rejects = pd.DataFrame(
        {
            "source": parsed.name,
            "file": f["_file"].to_numpy()[candidate],
            "line": f["_line"].to_numpy()[candidate],
            "column": "/".join(parsed.coords),
            "reason": R_SWAPPED_LONLAT if lonlat else R_SWAPPED_XY,
            "value": [f"{a:.6f},{b:.6f}" for a, b in zip(x[candidate], y[candidate], strict=True)],
        }
    )
    return replace(
        parsed,
        frame=f[~candidate].reset_index(drop=True),
        rejects=[*parsed.rejects, rejects],
        id_generated=parsed.id_generated[~candidate],
    )


def _swap_error(
    name: str, k: int, n: int, where: str, lonlat: bool, labels: tuple[str, str], crs: str
) -> InputDataError:
    """Return the error for a file whose two coordinate columns look exchanged, with the fix."""
    xcol, ycol = labels
    axes = "longitude and latitude" if lonlat else "x and y"
    if xcol == "geometry":
        what = "the geometry's x and y"
        fix = "export the file again with x = longitude (easting) and y = latitude (northing)"
    elif lonlat:
        what = f"the columns {xcol!r} (read as longitude) and {ycol!r} (read as latitude)"
        fix = f'set columns = {{ lon = "{ycol}", lat = "{xcol}" }} in the source'
    else:
        what = f"the columns {xcol!r} (read as x, easting) and {ycol!r} (read as y, northing)"
        fix = (
            f'set columns = {{ x = "{ycol}", y = "{xcol}" }} in the source; if the numbers are '
            f"not in {crs}, set the source's crs instead (--crs on the command line)"
        )
    if where == "Great Britain":
        fix += (
            "; if the points really lie outside Great Britain, set [area] crs to their local "
            'CRS (e.g. "EPSG:32740")'
        )
    return InputDataError(
        f"{name}: {k:,} of {n:,} located rows lie outside {where} but inside it with {axes} "
        f"exchanged: {what} look swapped; {fix}"
    )
