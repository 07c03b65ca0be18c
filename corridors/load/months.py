"""Months of month-only records (data.police.uk): their forms, the look-back rule, the week after.

:func:`months_in_lookback` keeps a month when it ended before the planned week and its
middle falls in the look-back (or it is the newest such month); :func:`first_week_after`
is the first ISO week a file's newest month can plan.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import numpy as np
import pandas as pd

from corridors.errors import InputDataError
from corridors.load.rows import _Checker, _col
from corridors.load.schema import R_BAD_DATE, R_BAD_MONTH

logger = logging.getLogger(__name__)


_MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip


_MONTH_NAMES = {
    name: number
    for number, full in enumerate(_MONTHS, start=1)
    for name in (full, full[:3], *(("sept",) if number == 9 else ()))
}


def _year_of(two_or_four: pd.Series) -> pd.Series:
    """Years from 2- or 4-digit text (2 digits: 69-99 -> 19xx, else 20xx, as strptime)."""
    year = pd.to_numeric(two_or_four, errors="coerce")
    short = two_or_four.str.len() == 2
    return year.where(~short, year + np.where(year < 69, 2000, 1900))


def _month_forms(text: pd.Series) -> pd.Series:
    """``YYYY-MM`` from the forms a spreadsheet writes a month in ("" where none fits).

    ``2025-02-01`` (and ``2025-02-01 00:00:00``), ``2025/02``, ``02/2025``, ``2-2025``,
    ``Feb-25``, ``Feb 2025``, ``February 2025``, ``feb.25``.
    """
    year = pd.Series(np.nan, index=text.index)
    month = pd.Series(np.nan, index=text.index)
    ymd = text.str.extract(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
    ok = ymd[0].notna()
    if ok.any():  # a whole date: the day must exist
        parts = ymd[ok].astype(int).set_axis(["year", "month", "day"], axis=1)
        valid = pd.to_datetime(parts, errors="coerce").notna()
        year[ok] = parts["year"].where(valid)
        month[ok] = parts["month"].where(valid)
    for pattern, y_at, m_at in (
        (r"^(\d{4})[-/.](\d{1,2})$", 0, 1),
        (r"^(\d{1,2})[-/.](\d{4})$", 1, 0),
        (r"^([A-Za-z]{3,9})\.?[-\s/'.]*(\d{4}|\d{2})$", 1, 0),
    ):
        todo = year.isna() & month.isna()
        found = text[todo].str.extract(pattern)
        hit = found[0].notna()
        if not hit.any():
            continue
        idx = found.index[hit]
        year[idx] = _year_of(found.loc[hit, y_at])
        raw_month = found.loc[hit, m_at]
        names = raw_month.str.lower().map(_MONTH_NAMES)
        month[idx] = pd.to_numeric(raw_month, errors="coerce").fillna(names)
    good = year.notna() & month.between(1, 12)
    out = pd.Series("", index=text.index, dtype=object)
    if good.any():
        pairs = zip(year[good], month[good], strict=True)
        out[good] = np.asarray([f"{int(y):04d}-{int(m):02d}" for y, m in pairs], dtype=object)
    return out


def _parse_months(text: pd.Series, fmt: str | None) -> tuple[pd.Series, np.ndarray]:
    """Month text -> ``YYYY-MM`` ("" where unreadable), and which rows were not in that form.

    ``YYYY-MM`` is always read; other text with ``fmt`` when given, else in the forms of
    :func:`_month_forms`.
    """
    s = text.astype(str).str.strip()
    canon = s.str.fullmatch(r"\d{4}-(?:0[1-9]|1[0-2])").to_numpy(dtype=bool)
    out = pd.Series(np.where(canon, s, ""), index=text.index, dtype=object)
    todo = ~canon & (s != "").to_numpy(dtype=bool)
    if todo.any():
        t = s[todo]
        if fmt:
            stamps = pd.to_datetime(t, format=fmt, errors="coerce")
            got = pd.Series(pd.DatetimeIndex(stamps).strftime("%Y-%m"), index=t.index)
            got = got.fillna("").astype(str).replace("NaT", "")
        else:
            got = _month_forms(t)
        out[todo] = got.to_numpy()
    return out, todo & (out != "").to_numpy(dtype=bool)


def _month_numbers(mtext: pd.Series, year: pd.Series) -> pd.Series:
    """Month numbers (1-12) from numbers or English names, or from a whole month of ``year``."""
    num = pd.to_numeric(mtext, errors="coerce")
    num = num.where((num == num.round()) & num.between(1, 12))
    num = num.fillna(mtext.str.lower().str.rstrip(".").map(_MONTH_NAMES))
    rest = num.isna() & (mtext != "")
    if rest.any():  # "2024-05" or "May 2024" in the month column: its year must agree
        whole, _ = _parse_months(mtext[rest], None)
        same = pd.to_numeric(whole.str[:4], errors="coerce") == year[rest]
        num[rest] = pd.to_numeric(whole.str[5:7], errors="coerce").where(same)
    return num


def _year_numbers(ytext: pd.Series) -> pd.Series:
    year = pd.to_numeric(ytext, errors="coerce")
    return year.where((year == year.round()) & year.between(1, 9999))


def _year_month(
    chk: _Checker, f: pd.DataFrame, year_col: str, month_col: str | None
) -> tuple[np.ndarray, np.ndarray, str]:
    """Month strings from year and month columns (no day: month-only records)."""
    if month_col is None:
        raise InputDataError(
            f"{chk.table.path.name}: columns.year needs columns.month (a number or a name)"
        )
    ytext, mtext = _col(f, year_col), _col(f, month_col)
    year = _year_numbers(ytext)
    month = _month_numbers(mtext, year)
    chk.reject(year.isna().to_numpy(), R_BAD_DATE, year_col, ytext.to_numpy())
    chk.reject(month.isna().to_numpy(), R_BAD_MONTH, month_col, mtext.to_numpy())
    good = (year.notna() & month.notna()).to_numpy()
    out = np.full(len(f), "", dtype=object)
    pairs = zip(year[good], month[good], strict=True)
    out[good] = [f"{int(y):04d}-{int(m):02d}" for y, m in pairs]
    return out, (ytext + "-" + mtext).to_numpy(), f"{year_col}/{month_col}"


def first_week_after(month: str) -> str:
    """
    Return the first ISO week that starts after ``month`` (``YYYY-MM``) has ended.

    Examples
    --------
    >>> first_week_after("2022-10")  # Monday 31 October is still in the month
    '2022-W45'
    >>> first_week_after("2025-02")
    '2025-W10'
    """
    end = pd.Period(month, freq="M").end_time.date()
    monday = end + dt.timedelta(days=(7 - end.weekday()) % 7 or 7)
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def months_in_lookback(months: Any, week_start: dt.date, lookback_weeks: int) -> np.ndarray:
    """
    Which month-only records (MONTH ``"YYYY-MM"``) a planned week's look-back uses.

    A month is used when it has ended before the week's Monday (its last day is before
    ``week_start``), and either its middle (the 15th) falls in the ``lookback_weeks`` weeks
    before that Monday or it is the newest month that has ended (the last complete month is
    used whenever it overlaps the look-back, however short the look-back or early in a month
    the week). The hotspots and corridors stages both use this rule.

    Examples
    --------
    >>> months = pd.Series(["2025-01", "2025-02", "2025-03"])
    >>> months_in_lookback(months, dt.date(2025, 3, 3), 52).tolist()   # March not ended yet
    [True, True, False]
    >>> months_in_lookback(months, dt.date(2025, 3, 24), 4).tolist()  # Feb still the newest
    [False, True, False]
    """
    text = pd.Series(np.asarray(months, dtype=object)).astype("string")
    start = pd.to_datetime(text, format="%Y-%m", errors="coerce")
    end = start + pd.offsets.MonthBegin(1)
    monday = pd.Timestamp(week_start)
    first = monday - pd.Timedelta(weeks=lookback_weeks)
    ended = end <= monday
    newest = end == pd.Timestamp(week_start.replace(day=1))
    middle_in = start + pd.Timedelta(days=14) >= first
    used = ended & (end > first) & (middle_in | newest)
    return np.asarray(used.fillna(False), dtype=bool)
