"""From a source in the config to its files, their format and the parser for its rows."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from corridors.config import SourceConfig
from corridors.errors import InputDataError
from corridors.load import osm
from corridors.load.files import _file_sha
from corridors.load.hubs import _parse_hubs
from corridors.load.incidents import _parse_incidents
from corridors.load.schema import HUB_ID, KIND, NAME, PHASE, SCHOOL_ID
from corridors.load.schools import _parse_schools
from corridors.load.tables import _expand_paths, _format_of, _Parsed, _read_geo_table, _read_table
from corridors.load.times import _DateLimit

logger = logging.getLogger(__name__)


def _parse_osm(
    src: SourceConfig, kind: str, name: str, path: Path, cache: dict[Path, Any] | None
) -> _Parsed:
    if cache is not None:
        key = path.resolve()
        if key not in cache:
            cache[key] = osm.read_osm_pois(path)
        gdf = cache[key][0 if kind == "schools" else 1]
    else:
        gdf = osm.read_osm_schools(path) if kind == "schools" else osm.read_osm_hubs(path)
    n = len(gdf)
    out = pd.DataFrame(index=range(n))
    ids = gdf[osm.OSM_ID].astype(str).to_numpy(dtype=object)
    names = gdf[osm.NAME].astype(str).to_numpy(dtype=object)
    unnamed = names == ""
    if kind == "schools":
        out[SCHOOL_ID] = ids
        out[NAME] = np.where(unnamed, "unnamed school (" + ids + ")", names)
        out[PHASE] = gdf[osm.PHASE].to_numpy(dtype=object)
    else:
        out[HUB_ID] = ids
        out[NAME] = np.where(
            unnamed,
            "unnamed " + gdf[osm.KIND].to_numpy(dtype=object) + " stop (" + ids + ")",
            names,
        )
        out[KIND] = gdf[osm.KIND].to_numpy(dtype=object)
    out["_x"] = gdf.geometry.x.to_numpy()
    out["_y"] = gdf.geometry.y.to_numpy()
    out["_lon"] = out["_x"]
    out["_lat"] = out["_y"]
    out["_file"] = path.name
    out["_line"] = np.arange(n, dtype=np.int64) + 1
    return _Parsed(
        kind, name, src, path, "osm", 1, _file_sha([path]), n, out, "EPSG:4326",
        [], "osm_id", np.zeros(n, dtype=bool),
    )  # fmt: skip


def _parse_source(
    src: SourceConfig,
    kind: str,
    tz: str,
    cache: dict[Path, Any] | None = None,
    limit: _DateLimit | None = None,
) -> _Parsed:
    if not isinstance(src, SourceConfig):
        src = SourceConfig(path=Path(src))
    name = src.name
    if name.endswith(".gz"):
        name = name[:-3]
    name = name[:-4] if name.endswith(".csv") else name
    fmt_hint = src.format
    text = str(src.path)
    if not any(ch in text for ch in "*?[") and not src.path.exists():
        raise InputDataError(f"{src.path}: file not found; check the {kind} source's path")
    files, root = _expand_paths(src, fmt_hint)
    fmt = _format_of(src, files[0])
    allowed = {
        "schools": ("gias", "edubase", "osm", "csv", "geojson", "gpkg"),
        "hubs": ("osm", "csv", "geojson", "gpkg"),
        "incidents": ("police-street", "police-stop-search", "csv", "geojson", "gpkg"),
    }[kind]
    if fmt not in allowed:
        raise InputDataError(
            f"{files[0].name}: format {fmt!r} cannot give {kind}; "
            f"expected one of {', '.join(allowed)}"
        )
    if fmt == "osm":
        return _parse_osm(src, kind, name, files[0], cache)
    if fmt in ("geojson", "gpkg"):
        table = _read_geo_table(src, fmt, files[0])
    else:
        table = _read_table(src, fmt, files, root)
    if kind == "schools":
        return _parse_schools(table, src, name)
    if kind == "hubs":
        return _parse_hubs(table, src, name)
    return _parse_incidents(table, src, name, tz, limit or _DateLimit.of(None, tz))
