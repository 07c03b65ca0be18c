"""After-school hotspots: selection, weighting, clustering and backtests.

CONTRACT:
- ``find_hotspots(incidents, cfg: HotspotConfig, *, timezone, week_start, lookback_weeks,
  street: StreetGraph | None = None, previous=None, study_area=None, term=None) -> Hotspots``
- ``select_incidents(incidents, cfg, *, timezone, week_start, lookback_weeks, term=None,
  all_hours=None) -> gpd.GeoDataFrame`` (adds WEIGHT, IN_WINDOW, AGE_WEEKS)
- ``backtest(incidents, cfgs, *, timezone, study_area, street=None, periods=None,
  period="auto", train_periods=None, term=None) -> pd.DataFrame`` (TABLE_COLUMNS, ranked)
- ``tune(incidents, cfg, *, timezone, study_area, street=None, methods=None, grid=None,
  period="auto", periods=None, train_periods=None) -> pd.DataFrame`` (ranked table);
  ``write_backtest(table, folder) -> [tune.csv, tune.png]``; ``format_backtest(table) -> str``
- ``write_hotspots(spots, folder) -> list[Path]``; ``plot_backtest(table, path) -> Path``
- ``expand_sweep(cfg, sweep=None)``, ``parse_sweep(["eps_m=100,150"])`` for ``--grid``
  (values typed by their ``HotspotConfig`` field: :func:`corridors.config.parse_grid`)
- ``load_term_dates(path) -> TermDates`` (calendar, report, rejects);
  ``read_term_dates(path) -> TermCalendar`` (strict)

Public functions
----------------
- :func:`select_incidents`: the look-back window, the after-school window (weekdays,
  ``window_start``-``window_end`` local time, optional school days only), offence weights
  and recency decay. Adds WEIGHT, IN_WINDOW and AGE_WEEKS.
- :func:`find_hotspots`: DBSCAN, HDBSCAN, kernel density on a grid, or network-constrained
  intensity on street segments. Returns :class:`Hotspots`.
- :func:`backtest` / :func:`tune`: rolling backtests scored with hit rate, PAI and PEI at a
  fixed share of the study area, always with a naive baseline row.
- :func:`write_hotspots`, :func:`plot_backtest`, :func:`format_table`: outputs.

Notes on the data: data.police.uk locations are snap points (many crimes share one point:
that is the anonymisation, not a super-hotspot). Clustering therefore works on distinct
locations carrying their incident counts as sample weights, and the network method snaps
every incident to the nearest street segment first. Month-only records cannot be put in
the after-school window; they are used without the time filter and every output says so.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io as _stdio
import itertools
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint
from shapely.geometry.base import BaseGeometry

from corridors.config import HotspotConfig, config_to_dict, parse_grid, typed_sweep
from corridors.errors import ConfigError, EmptyResultError, InputDataError
from corridors.load import (
    MONTH,
    OCCURRED_AT,
    OFFENCE,
    R_BAD_DATE,
    REJECT_COLUMNS,
    TIME_KNOWN,
    SourceReport,
    _check_text_file,
    months_in_lookback,
)
from corridors.outputs import atomic_path, write_csv, write_text

if TYPE_CHECKING:
    from corridors.graph import StreetGraph

logger = logging.getLogger(__name__)

# Columns added to the selected incidents.
WEIGHT = "weight"
CLUSTER = "cluster"
IN_WINDOW = "in_window"
AGE_WEEKS = "age_weeks"
# Columns of Hotspots.polygons.
HOTSPOT_ID = "hotspot_id"
WEIGHTED_COUNT = "weighted_count"
INCIDENTS = "incidents"
SHARE = "share"
AREA_M2 = "area_m2"
OFFENCES = "offences"
RANK = "rank"

#: Youth-relevant data.police.uk crime categories and their default weights. Override or
#: extend them with ``[hotspots] offence_weights``; other categories get ``other_weight``.
DEFAULT_OFFENCE_WEIGHTS: Mapping[str, float] = {
    "Violence and sexual offences": 1.0,
    "Robbery": 1.0,
    "Possession of weapons": 1.0,
    "Theft from the person": 0.75,
    "Public order": 0.5,
    "Anti-social behaviour": 0.5,
    "Drugs": 0.5,
    # data.police.uk stop and search (as the loader labels it): police activity, not crime,
    # so weighted like its nearest crime type but only when such records are loaded
    "Stop and search: Offensive weapons": 1.0,
    "Stop and search: Firearms": 1.0,
    "Stop and search: Anything to threaten or harm anyone": 1.0,
    "Stop and search: Controlled drugs": 0.5,
}

MONTH_ONLY_NOTE = (
    "month-only incidents (data.police.uk publishes month and snapped location only) "
    "were used without the after-school time filter"
)
SNAP_NOTE = (
    "police.uk locations are anonymised snap points: many incidents share one point, "
    "so distinct locations are clustered with their counts as weights"
)
BASELINE = "naive baseline"
_AUTO_THIN_POINTS = 100_000
_ID_CELL_M = 250.0
_METHODS = ("dbscan", "hdbscan", "kde", "network")


# -- output type -------------------------------------------------------------------------


@dataclass(frozen=True)
class Hotspots:
    """Hotspots for one planned week.

    ``selected``: the incidents used, with WEIGHT (offence weight x recency decay) and
    CLUSTER (-1 = none). ``polygons``: one row per hotspot (hotspot_id, weighted_count,
    share, area_m2, offences, geometry). ``edge_intensity``: weighted incident intensity
    per street edge, indexed by (u, v, key) of the street graph (empty if no graph).
    ``time_known``: False when month-only data was used without a time filter; ``notes``
    are plain-words caveats every output repeats.

    Details added by the hotspots stage: ``selected`` also has IN_WINDOW (time known and
    inside the after-school window on a school day) and AGE_WEEKS (age at the start of the
    planned week). ``polygons`` (projected CRS, metres) also has ``rank`` (1 = most
    weight per area), ``incidents`` (count) and ``offences`` is a JSON object
    ``{offence: count}``. ``edge_intensity`` is in weighted incidents attributed to each
    edge (both directions of a street get the same value), for every method:

    - ``network``: weight of the incidents snapped (within ``snap_m``) to the edge;
    - ``dbscan``/``hdbscan``: the same, counting only incidents inside a hotspot polygon;
    - ``kde``: the kernel density at the edge's midpoint (weight per m2) times the area of
      the edge's ``snap_m`` buffer (``length x 2 snap_m``).
    """

    selected: gpd.GeoDataFrame
    polygons: gpd.GeoDataFrame
    edge_intensity: pd.Series
    method: str
    params: dict[str, object]
    time_known: bool
    notes: tuple[str, ...]


@dataclass(frozen=True)
class TermCalendar:
    """School terms and holidays (local dates, inclusive ranges).

    A day is a school day when it falls in no holiday range and, if any terms are given,
    inside a term.

    Examples
    --------
    >>> import datetime as dt
    >>> cal = TermCalendar(holidays=((dt.date(2022, 10, 24), dt.date(2022, 10, 28)),))
    >>> cal.is_school_day(np.array(["2022-10-21", "2022-10-24"], dtype="datetime64[D]")).tolist()
    [True, False]
    """

    terms: tuple[tuple[dt.date, dt.date], ...] = ()
    holidays: tuple[tuple[dt.date, dt.date], ...] = ()

    def is_school_day(self, days: np.ndarray) -> np.ndarray:
        """Return a boolean array: is each ``datetime64[D]`` day a school day."""
        days = np.asarray(days, dtype="datetime64[D]")
        ok = np.ones(days.shape, dtype=bool)
        if self.terms:
            in_term = np.zeros(days.shape, dtype=bool)
            for start, end in self.terms:
                in_term |= (days >= np.datetime64(start)) & (days <= np.datetime64(end))
            ok &= in_term
        for start, end in self.holidays:
            ok &= ~((days >= np.datetime64(start)) & (days <= np.datetime64(end)))
        return ok


@dataclass(frozen=True)
class TermDates:
    """A term dates file as read: the calendar of its good rows, its report and its rejects."""

    calendar: TermCalendar
    report: SourceReport
    rejects: pd.DataFrame  # columns REJECT_COLUMNS


R_TERM_ENDS_EARLY = "ends before it starts"
R_TERM_KIND = "kind is not 'term' or 'holiday'"


_TERM_DATES_WHAT = (
    "a term dates CSV with columns start, end (YYYY-MM-DD) and kind (hotspots.term_dates)"
)


def load_term_dates(path: str | Path) -> TermDates:
    """
    Read term dates and holidays from a CSV file, keeping every bad row with its reason.

    Parameters
    ----------
    path
        CSV (UTF-8) with columns ``start`` and ``end`` (ISO dates, inclusive) and an optional
        ``kind`` column (``term``, the default, or ``holiday``). Blank lines are skipped.

    Returns
    -------
    TermDates
        The calendar of the accepted rows, a :class:`~corridors.load.SourceReport` (kind
        ``term dates``) and the rejected rows (file, line, column, reason, value).

    Raises
    ------
    InputDataError
        If the file cannot be read at all (missing, a folder, empty, binary, not UTF-8) or
        lacks the ``start`` and ``end`` columns.
    """
    path = Path(path)
    _check_text_file(path, _TERM_DATES_WHAT)  # missing, a folder, empty, binary, ...
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputDataError(
            f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save "
            "it as UTF-8 CSV"
        ) from exc
    reader = csv.reader(_stdio.StringIO(text))
    try:
        rows = [(reader.line_num, cells) for cells in reader if "".join(cells).strip()]
    except csv.Error as exc:
        raise InputDataError(f"{path}: not a well-formed CSV ({exc})") from exc
    if not rows:
        raise InputDataError(f"{path}: the file is empty; expected {_TERM_DATES_WHAT}")
    header = [h.strip().lower() for h in rows[0][1]]
    missing = {"start", "end"} - set(header)
    if missing:
        raise InputDataError(
            f"{path}: term dates need columns 'start' and 'end' (ISO dates); "
            f"missing {sorted(missing)}, found {header}"
        )
    table = [
        (line, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header)})
        for line, cells in rows[1:]
    ]
    terms: list[tuple[dt.date, dt.date]] = []
    holidays: list[tuple[dt.date, dt.date]] = []
    rejects: list[tuple[str, str, int, str, str, str]] = []
    for line, row in table:
        texts = {c: str(row[c]).strip() for c in ("start", "end")}
        days: dict[str, dt.date] = {}
        for col, text in texts.items():
            try:
                days[col] = dt.date.fromisoformat(text)
            except ValueError:
                rejects.append(("term dates", str(path), line, col, R_BAD_DATE, text))
                break
        if len(days) < 2:
            continue
        if days["end"] < days["start"]:
            rejects.append(("term dates", str(path), line, "end", R_TERM_ENDS_EARLY,
                            f"{texts['start']} .. {texts['end']}"))  # fmt: skip
            continue
        kind = str(row.get("kind", "term") or "term").strip().lower()
        if kind not in ("term", "holiday"):
            rejects.append(("term dates", str(path), line, "kind", R_TERM_KIND, kind))
            continue
        (terms if kind == "term" else holidays).append((days["start"], days["end"]))
    frame = pd.DataFrame(rejects, columns=list(REJECT_COLUMNS))
    counts = frame["reason"].value_counts()
    report = SourceReport(
        kind="term dates", name=path.name, path=str(path), read=len(table),
        accepted=len(terms) + len(holidays), rejected={str(k): int(v) for k, v in counts.items()},
        sha256=hashlib.sha256(raw).hexdigest(), format="csv",
    )  # fmt: skip
    calendar = TermCalendar(terms=tuple(terms), holidays=tuple(holidays))
    return TermDates(calendar, report, frame)


def read_term_dates(path: str | Path) -> TermCalendar:
    """
    Read term dates and holidays from a CSV file (see :func:`load_term_dates`).

    Returns
    -------
    TermCalendar
        The terms and holidays.

    Raises
    ------
    InputDataError
        If the file cannot be read, or a row has a bad date or kind (the first one is named;
        ``corridors validate`` lists them all).
    """
    loaded = load_term_dates(path)
    if len(loaded.rejects):
        bad = loaded.rejects.iloc[0]
        what = {
            R_BAD_DATE: f"has a bad date ({bad['value']!r}); write dates as YYYY-MM-DD",
            R_TERM_ENDS_EARLY: f"ends before it starts ({bad['value']})",
            R_TERM_KIND: f"column 'kind' must be 'term' or 'holiday', got {bad['value']!r}",
        }[str(bad["reason"])]
        more = len(loaded.rejects) - 1
        raise InputDataError(
            f"{path}: row {bad['line']} {what}"
            + (f" ({more} more bad rows: run 'corridors validate')" if more else "")
        )
    return loaded.calendar


def term_calendar(cfg: HotspotConfig) -> TermCalendar | None:
    """Return the calendar from ``term_dates`` and ``holidays``, or None if neither is set."""
    if cfg.term_dates is None and not cfg.holidays:
        return None
    cal = read_term_dates(cfg.term_dates) if cfg.term_dates else TermCalendar()
    extra = []
    for text in cfg.holidays:
        parts = [dt.date.fromisoformat(p.strip()) for p in text.split("/")]
        extra.append((parts[0], parts[-1]))
    return TermCalendar(terms=cal.terms, holidays=cal.holidays + tuple(extra))


def offence_weights(cfg: HotspotConfig) -> dict[str, float]:
    """Return the offence weights in use: the defaults updated with ``cfg.offence_weights``."""
    weights = dict(DEFAULT_OFFENCE_WEIGHTS)
    weights.update(cfg.offence_weights)
    return weights


def unweighted_offences_hint(offences: pd.Series, cfg: HotspotConfig, *, top: int = 10) -> str:
    """
    Return the offence names that get no weight, with counts, and the two ways to weight them.

    ``offences`` is the OFFENCE column of the incidents. The ``top`` most frequent names are
    listed, then ``...`` and how many more. :func:`find_hotspots` and :func:`tune` use it
    when no incident has a weight.

    Examples
    --------
    >>> hint = unweighted_offences_hint(pd.Series(["Robo", "Hurto", "Robo"]), HotspotConfig())
    >>> hint.split(". ")[0]
    'offences found with no weight: Robo (2), Hurto (1)'
    >>> '[hotspots] offence_weights = { "Robo" = 2.0, "Hurto" = 2.0, ... }' in hint
    True
    >>> hint.endswith("[hotspots] other_weight = 1.0")
    True
    """
    weights = offence_weights(cfg)
    counts = offences.astype("string").fillna("").value_counts()
    counts = counts[[weights.get(str(k), cfg.other_weight) <= 0 for k in counts.index]]
    counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    listed = [f"{k or '(blank)'} ({v:,})" for k, v in counts.head(top).items()]
    if len(counts) > top:
        listed.append(f"... ({len(counts) - top:,} more)")
    examples = [str(k) for k in counts.index if k][:2] or ["Offence name"]
    pairs = ", ".join(
        '"' + k.replace("\\", "\\\\").replace('"', '\\"') + '" = 2.0' for k in examples
    )
    found = f"offences found with no weight: {', '.join(listed)}. " if listed else ""
    return (
        f"{found}Weight them with [hotspots] offence_weights = {{ {pairs}, ... }} or give every "
        "offence not in the table a weight with [hotspots] other_weight = 1.0"
    )


def check_weighted(incidents: pd.DataFrame, cfg: HotspotConfig) -> None:
    """
    Raise if there are incidents but none has an offence weight (see :func:`offence_weights`).

    Raises
    ------
    EmptyResultError
        Listing the offence names found with their counts, and how to weight them.
    """
    if not len(incidents) or OFFENCE not in incidents:
        return
    weights = offence_weights(cfg)
    names = incidents[OFFENCE].astype("string").fillna("")
    if any(weights.get(str(k), cfg.other_weight) > 0 for k in names.unique()):
        return
    raise EmptyResultError(
        f"none of the {len(incidents):,} incidents has an offence weight (the weights table "
        "has the youth-relevant data.police.uk categories and [hotspots] offence_weights; "
        f"other offences get other_weight = {cfg.other_weight:g}); "
        + unweighted_offences_hint(names, cfg)
    )


# -- selection ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Selection:
    table: gpd.GeoDataFrame
    notes: tuple[str, ...]
    time_known: bool
    unknown_offences: dict[str, int]


def select_incidents(
    incidents: gpd.GeoDataFrame,
    cfg: HotspotConfig,
    *,
    timezone: str,
    week_start: dt.date,
    lookback_weeks: int,
    term: TermCalendar | None = None,
    all_hours: bool | None = None,
) -> gpd.GeoDataFrame:
    """
    Select and weight the incidents a hotspot run uses.

    Keeps incidents of the ``lookback_weeks`` weeks before ``week_start`` (month-only
    records when their whole month ended before ``week_start`` and mid-month falls in the
    look-back, or it is the newest such month: :func:`corridors.load.months_in_lookback`),
    with a positive offence weight, and (unless ``all_hours``) those with a
    known time inside the after-school window: local time (``timezone``, so daylight
    saving is handled) in ``[window_start, window_end)`` on ``weekdays``, and on school
    days when ``exclude_holidays`` is set. Month-only records are kept without the time
    filter.

    Parameters
    ----------
    incidents
        Incidents in the io contract (OFFENCE, MONTH, OCCURRED_AT tz-aware or NaT,
        TIME_KNOWN, geometry in a projected CRS in metres).
    cfg
        Window, weekdays, offence weights, ``half_life_weeks``, term dates.
    timezone
        The area's time zone, e.g. ``"Europe/London"``.
    week_start
        Monday of the planned week (local date); ages are measured from its midnight.
    lookback_weeks
        Length of the look-back in weeks.
    term
        School calendar; default: read from ``cfg.term_dates`` / ``cfg.holidays``.
    all_hours
        Use incidents of every hour (training on all hours); default
        ``cfg.train_all_hours``.

    Returns
    -------
    gpd.GeoDataFrame
        The selected rows (same CRS) with WEIGHT (offence weight x
        ``0.5 ** (AGE_WEEKS / half_life_weeks)``), IN_WINDOW (bool) and AGE_WEEKS.
    """
    return _select(
        incidents, cfg, timezone=timezone, week_start=week_start,
        lookback_weeks=lookback_weeks, term=term, all_hours=all_hours,
    ).table  # fmt: skip


def _local_times(incidents: pd.DataFrame, timezone: str) -> pd.Series:
    raw = (
        incidents[OCCURRED_AT]
        if OCCURRED_AT in incidents
        else pd.Series(pd.NaT, index=incidents.index)
    )
    if not isinstance(raw.dtype, pd.DatetimeTZDtype):
        converted = pd.to_datetime(raw, errors="coerce")
        if isinstance(converted.dtype, pd.DatetimeTZDtype):
            raw = converted
        else:
            raw = converted.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward")
    return raw.dt.tz_convert(timezone)


def _month_starts(incidents: pd.DataFrame) -> pd.Series:
    if MONTH not in incidents:
        return pd.Series(pd.NaT, index=incidents.index, dtype="datetime64[ns]")
    return pd.to_datetime(incidents[MONTH].astype("string"), format="%Y-%m", errors="coerce")


def _window_mask(local: pd.Series, cfg: HotspotConfig, term: TermCalendar | None) -> np.ndarray:
    minutes = (local.dt.hour * 60 + local.dt.minute).to_numpy(dtype=float, na_value=np.nan)
    weekday = local.dt.day_of_week.to_numpy(dtype=float, na_value=np.nan)
    start = _hhmm(cfg.window_start)
    end = _hhmm(cfg.window_end)
    ok = (minutes >= start) & (minutes < end) & np.isin(weekday, cfg.weekdays)
    if term is not None and cfg.exclude_holidays:
        days = local.dt.tz_localize(None).dt.floor("D").to_numpy(dtype="datetime64[D]")
        valid = ~np.isnat(days)
        school = np.zeros(len(days), dtype=bool)
        school[valid] = term.is_school_day(days[valid])
        ok &= school
    return ok


def _select(
    incidents: gpd.GeoDataFrame,
    cfg: HotspotConfig,
    *,
    timezone: str,
    week_start: dt.date,
    lookback_weeks: int,
    term: TermCalendar | None = None,
    all_hours: bool | None = None,
) -> _Selection:
    _check_incidents(incidents)
    if lookback_weeks <= 0:
        raise ConfigError(f"lookback_weeks must be > 0, got {lookback_weeks}")
    if term is None:
        term = term_calendar(cfg)
    if all_hours is None:
        all_hours = cfg.train_all_hours
    local = _local_times(incidents, timezone)
    if TIME_KNOWN in incidents:
        known = incidents[TIME_KNOWN].fillna(False).to_numpy(dtype=bool) & local.notna().to_numpy()
    else:
        known = local.notna().to_numpy()
    end = pd.Timestamp(week_start).tz_localize(timezone)
    start = end - pd.Timedelta(weeks=lookback_weeks)
    # month-only rows: dated mid-month (their age); used by the look-back's month rule
    month = _month_starts(incidents)
    mid = (month + pd.Timedelta(days=14)).dt.tz_localize(timezone, nonexistent="shift_forward")
    when = local.where(pd.Series(known, index=incidents.index), mid)
    in_time = ((when >= start) & (when < end)).fillna(False).to_numpy(dtype=bool)
    months = incidents[MONTH] if MONTH in incidents else pd.Series("", index=incidents.index)
    in_span = np.where(known, in_time, months_in_lookback(months, week_start, lookback_weeks))

    in_window = known & _window_mask(local, cfg, term)
    keep_time = in_window | ~known if not all_hours else np.ones(len(incidents), dtype=bool)

    weights = offence_weights(cfg)
    offence = incidents[OFFENCE].astype("string").fillna("")
    w_off = offence.map(lambda o: weights.get(o, cfg.other_weight)).to_numpy(dtype=float)
    unknown_mask = ~offence.isin(list(weights)).to_numpy() & in_span
    unknown = offence[unknown_mask].value_counts().sort_index()
    unknown_offences = {str(k): int(v) for k, v in unknown.items()}

    age_weeks = ((end - when).dt.total_seconds() / (7 * 86400)).to_numpy(
        dtype=float, na_value=np.nan
    )
    decay = np.power(0.5, age_weeks / cfg.half_life_weeks)
    rows = in_span & keep_time & (w_off > 0)
    table = incidents.loc[rows].copy()
    table[WEIGHT] = (w_off * decay)[rows]
    table[IN_WINDOW] = in_window[rows]
    table[AGE_WEEKS] = age_weeks[rows]

    notes: list[str] = []
    n_month_only = int((~known[rows]).sum())
    time_known = n_month_only == 0
    if n_month_only:
        notes.append(f"{n_month_only:,} {MONTH_ONLY_NOTE}")
    if all_hours and known[rows].any():
        notes.append(
            "hotspots were trained on incidents of all hours to predict the after-school "
            f"window ({cfg.window_start}-{cfg.window_end}, weekdays)"
        )
    if unknown_offences:
        listed = ", ".join(f"{k} ({v})" for k, v in unknown_offences.items())
        verb = f"weighted {cfg.other_weight:g}" if cfg.other_weight > 0 else "left out"
        notes.append(f"offence categories not in the weights table were {verb}: {listed}")
    return _Selection(table, tuple(notes), time_known, unknown_offences)


def _check_incidents(incidents: gpd.GeoDataFrame) -> None:
    if not isinstance(incidents, gpd.GeoDataFrame):
        raise InputDataError(
            f"incidents must be a GeoDataFrame (from corridors.load), got {type(incidents).__name__}"
        )
    if OFFENCE not in incidents:
        raise InputDataError(
            f"incidents: column {OFFENCE!r} is missing (found {list(incidents.columns)}); "
            "load them with corridors.load"
        )
    if incidents.crs is not None and not incidents.crs.is_projected:
        raise InputDataError(
            f"incidents are in {incidents.crs.to_string()}, not a projected CRS in metres; "
            "reproject them (corridors.load does) before finding hotspots"
        )


def _hhmm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


# -- clustering helpers ------------------------------------------------------------------


def _xy(table: gpd.GeoDataFrame) -> np.ndarray:
    if len(table) == 0:
        return np.zeros((0, 2))
    return shapely.get_coordinates(table.geometry.to_numpy())[:, :2].astype(float)


def _dedupe(xy: np.ndarray, thin_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge identical (or, with ``thin_m``, same-cell) points: (centres, counts, inverse)."""
    if len(xy) == 0:
        return xy, np.zeros(0), np.zeros(0, dtype=np.intp)
    key = np.floor(xy / thin_m) if thin_m > 0 else xy
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    counts = np.bincount(inverse).astype(float)
    if thin_m > 0:
        centres = np.column_stack([
            np.bincount(inverse, xy[:, 0]) / counts, np.bincount(inverse, xy[:, 1]) / counts,
        ])  # fmt: skip
    else:
        centres = xy[first]
    return centres, counts, inverse


