"""Risk and evidence: intensity per segment, incidents near a corridor, the reason.

Incident intensity per street segment (from the hotspots stage, else counted here), the
look-back incidents near a corridor, and the plain-words reason a corridor is (or is not)
patrolled.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from corridors import load
from corridors.config import RouteConfig
from corridors.graph import StreetGraph
from corridors.hotspots import IN_WINDOW, WEIGHT, Hotspots
from corridors.routes.network import _Net
from corridors.routes.result import MONTH_ONLY_NOTE
from corridors.week import Window


def _uses_spots(spots: Hotspots | None) -> bool:
    """Whether the hotspots stage gives the intensity (else incidents are counted here)."""
    return spots is not None and len(spots.edge_intensity) > 0


def _segment_intensity(
    net: _Net,
    spots: Hotspots | None,
    recent: gpd.GeoDataFrame,
    street: StreetGraph,
    cfg: RouteConfig,
) -> tuple[np.ndarray, str]:
    """Incident intensity per segment, and a note saying how it was measured."""
    n_seg = len(net.seg_rows)
    if spots is not None and _uses_spots(spots):
        per_edge = spots.edge_intensity.reindex(street.edges.index).fillna(0.0).to_numpy(float)
        inten = np.zeros(n_seg)
        np.maximum.at(inten, net.seg, per_edge)
        return inten, f"incident intensity from the hotspots stage ({spots.method})"
    buffer_m = cfg.incident_buffer_m
    inten = np.zeros(n_seg)
    if len(recent):
        tree = gpd.GeoSeries(net.geoms, crs=street.crs).sindex
        src, hit = tree.query(recent.geometry.to_numpy(), predicate="dwithin", distance=buffer_m)
        pairs = pd.DataFrame({"inc": src, "seg": net.seg[hit]}).drop_duplicates()
        weight = recent[WEIGHT].to_numpy(float)
        np.add.at(inten, pairs["seg"].to_numpy(), weight[pairs["inc"].to_numpy()])
    return inten, (
        f"incident intensity: recency-weighted count (half-life {cfg.half_life_weeks:g} weeks) "
        f"of look-back incidents within {buffer_m:g} m of each street segment"
    )


def _near(recent: gpd.GeoDataFrame, geom: BaseGeometry, buffer_m: float) -> gpd.GeoDataFrame:
    if len(recent) == 0:
        return recent
    idx = recent.sindex.query(geom, predicate="dwithin", distance=buffer_m)
    return recent.iloc[np.sort(idx)]


def _evidence(near: gpd.GeoDataFrame, window: Window) -> tuple[int, dict[str, int], str]:
    n = len(near)
    offences = (
        {str(k): int(v) for k, v in near[load.OFFENCE].astype(str).value_counts().items()}
        if n
        else {}
    )
    known = int(near[IN_WINDOW].sum()) if n else 0
    text = f"{window.days_label()} {window.start}-{window.end}"
    if n == 0:
        note = f"no incidents nearby (after-school window {text})"
    elif known == n:
        note = f"after-school window ({text})"
    elif known == 0:
        note = MONTH_ONLY_NOTE
    else:
        note = f"{known} in the after-school window ({text}); {n - known} {MONTH_ONLY_NOTE}"
    return n, offences, note


def _why_not_patrolled(
    n_inc: int,
    risk: float,
    from_spots: bool,
    cfg: RouteConfig,
    lookback_weeks: int,
    n_recent: int | None = None,
) -> str | None:
    """Return why a corridor gets no patrol (no needless contact), or None if it does.

    ``n_recent`` is the number of usable look-back incidents in the whole area: with none,
    the reason says there is no evidence, never that the corridor is quiet.
    """
    if n_recent == 0:
        return (
            f"no usable incidents in the last {lookback_weeks} weeks (none loaded, or none in "
            "the look-back and the after-school window): no evidence either way"
        )
    counted = (
        f"{n_inc} incident{'' if n_inc == 1 else 's'} within {cfg.incident_buffer_m:g} m in "
        f"{lookback_weeks} weeks"
    )
    if n_inc == 0 and cfg.min_incidents > 0:
        return (
            f"no incidents within {cfg.incident_buffer_m:g} m of its streets in the last "
            f"{lookback_weeks} weeks"
        )
    if n_inc < cfg.min_incidents:
        return f"only {counted}, fewer than corridors.min_incidents ({cfg.min_incidents})"
    if risk > cfg.min_risk:
        return None
    if risk > 0:
        return f"risk {risk:.3g} is not above corridors.min_risk ({cfg.min_risk:g}); {counted}"
    if from_spots:
        return f"no after-school hotspot on its streets; {counted}"
    return f"no after-school incidents within {cfg.incident_buffer_m:g} m of its streets"


def _reason(
    names: list[str],
    streets: list[str],
    n_inc: int,
    offences: dict[str, int],
    time_note: str,
    why_not: str | None,
    cfg: RouteConfig,
    lookback_weeks: int,
) -> str:
    who = names[0] if len(names) == 1 else f"{len(names)} schools ({', '.join(names)})"
    where = ", ".join(streets[:3]) + (f" and {len(streets) - 3} more" if len(streets) > 3 else "")
    top = ", ".join(f"{k.lower()} ({v})" for k, v in list(offences.items())[:3])
    what = (
        f"{n_inc} incident{'' if n_inc == 1 else 's'} within {cfg.incident_buffer_m:g} m in the "
        f"last {lookback_weeks} "
        f"weeks ({time_note})" + (f", mostly {top}" if top else "")
    )
    walking = (
        f"{who}: the streets carrying {cfg.corridor_share:.0%} of after-school walking to "
        f"homes and transport are {where}"
    )
    if why_not is None:
        return f"Chosen: {walking}; {what}."
    return f"Not patrolled ({why_not}): {walking}; {what}."


def _street_list(names: np.ndarray, lengths: np.ndarray) -> list[str]:
    """Street names of a corridor, longest first ("unnamed streets" if none is named)."""
    frame = pd.DataFrame({"name": names.astype(str), "length": lengths})
    frame = frame[frame["name"] != ""]
    if frame.empty:
        return ["unnamed streets"]
    totals = frame.groupby("name", sort=False)["length"].sum().sort_values(ascending=False)
    return [str(name) for name in totals.index]


def nearest_incident_m(schools: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame) -> dict[str, float]:
    """Return each school's distance (metres) to the nearest loaded incident (inf: none)."""
    ids = schools[load.SCHOOL_ID].astype(str).tolist()
    if not len(incidents) or not ids:
        return dict.fromkeys(ids, math.inf)
    pts = shapely.get_coordinates(incidents.geometry.to_numpy())
    dist, _ = cKDTree(pts).query(shapely.get_coordinates(schools.geometry.to_numpy()))
    return {sid: float(d) for sid, d in zip(ids, np.atleast_1d(dist), strict=True)}


def uncovered_reason(
    members: Sequence[str], nearest: Mapping[str, float], cfg: RouteConfig
) -> str | None:
    """
    Return why the incident data cannot judge a corridor, or None when it covers it.

    Covered: some school of the corridor has a loaded incident within ``coverage_m``.
    """
    if cfg.coverage_m <= 0:
        return None
    near = min((nearest.get(s, math.inf) for s in members), default=math.inf)
    if near <= cfg.coverage_m:
        return None
    where = (
        "no incident at all"
        if math.isinf(near)
        else f"the nearest incident is {near / 1000:.1f} km away"
    )
    return (
        f"the incident data does not cover it ({where}, more than corridors.coverage_m = "
        f"{cfg.coverage_m:g} m): no evidence either way; add the incidents of the force or "
        "source that covers this school"
    )
