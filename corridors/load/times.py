"""When incidents happened: dates, times and zones read from a source's columns.

Dates as people have them: police months are also read in the forms a spreadsheet writes
(``Feb-25``, ``February 2025``, ``02/2025``, ``2025-02-01``) and normalised to ``YYYY-MM``, with
a note in the :class:`SourceReport`; ``date_format`` is used for every date, datetime and month
column when given; separate ``year``, ``month``, ``day``, ``hour``, ``minute`` columns are
read. A date before 1990 or after the planned week (after today when no week is known) is
rejected. Dates that look wrongly mapped (all one day, every time midnight) raise a
:class:`DateMappingWarning` and are noted in the report.

Months (``YYYY-MM`` and the forms spreadsheets write) are in :mod:`corridors.load.months`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from corridors.config import SourceConfig
from corridors.errors import InputDataError
from corridors.load.months import _parse_months, _year_month, _year_numbers
from corridors.load.rows import _Checker, _col
from corridors.load.schema import (
    EARLIEST_DATE,
    R_BAD_DATE,
    R_BAD_MONTH,
    R_BAD_TIME,
    R_FUTURE_DATE,
    R_LATE_DATE,
    R_NO_TIME,
    R_OLD_DATE,
)

logger = logging.getLogger(__name__)


_MIN_SUSPECT_ROWS = 5  # fewer dated rows than this are never "suspiciously all equal"


@dataclass(frozen=True)
class _DateLimit:
    """The last day an incident may fall on, and the reject reason for later ones."""

    last: dt.date
    reason: str

    @classmethod
    def of(cls, week_start: dt.date | None, tz: str) -> _DateLimit:
        """Return the limit for a week: its Sunday, or today (in ``tz``) without a week."""
        if week_start is None:
            return cls(dt.datetime.now(ZoneInfo(tz)).date(), R_FUTURE_DATE)
        return cls(week_start + dt.timedelta(days=6), R_LATE_DATE)


@dataclass(frozen=True)
class _DateColumns:
    """What reading one source's dates needs: its rows, mapped columns, zones and last day."""

    chk: _Checker
    f: pd.DataFrame
    cols: Mapping[str, str | None]
    fmt: str
    src: SourceConfig
    tz: str  # the area's zone: OCCURRED_AT is given in it
    limit: _DateLimit

    @property
    def src_tz(self) -> str:
        """The zone the file's local times are in."""
        return self.src.timezone or self.tz

    def nat(self) -> pd.DatetimeIndex:
        """No time for every row (month-only records)."""
        return pd.DatetimeIndex([pd.NaT] * len(self.f)).tz_localize(self.tz)


@dataclass(frozen=True)
class _When:
    """When a source's incidents happened, and what its report should say about it."""

    occurred_at: pd.DatetimeIndex  # in the area's zone; NaT when month-only
    month: np.ndarray  # "YYYY-MM"
    time_known: np.ndarray  # bool
    notes: tuple[str, ...] = ()
    warned: tuple[str, ...] = ()  # dates that look wrongly mapped (DateMappingWarning)


def _when(d: _DateColumns) -> _When:
    """Return when each row happened; reject dates that cannot be read or are out of range.

    Dates come from, in this order: a datetime column; a date column, or year + month + day
    columns, with a time column or hour (+ minute) columns (without them the time of day is
    unknown); year + month columns (month only); a month column (month only).
    ``src.date_format`` parses every date, datetime and month text of the source when given.
    Dates before :data:`EARLIEST_DATE` or after ``limit.last`` are rejected; the notes and
    warnings (dates that look wrongly mapped) say what the report should.
    """
    cols = d.cols
    year_col, day_col, month_col = cols.get("year"), cols.get("day"), cols.get("month")
    dt_col = cols.get("datetime")
    if dt_col is not None:
        return _from_datetime(d, dt_col)
    if cols.get("date") is not None or (year_col is not None and day_col is not None):
        return _from_day(d)
    if year_col is not None:
        return _from_year_month(d, year_col, month_col)
    if month_col is not None:
        return _from_month(d, month_col)
    raise InputDataError(
        f"{d.chk.table.path.name}: no date column; map one of columns.datetime, columns.date "
        "(+ time, or hour + minute), columns.year + month (+ day, hour, minute) or "
        "columns.month in the source"
    )


def _from_datetime(d: _DateColumns, dt_col: str) -> _When:
    """Date and time in one column (ISO, with or without a UTC offset, or ``date_format``)."""
    chk = d.chk
    text = _col(d.f, dt_col)
    _refuse_years_only(chk, text, dt_col, "datetime")
    _reject_text_years(chk, text, dt_col, d.limit)
    # stop-and-search Dates are UTC (with an offset); other files are in the source's zone
    zone = (d.src.timezone or "UTC") if d.fmt == "police-stop-search" else d.src_tz
    local = _parse_local(chk, text, dt_col, d.src.date_format, zone, d.tz)
    _reject_range(chk, local, dt_col, text.to_numpy(), d.limit)
    warned = _suspect(chk, local, dt_col, times=True)
    month = local.strftime("%Y-%m").to_numpy(dtype=object)
    return _When(local, month, np.ones(len(d.f), dtype=bool), warned=warned)


