"""Read the term dates file (``[hotspots] term_dates``): the stage's one input file.

An I/O edge: it reads the CSV and hands its rows to the pure date logic in
:mod:`corridors.hotspots.terms`.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

from corridors.config import HotspotConfig
from corridors.errors import InputDataError
from corridors.hotspots.terms import (
    TermCalendar,
    TermDates,
    strict_calendar,
    term_table,
    with_holidays,
)
from corridors.load import SourceReport, _check_text_file

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
    table = _table(path, _csv_rows(path, raw))
    calendar, rejects = term_table(table, str(path))
    counts = rejects["reason"].value_counts()
    report = SourceReport(
        kind="term dates", name=path.name, path=str(path), read=len(table),
        accepted=len(calendar.terms) + len(calendar.holidays),
        rejected={str(k): int(v) for k, v in counts.items()},
        sha256=hashlib.sha256(raw).hexdigest(), format="csv",
    )  # fmt: skip
    return TermDates(calendar, report, rejects)


def _csv_rows(path: Path, raw: bytes) -> list[tuple[int, list[str]]]:
    """Return the non-blank CSV rows of the file with their line numbers."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputDataError(
            f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save "
            "it as UTF-8 CSV"
        ) from exc
    reader = csv.reader(io.StringIO(text))
    try:
        rows = [(reader.line_num, cells) for cells in reader if "".join(cells).strip()]
    except csv.Error as exc:
        raise InputDataError(f"{path}: not a well-formed CSV ({exc})") from exc
    if not rows:
        raise InputDataError(f"{path}: the file is empty; expected {_TERM_DATES_WHAT}")
    return rows


def _table(path: Path, rows: list[tuple[int, list[str]]]) -> list[tuple[int, dict[str, str]]]:
    """Return the data rows as ``(line, {column: text})`` under the (lower-cased) header."""
    header = [h.strip().lower() for h in rows[0][1]]
    missing = {"start", "end"} - set(header)
    if missing:
        raise InputDataError(
            f"{path}: term dates need columns 'start' and 'end' (ISO dates); "
            f"missing {sorted(missing)}, found {header}"
        )
    return [
        (line, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header)})
        for line, cells in rows[1:]
    ]


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
    return strict_calendar(load_term_dates(path), path)


def term_calendar(cfg: HotspotConfig) -> TermCalendar | None:
    """Return the calendar from ``term_dates`` and ``holidays``, or None if neither is set."""
    if cfg.term_dates is None and not cfg.holidays:
        return None
    cal = read_term_dates(cfg.term_dates) if cfg.term_dates else TermCalendar()
    return with_holidays(cal, cfg.holidays)