def _thin_size(n_unique: int, cfg: HotspotConfig, radius_m: float) -> float:
    if cfg.thin_m > 0:
        return cfg.thin_m
    return radius_m / 4 if n_unique > _AUTO_THIN_POINTS else 0.0


def _cluster_labels(xy: np.ndarray, cfg: HotspotConfig, method: str) -> tuple[np.ndarray, float]:
    """Cluster labels per row (-1 = noise) and the thinning cell used (0 = none)."""
    if len(xy) == 0:
        return np.zeros(0, dtype=int), 0.0
    radius = cfg.eps_m if method == "dbscan" else cfg.cell_m
    _, counts0, _ = _dedupe(xy, 0.0)
    thin = _thin_size(len(counts0), cfg, radius)
    centres, counts, inverse = _dedupe(xy, thin)
    if method == "dbscan":
        from sklearn.cluster import DBSCAN

        model = DBSCAN(eps=cfg.eps_m, min_samples=cfg.min_samples, n_jobs=1)
        labels_u = model.fit(centres, sample_weight=counts).labels_
    else:
        labels_u = _hdbscan_labels(centres, cfg)
    return _relabel(labels_u[inverse], xy), thin


def _hdbscan_labels(centres: np.ndarray, cfg: HotspotConfig) -> np.ndarray:
    # HDBSCAN has no sample weights: it clusters distinct locations (snap points).
    if len(centres) < max(cfg.min_cluster_size, 2):
        return np.full(len(centres), -1)
    try:
        import hdbscan

        model = hdbscan.HDBSCAN(
            min_cluster_size=cfg.min_cluster_size, min_samples=cfg.min_samples,
            core_dist_n_jobs=1,
        )  # fmt: skip
        return np.asarray(model.fit(centres).labels_)
    except ImportError:  # pragma: no cover - hdbscan is installed in the project venv
        from sklearn.cluster import HDBSCAN

        skl = HDBSCAN(min_cluster_size=cfg.min_cluster_size, min_samples=cfg.min_samples, copy=True)
        return np.asarray(skl.fit(centres).labels_)