def _from_day(d: _DateColumns) -> _When:
    """Read a date column (or year, month, day columns), with the time of day if mapped."""
    chk = d.chk
    day, dtext, dlabel = _day(d)
    if d.cols.get("time") is None and d.cols.get("hour") is None:
        _reject_range(chk, day, dlabel, dtext.to_numpy(), d.limit)
        warned = _suspect(chk, day, dlabel, times=False)
        month = pd.DatetimeIndex(day).strftime("%Y-%m").to_numpy(dtype=object)
        return _When(d.nat(), month, np.zeros(len(d.f), dtype=bool), warned=warned)
    offset, tlabel, ttext = _time_of_day(d)
    naive = pd.DatetimeIndex(day + offset.to_numpy())
    label = f"{dlabel}+{tlabel}"
    shown = (dtext + " " + ttext.astype(str)).to_numpy()
    local = _localize(chk, naive, d.src_tz, d.tz, label, shown)
    _reject_range(chk, local, label, shown, d.limit)
    warned = _suspect(chk, local, label, times=True)
    month = local.strftime("%Y-%m").to_numpy(dtype=object)
    return _When(local, month, np.ones(len(d.f), dtype=bool), warned=warned)


def _day(d: _DateColumns) -> tuple[pd.Series, pd.Series, str]:
    """Each row's day (naive), the text shown for it and the columns' label."""
    date_col = d.cols.get("date")
    if date_col is not None:
        dtext = _col(d.f, date_col)
        _refuse_years_only(d.chk, dtext, date_col, "date")
        _reject_text_years(d.chk, dtext, date_col, d.limit)
        day = _parse_date(dtext, d.src.date_format)
        d.chk.reject(day.isna().to_numpy(), R_BAD_DATE, date_col, dtext.to_numpy())
        return day, dtext, date_col
    year_col, day_col = d.cols.get("year"), d.cols.get("day")
    assert year_col is not None and day_col is not None
    return _year_month_day(d.chk, d.f, year_col, d.cols.get("month"), day_col, d.limit)


def _time_of_day(d: _DateColumns) -> tuple[pd.Series, str, pd.Series]:
    """Return the time since midnight, the columns' label and their text.

    From a time column (``HH:MM[:SS]``) or hour (+ minute) columns; rows with an unreadable
    time are rejected.
    """
    f = d.f
    time_col, hour_col, minute_col = d.cols.get("time"), d.cols.get("hour"), d.cols.get("minute")
    if time_col is not None:
        text = _col(f, time_col)
        parts = text.str.extract(r"^(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?$")
        hour = pd.to_numeric(parts[0], errors="coerce")
        minute = pd.to_numeric(parts[1], errors="coerce")
        second = pd.to_numeric(parts[2], errors="coerce").fillna(0)
        label = time_col
    else:
        htext = _col(f, hour_col)
        mtext = _col(f, minute_col) if minute_col else pd.Series("0", index=f.index)
        hour = pd.to_numeric(htext, errors="coerce")
        minute = pd.to_numeric(mtext, errors="coerce")
        second = pd.Series(0.0, index=f.index)
        label, text = f"{hour_col}/{minute_col}", htext + ":" + mtext
    bad = (
        hour.isna() | minute.isna() | (hour < 0) | (hour > 23) | (minute < 0) | (minute > 59)
    ).to_numpy()
    d.chk.reject(bad, R_BAD_TIME, label, text.to_numpy())
    offset = pd.to_timedelta(hour.fillna(0) * 3600 + minute.fillna(0) * 60 + second, unit="s")
    return offset, label, text


def _from_year_month(d: _DateColumns, year_col: str, month_col: str | None) -> _When:
    """Year and month columns, no day: month-only records."""
    clocks = [k for k in ("time", "hour", "minute") if k in d.src.columns]
    if clocks:
        raise InputDataError(
            f"{d.chk.table.path.name}: columns.{clocks[0]} needs the day of the month: map "
            "columns.day too (or columns.date)"
        )
    month, shown, label = _year_month(d.chk, d.f, year_col, month_col)
    _reject_month_range(d.chk, month, label, shown, d.limit)
    return _When(d.nat(), month, np.zeros(len(d.f), dtype=bool))


