"""The corridor stage's files: corridors and loops as GeoJSON and GPX, and CSV tables.

:func:`write_corridor_exports` writes every file of the stage into the week's folder (each
atomically); :func:`corridor_streets` is the per-street summary it writes as a CSV.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors.outputs import write_csv, write_text
from corridors.routes.network import _text
from corridors.routes.result import (
    CORRIDOR_ID,
    DURATION_MIN,
    FOOTFALL,
    LENGTH_M,
    LOOP_ID,
    MEETING_POINT,
    RISK,
    START_TIME,
    STREET_ID,
    Corridors,
)


def corridor_streets(corridors: Corridors) -> pd.DataFrame:
    """
    Summarise each corridor per street (pavements count with their street).

    Parameters
    ----------
    corridors
        The week's plan from :func:`plan_corridors`.

    Returns
    -------
    pandas.DataFrame
        One row per corridor and street: corridor_id, street_id, name, length_m (metres of
        street in the corridor), footfall (the busiest segment's), risk (sum), sorted by
        corridor and decreasing risk.
    """
    cols = [CORRIDOR_ID, STREET_ID, "name", LENGTH_M, FOOTFALL, RISK]
    segs = corridors.segments
    if len(segs) == 0:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame({
        CORRIDOR_ID: segs[CORRIDOR_ID].to_numpy(), STREET_ID: segs[STREET_ID].astype(str),
        "name": segs["name"].astype(object).map(_text).to_numpy(),
        LENGTH_M: segs.geometry.length.to_numpy(), FOOTFALL: segs[FOOTFALL].to_numpy(),
        RISK: segs[RISK].to_numpy(),
    })  # fmt: skip
    out = frame.groupby([CORRIDOR_ID, STREET_ID], sort=False).agg(
        name=("name", "first"), length_m=(LENGTH_M, "sum"), footfall=(FOOTFALL, "max"),
        risk=(RISK, "sum"),
    ).reset_index()  # fmt: skip
    out[LENGTH_M] = out[LENGTH_M].round(1)
    return out.sort_values([CORRIDOR_ID, RISK], ascending=[True, False], kind="stable")[
        cols
    ].reset_index(drop=True)


def write_corridor_exports(corridors: Corridors, folder: Path) -> list[Path]:
    """
    Write corridors and loops as GeoJSON and GPX, and CSVs of loops and unpatrolled schools.

    GeoJSON is in EPSG:4326 with coordinates rounded to 6 decimal places; the GPX file has
    one named track per loop. Every file is written atomically.

    Parameters
    ----------
    corridors
        The week's plan from :func:`plan_corridors`.
    folder
        The week's folder (created if missing).

    Returns
    -------
    list of Path
        ``corridors.geojson``, ``loops.geojson``, ``loops.gpx``, ``loops.csv``,
        ``unpatrolled.csv`` and ``corridor_streets.csv``.
    """
    import gpxpy.gpx

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [
        write_text(folder / "corridors.geojson", _geojson(corridors.corridors)),
        write_text(folder / "loops.geojson", _geojson(corridors.loops)),
    ]
    gpx = gpxpy.gpx.GPX()
    gpx.name = "Safer Corridors patrol loops"
    loops = corridors.loops
    wgs = loops.to_crs("EPSG:4326") if len(loops) else loops
    for _, row in wgs.iterrows():
        track = gpxpy.gpx.GPXTrack(
            name=f"{row[LOOP_ID]}: from {row[MEETING_POINT]} at {row[START_TIME]}",
            description=(
                f"{row[LENGTH_M]:.0f} m, about {row[DURATION_MIN]:.0f} min; corridor "
                f"{row[CORRIDOR_ID]}"
            ),
        )
        seg = gpxpy.gpx.GPXTrackSegment()
        for lon, lat in shapely.get_coordinates(row.geometry):
            seg.points.append(gpxpy.gpx.GPXTrackPoint(round(lat, 6), round(lon, 6)))
        track.segments.append(seg)
        gpx.tracks.append(track)
    written.append(write_text(folder / "loops.gpx", gpx.to_xml()))
    for name, frame in (
        ("loops.csv", loops),
        ("unpatrolled.csv", corridors.unpatrolled),
        ("corridor_streets.csv", corridor_streets(corridors)),
    ):
        table = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
        written.append(write_csv(table, folder / name, float_format="%.10g"))
    return written


def _geojson(frame: gpd.GeoDataFrame) -> str:
    if len(frame) == 0:
        return json.dumps({"type": "FeatureCollection", "features": []})
    wgs = frame.to_crs("EPSG:4326")
    geoms = shapely.transform(wgs.geometry.to_numpy(), lambda c: np.round(c, 6))
    wgs = wgs.set_geometry(gpd.GeoSeries(geoms, index=wgs.index, crs="EPSG:4326"))
    for col in wgs.columns:
        if (
            col != "geometry"
            and not pd.api.types.is_numeric_dtype(wgs[col])
            and not pd.api.types.is_bool_dtype(wgs[col])
        ):
            wgs[col] = wgs[col].astype(object).map(_text)
    return wgs.to_json(drop_id=True, to_wgs84=False)
