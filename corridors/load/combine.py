"""Sources combined into one table per kind: projected to the area's CRS and checked.

Every source's rows are projected to the area's metric CRS; rows whose coordinates cannot
be projected, that lie outside the study area, or whose id an earlier row or source already
used are rejected with their reason, so every row is either used or in the rejects.
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from corridors.load.report import SourceReport, _concat_rejects, _report
from corridors.load.schema import (
    HUB_ID,
    INCIDENT_ID,
    KIND,
    LOCATION,
    MONTH,
    NAME,
    OCCURRED_AT,
    OFFENCE,
    PHASE,
    R_DUP_ID,
    R_OUTSIDE,
    R_RANGE_XY,
    SCHOOL_ID,
    SOURCE,
    SOURCE_FILE,
    SOURCE_LINE,
    TIME_KNOWN,
)
from corridors.load.tables import _Parsed

logger = logging.getLogger(__name__)


def _project(
    parsed: _Parsed, crs: str, study_area: BaseGeometry | None
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Project to ``crs``, reject rows outside the area and duplicate ids."""
    f = parsed.frame
    tr = pyproj.Transformer.from_crs(parsed.crs, crs, always_xy=True)
    x, y = tr.transform(f["_x"].to_numpy(dtype=float), f["_y"].to_numpy(dtype=float))
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    reason = np.full(len(f), None, dtype=object)
    bad = ~np.isfinite(x) | ~np.isfinite(y)
    reason[bad] = R_RANGE_XY
    if study_area is not None and len(f):
        shapely.prepare(study_area)
        inside = shapely.contains_xy(study_area, np.where(bad, 0, x), np.where(bad, 0, y))
        reason[~bad & ~inside] = R_OUTSIDE
    id_col = {"schools": SCHOOL_ID, "hubs": HUB_ID, "incidents": INCIDENT_ID}[parsed.kind]
    ok = np.asarray(pd.isna(reason), dtype=bool)  # no reason
    ids = f[id_col].to_numpy(dtype=object)
    dup = np.zeros(len(f), dtype=bool)
    if ok.any():
        dup[ok] = pd.Series(ids[ok]).duplicated(keep="first").to_numpy()
    reason[dup] = R_DUP_ID
    ok = np.asarray(pd.isna(reason), dtype=bool)  # no reason
    bad_rows = ~ok
    column = np.where(reason == R_DUP_ID, parsed.id_col or id_col, "coordinates")
    shown = np.full(len(f), "", dtype=object)
    where = np.flatnonzero(bad_rows & (reason != R_DUP_ID))
    xs_in, ys_in = f["_x"].to_numpy(dtype=float), f["_y"].to_numpy(dtype=float)
    shown[where] = [f"{xs_in[i]:.6f},{ys_in[i]:.6f}" for i in where]
    value = np.where(reason == R_DUP_ID, ids, shown)
    rejects = pd.DataFrame(
        {
            "source": parsed.name,
            "file": f["_file"].to_numpy()[bad_rows],
            "line": f["_line"].to_numpy()[bad_rows],
            "column": column[bad_rows],
            "reason": reason[bad_rows],
            "value": value[bad_rows],
        }
    )
    keep = (
        f[ok]
        .drop(columns=["_x", "_y", "_lon", "_lat"])
        .rename(columns={"_file": SOURCE_FILE, "_line": SOURCE_LINE})
    )
    keep.insert(len(keep.columns) - 2, SOURCE, parsed.name)
    keep[SOURCE_LINE] = keep[SOURCE_LINE].astype("int64")
    gdf = gpd.GeoDataFrame(
        keep.reset_index(drop=True), geometry=gpd.points_from_xy(x[ok], y[ok]), crs=crs
    )
    return gdf, rejects


def _empty_frame(kind: str, crs: str, tz: str) -> gpd.GeoDataFrame:
    """Return an empty table of ``kind``, with its columns and their types."""
    columns: dict[str, dict[str, Any]] = {
        "schools": {SCHOOL_ID: [], NAME: [], PHASE: []},
        "hubs": {HUB_ID: [], NAME: [], KIND: []},
        "incidents": {
            INCIDENT_ID: [], OFFENCE: [], MONTH: [],
            OCCURRED_AT: pd.DatetimeIndex([], tz=tz), TIME_KNOWN: np.array([], dtype=bool),
            LOCATION: [],
        },
    }  # fmt: skip
    frame = pd.DataFrame(columns[kind])
    frame[SOURCE_FILE] = pd.Series([], dtype=str)
    frame[SOURCE] = pd.Series([], dtype=str)
    frame[SOURCE_LINE] = pd.Series([], dtype="int64")
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def _combine(
    parsed: list[_Parsed], crs: str, study_area: BaseGeometry | None, tz: str
) -> tuple[gpd.GeoDataFrame, list[SourceReport], pd.DataFrame]:
    frames: list[gpd.GeoDataFrame] = []
    reports: list[SourceReport] = []
    all_rejects: list[pd.DataFrame] = []
    seen: set[str] = set()
    for p in parsed:
        gdf, rej = _project(p, crs, study_area)
        id_col = {"schools": SCHOOL_ID, "hubs": HUB_ID, "incidents": INCIDENT_ID}[p.kind]
        clash = gdf[id_col].isin(seen).to_numpy()
        if clash.any():  # the same id in an earlier source
            extra = pd.DataFrame(
                {
                    "source": p.name,
                    "file": gdf[SOURCE_FILE].to_numpy()[clash],
                    "line": gdf[SOURCE_LINE].to_numpy()[clash],
                    "column": p.id_col or id_col,
                    "reason": R_DUP_ID,
                    "value": gdf[id_col].to_numpy()[clash],
                }
            )
            rej = pd.concat([rej, extra], ignore_index=True)
            gdf = gdf[~clash].reset_index(drop=True)
        seen.update(gdf[id_col].tolist())
        rejects = pd.concat([*p.rejects, rej], ignore_index=True) if p.rejects else rej
        rejects = rejects.sort_values(["file", "line"], kind="stable", ignore_index=True)
        reports.append(_report(p, len(gdf), rejects))
        frames.append(gdf)
        all_rejects.append(rejects)
    kind = parsed[0].kind if parsed else "schools"
    nonempty = [f for f in frames if len(f)]
    if nonempty:
        frame = gpd.GeoDataFrame(
            pd.concat(nonempty, ignore_index=True), geometry="geometry", crs=crs
        )
    else:
        frame = _empty_frame(kind, crs, tz) if not frames else frames[0].iloc[0:0]
    rejects_all = _concat_rejects(all_rejects)
    return frame, reports, rejects_all