def _from_month(d: _DateColumns, month_col: str) -> _When:
    """Read a month column (``YYYY-MM``, or the forms spreadsheets write): month only."""
    chk = d.chk
    mtext = _col(d.f, month_col)
    month, normalised = _parse_months(mtext, d.src.date_format)
    chk.reject(month == "", R_BAD_MONTH, month_col, mtext.to_numpy())
    _reject_month_range(chk, month, month_col, mtext.to_numpy(), d.limit)
    done = normalised & chk.ok
    notes: tuple[str, ...] = ()
    if done.any():
        example = mtext.to_numpy()[np.flatnonzero(done)[0]]
        note = (
            f"{int(done.sum()):,} {month_col!r} values normalised to YYYY-MM from the "
            f"forms spreadsheets write (e.g. {example!r})"
        )
        notes = (note,)
        logger.info("%s: %s", chk.name, note)
    return _When(d.nat(), month.to_numpy(dtype=object), np.zeros(len(d.f), dtype=bool), notes)


def _year_month_day(
    chk: _Checker,
    f: pd.DataFrame,
    year_col: str,
    month_col: str | None,
    day_col: str,
    limit: _DateLimit,
) -> tuple[pd.Series, pd.Series, str]:
    """Dates from year, month and day columns; the shown text and the columns' label."""
    month_str, _, _ = _year_month(chk, f, year_col, month_col)
    ytext, dtext = _col(f, year_col), _col(f, day_col)
    year = _year_numbers(ytext)
    shown = ytext + "-" + _col(f, str(month_col)) + "-" + dtext
    label = f"{year_col}/{month_col}/{day_col}"
    chk.reject((year < EARLIEST_DATE.year).to_numpy(), R_OLD_DATE, label, shown.to_numpy())
    chk.reject((year > limit.last.year).to_numpy(), limit.reason, label, shown.to_numpy())
    day_num = pd.to_numeric(dtext, errors="coerce")
    day_num = day_num.where((day_num == day_num.round()) & day_num.between(1, 31))
    parts = pd.DataFrame(
        {
            "year": year.where(chk.ok),
            "month": pd.to_numeric(pd.Series(month_str, index=f.index).str[5:7], errors="coerce"),
            "day": day_num,
        }
    )
    whole = parts.notna().all(axis=1)
    day = pd.Series(pd.NaT, index=f.index, dtype="datetime64[ns]")
    if whole.any():
        day[whole] = pd.to_datetime(parts[whole].astype(int), errors="coerce")
    chk.reject(day.isna().to_numpy(), R_BAD_DATE, day_col, dtext.to_numpy())
    return day, shown, label


def _refuse_years_only(chk: _Checker, text: pd.Series, col: str, key: str) -> None:
    """Refuse a date column that holds only years (it would date every row 1 January)."""
    filled = text[text != ""]
    if len(filled) and filled.str.fullmatch(r"\d{4}").all():
        raise InputDataError(
            f"{chk.table.path.name}: column {col!r} (columns.{key}) holds years only (e.g. "
            f"{filled.iloc[0]!r}), not dates; map the parts instead: columns = {{ year = "
            f'"{col}", month = "<month column>", day = "<day column>" }} (day optional)'
        )


def _reject_text_years(chk: _Checker, text: pd.Series, col: str, limit: _DateLimit) -> None:
    """Reject dates whose written year alone is out of range (pandas cannot hold 0001-01-01)."""
    found = text.str.extract(
        r"^(?:(\d{4})[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](\d{4}))(?:\D|$)"
    )
    year = pd.to_numeric(found[0].fillna(found[1]), errors="coerce")
    chk.reject((year < EARLIEST_DATE.year).to_numpy(), R_OLD_DATE, col, text.to_numpy())
    chk.reject((year > limit.last.year).to_numpy(), limit.reason, col, text.to_numpy())


def _wall_days(stamps: Any) -> pd.DatetimeIndex:
    """Local calendar days of naive or tz-aware timestamps (NaT kept)."""
    index = pd.DatetimeIndex(stamps)
    if index.tz is not None:
        index = index.tz_localize(None)
    return index.normalize()


def _reject_range(
    chk: _Checker, stamps: Any, col: str, shown: np.ndarray, limit: _DateLimit
) -> None:
    """Reject dates before :data:`EARLIEST_DATE` or after ``limit.last``."""
    days = _wall_days(stamps)
    chk.reject(np.asarray(days < pd.Timestamp(EARLIEST_DATE)), R_OLD_DATE, col, shown)
    chk.reject(np.asarray(days > pd.Timestamp(limit.last)), limit.reason, col, shown)


def _reject_month_range(
    chk: _Checker, month: Any, col: str, shown: np.ndarray, limit: _DateLimit
) -> None:
    """Reject months before 1990-01, or that begin after ``limit.last``."""
    m = pd.Series(np.asarray(month, dtype=object)).astype(str)
    filled = (m != "").to_numpy()
    chk.reject(filled & (m < EARLIEST_DATE.strftime("%Y-%m")).to_numpy(), R_OLD_DATE, col, shown)
    late = filled & (m > limit.last.strftime("%Y-%m")).to_numpy()
    chk.reject(late, limit.reason, col, shown)


