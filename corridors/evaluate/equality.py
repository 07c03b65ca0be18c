"""Equality monitoring: stops of under-18s in the patrolled corridors and outside them.

Only aggregates, every table suppressed below k (:mod:`corridors.evaluate.suppress`). A
stop is "in a corridor in patrol hours" when it lies within ``corridor_m`` of one of the
week's patrol loops, on one of the window's days and within its hours; every other stop of
the evaluated weeks is "elsewhere or at other times". Ethnicity is the self-defined group
where one is stated, else the officer-defined one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from corridors.evaluate.suppress import TOTAL, suppress
from corridors.load import OCCURRED_AT
from corridors.load.stops import AGE, OFFICER_ETHNICITY, OUTCOME, SELF_ETHNICITY
from corridors.week import Window

IN = "in corridors, patrol hours"
OUT = "elsewhere or other times"
NFA = "no further action"
_GROUPS = (
    ("white", "White"),
    ("black", "Black"),
    ("asian", "Asian"),
    ("mixed", "Mixed"),
    ("other ethnic group - any other", "Other"),
    ("other", "Other"),
)


def ethnic_group(self_defined: str, officer_defined: str) -> str:
    """
    Return the broad group: the self-defined one where stated, else the officer-defined one.

    Examples
    --------
    >>> ethnic_group("Black/African/Caribbean/Black British - African", "Black")
    'Black'
    >>> ethnic_group("Other ethnic group - Not stated", "Asian")
    'Asian'
    """
    for text in (self_defined, officer_defined):
        low = text.strip().lower()
        if not low or "not stated" in low:
            continue
        for prefix, group in _GROUPS:
            if low.startswith(prefix):
                return group
    return "Not stated"


def in_patrol(
    stops: gpd.GeoDataFrame,
    loops: Mapping[str, gpd.GeoSeries],
    weeks: Mapping[str, tuple[pd.Timestamp, pd.Timestamp]],
    window: Window,
    corridor_m: float,
) -> np.ndarray:
    """Return True for the stops near a week's loops, in that week, on a window day and hour."""
    when = pd.DatetimeIndex(stops[OCCURRED_AT])
    minute = when.hour.to_numpy() * 60 + when.minute.to_numpy()
    in_hours = (
        np.isin(when.day_of_week.to_numpy(), list(window.weekdays))
        & (minute >= window.start_minute)
        & (minute < window.end_minute)
    )
    inside = np.zeros(len(stops), dtype=bool)
    for week, (start, end) in weeks.items():
        lines = loops.get(week)
        if lines is None or not len(lines):
            continue
        in_week = np.asarray((when >= start) & (when < end), dtype=bool)
        near = shapely.dwithin(
            stops.geometry.to_numpy(), shapely.union_all(lines.to_numpy()), corridor_m
        )
        inside |= in_week & np.asarray(near, dtype=bool)
    return np.asarray(inside & in_hours, dtype=bool)


@dataclass(frozen=True)
class EqualityTables:
    """The suppressed tables (counts with totals; NaN = suppressed) and the rate ratios."""

    by_age: pd.DataFrame
    by_ethnicity: pd.DataFrame
    outcomes: pd.DataFrame
    rate_ratios: pd.DataFrame
    k: int
    stops: int  # under-18 stops in the evaluated weeks (shown only when >= k)


