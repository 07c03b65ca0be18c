"""The plan history an evaluation reads, and the check that it still holds.

An I/O edge: it reads ``<out_dir>/<area>/plans.gpkg`` (through
:func:`corridors.maps.history.read_history`) and each evaluated week's folder: its
``manifest.json`` (every file with its SHA-256), ``loops.csv`` and ``edge_intensity.csv``.
A week whose folder no longer matches its manifest (a file changed, missing or added), or
whose loops in ``plans.gpkg`` are not the loops of its folder, is refused with the week named.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from corridors import publish
from corridors.errors import ConfigError, InputDataError
from corridors.maps.history import WEEK, read_history
from corridors.outputs import read_csv
from corridors.week import HISTORY_GPKG, WEEK_RE

LOOP_ID = "loop_id"


@dataclass(frozen=True)
class PlanHistory:
    """The evaluated weeks' plans, as published and checked against their manifests.

    ``loops`` (lines in the area's CRS) and ``roster`` (one row per person and slot) carry a
    ``week`` column; ``intensity`` is each week's hotspot intensity per street edge (indexed
    by ``u``, ``v``, ``key``; empty when the method made none); ``manifests`` each week's
    manifest; ``area_dir`` the area's folder.
    """

    weeks: tuple[str, ...]
    loops: gpd.GeoDataFrame
    roster: pd.DataFrame
    intensity: dict[str, pd.Series]
    manifests: dict[str, dict[str, Any]]
    area_dir: Path


def weeks_between(first: str, last: str) -> list[str]:
    """
    Return the ISO weeks from ``first`` to ``last`` inclusive.

    Raises
    ------
    ConfigError
        If either is not an ISO week, or ``last`` comes before ``first``.

    Examples
    --------
    >>> weeks_between("2022-W52", "2023-W02")
    ['2022-W52', '2023-W01', '2023-W02']
    """
    start, end = week_monday(first), week_monday(last)
    if end < start:
        raise ConfigError(f"--to {last} is before --from {first}; give the earlier week first")
    days = (end - start).days
    return [_iso(start + dt.timedelta(days=d)) for d in range(0, days + 1, 7)]


def week_monday(week: str) -> dt.date:
    """Return the Monday of an ISO week ``"YYYY-Www"`` (ConfigError if it is not one)."""
    m = WEEK_RE.fullmatch(week)
    if m is None:
        raise ConfigError(f"week must look like '2022-W45', got {week!r}")
    try:
        return dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError as exc:
        raise ConfigError(f"week {week!r} does not exist ({exc})") from exc


def _iso(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def read_plan_history(area_dir: str | Path, first: str, last: str) -> PlanHistory:
    """
    Read the planned weeks from ``first`` to ``last`` and check each against its manifest.

    Weeks of the range that were never planned are skipped (an evaluation may span a
    holiday); a range with no planned week at all is an error.

    Raises
    ------
    InputDataError
        If there is no history, no planned week in the range, or a week's folder is missing,
        no longer matches its manifest, or disagrees with ``plans.gpkg``: the message names
        the week and what differs.
    """
    area = Path(area_dir)
    layers = read_history(area / HISTORY_GPKG)
    wanted = weeks_between(first, last)
    planned = {str(w) for t in layers.values() if WEEK in t.columns for w in t[WEEK]}
    weeks = tuple(w for w in wanted if w in planned)
    if not weeks:
        known = ", ".join(sorted(planned)[-6:]) or "none"
        raise InputDataError(
            f"{area / HISTORY_GPKG}: no planned week from {first} to {last} (planned weeks: "
            f"{known}); plan them first (corridors plan --week {first})"
        )
    loops_all = layers.get("loops", gpd.GeoDataFrame({WEEK: [], LOOP_ID: []}, geometry=[]))
    loops = gpd.GeoDataFrame(loops_all[loops_all[WEEK].astype(str).isin(weeks)].copy())
    roster = layers.get("roster", pd.DataFrame({WEEK: []}))
    roster = pd.DataFrame(roster[roster[WEEK].astype(str).isin(weeks)]).drop(
        columns=["geometry"], errors="ignore"
    )
    manifests: dict[str, dict[str, Any]] = {}
    intensity: dict[str, pd.Series] = {}
    for week in weeks:
        folder = area / week
        manifests[week] = check_week(folder, week, loops[loops[WEEK] == week])
        intensity[week] = _intensity(folder)
    return PlanHistory(weeks, loops, roster, intensity, manifests, area)


def check_week(folder: Path, week: str, loops: pd.DataFrame) -> dict[str, Any]:
    """
    Return a week's manifest once its folder is shown to be the plan it records.

    Raises
    ------
    InputDataError
        Naming the week: the folder is missing or unreadable, a file differs from the
        manifest's SHA-256 (or is missing, or was added), or the loops of ``plans.gpkg``
        are not those of the folder's ``loops.csv``.
    """
    if not folder.is_dir():
        raise InputDataError(
            f"week {week}: plans.gpkg has it but its folder {folder} is gone; re-plan it "
            f"(corridors plan --week {week}) or leave it out of --from/--to"
        )
    try:
        problems = publish.verify_week(folder)
        doc = publish.read_manifest(folder)
    except publish.PublishError as exc:
        raise InputDataError(f"week {week}: {exc}") from exc
    if problems:
        raise InputDataError(
            f"week {week}: the folder {folder} no longer matches its manifest "
            f"({'; '.join(problems[:5])}); the plan cannot be trusted as published: restore "
            f"the folder, or re-plan the week (corridors plan --week {week})"
        )
    planned = sorted(str(v) for v in loops[LOOP_ID])
    csv_path = folder / "loops.csv"
    listed = sorted(str(v) for v in read_csv(csv_path)[LOOP_ID]) if csv_path.exists() else []
    if planned != listed:
        raise InputDataError(
            f"week {week}: plans.gpkg lists loops {planned} but {csv_path} has {listed}; the "
            f"history and the week folder disagree: re-plan the week (corridors plan --week "
            f"{week})"
        )
    return doc


def _intensity(folder: Path) -> pd.Series:
    """Return the week's hotspot intensity per street edge (``edge_intensity.csv``), maybe empty."""
    path = folder / "edge_intensity.csv"
    if not path.exists():
        return pd.Series(dtype=float)
    frame = read_csv(path)
    return frame.set_index(["u", "v", "key"])["intensity"].astype(float)