def _suspect(chk: _Checker, stamps: Any, col: str, *, times: bool) -> tuple[str, ...]:
    """Say which dates look wrongly mapped: every one the same day, or every time midnight."""
    index = pd.DatetimeIndex(stamps)
    ok = chk.ok & np.asarray(index.notna())
    n = int(ok.sum())
    if n < _MIN_SUSPECT_ROWS:
        return ()
    local = index[ok]
    days = _wall_days(local)
    warned: list[str] = []
    if days.nunique() == 1:
        warned.append(
            f"all {n:,} dates from {col!r} are the same day ({days[0]:%Y-%m-%d}): check the "
            "source's columns mapping (a year, or the date of the report, read as the date?)"
        )
    if times and ((local.hour == 0) & (local.minute == 0)).all():
        warned.append(
            f"every one of the {n:,} times from {col!r} is midnight (00:00): the column "
            "seems to hold dates only, which puts every incident outside the after-school "
            "window; map the time of day (columns.time, or hour and minute) if the file has it"
        )
    return tuple(warned)


_ISO_DAY = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:$|[T ])")  # a year or "2024-05" is not a date


def _parse_date(text: pd.Series, fmt: str | None) -> pd.Series:
    if fmt:
        return pd.to_datetime(text, format=fmt, errors="coerce")
    iso = text.where(text.str.match(_ISO_DAY), "")
    day = pd.to_datetime(iso, format="ISO8601", errors="coerce")
    miss = day.isna() & (text != "")
    if miss.any():  # UK style day first
        for alt in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
            day = day.where(~miss, pd.to_datetime(text.where(miss), format=alt, errors="coerce"))
            miss = day.isna() & (text != "")
            if not miss.any():
                break
    return day


_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def _parse_local(
    chk: _Checker, text: pd.Series, col: str, fmt: str | None, src_tz: str, tz: str
) -> pd.DatetimeIndex:
    has_offset = text.str.contains(_OFFSET, regex=True).to_numpy(dtype=bool)
    out = pd.Series(pd.NaT, index=text.index, dtype=f"datetime64[ns, {tz}]")
    if has_offset.any():
        aware = pd.to_datetime(text[has_offset], format="ISO8601", utc=True, errors="coerce")
        out[has_offset] = aware.dt.tz_convert(tz).astype(out.dtype)
    naive_mask = ~has_offset
    bad = np.zeros(len(text), dtype=bool)
    if naive_mask.any():
        t = text[naive_mask]
        if fmt:
            naive = pd.to_datetime(t, format=fmt, errors="coerce")
        else:
            iso = t.where(t.str.match(_ISO_DAY), "")
            naive = pd.to_datetime(iso, format="ISO8601", errors="coerce")
            miss = naive.isna() & (t != "")
            for alt in ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d-%m-%Y %H:%M"):
                if not miss.any():
                    break
                naive = naive.where(
                    ~miss, pd.to_datetime(t.where(miss), format=alt, errors="coerce")
                )
                miss = naive.isna() & (t != "")
        bad[naive_mask] = naive.isna().to_numpy()
        chk.reject(bad, R_BAD_DATE, col, text.to_numpy())
        local = _localize(
            chk,
            pd.DatetimeIndex(naive),
            src_tz,
            tz,
            col,
            t.to_numpy(),
            positions=np.flatnonzero(naive_mask),
        )
        out[naive_mask] = local
    chk.reject(out.isna().to_numpy() & has_offset, R_BAD_DATE, col, text.to_numpy())
    return pd.DatetimeIndex(out)


def _localize(
    chk: _Checker,
    naive: pd.DatetimeIndex,
    src_tz: str,
    tz: str,
    col: str,
    shown: np.ndarray,
    positions: np.ndarray | None = None,
) -> pd.DatetimeIndex:
    """Local wall-clock times -> tz-aware; a time skipped by the clock change is rejected.

    A time that happens twice (the autumn change) is taken as the first (summer-time) one.
    """
    if naive.tz is not None:
        return naive.tz_convert(tz)
    aware = naive.tz_localize(src_tz, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="NaT")
    skipped = np.asarray(aware.isna()) & ~np.asarray(naive.isna())
    if skipped.any():
        mask = np.zeros(len(chk.table.frame), dtype=bool)
        vals = np.full(len(chk.table.frame), "", dtype=object)
        pos = positions if positions is not None else np.arange(len(naive))
        mask[pos[skipped]] = True
        vals[pos] = shown
        chk.reject(mask, R_NO_TIME, col, vals)
    return aware.tz_convert(tz)
