"""Stop-and-search records with their personal columns, for equality monitoring only.

Every other reader drops the personal columns of a data.police.uk stop-and-search file at
read time (:func:`corridors.load.tables._read_table`). :func:`load_stops` keeps the few an
equality table needs (age range, self- and officer-defined ethnicity, gender, outcome), and
only when the config has an ``[equality]`` section: without it, it refuses.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from corridors.config import Config, SourceConfig
from corridors.errors import ConfigError
from corridors.load.incidents import _parse_incidents
from corridors.load.schema import OCCURRED_AT
from corridors.load.tables import _expand_paths, _read_table
from corridors.load.times import _DateLimit

logger = logging.getLogger(__name__)

AGE = "age_range"
SELF_ETHNICITY = "self_ethnicity"
OFFICER_ETHNICITY = "officer_ethnicity"
GENDER = "gender"
OUTCOME = "outcome"
#: the file's columns kept for ``[equality]``, and their names in :func:`load_stops`' table
KEPT = {
    "Age range": AGE,
    "Self-defined ethnicity": SELF_ETHNICITY,
    "Officer-defined ethnicity": OFFICER_ETHNICITY,
    "Gender": GENDER,
    "Outcome": OUTCOME,
}


def stop_sources(cfg: Config) -> tuple[SourceConfig, ...]:
    """Return the stop-and-search files ``[equality]`` reads: its ``stops``, else the incidents'."""
    if cfg.equality is None:
        return ()
    if cfg.equality.stops:
        return tuple(SourceConfig(path=p, format="police-stop-search") for p in cfg.equality.stops)
    return tuple(s for s in cfg.incidents if s.format == "police-stop-search")


def load_stops(cfg: Config, *, crs: str, tz: str) -> gpd.GeoDataFrame:
    """
    Read stop-and-search records with the columns equality monitoring needs.

    Parameters
    ----------
    cfg
        The config; its ``[equality]`` section must be present.
    crs, tz
        The area's CRS (the table's geometry) and time zone (``occurred_at``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per usable stop: ``occurred_at`` (tz-aware), ``age_range``,
        ``self_ethnicity``, ``officer_ethnicity``, ``gender``, ``outcome`` and a point.
        Rows the incident checks reject (no date, no place) are left out.

    Raises
    ------
    ConfigError
        Without ``[equality]``, or when it has no stop-and-search file to read.
    """
    if cfg.equality is None:
        raise ConfigError(
            "personal columns of stop-and-search records are read only for equality "
            "monitoring: add an [equality] section to the config to ask for it"
        )
    sources = stop_sources(cfg)
    if not sources:
        raise ConfigError(
            '[equality] found no stop-and-search file: set [equality] stops = ["FILE"] or '
            'add an [[incidents]] source with format = "police-stop-search"'
        )
    frames = [_read_stops(src, tz) for src in sources]
    frame = pd.concat(frames, ignore_index=True)
    geometry = gpd.points_from_xy(frame.pop("_lon"), frame.pop("_lat"), crs="EPSG:4326")
    out = gpd.GeoDataFrame(frame, geometry=geometry).to_crs(crs)
    logger.info("Loaded %d stop-and-search records for equality monitoring", len(out))
    return out


def _read_stops(src: SourceConfig, tz: str) -> pd.DataFrame:
    """One source's usable rows: when, where and the kept personal columns."""
    files, root = _expand_paths(src, "police-stop-search")
    table = _read_table(src, "police-stop-search", files, root, keep_personal=True)
    parsed = _parse_incidents(
        table, src, src.name or Path(src.path).name, tz, _DateLimit.of(None, tz)
    )
    raw = table.frame.set_index(["_file", "_line"])
    keys = pd.MultiIndex.from_arrays([parsed.frame["_file"], parsed.frame["_line"]])
    out = pd.DataFrame({OCCURRED_AT: parsed.frame[OCCURRED_AT].to_numpy()})
    for column, name in KEPT.items():
        values = raw[column].reindex(keys) if column in raw.columns else pd.Series("", index=keys)
        out[name] = values.fillna("").astype(str).str.strip().to_numpy()
    out["_lon"] = parsed.frame["_lon"].to_numpy()
    out["_lat"] = parsed.frame["_lat"].to_numpy()
    return out