def _relabel(labels: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Renumber clusters 0.. by size (desc) then position, so labels are deterministic."""
    out = np.full(len(labels), -1)
    member = labels >= 0
    if not member.any():
        return out
    ids, inv = np.unique(labels[member], return_inverse=True)
    size = np.bincount(inv)
    minx = np.full(len(ids), np.inf)
    miny = np.full(len(ids), np.inf)
    np.minimum.at(minx, inv, xy[member, 0])
    np.minimum.at(miny, inv, xy[member, 1])
    order = np.lexsort((miny, minx, -size))
    new_of = np.empty(len(ids), dtype=int)
    new_of[order] = np.arange(len(ids))
    out[member] = new_of[inv]
    return out


def _cluster_polygons(xy: np.ndarray, labels: np.ndarray, buffer_m: float) -> list[BaseGeometry]:
    polys = []
    for c in range(labels.max() + 1 if len(labels) else 0):
        pts = np.unique(xy[labels == c], axis=0)
        polys.append(MultiPoint(pts).convex_hull.buffer(buffer_m, quad_segs=4))
    return polys


# -- grid (KDE, naive counts) ------------------------------------------------------------


@dataclass(frozen=True)
class _Grid:
    x0: float
    y0: float
    cell_m: float
    nx: int
    ny: int

    @classmethod
    def over(cls, bounds: Sequence[float], cell_m: float) -> _Grid:
        minx, miny, maxx, maxy = bounds
        x0 = math.floor(minx / cell_m) * cell_m
        y0 = math.floor(miny / cell_m) * cell_m
        nx = max(1, math.ceil((maxx - x0) / cell_m))
        ny = max(1, math.ceil((maxy - y0) / cell_m))
        return cls(x0, y0, cell_m, nx, ny)

    def index(self, xy: np.ndarray) -> np.ndarray:
        """Flat cell index per point (-1 outside the grid)."""
        ix = np.floor((xy[:, 0] - self.x0) / self.cell_m).astype(np.int64)
        iy = np.floor((xy[:, 1] - self.y0) / self.cell_m).astype(np.int64)
        ok = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        return np.where(ok, iy * self.nx + ix, -1)

    def sums(self, xy: np.ndarray, weights: np.ndarray) -> np.ndarray:
        idx = self.index(xy)
        ok = idx >= 0
        return np.bincount(idx[ok], weights[ok], minlength=self.nx * self.ny)

    def centres(self) -> np.ndarray:
        ix, iy = np.meshgrid(np.arange(self.nx), np.arange(self.ny))
        return np.column_stack([
            self.x0 + (ix.ravel() + 0.5) * self.cell_m, self.y0 + (iy.ravel() + 0.5) * self.cell_m,
        ])  # fmt: skip

    def boxes(self, cells: np.ndarray) -> np.ndarray:
        iy, ix = np.divmod(cells, self.nx)
        x = self.x0 + ix * self.cell_m
        y = self.y0 + iy * self.cell_m
        return shapely.box(x, y, x + self.cell_m, y + self.cell_m)


def _kde_surface(
    xy: np.ndarray, weights: np.ndarray, grid: _Grid, bandwidth_m: float
) -> np.ndarray:
    """Gaussian kernel density per cell (weight per m2), flat like ``grid.index``."""
    from scipy.ndimage import gaussian_filter

    mass = grid.sums(xy, weights).reshape(grid.ny, grid.nx)
    smooth = gaussian_filter(mass, sigma=bandwidth_m / grid.cell_m, mode="constant", truncate=4.0)
    return smooth.ravel() / grid.cell_m**2


def _top_units(scores: np.ndarray, areas: np.ndarray, budget_m2: float) -> np.ndarray:
    """Return the best-scoring units (score > 0) whose areas fit in ``budget_m2``."""
    order = np.lexsort((np.arange(len(scores)), -scores))
    order = order[scores[order] > 0]
    cum = np.cumsum(areas[order])
    return order[cum <= budget_m2 + 1e-6]


# -- street segments ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Segments:
    """Undirected street segments: one per (min(u,v), max(u,v), key)."""

    edge_index: pd.MultiIndex  # every directed edge
    edge_segment: np.ndarray  # segment number per directed edge
    geometry: np.ndarray  # shapely lines per segment
    length_m: np.ndarray
    u: np.ndarray
    v: np.ndarray

    def snap(self, xy: np.ndarray, max_dist_m: float) -> np.ndarray:
        """Segment number per point (-1 when none within ``max_dist_m``)."""
        out = np.full(len(xy), -1, dtype=np.int64)
        if len(xy) == 0 or len(self.geometry) == 0:
            return out
        centres, _, inverse = _dedupe(xy, 0.0)
        tree = shapely.STRtree(self.geometry)
        pts = shapely.points(centres)
        pairs = tree.query_nearest(pts, max_distance=max_dist_m, all_matches=False)
        seg_u = np.full(len(centres), -1, dtype=np.int64)
        seg_u[pairs[0]] = pairs[1]
        return seg_u[inverse]

    def per_edge(self, values: np.ndarray) -> pd.Series:
        return pd.Series(
            values[self.edge_segment], index=self.edge_index, name="intensity", dtype=float
        )


def _segments(street: StreetGraph) -> _Segments:
    edges = street.edges
    if len(edges) == 0:
        idx = pd.MultiIndex.from_arrays([[], [], []], names=["u", "v", "key"])
        return _Segments(
            idx, np.zeros(0, np.int64), np.zeros(0, object), np.zeros(0), np.zeros(0), np.zeros(0)
        )
    idx = edges.index
    if not isinstance(idx, pd.MultiIndex) or idx.nlevels != 3:
        raise InputDataError("street.edges must be indexed by (u, v, key) (osmnx graph_to_gdfs)")
    u = idx.get_level_values(0).to_numpy()
    v = idx.get_level_values(1).to_numpy()
    k = idx.get_level_values(2).to_numpy()
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    canon = pd.MultiIndex.from_arrays([lo, hi, k])
    codes, uniques = pd.factorize(canon)
    first = np.zeros(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    geoms = edges.geometry.to_numpy()[first]
    if "length" in edges:
        length = edges["length"].to_numpy(dtype=float)[first]
    else:
        length = shapely.length(geoms)
    length = np.maximum(length, 1.0)
    index = pd.MultiIndex.from_arrays([u, v, k], names=["u", "v", "key"])
    return _Segments(index, codes.astype(np.int64), geoms, length, lo[first], hi[first])


def _components(seg: _Segments, chosen: np.ndarray) -> np.ndarray:
    """Connected-component label per chosen segment (segments sharing a node)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if len(chosen) == 0:
        return np.zeros(0, dtype=int)
    nodes, inv = np.unique(np.concatenate([seg.u[chosen], seg.v[chosen]]), return_inverse=True)
    n = len(chosen)
    a, b = inv[:n], inv[n:]
    mat = coo_matrix((np.ones(n), (a, b)), shape=(len(nodes), len(nodes)))
    _, node_label = connected_components(mat, directed=False)
    return node_label[a]


# -- find_hotspots -----------------------------------------------------------------------


def find_hotspots(
    incidents: gpd.GeoDataFrame,
    cfg: HotspotConfig,
    *,
    timezone: str,
    week_start: dt.date,
    lookback_weeks: int,
    street: StreetGraph | None = None,
    previous: Hotspots | gpd.GeoDataFrame | None = None,
    study_area: BaseGeometry | None = None,
    term: TermCalendar | None = None,
) -> Hotspots:
    """
    Find the hotspots for one planned week.

    Parameters
    ----------
    incidents
        Incidents in the io contract, projected CRS (metres).
    cfg
        ``method`` (``dbscan``, ``hdbscan``, ``kde`` or ``network``), the selection settings
        (see :func:`select_incidents`) and the method's parameters: ``eps_m`` and
        ``min_samples`` (DBSCAN; ``min_samples`` counts incidents), ``min_cluster_size`` and
        ``min_samples`` (HDBSCAN, on distinct locations), ``cell_m`` and ``bandwidth_m``
        (KDE), ``snap_m`` (network; also the snapping distance for ``edge_intensity``).
        KDE and network hotspots are the best cells / street segments that together cover
        ``area_share`` of the study area (segments count as ``length x 2 snap_m``).
    timezone
        The area's time zone.
    week_start
        Monday of the planned week.
    lookback_weeks
        Weeks of history to use.
    street
        The walking graph; needed for ``network`` and for ``edge_intensity``.
    previous
        Last week's hotspots: a new hotspot that overlaps one of them keeps its id.
    study_area
        Polygon (same CRS) for the area share; default: the street graph's convex hull, or
        the incidents' convex hull.
    term
        School calendar (default from the config).

    Returns
    -------
    Hotspots
        Selected incidents, polygons (projected CRS) and per-edge intensity.

    Raises
    ------
    ConfigError
        If ``method`` is ``network`` and no street graph is given.

    Examples
    --------
    >>> import datetime as dt
    >>> from shapely.geometry import Point
    >>> pts = [Point(1000 + i % 3, 1000) for i in range(12)]
    >>> inc = gpd.GeoDataFrame({"offence": ["Robbery"] * 12, "month": ["2022-09"] * 12,
    ...     "occurred_at": pd.NaT, "time_known": False}, geometry=pts, crs="EPSG:27700")
    >>> spots = find_hotspots(inc, HotspotConfig(method="dbscan"), timezone="Europe/London",
    ...     week_start=dt.date(2022, 11, 7), lookback_weeks=52)
    >>> len(spots.polygons), spots.time_known
    (1, False)
    """
    if cfg.method not in _METHODS:
        raise ConfigError(f"hotspots.method must be one of {list(_METHODS)}, got {cfg.method!r}")
    if cfg.method == "network" and street is None:
        raise ConfigError(
            "hotspots.method = 'network' needs the street graph; pass street= or choose "
            "'dbscan', 'hdbscan' or 'kde'"
        )
    sel = _select(
        incidents, cfg, timezone=timezone, week_start=week_start,
        lookback_weeks=lookback_weeks, term=term,
    )  # fmt: skip
    check_weighted(incidents, cfg)
    table = sel.table
    crs = incidents.crs
    xy = _xy(table)
    weights = table[WEIGHT].to_numpy(dtype=float) if len(table) else np.zeros(0)
    seg = _segments(street) if street is not None else None
    area_ref = _reference_area(incidents, street, study_area)
    budget = cfg.area_share * area_ref
    labels = np.full(len(table), -1)
    params = {k: v for k, v in config_to_dict(cfg).items() if k != "sweep"}
    notes = list(sel.notes)
    if cfg.method in ("dbscan", "hdbscan"):
        labels, thin = _cluster_labels(xy, cfg, cfg.method)
        buffer_m = (cfg.eps_m if cfg.method == "dbscan" else cfg.cell_m) / 2
        polys = _cluster_polygons(xy, labels, buffer_m)
        params["thin_m_used"] = thin
        notes.append(SNAP_NOTE)
        if thin:
            notes.append(f"points were thinned to {thin:g} m cells before clustering")
        edge = pd.Series(dtype=float)
        if seg is not None:
            snapped = seg.snap(xy, cfg.snap_m)
            ok = (snapped >= 0) & (labels >= 0)
            edge = seg.per_edge(np.bincount(snapped[ok], weights[ok], minlength=len(seg.length_m)))
    elif cfg.method == "kde":
        bounds = _bounds(incidents, street, study_area, pad=3 * cfg.bandwidth_m)
        grid = _Grid.over(bounds, cfg.cell_m)
        dens = _kde_surface(xy, weights, grid, cfg.bandwidth_m)
        chosen = _top_units(dens, np.full(len(dens), cfg.cell_m**2), budget)
        polys = _dissolve(grid.boxes(chosen))
        labels = _points_in(xy, polys)
        edge = pd.Series(dtype=float)
        if seg is not None:
            mids = shapely.line_interpolate_point(seg.geometry, 0.5, normalized=True)
            cell = grid.index(shapely.get_coordinates(mids))
            val = np.where(cell >= 0, dens[np.maximum(cell, 0)], 0.0)
            edge = seg.per_edge(val * seg.length_m * 2 * cfg.snap_m)
    else:
        assert seg is not None  # checked above
        snapped = seg.snap(xy, cfg.snap_m)
        ok = snapped >= 0
        seg_w = np.bincount(snapped[ok], weights[ok], minlength=len(seg.length_m))
        chosen = _top_units(seg_w / seg.length_m, seg.length_m * 2 * cfg.snap_m, budget)
        comp = _components(seg, chosen)
        polys = []
        seg_label = np.full(len(seg.length_m), -1)
        for c in range(comp.max() + 1 if len(comp) else 0):
            members = chosen[comp == c]
            seg_label[members] = c
            polys.append(
                shapely.union_all(shapely.buffer(seg.geometry[members], cfg.snap_m, quad_segs=4))
            )
        labels = np.where(snapped >= 0, seg_label[np.maximum(snapped, 0)], -1)
        edge = seg.per_edge(seg_w)
        notes.append(
            "incidents were snapped to the nearest street segment within "
            f"{cfg.snap_m:g} m; hotspots are the streets with the most weight per metre"
        )
        n_far = int((~ok).sum())
        if n_far:
            notes.append(
                f"{n_far:,} selected incidents lie more than {cfg.snap_m:g} m from any street"
            )
    table = table.copy()
    table[CLUSTER] = labels.astype(int)
    polygons = _polygon_table(table, polys, crs, previous)
    if not len(edge):
        edge = pd.Series(
            dtype=float, name="intensity",
            index=pd.MultiIndex.from_arrays([[], [], []], names=["u", "v", "key"]),
        )  # fmt: skip
    if len(table) == 0:
        notes.append("no incidents were selected: no hotspots this week")
        logger.warning("No incidents selected for hotspots (week of %s)", week_start)
    elif len(polygons) == 0:
        notes.append(no_hotspots_note(cfg, len(table)))
        logger.warning("%s", notes[-1])
    logger.info(
        "Found %d %s hotspots from %s selected incidents (week of %s)",
        len(polygons), cfg.method, f"{len(table):,}", week_start,
    )  # fmt: skip
    return Hotspots(
        selected=table,
        polygons=polygons,
        edge_intensity=edge,
        method=cfg.method,
        params=params,
        time_known=sel.time_known,
        notes=tuple(notes),
    )


def no_hotspots_note(cfg: HotspotConfig, n_selected: int) -> str:
    """
    Say plainly that a method found no hotspot in ``n_selected`` incidents, and what to try.

    Examples
    --------
    >>> print(no_hotspots_note(HotspotConfig(method="dbscan"), 40))  # doctest: +ELLIPSIS
    0 hotspots (dbscan) from 40 selected incidents: ... min_samples (5) ... eps_m (150 m) ...
    """
    look = {
        "dbscan": (
            f"a hotspot needs min_samples ({cfg.min_samples}) incidents within eps_m "
            f"({cfg.eps_m:g} m) of each other: raise [hotspots] eps_m or lower min_samples"
        ),
        "hdbscan": (
            f"a hotspot needs min_cluster_size ({cfg.min_cluster_size}) distinct places, "
            f"min_samples ({cfg.min_samples}) of them close together: lower [hotspots] "
            "min_cluster_size or min_samples"
        ),
        "kde": (
            f"no grid cell has any density at bandwidth_m ({cfg.bandwidth_m:g} m), cell_m "
            f"({cfg.cell_m:g} m) and area_share ({cfg.area_share:g}): raise [hotspots] "
            "bandwidth_m or area_share"
        ),
        "network": (
            f"no incident lies within snap_m ({cfg.snap_m:g} m) of a street, or the area_share "
            f"({cfg.area_share:g}) holds no street: raise [hotspots] snap_m or area_share, "
            "and check that the street graph covers the incidents"
        ),
    }[cfg.method]
    return f"0 hotspots ({cfg.method}) from {n_selected:,} selected incidents: {look}"


def _points_in(xy: np.ndarray, polys: Sequence[BaseGeometry]) -> np.ndarray:
    labels = np.full(len(xy), -1)
    for i, poly in enumerate(polys):
        inside = shapely.contains_xy(poly, xy[:, 0], xy[:, 1]) if len(xy) else np.zeros(0, bool)
        labels[inside & (labels < 0)] = i
    return labels


def _dissolve(boxes: np.ndarray) -> list[BaseGeometry]:
    if len(boxes) == 0:
        return []
    merged = shapely.union_all(boxes, grid_size=0.01)
    parts = list(getattr(merged, "geoms", [merged]))
    parts.sort(key=lambda g: (g.bounds[0], g.bounds[1]))
    return parts


def _bounds(
    incidents: gpd.GeoDataFrame,
    street: StreetGraph | None,
    study_area: BaseGeometry | None,
    *,
    pad: float,
) -> tuple[float, float, float, float]:
    if study_area is not None:
        b = study_area.bounds
    elif street is not None and len(street.edges):
        b = tuple(street.edges.total_bounds)
    elif len(incidents):
        b = tuple(incidents.total_bounds)
    else:
        b = (0.0, 0.0, 1.0, 1.0)
    return (b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad)


def _reference_area(
    incidents: gpd.GeoDataFrame, street: StreetGraph | None, study_area: BaseGeometry | None
) -> float:
    if study_area is not None and study_area.area > 0:
        return float(study_area.area)
    if street is not None and len(street.edges):
        hull = shapely.convex_hull(shapely.union_all(street.edges.geometry.to_numpy()))
        if hull.area > 0:
            return float(hull.area)
    if len(incidents):
        hull = MultiPoint(_xy(incidents)).convex_hull
        if hull.area > 0:
            return float(hull.area)
    return 1.0


def _stable_id(x: float, y: float) -> str:
    key = f"{math.floor(x / _ID_CELL_M)}:{math.floor(y / _ID_CELL_M)}"
    return "hs-" + hashlib.sha1(key.encode()).hexdigest()[:8]


def _polygon_table(
    table: gpd.GeoDataFrame,
    polys: Sequence[BaseGeometry],
    crs: Any,
    previous: Hotspots | gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    columns = [HOTSPOT_ID, RANK, WEIGHTED_COUNT, INCIDENTS, SHARE, AREA_M2, OFFENCES]
    if not len(polys):
        empty = pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    total = float(table[WEIGHT].sum()) or 1.0
    labels = table[CLUSTER].to_numpy()
    xy = _xy(table)
    w = table[WEIGHT].to_numpy(dtype=float)
    k = len(polys)
    member = (labels >= 0) & (labels < k)
    lab = labels[member]
    wc = np.bincount(lab, w[member], minlength=k)
    n_in = np.bincount(lab, minlength=k)
    sx = np.bincount(lab, w[member] * xy[member, 0], minlength=k)
    sy = np.bincount(lab, w[member] * xy[member, 1], minlength=k)
    pairs = pd.DataFrame({"c": lab, "o": table[OFFENCE].astype("string").to_numpy()[member]})
    per = pairs.groupby(["c", "o"], sort=True).size()
    offences: dict[int, dict[str, int]] = {}
    for (c, o), v in per.items():
        offences.setdefault(int(c), {})[str(o)] = int(v)
    rows = []
    for c, poly in enumerate(polys):
        if wc[c] > 0:
            cx, cy = sx[c] / wc[c], sy[c] / wc[c]
        else:
            cx, cy = poly.centroid.x, poly.centroid.y
        rows.append({
            HOTSPOT_ID: _stable_id(cx, cy), WEIGHTED_COUNT: float(wc[c]), INCIDENTS: int(n_in[c]),
            SHARE: float(wc[c]) / total, AREA_M2: float(poly.area),
            OFFENCES: json.dumps(offences.get(c, {})), "geometry": poly,
        })  # fmt: skip
    out = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=crs)
    _match_previous(out, previous)
    density = out[WEIGHTED_COUNT] / out[AREA_M2].clip(lower=1.0)
    out[RANK] = density.rank(ascending=False, method="first").astype(int)
    # unique ids within the week
    seen: dict[str, int] = {}
    ids = []
    for hid in out[HOTSPOT_ID]:
        seen[hid] = seen.get(hid, 0) + 1
        ids.append(hid if seen[hid] == 1 else f"{hid}-{seen[hid]}")
    out[HOTSPOT_ID] = ids
    return out[[*columns, "geometry"]]


def _match_previous(out: gpd.GeoDataFrame, previous: Hotspots | gpd.GeoDataFrame | None) -> None:
    """Give each new polygon the id of the previous polygon it overlaps most (one-to-one)."""
    if previous is None:
        return
    prev = previous.polygons if isinstance(previous, Hotspots) else previous
    if len(prev) == 0 or HOTSPOT_ID not in prev:
        return
    if prev.crs is not None and out.crs is not None and prev.crs != out.crs:
        prev = prev.to_crs(out.crs)
    pairs = []
    prev_geoms = prev.geometry.to_numpy()
    prev_ids = prev[HOTSPOT_ID].astype(str).to_numpy()
    tree = shapely.STRtree(prev_geoms)
    for i, geom in enumerate(out.geometry.to_numpy()):
        for j in tree.query(geom, predicate="intersects"):
            overlap = geom.intersection(prev_geoms[j]).area
            if overlap > 0:
                pairs.append((-overlap, i, int(j)))
    used_new: set[int] = set()
    used_old: set[int] = set()
    ids = out[HOTSPOT_ID].to_numpy(dtype=object).copy()
    for _, i, j in sorted(pairs):
        if i in used_new or j in used_old:
            continue
        ids[i] = prev_ids[j]
        used_new.add(i)
        used_old.add(j)
    out[HOTSPOT_ID] = ids


# -- outputs -----------------------------------------------------------------------------


def write_hotspots(spots: Hotspots, folder: str | Path) -> list[Path]:
    """
    Write the hotspots of a week.

    Parameters
    ----------
    spots
        The hotspots.
    folder
        Output folder (created if needed).

    Returns
    -------
    list[Path]
        ``hotspots.geojson`` (EPSG:4326; one feature per hotspot with its id, rank,
        counts, share, area in m2, offences, method and the time note),
        ``hotspots.json`` (method, parameters, notes) and, when a street graph was used,
        ``edge_intensity.csv`` (u, v, key, intensity).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    time_note = "after-school window applied" if spots.time_known else MONTH_ONLY_NOTE
    polys = spots.polygons.copy()
    polys["method"] = spots.method
    polys["time_note"] = time_note
    if polys.crs is not None:
        polys = polys.to_crs("EPSG:4326")
    polys["geometry"] = shapely.set_precision(polys.geometry.to_numpy(), 1e-6)
    geojson = json.loads(polys.to_json(drop_id=True))
    geojson["notes"] = list(spots.notes)
    paths = [write_text(folder / "hotspots.geojson", json.dumps(geojson, indent=None))]
    meta = {
        "method": spots.method,
        "params": spots.params,
        "time_known": spots.time_known,
        "time_note": time_note,
        "notes": list(spots.notes),
        "hotspots": len(spots.polygons),
        "selected_incidents": len(spots.selected),
    }
    paths.append(write_text(folder / "hotspots.json", json.dumps(meta, indent=2, default=str)))
    if len(spots.edge_intensity):
        frame = spots.edge_intensity.rename("intensity").reset_index()
        paths.append(write_csv(frame, folder / "edge_intensity.csv"))
    logger.info("Wrote %d hotspot files to %s", len(paths), folder)
    return paths


# -- backtests ---------------------------------------------------------------------------


TABLE_COLUMNS = (
    "rank", "label", "method", "params", "train_window", "periods", "test_incidents", "hits",
    "hit_rate", "area_share", "ranked_share", "pai", "pei", "time_note",
)  # fmt: skip


_METHOD_PARAMS = {
    "dbscan": {"eps_m", "min_samples", "thin_m", "cell_m"},
    "hdbscan": {"min_cluster_size", "min_samples", "thin_m", "cell_m"},
    "kde": {"bandwidth_m", "cell_m"},
    "network": {"snap_m"},
}


def expand_sweep(
    cfg: HotspotConfig, sweep: Mapping[str, Sequence[Any]] | None = None
) -> list[HotspotConfig]:
    """
    Return one config per combination of the sweep values (``cfg.sweep`` by default).

    A method's configs ignore the swept parameters it does not use (``eps_m`` for ``kde``,
    say), so no configuration appears twice.

    Examples
    --------
    >>> cfgs = expand_sweep(HotspotConfig(), {"method": ["kde", "dbscan"], "eps_m": [100, 200]})
    >>> [(c.method, c.eps_m) for c in cfgs]
    [('kde', 150.0), ('dbscan', 100.0), ('dbscan', 200.0)]
    """
    grid = dict(cfg.sweep if sweep is None else typed_sweep(sweep))
    if not grid:
        return [dataclasses.replace(cfg, sweep={})]
    keys = list(grid)
    every_method = set().union(*_METHOD_PARAMS.values())
    out: list[HotspotConfig] = []
    for combo in itertools.product(*(list(grid[k]) for k in keys)):
        values = dict(zip(keys, combo, strict=True))
        method = values.get("method", cfg.method)
        values = {
            k: v for k, v in values.items()
            if k not in every_method or k in _METHOD_PARAMS.get(str(method), every_method)
        }  # fmt: skip
        try:
            new = dataclasses.replace(cfg, sweep={}, **values)
        except TypeError as exc:
            raise ConfigError(f"hotspots.sweep: {exc}") from exc
        if new not in out:
            out.append(new)
    return out


def parse_sweep(items: Sequence[str]) -> dict[str, list[Any]]:
    """
    Parse command-line sweep options ``name=v1,v2,...`` into a sweep mapping.

    The one sweep parser (:func:`corridors.config.parse_grid`): each value is typed by its
    ``[hotspots]`` field, as ``[hotspots] sweep`` values are.

    Examples
    --------
    >>> parse_sweep(["eps_m=100,150", "method=kde,dbscan", "train_all_hours=true,false"])
    {'eps_m': [100.0, 150.0], 'method': ['kde', 'dbscan'], 'train_all_hours': [True, False]}
    """
    return parse_grid(items, flag="--grid")


def _label(cfg: HotspotConfig) -> str:
    keys = {
        "dbscan": ("eps_m", "min_samples"),
        "hdbscan": ("min_cluster_size", "min_samples"),
        "kde": ("bandwidth_m", "cell_m"),
        "network": ("snap_m",),
    }[cfg.method]
    parts = [f"{k}={getattr(cfg, k):g}" for k in keys]
    parts.append(f"half_life={cfg.half_life_weeks:g}w")
    parts.append("all hours" if cfg.train_all_hours else "window only")
    return f"{cfg.method} " + " ".join(parts)


def _periods(
    incidents: gpd.GeoDataFrame, timezone: str, period: str, n: int
) -> tuple[str, list[tuple[pd.Timestamp, pd.Timestamp]]]:
    local = _local_times(incidents, timezone)
    known = local.notna()
    if TIME_KNOWN in incidents:
        known &= incidents[TIME_KNOWN].fillna(False).astype(bool)
    if period == "auto":
        period = "week" if known.mean() >= 0.5 else "month"
    if period == "week":
        if not known.any():
            raise ConfigError(
                "backtest period 'week' needs incidents with known times; use 'month'"
            )
        last = local[known].max()
        last_day = last.tz_localize(None).normalize()
        # the last complete week ends on the Monday after the last incident's week
        end = last_day - pd.Timedelta(days=last_day.day_of_week)
        if (last_day - end).days >= 6:
            end = end + pd.Timedelta(days=7)
        starts = [end - pd.Timedelta(weeks=i) for i in range(n, 0, -1)]
        spans = [
            (s.tz_localize(timezone), (s + pd.Timedelta(weeks=1)).tz_localize(timezone))
            for s in starts
        ]
    elif period == "month":
        months = _month_starts(incidents).dropna()
        if months.empty:
            raise InputDataError("incidents: no valid 'month' values (YYYY-MM) to backtest on")
        last = months.max()
        starts = [last - pd.DateOffset(months=i) for i in range(n - 1, -1, -1)]
        spans = [
            (s.tz_localize(timezone), (s + pd.DateOffset(months=1)).tz_localize(timezone))
            for s in starts
        ]
    else:
        raise ConfigError(f"backtest period must be 'auto', 'week' or 'month', got {period!r}")
    return period, spans


def _test_mask(
    incidents: gpd.GeoDataFrame,
    cfg: HotspotConfig,
    span: tuple[pd.Timestamp, pd.Timestamp],
    period: str,
    timezone: str,
    term: TermCalendar | None,
) -> np.ndarray:
    local = _local_times(incidents, timezone)
    known = local.notna().to_numpy()
    if TIME_KNOWN in incidents:
        known = known & incidents[TIME_KNOWN].fillna(False).to_numpy(dtype=bool)
    weights = offence_weights(cfg)
    offence = incidents[OFFENCE].astype("string").fillna("")
    positive = offence.map(lambda o: weights.get(o, cfg.other_weight) > 0).to_numpy(dtype=bool)
    start, end = span
    timed = known & ((local >= start) & (local < end)).fillna(False).to_numpy(dtype=bool)
    timed &= _window_mask(local, cfg, term)
    if period == "month":
        month = _month_starts(incidents)
        same = (month == start.tz_localize(None)).fillna(False).to_numpy(dtype=bool)
        return positive & (timed | (~known & same))
    return positive & timed


@dataclass(frozen=True)
class _Score:
    hits: float  # ranked hits + expected hits of the random fill
    test: int
    ranked_m2: float
    area_m2: float
    best: float


def _evaluate(
    scores: np.ndarray, areas: np.ndarray, test_units: np.ndarray, total_area: float, share: float
) -> _Score:
    """Score one period at ``share`` of ``total_area``.

    The method's units (score > 0) are taken best first while they fit the budget; when they
    run out first, the rest of the budget is filled at random among the other units, which
    adds the expected hits of a random choice (no credit beyond chance). ``best`` is the most
    hits any choice of the same area could catch (fractional greedy by test count per area:
    exact for equal cells, an upper bound otherwise, so PEI <= 1).
    """
    budget = share * total_area
    chosen = _top_units(scores, areas, budget)
    n_test = len(test_units)
    assigned = test_units[test_units >= 0]
    counts = np.bincount(assigned, minlength=len(scores)).astype(float)
    hits = float(counts[chosen].sum())
    used = float(areas[chosen].sum())
    rest_area = float(areas.sum()) - used
    fill = max(0.0, min(budget, float(areas.sum())) - used)
    if fill > 0 and rest_area > 0:
        hits += (len(assigned) - hits) * fill / rest_area
    area = used + fill
    order = np.lexsort((np.arange(len(counts)), -counts / areas))
    order = order[counts[order] > 0]
    cum = np.cumsum(areas[order])
    full = cum <= area + 1e-6
    best = float(counts[order[full]].sum())
    if not full.all():
        j = order[int(full.sum())]
        before = float(cum[full][-1]) if full.any() else 0.0
        best += counts[j] * (area - before) / areas[j]
    return _Score(hits, n_test, used, area, best)


def _unit_scores(
    train: gpd.GeoDataFrame,
    cfg: HotspotConfig,
    grid: _Grid,
    seg: _Segments | None,
) -> np.ndarray:
    xy = _xy(train)
    w = train[WEIGHT].to_numpy(dtype=float) if len(train) else np.zeros(0)
    if cfg.method == "kde":
        return _kde_surface(xy, w, grid, cfg.bandwidth_m)
    if cfg.method == "network":
        assert seg is not None
        snapped = seg.snap(xy, cfg.snap_m)
        ok = snapped >= 0
        return np.bincount(snapped[ok], w[ok], minlength=len(seg.length_m)) / seg.length_m
    labels, _ = _cluster_labels(xy, cfg, cfg.method)
    buffer_m = (cfg.eps_m if cfg.method == "dbscan" else cfg.cell_m) / 2
    polys = _cluster_polygons(xy, labels, buffer_m)
    scores = np.zeros(grid.nx * grid.ny)
    centres = grid.centres()
    for c, poly in enumerate(polys):
        density = w[labels == c].sum() / max(poly.area, 1.0)
        inside = shapely.contains_xy(poly, centres[:, 0], centres[:, 1])
        scores[inside] = np.maximum(scores[inside], density)
    return scores


def backtest(
    incidents: gpd.GeoDataFrame,
    cfgs: Sequence[HotspotConfig],
    *,
    timezone: str,
    study_area: BaseGeometry,
    street: StreetGraph | None = None,
    periods: int | None = None,
    period: str = "auto",
    train_periods: int | None = None,
    term: TermCalendar | None = None,
) -> pd.DataFrame:
    """
    Score hotspot configurations with rolling backtests.

    For each of the last ``periods`` weeks (or months: ``period="auto"`` chooses months
    when most incidents are month-only), each configuration is trained on the
    ``train_periods`` before it (its own selection: all hours or the window only, decay,
    offence weights) and predicts the best units covering ``area_share`` of the study area:
    grid cells of ``cell_m`` for DBSCAN, HDBSCAN (cells whose centre is in a cluster
    polygon, ranked by the cluster's weight per area) and KDE; street segments (area
    ``length x 2 snap_m``) for the network method, scored by snapping the test incidents.
    Test incidents are those of the period in the after-school window (month-only: the
    whole month) with a positive offence weight, counted once each.

    Measures, pooled over the periods: hit rate = hits / test incidents; PAI = hit rate /
    area share; PEI = hits / the most hits any choice of units of the same total area could
    have had (greedy by test count per area; exact for equal cells). So that every method is
    compared at the same coverage, a method whose ranked units cover less than
    ``area_share`` has the rest filled at random (it gets the expected hits of chance);
    ``ranked_share`` is the share it ranked itself. ``hits`` may therefore be fractional.

    Parameters
    ----------
    incidents
        Incidents in the io contract, projected CRS (metres).
    cfgs
        Configurations to compare (see :func:`expand_sweep`).
    timezone
        The area's time zone.
    study_area
        Polygon of the study area (same CRS); its area is the denominator of area shares.
    street
        The walking graph; needed for ``network`` configurations.
    periods
        Number of test periods (default ``cfgs[0].backtest_periods``).
    period
        ``"auto"``, ``"week"`` or ``"month"``.
    train_periods
        Training periods before each test period (default ``cfgs[0].train_periods``, and
        0 means 52 weeks or 12 months).
    term
        School calendar (default from the first config).

    Returns
    -------
    pd.DataFrame
        One row per configuration plus a ``naive baseline`` row (last period's counts per
        ``cell_m`` grid cell), ranked by PAI: columns ``TABLE_COLUMNS``.

    Examples
    --------
    >>> import datetime as dt
    >>> from shapely.geometry import Point, box
    >>> pts = [Point(1000 + (i % 4), 1000) for i in range(40)]
    >>> pts += [Point(5000, 5000 + i) for i in range(8)]
    >>> months = [f"2022-{1 + i % 8:02d}" for i in range(48)]
    >>> inc = gpd.GeoDataFrame({"offence": "Robbery", "month": months, "occurred_at": pd.NaT,
    ...     "time_known": False}, geometry=pts, crs="EPSG:27700")
    >>> table = backtest(inc, [HotspotConfig(method="kde")], timezone="Europe/London",
    ...     study_area=box(0, 0, 6000, 6000), periods=2)
    >>> sorted(table["label"].str.split().str[0])
    ['kde', 'naive']
    """
    if not cfgs:
        raise ConfigError("backtest needs at least one hotspot configuration")
    first = cfgs[0]
    n = periods or first.backtest_periods
    period, spans = _periods(incidents, timezone, period, n)
    tp = train_periods if train_periods is not None else first.train_periods
    if tp <= 0:
        tp = 52 if period == "week" else 12
    lookback_weeks = tp if period == "week" else math.ceil(tp * 52 / 12)
    if term is None:
        term = term_calendar(first)
    if any(c.method == "network" for c in cfgs) and street is None:
        raise ConfigError("backtesting the 'network' method needs the street graph (street=)")
    total_area = float(study_area.area)
    if total_area <= 0:
        raise InputDataError("study_area has no area; pass the area's polygon in metres")
    seg = _segments(street) if street is not None else None
    all_xy = _xy(incidents)
    time_known_share = _time_known_share(incidents)
    time_note = (
        "after-school window (times known)"
        if period == "week"
        else f"month-only data: {MONTH_ONLY_NOTE}; tested on whole months"
    )
    rows = []
    grids: dict[float, _Grid] = {}

    def grid_for(cell_m: float) -> _Grid:
        if cell_m not in grids:
            grids[cell_m] = _Grid.over(study_area.bounds, cell_m)
        return grids[cell_m]

    for cfg in [*cfgs, None]:
        use = cfg or first
        grid = grid_for(use.cell_m)
        hits = best = 0.0
        n_test = 0
        area_used: list[float] = []
        ranked_used: list[float] = []
        for span in spans:
            test = _test_mask(incidents, use, span, period, timezone, term)
            if cfg is None:
                prev_start = span[0] - (
                    pd.Timedelta(weeks=1) if period == "week" else pd.DateOffset(months=1)
                )
                prev = _test_mask(incidents, use, (prev_start, span[0]), period, timezone, term)
                scores = grid.sums(all_xy[prev], np.ones(int(prev.sum())))
            else:
                week_start = span[0].tz_localize(None).date()
                train = _select(
                    incidents, cfg, timezone=timezone, week_start=week_start,
                    lookback_weeks=lookback_weeks, term=term,
                ).table  # fmt: skip
                scores = _unit_scores(train, cfg, grid, seg)
            if cfg is not None and cfg.method == "network":
                assert seg is not None  # checked above
                areas = seg.length_m * 2 * cfg.snap_m
                units = seg.snap(all_xy[test], cfg.snap_m)
            else:
                areas = np.full(grid.nx * grid.ny, grid.cell_m**2)
                units = grid.index(all_xy[test])
            score = _evaluate(scores, areas, units, total_area, use.area_share)
            hits, n_test, best = hits + score.hits, n_test + score.test, best + score.best
            area_used.append(score.area_m2 / total_area)
            ranked_used.append(score.ranked_m2 / total_area)
        hit_rate = hits / n_test if n_test else float("nan")
        share = float(np.mean(area_used)) if area_used else float("nan")
        rows.append({
            "label": BASELINE if cfg is None else _label(cfg),
            "method": "naive" if cfg is None else cfg.method,
            "params": "{}" if cfg is None else json.dumps(
                {k: v for k, v in config_to_dict(cfg).items() if k != "sweep"}, default=str
            ),
            "train_window": "last period, after-school window" if cfg is None
            else ("all hours" if cfg.train_all_hours else "after-school window"),
            "periods": len(spans),
            "test_incidents": n_test,
            "hits": hits,
            "hit_rate": hit_rate,
            "area_share": share,
            "ranked_share": float(np.mean(ranked_used)) if ranked_used else float("nan"),
            "pai": hit_rate / share if share > 0 else float("nan"),
            "pei": hits / best if best else float("nan"),
            "time_note": time_note,
        })  # fmt: skip
    table = pd.DataFrame(rows)
    table = table.sort_values(
        ["pai", "hit_rate", "label"], ascending=[False, False, True], na_position="last"
    )
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    table = table.reset_index(drop=True)
    logger.info(
        "Backtested %d configurations over %d %ss (%.0f%% of incidents with times)",
        len(cfgs), len(spans), period, 100 * time_known_share,
    )  # fmt: skip
    return table[list(TABLE_COLUMNS)]


def _time_known_share(incidents: gpd.GeoDataFrame) -> float:
    if TIME_KNOWN not in incidents or not len(incidents):
        return 0.0
    return float(incidents[TIME_KNOWN].fillna(False).astype(bool).mean())


def format_table(table: pd.DataFrame) -> str:
    """Return the backtest table as fixed-width text (for the CLI and reports)."""
    show = table[
        [
            "rank",
            "label",
            "test_incidents",
            "hits",
            "hit_rate",
            "area_share",
            "ranked_share",
            "pai",
            "pei",
        ]
    ].copy()
    show["hits"] = show["hits"].map(lambda v: f"{v:.1f}")
    show["ranked_share"] = show["ranked_share"].map(lambda v: f"{v:.3f}")
    show["hit_rate"] = show["hit_rate"].map(lambda v: f"{v:.3f}")
    show["area_share"] = show["area_share"].map(lambda v: f"{v:.3f}")
    show["pai"] = show["pai"].map(lambda v: f"{v:.2f}")
    show["pei"] = show["pei"].map(lambda v: f"{v:.2f}")
    return show.to_string(index=False)


def plot_backtest(table: pd.DataFrame, path: str | Path) -> Path:
    """
    Draw hit rate, PAI and PEI across the configurations (PNG, matplotlib Agg).

    The naive baseline is drawn in grey and as a dashed line on each panel.

    Parameters
    ----------
    table
        Output of :func:`backtest`.
    path
        The PNG file to write.

    Returns
    -------
    Path
        ``path``.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    path = Path(path)
    labels = table["label"].astype(str).tolist()
    fig = Figure(figsize=(max(6.0, 0.5 * len(labels) + 3), 9), layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    colours = ["#999999" if lab == BASELINE else "#3366cc" for lab in labels]
    base = table[table["label"] == BASELINE]
    for ax, col, title in zip(
        axes,
        ("hit_rate", "pai", "pei"),
        ("Hit rate", "PAI (hit rate / area share)", "PEI"),
        strict=True,
    ):
        ax.bar(range(len(labels)), table[col].astype(float).fillna(0.0), color=colours)
        if len(base):
            ax.axhline(float(base[col].iloc[0]), color="#666666", linestyle="--", linewidth=1)
        ax.set_ylabel(title)
    axes[-1].set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
    share = float(table["area_share"].mean()) if len(table) else float("nan")
    axes[0].set_title(
        f"Backtest at {share:.1%} of the study area (grey: naive baseline)", fontsize=10
    )
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100)
    return path