def equality_tables(
    stops: pd.DataFrame,
    inside: np.ndarray,
    *,
    young_ages: tuple[str, ...],
    reference: str,
    k: int,
) -> EqualityTables:
    """
    Tables of under-18 stops by place, age range and ethnic group, with outcomes.

    Parameters
    ----------
    stops
        The evaluated weeks' stops (``age_range``, ``self_ethnicity``,
        ``officer_ethnicity``, ``outcome``).
    inside
        Per stop: in a corridor in patrol hours (:func:`in_patrol`).
    young_ages, reference, k
        ``[equality]`` settings.
    """
    young = stops[AGE].isin(young_ages).to_numpy()
    frame = pd.DataFrame(
        {
            "age": stops[AGE].to_numpy()[young],
            "group": [
                ethnic_group(s, o)
                for s, o in zip(
                    stops[SELF_ETHNICITY].to_numpy()[young],
                    stops[OFFICER_ETHNICITY].to_numpy()[young],
                    strict=True,
                )
            ],
            "place": np.where(inside[young], IN, OUT),
            "nfa": stops[OUTCOME].str.lower().str.contains(NFA).to_numpy()[young],
        }
    )
    by_age = _crosstab(frame, "age", "place", list(young_ages), [IN, OUT])
    groups = sorted(set(frame["group"]))
    by_group = _crosstab(frame, "group", "place", groups, [IN, OUT])
    frame["outcome"] = np.where(frame["nfa"], NFA, "other outcome")
    outcomes = _crosstab(frame, "group", "outcome", groups, [NFA, "other outcome"])
    hidden_groups, hidden_outcomes = suppress(by_group, k), suppress(outcomes, k)
    return EqualityTables(
        by_age=suppress(by_age, k),
        by_ethnicity=hidden_groups,
        outcomes=hidden_outcomes,
        rate_ratios=_rate_ratios(hidden_groups, hidden_outcomes, reference=reference),
        k=k,
        stops=len(frame),
    )


def _crosstab(
    frame: pd.DataFrame, rows: str, cols: str, row_order: list[str], col_order: list[str]
) -> pd.DataFrame:
    table = pd.crosstab(frame[rows], frame[cols])
    return table.reindex(index=row_order, columns=col_order, fill_value=0).astype(int)


def ratio_interval(
    a: float, n1: float, c: float, n2: float, *, z: float = 1.96
) -> tuple[float, float, float]:
    """
    Return the ratio of two proportions ``(a/n1) / (c/n2)`` with its Katz log interval.

    Examples
    --------
    >>> [round(v, 3) for v in ratio_interval(20, 100, 10, 100)]
    [2.0, 0.987, 4.055]
    """
    if min(a, c) <= 0 or min(n1, n2) <= 0:
        return (np.nan, np.nan, np.nan)
    ratio = (a / n1) / (c / n2)
    se = float(np.sqrt(max(1 / a - 1 / n1 + 1 / c - 1 / n2, 0.0)))
    return (ratio, ratio * float(np.exp(-z * se)), ratio * float(np.exp(z * se)))


def _rate_ratios(by_group: pd.DataFrame, outcomes: pd.DataFrame, *, reference: str) -> pd.DataFrame:
    """Return, per group, its corridor share ratio and its NFA share ratio.

    Per group: its share of corridor stops over its share elsewhere; its NFA share over
    the reference group's. From the suppressed tables (with totals): a ratio resting on a
    suppressed count is left out, so no ratio gives a hidden count back.
    """
    n_in, n_out = by_group.loc[TOTAL, IN], by_group.loc[TOTAL, OUT]
    has_ref = reference in outcomes.index
    ref_nfa = outcomes.loc[reference, NFA] if has_ref else np.nan
    ref_all = outcomes.loc[reference, TOTAL] if has_ref else np.nan
    rows = []
    for group in by_group.index.drop(TOTAL):
        place = _ratio(by_group.loc[group, IN], n_in, by_group.loc[group, OUT], n_out)
        nfa, total = outcomes.loc[group, NFA], outcomes.loc[group, TOTAL]
        vs_ref = _ratio(nfa, total, ref_nfa, ref_all) if group != reference else (np.nan,) * 3
        rows.append((group, float(nfa) / float(total), *place, *vs_ref))
    return pd.DataFrame(
        rows,
        columns=[
            "group", "nfa_share", "corridor_ratio", "corridor_low", "corridor_high",
            f"nfa_ratio_vs_{reference.lower()}", "nfa_low", "nfa_high",
        ],
    ).set_index("group")  # fmt: skip


def _ratio(a: object, n1: object, c: object, n2: object) -> tuple[float, float, float]:
    values = [float(v) for v in (a, n1, c, n2)]  # type: ignore[arg-type]
    if any(np.isnan(v) for v in values):
        return (np.nan, np.nan, np.nan)
    return ratio_interval(*values)


__all__ = ["IN", "NFA", "OUT", "TOTAL", "EqualityTables", "equality_tables", "in_patrol"]
