"""School terms and holidays: the calendar and the date logic of a term dates table.

Pure: the rows come in as text (read by :mod:`corridors.hotspots.term_file`); nothing here
opens a file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from corridors.errors import InputDataError
from corridors.load import R_BAD_DATE, REJECT_COLUMNS, SourceReport

R_TERM_ENDS_EARLY = "ends before it starts"
R_TERM_KIND = "kind is not 'term' or 'holiday'"


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


class TermReject(NamedTuple):
    """One rejected row of a term dates table (the columns of ``REJECT_COLUMNS``)."""

    source: str
    file: str
    line: int
    column: str
    reason: str
    value: str


class TermRow(NamedTuple):
    """One accepted row: ``kind`` is ``term`` or ``holiday``; ``start``..``end`` inclusive."""

    kind: str
    start: dt.date
    end: dt.date


def term_row(line: int, row: Mapping[str, str], file: str) -> TermRow | TermReject:
    """
    Read one row (``{column: text}``) of a term dates table: a term, a holiday or a reject.

    Examples
    --------
    >>> term_row(2, {"start": "2022-09-05", "end": "2022-10-21"}, "t.csv").kind
    'term'
    >>> term_row(3, {"start": "2022-09-05", "end": "5/9/22"}, "t.csv").reason
    'unparseable date'
    """
    texts = {c: str(row[c]).strip() for c in ("start", "end")}
    days: dict[str, dt.date] = {}
    for col, text in texts.items():
        try:
            days[col] = dt.date.fromisoformat(text)
        except ValueError:
            return TermReject("term dates", file, line, col, R_BAD_DATE, text)
    if days["end"] < days["start"]:
        span = f"{texts['start']} .. {texts['end']}"
        return TermReject("term dates", file, line, "end", R_TERM_ENDS_EARLY, span)
    kind = str(row.get("kind", "term") or "term").strip().lower()
    if kind not in ("term", "holiday"):
        return TermReject("term dates", file, line, "kind", R_TERM_KIND, kind)
    return TermRow(kind, days["start"], days["end"])


def term_table(
    rows: Iterable[tuple[int, Mapping[str, str]]], file: str
) -> tuple[TermCalendar, pd.DataFrame]:
    """
    Return the calendar of the good rows and the rejected rows (columns ``REJECT_COLUMNS``).

    ``rows`` are ``(line number, {column: text})`` with the columns ``start``, ``end`` and
    optionally ``kind``; ``file`` names the source in the rejects.
    """
    terms: list[tuple[dt.date, dt.date]] = []
    holidays: list[tuple[dt.date, dt.date]] = []
    rejects: list[TermReject] = []
    for line, row in rows:
        got = term_row(line, row, file)
        if isinstance(got, TermReject):
            rejects.append(got)
        else:
            (terms if got.kind == "term" else holidays).append((got.start, got.end))
    frame = pd.DataFrame(rejects, columns=list(REJECT_COLUMNS))
    return TermCalendar(terms=tuple(terms), holidays=tuple(holidays)), frame


def strict_calendar(loaded: TermDates, path: object) -> TermCalendar:
    """
    Return the calendar of ``loaded``, or raise naming its first bad row.

    Raises
    ------
    InputDataError
        If a row has a bad date or kind (the first one is named; ``corridors validate``
        lists them all).
    """
    if not len(loaded.rejects):
        return loaded.calendar
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


def with_holidays(calendar: TermCalendar, holidays: Sequence[str]) -> TermCalendar:
    """
    Add holidays written as ``"YYYY-MM-DD"`` or ``"YYYY-MM-DD/YYYY-MM-DD"`` to ``calendar``.

    Examples
    --------
    >>> with_holidays(TermCalendar(), ["2022-12-19/2023-01-02"]).holidays[0][1]
    datetime.date(2023, 1, 2)
    """
    extra = []
    for text in holidays:
        parts = [dt.date.fromisoformat(p.strip()) for p in text.split("/")]
        extra.append((parts[0], parts[-1]))
    return TermCalendar(terms=calendar.terms, holidays=calendar.holidays + tuple(extra))
