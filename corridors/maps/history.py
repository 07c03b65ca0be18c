"""
The area's plan history, ``<out_dir>/<area>/plans.gpkg``.

One layer per kind of result, each row carrying its ISO week. An I/O edge: it reads and
rewrites the GeoPackage.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pyogrio

from corridors.errors import InputDataError
from corridors.maps.values import _is_missing, _week_start
from corridors.outputs import atomic_path

if TYPE_CHECKING:
    from corridors.hotspots import Hotspots
    from corridors.roster import Roster
    from corridors.routes import Corridors

logger = logging.getLogger(__name__)

WEEK = "week"  # column added to every history layer
HISTORY_LAYERS = ("corridors", "loops", "roster", "hotspots")


def append_history(
    gpkg_path: str | Path,
    *,
    week: str,
    corridors: Corridors | None,
    rota: Roster | None,
    spots: Hotspots | None,
    into: str | Path | None = None,
) -> Path:
    """
    Add one week's plan to the area's GeoPackage history, replacing that week if present.

    Layers ``corridors``, ``loops`` (lines, area CRS), ``roster`` (attribute table: the
    roster's assignments) and ``hotspots`` (polygons) each carry a ``week`` column. Rows of
    other weeks are kept; rows of ``week`` are replaced, never duplicated. The new file is
    built next to the old one and renamed onto it.

    Parameters
    ----------
    gpkg_path
        ``<out_dir>/<area>/plans.gpkg``.
    week
        ISO week, ``"YYYY-Www"``.
    corridors, rota, spots
        The week's ``Corridors``, ``Roster`` and ``Hotspots``; any may be None.
    into
        Write the new history here instead of onto ``gpkg_path`` (a publisher stages it
        until the week is published: ``corridors.publish.pending_history``).

    Returns
    -------
    pathlib.Path
        The file written: ``into`` or ``gpkg_path``.

    Raises
    ------
    ConfigError
        If ``week`` is not an ISO week.
    InputDataError
        If the existing file cannot be read as a GeoPackage.
    """
    _week_start(week)
    path = Path(gpkg_path)
    new: dict[str, pd.DataFrame | None] = {
        "corridors": corridors.corridors if corridors is not None else None,
        "loops": corridors.loops if corridors is not None else None,
        "roster": rota.assignments if rota is not None else None,
        "hotspots": spots.polygons if spots is not None else None,
    }
    old = _read_history(path) if path.exists() else {}
    written = 0
    target = Path(into) if into is not None else path
    with atomic_path(target) as tmp:
        for layer in [*HISTORY_LAYERS, *[n for n in old if n not in HISTORY_LAYERS]]:
            table = _layer_table(old.get(layer), new.get(layer), week)
            if table is None:
                continue
            _write_layer(table, tmp, layer)
            written += 1
        if written == 0:
            pd.DataFrame({WEEK: [week]}).iloc[:0].pipe(_write_layer, tmp, "weeks")
    logger.info("Appended week %s to %s", week, target)
    return target


def read_history(gpkg_path: str | Path) -> dict[str, pd.DataFrame]:
    """
    Return every layer of the area's plan history by name (``corridors evaluate`` reads it).

    Raises
    ------
    InputDataError
        If the file is missing or cannot be read as a GeoPackage.
    """
    path = Path(gpkg_path)
    if not path.exists():
        raise InputDataError(
            f"{path}: no plan history; plan some weeks first (corridors plan --week 2022-W45)"
        )
    return _read_history(path)


def _read_history(path: Path) -> dict[str, pd.DataFrame]:
    """Every layer of an existing history file, by name."""
    old: dict[str, pd.DataFrame] = {}
    try:
        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
        for layer in names:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                old[layer] = gpd.read_file(path, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputDataError(
            f"{path}: cannot read the plan history ({exc}). Move the file away to start a "
            "new history."
        ) from exc
    return old


def _layer_table(
    prev: pd.DataFrame | None, frame: pd.DataFrame | None, week: str
) -> pd.DataFrame | None:
    """Return a layer's rows of other weeks and ``week``'s new rows (None: none at all)."""
    parts = []
    if prev is not None and len(prev):
        parts.append(prev[prev[WEEK].astype(str) != week] if WEEK in prev.columns else prev)
    if frame is not None and len(frame):
        parts.append(_history_frame(frame, week, like=prev))
    parts = [p for p in parts if len(p)]
    if not parts:
        return None
    return pd.concat(parts, ignore_index=True)


def _history_frame(frame: pd.DataFrame, week: str, *, like: pd.DataFrame | None) -> pd.DataFrame:
    out = frame.copy()
    if isinstance(out.index, pd.MultiIndex) or out.index.name is not None:
        out = out.reset_index()
    out = out.reset_index(drop=True)
    for col in out.columns:
        if col == "geometry" or isinstance(out[col].dtype, gpd.array.GeometryDtype):
            continue
        s = out[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            continue
        if pd.api.types.is_datetime64_any_dtype(s):
            out[col] = s.astype(str)
            continue
        out[col] = [None if _is_missing(v) else str(v) for v in s]
    out.insert(0, WEEK, week)
    if (
        isinstance(out, gpd.GeoDataFrame)
        and isinstance(like, gpd.GeoDataFrame)
        and like.crs is not None
        and out.crs is not None
        and out.crs != like.crs
    ):
        out = out.to_crs(like.crs)
    return out


def _write_layer(table: pd.DataFrame, path: Path, layer: str) -> None:
    if (
        isinstance(table, gpd.GeoDataFrame)
        and "geometry" in table.columns
        and table.geometry.notna().any()
    ):
        gdf = gpd.GeoDataFrame(table, geometry="geometry", crs=table.crs)
        pyogrio.write_dataframe(
            gdf, path, layer=layer, driver="GPKG", promote_to_multi=True, append=path.exists()
        )
    else:
        plain = pd.DataFrame(table.drop(columns=["geometry"], errors="ignore"))
        pyogrio.write_dataframe(plain, path, layer=layer, driver="GPKG", append=path.exists())