def tune(
    incidents: gpd.GeoDataFrame,
    cfg: HotspotConfig,
    *,
    timezone: str,
    study_area: BaseGeometry,
    street: StreetGraph | None = None,
    methods: Sequence[str] | None = None,
    grid: Mapping[str, Sequence[Any]] | None = None,
    period: str = "auto",
    periods: int | None = None,
    train_periods: int | None = None,
) -> pd.DataFrame:
    """
    Backtest the methods over the parameter grid (what ``corridors tune`` runs).

    Parameters
    ----------
    incidents
        Incidents in the io contract, projected CRS (metres).
    cfg
        Base configuration; ``cfg.sweep`` gives the grid unless ``grid`` is given.
    timezone
        The area's time zone.
    study_area
        Study area polygon (same CRS).
    street
        The walking graph; without it ``network`` configurations are left out (logged).
    methods
        Methods to compare (swept as ``method``, unless the grid already sweeps it).
    grid
        Parameter grid ``{field: [values]}`` overriding ``cfg.sweep`` (see
        :func:`parse_sweep`).
    period, periods, train_periods
        See :func:`backtest`.

    Returns
    -------
    pd.DataFrame
        The ranked table of :func:`backtest` (print it with :func:`format_backtest`, write
        it with :func:`write_backtest`).
    """
    sweep = dict(cfg.sweep if grid is None else grid)
    if methods and "method" not in sweep:
        unknown = [m for m in methods if m not in _METHODS]
        if unknown:
            raise ConfigError(f"tune: unknown method(s) {unknown}; use some of {list(_METHODS)}")
        sweep["method"] = list(methods)
    cfgs = expand_sweep(cfg, sweep)
    if street is None and any(c.method == "network" for c in cfgs):
        dropped = sum(c.method == "network" for c in cfgs)
        logger.warning("No street graph: leaving out %d network configurations", dropped)
        cfgs = [c for c in cfgs if c.method != "network"]
        if not cfgs:
            raise ConfigError("tune: only 'network' configurations and no street graph")
    table = backtest(
        incidents, cfgs, timezone=timezone, study_area=study_area, street=street,
        periods=periods, period=period, train_periods=train_periods,
    )  # fmt: skip
    if not len(table) or not (pd.to_numeric(table["test_incidents"], errors="coerce") > 0).any():
        offences = incidents[OFFENCE] if OFFENCE in incidents else pd.Series(dtype="string")
        raise EmptyResultError(
            "tune: no incident in the test periods has a weight, so nothing can be scored; "
            + unweighted_offences_hint(offences, cfg)
        )
    return table


def write_backtest(table: pd.DataFrame, folder: str | Path) -> list[Path]:
    """
    Write a backtest table as ``tune.csv`` and its chart as ``tune.png``.

    Parameters
    ----------
    table
        Output of :func:`backtest` or :func:`tune`.
    folder
        Output folder (created if needed).

    Returns
    -------
    list[Path]
        The CSV and the PNG.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "tune.csv"
    write_csv(table, csv)
    chart = plot_backtest(table, out / "tune.png")
    logger.info("Wrote backtest table and chart to %s", out)
    return [csv, chart]


#: Alias of :func:`format_table` (the name ``cli.py`` uses).
format_backtest = format_table
