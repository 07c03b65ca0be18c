"""Transport hubs from generic tables (CSV, GeoJSON, GeoPackage): id, name and kind.

A hub's ``kind`` must be one of :data:`~corridors.load.schema.HUB_KINDS`; hubs from OSM
files are read by :mod:`corridors.load.osm`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import pandas as pd

from corridors.config import SourceConfig
from corridors.load.rows import (
    _Checker,
    _col,
    _Columns,
    _find_columns,
    _finish_parse,
    _ids,
    _locate,
)
from corridors.load.schema import HUB_ID, HUB_KINDS, KIND, NAME, R_NO_KIND
from corridors.load.tables import _Parsed, _Table

logger = logging.getLogger(__name__)


def _parse_hubs(table: _Table, src: SourceConfig, name: str) -> _Parsed:
    chk = _Checker(table, name)
    cols = _find_columns(
        table,
        src,
        ("id", "name", "kind", "x", "y", "lat", "lon"),
        defaults={"x": "_x", "y": "_y"} if table.crs else None,
    )
    crs = table.crs or src.crs or "EPSG:4326"
    where = _locate(chk, table, src, cols, crs)
    return _finish_parse("hubs", table, src, chk, where, _hub_columns(chk, table, cols))


def _hub_columns(chk: _Checker, table: _Table, cols: Mapping[str, str | None]) -> _Columns:
    """HUB_ID, NAME and KIND; hubs of an unknown kind rejected."""
    f = table.frame
    ids, generated = _ids(chk, f, cols.get("id"), chk.name, table.multi)
    out = pd.DataFrame(index=f.index)
    out[HUB_ID] = ids
    out[NAME] = _col(f, cols.get("name")).to_numpy(dtype=object)
    kinds = _col(f, cols.get("kind")).str.lower()
    chk.reject(
        ~kinds.isin(HUB_KINDS).to_numpy(),
        R_NO_KIND,
        str(cols.get("kind") or "kind"),
        kinds.to_numpy(),
    )
    out[KIND] = kinds.to_numpy(dtype=object)
    return _Columns(out, cols.get("id"), generated)
